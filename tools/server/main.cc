// wsbench-server: the WebSocket pub/sub server of wsbench::Server (see
// include/wsbench/server.h) as a program. Prints one line when it is ready to
// accept, with the port and the startup time; SIGTERM or SIGINT closes every
// client with 1001, drains the queues and exits 0.
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "wsbench/server.h"

namespace {

constexpr char kUsage[] =
    "usage: wsbench-server [options]\n"
    "\n"
    "A WebSocket pub/sub server: clients connect to ws://HOST:PORT/?user=NAME\n"
    "and send JSON text messages\n"
    "  {\"type\":\"subscribe\",\"channels\":[\"a\"],\"id\":1}\n"
    "  {\"type\":\"unsubscribe\",\"channels\":[\"a\"]}\n"
    "  {\"type\":\"publish\",\"channel\":\"a\",\"data\":{...}}\n"
    "  {\"type\":\"ping\",\"id\":2}\n"
    "and get acks, errors and {\"type\":\"event\",...} for their channels.\n"
    "GET /metrics (Prometheus text) and GET /healthz answer on the same port.\n"
    "\n"
    "options:\n"
    "  --port N                 TCP port (default 8080; 0: any free port)\n"
    "  --bind ADDR              IPv4 address to listen on (default 127.0.0.1)\n"
    "  --threads N              event loops sharing the port (SO_REUSEPORT;\n"
    "                           default 1)\n"
    "  --policy FILE            RBAC policy: rule lines '<role> <allow|deny>\n"
    "                           <action> <pattern>' and 'user <name|*> "
    "<role>...'\n"
    "                           (default: everyone may subscribe and publish\n"
    "                           everywhere but publish on system.*)\n"
    "  --max-connections N      open WebSockets at once; more get 503\n"
    "                           (default 0: no limit)\n"
    "  --max-message-bytes N    largest message, inflated (default 1048576)\n"
    "  --max-frame-bytes N      largest frame payload (default 1048576)\n"
    "  --queue-bytes N          outbound queue limit per connection\n"
    "                           (default 1048576)\n"
    "  --slow-reader drop|close events to a full queue are dropped, or the\n"
    "                           reader is disconnected (default drop)\n"
    "  --no-deflate             do not accept permessage-deflate\n"
    "  --ping-interval-ms N     ping a connection silent this long (30000)\n"
    "  --idle-timeout-ms N      close one silent this long, 1001 (60000)\n"
    "  --handshake-timeout-ms N (10000)   --close-timeout-ms N (2000)\n"
    "  --shutdown-timeout-ms N  longest graceful shutdown (5000)\n"
    "  --help                   this text\n";

wsbench::Server* g_server = nullptr;
std::atomic<int64_t> g_signal_us{0};  // when the first SIGTERM/SIGINT came

int64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // async-signal-safe
  return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}
double NowMs() { return double(NowUs()) / 1e3; }

void OnSignal(int) {
  int64_t none = 0;
  g_signal_us.compare_exchange_strong(none, NowUs());
  if (g_server != nullptr) g_server->Shutdown();
}

template <typename T>
bool ParseNumber(std::string_view text, T& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "wsbench-server: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const double start = NowMs();
  wsbench::ServerOptions o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--no-deflate") {
      o.permessage_deflate = false;
      continue;
    }
    static constexpr std::string_view kValueFlags[] = {"--port",
                                                       "--bind",
                                                       "--threads",
                                                       "--policy",
                                                       "--max-connections",
                                                       "--max-message-bytes",
                                                       "--max-frame-bytes",
                                                       "--queue-bytes",
                                                       "--slow-reader",
                                                       "--ping-interval-ms",
                                                       "--idle-timeout-ms",
                                                       "--handshake-timeout-ms",
                                                       "--close-timeout-ms",
                                                       "--shutdown-timeout-ms"};
    const std::string_view name = arg.substr(0, arg.find('='));
    if (std::find(std::begin(kValueFlags), std::end(kValueFlags), name) ==
        std::end(kValueFlags)) {
      return Fail("unknown option " + std::string(arg) + " (see --help)");
    }
    std::string_view value;
    if (size_t eq = arg.find('='); eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return Fail(std::string(arg) + " needs a value (see --help)");
    }
    auto number = [&](auto& out) {
      if (!ParseNumber(value, out)) {
        std::fprintf(
            stderr, "wsbench-server: %.*s takes a number, got '%.*s'\n",
            int(arg.size()), arg.data(), int(value.size()), value.data());
        std::exit(2);
      }
    };
    if (arg == "--port") {
      number(o.port);
    } else if (arg == "--bind") {
      o.bind_address = std::string(value);
    } else if (arg == "--threads") {
      number(o.threads);
    } else if (arg == "--policy") {
      std::ifstream in{std::string(value)};
      if (!in)
        return Fail("cannot read policy file '" + std::string(value) + "'");
      std::stringstream text;
      text << in.rdbuf();
      o.policy_text = text.str();
      if (o.policy_text.empty()) {
        return Fail("policy file '" + std::string(value) + "' is empty");
      }
    } else if (arg == "--max-connections") {
      number(o.max_connections);
    } else if (arg == "--max-message-bytes") {
      number(o.max_message_size);
    } else if (arg == "--max-frame-bytes") {
      number(o.max_frame_size);
    } else if (arg == "--queue-bytes") {
      number(o.queue_byte_limit);
    } else if (arg == "--slow-reader") {
      if (value == "drop") {
        o.overflow = wsbench::OverflowPolicy::kDropMessage;
      } else if (value == "close") {
        o.overflow = wsbench::OverflowPolicy::kCloseConnection;
      } else {
        return Fail("--slow-reader takes drop or close, got '" +
                    std::string(value) + "'");
      }
    } else if (arg == "--ping-interval-ms") {
      number(o.ping_interval_ms);
    } else if (arg == "--idle-timeout-ms") {
      number(o.idle_timeout_ms);
    } else if (arg == "--handshake-timeout-ms") {
      number(o.handshake_timeout_ms);
    } else if (arg == "--close-timeout-ms") {
      number(o.close_timeout_ms);
    } else if (arg == "--shutdown-timeout-ms") {
      number(o.shutdown_timeout_ms);
    } else {
      return Fail("unknown option " + std::string(arg) + " (see --help)");
    }
  }

  // Per-connection arrays grow by doubling; with glibc's dynamic mmap
  // threshold the buffers they leave behind stay in the heap, resident. A
  // fixed threshold keeps large arrays in their own mappings, returned to the
  // kernel when they move, and touched only as far as they are used.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);

  // A server of many connections needs many descriptors: take the hard limit.
  rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 &&
      nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }

  absl::StatusOr<std::unique_ptr<wsbench::Server>> server =
      wsbench::Server::Create(o);
  if (!server.ok()) return Fail(std::string(server.status().message()));
  g_server = server->get();
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::printf(
      "wsbench-server: ready on %s:%u (%d thread%s, max connections %s) in "
      "%.1f ms\n",
      o.bind_address.c_str(), unsigned((*server)->port()), o.threads,
      o.threads == 1 ? "" : "s",
      o.max_connections == 0 ? "unlimited"
                             : std::to_string(o.max_connections).c_str(),
      NowMs() - start);
  std::fflush(stdout);

  const absl::Status done = (*server)->Run();
  const int64_t stopped_us = NowUs();
  const wsbench::ServerStats stats = (*server)->stats();
  g_server = nullptr;
  if (!done.ok()) return Fail(std::string(done.message()));
  const int64_t signal_us = g_signal_us.load();
  std::printf(
      "wsbench-server: stopped %.1f ms after the signal (%llu connections "
      "served, %lld still open at exit)\n",
      signal_us == 0 ? 0.0 : double(stopped_us - signal_us) / 1e3,
      static_cast<unsigned long long>(stats.opened),
      static_cast<long long>(stats.active));
  return 0;
}

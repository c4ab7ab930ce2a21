// wsbench-connect: opens many idle WebSocket connections to a server on
// loopback, holds them, and answers the server's pings and close frames, so
// that a server's memory per idle connection and its graceful shutdown can be
// measured (tools/server/measure-idle drives it).
//
// A thin front of the suite's load generator (bench/e2e/client_loop.h: one
// epoll loop; the handshake checked, close frames echoed). Connections come
// from source addresses 127.0.0.2, 127.0.0.3, ... (--per-source each,
// IP_BIND_ADDRESS_NO_PORT) so 99,000 fit the ephemeral port range, with at
// most --wave in their handshake at once. Prints one line when all are
// open; then holds them until the server closes them (or --hold-ms passes)
// and prints when the first close came and when the last socket ended.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "e2e/client_loop.h"
#include "e2e/fd_budget.h"

namespace {

constexpr char kUsage[] =
    "usage: wsbench-connect --port N [--connections N] [--wave N]\n"
    "                       [--per-source N] [--hold-ms N]\n"
    "Opens N WebSocket connections to 127.0.0.1:PORT (default 1000) with at\n"
    "most --wave in their handshake at once (default 2000), from 127.0.0.2..\n"
    "with --per-source connections each (default 25000), prints 'connected N\n"
    "in X ms', then holds them until the server closes them all or --hold-ms\n"
    "passes (default 600000), answering close frames, and prints the close\n"
    "timings. Exit 0 when every connection opened and was closed by the\n"
    "server with a close frame.\n";

bool ParseArg(const char* text, uint64_t& out) {
  std::string_view s(text);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

int main(int argc, char** argv) {
  using wsbench::e2e::ConnState;
  uint64_t port = 0, connections = 1000, wave = 2000, per_source = 25000,
           hold_ms = 600000;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    uint64_t* target = a == "--port"          ? &port
                       : a == "--connections" ? &connections
                       : a == "--wave"        ? &wave
                       : a == "--per-source"  ? &per_source
                       : a == "--hold-ms"     ? &hold_ms
                                              : nullptr;
    if (a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (target == nullptr || i + 1 >= argc || !ParseArg(argv[++i], *target)) {
      std::fprintf(stderr, "wsbench-connect: bad argument '%s'\n%s", argv[i],
                   kUsage);
      return 2;
    }
  }
  if (port == 0 || port > 65535 || connections == 0 || wave == 0 ||
      wave > 1'000'000 || per_source == 0 || per_source > 28000) {
    std::fprintf(stderr,
                 "wsbench-connect: --port 1..65535, positive counts, --wave "
                 "<= 1000000 and --per-source <= 28000 (the ephemeral port "
                 "range) needed\n");
    return 2;
  }
  const int64_t wanted = static_cast<int64_t>(connections) + 64;
  if (wsbench::e2e::RaiseFdLimit(wanted) < wanted) {
    std::fprintf(stderr,
                 "wsbench-connect: cannot raise RLIMIT_NOFILE to %lld (hard "
                 "limit %lld)\n",
                 static_cast<long long>(wanted),
                 static_cast<long long>(wsbench::e2e::HardFdLimit(wanted)));
    return 1;
  }
  wsbench::e2e::ClientLoopOptions options;
  options.ports = {static_cast<uint16_t>(port)};
  options.per_source = static_cast<int64_t>(per_source);
  options.path = "/?user=idle";
  wsbench::e2e::RampOptions ramp;
  ramp.window = static_cast<int64_t>(wave);
  options.ramp = wsbench::e2e::RampSchedule(ramp);
  wsbench::e2e::ClientLoop loop(options);
  const int64_t start = wsbench::e2e::MonotonicNs();
  const int64_t hold_end = start + static_cast<int64_t>(hold_ms) * 1'000'000;
  absl::StatusOr<int64_t> opened =
      loop.Open({.count = static_cast<int64_t>(connections),
                 .start_ns = start,
                 .deadline_ns = hold_end});
  if (!opened.ok()) {
    std::fprintf(stderr, "wsbench-connect: %s\n",
                 std::string(opened.status().message()).c_str());
    return 1;
  }
  const int64_t failed = static_cast<int64_t>(connections) - *opened;
  std::printf("connected %lld of %llu in %.1f ms (%lld failed)\n",
              static_cast<long long>(*opened),
              static_cast<unsigned long long>(connections),
              double(wsbench::e2e::MonotonicNs() - start) / 1e6,
              static_cast<long long>(failed));
  std::fflush(stdout);

  // Held until the server ends them; the loop echoes its close frames.
  auto live = [&] {
    int64_t n = 0;
    for (int64_t c = 0; c < loop.size(); ++c) {
      const ConnState s = loop.info(c).state;
      n += s == ConnState::kOpen || s == ConnState::kClosing ? 1 : 0;
    }
    return n;
  };
  while (live() > 0 && wsbench::e2e::MonotonicNs() < hold_end) loop.Poll(100);
  int64_t closes_1001 = 0, closes_other = 0, without_close = 0;
  int64_t first_close = 0, last_close = 0;
  for (int64_t c = 0; c < loop.size(); ++c) {
    const wsbench::e2e::ConnTimes& t = loop.times(c);
    const ConnState s = loop.info(c).state;
    if (t.open_ns == 0 || t.closed_ns == 0) continue;  // never open, or held
    if (s == ConnState::kClosed) {
      (loop.info(c).close_code == 1001 ? closes_1001 : closes_other)++;
    } else {
      ++without_close;
    }
    const int64_t first =
        t.close_start_ns != 0 ? t.close_start_ns : t.closed_ns;
    if (first_close == 0 || first < first_close) first_close = first;
    if (t.closed_ns > last_close) last_close = t.closed_ns;
  }
  const int64_t still_open = live();
  std::printf(
      "closed by the server: %lld with 1001, %lld with another code, %lld "
      "without a close frame; last %.1f ms after the first; %lld still "
      "open\n",
      static_cast<long long>(closes_1001), static_cast<long long>(closes_other),
      static_cast<long long>(without_close),
      double(last_close - first_close) / 1e6,
      static_cast<long long>(still_open));
  return failed == 0 && still_open == 0 && without_close == 0 ? 0 : 1;
}

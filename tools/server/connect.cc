// wsbench-connect: opens many idle WebSocket connections to a server on
// loopback, holds them, and answers the server's pings and close frames, so
// that a server's memory per idle connection and its graceful shutdown can be
// measured (tools/server/measure-idle drives it).
//
// Connections come from source addresses 127.0.0.2, 127.0.0.3, ... (one per
// 25,000 connections, IP_BIND_ADDRESS_NO_PORT) so 99,000 fit the ephemeral
// port range. They are opened in waves (connect, send the upgrade request,
// read the 101) by one epoll loop. Prints one line when all are open; then
// holds them until the server closes them (or --hold-ms passes), echoing
// every close frame and closing the socket, and prints when the first close
// frame came and when the last socket ended.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr char kUsage[] =
    "usage: wsbench-connect --port N [--connections N] [--wave N]\n"
    "                       [--per-source N] [--hold-ms N]\n"
    "Opens N WebSocket connections to 127.0.0.1:PORT (default 1000) in waves\n"
    "of --wave (default 2000), from 127.0.0.2.. with --per-source connections\n"
    "each (default 25000), prints 'connected N in X ms', then holds them "
    "until\n"
    "the server closes them all or --hold-ms passes (default 600000),\n"
    "answering close frames, and prints the close timings. Exit 0 when every\n"
    "connection opened and was closed by the server with a close frame.\n";

constexpr std::string_view kRequest =
    "GET /?user=idle HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";

double NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

enum class State : uint8_t { kConnecting, kUpgrading, kOpen, kDone };

struct Client {
  State state = State::kConnecting;
  bool got_close = false;
  uint16_t close_code = 0;
  std::string in;  // bytes of an unfinished response or frame
};

bool ParseArg(const char* text, uint64_t& out) {
  std::string_view s(text);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

int main(int argc, char** argv) {
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
      per_source == 0 || per_source > 28000) {
    std::fprintf(stderr,
                 "wsbench-connect: --port 1..65535, positive counts and "
                 "--per-source <= 28000 (the ephemeral port range) needed\n");
    return 2;
  }
  rlimit nofile;
  getrlimit(RLIMIT_NOFILE, &nofile);
  if (nofile.rlim_cur < connections + 64) {
    nofile.rlim_cur = nofile.rlim_max =
        std::max<rlim_t>(nofile.rlim_max, connections + 64);
    if (setrlimit(RLIMIT_NOFILE, &nofile) != 0) {
      std::fprintf(
          stderr, "wsbench-connect: cannot raise RLIMIT_NOFILE to %llu: %s\n",
          static_cast<unsigned long long>(connections + 64), strerror(errno));
      return 1;
    }
  }
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  std::vector<Client> clients;  // by fd
  std::vector<epoll_event> events(4096);
  uint64_t opened = 0, failed = 0, live = 0;
  const double start = NowMs();
  char buf[65536];

  // Handles readable data on an open connection: answers pings and close.
  auto on_frames = [&](int fd, Client& c) {
    while (c.in.size() >= 2) {
      const uint8_t b0 = uint8_t(c.in[0]), b1 = uint8_t(c.in[1]);
      size_t n = b1 & 0x7F, pos = 2;
      if (n == 126) {
        if (c.in.size() < 4) return;
        n = (uint8_t(c.in[2]) << 8) | uint8_t(c.in[3]);
        pos = 4;
      } else if (n == 127) {
        if (c.in.size() < 10) return;
        n = 0;
        for (int i = 2; i < 10; ++i) n = (n << 8) | uint8_t(c.in[i]);
        pos = 10;
      }
      if (c.in.size() < pos + n) return;
      const int opcode = b0 & 0x0F;
      if (opcode == 0x9 || opcode == 0x8) {
        // Masked reply with a zero key: payload unchanged.
        std::string reply;
        reply += char(0x80 | (opcode == 0x9 ? 0xA : 0x8));
        const size_t m = opcode == 0x8 ? std::min<size_t>(n, 2) : n;
        reply += char(0x80 | m);
        reply.append(4, '\0');
        reply.append(c.in, pos, m);
        send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
        if (opcode == 0x8) {
          c.got_close = true;
          c.close_code =
              n >= 2
                  ? uint16_t((uint8_t(c.in[pos]) << 8) | uint8_t(c.in[pos + 1]))
                  : 1005;
          c.in.clear();
          return;  // the server closes the TCP connection next
        }
      }
      c.in.erase(0, pos + n);
    }
  };

  double first_close = 0, last_close = 0;
  uint64_t closes_1001 = 0, closes_other = 0, ended_without_close = 0;
  auto end_client = [&](int fd, Client& c) {
    if (c.state == State::kOpen) {
      --live;
      if (c.got_close) {
        (c.close_code == 1001 ? closes_1001 : closes_other)++;
      } else {
        ++ended_without_close;
      }
      last_close = NowMs();
      if (first_close == 0) first_close = last_close;
    } else {
      ++failed;
    }
    c.state = State::kDone;
    std::string().swap(c.in);
    close(fd);
  };

  auto poll_once = [&](int timeout) {
    const int n = epoll_wait(ep, events.data(), int(events.size()), timeout);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      Client& c = clients[fd];
      if (c.state == State::kDone) continue;
      if (c.state == State::kConnecting && (events[i].events & EPOLLOUT)) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0 || send(fd, kRequest.data(), kRequest.size(),
                             MSG_NOSIGNAL) != ssize_t(kRequest.size())) {
          end_client(fd, c);
          continue;
        }
        c.state = State::kUpgrading;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        continue;
      }
      if ((events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0) continue;
      const ssize_t r = read(fd, buf, sizeof(buf));
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        end_client(fd, c);
        continue;
      }
      c.in.append(buf, size_t(r));
      if (c.state == State::kUpgrading) {
        const size_t end = c.in.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) {
          end_client(fd, c);
          continue;
        }
        c.in.erase(0, end + 4);
        if (c.in.empty()) std::string().swap(c.in);  // hold nothing while idle
        c.state = State::kOpen;
        ++opened;
        ++live;
      }
      if (c.state == State::kOpen && !c.in.empty()) on_frames(fd, c);
    }
  };

  uint64_t started = 0;
  while (opened + failed < connections) {
    // Keep at most `wave` connections in their handshake at once.
    while (started < connections && started - opened - failed < wave) {
      const int fd =
          socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        std::fprintf(stderr, "wsbench-connect: socket: %s\n", strerror(errno));
        return 1;
      }
      const int one = 1;
      setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
      sockaddr_in src{};
      src.sin_family = AF_INET;
      src.sin_addr.s_addr = htonl(0x7F000002u + uint32_t(started / per_source));
      bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src));
      sockaddr_in dst{};
      dst.sin_family = AF_INET;
      dst.sin_port = htons(uint16_t(port));
      dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (size_t(fd) >= clients.size()) clients.resize(size_t(fd) + 1);
      clients[fd] = Client();
      ++started;
      if (connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)) != 0 &&
          errno != EINPROGRESS) {
        ++failed;
        clients[fd].state = State::kDone;
        close(fd);
        continue;
      }
      epoll_event ev{};
      ev.events = EPOLLOUT;
      ev.data.fd = fd;
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    poll_once(1000);
    if (NowMs() - start > double(hold_ms)) break;
  }
  std::printf("connected %llu of %llu in %.1f ms (%llu failed)\n",
              static_cast<unsigned long long>(opened),
              static_cast<unsigned long long>(connections), NowMs() - start,
              static_cast<unsigned long long>(failed));
  std::fflush(stdout);
  while (live > 0 && NowMs() - start < double(hold_ms)) poll_once(100);
  std::printf(
      "closed by the server: %llu with 1001, %llu with another code, %llu "
      "without a close frame; last %.1f ms after the first; %llu still open\n",
      static_cast<unsigned long long>(closes_1001),
      static_cast<unsigned long long>(closes_other),
      static_cast<unsigned long long>(ended_without_close),
      last_close - first_close, static_cast<unsigned long long>(live));
  return failed == 0 && live == 0 && ended_without_close == 0 ? 0 : 1;
}

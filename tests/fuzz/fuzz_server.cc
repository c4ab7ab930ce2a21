// libFuzzer target for the server's read path (server.h): bytes from a client
// socket, through the handshake, frame decoder, permessage-deflate, JSON
// parser, RBAC and pub/sub, over a real loopback connection.
//
// One wsbench::Server (one loop, small limits, short timeouts) runs on a
// background thread for the whole fuzzing session. Input byte 0 picks the
// prefix: 0-63 none (the bytes are the request: garbage, HTTP, /metrics),
// 64-127 a valid upgrade, 128-255 a valid upgrade offering
// permessage-deflate; the rest is sent as the client's bytes, then the
// client half-closes and reads until the server closes.
// Invariants checked:
//   - the server answers and closes every connection (no hang: libFuzzer's
//     -timeout catches one) and keeps accepting (a /healthz after each input);
//   - the active-connections gauge is back to 0 once the server closed the
//     socket (no connection counted twice or forgotten);
//   - ASan/UBSan: no crash, overflow or undefined behaviour on any path; the
//     server's memory is checked for leaks when the process exits.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "fuzz_util.h"
#include "wsbench/server.h"

namespace {

constexpr std::string_view kUpgrade =
    "GET /?user=fuzz HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n";

struct Fixture {
  std::unique_ptr<wsbench::Server> server;
  std::thread thread;

  Fixture() {
    wsbench::ServerOptions o;
    o.port = 0;
    o.max_frame_size = 4096;
    o.max_message_size = 8192;
    o.queue_byte_limit = 16384;
    o.handshake_timeout_ms = 2000;
    o.close_timeout_ms = 500;
    auto s = wsbench::Server::Create(o);
    WSBENCH_FUZZ_CHECK(s.ok());
    server = std::move(*s);
    thread = std::thread([this] { server->Run().IgnoreError(); });
  }
};

Fixture& F() {
  static Fixture* f = new Fixture();  // lives until exit (its thread runs on)
  return *f;
}

int Connect(uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // EADDRNOTAVAIL: the ephemeral ports are all in use for a moment; wait.
  for (int attempt = 0;; ++attempt) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    WSBENCH_FUZZ_CHECK(fd >= 0);
    // Under libFuzzer's -timeout (25 s in tools/fuzz): a server that never
    // answers shows as a timeout; a loaded machine gets 20 s.
    timeval tv{20, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0)
      return fd;
    const int error = errno;
    close(fd);
    if (error == EINTR) continue;  // a signal (libFuzzer's leak check): again
    if (error != EADDRNOTAVAIL || attempt >= 500) {
      std::fprintf(stderr, "connect to 127.0.0.1:%u failed: %s\n",
                   unsigned(port), std::strerror(error));
    }
    WSBENCH_FUZZ_CHECK(error == EADDRNOTAVAIL && attempt < 500);
    usleep(10000);
  }
}

// Sends `bytes`, half-closes, reads until EOF. Returns what was read.
std::string Exchange(uint16_t port, std::string_view bytes) {
  const int fd = Connect(port);
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n =
        send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    // EINTR: libFuzzer's leak check stops every thread with a signal.
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the server may close before reading everything
    sent += size_t(n);
  }
  shutdown(fd, SHUT_WR);
  std::string reply;
  char buf[4096];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (n < 0 && errno == ECONNRESET)) break;
    if (n < 0) {
      std::fprintf(stderr, "recv from the server failed: %s\n",
                   std::strerror(errno));
    }
    WSBENCH_FUZZ_CHECK(n > 0);  // EAGAIN after 20 s: the server did not close
    reply.append(buf, size_t(n));
  }
  // The exchange is over (the server closed its end): end ours with a reset
  // so the client side keeps no TIME_WAIT socket; at thousands of exchanges
  // a second those would use up the ephemeral ports.
  const linger reset{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  close(fd);
  return reply;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Fixture& f = F();
  std::string input;
  if (data[0] >= 64) {
    input.append(kUpgrade);
    if (data[0] >= 128) {
      input.append(
          "Sec-WebSocket-Extensions: permessage-deflate; "
          "client_max_window_bits\r\n");
    }
    input.append("\r\n");
  }
  input.append(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string reply = Exchange(f.server->port(), input);
  if (data[0] >= 64) {
    WSBENCH_FUZZ_CHECK(reply.rfind("HTTP/1.1 101", 0) == 0);
  }
  // The server closed our socket, so this connection left the open state.
  // (A /healthz in between proves it still accepts.)
  const std::string health =
      Exchange(f.server->port(), "GET /healthz HTTP/1.1\r\n\r\n");
  WSBENCH_FUZZ_CHECK(health.rfind("HTTP/1.1 200", 0) == 0);
  WSBENCH_FUZZ_CHECK(f.server->stats().active == 0);
  return 0;
}

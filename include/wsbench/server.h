// Server: a WebSocket pub/sub server over epoll, built from the core's
// pieces, with plain HTTP GET /metrics and /healthz on the same port.
//
// Threads and loops: `threads` event loops, each single-threaded with its own
// listening socket bound to the same address with SO_REUSEPORT (the kernel
// spreads new connections over them), its own ConnectionManager,
// Broadcaster, MessageParser, ReplyBuilder and Rbac. A publish is delivered
// by its own loop and handed to every other loop through a mutex-guarded
// inbox and an eventfd wake-up, so subscribers on any loop receive it.
//
// Per connection (see server.cc for the layout): a 40-byte record indexed by
// file descriptor, plus the ConnectionManager's slot (user, roles, outbound
// queue, subscriptions). Reads go into ONE receive buffer per loop (64 KiB +
// padding): frames are unmasked and parsed in place there; a connection
// keeps bytes of its own only while a handshake, frame or fragmented message
// is cut between reads, or while it uses permessage-deflate (its zlib
// streams). Writes are gathered from the connection's OutboundQueue with
// writev; the 101 response itself travels through that queue.
//
// Protocol: RFC 6455 handshake (101 / 400 / 426 / 431, 503 at
// max_connections); frames by FrameDecoder (1002 / 1007 / 1009 closes);
// permessage-deflate (RFC 7692) accepted for incoming messages (inflated,
// then UTF-8-checked when text; the server sends uncompressed messages,
// which RFC 7692 section 6 allows); the JSON messages of message.h:
//   subscribe / unsubscribe  RBAC-checked (subscribe), then an ack;
//   publish                  RBAC-checked, event envelope
//                            {"type":"event","channel":..,"data":..} to every
//                            subscriber but the sender, then an ack;
//   ping                     an ack;
//   malformed                an error reply; the connection stays open;
//   binary messages          an error reply "unsupported_data".
// The user is named by the request target's query, ws://host:port/?user=NAME
// (letters, digits, '.', '_', '-'; 1..64 bytes); without it "anonymous".
//
// Slow readers: events to a queue over queue_byte_limit are dropped or the
// connection is closed (OverflowPolicy), both counted. Replies to a client's
// own requests always queue, but a connection whose queue is over the limit
// is not read until it drains (the client's requests back up in TCP).
// Timers (checked on a tick of at most 1 s): a WebSocket silent for
// ping_interval_ms gets a ping; silent for idle_timeout_ms it is closed
// (1001); a handshake not done in handshake_timeout_ms and a close handshake
// not done in close_timeout_ms end the socket.
//
// Shutdown() (thread- and async-signal-safe): loops stop accepting, every
// WebSocket gets close 1001 behind what is already queued, and Run() returns
// once every connection has answered and closed, or after
// shutdown_timeout_ms.
//
//   wsbench::ServerOptions options;
//   options.port = 0;  // any free port
//   absl::StatusOr<std::unique_ptr<wsbench::Server>> server =
//       wsbench::Server::Create(options);
//   std::printf("port %d\n", (*server)->port());
//   absl::Status done = (*server)->Run();  // until Shutdown()
#ifndef WSBENCH_SERVER_H_
#define WSBENCH_SERVER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wsbench/broadcaster.h"
#include "wsbench/server_metrics.h"

namespace wsbench {

struct ServerOptions {
  std::string bind_address = "127.0.0.1";  // IPv4 dotted quad
  uint16_t port = 8080;                    // 0: any free port (see port())
  int threads = 1;                         // event loops, 1..256
  // Open WebSockets at once over all loops; more get 503. 0: no limit.
  // Loops check one shared counter without a lock, so handshakes completing
  // at the same instant on different loops may pass it by threads - 1.
  uint32_t max_connections = 0;
  // Policy text (server_policy.h); empty: kDefaultServerPolicy.
  std::string policy_text;
  uint64_t max_frame_size = uint64_t{1} << 20;
  uint64_t max_message_size = uint64_t{1} << 20;
  size_t max_handshake_size = 8192;
  uint32_t queue_byte_limit = uint32_t{1} << 20;
  OverflowPolicy overflow = OverflowPolicy::kDropMessage;
  bool permessage_deflate = true;
  int ping_interval_ms = 30000;
  int idle_timeout_ms = 60000;
  int handshake_timeout_ms = 10000;
  int close_timeout_ms = 2000;
  int shutdown_timeout_ms = 5000;
  int listen_backlog = 4096;
};

class Server {
 public:
  // Checks the options, loads the policy and binds the listening sockets (so
  // port() is known and clients may connect before Run()). InvalidArgument
  // for bad options or policy, Internal (with errno's text) when a socket
  // cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Create(
      const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port (the kernel's choice when options.port was 0).
  uint16_t port() const { return port_; }

  // Runs every loop (loop 0 on the calling thread, the others on their own
  // threads) until Shutdown() has completed. Returns OK after a graceful
  // shutdown; Internal if a loop failed.
  absl::Status Run();

  // Starts the graceful shutdown. Thread-safe and async-signal-safe.
  void Shutdown();

  // The counters summed over loops (any thread).
  ServerStats stats() const;
  // The /metrics page (any thread).
  std::string MetricsText() const;

 private:
  class Loop;
  explicit Server(const ServerOptions& options);

  ServerOptions options_;
  uint16_t port_ = 0;
  std::atomic<bool> shutdown_{false};
  std::atomic<int64_t> open_total_{0};  // WebSockets open, all loops
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<const ServerCounters*> counters_;
};

}  // namespace wsbench

#endif  // WSBENCH_SERVER_H_

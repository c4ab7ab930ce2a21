// ClientLoop: many WebSocket client connections on one epoll loop, in the
// calling process (the load generator's building block; ClientFleet runs
// one per worker process).
//
// A connection (numbered 0, 1, ... in the order Open adds them) goes
// through: nonblocking connect from its source address (127.x.y.z, bound
// with IP_BIND_ADDRESS_NO_PORT so the kernel picks the port per 4-tuple),
// the HTTP upgrade request with a random Sec-WebSocket-Key, the 101 checked
// (status line, Upgrade, Connection and Sec-WebSocket-Accept computed with
// core's ComputeAcceptKey), then frames: what it sends is masked (core's
// AppendFrame), what it receives is decoded by core's FrameDecoder (server
// frames, unmasked). Pings are answered with pongs; a close frame from the
// server is echoed; the close handshake started by the client (CloseAll)
// waits for the server's close frame and its FIN. Every step is stamped
// with CLOCK_MONOTONIC (MonotonicNs(), comparable across processes), so
// connect-to-101 is a per-connection sample taken under the concurrent
// load.
//
// Memory per connection: ~150 bytes (times, state, fd) plus a FrameDecoder,
// and its receive/send leftovers only while a frame is cut between reads
// or a send would block. One 256 KiB read buffer per loop.
// Not thread-safe: one thread drives a loop.
//
//   ClientLoopOptions o;
//   o.ports = {server_port};
//   ClientLoop loop(o);
//   const int64_t now = MonotonicNs();
//   absl::StatusOr<int64_t> opened = loop.Open(
//       {.count = 1000, .start_ns = now, .deadline_ns = now + 10'000'000'000});
//   loop.set_message_handler([](int conn, Opcode op, std::string_view p,
//                               int64_t now_ns) { ... });
//   loop.Send(0, Opcode::kText, R"({"type":"ping","id":1})");
//   while (...) loop.Poll(10);
//   CloseResult c = loop.CloseAll(1000, deadline_ns);
#ifndef WSBENCH_BENCH_E2E_CLIENT_LOOP_H_
#define WSBENCH_BENCH_E2E_CLIENT_LOOP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "e2e/ramp.h"
#include "wsbench/frame.h"
#include "wsbench/frame_decoder.h"

namespace wsbench::e2e {

// CLOCK_MONOTONIC in nanoseconds.
int64_t MonotonicNs();

// 127.0.0.1 in host byte order.
inline constexpr uint32_t kLoopback = 0x7F00'0001;

struct ClientLoopOptions {
  uint32_t server_address = kLoopback;  // host byte order, 127.0.0.0/8 only
  // Server ports (shards): connection with global id g connects to
  // ports[g % ports.size()].
  std::vector<uint16_t> ports;
  // Source addresses: global id g binds first_source + g / per_source
  // (host byte order; 127.0.0.0/8 only). 28,232 ephemeral ports per address
  // and destination; fewer per address leaves room for TIME_WAIT.
  uint32_t first_source = 0x7F00'0002;  // 127.0.0.2
  int64_t per_source = 16'000;
  std::string path = "/?user=e2e";  // request target of the upgrade
  RampSchedule ramp;                // when each attempt of an Open starts
  uint64_t max_frame_size = uint64_t{16} << 20;  // frames received
  uint64_t seed = 1;                             // Sec-WebSocket-Key generator
};

enum class ConnState : uint8_t {
  kPending,     // waiting for its ramp time or a window slot
  kConnecting,  // TCP connect in flight
  kUpgrading,   // request sent, 101 not yet complete
  kOpen,        // WebSocket open
  kClosing,     // close frame sent (by us) or received, TCP not yet ended
  kClosed,      // ended after a close handshake
  kFailed,      // connect/upgrade failed, or ended without a close handshake
};

// Timestamps (MonotonicNs) of one connection; 0 where not reached.
struct ConnTimes {
  int64_t connect_start_ns = 0;  // connect() called
  int64_t connected_ns = 0;      // TCP established (writable)
  int64_t open_ns = 0;           // the 101 fully read and checked
  int64_t close_start_ns = 0;    // our close frame sent / theirs received
  int64_t closed_ns = 0;         // socket ended
};

struct ConnInfo {
  ConnState state = ConnState::kPending;
  uint16_t close_code = 0;  // code of the close frame received (1005: none)
  int error = 0;            // errno of a failed connect/read, 0 otherwise
  std::string failure;      // why it failed (kFailed), for messages
};

struct CloseResult {
  int64_t requested = 0;  // open connections asked to close
  int64_t clean = 0;      // closed with the server's close frame and FIN
  int64_t unclean = 0;    // ended otherwise (RST, timeout, no close frame)
  int64_t start_ns = 0;
  int64_t end_ns = 0;  // last socket ended (or the deadline)
};

struct OpenRequest {
  int64_t first_id = 0;  // global id of the first connection
  int64_t count = 0;
  int64_t stride = 1;     // ids first_id, first_id + stride, ...
  int64_t ramp_base = 0;  // id whose attempt is the ramp's attempt 0
  int64_t start_ns = 0;   // the ramp's time 0 (MonotonicNs)
  int64_t deadline_ns = 0;
};

class ClientLoop {
 public:
  // A complete message (text or binary) received on `conn`, its payload
  // valid during the call; now_ns = when its last read returned.
  using MessageHandler = std::function<void(
      int conn, Opcode opcode, std::string_view payload, int64_t now_ns)>;

  explicit ClientLoop(const ClientLoopOptions& options);
  ~ClientLoop();  // closes every socket still open (abruptly)
  ClientLoop(const ClientLoop&) = delete;
  ClientLoop& operator=(const ClientLoop&) = delete;

  // Adds request.count connections (numbered size().., global ids
  // first_id, first_id + stride, ...) and opens them: the one with global id
  // g starts at start_ns + ramp.OffsetNs(g - ramp_base), with at most
  // ramp.window() attempts in flight. Returns when each is open or failed,
  // or at deadline_ns (unfinished attempts then fail with "timed out"). The
  // number opened; InvalidArgument for a bad request; ResourceExhausted
  // (with the limit) when a socket cannot be created. Stops early
  // (Cancelled) when `stopping` (may be null) turns true.
  absl::StatusOr<int64_t> Open(const OpenRequest& request,
                               bool (*stopping)() = nullptr);

  int64_t size() const { return static_cast<int64_t>(conns_.size()); }
  int64_t open_count() const { return open_count_; }
  const ConnTimes& times(int64_t conn) const { return conns_[conn].times; }
  const ConnInfo& info(int64_t conn) const { return conns_[conn].info; }

  void set_message_handler(MessageHandler handler) {
    on_message_ = std::move(handler);
  }
  // Queues one masked frame on an open connection and writes what the
  // socket takes now; the rest goes out from Poll. FailedPrecondition when
  // the connection is not open.
  absl::Status Send(int64_t conn, Opcode opcode, std::string_view payload,
                    bool fin = true);
  // Queues raw bytes (e.g. a malformed frame) on a connection past its
  // upgrade.
  absl::Status SendRaw(int64_t conn, std::string_view bytes);
  // Stops (false) or resumes (true) reading a connection: a slow reader.
  void SetReading(int64_t conn, bool reading);
  // Ends a connection abruptly with a TCP RST (SO_LINGER 0); it counts as
  // failed with failure "aborted".
  void Abort(int64_t conn);
  // Bytes still queued for sending on `conn` (0 when all were written).
  size_t pending_send_bytes(int64_t conn) const;

  // One epoll wait of at most timeout_ms (0: do not block), then reads,
  // writes, pongs, close echoes and message callbacks. Returns the number of
  // events handled.
  int Poll(int timeout_ms);

  // The close handshake on every open connection (close frame with `code`),
  // polling until each got the server's close frame and its FIN, or
  // deadline_ns; the rest are then closed abruptly and counted unclean.
  CloseResult CloseAll(uint16_t code, int64_t deadline_ns);

  // Closes every socket and forgets every connection (size() = 0).
  void Clear();

 private:
  struct Conn {
    int fd = -1;
    bool reading = true;
    bool close_sent = false;
    bool close_received = false;
    ConnTimes times;
    ConnInfo info;
    std::string in;                         // an unfinished 101 response
    std::string out;                        // bytes the socket did not take yet
    std::string accept;                     // the Sec-WebSocket-Accept expected
    std::unique_ptr<FrameDecoder> decoder;  // once open
  };
  // Poll with a timeout in nanoseconds (< 0: none).
  int Wait(int64_t timeout_ns);
  void StartAttempt(int64_t conn);
  void HandleEvent(int64_t conn, uint32_t events, int64_t now);
  void HandleReadable(int64_t conn, int64_t now);
  void Flush(int64_t conn);
  void End(int64_t conn, ConnState state, int64_t now);
  void Fail(int64_t conn, std::string why, int64_t now);

  ClientLoopOptions options_;
  int epoll_fd_ = -1;
  std::vector<Conn> conns_;
  std::unique_ptr<char[]> buffer_;
  MessageHandler on_message_;
  int64_t open_count_ = 0;
  int64_t in_flight_ = 0;
  uint64_t key_state_;
};

}  // namespace wsbench::e2e

#endif  // WSBENCH_BENCH_E2E_CLIENT_LOOP_H_

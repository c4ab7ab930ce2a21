// ServerMetrics: the counters and gauges a WebSocket server exports, one set
// per event loop, and their Prometheus text exposition (format 0.0.4).
//
// Each loop owns one ServerCounters and is its only writer; relaxed atomics
// let any thread (the loop serving GET /metrics, a test) read a consistent
// value of each counter without locks. Sum() adds several loops' counters.
// Exposed names (all prefixed websocket_ but the process gauge):
//   websocket_active_connections          gauge: open WebSockets (after the
//                                         101, until a close frame is sent or
//                                         received or the socket ends)
//   websocket_connections_opened_total    handshakes accepted
//   websocket_connections_closed_total    WebSockets that left the open state
//   websocket_connections_rejected_total  turned away (max connections: 503)
//   websocket_handshake_errors_total      400 / 426 / 431 answers
//   websocket_protocol_errors_total       closes for 1002 / 1007 / 1009
//   websocket_messages_received_total     data messages from clients
//   websocket_messages_sent_total         data messages queued to clients
//   websocket_messages_dropped_total      events not queued to a slow reader
//   websocket_connections_closed_slow_total  slow readers disconnected
//   websocket_idle_timeouts_total         closed after an unanswered ping
//   websocket_http_requests_total         GET /metrics and /healthz served
//   process_resident_memory_bytes         RSS from /proc/self/statm
//
// Thread safety: Add*/Inc* only from the owning loop; reads from anywhere.
#ifndef WSBENCH_SERVER_METRICS_H_
#define WSBENCH_SERVER_METRICS_H_

#include <atomic>
#include <cstdint>
#include <span>
#include <string>

namespace wsbench {

// One loop's counters.
struct ServerCounters {
  std::atomic<int64_t> active{0};
  std::atomic<uint64_t> opened{0};
  std::atomic<uint64_t> closed{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> handshake_errors{0};
  std::atomic<uint64_t> protocol_errors{0};
  std::atomic<uint64_t> messages_received{0};
  std::atomic<uint64_t> messages_sent{0};
  std::atomic<uint64_t> messages_dropped{0};
  std::atomic<uint64_t> closed_slow{0};
  std::atomic<uint64_t> idle_timeouts{0};
  std::atomic<uint64_t> http_requests{0};

  // Single-writer increment: a relaxed load and store (no locked
  // read-modify-write on the hot path).
  template <typename T>
  static void Add(std::atomic<T>& counter, T n) {
    counter.store(counter.load(std::memory_order_relaxed) + n,
                  std::memory_order_relaxed);
  }
};

// A plain snapshot (the sum over loops).
struct ServerStats {
  int64_t active = 0;
  uint64_t opened = 0;
  uint64_t closed = 0;
  uint64_t rejected = 0;
  uint64_t handshake_errors = 0;
  uint64_t protocol_errors = 0;
  uint64_t messages_received = 0;
  uint64_t messages_sent = 0;
  uint64_t messages_dropped = 0;
  uint64_t closed_slow = 0;
  uint64_t idle_timeouts = 0;
  uint64_t http_requests = 0;
};

// Sums the loops' counters.
ServerStats SumCounters(std::span<const ServerCounters* const> loops);

// The resident set size of this process in bytes (/proc/self/statm); 0 when
// it cannot be read.
uint64_t ResidentMemoryBytes();

// The Prometheus text exposition of `stats` plus
// process_resident_memory_bytes = `rss_bytes`: # HELP and # TYPE lines, one
// sample per metric, ending in a newline.
std::string FormatPrometheus(const ServerStats& stats, uint64_t rss_bytes);

}  // namespace wsbench

#endif  // WSBENCH_SERVER_METRICS_H_

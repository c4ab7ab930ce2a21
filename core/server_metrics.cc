// ServerMetrics: summing loops' counters and the Prometheus text format.
#include "wsbench/server_metrics.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace wsbench {

ServerStats SumCounters(std::span<const ServerCounters* const> loops) {
  ServerStats s;
  constexpr auto r = std::memory_order_relaxed;
  for (const ServerCounters* c : loops) {
    s.active += c->active.load(r);
    s.opened += c->opened.load(r);
    s.closed += c->closed.load(r);
    s.rejected += c->rejected.load(r);
    s.handshake_errors += c->handshake_errors.load(r);
    s.protocol_errors += c->protocol_errors.load(r);
    s.messages_received += c->messages_received.load(r);
    s.messages_sent += c->messages_sent.load(r);
    s.messages_dropped += c->messages_dropped.load(r);
    s.closed_slow += c->closed_slow.load(r);
    s.idle_timeouts += c->idle_timeouts.load(r);
    s.http_requests += c->http_requests.load(r);
  }
  return s;
}

uint64_t ResidentMemoryBytes() {
  // statm: size resident shared text lib data dt, in pages.
  const int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  const ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  unsigned long long size = 0, resident = 0;
  if (std::sscanf(buf, "%llu %llu", &size, &resident) != 2) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

std::string FormatPrometheus(const ServerStats& s, uint64_t rss_bytes) {
  std::string out;
  out.reserve(2048);
  auto metric = [&](std::string_view name, std::string_view type,
                    std::string_view help, auto value) {
    fmt::format_to(std::back_inserter(out),
                   "# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name,
                   type, name, value);
  };
  metric("websocket_active_connections", "gauge", "Open WebSocket connections.",
         s.active);
  metric("websocket_connections_opened_total", "counter",
         "WebSocket handshakes accepted.", s.opened);
  metric("websocket_connections_closed_total", "counter",
         "WebSocket connections that left the open state.", s.closed);
  metric("websocket_connections_rejected_total", "counter",
         "Handshakes refused with 503 at the connection limit.", s.rejected);
  metric("websocket_handshake_errors_total", "counter",
         "Upgrade requests answered 400, 426 or 431.", s.handshake_errors);
  metric("websocket_protocol_errors_total", "counter",
         "Connections closed for a protocol error (1002, 1007, 1009).",
         s.protocol_errors);
  metric("websocket_messages_received_total", "counter",
         "Data messages received from clients.", s.messages_received);
  metric("websocket_messages_sent_total", "counter",
         "Data messages queued to clients (replies and events).",
         s.messages_sent);
  metric("websocket_messages_dropped_total", "counter",
         "Events not queued to a slow reader (queue over its byte limit).",
         s.messages_dropped);
  metric("websocket_connections_closed_slow_total", "counter",
         "Slow readers disconnected by the close policy.", s.closed_slow);
  metric("websocket_idle_timeouts_total", "counter",
         "Connections closed after an unanswered ping.", s.idle_timeouts);
  metric("websocket_http_requests_total", "counter",
         "Plain HTTP requests served (/metrics, /healthz).", s.http_requests);
  metric("process_resident_memory_bytes", "gauge",
         "Resident memory size in bytes.", rss_bytes);
  return out;
}

}  // namespace wsbench

// Fault injection on a ClientLoop's open connections, and the checks of the
// server's answers (the kinds and their expected answers: fault_mix.h).
//
// InjectFaults runs in the process that owns the loop (a ClientFleet worker
// or a test). For the connections it is given, by the kind FaultPlan gives
// their global id:
//   rst        half a frame, flushed, then Abort() (RST via SO_LINGER 0);
//   malformed  MalformedFrame(); answered when the server's close frame
//              carries ExpectedCloseCode() and the socket ends;
//   slow       subscribes to "wsbench.slow.w<worker>" (acked), stops
//              reading; a healthy connection of the same server shard then
//              publishes events of 16 KiB, queue_byte_limit + 8 MiB of them
//              per slow reader (more than the server's queue and both
//              sockets' buffers hold), every publish acked; then the slow
//              readers read again and the publisher sends one last event.
//              Answered, when the server drops (OverflowPolicy::kDrop
//              Message): the reader is still open, got that last event and
//              fewer events than were published; when it closes
//              (kCloseConnection): the socket ended without a close frame.
// Healthy connections are left alone (the publishers only publish); the
// report counts those still open afterwards.
//
// The server's side is checked by the caller from its counters before and
// after (CheckServerAnswers): protocol errors = malformed answered, the
// gauge fallen by exactly the connections that had to go (rst, malformed,
// slow readers under the close policy), slow-reader closes or drops
// counted; rst connections count as answered when the gauge is exact.
//
// Replaces the loop's message handler while it runs (and clears it after).
// Bounded: every wait ends at deadline_ns.
#ifndef WSBENCH_BENCH_E2E_FAULT_INJECTOR_H_
#define WSBENCH_BENCH_E2E_FAULT_INJECTOR_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "e2e/client_loop.h"
#include "e2e/fault_mix.h"
#include "wsbench/broadcaster.h"
#include "wsbench/server_metrics.h"

namespace wsbench::e2e {

struct FaultOptions {
  FaultPlan plan;
  // The server's settings the faults are sized and judged by.
  OverflowPolicy overflow = OverflowPolicy::kDropMessage;
  uint64_t max_frame_size = uint64_t{1} << 20;
  uint32_t queue_byte_limit = uint32_t{1} << 20;
  int shards = 1;  // global id g is on shard g % shards (ClientLoop's ports)
  int worker = 0;  // names the slow readers' channel
};

// One loop's outcome; trivially copyable (sent over a Channel).
struct FaultReport {
  // Per kind, indexed FaultKind - 1: rst, malformed, slow.
  std::array<int64_t, kFaultKinds> injected = {0, 0, 0};
  // Answers seen by the client (rst: 0, the server's gauge decides).
  std::array<int64_t, kFaultKinds> answered = {0, 0, 0};
  // Malformed frames by MalformedKind: sent, answered with the right code.
  std::array<int64_t, kMalformedKinds> malformed_sent = {};
  std::array<int64_t, kMalformedKinds> malformed_answered = {};
  int64_t healthy = 0;       // healthy connections given (open or not)
  int64_t healthy_open = 0;  // of them, open after the faults
  int64_t slow_publishes = 0;
  int64_t slow_events_min = -1;  // fewest events a slow reader got (-1: none)
  char first_problem[200] = {};  // the first unanswered fault, for messages

  void Add(const FaultReport& other);
};

// `conns`: (connection index in `loop`, global id) of the loop's
// connections to treat. Internal only when the loop itself fails; faults
// the server did not answer are counted in the report, not errors.
absl::StatusOr<FaultReport> InjectFaults(
    ClientLoop& loop, std::span<const std::pair<int64_t, int64_t>> conns,
    const FaultOptions& options, int64_t deadline_ns);

// What the server's counters say about the faults of `report` (summed over
// every loop): `before` read just before injecting, `after` once the gauge
// settled. Fills `answered` (rst from the gauge) and returns the problems,
// empty when every fault was answered as it must be.
struct ServerAnswer {
  std::array<int64_t, kFaultKinds> answered = {0, 0, 0};
  int64_t expected_active = 0;
  std::vector<std::string> problems;
};
ServerAnswer CheckServerAnswers(const FaultReport& report,
                                const ServerStats& before,
                                const ServerStats& after,
                                OverflowPolicy overflow);

// --- Over a fleet (client_fleet.h, server_fleet.h) ------------------------
// Parent -> worker: FaultCommand (the plan's inputs, so every worker builds
// the same FaultPlan); the worker injects faults into its own connections
// (RunFaultCommand) and replies with its FaultReport.
struct FaultCommand {
  FaultMix mix;
  uint64_t seed = 0;
  int64_t connections = 0;  // the plan's global ids: [0, connections)
  OverflowPolicy overflow = OverflowPolicy::kDropMessage;
  uint64_t max_frame_size = uint64_t{1} << 20;
  uint32_t queue_byte_limit = uint32_t{1} << 20;
  int32_t shards = 1;
  int64_t deadline_ns = 0;
  std::string Encode() const;
  static bool Matches(std::string_view message);
  static absl::StatusOr<FaultCommand> Decode(std::string_view message);
};
std::string EncodeFaultReport(const FaultReport& report);
// The report, or the worker's "error: ..." reply as an Internal error.
absl::StatusOr<FaultReport> DecodeFaultReport(std::string_view message);

// In a worker: runs InjectFaults over the loop's connections, whose global
// ids are `ids` (ids[c] for connection c), and returns the reply to send
// (an encoded FaultReport, or "error: ...").
std::string RunFaultCommand(ClientLoop& loop, std::span<const int64_t> ids,
                            int worker, std::string_view message);

class ClientFleet;
class ServerFleet;

// In the parent, with every connection of the plan open and the workers
// running ConnectionWorkerMain: injects, sums the workers' reports, waits
// (at most gauge_wait_ms) for the servers' gauge to reach the connections
// left, and checks the servers' answers. Errors only when the fleet fails;
// unanswered faults are in ServerAnswer::problems.
struct FleetFaultResult {
  FaultReport report;  // summed over workers
  ServerAnswer answer;
};
absl::StatusOr<FleetFaultResult> InjectFleetFaults(ClientFleet& clients,
                                                   ServerFleet& servers,
                                                   const FaultCommand& command,
                                                   int gauge_wait_ms);

}  // namespace wsbench::e2e

#endif  // WSBENCH_BENCH_E2E_FAULT_INJECTOR_H_

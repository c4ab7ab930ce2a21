// The contract between the suite driver and one dimension's harness.
//
// A dimension (connections, messages, subscriptions, broadcast, permissions,
// compression, frames) provides a Workload per load level. The driver:
//   1. Setup(level, options)  untimed: builds the level's state and the whole
//                             deterministic operation sequence from the seed.
//   2. for each pass:
//        Reset()              untimed: back to the state right after Setup.
//        Run(begin, end) ...  timed: ops [begin, end) of the pass, in order.
//                             The throughput pass calls Run on a few large
//                             chunks; the latency pass calls Run(i, i + 1)
//                             with a clock around it for each op it times
//                             (and Run on the untimed ops between), or
//                             RunTimed(i, recorder) for a workload with
//                             latency_series() (see latency_pass.h).
//        Verify()             untimed: checks the pass's work (delivery
//                             counts, checksums, error counts); an error here
//                             fails the benchmark.
// Run must do the real work the server would do and leave its results where
// Verify (and benchmark::DoNotOptimize) can see them; it must not allocate on
// the hot path unless the server itself would.
//
// Dimensions register themselves from their bench/<dimension>_bench.cc:
//   WSBENCH_REGISTER_DIMENSION(broadcast, "deliveries", MakeBroadcastWorkload);
#ifndef WSBENCH_BENCH_WORKLOAD_H_
#define WSBENCH_BENCH_WORKLOAD_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "e2e/fault_mix.h"
#include "e2e/ramp.h"
#include "histogram.h"
#include "load_level.h"

namespace wsbench::bench {

// A latency series besides the op's own: a part of the work that runs on
// its own schedule, such as broadcast's queue drains after every 16th
// publish. Its figures are written as "<name>_p95_us" etc.
struct LatencySeries {
  std::string name;  // "drain"
  std::string unit;  // what one sample is: "per queue drain"
};

// The latency pass's clock and histograms, for a workload that times the
// parts of an op itself (Workload::RunTimed).
class LatencyRecorder {
 public:
  virtual ~LatencyRecorder() = default;
  // The calibrated clock (BenchClock ticks).
  virtual uint64_t Now() const = 0;
  // One sample read as t0 = Now() before the work and t1 = Now() after it,
  // of series 0 (the op's own part) or i > 0 (latency_series()[i - 1]).
  virtual void Record(int series, uint64_t t0, uint64_t t1) = 0;
};

struct WorkloadOptions {
  uint64_t seed = 0x5eed'2026;
  // Share of invalid client messages in the messages corpus.
  double invalid_share = 0.01;
  // End-to-end dimensions: when connection attempts start (--ramp*), and
  // the sockets one server or client process may hold (0: the hard
  // RLIMIT_NOFILE less a reserve).
  e2e::RampOptions ramp;
  int64_t e2e_connections_per_process = 0;
  // --e2e-target: another server listening on 127.0.0.1 at this port (taken
  // to be an echo server) instead of a forked wsbench server; 0: none.
  uint16_t e2e_target_port = 0;
  // Misbehaving clients among the connections (--faults; e2e_connections).
  e2e::FaultMix faults;
};

class Workload {
 public:
  virtual ~Workload() = default;

  virtual absl::Status Setup(const LoadLevel& level,
                             const WorkloadOptions& options) = 0;
  // Operations in one pass (usually level.ops; see ops_note()).
  virtual int64_t ops() const = 0;
  virtual absl::Status Reset() = 0;
  virtual void Run(int64_t begin, int64_t end) = 0;
  virtual absl::Status Verify() = 0;

  // Units of work per op for the secondary rate (deliveries per publish for
  // broadcast, bytes per op for compression/frames); 0 = none.
  virtual double items_per_op() const { return 0; }
  // How the op count relates to the level, when it differs (e.g.
  // "ops = level ops / 100"); empty when ops() == level.ops.
  virtual std::string ops_note() const { return {}; }
  // Extra figures measured by the harness (e.g. bytes_per_connection,
  // savings_pct), added as counters to the results.
  virtual void AddCounters(std::map<std::string, double>& counters) const {}

  // Latency series besides the op's own, for an op whose work includes a
  // part on another schedule; empty (the default) when the op is timed
  // whole.
  virtual std::vector<LatencySeries> latency_series() const { return {}; }
  // What the op's own latency covers when it is not the whole op (e.g.
  // "publish"); part of the latency rule recorded in results.json.
  virtual std::string latency_covers() const { return {}; }
  // Called instead of Run(i, i + 1) by the latency pass when
  // latency_series() is not empty: does exactly that op's work, recording
  // its own part as series 0 and the other parts in their series.
  virtual void RunTimed(int64_t i, LatencyRecorder& recorder) { Run(i, i + 1); }

  // For a workload whose ops run concurrently (connections opened over
  // sockets at once), so that no op can be timed alone: it records each op's
  // latency itself during the throughput passes, in picoseconds, into the
  // histogram returned here. The driver clears it before a repetition's
  // first pass, writes its percentiles after the last (instead of running
  // the latency pass) and records own_latency_rule() as the latency rule.
  // nullptr (the default): the latency pass runs.
  virtual Histogram* own_latency() { return nullptr; }
  virtual std::string own_latency_rule() const { return {}; }
  // The resolution of own_latency()'s samples in nanoseconds.
  virtual double own_latency_resolution_ns() const { return 1; }
  // True for a workload whose ops run concurrently and whose Run watches
  // StopRequested() itself: the throughput pass calls Run(0, ops()) once
  // instead of splitting it into chunks (which would cap the ops in
  // flight at a chunk's size).
  virtual bool run_whole_pass() const { return false; }
};

// True once the run was asked to stop (SIGINT, SIGTERM, SIGHUP). Setup and
// Reset loops that can take long at the highest levels check it every few
// thousand iterations and return StopStatus(), so a stop is seen within a
// fraction of a second; the driver then records the benchmark as
// interrupted, not failed.
bool StopRequested();
// Cancelled("interrupted").
absl::Status StopStatus();

using WorkloadFactory = std::unique_ptr<Workload> (*)();

struct Dimension {
  std::string_view name;        // "broadcast"
  std::string_view item_unit;   // unit of items_per_op(): "deliveries", "bytes", or ""
  WorkloadFactory factory;
  // Not in the default selection: runs only when --dimensions names it
  // (the end-to-end dimensions: sockets, forked processes, seconds). The
  // driver measures no memory bound for such a dimension (its time is the
  // kernel's and other processes').
  bool opt_in = false;
};

// Registered dimensions in registration order (the driver sorts them).
std::vector<Dimension>& Dimensions();
bool RegisterDimension(Dimension dimension);

}  // namespace wsbench::bench

#define WSBENCH_REGISTER_DIMENSION(name, item_unit, factory)        \
  static const bool wsbench_dimension_registered_##name =          \
      ::wsbench::bench::RegisterDimension({#name, item_unit, factory})

// A dimension that runs only when --dimensions names it.
#define WSBENCH_REGISTER_OPT_IN_DIMENSION(name, item_unit, factory) \
  static const bool wsbench_dimension_registered_##name =           \
      ::wsbench::bench::RegisterDimension({#name, item_unit, factory, true})

#endif  // WSBENCH_BENCH_WORKLOAD_H_

// Writing results.json: Google Benchmark's JSON format with wsbench's
// additions (context.wsbench, per-benchmark figures, "degradation").
//
// Layout written (more fields may be added, none removed; tools/results
// reads it):
//   {"context": {<Google Benchmark's context members>,
//                "wsbench": {"version", "complete", "partial_reason"?,
//                            "command_line", "seed", "repetitions",
//                            "invalid_share", "fingerprint": {...},
//                            "timer": {"source", "overhead_ns", "ticks_per_ns"},
//                            "wall_seconds", "peak_rss_bytes", "levels",
//                            "dimensions"}},
//    "benchmarks": [one "iteration" entry per repetition, then per
//                   benchmark the aggregates mean, median, stddev, cv, min,
//                   max ("run_type": "aggregate")],
//    "degradation": [{"dimension", "lowest_level", "highest_level", "pct",
//                     "bottleneck"}]}
// Strings are escaped per RFC 8259 section 7; non-finite numbers are null.
// A latency percentile below the timer's resolution is written as null with
// "<p>_below_resolution": true beside it (and "latency_resolution_us"), in
// repetitions and in the aggregates it decides; never as a number.
// WriteFileAtomically writes DIR/.name.tmp.PID, flushes and renames it over
// the target, so a reader sees the old file or the whole new one; on any
// failure the temporary file is removed.
#ifndef WSBENCH_BENCH_RESULTS_JSON_H_
#define WSBENCH_BENCH_RESULTS_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "fingerprint.h"
#include "results.h"

namespace wsbench::bench {

struct SuiteRunInfo {
  bool complete = true;
  std::string partial_reason;
  std::string command_line;
  uint64_t seed = 0;
  int repetitions = 0;
  double invalid_share = 0;
  Fingerprint fingerprint;
  std::string timer_source;
  double timer_overhead_ns = 0;
  double timer_ticks_per_ns = 0;
  double wall_seconds = 0;
  int64_t peak_rss_bytes = 0;
  std::vector<std::string> levels;
  std::vector<std::string> dimensions;
  // Google Benchmark's context members as JSON text ("\"date\": ..., ..."),
  // without braces; see GoogleBenchmarkContextMembers().
  std::string benchmark_context;
};

// "text" with quotes, backslashes and control characters escaped (no
// surrounding quotes).
std::string JsonEscape(std::string_view text);
// A JSON number for `value` (shortest round-trip form), "null" when not finite.
std::string JsonNumber(double value);

// The members Google Benchmark's JSON reporter writes in "context" (date,
// host_name, executable, num_cpus, mhz_per_cpu, cpu_scaling_enabled,
// caches, load_avg, library_build_type), as JSON member text.
std::string GoogleBenchmarkContextMembers();

// The whole document. Verdicts of the median and mean aggregates come from
// `thresholds` (none when nullptr); repetitions carry their own.
std::string ResultsJson(const SuiteRunInfo& info, const std::vector<BenchmarkResult>& results,
                        const std::vector<Degradation>& degradation,
                        const Thresholds* thresholds);

// Writes `content` to `path` through a temporary file in the same directory
// and a rename. Internal error naming the path when any step fails.
absl::Status WriteFileAtomically(const std::string& path, std::string_view content);

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_RESULTS_JSON_H_

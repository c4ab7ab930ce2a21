// What the report shows, computed from a results.json (read by
// record/results_file.h), an optional baseline, an optional wsbench-compare verdict
// file and the thresholds file (bench/thresholds.json).
//
// Data layout: Report owns the parsed run and flat vectors: one
// BenchmarkSummary per benchmark (medians over its repetitions, recomputed
// here because Google Benchmark 1.7's median is wrong for even counts), one
// DimensionSummary per dimension (indices into `benchmarks` in level order,
// its threshold bands), and one ChangeRow per (benchmark, metric) compared
// with the baseline. Building is O(benchmarks x repetitions); the result is
// a plain value (thread-compatible).
//
//   ReportInputs in;
//   in.run = &run;  in.thresholds = &thresholds;
//   absl::StatusOr<Report> report = BuildReport(in);
#ifndef WSBENCH_BENCH_REPORT_MODEL_H_
#define WSBENCH_BENCH_REPORT_MODEL_H_

#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "record/results_file.h"
#include "thresholds.h"

namespace wsbench::report {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Medians over a benchmark's successful repetitions (NaN when absent).
struct BenchmarkSummary {
  std::string name;       // "broadcast/medium"
  std::string dimension;  // "broadcast"
  std::string level;      // "medium"
  int level_index = 0;    // position in Report::levels
  int repetitions = 0;    // successful repetitions
  bool failed = false;
  std::string error_message;
  double ops_per_second = kNaN;
  double items_per_second = kNaN;
  double p50_us = kNaN;
  double p95_us = kNaN;
  double p99_us = kNaN;
  // Which of P50/P95/P99 have a median at or below the timer's resolution
  // (their value above is then NaN), and that resolution.
  bool p50_below = false;
  bool p95_below = false;
  bool p99_below = false;
  double latency_resolution_us = kNaN;
  std::string latency_rule;  // ResultsFile::LatencyRule: "single_op", ...
  double allocs_per_op = kNaN;
  double items_per_op = 0;
  std::string item_unit;  // "deliveries", "bytes" or ""
  std::string ops_note;   // "ops = level ops / 100"
  std::string verdict;    // "excellent" | "good" | "poor" | "none" | ""

  // The median of `key` ("p95_us", ...); NaN when unknown.
  double Value(std::string_view key) const;
};

struct DimensionSummary {
  std::string name;
  std::string item_unit;
  bool rate_is_items = false;  // the thresholds judge items/s, not ops/s
  std::optional<bench::Bands> throughput_bands;
  std::optional<bench::Bands> p95_bands;
  bool p95_per_item = false;
  std::vector<size_t> benchmarks;  // into Report::benchmarks, level order
  std::optional<record::Degradation> degradation;

  // "items_per_second" or "ops_per_second".
  std::string rate_key() const;
  // "deliveries/s", "bytes/s" or "ops/s".
  std::string rate_unit() const;
};

enum class ChangeClass { kRegressed, kImproved, kNoise, kNew, kMissing };
std::string_view ChangeClassName(ChangeClass c);

struct ChangeRow {
  std::string benchmark;
  std::string metric;         // "ops_per_second", "p95_us", ...
  std::string label;          // "throughput", "P95"
  bool higher_is_better = false;
  double base = kNaN;
  double next = kNaN;
  double change_pct = kNaN;   // (next / base - 1) x 100
  double p_value = -1;        // from the verdict file; -1 = none
  ChangeClass cls = ChangeClass::kNoise;
  bool gated = true;          // counts toward the gate (verdict file)
  std::string note;
};

// The gate's verdict (from wsbench-compare's JSON) or, without one, plain
// counts of changes beyond the noise band.
struct GateVerdict {
  bool statistical = false;   // true: read from a verdict file
  std::string source;         // the verdict file's path
  int regressions = 0;
  int improvements = 0;
  int exit_code = 0;
  bool time_gated = true;
  std::string base_revision;
  std::string new_revision;
  std::vector<std::string> fingerprint_mismatches;
  std::vector<std::string> notes;
};

// A differential flame graph of one benchmark (wsbench-flamegraph --diff),
// linked from the verdict: where the benchmark got slower.
struct DiffGraphLink {
  std::string benchmark;  // "subscriptions/light"
  std::string href;       // relative to the page, e.g. "diff/x/diff.svg"
  std::string summary;    // optional: the top of its growth list
};

struct Report {
  record::ResultsFile run;
  std::vector<std::string> levels;               // x axis, load-level order
  std::vector<BenchmarkSummary> benchmarks;
  std::vector<DimensionSummary> dimensions;
  std::string thresholds_source;                 // "" when no thresholds
  // Baseline (empty when none).
  bool has_baseline = false;
  std::string baseline_path;
  record::RunInfo baseline_info;
  std::map<std::string, BenchmarkSummary> baseline;  // by benchmark name
  std::vector<ChangeRow> changes;
  GateVerdict verdict;
  double noise_pct = 5;  // plain change %: |change| below this is noise
  std::vector<DiffGraphLink> diff_graphs;  // shown with the verdict
};

struct ReportInputs {
  const record::ResultsFile* run = nullptr;       // required
  const record::ResultsFile* baseline = nullptr;  // optional
  // wsbench-compare --json output (text) and its path; optional.
  const std::string* verdict_json = nullptr;
  std::string verdict_path;
  const bench::Thresholds* thresholds = nullptr;   // optional
  std::string thresholds_path;
  double noise_pct = 5;
  std::vector<DiffGraphLink> diff_graphs;          // optional
};

// Builds the report. InvalidArgument when `run` is null or holds no
// benchmarks, or the verdict text is not a wsbench-compare verdict (the
// message names the file and the field).
absl::StatusOr<Report> BuildReport(const ReportInputs& inputs);


}  // namespace wsbench::report

#endif  // WSBENCH_BENCH_REPORT_MODEL_H_

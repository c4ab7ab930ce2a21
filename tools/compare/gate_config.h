// The regression gate's configuration: which metrics are compared, how each
// is judged (statistically for time, exactly for deterministic counts), and
// where time is too noisy to gate. Read from a JSON file kept in the repo
// (tools/compare/gate.json); every field has a default (DefaultGateConfig).
//
//   {"alpha": 0.05, "confidence": 0.95, "bootstrap_iterations": 10000,
//    "bootstrap_seed": 20261122, "min_repetitions": 3,
//    "baseline_min_repetitions": 5, "fail_on_missing": false,
//    "time_gate": {"levels": ["low", "medium"], "min_pass_ms": 1.0,
//                  "max_contention": 1.3},
//    "metrics": [{"key": "p95_us", "label": "P95", "better": "lower",
//                 "kind": "time", "threshold_pct": 20}, ...]}
//   (a deterministic metric may say "statistic": "min" or "median")
//
// Keys starting with "_" are comments and ignored; any other unknown key is
// an error (a typo in the gate must not silently disable it).
// Data layout: plain values and a vector of MetricSpec. Thread-safe as a value.
#ifndef WSBENCH_TOOLS_COMPARE_GATE_CONFIG_H_
#define WSBENCH_TOOLS_COMPARE_GATE_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace wsbench::compare {

enum class MetricKind {
  kTime,           // noisy: judged over repetitions (U test + bootstrap CI)
  kDeterministic,  // repeatable counts (allocs/op, instructions/op): exact
};

struct MetricSpec {
  std::string key;    // numeric field in results.json, e.g. "p95_us"
  std::string label;  // column text, e.g. "P95"
  std::string unit;   // display unit: "ops/s", "us", "allocs", "instr"
  bool higher_is_better = false;
  MetricKind kind = MetricKind::kTime;
  // kTime: the whole confidence interval of new/base must lie beyond
  // +-threshold_pct (and the U test be significant) for a verdict.
  double threshold_pct = 10;
  // Threshold for paired A/B runs (`ab`), which are far less noisy than a
  // stored baseline; defaults to threshold_pct / 2.
  double ab_threshold_pct = 5;
  // kDeterministic: new may exceed base by tolerance_pct % + tolerance_abs.
  double tolerance_pct = 0;
  double tolerance_abs = 0;
  // kDeterministic: which value of the repetitions is compared. "min" is
  // the steady state (a process's first repetition also counts first-touch
  // growth, so the median would depend on the repetition count).
  bool use_min = false;
};

struct GateConfig {
  double alpha = 0.05;
  double confidence = 0.95;
  int bootstrap_iterations = 10'000;
  uint64_t bootstrap_seed = 20261122;
  // Fewer repetitions than this on either side: time shown, not gated.
  int min_repetitions = 3;
  // save-baseline refuses runs with fewer repetitions.
  int baseline_min_repetitions = 5;
  // A benchmark in the base but not in the new run fails the gate.
  bool fail_on_missing = false;
  // Time is gated only at these levels (empty = all levels) ...
  std::vector<std::string> time_levels;
  // ... and only when the measured pass (ops / ops_per_second) lasts at
  // least this long; shorter passes are dominated by timer and scheduler
  // noise on a shared machine.
  double min_pass_ms = 0;
  // ... and only when neither run was starved of CPU: the median over a
  // run's repetitions of real_time / cpu_time (1.0 on an idle machine; 3-8
  // measured here with the load average at 13 on 2 cores) must not exceed
  // this. A busy machine moves even CPU time by 2x, so such a run's time
  // metrics are shown, not gated. 0 = no check.
  double max_contention = 0;
  // ... and only on repetitions measured while the machine ran at the
  // baseline's speed: a repetition whose machine probe (`probe_ns`, see
  // bench/machine_probe.h) differs from the same benchmark's median probe
  // in the base run by more than this fraction is left out of the time statistics, on both
  // sides. A noisy neighbour slowed every benchmark of a process by 35%
  // here without showing in real_time / cpu_time. 0 = no check.
  double max_probe_drift = 0;
  std::vector<MetricSpec> metrics;
};

// Throughput, P50/P95/P99, allocs/op and instructions/op with the defaults
// tools/compare/gate.json documents.
GateConfig DefaultGateConfig();

// Parses a gate config; fields absent from `json` keep DefaultGateConfig()'s
// values ("metrics", when present, replaces the list). InvalidArgument
// naming `source` and the field on malformed JSON, unknown keys, or values
// out of range (alpha and confidence in (0, 1), thresholds >= 0, ...).
absl::StatusOr<GateConfig> ParseGateConfig(std::string_view json,
                                           std::string_view source);
absl::StatusOr<GateConfig> ReadGateConfig(const std::string& path);

}  // namespace wsbench::compare

#endif  // WSBENCH_TOOLS_COMPARE_GATE_CONFIG_H_

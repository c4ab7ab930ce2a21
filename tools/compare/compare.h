// Comparing two wsbench runs benchmark by benchmark and metric by metric:
// the logic behind `wsbench-compare` and the CI gate.
//
// Time metrics (throughput, P50/P95/P99) vary run to run, so each is judged
// over the repetitions: a two-sided exact Mann-Whitney U test and a
// fixed-seed bootstrap confidence interval of the ratio of medians
// (new / base). A regression needs BOTH p < alpha AND the whole interval
// beyond the metric's threshold (criterion's noise floor), and only counts
// ("gated") when the fingerprints match, both sides have enough
// repetitions, the level is time-gated and the pass is long enough to
// measure (GateConfig). Deterministic metrics (allocs/op, instructions/op)
// are compared by their medians against a small stated tolerance and are
// gated even when fingerprints differ; instructions/op whenever the two
// code paths (code_path.h) are equal, whatever the host CPU.
//
// CompareAb() judges interleaved A/B runs (`--ab REV`): per pair the ratio
// of medians, then the geometric mean of the ratios with a bootstrap
// interval and an exact Wilcoxon signed-rank test of the log ratios.
//
// Data layout: Comparison holds one MetricRow per (benchmark, metric) in
// base order (then benchmarks only in the new run). Pure functions of their
// inputs; thread-safe.
//
//   Comparison c = Compare(base, next, DefaultGateConfig());
//   std::cout << RenderTerminal(c, /*color=*/false);
//   return ExitCode(c);  // 0 nothing regressed, 1 regression
#ifndef WSBENCH_TOOLS_COMPARE_COMPARE_H_
#define WSBENCH_TOOLS_COMPARE_COMPARE_H_

#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "code_path.h"
#include "gate_config.h"
#include "record/results_file.h"

namespace wsbench::compare {

enum class Verdict { kImproved, kUnchanged, kRegressed, kNew, kMissing };
std::string_view VerdictName(Verdict v);  // "improved", "unchanged", ...

struct MetricRow {
  std::string benchmark;  // "broadcast/medium"
  std::string metric;     // key, "p95_us"; "-" for a whole new/missing benchmark
  std::string label;      // "P95"
  std::string unit;
  MetricKind kind = MetricKind::kTime;
  bool higher_is_better = false;
  double base = 0;        // median over the base repetitions (NaN if none)
  double next = 0;        // median over the new repetitions (NaN if none)
  double change_pct = 0;  // (next / base - 1) * 100
  double p_value = -1;    // U (or Wilcoxon) test; -1 when not applicable
  double ci_lo_pct = 0;   // confidence interval of the change, in %
  double ci_hi_pct = 0;
  bool has_ci = false;
  int base_n = 0;
  int next_n = 0;
  Verdict verdict = Verdict::kUnchanged;
  // Counts toward the exit code. A regressed row that is not gated is shown
  // with the reason in `note`.
  bool gated = true;
  std::string note;
};

struct Comparison {
  std::string mode = "baseline";  // "baseline" or "ab"
  std::string base_path;
  std::string next_path;
  std::string base_revision;
  std::string next_revision;
  std::vector<std::string> fingerprint_mismatches;  // non-empty: time not gated
  // Why instructions/op are not gated ("simdjson: icelake -> haswell"), one
  // line per differing field of the code path; empty when they are.
  std::vector<std::string> code_path_differences;
  // Set when nothing could be compared (no benchmark matched, or no row
  // counts toward the verdict): the exit code is then 2, not a PASS.
  std::string no_comparison;
  double base_contention = 0;  // Contention() of each side (NaN if unknown)
  double next_contention = 0;
  bool busy = false;           // a side exceeded max_contention: time not gated
  // The machine probe (median probe_ns over the base run's repetitions;
  // NaN when the base has none or the check is off) and how many
  // repetitions of each side's time rows were left out for drifting from it.
  double base_probe_ns = std::numeric_limits<double>::quiet_NaN();
  double next_probe_ns = std::numeric_limits<double>::quiet_NaN();  // new run's median
  int probe_dropped_base = 0;  // benchmark repetitions left out
  int probe_dropped_next = 0;
  int probe_total_base = 0;    // repetitions considered (throughput rows)
  int probe_total_next = 0;
  int probe_ungated_rows = 0;  // time rows with too few repetitions left
  std::vector<MetricRow> rows;
  std::vector<std::string> notes;  // one line each, printed under the table
  int regressions = 0;             // gated regressed rows (+ missing if fatal)
  int improvements = 0;
  int compared_benchmarks = 0;
};

// The median over `file`'s repetitions of real_time / cpu_time: about 1 when
// the benchmark had a CPU to itself, larger when it waited for one. NaN when
// the file has no such figures.
double Contention(const record::ResultsFile& file);

// probe_ns (the machine probe timed around each repetition) of every
// repetition of `file` that has one, in file order.
std::vector<double> RepetitionProbes(const record::ResultsFile& file);

// The median of RepetitionProbes(file), NaN when the file has none.
double MedianProbeNs(const record::ResultsFile& file);
// The median probe over the repetitions of benchmark `name`, NaN when none
// has one.
double MedianProbeNs(const record::ResultsFile& file, const std::string& name);

// Compares `next` against `base` under `config`.
Comparison Compare(const record::ResultsFile& base,
                   const record::ResultsFile& next, const GateConfig& config);

// Judges interleaved runs: pairs[i] = {A_i, B_i} with A the base revision.
// Requires at least one pair (the caller checks).
Comparison CompareAb(
    const std::vector<std::pair<const record::ResultsFile*,
                                const record::ResultsFile*>>& pairs,
    const GateConfig& config);

// 1 when any gated row regressed (or a benchmark is missing and
// config.fail_on_missing); else 2 when nothing was compared
// (c.no_comparison says why); else 0.
int ExitCode(const Comparison& c);

}  // namespace wsbench::compare

#endif  // WSBENCH_TOOLS_COMPARE_COMPARE_H_

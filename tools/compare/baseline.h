// Baselines: stored results a run is gated against (baselines/<profile>.json,
// e.g. baselines/ci.json for the CI machine).
//
// A baseline is a results.json from a COMPLETE run with enough repetitions,
// optionally with the instruction counts of the same build merged in
// (each benchmark entry gains "instructions_per_op"). It is written only by
// `wsbench-compare save-baseline`, atomically (temporary file + rename), so a
// crash never leaves a truncated baseline.
//
// Data layout: none of its own; operates on record::ResultsFile values.
// Thread-safe (pure functions, except SaveBaseline's file I/O).
//
//   WSBENCH_RETURN_IF_ERROR(SaveBaseline("out/results.json",
//                                        "out/instructions.json",
//                                        "baselines/ci.json", config));
#ifndef WSBENCH_TOOLS_COMPARE_BASELINE_H_
#define WSBENCH_TOOLS_COMPARE_BASELINE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gate_config.h"
#include "record/results_file.h"

namespace wsbench::compare {

// OK when `run` may become a baseline; otherwise FailedPrecondition naming
// the file and the reason: a partial/interrupted run (complete == false), an
// instructions-only file, no benchmarks, a run of a tree with uncommitted
// changes (its revision would not rebuild it), a failed benchmark, or fewer than
// config.baseline_min_repetitions repetitions (declared or actually present
// for some benchmark).
absl::Status CheckBaselineCandidate(const record::ResultsFile& run,
                                    const GateConfig& config);

// `results` with "instructions_per_op" from `instructions` (a file written
// by tools/instructions) set on every entry of the same benchmark name;
// benchmarks only in `instructions` are appended as single iteration entries.
// FailedPrecondition when the two were not produced by the same build
// configuration (compiler, cxx_flags or build_type differ; the git revision
// is read from the tree at run time, so it is not a build identity) or when
// `instructions` is not an instructions file.
absl::StatusOr<record::ResultsFile> MergeInstructions(
    record::ResultsFile results, const record::ResultsFile& instructions);

// Pools several runs of the same build (e.g. `wsbench --quick` run three
// times as separate processes) into one results file: every kIteration
// entry, renumbered (repetition_index 0..N-1 per benchmark), aggregates
// recomputed from the pooled repetitions (mean, median, stddev, cv, min,
// max), repetitions summed; context and degradation from the first run.
// Separate processes capture the between-process variance (memory layout,
// co-tenants) that repetitions inside one process do not, so the gate's
// intervals are honest. FailedPrecondition when a run is partial or the
// runs' fingerprints (including git revision) differ; InvalidArgument for
// no runs.
absl::StatusOr<record::ResultsFile> MergeRuns(
    const std::vector<record::ResultsFile>& runs);

// A baseline is the reference machine speed for every later gate, so it
// keeps only repetitions measured at the machine's unhindered speed: those
// whose machine probe (probe_ns) is within config.max_probe_drift of the
// 10th percentile of the same benchmark's probes (a neighbour only ever
// slows the probe; the workload before it moves it, so the reference is per
// benchmark). Aggregates are recomputed over what is kept. FailedPrecondition
// when a benchmark keeps fewer than config.baseline_min_repetitions. A run
// without probes, or max_probe_drift 0, is returned as it is.
absl::StatusOr<record::ResultsFile> KeepUnhinderedRepetitions(
    record::ResultsFile run, const GateConfig& config);

// Reads `results_path` (and `instructions_path` unless empty), checks it
// with CheckBaselineCandidate, keeps the unhindered repetitions, merges the
// instruction counts, and writes `out_path` atomically.
absl::Status SaveBaseline(const std::string& results_path,
                          const std::string& instructions_path,
                          const std::string& out_path, const GateConfig& config);

}  // namespace wsbench::compare

#endif  // WSBENCH_TOOLS_COMPARE_BASELINE_H_

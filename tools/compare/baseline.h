// Baselines: stored results a run is gated against (baselines/<profile>.json,
// e.g. baselines/ci.json for the CI machine).
//
// A baseline is a results.json from a COMPLETE run with enough repetitions,
// optionally with the instruction counts of the same build merged in
// (each benchmark entry gains "instructions_per_op"). It is written only by
// `wsbench-compare save-baseline`, atomically (temporary file + rename), so a
// crash never leaves a truncated baseline.
//
// Data layout: none of its own; operates on results::ResultsFile values.
// Thread-safe (pure functions, except SaveBaseline's file I/O).
//
//   WSBENCH_RETURN_IF_ERROR(SaveBaseline("out/results.json",
//                                        "out/instructions.json",
//                                        "baselines/ci.json", config));
#ifndef WSBENCH_TOOLS_COMPARE_BASELINE_H_
#define WSBENCH_TOOLS_COMPARE_BASELINE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gate_config.h"
#include "results_file.h"

namespace wsbench::compare {

// OK when `run` may become a baseline; otherwise FailedPrecondition naming
// the file and the reason: a partial/interrupted run (complete == false), an
// instructions-only file, no benchmarks, a failed benchmark, or fewer than
// config.baseline_min_repetitions repetitions (declared or actually present
// for some benchmark).
absl::Status CheckBaselineCandidate(const results::ResultsFile& run,
                                    const GateConfig& config);

// `results` with "instructions_per_op" from `instructions` (a file written
// by tools/instructions) set on every entry of the same benchmark name;
// benchmarks only in `instructions` are appended as single iteration entries.
// FailedPrecondition when the two were not produced by the same build
// (compiler, cxx_flags, build_type or git_revision differ) or when
// `instructions` is not an instructions file.
absl::StatusOr<results::ResultsFile> MergeInstructions(
    results::ResultsFile results, const results::ResultsFile& instructions);

// Reads `results_path` (and `instructions_path` unless empty), checks it
// with CheckBaselineCandidate, merges, and writes `out_path` atomically.
absl::Status SaveBaseline(const std::string& results_path,
                          const std::string& instructions_path,
                          const std::string& out_path, const GateConfig& config);

}  // namespace wsbench::compare

#endif  // WSBENCH_TOOLS_COMPARE_BASELINE_H_

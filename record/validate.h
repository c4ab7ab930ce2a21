// Checking that a results file is a sane record of a finished run before a
// tool trusts it: the reader (results_file.h) checks shapes and types; this
// checks meaning.
//
// CheckRun rejects, naming the file, the JSON path and what is wrong:
//   - no benchmarks at all;
//   - a partial run (context.wsbench.complete false) unless allowed;
//   - a failed benchmark (an entry with "error_occurred": true);
//   - a dimension or level that context.wsbench lists but no entry has;
//   - an iteration entry without real_time or cpu_time, or with a time, a
//     rate, a percentile, probe_ns or instructions_per_op that is not a
//     positive finite number (allocs_per_op and items_per_second may be 0);
//   - two iteration entries with the same run_name and repetition_index, or
//     two aggregates with the same run_name and aggregate_name;
//   - with require_probe, an iteration entry without a positive probe_ns.
// CheckCovers rejects a NEW run lacking a benchmark BASE has at one of the
// levels NEW ran (a deleted dimension or benchmark must not pass a gate).
// Instruction-count files (kind "instructions") carry no times and are
// checked for duplicates, failures and instructions_per_op only.
// O(n log n) in the number of entries; pure.
//
//   if (absl::Status s = CheckRun(file, {}); !s.ok()) { ... exit 2 ... }
#ifndef WSBENCH_RECORD_VALIDATE_H_
#define WSBENCH_RECORD_VALIDATE_H_

#include "absl/status/status.h"
#include "record/results_file.h"

namespace wsbench::record {

struct CheckOptions {
  bool allow_partial = false;
  bool require_probe = false;
};

// InvalidArgument "FILE: JSON.PATH: what is wrong" for the first problem.
absl::Status CheckRun(const ResultsFile& file, const CheckOptions& options);

// InvalidArgument naming NEW's file and the benchmark it lacks.
absl::Status CheckCovers(const ResultsFile& base, const ResultsFile& next);

}  // namespace wsbench::record

#endif  // WSBENCH_RECORD_VALIDATE_H_

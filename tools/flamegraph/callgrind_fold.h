// Approximate folded stacks from a callgrind profile (callgrind.out.PID).
//
// Callgrind records exact costs per function (self) and per call edge
// (inclusive cost of caller -> callee), not whole stacks. This expands the
// call graph from its roots (functions nobody calls): a function reached with
// cost C along a path gets C / inclusive(f) of its self cost and of each of its
// outgoing edges, recursively (gprof's proportional assumption). Totals and
// each function's self cost summed over paths are exact; the split of a
// function's cost between different callers is an estimate. Recursion
// (a strongly connected component of the call graph, which also catches
// distinct functions callgrind names alike, like glibc's "(below main)") is
// collapsed: its edges inside the cycle repeat cost and are ignored, its
// members are drawn one level above the entry function; branches below
// 1/20000 of the total end as leaves.
//
// Reads the format of valgrind's docs ("Callgrind Format Specification"):
// name compression `(id) name`, `calls=` lines whose next cost line is the
// call's inclusive cost, relative positions (+N, -N, *), several `part:`s.
// Only the first event column (normally Ir) is used.
//
// Complexity: linear in the file; expansion bounded by depth 128 and the
// pruning threshold. Pure functions.
//
//   absl::StatusOr<FoldedStacks> stacks = FoldCallgrind(text);
#ifndef WSBENCH_TOOLS_FLAMEGRAPH_CALLGRIND_FOLD_H_
#define WSBENCH_TOOLS_FLAMEGRAPH_CALLGRIND_FOLD_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "folded_stacks.h"

namespace wsbench::flamegraph {

// Folds callgrind output text. Errors: InvalidArgument when the text is not
// callgrind output (no `events:` line), a cost line is malformed or holds a
// negative or non-finite cost (line number given), no cost was recorded, or
// the costs add up to more than INT64_MAX.
absl::StatusOr<FoldedStacks> FoldCallgrind(std::string_view text,
                                           const FoldOptions& options = {});

}  // namespace wsbench::flamegraph

#endif  // WSBENCH_TOOLS_FLAMEGRAPH_CALLGRIND_FOLD_H_

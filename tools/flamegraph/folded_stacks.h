// Folded call stacks: the flame graph's input, and the folding of
// `perf script` output into it.
//
// A folded stack is one line `root;caller;...;leaf COUNT` (Brendan Gregg's
// format, as written by stackcollapse-perf.pl). FoldedStacks keeps them as an
// ordered map from the `;`-joined frames (root first) to a sample count, so
// equal stacks merge and the output order is deterministic.
//
// Complexity: folding is linear in the input size (plus a map insertion per
// sample, O(log distinct stacks)). Not thread-safe to mutate concurrently;
// the functions here are pure.
//
//   absl::StatusOr<FoldedStacks> stacks = FoldPerfScript(perf_script_text);
//   std::string text = FormatFolded(*stacks);   // "main;Run;Publish 42\n..."
#ifndef WSBENCH_TOOLS_FLAMEGRAPH_FOLDED_STACKS_H_
#define WSBENCH_TOOLS_FLAMEGRAPH_FOLDED_STACKS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace wsbench::flamegraph {

// `;`-joined frames, root first -> samples (or any additive cost).
using FoldedStacks = std::map<std::string, int64_t>;

struct FoldOptions {
  // Drop function arguments from demangled C++ names ("f(int, char)" -> "f"),
  // keeping template arguments. Makes frames narrower and merges overloads.
  bool strip_arguments = true;
  // Prefix every stack with the process name (the sample's `comm`).
  bool include_comm = false;
};

// Folds the text of `perf script` (default fields, recorded with -g): each
// sample is a header line (`comm pid time: period event:`) followed by one
// indented line per frame, leaf first (`addr symbol+0xoff (dso)`), and a blank
// line. Unknown symbols become `[dso]` (or `[unknown]`); kernel frames get a
// `_[k]` suffix; `;` in names becomes `:`. Each sample counts 1.
// Errors: InvalidArgument when a frame line comes before any sample header or
// the text holds no samples at all.
absl::StatusOr<FoldedStacks> FoldPerfScript(std::string_view text,
                                            const FoldOptions& options = {});

// Parses folded text: one `stack COUNT` per line (blank lines ignored).
// Errors: InvalidArgument naming the line when a line has no count, a count
// that is not a non-negative integer, an empty stack, or counts that add up
// to more than INT64_MAX.
absl::StatusOr<FoldedStacks> ParseFolded(std::string_view text);

// Writes `stack COUNT\n` per entry, in map order. Inverse of ParseFolded.
std::string FormatFolded(const FoldedStacks& stacks);

// Sum of all counts.
int64_t TotalCount(const FoldedStacks& stacks);

// Removes a demangled C++ function's argument list (and trailing qualifiers
// such as ` const`), keeping template arguments and `operator()`:
// "ns::A<int>::f(int) const" -> "ns::A<int>::f". Used by FoldPerfScript.
std::string StripArguments(std::string_view symbol);

}  // namespace wsbench::flamegraph

#endif  // WSBENCH_TOOLS_FLAMEGRAPH_FOLDED_STACKS_H_

// The call tree a flame graph draws: folded stacks merged by common prefix.
//
// Node 0 is the root ("all"); every other node is one frame under its
// parent, and its counts are inclusive: the sum of the stacks that pass
// through it. A tree holds one or two count columns: `count` (the profile
// drawn) and, for differential graphs, `base_count` (the profile compared
// against), merged so that a stack present in only one input still gets a
// node. Nodes live in one vector and refer to each other by index, and every
// walk is a loop, so stacks tens of thousands of frames deep cost memory, not
// call stack.
//
// Complexity: building is O(total frames * log siblings); Preorder is
// O(nodes). Immutable once built; thread-compatible.
//
//   absl::StatusOr<CallTree> tree = CallTree::Build(stacks);
//   for (int id : tree->Preorder()) Draw(tree->node(id));
#ifndef WSBENCH_TOOLS_FLAMEGRAPH_CALL_TREE_H_
#define WSBENCH_TOOLS_FLAMEGRAPH_CALL_TREE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "folded_stacks.h"

namespace wsbench::flamegraph {

struct CallTreeNode {
  std::string name;
  int parent = -1;            // -1 for the root
  int depth = 0;              // 0 for the root
  int64_t count = 0;          // inclusive count in the drawn profile
  int64_t base_count = 0;     // inclusive count in the base profile (diffs)
  std::vector<int> children;  // sorted by name
};

class CallTree {
 public:
  // Merges `stacks` (and `base`, when given, into base_count). Stacks with a
  // count of 0 or less are skipped; empty frames (";;") are ignored.
  // Errors: OutOfRange when the counts of either input add up to more than
  // INT64_MAX (the message says which input).
  static absl::StatusOr<CallTree> Build(const FoldedStacks& stacks,
                                        const FoldedStacks* base = nullptr);

  const CallTreeNode& node(int id) const { return nodes_[id]; }
  const CallTreeNode& root() const { return nodes_[0]; }
  int size() const { return static_cast<int>(nodes_.size()); }

  // Node ids parents first, children in name order (the drawing order).
  std::vector<int> Preorder() const;

 private:
  std::vector<CallTreeNode> nodes_;
};

}  // namespace wsbench::flamegraph

#endif  // WSBENCH_TOOLS_FLAMEGRAPH_CALL_TREE_H_

#include "call_tree.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"

namespace wsbench::flamegraph {

absl::StatusOr<CallTree> CallTree::Build(const FoldedStacks& stacks,
                                         const FoldedStacks* base) {
  CallTree tree;
  tree.nodes_.emplace_back().name = "all";
  // (parent id, frame name) -> child id, while building.
  std::map<std::pair<int, std::string>, int, std::less<>> index;

  auto add = [&](const FoldedStacks& input, bool is_base) -> absl::Status {
    int64_t total = 0;
    for (const auto& [stack, count] : input) {
      if (count <= 0) continue;
      if (__builtin_add_overflow(total, count, &total)) {
        return absl::OutOfRangeError(fmt::format(
            "the {}counts add up to more than {} (64-bit overflow)",
            base == nullptr ? ""
                            : (is_base ? "base profile's " : "new profile's "),
            std::numeric_limits<int64_t>::max()));
      }
      // Prefix sums of one stack never exceed the total, so the per-node
      // additions below cannot overflow.
      int id = 0;
      (is_base ? tree.nodes_[0].base_count : tree.nodes_[0].count) += count;
      size_t start = 0;
      std::string_view s = stack;
      while (start <= s.size()) {
        size_t end = s.find(';', start);
        if (end == std::string_view::npos) end = s.size();
        std::string_view frame = s.substr(start, end - start);
        start = end + 1;
        if (frame.empty()) continue;
        auto key = std::make_pair(id, std::string(frame));
        auto it = index.find(key);
        if (it == index.end()) {
          int child = static_cast<int>(tree.nodes_.size());
          CallTreeNode node;
          node.name = key.second;
          node.parent = id;
          node.depth = tree.nodes_[id].depth + 1;
          tree.nodes_.push_back(std::move(node));
          tree.nodes_[id].children.push_back(child);
          it = index.emplace(std::move(key), child).first;
        }
        id = it->second;
        (is_base ? tree.nodes_[id].base_count : tree.nodes_[id].count) += count;
      }
    }
    return absl::OkStatus();
  };
  if (absl::Status s = add(stacks, false); !s.ok()) return s;
  if (base != nullptr) {
    if (absl::Status s = add(*base, true); !s.ok()) return s;
  }
  for (CallTreeNode& node : tree.nodes_) {
    std::sort(node.children.begin(), node.children.end(), [&](int a, int b) {
      return tree.nodes_[a].name < tree.nodes_[b].name;
    });
  }
  return tree;
}

std::vector<int> CallTree::Preorder() const {
  std::vector<int> order;
  order.reserve(nodes_.size());
  std::vector<int> pending = {0};
  while (!pending.empty()) {
    int id = pending.back();
    pending.pop_back();
    order.push_back(id);
    const std::vector<int>& children = nodes_[id].children;
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      pending.push_back(*it);
    }
  }
  return order;
}

}  // namespace wsbench::flamegraph

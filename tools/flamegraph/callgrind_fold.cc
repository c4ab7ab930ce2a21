#include "callgrind_fold.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"

namespace wsbench::flamegraph {
namespace {

constexpr int kMaxDepth = 128;
constexpr double kPruneShare = 1.0 / 20000;

struct Graph {
  std::vector<std::string> names;
  std::unordered_map<std::string, int> index;  // name -> function id
  std::vector<double> self;
  std::vector<std::map<int, double>> calls;  // caller -> callee -> inclusive
  std::vector<bool> called;

  int Intern(const std::string& name) {
    auto [it, inserted] = index.emplace(name, static_cast<int>(names.size()));
    if (inserted) {
      names.push_back(name);
      self.push_back(0);
      calls.emplace_back();
      called.push_back(false);
    }
    return it->second;
  }
};

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Parses one cost line's first event value after `positions` position
// columns. Returns false when the line is malformed.
bool ParseCost(std::string_view line, int positions, double& cost) {
  size_t pos = 0;
  int column = 0;
  cost = 0;
  while (pos < line.size()) {
    size_t start = line.find_first_not_of(" \t", pos);
    if (start == std::string_view::npos) break;
    size_t end = line.find_first_of(" \t", start);
    if (end == std::string_view::npos) end = line.size();
    std::string_view token = line.substr(start, end - start);
    if (column < positions) {
      // +N, -N, *, decimal or 0x hex: only checked, not needed for stacks.
      if (!(token == "*" || token[0] == '+' || token[0] == '-' ||
            (token[0] >= '0' && token[0] <= '9'))) {
        return false;
      }
    } else {
      char* endp = nullptr;
      std::string copy(token);
      double v = std::strtod(copy.c_str(), &endp);
      if (endp == copy.c_str() || *endp != '\0') return false;
      if (!std::isfinite(v) || v < 0) return false;
      cost = v;
      return true;
    }
    ++column;
    pos = end;
  }
  return column >= positions;  // no event columns: cost 0
}

// Strongly connected components (Tarjan, iterative): recursion, including
// cycles through functions callgrind gives the same name (such as the two
// "(below main)" frames of glibc), forms one component whose internal call
// edges double-count cost. Expansion treats a component as one unit.
std::vector<int> Components(const Graph& graph, int& count) {
  const int n = static_cast<int>(graph.names.size());
  std::vector<int> index(n, -1), low(n, 0), comp(n, -1), stack;
  std::vector<bool> on_stack(n, false);
  int next_index = 0;
  count = 0;
  struct Frame {
    int fn;
    std::map<int, double>::const_iterator it;
  };
  for (int start = 0; start < n; ++start) {
    if (index[start] >= 0) continue;
    std::vector<Frame> dfs;
    auto push = [&](int f) {
      index[f] = low[f] = next_index++;
      stack.push_back(f);
      on_stack[f] = true;
      dfs.push_back({f, graph.calls[f].begin()});
    };
    push(start);
    while (!dfs.empty()) {
      Frame& top = dfs.back();
      if (top.it != graph.calls[top.fn].end()) {
        int g = top.it->first;
        ++top.it;
        if (index[g] < 0) {
          push(g);
        } else if (on_stack[g]) {
          low[top.fn] = std::min(low[top.fn], index[g]);
        }
        continue;
      }
      int f = top.fn;
      dfs.pop_back();
      if (!dfs.empty())
        low[dfs.back().fn] = std::min(low[dfs.back().fn], low[f]);
      if (low[f] == index[f]) {
        int g;
        do {
          g = stack.back();
          stack.pop_back();
          on_stack[g] = false;
          comp[g] = count;
        } while (g != f);
        ++count;
      }
    }
  }
  return comp;
}

struct Expander {
  explicit Expander(const Graph& g) : graph(g) {}

  const Graph& graph;
  std::vector<int> comp;                  // function -> component
  std::vector<std::vector<int>> members;  // component -> functions
  std::vector<double> weight;             // component: self costs + calls out
  double threshold = 0;
  std::map<std::string, double> folded;
  std::vector<bool> on_path;  // by component
  std::string path;

  void Init() {
    int count = 0;
    comp = Components(graph, count);
    members.assign(count, {});
    weight.assign(count, 0);
    on_path.assign(count, false);
    for (size_t f = 0; f < graph.names.size(); ++f) {
      int c = comp[f];
      members[c].push_back(static_cast<int>(f));
      weight[c] += graph.self[f];
      for (const auto& [g, cost] : graph.calls[f]) {
        if (comp[g] != c) weight[c] += cost;
      }
    }
  }

  // Expands `fn` (entering its component) reached with `cost` along `path`.
  void Expand(int fn, double cost, int depth) {
    const int c = comp[fn];
    if (weight[c] <= 0 || cost <= 0) return;
    const double share = cost / weight[c];
    on_path[c] = true;
    const size_t base = path.size();
    for (int m : members[c]) {
      // Other members of a recursive component are drawn as one level above
      // the entry function, with their own self cost and calls out.
      if (m != fn) {
        path += ';';
        path += graph.names[m];
      }
      if (graph.self[m] > 0) folded[path] += graph.self[m] * share;
      for (const auto& [callee, edge] : graph.calls[m]) {
        if (comp[callee] == c) continue;  // inside the component: counted above
        double part = edge * share;
        if (part <= 0) continue;
        size_t mark = path.size();
        path += ';';
        path += graph.names[callee];
        if (on_path[comp[callee]] || depth + 1 >= kMaxDepth ||
            part < threshold) {
          folded[path] += part;  // depth or size cut: a leaf
        } else {
          Expand(callee, part, depth + 1);
        }
        path.resize(mark);
      }
      path.resize(base);
    }
    on_path[c] = false;
  }
};

}  // namespace

absl::StatusOr<FoldedStacks> FoldCallgrind(std::string_view text,
                                           const FoldOptions& options) {
  Graph graph;
  std::unordered_map<std::string, std::string> fn_ids;  // "(12)" -> name
  int positions = 1;
  bool saw_events = false;
  int current = -1, callee = -1;
  bool pending_call = false;

  auto resolve = [&](std::string_view spec) -> std::string {
    // "(id) name" defines, "(id)" refers, "name" is uncompressed.
    if (!spec.empty() && spec.front() == '(') {
      size_t close = spec.find(')');
      if (close != std::string_view::npos) {
        std::string id(spec.substr(0, close + 1));
        std::string_view rest = spec.substr(close + 1);
        while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        if (rest.empty()) {
          auto it = fn_ids.find(id);
          return it == fn_ids.end() ? id : it->second;
        }
        std::string name =
            options.strip_arguments ? StripArguments(rest) : std::string(rest);
        std::replace(name.begin(), name.end(), ';', ':');
        fn_ids[id] = name;
        return name;
      }
    }
    std::string name =
        options.strip_arguments ? StripArguments(spec) : std::string(spec);
    std::replace(name.begin(), name.end(), ';', ':');
    return name;
  };

  size_t start = 0;
  int line_no = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    char c = line.front();
    if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '*') {
      double cost = 0;
      if (!ParseCost(line, positions, cost)) {
        return absl::InvalidArgumentError(fmt::format(
            "callgrind line {}: malformed cost line '{}'", line_no, line));
      }
      if (current < 0) {
        return absl::InvalidArgumentError(fmt::format(
            "callgrind line {}: cost line before any fn= line", line_no));
      }
      if (pending_call) {
        if (callee >= 0 && callee != current) {
          graph.calls[current][callee] += cost;
          graph.called[callee] = true;
        }
        pending_call = false;
      } else {
        graph.self[current] += cost;
      }
      continue;
    }
    if (StartsWith(line, "events:")) {
      saw_events = true;
    } else if (StartsWith(line, "positions:")) {
      positions = 0;
      std::string_view rest = line.substr(10);
      size_t p = 0;
      while ((p = rest.find_first_not_of(' ', p)) != std::string_view::npos) {
        ++positions;
        p = rest.find(' ', p);
        if (p == std::string_view::npos) break;
      }
      if (positions == 0) positions = 1;
    } else if (StartsWith(line, "fn=")) {
      current = graph.Intern(resolve(line.substr(3)));
      pending_call = false;
    } else if (StartsWith(line, "cfn=")) {
      callee = graph.Intern(resolve(line.substr(4)));
    } else if (StartsWith(line, "calls=")) {
      pending_call = true;
    }
    // ob=, fl=, fi=, fe=, cob=, cfi=, cfl=, jump=, jcnd=, summary:, totals:,
    // and header lines carry nothing the stacks need.
  }
  if (!saw_events) {
    return absl::InvalidArgumentError(
        "not callgrind output: no 'events:' line (expected callgrind.out.PID)");
  }

  Expander expander(graph);
  expander.Init();
  // Roots: functions nobody calls (from another component).
  std::vector<int> roots;
  double total = 0;
  std::vector<bool> component_called(expander.members.size(), false);
  for (size_t f = 0; f < graph.names.size(); ++f) {
    for (const auto& [g, cost] : graph.calls[f]) {
      if (expander.comp[g] != expander.comp[f])
        component_called[expander.comp[g]] = true;
    }
  }
  for (size_t c = 0; c < expander.members.size(); ++c) {
    if (!component_called[c] && expander.weight[c] > 0) {
      int entry = expander.members[c].front();
      for (int m : expander.members[c]) {
        if (!graph.called[m]) entry = m;  // prefer a function nobody calls
      }
      roots.push_back(entry);
      total += expander.weight[c];
    }
  }
  if (total <= 0) {
    return absl::InvalidArgumentError(
        "callgrind output records no cost (was collection ever switched on?)");
  }
  // Folded counts are int64_t: 2^63 (exactly representable) and beyond
  // cannot be drawn.
  if (!(total < 9223372036854775808.0)) {
    return absl::InvalidArgumentError(fmt::format(
        "callgrind costs add up to {:.0f}, more than {} (64-bit overflow)",
        total, std::numeric_limits<int64_t>::max()));
  }
  expander.threshold = total * kPruneShare;
  for (int root : roots) {
    expander.path = graph.names[root];
    expander.Expand(root, expander.weight[expander.comp[root]], 0);
  }
  FoldedStacks stacks;
  for (const auto& [stack, cost] : expander.folded) {
    int64_t rounded = std::llround(cost);
    if (rounded > 0) stacks[stack] += rounded;
  }
  return stacks;
}

}  // namespace wsbench::flamegraph

#include "folded_stacks.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"

namespace wsbench::flamegraph {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsHex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
  });
}

// Splits text into lines without copying; the last line may lack '\n'.
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// One frame line of perf script: "  55d0c0ffee12 ns::f(int)+0x1f (/bin/x)".
std::string FrameName(std::string_view line, const FoldOptions& options) {
  std::string_view rest = Trim(line);
  size_t space = rest.find(' ');
  std::string_view addr = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view()
                                         : Trim(rest.substr(space + 1));
  if (!IsHex(addr)) rest = Trim(line);  // no address column: symbol only
  std::string_view dso;
  if (!rest.empty() && rest.back() == ')') {
    size_t open = rest.rfind(" (");
    if (open != std::string_view::npos) {
      dso = rest.substr(open + 2, rest.size() - open - 3);
      rest = Trim(rest.substr(0, open));
    } else if (rest.front() == '(') {  // "(dso)" with no symbol at all
      dso = rest.substr(1, rest.size() - 2);
      rest = {};
    }
  }
  // Strip the "+0x1f" offset.
  size_t plus = rest.rfind("+0x");
  if (plus != std::string_view::npos && IsHex(rest.substr(plus + 3))) {
    rest = rest.substr(0, plus);
  }
  std::string name;
  if (rest.empty() || rest == "[unknown]") {
    if (!dso.empty() && dso != "unknown" && dso != "[unknown]") {
      size_t slash = dso.rfind('/');
      std::string_view base =
          slash == std::string_view::npos ? dso : dso.substr(slash + 1);
      if (base.size() >= 2 && base.front() == '[' && base.back() == ']') {
        base = base.substr(1, base.size() - 2);
      }
      name = fmt::format("[{}]", base);
    } else {
      name = "[unknown]";
    }
  } else {
    name = options.strip_arguments ? StripArguments(rest) : std::string(rest);
  }
  if (dso.find("kernel.kallsyms") != std::string_view::npos ||
      dso.find(".ko") != std::string_view::npos) {
    name += "_[k]";
  }
  std::replace(name.begin(), name.end(), ';', ':');
  return name;
}

// The `comm` of a header line: everything before the pid column.
std::string CommOf(std::string_view header) {
  // "comm with spaces  1234 [000] 12.5: 250000 cpu-clock:" -- the first token
  // made only of digits (optionally "pid/tid") ends the comm.
  size_t pos = 0;
  while (pos < header.size()) {
    size_t start = header.find_first_not_of(' ', pos);
    if (start == std::string_view::npos) break;
    size_t end = header.find(' ', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view token = header.substr(start, end - start);
    if (start > 0 && !token.empty() &&
        std::all_of(token.begin(), token.end(), [](char c) {
          return (c >= '0' && c <= '9') || c == '/';
        })) {
      std::string comm(Trim(header.substr(0, start)));
      std::replace(comm.begin(), comm.end(), ';', ':');
      std::replace(comm.begin(), comm.end(), ' ', '_');
      return comm;
    }
    pos = end;
  }
  return "[unknown]";
}

}  // namespace

std::string StripArguments(std::string_view symbol) {
  std::string_view s = Trim(symbol);
  for (bool changed = true; changed;) {
    changed = false;
    for (std::string_view q :
         {" const", " volatile", " &&", " &", " noexcept"}) {
      if (s.size() > q.size() && s.substr(s.size() - q.size()) == q) {
        s.remove_suffix(q.size());
        changed = true;
      }
    }
  }
  if (s.empty() || s.back() != ')') return std::string(symbol);
  int depth = 0;
  for (size_t i = s.size(); i-- > 0;) {
    if (s[i] == ')') ++depth;
    if (s[i] == '(' && --depth == 0) {
      std::string_view head = s.substr(0, i);
      if (head.empty() ||
          (head.size() >= 8 && head.substr(head.size() - 8) == "operator")) {
        return std::string(s);
      }
      return std::string(head);
    }
  }
  return std::string(symbol);  // unbalanced: leave it alone
}

absl::StatusOr<FoldedStacks> FoldPerfScript(std::string_view text,
                                            const FoldOptions& options) {
  FoldedStacks stacks;
  std::vector<std::string> frames;  // leaf first
  std::string comm;
  bool in_sample = false;
  int64_t samples = 0;
  auto flush = [&] {
    if (!in_sample) return;
    std::string stack;
    if (options.include_comm) stack = comm;
    for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
      if (!stack.empty()) stack += ';';
      stack += *it;
    }
    if (stack.empty()) stack = "[no stack]";
    ++stacks[stack];
    ++samples;
    frames.clear();
    in_sample = false;
  };
  std::vector<std::string_view> lines = Lines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (Trim(line).empty()) {
      flush();
      continue;
    }
    if (line.front() == '#') continue;  // perf script --header comments
    if (line.front() != ' ' && line.front() != '\t') {
      flush();
      in_sample = true;
      if (options.include_comm) comm = CommOf(line);
      continue;
    }
    if (!in_sample) {
      return absl::InvalidArgumentError(fmt::format(
          "perf script line {}: stack frame before any sample header: '{}'",
          i + 1, Trim(line)));
    }
    frames.push_back(FrameName(line, options));
  }
  flush();
  if (samples == 0) {
    return absl::InvalidArgumentError(
        "perf script output holds no samples (was anything recorded?)");
  }
  return stacks;
}

absl::StatusOr<FoldedStacks> ParseFolded(std::string_view text) {
  FoldedStacks stacks;
  int64_t total = 0;
  std::vector<std::string_view> lines = Lines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = Trim(lines[i]);
    if (line.empty()) continue;
    size_t space = line.rfind(' ');
    if (space == std::string_view::npos) {
      return absl::InvalidArgumentError(fmt::format(
          "folded line {}: no count after the stack: '{}'", i + 1, line));
    }
    std::string_view stack = Trim(line.substr(0, space));
    std::string_view count_text = line.substr(space + 1);
    int64_t count = 0;
    auto [end, ec] = std::from_chars(
        count_text.data(), count_text.data() + count_text.size(), count);
    if (ec != std::errc() || end != count_text.data() + count_text.size() ||
        count < 0) {
      return absl::InvalidArgumentError(fmt::format(
          "folded line {}: count '{}' is not a non-negative integer", i + 1,
          count_text));
    }
    if (stack.empty()) {
      return absl::InvalidArgumentError(
          fmt::format("folded line {}: empty stack", i + 1));
    }
    int64_t& entry = stacks[std::string(stack)];
    if (__builtin_add_overflow(entry, count, &entry) ||
        __builtin_add_overflow(total, count, &total)) {
      return absl::InvalidArgumentError(fmt::format(
          "folded line {}: the counts add up to more than {} (64-bit "
          "overflow)",
          i + 1, std::numeric_limits<int64_t>::max()));
    }
  }
  return stacks;
}

std::string FormatFolded(const FoldedStacks& stacks) {
  std::string out;
  for (const auto& [stack, count] : stacks) {
    out += stack;
    out += ' ';
    out += std::to_string(count);
    out += '\n';
  }
  return out;
}

int64_t TotalCount(const FoldedStacks& stacks) {
  int64_t total = 0;
  for (const auto& entry : stacks) total += entry.second;
  return total;
}

}  // namespace wsbench::flamegraph

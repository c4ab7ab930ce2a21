#include "diff_flame_graph.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "call_tree.h"
#include "flame_graph_svg.h"
#include "fmt/format.h"
#include "record/format.h"
#include "svg_text.h"

namespace wsbench::flamegraph {
namespace {

struct Counts {
  double self = 0, inclusive = 0;
};

// Self and inclusive counts per function name (a function appearing twice
// in one stack, as in recursion, counts once towards its inclusive count).
std::map<std::string, Counts> PerFunction(const FoldedStacks& stacks) {
  std::map<std::string, Counts> out;
  std::set<std::string_view> seen;
  for (const auto& [stack, count] : stacks) {
    if (count <= 0) continue;
    seen.clear();
    std::string_view s = stack;
    std::string_view leaf;
    size_t start = 0;
    while (start <= s.size()) {
      size_t end = s.find(';', start);
      if (end == std::string_view::npos) end = s.size();
      std::string_view frame = s.substr(start, end - start);
      start = end + 1;
      if (frame.empty()) continue;
      leaf = frame;
      if (seen.insert(frame).second) {
        out[std::string(frame)].inclusive += static_cast<double>(count);
      }
    }
    if (!leaf.empty())
      out[std::string(leaf)].self += static_cast<double>(count);
  }
  return out;
}

absl::Status CheckOps(const DiffOptions& options) {
  if (!(options.base_ops > 0) || !(options.new_ops > 0) ||
      !std::isfinite(options.base_ops) || !std::isfinite(options.new_ops)) {
    return absl::InvalidArgumentError(
        fmt::format("operation counts must be positive (base {}, new {})",
                    options.base_ops, options.new_ops));
  }
  return absl::OkStatus();
}

// A per-op amount for people: no decimals from 10,000 up, one from 1, three
// significant digits below.
std::string Amount(double v) {
  double a = std::fabs(v);
  if (a >= 10000) return fmt::format("{:.0f}", v);
  if (a >= 1) return fmt::format("{:.1f}", v);
  if (a == 0) return "0";
  return fmt::format("{:.3g}", v);
}

std::string Signed(double v) { return (v > 0 ? "+" : "") + Amount(v); }

std::string Percent(double part, double whole) {
  if (!(whole > 0)) return part > 0 ? "new" : "";
  return fmt::format("{:+.1f}%", 100.0 * part / whole);
}

std::string Unit(const DiffOptions& options) {
  return options.per_op ? options.count_name + "/op" : options.count_name;
}

std::string TotalsLine(const DiffSummary& s, const DiffOptions& options) {
  std::string line = fmt::format(
      "base {}, new {} {}: {} ({})", Amount(s.base_total), Amount(s.new_total),
      Unit(options), Signed(s.new_total - s.base_total),
      Percent(s.new_total - s.base_total, s.base_total));
  if (s.removed > 0) {
    line += fmt::format("; code only in the base (not drawn): {}",
                        Amount(s.removed));
  }
  return line;
}

std::string MarkdownEscape(std::string_view text) {
  return record::MarkdownText(RepairUtf8(text));
}

}  // namespace

std::string DiffColour(double delta, double max_abs_delta, double noise) {
  if (std::fabs(delta) <= noise || !(max_abs_delta > 0)) {
    return "rgb(221,221,221)";
  }
  double t = std::min(1.0, std::fabs(delta) / max_abs_delta);
  int v = static_cast<int>(std::lround(220 * (1 - t)));
  return delta > 0 ? fmt::format("rgb(255,{0},{0})", v)
                   : fmt::format("rgb({0},{0},255)", v);
}

absl::StatusOr<DiffSummary> SummarizeDiff(const FoldedStacks& base,
                                          const FoldedStacks& next,
                                          const DiffOptions& options) {
  if (absl::Status s = CheckOps(options); !s.ok()) return s;
  absl::StatusOr<CallTree> tree = CallTree::Build(next, &base);
  if (!tree.ok()) return tree.status();
  DiffSummary summary;
  summary.base_total =
      static_cast<double>(tree->root().base_count) / options.base_ops;
  summary.new_total = static_cast<double>(tree->root().count) / options.new_ops;
  // Removed code: the topmost frames with a base count and no new count.
  for (int id = 1; id < tree->size(); ++id) {
    const CallTreeNode& node = tree->node(id);
    if (node.count == 0 && tree->node(node.parent).count > 0) {
      summary.removed +=
          static_cast<double>(node.base_count) / options.base_ops;
    }
  }
  const double net = summary.new_total - summary.base_total;
  const double noise =
      kNoiseShare * std::max(summary.new_total, summary.base_total);
  std::map<std::string, Counts> before = PerFunction(base);
  std::map<std::string, Counts> after = PerFunction(next);
  std::vector<FunctionChange> changes;
  for (const auto& [name, counts] : after) {
    FunctionChange c;
    c.name = name;
    c.new_self = counts.self / options.new_ops;
    c.new_inclusive = counts.inclusive / options.new_ops;
    if (auto it = before.find(name); it != before.end()) {
      c.base_self = it->second.self / options.base_ops;
      c.base_inclusive = it->second.inclusive / options.base_ops;
    }
    if (c.self_delta() > noise) {
      c.share = net > 0 ? c.self_delta() / net
                        : std::numeric_limits<double>::quiet_NaN();
      changes.push_back(std::move(c));
    }
  }
  std::sort(changes.begin(), changes.end(),
            [](const FunctionChange& a, const FunctionChange& b) {
              if (a.self_delta() != b.self_delta()) {
                return a.self_delta() > b.self_delta();
              }
              return a.name < b.name;
            });
  if (changes.size() > static_cast<size_t>(std::max(0, options.top))) {
    changes.resize(std::max(0, options.top));
  }
  summary.growth = std::move(changes);
  return summary;
}

absl::StatusOr<std::string> RenderDiffFlameGraphSvg(
    const FoldedStacks& base, const FoldedStacks& next,
    const DiffOptions& options) {
  absl::StatusOr<DiffSummary> summary = SummarizeDiff(base, next, options);
  if (!summary.ok()) return summary.status();
  absl::StatusOr<CallTree> tree = CallTree::Build(next, &base);
  if (!tree.ok()) return tree.status();

  auto per_op_base = [&](const CallTreeNode& n) {
    return static_cast<double>(n.base_count) / options.base_ops;
  };
  auto per_op_new = [&](const CallTreeNode& n) {
    return static_cast<double>(n.count) / options.new_ops;
  };
  const double x_pad = 10;
  const std::vector<FramePlacement> frames = PlaceFrames(
      *tree, x_pad, options.width - 2 * x_pad, options.min_width_px);
  int max_depth = 0;
  double max_abs_delta = 0;
  for (const FramePlacement& f : frames) {
    const CallTreeNode& node = tree->node(f.id);
    max_depth = std::max(max_depth, node.depth);
    max_abs_delta = std::max(max_abs_delta,
                             std::fabs(per_op_new(node) - per_op_base(node)));
  }
  const double noise =
      kNoiseShare * std::max(summary->new_total, summary->base_total);
  const double fh = options.frame_height;
  const double header = options.subtitle.empty() ? 52 : 68;
  const double graph_height = frames.empty() ? fh : (max_depth + 1) * fh;
  const double row = options.font_size + 6;
  const double list_top = header + graph_height + 14;
  const double list_height =
      row * (2 + std::max<size_t>(1, summary->growth.size()));
  const double height = list_top + list_height + 24;
  const double base_y = header + max_depth * fh;

  std::string svg = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
      "width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" "
      "data-base-total=\"{2:.4f}\" data-new-total=\"{3:.4f}\">\n"
      "<style>\n"
      "text {{ font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; "
      "font-size: {4:.0f}px; fill: #000; }}\n"
      ".f text {{ pointer-events: none; }}\n"
      ".f rect {{ rx: 2px; ry: 2px; }}\n"
      ".f:hover rect {{ stroke: #000; stroke-width: 1; }}\n"
      ".title {{ font-size: {5:.0f}px; font-weight: bold; }}\n"
      ".sub, .foot {{ fill: #555; }}\n"
      ".head {{ font-weight: bold; }}\n"
      ".row, .growth text {{ white-space: pre; }}\n"
      "</style>\n"
      "<rect x=\"0\" y=\"0\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
      "fill=\"#ffffff\"/>\n",
      options.width, height, summary->base_total, summary->new_total,
      options.font_size, options.font_size + 6);
  svg += fmt::format(
      "<text class=\"title\" x=\"{:.1f}\" y=\"24\" "
      "text-anchor=\"middle\">{}</text>\n",
      options.width / 2, XmlEscape(options.title));
  double y = 42;
  if (!options.subtitle.empty()) {
    svg += fmt::format(
        "<text class=\"sub\" x=\"{:.1f}\" y=\"{:.0f}\" "
        "text-anchor=\"middle\">{}</text>\n",
        options.width / 2, y, XmlEscape(options.subtitle));
    y += 16;
  }
  svg += fmt::format(
      "<text class=\"sub\" x=\"{:.1f}\" y=\"{:.0f}\" text-anchor=\"middle\">"
      "{}; width = new, red = grew, blue = shrank (inclusive, per {})</text>\n",
      options.width / 2, y, XmlEscape(TotalsLine(*summary, options)),
      options.per_op ? "op" : "unit");

  const std::string unit = XmlEscape(Unit(options));
  const double char_w = options.font_size * 0.6;
  for (const FramePlacement& f : frames) {
    const CallTreeNode& node = tree->node(f.id);
    const double b = per_op_base(node), n = per_op_new(node), d = n - b;
    const std::string valid_name = RepairUtf8(node.name);
    const std::string name = XmlEscape(valid_name);
    const double fy = base_y - node.depth * fh;
    svg += fmt::format(
        "<g class=\"f\" data-name=\"{}\" data-depth=\"{}\" "
        "data-base=\"{:.4f}\" "
        "data-new=\"{:.4f}\" data-delta=\"{:.4f}\">"
        "<title>{}\nbase {} {}, new {}, change {} ({})</title>"
        "<rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\" "
        "fill=\"{}\"/>",
        name, node.depth, b, n, d, name, Amount(b), unit, Amount(n), Signed(d),
        XmlEscape(Percent(d, b)), f.x, fy, f.width, fh - 1,
        DiffColour(d, max_abs_delta, noise));
    const int fits = static_cast<int>((f.width - 6) / char_w);
    if (fits >= 4) {
      svg +=
          fmt::format("<text x=\"{:.2f}\" y=\"{:.1f}\">{}</text>", f.x + 3,
                      fy + fh - 4.5, XmlEscape(FrameLabel(valid_name, fits)));
    }
    svg += "</g>\n";
  }
  if (frames.empty()) {
    svg += fmt::format(
        "<text class=\"foot\" x=\"{:.1f}\" y=\"{:.1f}\">no {} recorded in the "
        "new profile</text>\n",
        x_pad, header + fh - 4, XmlEscape(options.count_name));
  }

  // The growth list.
  double ly = list_top + row - 4;
  svg += fmt::format(
      "<text class=\"head\" x=\"{:.1f}\" y=\"{:.1f}\">Largest growth of "
      "self {} (the function's own code)</text>\n",
      x_pad, ly, unit);
  ly += row;
  svg += fmt::format(
      "<text class=\"row sub\" x=\"{:.1f}\" y=\"{:.1f}\">"
      "{:>2}  {:>12} {:>8}   {}</text>\n",
      x_pad, ly, "#", "change", "share", "function");
  const int name_fits =
      std::max(8, static_cast<int>((options.width - 2 * x_pad) / char_w) - 48);
  if (summary->growth.empty()) {
    ly += row;
    svg += fmt::format(
        "<text x=\"{:.1f}\" y=\"{:.1f}\">no function grew by more than "
        "{:.2f}% of the total</text>\n",
        x_pad, ly, 100 * kNoiseShare);
  }
  int rank = 0;
  for (const FunctionChange& c : summary->growth) {
    ++rank;
    ly += row;
    const std::string valid_name = RepairUtf8(c.name);
    const std::string share =
        std::isnan(c.share) ? "-" : fmt::format("{:.1f}%", 100 * c.share);
    svg += fmt::format(
        "<g class=\"growth\" data-rank=\"{}\" data-name=\"{}\" "
        "data-delta=\"{:.4f}\" data-share=\"{}\"><title>{}\nself: base {}, "
        "new {}; inclusive: base {}, new {} ({})</title>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\">{:>2}. {:>12} {:>8}   "
        "{}</text></g>\n",
        rank, XmlEscape(valid_name), c.self_delta(),
        std::isnan(c.share) ? std::string("nan")
                            : fmt::format("{:.4f}", c.share),
        XmlEscape(valid_name), Amount(c.base_self), Amount(c.new_self),
        Amount(c.base_inclusive), Amount(c.new_inclusive), unit, x_pad, ly,
        rank, Signed(c.self_delta()), share,
        XmlEscape(FrameLabel(valid_name, name_fits)));
  }
  svg += fmt::format(
      "<text class=\"foot\" x=\"{:.1f}\" y=\"{:.1f}\">hover a frame for base, "
      "new and change per {}; changes below {:.2f}% of the total are "
      "grey</text>\n",
      x_pad, height - 8, options.per_op ? "op" : "unit", 100 * kNoiseShare);
  svg += "</svg>\n";
  return svg;
}

std::string FormatGrowthMarkdown(const DiffSummary& summary,
                                 const DiffOptions& options) {
  std::string out = MarkdownEscape(TotalsLine(summary, options)) + "\n\n";
  if (summary.growth.empty()) {
    out += fmt::format("No function grew by more than {:.2f}% of the total.\n",
                       100 * kNoiseShare);
    return out;
  }
  out += fmt::format(
      "| # | function | self {} | change | share of the "
      "regression |\n|---|---|---|---|---|\n",
      MarkdownEscape(Unit(options)));
  int rank = 0;
  for (const FunctionChange& c : summary.growth) {
    out += fmt::format(
        "| {} | {} | {} -> {} | {} | {} |\n", ++rank, MarkdownEscape(c.name),
        Amount(c.base_self), Amount(c.new_self), Signed(c.self_delta()),
        std::isnan(c.share) ? std::string("-")
                            : fmt::format("{:.1f}%", 100 * c.share));
  }
  return out;
}

}  // namespace wsbench::flamegraph

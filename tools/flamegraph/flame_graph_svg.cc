#include "flame_graph_svg.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "call_tree.h"
#include "fmt/format.h"
#include "svg_text.h"

namespace wsbench::flamegraph {
namespace {

// FNV-1a, so colours are stable across runs and machines.
uint32_t Hash(std::string_view s) {
  uint32_t h = 2166136261u;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return h;
}

std::string Colour(std::string_view name, int depth) {
  if (depth == 0) return "rgb(200,200,200)";
  uint32_t h = Hash(name);
  double a = (h & 0xff) / 255.0, b = ((h >> 8) & 0xff) / 255.0;
  if (name.size() > 4 && name.substr(name.size() - 4) == "_[k]") {
    return fmt::format("rgb({},{},{})", 220 + int(20 * a), 120 + int(60 * b),
                       40);
  }
  if (!name.empty() && name.front() == '[') {  // unknown symbol in some dso
    int g = 170 + int(40 * a);
    return fmt::format("rgb({},{},{})", g, g, g);
  }
  // flamegraph.pl's "hot" palette.
  return fmt::format("rgb({},{},{})", 205 + int(50 * a), int(230 * b),
                     int(55 * ((h >> 16) & 0xff) / 255.0));
}

}  // namespace

std::vector<FramePlacement> PlaceFrames(const CallTree& tree, double x0,
                                        double width, double min_width_px) {
  std::vector<FramePlacement> placed;
  const int64_t total = tree.root().count;
  if (total <= 0) return placed;
  const double scale = width / static_cast<double>(total);
  std::vector<double> x(tree.size(), 0);
  std::vector<bool> visible(tree.size(), false);
  x[0] = x0;
  visible[0] = true;
  for (int id : tree.Preorder()) {
    if (!visible[id]) continue;
    const CallTreeNode& node = tree.node(id);
    placed.push_back({id, x[id], static_cast<double>(node.count) * scale});
    double child_x = x[id];
    for (int child : node.children) {
      double w = static_cast<double>(tree.node(child).count) * scale;
      x[child] = child_x;
      visible[child] = tree.node(child).count > 0 && w >= min_width_px;
      child_x += w;
    }
  }
  return placed;
}

absl::StatusOr<std::string> RenderFlameGraphSvg(
    const FoldedStacks& stacks, const FlameGraphOptions& options) {
  absl::StatusOr<CallTree> tree = CallTree::Build(stacks);
  if (!tree.ok()) return tree.status();
  const int64_t total = tree->root().count;
  const double x_pad = 10;
  const std::vector<FramePlacement> frames = PlaceFrames(
      *tree, x_pad, options.width - 2 * x_pad, options.min_width_px);
  int max_depth = 0;
  for (const FramePlacement& f : frames) {
    max_depth = std::max(max_depth, tree->node(f.id).depth);
  }
  const double header = options.subtitle.empty() ? 34 : 50;
  const double footer = 24;
  const double height =
      header + (max_depth + 1) * options.frame_height + footer;
  const double base_y = header + max_depth * options.frame_height;

  std::string svg = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
      "width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" "
      "data-total=\"{2}\">\n"
      "<style>\n"
      "text {{ font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; "
      "font-size: {3:.0f}px; fill: #000; }}\n"
      ".f text {{ pointer-events: none; }}\n"
      ".f rect {{ rx: 2px; ry: 2px; }}\n"
      ".f:hover rect {{ stroke: #000; stroke-width: 1; }}\n"
      ".title {{ font-size: {4:.0f}px; font-weight: bold; }}\n"
      ".sub, .foot {{ fill: #555; }}\n"
      "</style>\n"
      "<rect x=\"0\" y=\"0\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
      "fill=\"#fdf8ee\"/>\n",
      options.width, height, total, options.font_size, options.font_size + 6);
  svg += fmt::format(
      "<text class=\"title\" x=\"{:.1f}\" y=\"24\" "
      "text-anchor=\"middle\">{}</text>\n",
      options.width / 2, XmlEscape(options.title));
  if (!options.subtitle.empty()) {
    svg += fmt::format(
        "<text class=\"sub\" x=\"{:.1f}\" y=\"42\" "
        "text-anchor=\"middle\">{}</text>\n",
        options.width / 2, XmlEscape(options.subtitle));
  }
  const std::string count_name = XmlEscape(options.count_name);
  const double char_w = options.font_size * 0.6;
  for (const FramePlacement& f : frames) {
    const CallTreeNode& node = tree->node(f.id);
    const std::string valid_name = RepairUtf8(node.name);
    const std::string name = XmlEscape(valid_name);
    const double y = base_y - node.depth * options.frame_height;
    const double pct =
        100.0 * static_cast<double>(node.count) / static_cast<double>(total);
    svg += fmt::format(
        "<g class=\"f\" data-name=\"{}\" data-count=\"{}\" data-depth=\"{}\">"
        "<title>{} ({} {}, {:.2f}%)</title>"
        "<rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\" "
        "fill=\"{}\"/>",
        name, node.count, node.depth, name, node.count, count_name, pct, f.x, y,
        f.width, options.frame_height - 1, Colour(node.name, node.depth));
    const int fits = static_cast<int>((f.width - 6) / char_w);
    if (fits >= 4) {
      svg += fmt::format("<text x=\"{:.2f}\" y=\"{:.1f}\">{}</text>", f.x + 3,
                         y + options.frame_height - 4.5,
                         XmlEscape(FrameLabel(valid_name, fits)));
    }
    svg += "</g>\n";
  }
  if (total > 0) {
    svg += fmt::format(
        "<text class=\"foot\" x=\"{:.1f}\" y=\"{:.1f}\">{} {} in total; width "
        "= share of {}; hover a frame for its count</text>\n",
        x_pad, height - 8, total, count_name, count_name);
  } else {
    svg += fmt::format(
        "<text class=\"foot\" x=\"{:.1f}\" y=\"{:.1f}\">no {} "
        "recorded</text>\n",
        x_pad, height - 8, count_name);
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace wsbench::flamegraph

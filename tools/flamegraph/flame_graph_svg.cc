#include "flame_graph_svg.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fmt/format.h"

namespace wsbench::flamegraph {
namespace {

struct Node {
  std::string name;
  int64_t total = 0;
  std::map<std::string, std::unique_ptr<Node>, std::less<>> children;
};

void Insert(Node& root, std::string_view stack, int64_t count) {
  root.total += count;
  Node* node = &root;
  size_t start = 0;
  while (start <= stack.size()) {
    size_t end = stack.find(';', start);
    if (end == std::string_view::npos) end = stack.size();
    std::string_view frame = stack.substr(start, end - start);
    if (!frame.empty()) {
      auto it = node->children.find(frame);
      if (it == node->children.end()) {
        auto child = std::make_unique<Node>();
        child->name = std::string(frame);
        it = node->children.emplace(child->name, std::move(child)).first;
      }
      node = it->second.get();
      node->total += count;
    }
    start = end + 1;
  }
}

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
    return fmt::format("rgb({},{},{})", 220 + int(20 * a), 120 + int(60 * b), 40);
  }
  if (!name.empty() && name.front() == '[') {  // unknown symbol in some dso
    int g = 170 + int(40 * a);
    return fmt::format("rgb({},{},{})", g, g, g);
  }
  // flamegraph.pl's "hot" palette.
  return fmt::format("rgb({},{},{})", 205 + int(50 * a), int(230 * b),
                     int(55 * ((h >> 16) & 0xff) / 255.0));
}

// The label for a frame `fits` characters wide: the whole name, else the name
// without its leading namespaces/classes ("wsbench::internal::Foo::Bar" ->
// "Foo::Bar" -> "Bar"), else a prefix with "..".
std::string Label(const std::string& name, int fits) {
  if (static_cast<int>(name.size()) <= fits) return name;
  // Top-level "::" separators (outside <...> and (...)).
  std::vector<size_t> cuts;
  int depth = 0;
  for (size_t i = 0; i + 1 < name.size(); ++i) {
    char c = name[i];
    if (c == '<' || c == '(') ++depth;
    if ((c == '>' || c == ')') && depth > 0) --depth;
    if (depth == 0 && c == ':' && name[i + 1] == ':') {
      cuts.push_back(i + 2);
      ++i;
    }
  }
  for (size_t cut : cuts) {
    if (static_cast<int>(name.size() - cut) <= fits) return name.substr(cut);
  }
  std::string tail = cuts.empty() ? name : name.substr(cuts.back());
  return tail.substr(0, std::max(1, fits - 2)) + "..";
}

struct Renderer {
  const FlameGraphOptions& options;
  double scale;        // pixels per count
  double x_pad = 10;
  double base_y;       // y of the root frame's top edge
  int64_t total;
  std::string out;
  int max_depth = 0;

  int Depth(const Node& node, int depth) {
    int deepest = depth;
    for (const auto& [name, child] : node.children) {
      if (child->total * scale < options.min_width_px) continue;
      deepest = std::max(deepest, Depth(*child, depth + 1));
    }
    return deepest;
  }

  void Frame(const Node& node, int depth, double x) {
    double w = node.total * scale;
    double y = base_y - depth * options.frame_height;
    double pct = total > 0 ? 100.0 * node.total / total : 0;
    std::string name = XmlEscape(node.name);
    out += fmt::format(
        "<g class=\"f\" data-name=\"{}\" data-count=\"{}\" data-depth=\"{}\">"
        "<title>{} ({} {}, {:.2f}%)</title>"
        "<rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\" "
        "fill=\"{}\"/>",
        name, node.total, depth, name, node.total, options.count_name, pct,
        x, y, w, options.frame_height - 1, Colour(node.name, depth));
    double char_w = options.font_size * 0.6;
    int fits = static_cast<int>((w - 6) / char_w);
    if (fits >= 4) {
      std::string label = Label(node.name, fits);
      out += fmt::format("<text x=\"{:.2f}\" y=\"{:.1f}\">{}</text>", x + 3,
                         y + options.frame_height - 4.5, XmlEscape(label));
    }
    out += "</g>\n";
    double child_x = x;
    for (const auto& [child_name, child] : node.children) {
      if (child->total * scale >= options.min_width_px) {
        Frame(*child, depth + 1, child_x);
      }
      child_x += child->total * scale;
    }
  }
};

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters are not allowed in XML 1.0 text.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string RenderFlameGraphSvg(const FoldedStacks& stacks,
                                const FlameGraphOptions& options) {
  Node root;
  root.name = "all";
  for (const auto& [stack, count] : stacks) {
    if (count > 0) Insert(root, stack, count);
  }
  const double header = options.subtitle.empty() ? 34 : 50;
  const double footer = 24;
  Renderer r{options, 0, 10, 0, root.total, {}};
  double usable = options.width - 2 * r.x_pad;
  r.scale = root.total > 0 ? usable / root.total : 0;
  r.max_depth = root.total > 0 ? r.Depth(root, 0) : 0;
  double height = header + (r.max_depth + 1) * options.frame_height + footer;
  r.base_y = header + r.max_depth * options.frame_height;

  std::string svg = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{0:.0f}\" "
      "height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" data-total=\"{2}\">\n"
      "<style>\n"
      "text {{ font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; "
      "font-size: {3:.0f}px; fill: #000; }}\n"
      ".f text {{ pointer-events: none; }}\n"
      ".f rect {{ rx: 2px; ry: 2px; }}\n"
      ".f:hover rect {{ stroke: #000; stroke-width: 1; }}\n"
      ".title {{ font-size: {4:.0f}px; font-weight: bold; }}\n"
      ".sub, .foot {{ fill: #555; }}\n"
      "</style>\n"
      "<rect x=\"0\" y=\"0\" width=\"{0:.0f}\" height=\"{1:.0f}\" fill=\"#fdf8ee\"/>\n",
      options.width, height, root.total, options.font_size, options.font_size + 6);
  svg += fmt::format(
      "<text class=\"title\" x=\"{:.1f}\" y=\"24\" text-anchor=\"middle\">{}</text>\n",
      options.width / 2, XmlEscape(options.title));
  if (!options.subtitle.empty()) {
    svg += fmt::format(
        "<text class=\"sub\" x=\"{:.1f}\" y=\"42\" text-anchor=\"middle\">{}</text>\n",
        options.width / 2, XmlEscape(options.subtitle));
  }
  if (root.total > 0) {
    r.Frame(root, 0, r.x_pad);
    svg += r.out;
    svg += fmt::format(
        "<text class=\"foot\" x=\"{:.1f}\" y=\"{:.1f}\">{} {} in total; width = "
        "share of {}; hover a frame for its count</text>\n",
        r.x_pad, height - 8, root.total, XmlEscape(options.count_name),
        XmlEscape(options.count_name));
  } else {
    svg += fmt::format(
        "<text class=\"foot\" x=\"{:.1f}\" y=\"{:.1f}\">no {} recorded</text>\n",
        r.x_pad, height - 8, XmlEscape(options.count_name));
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace wsbench::flamegraph

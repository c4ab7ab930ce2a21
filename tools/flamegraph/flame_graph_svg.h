// Renders folded stacks as a standalone SVG flame graph.
//
// Layout: the stacks are merged into a call tree (children sorted by name,
// like flamegraph.pl); each node is one rectangle whose width is its share of
// the total count, root ("all") at the bottom, callees above callers. Frames
// narrower than `min_width_px` are dropped (their count stays in the parent's
// width). The SVG is self-contained: inline CSS, a <title> tooltip per frame,
// no scripts, no external references. Each frame's <g> carries data-name,
// data-count and data-depth so tests and tools can read the numbers back.
//
// Complexity: O(total frames) to build the tree, O(nodes) to render. Pure
// function; thread-compatible.
//
//   FlameGraphOptions options;
//   options.title = "broadcast/medium (cpu-clock)";
//   std::string svg = RenderFlameGraphSvg(stacks, options);
#ifndef WSBENCH_TOOLS_FLAMEGRAPH_FLAME_GRAPH_SVG_H_
#define WSBENCH_TOOLS_FLAMEGRAPH_FLAME_GRAPH_SVG_H_

#include <string>
#include <string_view>

#include "folded_stacks.h"

namespace wsbench::flamegraph {

struct FlameGraphOptions {
  std::string title = "Flame graph";
  std::string subtitle;             // e.g. the command that was profiled
  std::string count_name = "samples";
  double width = 1200;              // pixels
  double frame_height = 16;         // pixels per stack level
  double font_size = 11;            // pixels
  double min_width_px = 0.1;        // narrower frames are omitted
};

// The complete SVG document for `stacks` (an empty graph with a note when
// `stacks` is empty or all counts are zero).
std::string RenderFlameGraphSvg(const FoldedStacks& stacks,
                                const FlameGraphOptions& options);

// Escapes &, <, >, " and ' for XML text and attribute values.
std::string XmlEscape(std::string_view text);

}  // namespace wsbench::flamegraph

#endif  // WSBENCH_TOOLS_FLAMEGRAPH_FLAME_GRAPH_SVG_H_

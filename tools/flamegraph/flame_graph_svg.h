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
// Names may hold any bytes: text goes through svg_text.h, so the document is
// well-formed XML for every input. Stacks of any depth are drawn (the tree is
// walked with loops, not recursion).
//
// Complexity: O(total frames) to build the tree, O(nodes) to render. Pure
// function; thread-compatible.
//
//   FlameGraphOptions options;
//   options.title = "broadcast/medium (cpu-clock)";
//   absl::StatusOr<std::string> svg = RenderFlameGraphSvg(stacks, options);
#ifndef WSBENCH_TOOLS_FLAMEGRAPH_FLAME_GRAPH_SVG_H_
#define WSBENCH_TOOLS_FLAMEGRAPH_FLAME_GRAPH_SVG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "call_tree.h"
#include "folded_stacks.h"
#include "svg_text.h"

namespace wsbench::flamegraph {

struct FlameGraphOptions {
  std::string title = "Flame graph";
  std::string subtitle;  // e.g. the command that was profiled
  std::string count_name = "samples";
  double width = 1200;        // pixels
  double frame_height = 16;   // pixels per stack level
  double font_size = 11;      // pixels
  double min_width_px = 0.1;  // narrower frames are omitted
};

// One drawn frame: the tree node, its left edge and width in pixels.
struct FramePlacement {
  int id;
  double x;
  double width;
};

// Lays out `tree` by its `count` column in [x0, x0 + width): each frame as
// wide as its share of the root, children side by side in name order from
// their parent's left edge. Frames narrower than `min_width_px` (and all
// above them) are left out; their count stays in the parent's width.
// Returned in preorder. Shared by the plain and the differential graph.
std::vector<FramePlacement> PlaceFrames(const CallTree& tree, double x0,
                                        double width, double min_width_px);

// The complete SVG document for `stacks` (an empty graph with a note when
// `stacks` is empty or all counts are zero). Errors: OutOfRange when the
// counts add up to more than INT64_MAX.
absl::StatusOr<std::string> RenderFlameGraphSvg(
    const FoldedStacks& stacks, const FlameGraphOptions& options);

}  // namespace wsbench::flamegraph

#endif  // WSBENCH_TOOLS_FLAMEGRAPH_FLAME_GRAPH_SVG_H_

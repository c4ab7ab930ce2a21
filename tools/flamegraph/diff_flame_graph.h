// Differential flame graphs: where a new profile spends more or less than a
// base profile of the same work.
//
// The graph is drawn from the new profile (frame widths are its counts) and
// coloured by the change of each frame's inclusive count per operation,
// new/new_ops - base/base_ops: red where it grew, blue where it shrank,
// the intensity linear in the change relative to the largest change of any
// frame; frames whose change is below kNoiseShare of the new total stay
// grey. Each frame's tooltip gives base, new and change per op. Frames that
// exist only in the base (removed code) have no width and are summed in the
// header line.
//
// Beside it, the "largest growth" list names the functions whose own (self)
// count per op grew most, with each one's share of the net regression
// (growth / (new total - base total), shown only when the total grew; it can
// exceed 100% when other code shrank). Self counts point at the function
// whose own code changed; inclusive counts would rank every caller of it
// as high.
//
// Deterministic: the same two profiles and options give the same bytes.
// Complexity: O(total frames in both profiles). Pure functions.
//
//   DiffOptions options;
//   options.base_ops = options.new_ops = 20000;   // ops each profile covers
//   absl::StatusOr<DiffSummary> summary = SummarizeDiff(base, next, options);
//   absl::StatusOr<std::string> svg = RenderDiffFlameGraphSvg(base, next,
//   options);
#ifndef WSBENCH_TOOLS_FLAMEGRAPH_DIFF_FLAME_GRAPH_H_
#define WSBENCH_TOOLS_FLAMEGRAPH_DIFF_FLAME_GRAPH_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "folded_stacks.h"

namespace wsbench::flamegraph {

// Changes smaller than this share of the new total per op are drawn grey and
// left out of the growth list (rounding in callgrind's proportional folding
// stays below it).
inline constexpr double kNoiseShare = 0.0005;

struct DiffOptions {
  std::string title = "Differential flame graph";
  std::string subtitle;
  std::string count_name = "instructions";
  // Operations each profile covers; counts are divided by them. With
  // per_op false the unit is the raw count (e.g. samples after
  // normalisation).
  double base_ops = 1;
  double new_ops = 1;
  bool per_op = true;
  int top = 10;               // length of the growth list
  double width = 1200;        // pixels
  double frame_height = 16;   // pixels per stack level
  double font_size = 11;      // pixels
  double min_width_px = 0.1;  // narrower frames are omitted
};

// One function's change, per op (or per unit).
struct FunctionChange {
  std::string name;
  double base_self = 0, new_self = 0;
  double base_inclusive = 0, new_inclusive = 0;
  double self_delta() const { return new_self - base_self; }
  // self_delta / net total change; NaN when the total did not grow.
  double share = 0;
};

struct DiffSummary {
  double base_total = 0, new_total = 0;  // per op
  double removed = 0;  // per op, base frames absent from the new profile
  std::vector<FunctionChange> growth;  // largest self growth first, <= top
};

// Totals and the growth list. Errors: OutOfRange when either profile's
// counts add up to more than INT64_MAX; InvalidArgument when an ops count is
// not positive.
absl::StatusOr<DiffSummary> SummarizeDiff(const FoldedStacks& base,
                                          const FoldedStacks& next,
                                          const DiffOptions& options);

// The SVG document: title, a totals line, the graph, and the growth list
// under it. Each frame's <g class="f"> carries data-name, data-depth,
// data-base, data-new and data-delta (per op, 4 decimals) and each growth
// row's <g class="growth"> carries data-rank, data-name, data-delta and
// data-share. Errors as SummarizeDiff.
absl::StatusOr<std::string> RenderDiffFlameGraphSvg(const FoldedStacks& base,
                                                    const FoldedStacks& next,
                                                    const DiffOptions& options);

// The growth list as a Markdown table (names escaped by
// record::MarkdownText), headed by the totals line.
std::string FormatGrowthMarkdown(const DiffSummary& summary,
                                 const DiffOptions& options);

// The fill colour of a frame whose per-op change is `delta`, when the largest
// change of any frame is `max_abs_delta` and changes below `noise` are grey:
// rgb(255,v,v) for growth, rgb(v,v,255) for shrinkage with
// v = round(220 * (1 - |delta| / max_abs_delta)), rgb(221,221,221) for none.
std::string DiffColour(double delta, double max_abs_delta, double noise);

}  // namespace wsbench::flamegraph

#endif  // WSBENCH_TOOLS_FLAMEGRAPH_DIFF_FLAME_GRAPH_H_

// Rendering a Comparison: an aligned terminal table (ANSI colour only when
// asked, i.e. on a terminal), a Markdown table for CI logs, and a JSON
// verdict file for other tools.
//
// Each output starts with a one-line summary ("wsbench-compare: 1 regression,
// 2 improvements in 24 benchmarks"), then one row per (benchmark, metric):
// base, new, change %, p-value, confidence interval of the change, verdict
// and a note saying why a row is not gated. Pure functions; thread-safe.
//
//   std::cout << RenderTerminal(c, isatty(1));
//   WriteFileAtomically("verdict.json", RenderJson(c));
#ifndef WSBENCH_TOOLS_COMPARE_RENDER_H_
#define WSBENCH_TOOLS_COMPARE_RENDER_H_

#include <string>

#include "compare.h"

namespace wsbench::compare {

// "12.3M" for 12.3e6 ops/s, "0.412" for microseconds, "-" for NaN.
std::string FormatValue(double v, const std::string& unit);

std::string SummaryLine(const Comparison& c);
std::string RenderTerminal(const Comparison& c, bool color);
std::string RenderMarkdown(const Comparison& c);
// {"mode", "base", "new", "base_revision", "new_revision",
//  "fingerprint_mismatches", "time_gated", "regressions", "improvements",
//  "exit_code", "notes", "rows": [{"benchmark", "metric", "label", "kind",
//  "base", "new", "change_pct", "p_value", "ci_lo_pct", "ci_hi_pct",
//  "base_n", "new_n", "verdict", "gated", "note"}]}; unknown numbers null.
std::string RenderJson(const Comparison& c);

}  // namespace wsbench::compare

#endif  // WSBENCH_TOOLS_COMPARE_RENDER_H_

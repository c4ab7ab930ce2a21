// Rendering a Report as one self-contained HTML page (inline CSS and SVG,
// no scripts, no external references: readable offline, attachable to CI)
// or as Markdown for CI logs.
//
// Page order: title and run status; the gate's verdict (with a baseline);
// per dimension a small-multiple pair of charts (throughput vs load level on
// a log axis, and P50/P95/P99 vs level, both with the thresholds' excellent /
// good / poor bands shaded and the baseline dashed); degradation % per
// dimension with the bottleneck highlighted; change % per benchmark as
// diverging bars (regressions red, improvements green, noise grey); every
// number in a table; the machine fingerprint and the exact command line.
// Every number carries data-bench / data-metric / data-value attributes
// (see svg_chart.h) so tests can check it against the JSON.
// Pure functions; thread-safe.
//
//   std::string html = RenderHtml(report);
#ifndef WSBENCH_TOOLS_REPORT_REPORT_HTML_H_
#define WSBENCH_TOOLS_REPORT_REPORT_HTML_H_

#include <string>

#include "report_model.h"

namespace wsbench::report {

std::string RenderHtml(const Report& report);
std::string RenderMarkdown(const Report& report);

// The page height the HTML needs at 1400 px wide (an estimate, written into
// <meta name="wsbench-page-height"> for tools/render-report).
int EstimatedPageHeight(const Report& report);

}  // namespace wsbench::report

#endif  // WSBENCH_TOOLS_REPORT_REPORT_HTML_H_

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
#ifndef WSBENCH_BENCH_REPORT_HTML_H_
#define WSBENCH_BENCH_REPORT_HTML_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "report_model.h"

namespace wsbench::report {

std::string RenderHtml(const Report& report);

// The page for a run's results.json text alone (no baseline, no verdict):
// what `wsbench --out DIR` writes as DIR/report.html. `thresholds` may be
// null; `thresholds_path` is shown as their source. Errors: the reader's
// (the text is not a results file) or BuildReport's (no benchmarks).
absl::StatusOr<std::string> RenderRunReport(std::string_view results_json,
                                            const bench::Thresholds* thresholds,
                                            const std::string& thresholds_path);
std::string RenderMarkdown(const Report& report);

// The page height the HTML needs at 1400 px wide (an estimate, written into
// <meta name="wsbench-page-height"> for tools/render-report).
int EstimatedPageHeight(const Report& report);

}  // namespace wsbench::report

#endif  // WSBENCH_BENCH_REPORT_HTML_H_

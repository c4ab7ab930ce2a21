// The end-of-run summary: the levels x dimensions tables of throughput and
// P95 (medians over repetitions) with verdict marks, the tail (P50 to P99.9,
// max, the throughput pass's mean, samples and sampling rule) at each
// dimension's highest level, degradation per dimension, the bottleneck,
// allocations per op, latency notes (levels whose P95 is at or below the
// timer's resolution, extra latency series such as broadcast's drains),
// wall time and peak RSS. Rendered as aligned text for the console or as
// Markdown for DIR/summary.md; both carry the same figures (numbers in
// record/format.h's forms).
//
//   std::cout << RenderSummary(info, results, degradation, &thresholds,
//                              SummaryFormat::kText, isatty(1));
#ifndef WSBENCH_BENCH_SUMMARY_H_
#define WSBENCH_BENCH_SUMMARY_H_

#include <string>
#include <string_view>
#include <vector>

#include "results.h"
#include "record/results_file.h"
#include "thresholds.h"

namespace wsbench::bench {

enum class SummaryFormat { kText, kMarkdown };

// `terminal` selects ✅ ⚠️ ❌ over [ok] [warn] [poor] in text (Markdown
// always uses the emoji).
std::string RenderSummary(const record::RunInfo& info,
                          const std::vector<BenchmarkResult>& results,
                          const std::vector<record::Degradation>& degradation,
                          const Thresholds* thresholds, SummaryFormat format, bool terminal);

// Terminal columns taken by UTF-8 `text` (emoji 2, variation selectors 0).
int DisplayWidth(std::string_view text);

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_SUMMARY_H_

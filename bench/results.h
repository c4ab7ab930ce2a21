// The suite's results in memory: one BenchmarkResult per `<dimension>/<level>`
// with its repetitions, the statistics over them, and degradation per
// dimension.
//
// Data layout: a repetition keeps its figures in a std::map keyed by the
// JSON field name ("real_time", "ops_per_second", "p95_us", "allocs_per_op",
// and the harness's counters), so aggregates and the JSON writer treat every
// figure alike. Statistics are O(r log r) over r repetitions. Plain values,
// thread-compatible.
//
//   std::vector<record::Degradation> d = ComputeDegradation(results);
#ifndef WSBENCH_BENCH_RESULTS_H_
#define WSBENCH_BENCH_RESULTS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "record/results_file.h"
#include "thresholds.h"

namespace wsbench::bench {

struct RepetitionResult {
  int64_t iterations = 0;  // throughput passes in this repetition
  // A latency percentile below the timer's resolution is NaN here (null in
  // the JSON) with bools["<p>_below_resolution"] true; see
  // record::BelowResolutionKey().
  std::map<std::string, double> numbers;
  std::map<std::string, std::string> strings;  // verdicts
  std::map<std::string, bool> bools;           // p95_below_resolution ...
};

struct BenchmarkResult {
  std::string dimension;
  std::string level;
  int level_index = 0;  // position in kLoadLevels
  int64_t ops = 0;      // ops per pass
  std::string ops_note;
  double items_per_op = 0;
  std::string item_unit;
  bool rate_is_items = false;  // throughput judged (and degraded) on items/s
  bool error = false;
  std::string error_message;
  std::vector<RepetitionResult> repetitions;

  std::string name() const { return dimension + "/" + level; }
  // "items_per_second" or "ops_per_second".
  std::string primary_rate_key() const {
    return rate_is_items ? "items_per_second" : "ops_per_second";
  }
  // Values of `key` over the repetitions that have it.
  std::vector<double> Values(const std::string& key) const;
  // Median of `key`, nullopt when no repetition has it; NaN when the median
  // lies below the timer's resolution (see Median).
  std::optional<double> MedianOf(const std::string& key) const;
};

// (1 - highest / lowest) x 100; 0 when lowest <= 0.
double DegradationPct(double lowest_rate, double highest_rate);

// Per dimension (in first-appearance order) with results at two or more
// levels: degradation of the median primary rate from the lowest to the
// highest level run. The bottleneck is the dimension that degrades most
// (first one on ties); none when the list is empty.
std::vector<record::Degradation> ComputeDegradation(const std::vector<BenchmarkResult>& results);

// Fills the repetition's verdict strings (throughput_verdict, p95_verdict,
// verdict) from its figures.
void ApplyVerdicts(const Thresholds& thresholds, const BenchmarkResult& result,
                   RepetitionResult& rep);

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_RESULTS_H_

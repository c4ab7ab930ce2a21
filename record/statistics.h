// Descriptive statistics over a benchmark's repetitions: the aggregates
// results.json carries (mean, median, stddev, cv, min, max) and the medians
// the tools compare. One definition for the suite and every tool.
//
// NaN is a latency percentile known only to lie below the timer's
// resolution (null in results.json, with "<p>_below_resolution": true): it
// ranks below every number, so Median and Min are NaN when the middle (or
// lowest) value is one, Max ignores it unless every value is NaN, and Mean,
// Stddev and Cv are NaN when any value is. Median of nothing is NaN (a
// missing figure, never a measured 0); the other functions and Aggregate()
// return 0 for an empty input (Stddev and Cv for fewer than 2 values), as
// Google Benchmark does. O(n log n) for the median, O(n) otherwise. Pure,
// thread-safe.
//
//   double m = Median({3, 1, 2});        // 2
//   double a = Aggregate("cv", values);  // stddev / mean
#ifndef WSBENCH_RECORD_STATISTICS_H_
#define WSBENCH_RECORD_STATISTICS_H_

#include <string_view>
#include <vector>

namespace wsbench::record {

// Median (the mean of the middle two for an even count); NaN when `values`
// is empty or the middle value is below the resolution.
double Median(std::vector<double> values);

double Mean(const std::vector<double>& values);
// Sample standard deviation (n - 1).
double Stddev(const std::vector<double>& values);
// Stddev / Mean; 0 when the mean is 0.
double Cv(const std::vector<double>& values);
double Min(const std::vector<double>& values);
double Max(const std::vector<double>& values);

// The aggregates written per benchmark, in results.json's order.
inline constexpr const char* kAggregateNames[] = {"mean", "median", "stddev",
                                                  "cv",   "min",    "max"};
// The aggregate `name` (one of kAggregateNames) over `values`: 0 for an
// empty input (the median too) and for an unknown name.
double Aggregate(std::string_view name, const std::vector<double>& values);

}  // namespace wsbench::record

#endif  // WSBENCH_RECORD_STATISTICS_H_

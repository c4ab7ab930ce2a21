// Small-sample statistics for the regression gate.
//
// Benchmarks here have few repetitions (3 to 10), so the tests are exact
// where that matters:
//   - MannWhitneyU: two-sided p-value from the exact permutation
//     distribution of U (ties handled with midranks; counted by dynamic
//     programming over rank sums) while n + m <= kMaxExactSize, the normal
//     approximation (tie- and continuity-corrected) beyond. Google Benchmark's compare.py only has
//     the normal approximation, which cannot reach p < 0.05 with few
//     repetitions; the exact test can (n = m = 5: minimum p = 2/252).
//   - WilcoxonSignedRank: exact two-sided p for paired differences (A/B runs).
//   - BootstrapRatioOfMedians / BootstrapPairedRatio: percentile confidence
//     intervals from a fixed-seed generator (SplitMix64), so the same inputs
//     give the same interval on every machine.
// Medians are record::Median (record/statistics.h). All functions are pure: O(C(n+m, n) * (n+m)) for the exact U test,
// O(iterations * n log n) for the bootstraps. Thread-safe.
//
//   MannWhitneyResult r = MannWhitneyU({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
//   // r.u == 0, r.p_value == 2.0 / 252
#ifndef WSBENCH_TOOLS_COMPARE_STATS_H_
#define WSBENCH_TOOLS_COMPARE_STATS_H_

#include <cstdint>
#include <vector>

#include "record/statistics.h"

namespace wsbench::compare {

// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, fully specified, so
// bootstrap resamples are identical across standard libraries.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, bound) (Lemire's multiply-shift; bias < 2^-32 for the
  // small bounds used here).
  uint64_t Below(uint64_t bound);

 private:
  uint64_t state_;
};

inline constexpr int kMaxExactSize = 60;

struct MannWhitneyResult {
  double u = 0;        // U of the first sample: pairs with x > y (+0.5 ties)
  double p_value = 1;  // two-sided
  bool exact = false;  // exact permutation distribution (else normal approx)
};

// Two-sided Mann-Whitney U test of x against y. p_value is 1 when either
// sample is empty.
MannWhitneyResult MannWhitneyU(const std::vector<double>& x,
                               const std::vector<double>& y);

struct WilcoxonResult {
  double w_plus = 0;   // sum of ranks of positive differences
  double p_value = 1;  // two-sided
  int n = 0;           // non-zero differences used
  bool exact = false;
};

// Two-sided Wilcoxon signed-rank test of the differences `d` against 0
// (zeros dropped, midranks for ties). Exact for n <= 30, else normal.
WilcoxonResult WilcoxonSignedRank(const std::vector<double>& d);

struct RatioInterval {
  double ratio = 0;  // point estimate
  double lo = 0;     // lower bound of the confidence interval
  double hi = 0;     // upper bound
};

// ratio = Median(next) / Median(base); [lo, hi] is the percentile bootstrap
// interval at `confidence` (e.g. 0.95) from `iterations` resamples of both
// samples with replacement, seeded with `seed`. Requires non-empty samples
// with a non-zero base median (else returns ratio = lo = hi = NaN).
RatioInterval BootstrapRatioOfMedians(const std::vector<double>& base,
                                      const std::vector<double>& next,
                                      double confidence, int iterations,
                                      uint64_t seed);

// For paired positive ratios r_i (B_i / A_i): ratio = geometric mean of r,
// [lo, hi] the percentile bootstrap interval of the geometric mean.
RatioInterval BootstrapPairedRatio(const std::vector<double>& ratios,
                                   double confidence, int iterations,
                                   uint64_t seed);

}  // namespace wsbench::compare

#endif  // WSBENCH_TOOLS_COMPARE_STATS_H_

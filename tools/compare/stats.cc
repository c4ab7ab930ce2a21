#include "stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <tuple>
#include <utility>

namespace wsbench::compare {

using record::Median;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Doubled midranks (integers) of `values`, 1-based: ranks 1..N become 2..2N,
// tied values share the mean of their ranks. Also returns the tie-group
// sizes for the normal approximation's correction.
std::vector<int> DoubledMidranks(const std::vector<double>& values,
                                 std::vector<int>* tie_sizes) {
  const int n = static_cast<int>(values.size());
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return values[a] < values[b]; });
  std::vector<int> ranks(n);
  for (int i = 0; i < n;) {
    int j = i;
    while (j + 1 < n && values[order[j + 1]] == values[order[i]]) ++j;
    // Ranks i+1..j+1 averaged, doubled: (i+1 + j+1).
    for (int k = i; k <= j; ++k) ranks[order[k]] = i + j + 2;
    if (tie_sizes) tie_sizes->push_back(j - i + 1);
    i = j + 1;
  }
  return ranks;
}

double NormalTwoSided(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

double TwoSided(double lower, double upper) {
  return std::min(1.0, 2.0 * std::min(lower, upper));
}

}  // namespace

uint64_t SplitMix64::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::Below(uint64_t bound) {
  uint64_t x = Next() >> 32;
  return (x * bound) >> 32;
}

MannWhitneyResult MannWhitneyU(const std::vector<double>& x,
                               const std::vector<double>& y) {
  MannWhitneyResult result;
  const int m = static_cast<int>(x.size());
  const int n = static_cast<int>(y.size());
  if (m == 0 || n == 0) return result;
  std::vector<double> all(x);
  all.insert(all.end(), y.begin(), y.end());
  std::vector<int> ties;
  std::vector<int> ranks = DoubledMidranks(all, &ties);
  const int total = m + n;
  int observed2 = 0;  // doubled rank sum of x
  for (int i = 0; i < m; ++i) observed2 += ranks[i];
  result.u = observed2 / 2.0 - m * (m + 1) / 2.0;

  if (total <= kMaxExactSize) {
    // ways[k][s]: subsets of size k of the items seen so far whose doubled
    // rank sum is s. Counts fit a double exactly (C(60, 30) < 2^53).
    const int max_sum = 2 * total * (total + 1) / 2 + 1;
    std::vector<std::vector<double>> ways(m + 1,
                                          std::vector<double>(max_sum + 1, 0));
    ways[0][0] = 1;
    for (int item = 0; item < total; ++item) {
      int r = ranks[item];
      for (int k = std::min(item + 1, m); k >= 1; --k) {
        for (int s = max_sum; s >= r; --s) ways[k][s] += ways[k - 1][s - r];
      }
    }
    double all_count = 0, lower = 0, upper = 0;
    for (int s = 0; s <= max_sum; ++s) {
      double c = ways[m][s];
      all_count += c;
      if (s <= observed2) lower += c;
      if (s >= observed2) upper += c;
    }
    result.p_value = TwoSided(lower / all_count, upper / all_count);
    result.exact = true;
    return result;
  }
  double mu = m * static_cast<double>(n) / 2.0;
  double tie_term = 0;
  for (int t : ties) tie_term += static_cast<double>(t) * t * t - t;
  double var = m * static_cast<double>(n) / 12.0 *
               ((total + 1) - tie_term / (static_cast<double>(total) * (total - 1)));
  if (var <= 0) return result;
  double z = (std::fabs(result.u - mu) - 0.5) / std::sqrt(var);
  result.p_value = std::min(1.0, NormalTwoSided(std::max(0.0, z)));
  return result;
}

WilcoxonResult WilcoxonSignedRank(const std::vector<double>& d) {
  WilcoxonResult result;
  std::vector<double> magnitudes;
  std::vector<bool> positive;
  for (double v : d) {
    if (v == 0 || std::isnan(v)) continue;
    magnitudes.push_back(std::fabs(v));
    positive.push_back(v > 0);
  }
  const int n = static_cast<int>(magnitudes.size());
  result.n = n;
  if (n == 0) return result;
  std::vector<int> ties;
  std::vector<int> ranks = DoubledMidranks(magnitudes, &ties);
  int observed2 = 0;
  for (int i = 0; i < n; ++i) {
    if (positive[i]) observed2 += ranks[i];
  }
  result.w_plus = observed2 / 2.0;
  if (n <= 30) {
    const int max_sum = n * (n + 1);  // doubled total rank sum
    std::vector<double> ways(max_sum + 1, 0);
    ways[0] = 1;
    for (int i = 0; i < n; ++i) {
      for (int s = max_sum; s >= ranks[i]; --s) ways[s] += ways[s - ranks[i]];
    }
    double all_count = std::ldexp(1.0, n), lower = 0, upper = 0;
    for (int s = 0; s <= max_sum; ++s) {
      if (s <= observed2) lower += ways[s];
      if (s >= observed2) upper += ways[s];
    }
    result.p_value = TwoSided(lower / all_count, upper / all_count);
    result.exact = true;
    return result;
  }
  double mu = n * (n + 1) / 4.0;
  double tie_term = 0;
  for (int t : ties) tie_term += static_cast<double>(t) * t * t - t;
  double var = n * (n + 1) * (2.0 * n + 1) / 24.0 - tie_term / 48.0;
  double z = (std::fabs(result.w_plus - mu) - 0.5) / std::sqrt(var);
  result.p_value = std::min(1.0, NormalTwoSided(std::max(0.0, z)));
  return result;
}

namespace {

// Percentile interval [lo, hi] of `samples` at `confidence`.
std::pair<double, double> PercentileInterval(std::vector<double>& samples,
                                             double confidence) {
  std::sort(samples.begin(), samples.end());
  const double alpha = (1.0 - confidence) / 2.0;
  const size_t b = samples.size();
  size_t lo = static_cast<size_t>(std::floor(alpha * (b - 1)));
  size_t hi = static_cast<size_t>(std::ceil((1.0 - alpha) * (b - 1)));
  return {samples[lo], samples[std::min(hi, b - 1)]};
}

double MedianOfResample(const std::vector<double>& values, SplitMix64& rng,
                        std::vector<double>& scratch) {
  scratch.resize(values.size());
  for (double& v : scratch) v = values[rng.Below(values.size())];
  size_t n = scratch.size();
  std::nth_element(scratch.begin(), scratch.begin() + n / 2, scratch.end());
  double upper = scratch[n / 2];
  if (n % 2 == 1) return upper;
  double lower = *std::max_element(scratch.begin(), scratch.begin() + n / 2);
  return (lower + upper) / 2.0;
}

}  // namespace

RatioInterval BootstrapRatioOfMedians(const std::vector<double>& base,
                                      const std::vector<double>& next,
                                      double confidence, int iterations,
                                      uint64_t seed) {
  RatioInterval out{kNaN, kNaN, kNaN};
  if (base.empty() || next.empty() || iterations <= 0) return out;
  double base_median = Median(base);
  if (base_median == 0) return out;
  out.ratio = Median(next) / base_median;
  SplitMix64 rng(seed);
  std::vector<double> ratios;
  ratios.reserve(iterations);
  std::vector<double> scratch;
  for (int i = 0; i < iterations; ++i) {
    double b = MedianOfResample(base, rng, scratch);
    double n = MedianOfResample(next, rng, scratch);
    if (b != 0) ratios.push_back(n / b);
  }
  if (ratios.empty()) return out;
  std::tie(out.lo, out.hi) = PercentileInterval(ratios, confidence);
  return out;
}

RatioInterval BootstrapPairedRatio(const std::vector<double>& ratios,
                                   double confidence, int iterations,
                                   uint64_t seed) {
  RatioInterval out{kNaN, kNaN, kNaN};
  std::vector<double> logs;
  for (double r : ratios) {
    if (!(r > 0) || !std::isfinite(r)) return out;
    logs.push_back(std::log(r));
  }
  if (logs.empty() || iterations <= 0) return out;
  out.ratio = std::exp(std::accumulate(logs.begin(), logs.end(), 0.0) /
                       static_cast<double>(logs.size()));
  SplitMix64 rng(seed);
  std::vector<double> means;
  means.reserve(iterations);
  for (int i = 0; i < iterations; ++i) {
    double sum = 0;
    for (size_t k = 0; k < logs.size(); ++k) sum += logs[rng.Below(logs.size())];
    means.push_back(std::exp(sum / static_cast<double>(logs.size())));
  }
  std::tie(out.lo, out.hi) = PercentileInterval(means, confidence);
  return out;
}

}  // namespace wsbench::compare

// Tests for tools/compare/stats.h against known values: exact Mann-Whitney U
// p-values (tables; the tied cases checked by brute-force enumeration of all
// C(n+m, n) splits), Wilcoxon signed-rank, bootstrap determinism.
#include "stats.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace wsbench::compare {
namespace {

TEST(SplitMix64Test, KnownSequence) {
  // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
  SplitMix64 rng(0);
  EXPECT_EQ(rng.Next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(rng.Next(), 0x6e789e6aa1b965f4ULL);
  SplitMix64 bounded(42);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(bounded.Below(7), 7u);
}

TEST(MannWhitneyTest, CompletelySeparatedFiveByFive) {
  MannWhitneyResult r = MannWhitneyU({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  EXPECT_DOUBLE_EQ(r.u, 0);
  EXPECT_TRUE(r.exact);
  EXPECT_NEAR(r.p_value, 2.0 / 252, 1e-12);  // the smallest p for n = m = 5
  // Symmetric: swapping the samples gives U = n*m and the same p.
  MannWhitneyResult s = MannWhitneyU({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5});
  EXPECT_DOUBLE_EQ(s.u, 25);
  EXPECT_NEAR(s.p_value, 2.0 / 252, 1e-12);
}

TEST(MannWhitneyTest, OneInversion) {
  MannWhitneyResult r = MannWhitneyU({1, 2, 3, 4, 6}, {5, 7, 8, 9, 10});
  EXPECT_DOUBLE_EQ(r.u, 1);
  EXPECT_NEAR(r.p_value, 4.0 / 252, 1e-12);
}

TEST(MannWhitneyTest, TableValuesSmallSamples) {
  // n = m = 3 fully separated: 2 of C(6,3) = 20 splits are as extreme.
  EXPECT_NEAR(MannWhitneyU({1, 2, 3}, {4, 5, 6}).p_value, 0.1, 1e-12);
  // n = m = 4, U = 1: P(U <= 1) = 2/70.
  EXPECT_NEAR(MannWhitneyU({1, 2, 3, 5}, {4, 6, 7, 8}).p_value, 4.0 / 70, 1e-12);
}

TEST(MannWhitneyTest, TiesUseMidranksExactly) {
  // Expected values from enumerating every split with midranks.
  MannWhitneyResult a = MannWhitneyU({1, 2, 2, 3}, {2, 3, 4, 5});
  EXPECT_DOUBLE_EQ(a.u, 2.5);
  EXPECT_NEAR(a.p_value, 0.2, 1e-12);
  MannWhitneyResult b = MannWhitneyU({10, 10, 12, 15, 11}, {10, 13, 14, 16, 17});
  EXPECT_DOUBLE_EQ(b.u, 6);
  EXPECT_NEAR(b.p_value, 0.21428571428571427, 1e-12);
  MannWhitneyResult c = MannWhitneyU({1, 2, 3, 4}, {2, 5, 6, 7});
  EXPECT_NEAR(c.p_value, 0.14285714285714285, 1e-12);
}

TEST(MannWhitneyTest, IdenticalSamplesAreNotSignificant) {
  EXPECT_DOUBLE_EQ(MannWhitneyU({5, 5, 5}, {5, 5, 5}).p_value, 1.0);
  EXPECT_DOUBLE_EQ(MannWhitneyU({1, 2, 3}, {1, 2, 3}).p_value, 1.0);
  EXPECT_DOUBLE_EQ(MannWhitneyU({}, {1, 2}).p_value, 1.0);
}

TEST(MannWhitneyTest, LargeSamplesUseNormalApproximation) {
  std::vector<double> x, y;
  for (int i = 0; i < 40; ++i) {
    x.push_back(i);
    y.push_back(i + 20);
  }
  MannWhitneyResult r = MannWhitneyU(x, y);
  EXPECT_FALSE(r.exact);
  // x > y only inside the overlap 20..39: 190 pairs plus 20 ties at 0.5.
  EXPECT_DOUBLE_EQ(r.u, 200);
  // 20 tied pairs: var = 40*40/12 * (81 - 20*6/(80*79)); continuity 0.5.
  double var = 1600.0 / 12 * (81 - 120.0 / 6320);
  EXPECT_NEAR(r.p_value, std::erfc((600 - 0.5) / std::sqrt(var) / std::sqrt(2.0)),
              1e-12);
  EXPECT_LT(r.p_value, 0.001);
}

TEST(WilcoxonTest, ExactSmallSamples) {
  // All six differences positive: 2 of 2^6 sign patterns as extreme.
  WilcoxonResult a = WilcoxonSignedRank({1, 2, 3, 4, 5, 6});
  EXPECT_DOUBLE_EQ(a.w_plus, 21);
  EXPECT_NEAR(a.p_value, 2.0 / 64, 1e-12);
  // Five pairs can never reach p < 0.05 two-sided.
  EXPECT_NEAR(WilcoxonSignedRank({1, 2, 3, 4, 5}).p_value, 2.0 / 32, 1e-12);
  // One negative smallest difference: W+ = 20, P(W+ >= 20) = 2/64.
  WilcoxonResult b = WilcoxonSignedRank({-1, 2, 3, 4, 5, 6});
  EXPECT_DOUBLE_EQ(b.w_plus, 20);
  EXPECT_NEAR(b.p_value, 4.0 / 64, 1e-12);
  // Zeros are dropped.
  EXPECT_EQ(WilcoxonSignedRank({0, 0, 1}).n, 1);
}

TEST(BootstrapTest, DeterministicForASeed) {
  std::vector<double> base = {100, 102, 98, 101, 99};
  std::vector<double> next = {90, 93, 88, 91, 89};
  RatioInterval a = BootstrapRatioOfMedians(base, next, 0.95, 5000, 7);
  RatioInterval b = BootstrapRatioOfMedians(base, next, 0.95, 5000, 7);
  EXPECT_EQ(a.lo, b.lo);
  EXPECT_EQ(a.hi, b.hi);
  EXPECT_DOUBLE_EQ(a.ratio, 90.0 / 100.0);
  EXPECT_LE(a.lo, a.ratio);
  EXPECT_GE(a.hi, a.ratio);
  // The interval is built from resampled medians, so it lies within the
  // extreme ratios of the data.
  EXPECT_GE(a.lo, 88.0 / 102.0);
  EXPECT_LE(a.hi, 93.0 / 98.0);
  EXPECT_LT(a.hi, 1.0);
}

TEST(BootstrapTest, IdenticalConstantSamplesGiveAPointInterval) {
  RatioInterval r = BootstrapRatioOfMedians({5, 5, 5}, {5, 5, 5}, 0.95, 1000, 1);
  EXPECT_DOUBLE_EQ(r.ratio, 1);
  EXPECT_DOUBLE_EQ(r.lo, 1);
  EXPECT_DOUBLE_EQ(r.hi, 1);
  EXPECT_TRUE(std::isnan(BootstrapRatioOfMedians({}, {1}, 0.95, 100, 1).ratio));
  EXPECT_TRUE(std::isnan(BootstrapRatioOfMedians({0, 0}, {1}, 0.95, 100, 1).ratio));
}

TEST(BootstrapTest, PairedRatioIsGeometricMean) {
  RatioInterval r = BootstrapPairedRatio({0.5, 2.0}, 0.95, 2000, 3);
  EXPECT_NEAR(r.ratio, 1.0, 1e-12);
  RatioInterval s = BootstrapPairedRatio({1.25, 1.24, 1.26, 1.25, 1.27, 1.23},
                                         0.95, 2000, 3);
  EXPECT_NEAR(s.ratio, 1.25, 0.005);
  EXPECT_GT(s.lo, 1.2);
  EXPECT_LT(s.hi, 1.3);
  RatioInterval again = BootstrapPairedRatio({1.25, 1.24, 1.26, 1.25, 1.27, 1.23},
                                             0.95, 2000, 3);
  EXPECT_EQ(s.lo, again.lo);
  EXPECT_TRUE(std::isnan(BootstrapPairedRatio({1.0, -1.0}, 0.95, 100, 1).ratio));
}

}  // namespace
}  // namespace wsbench::compare

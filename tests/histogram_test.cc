#include "histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "alloc_counter.h"
#include "gtest/gtest.h"

namespace wsbench::bench {
namespace {

// The nearest-rank percentile of `values` (what Histogram approximates).
double ExactPercentile(std::vector<uint64_t> values, double pct) {
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(pct / 100.0 * values.size()));
  rank = std::clamp<size_t>(rank, 1, values.size());
  return static_cast<double>(values[rank - 1]);
}

void ExpectWithinError(const std::vector<uint64_t>& values, double pct) {
  Histogram h;
  for (uint64_t v : values) h.Record(v);
  const double exact = ExactPercentile(values, pct);
  const double got = h.Percentile(pct);
  // The stated bound (1%); the design gives 1/256.
  EXPECT_LE(std::abs(got - exact), std::max(0.01 * exact, 0.5))
      << "p" << pct << " exact " << exact << " got " << got;
  EXPECT_LE(std::abs(got - exact), Histogram::kMaxRelativeError * exact + 0.5);
}

TEST(HistogramTest, BoundIsOnePercentOrBetter) { EXPECT_LE(Histogram::kMaxRelativeError, 0.01); }

TEST(HistogramTest, EmptyGivesZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(95), 0);
}

TEST(HistogramTest, UniformDistribution) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<uint64_t> dist(1'000, 1'000'000);
  std::vector<uint64_t> values(100'000);
  for (auto& v : values) v = dist(rng);
  for (double pct : {1.0, 50.0, 95.0, 99.0, 99.9}) ExpectWithinError(values, pct);
  // And the analytic answer for a uniform distribution.
  Histogram h;
  for (uint64_t v : values) h.Record(v);
  EXPECT_NEAR(h.Percentile(50), 500'500, 500'500 * 0.02);
  EXPECT_NEAR(h.Percentile(95), 950'050, 950'050 * 0.02);
}

TEST(HistogramTest, ExponentialDistribution) {
  std::mt19937_64 rng(2);
  std::exponential_distribution<double> dist(1.0 / 50'000.0);  // mean 50 ns in ps
  std::vector<uint64_t> values(200'000);
  for (auto& v : values) v = static_cast<uint64_t>(dist(rng));
  for (double pct : {50.0, 95.0, 99.0, 99.99}) ExpectWithinError(values, pct);
  Histogram h;
  for (uint64_t v : values) h.Record(v);
  // Quantiles of Exp(mean m): -m ln(1 - p).
  EXPECT_NEAR(h.Percentile(50), 50'000 * std::log(2.0), 50'000 * 0.7 * 0.03);
  EXPECT_NEAR(h.Percentile(99), 50'000 * std::log(100.0), 50'000 * 4.6 * 0.03);
}

TEST(HistogramTest, ConstantIsExact) {
  Histogram h;
  for (int i = 0; i < 1000; ++i) h.Record(123'457);
  EXPECT_EQ(h.Percentile(0), 123'457);
  EXPECT_EQ(h.Percentile(50), 123'457);
  EXPECT_EQ(h.Percentile(100), 123'457);
  EXPECT_EQ(h.min(), 123'457u);
  EXPECT_EQ(h.max(), 123'457u);
  EXPECT_DOUBLE_EQ(h.mean(), 123'457);
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 0; v < 100; ++v) h.Record(v);
  EXPECT_EQ(h.Percentile(50), 49);
  EXPECT_EQ(h.Percentile(95), 94);
  EXPECT_EQ(h.Percentile(100), 99);
}

TEST(HistogramTest, ExtremeValues) {
  Histogram h;
  h.Record(0);
  h.Record(UINT64_MAX);
  h.Record(uint64_t{1} << 63);
  EXPECT_EQ(h.count(), 3u);
  EXPECT_EQ(h.Percentile(0), 0);
  EXPECT_EQ(h.Percentile(100), static_cast<double>(UINT64_MAX));
  const double mid = h.Percentile(50);
  EXPECT_NEAR(mid, std::ldexp(1.0, 63), std::ldexp(1.0, 63) * Histogram::kMaxRelativeError * 2);
  // One huge outlier does not move the P50 of many small values.
  Histogram g;
  for (int i = 0; i < 999; ++i) g.Record(1000);
  g.Record(UINT64_MAX);
  EXPECT_NEAR(g.Percentile(50), 1000, 10);
  EXPECT_NEAR(g.Percentile(99), 1000, 10);
  EXPECT_EQ(g.Percentile(100), static_cast<double>(UINT64_MAX));
}

TEST(HistogramTest, BucketsTileTheRange) {
  // Each bucket starts where the previous one ends, and the index of a
  // bucket's low and high values is the bucket itself.
  for (int i = 1; i < Histogram::kBucketCount; ++i) {
    ASSERT_EQ(Histogram::BucketLow(i), Histogram::BucketLow(i - 1) + Histogram::BucketWidth(i - 1))
        << i;
    ASSERT_EQ(Histogram::BucketIndex(Histogram::BucketLow(i)), i);
    ASSERT_EQ(Histogram::BucketIndex(Histogram::BucketLow(i) + Histogram::BucketWidth(i) - 1), i);
    // Relative width bound.
    ASSERT_LE(static_cast<double>(Histogram::BucketWidth(i)),
              std::max(1.0, static_cast<double>(Histogram::BucketLow(i)) / Histogram::kSubBuckets));
  }
  EXPECT_EQ(Histogram::BucketIndex(UINT64_MAX), Histogram::kBucketCount - 1);
}

TEST(HistogramTest, ClearForgetsEverything) {
  Histogram h;
  h.Record(5);
  h.Record(500'000);
  h.Clear();
  EXPECT_EQ(h.count(), 0u);
  h.Record(7);
  EXPECT_EQ(h.Percentile(100), 7);
  EXPECT_EQ(h.min(), 7u);
}

TEST(HistogramTest, RecordDoesNotAllocate) {
  ASSERT_TRUE(AllocCountingEnabled()) << "the test must link bench/alloc_hooks.cc";
  Histogram h;
  std::mt19937_64 rng(3);
  const uint64_t before = AllocCount();
  for (int i = 0; i < 100'000; ++i) h.Record(rng());
  (void)h.Percentile(99);
  EXPECT_EQ(AllocCount(), before);
  // The counter itself works.
  auto* p = new int(1);
  EXPECT_EQ(AllocCount(), before + 1);
  delete p;
}

}  // namespace
}  // namespace wsbench::bench

// Tests for record/statistics.h: the median's even/empty conventions, NaN
// as a value below the timer's resolution, and the aggregates written into
// results.json.
#include "record/statistics.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace wsbench::record {
namespace {

TEST(StatisticsTest, MedianOddEvenEmpty) {
  EXPECT_DOUBLE_EQ(Median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(Median({4, 1, 3, 2}), 2.5);  // Google Benchmark 1.7 says 3
  EXPECT_DOUBLE_EQ(Median({7}), 7);
  EXPECT_TRUE(std::isnan(Median({})));
}

TEST(StatisticsTest, BelowResolutionValuesRankBelowEveryNumber) {
  // NaN = a percentile known only to lie below the timer's resolution.
  const std::vector<double> mostly_below = {NAN, 0.5, NAN};
  EXPECT_TRUE(std::isnan(Median(mostly_below)));
  EXPECT_TRUE(std::isnan(Min(mostly_below)));
  EXPECT_EQ(Max(mostly_below), 0.5);
  EXPECT_TRUE(std::isnan(Mean(mostly_below)));
  EXPECT_TRUE(std::isnan(Stddev(mostly_below)));
  const std::vector<double> one_below = {0.7, NAN, 0.5};
  EXPECT_EQ(Median(one_below), 0.5);
  EXPECT_TRUE(std::isnan(Min(one_below)));
  EXPECT_TRUE(std::isnan(Median({NAN, 1, 2, NAN})));  // a middle value
  EXPECT_EQ(Median({NAN, 1, 2, 3}), 1.5);
  EXPECT_TRUE(std::isnan(Max({NAN, NAN})));
}

TEST(StatisticsTest, Aggregates) {
  const std::vector<double> v = {2, 4, 4, 4, 5, 5, 7, 9};
  EXPECT_DOUBLE_EQ(Aggregate("mean", v), 5);
  EXPECT_DOUBLE_EQ(Aggregate("median", v), 4.5);
  EXPECT_NEAR(Aggregate("stddev", v), std::sqrt(32.0 / 7), 1e-12);  // n - 1
  EXPECT_NEAR(Aggregate("cv", v), std::sqrt(32.0 / 7) / 5, 1e-12);
  EXPECT_DOUBLE_EQ(Aggregate("min", v), 2);
  EXPECT_DOUBLE_EQ(Aggregate("max", v), 9);
  EXPECT_DOUBLE_EQ(Aggregate("nonsense", v), 0);
}

TEST(StatisticsTest, AggregatesOfTooFewValuesAreZero) {
  for (const char* name : kAggregateNames) {
    EXPECT_DOUBLE_EQ(Aggregate(name, {}), 0) << name;
  }
  EXPECT_DOUBLE_EQ(Stddev({3}), 0);
  EXPECT_DOUBLE_EQ(Cv({3}), 0);
  EXPECT_DOUBLE_EQ(Cv({0, 0}), 0);
}

}  // namespace
}  // namespace wsbench::record

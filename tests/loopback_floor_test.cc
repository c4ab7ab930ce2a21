#include "loopback_floor.h"

#include "gtest/gtest.h"

namespace wsbench::bench {
namespace {

TEST(LoopbackFloorTest, MeasuresRoundTripsOfTheGivenSizes) {
  absl::StatusOr<LoopbackFloor> f = MeasureLoopbackFloor(
      {.sizes = {100, 3000, 70000}, .round_trips = 300, .warmup = 10});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->samples, 300);
  EXPECT_GT(f->p50_us, 0);
  EXPECT_LE(f->p50_us, f->p95_us);
  EXPECT_LE(f->p95_us, f->p99_us);
  EXPECT_GT(f->mean_us, 0);
  std::map<std::string, double> counters;
  AddLoopbackCounters(f, counters);
  EXPECT_EQ(counters.at("loopback_rtt_samples"), 300);
  EXPECT_EQ(counters.count("loopback_rtt_p50_us"), 1u);
}

TEST(LoopbackFloorTest, HandsBackEverySampleForMerging) {
  std::vector<int64_t> samples;
  absl::StatusOr<LoopbackFloor> f = MeasureLoopbackFloor(
      {.sizes = {200}, .round_trips = 50, .warmup = 5, .samples_ns = &samples});
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(samples.size(), 50u);
  for (int64_t ns : samples) EXPECT_GT(ns, 0);
  const LoopbackFloor again = FloorFromSamples(samples);
  EXPECT_EQ(again.samples, 50);
  EXPECT_DOUBLE_EQ(again.p50_us, f->p50_us);
  EXPECT_DOUBLE_EQ(again.p99_us, f->p99_us);
  EXPECT_EQ(FloorFromSamples({}).samples, 0);
}

TEST(LoopbackFloorTest, RefusesBadOptions) {
  EXPECT_EQ(MeasureLoopbackFloor({}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MeasureLoopbackFloor({.sizes = {0}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      MeasureLoopbackFloor({.sizes = {10}, .round_trips = 0}).status().code(),
      absl::StatusCode::kInvalidArgument);
  std::map<std::string, double> counters;
  AddLoopbackCounters(absl::InternalError("x"), counters);
  EXPECT_TRUE(counters.empty());
}

}  // namespace
}  // namespace wsbench::bench

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

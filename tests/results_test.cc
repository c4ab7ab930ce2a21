#include "results.h"

#include <cmath>

#include "gtest/gtest.h"

namespace wsbench::bench {
namespace {

BenchmarkResult Make(const std::string& dim, const std::string& level, int index,
                     std::vector<double> rates, bool items = false) {
  BenchmarkResult r;
  r.dimension = dim;
  r.level = level;
  r.level_index = index;
  r.rate_is_items = items;
  for (double rate : rates) {
    RepetitionResult rep;
    rep.numbers[items ? "items_per_second" : "ops_per_second"] = rate;
    rep.numbers[items ? "ops_per_second" : "items_per_second"] = rate / 1000;  // must be ignored
    r.repetitions.push_back(rep);
  }
  return r;
}

TEST(ResultsTest, P95BelowResolutionIsJudgedByTheResolution) {
  absl::StatusOr<Thresholds> t = Thresholds::Parse(
      R"({"dimensions": {"x": {"p95_us": {"excellent": 0.05, "good": 0.1}}}})",
      "t");
  ASSERT_TRUE(t.ok()) << t.status();
  BenchmarkResult r;
  r.dimension = "x";
  RepetitionResult rep;
  rep.numbers["p95_us"] = NAN;
  rep.numbers["latency_resolution_us"] = 0.02;
  ApplyVerdicts(*t, r, rep);
  EXPECT_EQ(rep.strings["p95_verdict"], "excellent");
  rep.numbers["latency_resolution_us"] = 0.08;  // only "good" can be claimed
  ApplyVerdicts(*t, r, rep);
  EXPECT_EQ(rep.strings["p95_verdict"], "good");
}

TEST(ResultsTest, DegradationFormula) {
  EXPECT_DOUBLE_EQ(DegradationPct(100, 80), 20);
  EXPECT_DOUBLE_EQ(DegradationPct(100, 100), 0);
  EXPECT_DOUBLE_EQ(DegradationPct(100, 125), -25);  // got faster
  EXPECT_DOUBLE_EQ(DegradationPct(0, 10), 0);
}

TEST(ResultsTest, DegradationUsesMediansOfLowestAndHighestLevelRun) {
  std::vector<BenchmarkResult> results = {
      Make("a", "light", 1, {100, 90, 110}),     // median 100
      Make("a", "medium", 3, {50, 60, 95}),      // middle level, ignored
      Make("a", "very_high", 5, {70, 80, 75}),   // median 75 -> 25%
      Make("b", "light", 1, {1000, 1000, 1000}, /*items=*/true),
      Make("b", "very_high", 5, {400, 2000, 600}, true),  // median 600 -> 40%
      Make("c", "light", 1, {10}),               // one level: no degradation
  };
  std::vector<record::Degradation> d = ComputeDegradation(results);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].dimension, "a");
  EXPECT_EQ(d[0].lowest_level, "light");
  EXPECT_EQ(d[0].highest_level, "very_high");
  EXPECT_DOUBLE_EQ(d[0].pct, 25);
  EXPECT_FALSE(d[0].bottleneck);
  EXPECT_EQ(d[1].dimension, "b");
  EXPECT_DOUBLE_EQ(d[1].pct, 40);
  EXPECT_TRUE(d[1].bottleneck);
}

TEST(ResultsTest, BottleneckIsTheWorstEvenWhenAllImprove) {
  std::vector<BenchmarkResult> results = {
      Make("x", "minimal", 0, {100}), Make("x", "low", 2, {150}),   // -50%
      Make("y", "minimal", 0, {100}), Make("y", "low", 2, {110}),   // -10%
  };
  std::vector<record::Degradation> d = ComputeDegradation(results);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_FALSE(d[0].bottleneck);
  EXPECT_TRUE(d[1].bottleneck);
  EXPECT_TRUE(ComputeDegradation({}).empty());
}

TEST(ResultsTest, FailedBenchmarksDoNotCount) {
  std::vector<BenchmarkResult> results = {Make("x", "minimal", 0, {100}),
                                          Make("x", "low", 2, {10})};
  results[1].error = true;
  EXPECT_TRUE(ComputeDegradation(results).empty());
}

TEST(ResultsTest, ApplyVerdicts) {
  absl::StatusOr<Thresholds> t = Thresholds::Parse(
      R"({"dimensions": {"x": {"throughput": {"excellent": 100, "good": 50},
                               "p95_us": {"excellent": 1, "good": 2}}}})",
      "t");
  ASSERT_TRUE(t.ok());
  BenchmarkResult r = Make("x", "minimal", 0, {120});
  r.repetitions[0].numbers["p95_us"] = 1.5;
  ApplyVerdicts(*t, r, r.repetitions[0]);
  EXPECT_EQ(r.repetitions[0].strings["throughput_verdict"], "excellent");
  EXPECT_EQ(r.repetitions[0].strings["p95_verdict"], "good");
  EXPECT_EQ(r.repetitions[0].strings["verdict"], "good");
}

}  // namespace
}  // namespace wsbench::bench

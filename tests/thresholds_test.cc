#include "thresholds.h"

#include <fstream>
#include <string>

#include "fingerprint.h"
#include "gtest/gtest.h"

namespace wsbench::bench {
namespace {

constexpr const char* kGood = R"({
  "version": 1,
  "comment": "test",
  "dimensions": {
    "broadcast": {"rate": "items",
                  "throughput": {"excellent": 300e6, "good": 100e6},
                  "p95_us": {"excellent": 0.01, "good": 0.03, "per_item": true}},
    "permissions": {"throughput": {"excellent": 50e6, "good": 10e6},
                    "p95_us": {"excellent": 0.1, "good": 0.3},
                    "degradation_pct": {"excellent": 20, "good": 60},
                    "counters": {"bare_share_pct": {"excellent": 66.7, "good": 33.3},
                                 "rtt1_p99_us": {"excellent": 50, "good": 150}}},
    "bare": {}
  }
})";

TEST(ThresholdsTest, ParsesAndJudges) {
  absl::StatusOr<Thresholds> t = Thresholds::Parse(kGood, "test.json");
  ASSERT_TRUE(t.ok()) << t.status();
  const DimensionThresholds* b = t->Find("broadcast");
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->rate_is_items);
  EXPECT_TRUE(b->p95_per_item);
  EXPECT_FALSE(t->Find("permissions")->rate_is_items);

  EXPECT_EQ(t->ThroughputVerdict("permissions", 60e6), Verdict::kExcellent);
  EXPECT_EQ(t->ThroughputVerdict("permissions", 50e6), Verdict::kExcellent);  // boundary
  EXPECT_EQ(t->ThroughputVerdict("permissions", 20e6), Verdict::kGood);
  EXPECT_EQ(t->ThroughputVerdict("permissions", 1e6), Verdict::kPoor);
  EXPECT_EQ(t->P95Verdict("permissions", 0.1, 0), Verdict::kExcellent);  // boundary
  EXPECT_EQ(t->P95Verdict("permissions", 0.2, 0), Verdict::kGood);
  EXPECT_EQ(t->P95Verdict("permissions", 0.5, 0), Verdict::kPoor);
  // Per item: 1 µs per publish of 200 deliveries = 0.005 µs per delivery.
  EXPECT_EQ(t->P95Verdict("broadcast", 1.0, 200), Verdict::kExcellent);
  EXPECT_EQ(t->P95Verdict("broadcast", 1.0, 10), Verdict::kPoor);
  // Degradation: lower is better.
  EXPECT_EQ(t->DegradationVerdict("permissions", 20),
            Verdict::kExcellent);  // boundary
  EXPECT_EQ(t->DegradationVerdict("permissions", -5),
            Verdict::kExcellent);  // grows
  EXPECT_EQ(t->DegradationVerdict("permissions", 53), Verdict::kGood);
  EXPECT_EQ(t->DegradationVerdict("permissions", 74), Verdict::kPoor);
  // Counters: higher is better; an unlisted counter has no verdict.
  EXPECT_EQ(t->CounterVerdict("permissions", "bare_share_pct", 70),
            Verdict::kExcellent);
  EXPECT_EQ(t->CounterVerdict("permissions", "bare_share_pct", 40),
            Verdict::kGood);
  EXPECT_EQ(t->CounterVerdict("permissions", "bare_share_pct", 10),
            Verdict::kPoor);
  EXPECT_EQ(t->CounterVerdict("permissions", "other_pct", 10), Verdict::kNone);
  // A latency counter ("*_us"): lower is better.
  EXPECT_TRUE(CounterIsLatency("rtt1_p99_us"));
  EXPECT_FALSE(CounterIsLatency("bare_share_pct"));
  EXPECT_EQ(t->CounterVerdict("permissions", "rtt1_p99_us", 30),
            Verdict::kExcellent);
  EXPECT_EQ(t->CounterVerdict("permissions", "rtt1_p99_us", 100),
            Verdict::kGood);
  EXPECT_EQ(t->CounterVerdict("permissions", "rtt1_p99_us", 200),
            Verdict::kPoor);
  // Unknown dimension or no bands: no verdict.
  EXPECT_EQ(t->ThroughputVerdict("nope", 1), Verdict::kNone);
  EXPECT_EQ(t->P95Verdict("bare", 1, 0), Verdict::kNone);
  EXPECT_EQ(t->DegradationVerdict("bare", 90), Verdict::kNone);
  EXPECT_EQ(t->CounterVerdict("nope", "bare_share_pct", 1), Verdict::kNone);
}

TEST(ThresholdsTest, VerdictNamesMarksAndWorst) {
  EXPECT_EQ(VerdictName(Verdict::kGood), "good");
  EXPECT_EQ(VerdictMark(Verdict::kExcellent, true), "\u2705");
  EXPECT_EQ(VerdictMark(Verdict::kGood, true), "\u26a0\ufe0f");
  EXPECT_EQ(VerdictMark(Verdict::kPoor, true), "\u274c");
  EXPECT_EQ(VerdictMark(Verdict::kExcellent, false), "[ok]");
  EXPECT_EQ(VerdictMark(Verdict::kGood, false), "[warn]");
  EXPECT_EQ(VerdictMark(Verdict::kPoor, false), "[poor]");
  EXPECT_EQ(WorseVerdict(Verdict::kExcellent, Verdict::kPoor), Verdict::kPoor);
  EXPECT_EQ(WorseVerdict(Verdict::kGood, Verdict::kExcellent), Verdict::kGood);
  EXPECT_EQ(WorseVerdict(Verdict::kNone, Verdict::kGood), Verdict::kGood);
  EXPECT_EQ(WorseVerdict(Verdict::kExcellent, Verdict::kNone), Verdict::kExcellent);
}

void ExpectError(const std::string& json, const std::string& fragment) {
  absl::StatusOr<Thresholds> t = Thresholds::Parse(json, "bad.json");
  ASSERT_FALSE(t.ok()) << json;
  const std::string message(t.status().message());
  EXPECT_NE(message.find("bad.json"), std::string::npos) << message;
  EXPECT_NE(message.find(fragment), std::string::npos) << message;
}

TEST(ThresholdsTest, BadFilesGiveClearErrors) {
  ExpectError("{", "$");
  ExpectError("[1, 2]", "not a JSON object");
  ExpectError(R"({"version": 1})", "dimensions: missing");
  ExpectError(R"({"dimensions": {"x": {"throughput": {"excellent": "fast", "good": 1}}}})",
              "dimensions.x.throughput.excellent");
  ExpectError(R"({"dimensions": {"x": {"throughput": {"excellent": 1}}}})",
              "dimensions.x.throughput.good: missing");
  ExpectError(R"({"dimensions": {"x": {"throughput": {"excellent": 1, "good": 5}}}})",
              "worse than good");
  ExpectError(R"({"dimensions": {"x": {"p95_us": {"excellent": 5, "good": 1}}}})",
              "worse than good");
  ExpectError(R"({"dimensions": {"x": {"rate": "bytes"}}})", "dimensions.x.rate");
  ExpectError(R"({"dimensions": {"x": {"p95_us": {"excellent": -1, "good": 1}}}})",
              "positive");
  ExpectError(
      R"({"dimensions": {"x": {"degradation_pct": {"excellent": 60, "good": 20}}}})",
      "dimensions.x.degradation_pct: excellent (60) is worse than good (20)");
  ExpectError(
      R"({"dimensions": {"x": {"counters": {"c": {"excellent": 1, "good": 5}}}}})",
      "dimensions.x.counters.c: excellent (1) is worse than good (5)");
  ExpectError(
      R"({"dimensions": {"x": {"counters": {"c_us": {"excellent": 5, "good": 1}}}}})",
      "dimensions.x.counters.c_us: excellent (5) is worse than good (1); lower");
  ExpectError(R"({"dimensions": {"x": {"counters": [1]}}})",
              "dimensions.x.counters: not an object");
}

TEST(ThresholdsTest, MissingFileIsNotFound) {
  absl::StatusOr<Thresholds> t = Thresholds::Load("/nonexistent/thresholds.json");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(t.status().message()).find("/nonexistent/thresholds.json"),
            std::string::npos);
}

// The file in the repo parses and its bands are the issue's targets.
TEST(ThresholdsTest, RepoFileSeedsTheTargets) {
  absl::StatusOr<Thresholds> t =
      Thresholds::Load(std::string(SourceDir()) + "/bench/thresholds.json");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->ThroughputVerdict("connections", 30e6), Verdict::kExcellent);
  EXPECT_NE(t->ThroughputVerdict("connections", 29e6), Verdict::kExcellent);
  EXPECT_EQ(t->ThroughputVerdict("messages", 5e6), Verdict::kExcellent);
  // Degradation <= 20% and messages within 1.5x of bare simdjson.
  for (const char* d :
       {"connections", "messages", "subscriptions", "permissions"}) {
    EXPECT_EQ(t->DegradationVerdict(d, 20), Verdict::kExcellent) << d;
    EXPECT_NE(t->DegradationVerdict(d, 21), Verdict::kExcellent) << d;
  }
  EXPECT_EQ(t->CounterVerdict("messages", "bare_simdjson_share_pct", 100 / 1.5),
            Verdict::kExcellent);
  EXPECT_NE(t->CounterVerdict("messages", "bare_simdjson_share_pct", 60),
            Verdict::kExcellent);
  EXPECT_EQ(t->ThroughputVerdict("subscriptions", 15e6), Verdict::kExcellent);
  EXPECT_EQ(t->ThroughputVerdict("broadcast", 300e6), Verdict::kExcellent);
  EXPECT_TRUE(t->Find("broadcast")->rate_is_items);
  EXPECT_EQ(t->ThroughputVerdict("permissions", 50e6), Verdict::kExcellent);
  EXPECT_EQ(t->P95Verdict("permissions", 0.1, 0), Verdict::kExcellent);
  EXPECT_NE(t->P95Verdict("permissions", 0.11, 0), Verdict::kExcellent);
  EXPECT_EQ(t->ThroughputVerdict("compression", 0.95 * 85'000), Verdict::kExcellent);
}

}  // namespace
}  // namespace wsbench::bench

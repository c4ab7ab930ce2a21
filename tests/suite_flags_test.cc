#include "suite_flags.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace wsbench::bench {
namespace {

absl::StatusOr<SuiteOptions> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "wsbench");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return ParseSuiteFlags(static_cast<int>(argv.size()), argv.data());
}

std::vector<std::string> LevelNames(const SuiteOptions& o) {
  std::vector<std::string> names;
  for (const LoadLevel& l : o.levels) names.emplace_back(l.name);
  return names;
}

TEST(SuiteFlagsTest, DefaultsRunEveryLevel) {
  auto o = Parse({});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->levels.size(), 8u);
  EXPECT_EQ(o->repetitions, 1);  // the full sweep
  EXPECT_EQ(o->command_line, "wsbench");
  // 4 vs 4 repetitions is the fewest a U test can separate at p < 0.05.
  EXPECT_EQ(Parse({"--quick"})->repetitions, 4);
  EXPECT_EQ(Parse({"--max-load=1000000"})->repetitions, 4);
  EXPECT_EQ(Parse({"--repetitions=5"})->repetitions, 5);
  EXPECT_EQ(Parse({"--levels=maximum", "--repetitions=3"})->repetitions, 3);
}

TEST(SuiteFlagsTest, QuickMaxLoadAndLevels) {
  EXPECT_EQ(LevelNames(*Parse({"--quick"})),
            (std::vector<std::string>{"minimal", "light", "low", "medium"}));
  EXPECT_EQ(LevelNames(*Parse({"--max-load", "500000"})),
            (std::vector<std::string>{"minimal", "light", "low", "medium", "high"}));
  EXPECT_EQ(LevelNames(*Parse({"--max-load=1,000,000"})).back(), "very_high");
  EXPECT_EQ(LevelNames(*Parse({"--levels=maximum,minimal,minimal"})),
            (std::vector<std::string>{"minimal", "maximum"}));
  EXPECT_EQ(LevelNames(*Parse({"--levels", "minimal,extreme", "--max-load", "1000"})),
            (std::vector<std::string>{"minimal"}));
}

TEST(SuiteFlagsTest, ValuesAndPassThrough) {
  auto o = Parse({"--repetitions=5", "--seed", "0x10", "--invalid-share", "0.25", "--out", "d",
                  "--dimensions", "broadcast,messages", "--profile-time=2.5",
                  "--benchmark_filter=broad.*/min", "--benchmark_min_time=0.1", "--list"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->repetitions, 5);
  EXPECT_EQ(o->seed, 16u);
  EXPECT_DOUBLE_EQ(o->invalid_share, 0.25);
  EXPECT_EQ(o->out_dir, "d");
  EXPECT_EQ(o->dimensions, (std::vector<std::string>{"broadcast", "messages"}));
  EXPECT_DOUBLE_EQ(o->profile_seconds, 2.5);
  EXPECT_EQ(o->filter, "broad.*/min");
  EXPECT_TRUE(o->list);
  EXPECT_EQ(o->benchmark_args, (std::vector<std::string>{"wsbench", "--benchmark_min_time=0.1"}));
  EXPECT_EQ(Parse({"--benchmark_repetitions=7"})->repetitions, 7);
}

void ExpectBad(std::vector<std::string> args, const std::string& fragment) {
  auto o = Parse(args);
  ASSERT_FALSE(o.ok()) << args[0];
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(o.status().message()).find(fragment), std::string::npos)
      << o.status().message();
}

TEST(SuiteFlagsTest, BadFlagsSayWhatIsWrong) {
  ExpectBad({"--bogus"}, "unknown flag '--bogus'");
  ExpectBad({"stray"}, "unexpected argument 'stray'");
  ExpectBad({"--repetitions", "0"}, "--repetitions");
  ExpectBad({"--repetitions=abc"}, "not an integer");
  ExpectBad({"--repetitions"}, "needs a value");
  ExpectBad({"--max-load", "999"}, "selects no level");
  ExpectBad({"--max-load", "-5"}, "--max-load");
  ExpectBad({"--levels", "huge"}, "unknown load level 'huge'");
  ExpectBad({"--levels="}, "no level");
  ExpectBad({"--seed", "12x"}, "--seed");
  ExpectBad({"--invalid-share", "1.5"}, "between 0 and 1");
  ExpectBad({"--invalid-share", "nan"}, "not a number");
  ExpectBad({"--profile-time", "0"}, "--profile-time");
  ExpectBad({"--quick=1"}, "takes no value");
  ExpectBad({"--out="}, "empty");
  ExpectBad({"--faults", "rst=2"},
            "--faults 'rst=2': rst: share 2 is not in [0, 1]");
  ExpectBad({"--faults=drop=0.1"}, "unknown fault 'drop'");
  ExpectBad({"--faults"}, "needs a value");
  ExpectBad({"--faults", "rst=0.1", "--e2e-target", "ws://127.0.0.1:9"},
            "not --e2e-target");
}

TEST(SuiteFlagsTest, FaultMix) {
  EXPECT_TRUE(Parse({})->faults.empty());
  auto o = Parse({"--faults", "rst=0.01,malformed=0.01,slow=0.005"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->faults.ToString(), "rst=0.01,malformed=0.01,slow=0.005");
  EXPECT_TRUE(Parse({"--faults=none"})->faults.empty());
}

TEST(SuiteFlagsTest, RampFlags) {
  auto o = Parse({"--ramp", "linear", "--ramp-rate=5000", "--ramp-window", "64",
                  "--e2e-connections-per-process", "100"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->ramp.strategy, e2e::RampStrategy::kLinear);
  EXPECT_EQ(o->ramp.rate, 5000);
  EXPECT_EQ(o->ramp.window, 64);
  EXPECT_EQ(o->e2e_connections_per_process, 100);
  auto s =
      Parse({"--ramp=stepped", "--ramp-step", "250", "--ramp-interval-ms=20"});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->ramp.step, 250);
  EXPECT_EQ(s->ramp.interval_ms, 20);
  EXPECT_EQ(Parse({})->ramp.strategy, e2e::RampStrategy::kBurst);

  ExpectBad({"--ramp", "sideways"},
            "--ramp: unknown strategy 'sideways' (valid: burst");
  ExpectBad({"--ramp"}, "needs a value");
  ExpectBad({"--ramp=linear", "--ramp-rate", "0"}, "--ramp-rate");
  ExpectBad({"--ramp=linear", "--ramp-rate", "fast"}, "--ramp-rate");
  ExpectBad({"--ramp=stepped", "--ramp-step", "0"}, "--ramp-step");
  ExpectBad({"--ramp=stepped", "--ramp-interval-ms", "60001"},
            "--ramp-interval-ms");
  ExpectBad({"--ramp-window", "0"}, "--ramp-window");
  ExpectBad({"--e2e-connections-per-process", "0"},
            "--e2e-connections-per-process");
  // A parameter the strategy does not use is named, whatever the order.
  ExpectBad({"--ramp-rate", "100"},
            "--ramp-rate does not apply to --ramp burst");
  ExpectBad({"--ramp-step", "5", "--ramp", "linear"},
            "--ramp-step does not apply to --ramp linear");
  ExpectBad({"--ramp=linear", "--ramp-interval-ms", "5"},
            "--ramp-interval-ms does not apply to --ramp linear");
}

TEST(SuiteFlagsTest, E2eTargetIsALoopbackWebSocketUrl) {
  EXPECT_EQ(*ParseE2eTarget("ws://127.0.0.1:8080"), 8080);
  EXPECT_EQ(*ParseE2eTarget("ws://127.0.0.1:1/"), 1);
  for (const char* bad :
       {"ws://10.0.0.1:80", "wss://127.0.0.1:80", "ws://127.0.0.1:",
        "ws://127.0.0.1:0", "ws://127.0.0.1:65536", "ws://127.0.0.1:80/x",
        "127.0.0.1:80"}) {
    absl::StatusOr<uint16_t> p = ParseE2eTarget(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.status().message().find(bad), std::string_view::npos)
        << p.status();
  }
}

}  // namespace
}  // namespace wsbench::bench

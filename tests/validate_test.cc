// Tests for record/validate.h on small in-memory runs; the fixture files
// are walked through wsbench-compare by tests/compare_cli_test.sh.
#include "record/validate.h"

#include <string>

#include "gtest/gtest.h"

namespace wsbench::record {
namespace {

BenchmarkRun Iteration(const std::string& name, int index) {
  BenchmarkRun run;
  run.name = name;
  run.run_name = name;
  run.repetition_index = index;
  run.dimension = name.substr(0, name.find('/'));
  run.level = name.substr(name.find('/') + 1);
  run.numbers = {{"real_time", 10},   {"cpu_time", 10},
                 {"iterations", 3},   {"ops_per_second", 1e8},
                 {"p95_us", 0.5},     {"allocs_per_op", 0},
                 {"probe_ns", 275000}};
  return run;
}

ResultsFile SaneRun() {
  ResultsFile file;
  file.path = "new.json";
  file.info.complete = true;
  file.info.levels = {"low"};
  file.info.dimensions = {"a", "b"};
  for (int i = 0; i < 3; ++i) {
    file.runs.push_back(Iteration("a/low", i));
    file.runs.push_back(Iteration("b/low", i));
  }
  return file;
}

std::string Message(const ResultsFile& file, CheckOptions options = {}) {
  absl::Status s = CheckRun(file, options);
  return s.ok() ? "ok" : std::string(s.message());
}

TEST(ValidateTest, ASaneRunPasses) { EXPECT_EQ(Message(SaneRun()), "ok"); }

TEST(ValidateTest, EmptyPartialAndFailedRunsAreRefused) {
  ResultsFile empty = SaneRun();
  empty.runs.clear();
  EXPECT_EQ(Message(empty),
            "new.json: benchmarks: empty: the run measured nothing");
  ResultsFile partial = SaneRun();
  partial.info.complete = false;
  partial.info.partial_reason = "interrupted by SIGINT";
  EXPECT_EQ(Message(partial),
            "new.json: context.wsbench.complete: false: a partial run "
            "(interrupted by SIGINT)");
  EXPECT_EQ(Message(partial, {.allow_partial = true}), "ok");
  ResultsFile failed = SaneRun();
  failed.runs[3].bools["error_occurred"] = true;
  EXPECT_EQ(Message(failed), "new.json: benchmarks[3]: benchmark b/low failed");
}

TEST(ValidateTest, NonsenseNumbersAreRefusedWithTheirPath) {
  ResultsFile negative = SaneRun();
  negative.runs[1].numbers["cpu_time"] = -1;
  EXPECT_EQ(Message(negative),
            "new.json: benchmarks[1].cpu_time: -1 is not a positive number "
            "(benchmark b/low)");
  ResultsFile nan = SaneRun();
  nan.runs[0].numbers["p95_us"] = std::nan("");
  EXPECT_NE(Message(nan).find("benchmarks[0].p95_us"), std::string::npos);
  ResultsFile allocs = SaneRun();
  allocs.runs[0].numbers["allocs_per_op"] = -0.5;
  EXPECT_NE(Message(allocs).find("allocs_per_op: -0.5 is negative"),
            std::string::npos);
  ResultsFile missing = SaneRun();
  missing.runs[2].numbers.erase("real_time");
  EXPECT_EQ(Message(missing),
            "new.json: benchmarks[2].real_time: missing (benchmark a/low)");
}

TEST(ValidateTest, DuplicatesAndMissingDimensionsAreRefused) {
  ResultsFile dup = SaneRun();
  dup.runs.push_back(dup.runs[0]);
  EXPECT_EQ(Message(dup),
            "new.json: benchmarks[6]: duplicate of benchmarks[0] (a/low "
            "repetition_index 0)");
  ResultsFile gone = SaneRun();
  std::erase_if(gone.runs,
                [](const BenchmarkRun& r) { return r.dimension == "b"; });
  EXPECT_EQ(Message(gone),
            "new.json: benchmarks: no entry for dimension 'b', which "
            "context.wsbench.dimensions lists");
}

TEST(ValidateTest, ProbeRequiredForBaselines) {
  ResultsFile run = SaneRun();
  run.runs[4].numbers.erase("probe_ns");
  EXPECT_EQ(Message(run), "ok");
  EXPECT_NE(Message(run, {.require_probe = true})
                .find("benchmarks[4].probe_ns: missing"),
            std::string::npos);
  run.runs[4].numbers["probe_ns"] = -1;
  EXPECT_NE(Message(run).find("probe_ns: -1 is not a positive number"),
            std::string::npos);
}

TEST(ValidateTest, NewRunMustCoverTheBaseAtItsLevels) {
  ResultsFile base = SaneRun();
  base.path = "base.json";
  base.runs.push_back(Iteration("c/low", 0));
  base.runs.push_back(Iteration("c/high", 0));
  absl::Status s = CheckCovers(base, SaneRun());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(
      std::string(s.message()).find("new.json: benchmarks: no entry for c/low"),
      std::string::npos);
  ResultsFile only_low = base;
  std::erase_if(only_low.runs,
                [](const BenchmarkRun& r) { return r.run_name == "c/low"; });
  EXPECT_TRUE(
      CheckCovers(only_low, SaneRun()).ok());  // level 'high' was not run
}

}  // namespace
}  // namespace wsbench::record

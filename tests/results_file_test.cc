// Tests for record/results_file.h: reading results.json fixtures,
// tolerance of extra fields, errors naming the file and the field, and the
// writer's round trip.
#include "record/results_file.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace wsbench::record {
namespace {

std::string Fixture(const std::string& name) {
  return std::string(WSBENCH_TESTDATA_DIR) + "/../../tools/compare/testdata/" +
         name;
}

constexpr char kMinimal[] = R"({
  "context": {"date": "x", "wsbench": {"complete": true, "repetitions": 3,
    "fingerprint": {"cpu_model": "cpu", "cores": 2, "compiler": "gcc",
                    "cxx_flags": "-O2", "build_type": "Release"}}},
  "benchmarks": [
    {"name": "a/minimal", "run_type": "iteration", "repetition_index": 1, "p95_us": 2.0},
    {"name": "a/minimal", "run_type": "iteration", "repetition_index": 0, "p95_us": 1.0,
     "future_field": {"nested": [1, 2]}, "label": "x"},
    {"name": "a/minimal_median", "run_name": "a/minimal", "run_type": "aggregate",
     "aggregate_name": "median", "p95_us": 1.5},
    {"name": "b/light", "run_type": "iteration", "error_occurred": true, "p95_us": 9}
  ]})";

TEST(ResultsFileTest, ReadsFixture) {
  absl::StatusOr<ResultsFile> file = ReadResultsFile(Fixture("base.json"));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE(file->info.complete);
  EXPECT_EQ(file->info.kind, "results");
  EXPECT_EQ(file->info.repetitions, 5);
  EXPECT_EQ(file->info.seed, 1592336422u);
  EXPECT_EQ(file->info.fingerprint.cpu_model, "Test CPU @ 2.0GHz");
  EXPECT_EQ(file->info.fingerprint.cores, 2);
  EXPECT_EQ(file->info.timer.source, "rdtsc");
  EXPECT_EQ(file->info.levels.size(), 3u);
  ASSERT_EQ(file->BenchmarkNames().size(), 4u);
  EXPECT_EQ(file->BenchmarkNames()[0], "broadcast/medium");
  EXPECT_EQ(file->RepetitionValues("broadcast/medium", "p95_us").size(), 5u);
  const BenchmarkRun* median = file->Aggregate("broadcast/medium", "median");
  ASSERT_NE(median, nullptr);
  EXPECT_TRUE(median->Number("ops_per_second").has_value());
  ASSERT_EQ(file->degradation.size(), 1u);
  EXPECT_DOUBLE_EQ(file->degradation[0].pct, 4.2);
  const BenchmarkRun* first = file->FirstIteration("messages/medium");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->dimension, "messages");
  EXPECT_EQ(first->level, "medium");
  EXPECT_EQ(first->strings.at("time_unit"), "ns");
}

TEST(ResultsFileTest, ToleratesExtraFieldsAndOrdersRepetitions) {
  absl::StatusOr<ResultsFile> file = ParseResults(kMinimal, "mem.json");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->runs[1].run_name, "a/minimal");  // defaults to name
  std::vector<double> p95 = file->RepetitionValues("a/minimal", "p95_us");
  ASSERT_EQ(p95.size(), 2u);
  EXPECT_DOUBLE_EQ(p95[0], 1.0);  // sorted by repetition_index
  EXPECT_DOUBLE_EQ(p95[1], 2.0);
  // Failed repetitions are skipped.
  EXPECT_TRUE(file->RepetitionValues("b/light", "p95_us").empty());
  EXPECT_TRUE(file->runs[3].failed());
  ASSERT_EQ(file->context_fields.size(), 1u);
  EXPECT_EQ(file->context_fields[0].first, "date");
}

TEST(ResultsFileTest, ErrorsNameTheFileAndTheField) {
  auto corrupt = ReadResultsFile(Fixture("corrupt.json"));
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(corrupt.status().message().find("corrupt.json"),
            absl::string_view::npos);

  auto missing = ReadResultsFile(Fixture("missing_field.json"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(
                "context.wsbench.fingerprint.cpu_model: missing"),
            absl::string_view::npos)
      << missing.status();

  auto wrong = ReadResultsFile(Fixture("wrong_type.json"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(
      wrong.status().message().find("benchmarks[0].name: expected a string"),
      absl::string_view::npos)
      << wrong.status();

  auto absent = ReadResultsFile(Fixture("no_such_file.json"));
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(absent.status().message().find("no_such_file.json"),
            absl::string_view::npos);

  EXPECT_FALSE(ParseResults("", "empty.json").ok());
  EXPECT_FALSE(ParseResults("[1, 2]", "array.json").ok());
  // Without context.wsbench it is a plain Google Benchmark file.
  auto plain = ParseResults(
      R"({"context": {"host_name": "h"}, "benchmarks": [{"name": "BM_x/8",
          "run_type": "iteration", "real_time": 1.5, "time_unit": "us"}]})",
      "x.json");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->info.kind, kGoogleBenchmarkKind);
  EXPECT_EQ(plain->RepetitionValues("BM_x/8", "real_time"), std::vector<double>{1.5});
  auto no_benchmarks = ParseResults(
      R"({"context": {"wsbench": {"complete": true, "repetitions": 1, "fingerprint":
          {"cpu_model": "", "cores": 1, "compiler": "", "cxx_flags": "", "build_type": ""}}}})",
      "nb.json");
  ASSERT_FALSE(no_benchmarks.ok());
  EXPECT_NE(no_benchmarks.status().message().find("benchmarks: missing"),
            absl::string_view::npos);
  auto bad_run_type = ParseResults(
      R"({"context": {"wsbench": {"complete": true, "repetitions": 1, "fingerprint":
          {"cpu_model": "", "cores": 1, "compiler": "", "cxx_flags": "", "build_type": ""}}},
          "benchmarks": [{"name": "x", "run_type": "bogus"}]})",
      "rt.json");
  ASSERT_FALSE(bad_run_type.ok());
  EXPECT_NE(bad_run_type.status().message().find("benchmarks[0].run_type"),
            absl::string_view::npos);
}

TEST(ResultsFileTest, CountsBeyondWholeDoublesAreRefusedNotCast) {
  // 1e30 repetitions does not fit an int64_t: an error naming the field,
  // not an undefined conversion.
  for (const char* field : {"\"repetitions\": 1e30, \"cores_x\": 1",
                            "\"repetitions\": 1, \"cores_x\": 1"}) {
    const std::string json =
        std::string(R"({"context": {"wsbench": {"complete": true, )") + field +
        R"(, "fingerprint": {"cpu_model": "", "cores": 1, "compiler": "",
           "cxx_flags": "", "build_type": ""}}},
           "benchmarks": [{"name": "x", "run_type": "iteration",
                           "repetition_index": -1e300}]})";
    auto file = ParseResults(json, "big.json");
    ASSERT_FALSE(file.ok());
    EXPECT_NE(file.status().message().find("out of range"),
              absl::string_view::npos)
        << file.status();
  }
  auto cores = ParseResults(
      R"({"context": {"wsbench": {"complete": true, "repetitions": 1,
          "fingerprint": {"cpu_model": "", "cores": 1e19, "compiler": "",
          "cxx_flags": "", "build_type": ""}}}, "benchmarks": []})",
      "cores.json");
  ASSERT_FALSE(cores.ok());
  EXPECT_NE(cores.status().message().find("fingerprint.cores: count"),
            absl::string_view::npos)
      << cores.status();
}

TEST(ResultsFileTest, WriterRoundTrips) {
  absl::StatusOr<ResultsFile> file = ReadResultsFile(Fixture("base.json"));
  ASSERT_TRUE(file.ok()) << file.status();
  std::string text = WriteResultsJson(*file);
  absl::StatusOr<ResultsFile> again = ParseResults(text, "again.json");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << text.substr(0, 2000);
  EXPECT_EQ(again->info.fingerprint.cpu_model,
            file->info.fingerprint.cpu_model);
  EXPECT_EQ(again->info.complete, file->info.complete);
  EXPECT_EQ(again->context_fields, file->context_fields);
  ASSERT_EQ(again->runs.size(), file->runs.size());
  for (size_t i = 0; i < file->runs.size(); ++i) {
    EXPECT_EQ(again->runs[i].name, file->runs[i].name);
    EXPECT_EQ(again->runs[i].numbers, file->runs[i].numbers);
    EXPECT_EQ(again->runs[i].strings, file->runs[i].strings);
    EXPECT_EQ(again->runs[i].repetition_index, file->runs[i].repetition_index);
  }
  EXPECT_EQ(WriteResultsJson(*again), text);
}

TEST(ResultsFileTest, ObjectMembersKeepRawValuesInOrder) {
  auto members = ParseObjectMembers(
      R"({"b": [1, 2], "a": {"x": "y"}, "c": "s\"q", "d": 1.5})", "ctx");
  ASSERT_TRUE(members.ok()) << members.status();
  ASSERT_EQ(members->size(), 4u);
  EXPECT_EQ((*members)[0],
            std::make_pair(std::string("b"), std::string("[1, 2]")));
  EXPECT_EQ((*members)[1].second, R"({"x": "y"})");
  EXPECT_EQ((*members)[2].second, R"("s\"q")");
  EXPECT_EQ((*members)[3].second, "1.5");
  auto bad = ParseObjectMembers("[1]", "ctx");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ctx"), std::string_view::npos);
}

TEST(ResultsFileTest, LookupsFollowChangesToTheRuns) {
  ResultsFile file;
  for (int i = 0; i < 3; ++i) {
    BenchmarkRun run;
    run.name = run.run_name = i < 2 ? "a/low" : "b/low";
    run.repetition_index = i;
    run.numbers["p95_us"] = i + 1;
    file.runs.push_back(run);
  }
  EXPECT_EQ(file.RepetitionValues("a/low", "p95_us"),
            (std::vector<double>{1, 2}));
  EXPECT_EQ(file.FirstIteration("b/low"), &file.runs[2]);
  BenchmarkRun more = file.runs[0];
  more.repetition_index = 5;
  more.numbers["p95_us"] = 9;
  file.runs.push_back(more);  // resized: the index is rebuilt
  EXPECT_EQ(file.RepetitionValues("a/low", "p95_us"),
            (std::vector<double>{1, 2, 9}));
  file.runs[1].run_name = "b/low";  // renamed in place
  EXPECT_EQ(file.RepetitionValues("a/low", "p95_us"),
            (std::vector<double>{1, 9}));
  EXPECT_EQ(file.RepetitionValues("b/low", "p95_us"),
            (std::vector<double>{2, 3}));
  ResultsFile copy = file;  // a copy indexes its own entries
  EXPECT_EQ(copy.FirstIteration("b/low"), &copy.runs[1]);
  EXPECT_EQ(file.FirstIteration("nope"), nullptr);
}

TEST(ResultsFileTest, BelowResolutionKey) {
  EXPECT_EQ(BelowResolutionKey("p95_us"), "p95_below_resolution");
  EXPECT_EQ(BelowResolutionKey("ops_per_second"), "");
  EXPECT_EQ(BelowResolutionKey("_us"), "");
}

TEST(ResultsFileTest, FingerprintMismatches) {
  Fingerprint a{"cpu", 2, "gcc", "-O2", "Release", "r1", false};
  Fingerprint b = a;
  b.git_revision = "r2";  // a different revision is what we compare
  EXPECT_TRUE(FingerprintMismatches(a, b).empty());
  b.cores = 4;
  b.cxx_flags = "-O3";
  EXPECT_EQ(FingerprintMismatches(a, b),
            (std::vector<std::string>{"cores", "cxx_flags"}));
}

}  // namespace
}  // namespace wsbench::record

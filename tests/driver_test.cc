// The driver run in-process on fake dimensions: a complete run, an
// interrupted run (stop flag raised mid-run), a failing check, and the
// exit codes of bad flags.
#include "driver.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "gtest/gtest.h"
#include "record/results_file.h"
#include "simdjson.h"

namespace wsbench::bench {
namespace {

namespace fs = std::filesystem;

// Counts the ops it runs; Verify checks every op of the pass ran once, in order.
class CountingWorkload : public Workload {
 public:
  explicit CountingWorkload(int fail_level_ops = -1, int64_t stop_at_level_ops = -1)
      : fail_level_ops_(fail_level_ops), stop_at_level_ops_(stop_at_level_ops) {}
  absl::Status Setup(const LoadLevel& level, const WorkloadOptions& options) override {
    level_ops_ = level.ops;
    ops_ = level.ops / 10;  // keep the test fast
    seed_ = options.seed;
    return absl::OkStatus();
  }
  int64_t ops() const override { return ops_; }
  absl::Status Reset() override {
    next_ = 0;
    sum_ = 0;
    return absl::OkStatus();
  }
  void Run(int64_t begin, int64_t end) override {
    if (begin != next_) next_ = -1;  // out of order
    for (int64_t i = begin; i < end; ++i) {
      sum_ += static_cast<uint64_t>(i) * 2654435761u;
      benchmark::DoNotOptimize(sum_);
    }
    if (next_ >= 0) next_ = end;
    if (level_ops_ == stop_at_level_ops_) RequestStop(SIGINT);
  }
  absl::Status Verify() override {
    if (next_ != ops_) return absl::InternalError("ops out of order or missing");
    if (level_ops_ == fail_level_ops_) return absl::InternalError("checksum mismatch (deliberate)");
    return absl::OkStatus();
  }
  double items_per_op() const override { return 3; }
  std::string ops_note() const override { return "ops = level ops / 10"; }
  void AddCounters(std::map<std::string, double>& counters) const override {
    counters["fake_counter"] = 42;
    // A reference cost: the driver sets it against the timed pass.
    counters["fake_reference_ns_per_op"] = 0.5;
  }

 private:
  int fail_level_ops_;
  int64_t stop_at_level_ops_;
  int64_t level_ops_ = 0, ops_ = 0, next_ = 0;
  uint64_t seed_ = 0;
  uint64_t sum_ = 0;
};

std::unique_ptr<Workload> MakeCounting() { return std::make_unique<CountingWorkload>(); }
std::unique_ptr<Workload> MakeFailingAtLight() {
  return std::make_unique<CountingWorkload>(10'000);
}
std::unique_ptr<Workload> MakeStoppingAtLow() {
  return std::make_unique<CountingWorkload>(-1, 50'000);
}

struct MainResult {
  int code;
  std::string out, err;
};

MainResult RunMain(std::vector<std::string> args, const std::vector<Dimension>& dims) {
  args.insert(args.begin(), "wsbench");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  std::ostringstream out, err;
  ClearStop();
  const int code = RunSuiteMain(static_cast<int>(argv.size()), argv.data(), dims, out, err);
  ClearStop();
  return {code, out.str(), err.str()};
}

fs::path TempDir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / (name + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  return dir;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::vector<Dimension> kFake = {{"fake", "widgets", MakeCounting}};

// Counts Setup calls (nothing must be measured before --out is checked).
std::atomic<int> g_setups{0};
class SetupCountingWorkload : public CountingWorkload {
 public:
  absl::Status Setup(const LoadLevel& level, const WorkloadOptions& options) override {
    ++g_setups;
    return CountingWorkload::Setup(level, options);
  }
};
std::unique_ptr<Workload> MakeSetupCounting() {
  return std::make_unique<SetupCountingWorkload>();
}

// Makes DIR/results.json unwritable (a non-empty directory) once measuring
// has begun, after the driver checked it.
fs::path g_sabotage_dir;
class SabotagingWorkload : public CountingWorkload {
 public:
  absl::Status Setup(const LoadLevel& level, const WorkloadOptions& options) override {
    fs::create_directories(g_sabotage_dir / "results.json" / "child");
    return CountingWorkload::Setup(level, options);
  }
};
std::unique_ptr<Workload> MakeSabotaging() { return std::make_unique<SabotagingWorkload>(); }

// Stops the run (as SIGINT would) once its first repetition has finished.
class StopAfterFirstRepetition : public CountingWorkload {
 public:
  void AddCounters(std::map<std::string, double>& counters) const override {
    CountingWorkload::AddCounters(counters);
    RequestStop(SIGINT);
  }
};
std::unique_ptr<Workload> MakeStopAfterFirst() {
  return std::make_unique<StopAfterFirstRepetition>();
}

TEST(DriverTest, CompleteRunWritesResultsSummaryAndReport) {
  const fs::path dir = TempDir("wsbench_driver_ok");
  MainResult r = RunMain({"--levels=minimal,light", "--repetitions=3", "--min-ops=2000", "--out",
                   dir.string()},
                  kFake);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Throughput"), std::string::npos);
  EXPECT_NE(r.out.find("degradation"), std::string::npos);
  EXPECT_NE(r.out.find("Bottleneck: fake"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("peak RSS"), std::string::npos);
  const std::string json = ReadFile(dir / "results.json");
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  simdjson::ondemand::document doc = parser.iterate(padded);
  simdjson::ondemand::object w = doc["context"]["wsbench"].get_object();
  EXPECT_TRUE(bool(w["complete"].get_bool()));
  int reps = 0, medians = 0;
  for (auto entry : doc["benchmarks"].get_array()) {
    simdjson::ondemand::object b = entry.get_object();
    const std::string_view type = b["run_type"].get_string();
    if (type == "iteration") {
      ++reps;
      EXPECT_GT(double(b["ops_per_second"].get_double()), 0);
      EXPECT_DOUBLE_EQ(double(b["fake_counter"].get_double()), 42);
      // Each percentile is a measured figure above the resolution, or null
      // with the flag that says why: never a number below it, 0 included
      // (the fake op takes a few ns, so either may happen).
      const double resolution = double(b["latency_resolution_us"].get_double());
      EXPECT_GT(resolution, 0);
      for (const std::string p : {"p50", "p95", "p99", "p999", "max"}) {
        const bool below = bool(b[p + "_below_resolution"].get_bool()) ||
                           bool(b[p + "_too_few_samples"].get_bool());
        simdjson::ondemand::value v = b[p + "_us"].value();
        if (below) {
          EXPECT_TRUE(bool(v.is_null())) << p;
        } else {
          EXPECT_GE(double(v.get_double()), resolution) << p;
        }
      }
      const double cpu_ns_per_op = b["cpu_time"].get_double();
      EXPECT_NEAR(double(b["fake_reference_share_pct"].get_double()),
                  100 * 0.5 / cpu_ns_per_op, 1e-9 * cpu_ns_per_op);
      EXPECT_EQ(std::string_view(b["latency_rule"].get_string()), "single_op");
      EXPECT_GE(double(b["latency_samples"].get_double()), 1000);
      // The machine probe around the repetition (tens of microseconds at least).
      EXPECT_GT(double(b["probe_ns"].get_double()), 1e4);
      EXPECT_DOUBLE_EQ(double(b["items_per_op"].get_double()), 3);
      EXPECT_EQ(std::string_view(b["ops_note"].get_string()), "ops = level ops / 10");
    } else if (std::string_view(b["aggregate_name"].get_string()) == "median") {
      ++medians;
    }
  }
  EXPECT_EQ(reps, 6);
  EXPECT_EQ(medians, 2);
  int degradations = 0;
  for (auto d : doc["degradation"].get_array()) {
    (void)d;
    ++degradations;
  }
  EXPECT_EQ(degradations, 1);
  EXPECT_TRUE(fs::exists(dir / "summary.md"));
  EXPECT_NE(ReadFile(dir / "summary.md").find("| level | fake |"), std::string::npos);
  // The HTML report of the same run, drawn from the results.json written.
  const std::string html = ReadFile(dir / "report.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("data-bench=\"fake/minimal\""), std::string::npos);
  EXPECT_NE(html.find("data-bench=\"fake/light\""), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(r.out.find("/results.json, " + dir.string() + "/summary.md, " +
                       dir.string() + "/report.html"),
            std::string::npos)
      << r.out;
  fs::remove_all(dir);
}

TEST(DriverTest, InterruptedRunIsPartialValidJsonAndExits130) {
  const fs::path dir = TempDir("wsbench_driver_stop");
  const std::vector<Dimension> dims = {{"fake", "widgets", MakeCounting},
                                       {"stopper", "", MakeStoppingAtLow}};
  MainResult r = RunMain({"--levels=minimal,low", "--repetitions=3", "--min-ops=2000", "--out",
                   dir.string()},
                  dims);
  EXPECT_EQ(r.code, 128 + SIGINT) << r.err;
  EXPECT_NE(r.err.find("interrupted by SIGINT"), std::string::npos) << r.err;
  const std::string json = ReadFile(dir / "results.json");
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  simdjson::ondemand::document doc = parser.iterate(padded);
  simdjson::ondemand::object w = doc["context"]["wsbench"].get_object();
  EXPECT_FALSE(bool(w["complete"].get_bool()));
  EXPECT_NE(std::string_view(w["partial_reason"].get_string()).find("SIGINT"),
            std::string_view::npos);
  // fake ran fully; stopper/minimal ran; stopper/low never finished a repetition.
  std::vector<std::string> names;
  for (auto entry : doc["benchmarks"].get_array()) {
    simdjson::ondemand::object b = entry.get_object();
    if (std::string_view(b["run_type"].get_string()) == "iteration") {
      names.emplace_back(std::string_view(b["name"].get_string()));
    }
  }
  EXPECT_EQ(std::count(names.begin(), names.end(), "fake/minimal"), 3);
  EXPECT_EQ(std::count(names.begin(), names.end(), "fake/low"), 3);
  EXPECT_EQ(std::count(names.begin(), names.end(), "stopper/minimal"), 3);
  EXPECT_EQ(std::count(names.begin(), names.end(), "stopper/low"), 0);
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    EXPECT_TRUE(file == "results.json" || file == "summary.md" ||
                file == "report.html")
        << file;
  }
  fs::remove_all(dir);
}

TEST(DriverTest, FailedCheckExitsOneAndMarksTheRun) {
  const fs::path dir = TempDir("wsbench_driver_fail");
  const std::vector<Dimension> dims = {{"flaky", "", MakeFailingAtLight}};
  MainResult r = RunMain({"--levels=minimal,light", "--repetitions=1", "--out", dir.string()}, dims);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("FAILED flaky/light"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("checksum mismatch"), std::string::npos) << r.out;
  const std::string json = ReadFile(dir / "results.json");
  EXPECT_NE(json.find("\"error_occurred\": true"), std::string::npos);
  EXPECT_NE(json.find("\"complete\": false"), std::string::npos);
  fs::remove_all(dir);
}

TEST(DriverTest, UnwritableOutExitsTwoBeforeMeasuring) {
  const fs::path dir = TempDir("wsbench_driver_unwritable");
  fs::create_directories(dir);
  { std::ofstream(dir / "file") << "x"; }
  fs::create_directories(dir / "taken" / "results.json" / "child");
  const std::vector<Dimension> dims = {{"fake", "", MakeSetupCounting}};
  for (const fs::path& out : {dir / "file" / "sub", dir / "taken"}) {
    g_setups = 0;
    MainResult r = RunMain({"--levels=minimal", "--repetitions=1", "--out", out.string()}, dims);
    EXPECT_EQ(r.code, 2) << out;
    EXPECT_NE(r.err.find("wsbench: --out: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(out.string()), std::string::npos) << r.err;
    EXPECT_EQ(g_setups.load(), 0) << "measured before checking " << out;
    EXPECT_EQ(r.out.find("Wrote"), std::string::npos) << r.out;
  }
  fs::remove_all(dir);
}

TEST(DriverTest, AFailedWriteIsNeverReportedAsWritten) {
  g_sabotage_dir = TempDir("wsbench_driver_sabotage");
  const std::vector<Dimension> dims = {{"fake", "", MakeSabotaging}};
  MainResult r = RunMain(
      {"--levels=minimal", "--repetitions=1", "--out", g_sabotage_dir.string()}, dims);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("results.json"), std::string::npos) << r.err;
  const size_t wrote = r.out.find("Wrote ");
  ASSERT_NE(wrote, std::string::npos) << r.out;
  const std::string line = r.out.substr(wrote, r.out.find('\n', wrote) - wrote);
  EXPECT_EQ(line.find("results.json"), std::string::npos) << line;
  EXPECT_NE(line.find((g_sabotage_dir / "summary.md").string()), std::string::npos) << line;
  fs::remove_all(g_sabotage_dir);
}

TEST(DriverTest, PartialResultsCountTheRepetitionsKept) {
  const fs::path dir = TempDir("wsbench_driver_kept");
  const std::vector<Dimension> dims = {{"fake", "", MakeStopAfterFirst}};
  MainResult r = RunMain(
      {"--levels=minimal", "--repetitions=3", "--min-ops=2000", "--out", dir.string()}, dims);
  EXPECT_EQ(r.code, 128 + SIGINT) << r.err;
  EXPECT_NE(r.out.find("fewer where interrupted (fake/minimal 1 of 3)"), std::string::npos)
      << r.out;
  const std::string json = ReadFile(dir / "results.json");
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  simdjson::ondemand::document doc = parser.iterate(padded);
  int entries = 0;
  for (auto entry : doc["benchmarks"].get_array()) {
    simdjson::ondemand::object b = entry.get_object();
    EXPECT_EQ(int64_t(b["repetitions"].get_int64()), 1)
        << std::string_view(b["name"].get_string());
    ++entries;
  }
  EXPECT_EQ(entries, 7);  // 1 repetition + 6 aggregates
  EXPECT_NE(ReadFile(dir / "summary.md").find("fake/minimal 1 of 3"), std::string::npos);
  fs::remove_all(dir);
}

TEST(DriverTest, BadFlagsExitTwoWithAMessage) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--nope"},
                                             {"--repetitions=-1"},
                                             {"--dimensions=unknown"},
                                             {"--benchmark_filter=("},
                                             {"--benchmark_filter=nomatch"},
                                             {"--thresholds=/nonexistent.json"},
                                             {"--benchmark_not_a_flag=1"},
                                             {"--levels=minimal,,light"},
                                             {"--levels=minimal,"},
                                             {"--dimensions=fake,"},
                                             {"--dimensions=,fake"},
                                             {"--benchmark_min_time=abc"}}) {
    MainResult r = RunMain(args, kFake);
    EXPECT_EQ(r.code, 2) << args[0];
    EXPECT_NE(r.err.find("wsbench: "), std::string::npos) << args[0];
    EXPECT_TRUE(r.out.empty()) << args[0] << ": " << r.out;
  }
}

TEST(DriverTest, BadListsAndBadGoogleBenchmarkValuesAreNamed) {
  MainResult levels = RunMain({"--levels=minimal,,light"}, kFake);
  EXPECT_NE(levels.err.find("--levels"), std::string::npos) << levels.err;
  EXPECT_NE(levels.err.find("empty name"), std::string::npos) << levels.err;
  MainResult dims = RunMain({"--dimensions=fake,"}, kFake);
  EXPECT_NE(dims.err.find("--dimensions"), std::string::npos) << dims.err;
  EXPECT_NE(dims.err.find("empty name"), std::string::npos) << dims.err;
  MainResult min_time = RunMain({"--benchmark_min_time=abc"}, kFake);
  EXPECT_EQ(min_time.code, 2);
  EXPECT_NE(min_time.err.find("--benchmark_min_time: bad value 'abc'"), std::string::npos)
      << min_time.err;
  EXPECT_EQ(min_time.err.find("unrecognized"), std::string::npos) << min_time.err;
}

TEST(DriverTest, ListHelpAndFilter) {
  MainResult list = RunMain({"--list", "--quick"}, kFake);
  EXPECT_EQ(list.code, 0);
  EXPECT_EQ(list.out, "fake/minimal\nfake/light\nfake/low\nfake/medium\n");
  MainResult filtered = RunMain({"--list", "--benchmark_filter=-/l"}, kFake);
  EXPECT_EQ(filtered.code, 0);
  EXPECT_EQ(filtered.out.find("fake/light"), std::string::npos);
  EXPECT_NE(filtered.out.find("fake/minimal"), std::string::npos);
  EXPECT_NE(filtered.out.find("fake/maximum"), std::string::npos);
  MainResult help = RunMain({"--help"}, kFake);
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--max-load"), std::string::npos);
}

TEST(DriverTest, ProfileModeRunsPassesBackToBack) {
  MainResult r = RunMain({"--levels=light", "--profile-time=0.2"}, kFake);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("profile fake/light:"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(" 0 passes"), std::string::npos) << r.out;
}

TEST(DriverTest, NoDimensionsStillRuns) {
  MainResult r = RunMain({"--quick"}, {});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("no dimensions registered"), std::string::npos);
}

TEST(DriverTest, CsvHasARowPerBenchmarkAndMetric) {
  const fs::path dir = TempDir("wsbench_driver_csv");
  const fs::path csv = dir / "sub" / "run.csv";
  MainResult r = RunMain({"--levels=minimal,light", "--repetitions=3",
                          "--min-ops=2000", "--csv", csv.string()},
                         kFake);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Wrote " + csv.string()), std::string::npos) << r.out;
  const std::string text = ReadFile(csv);
  EXPECT_EQ(
      text.rfind("benchmark,dimension,level,metric,value,unit,repetitions,", 0),
      0u)
      << text;
  for (const std::string name : {"fake/minimal", "fake/light"}) {
    EXPECT_NE(text.find("\r\n" + name + ",fake,"), std::string::npos) << name;
    EXPECT_NE(text.find("\r\n" + name + ",fake," + name.substr(5) +
                        ",fake_counter,42,,3,42,42,42,0,0,\r\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("\r\n" + name + ",fake," + name.substr(5) +
                        ",items_per_second,"),
              std::string::npos);
  }
  EXPECT_NE(text.find(",widgets/s,3,"), std::string::npos) << text;
  // --csv alone writes no results.json anywhere.
  EXPECT_FALSE(fs::exists(dir / "sub" / "results.json"));
  fs::remove_all(dir);
}

TEST(DriverTest, MemoryBoundIsMeasuredForInProcessDimensionsOnly) {
  const fs::path dir = TempDir("wsbench_driver_memory_bound");
  const std::vector<Dimension> dims = {
      {"fake", "", MakeCounting},
      {"remote", "", MakeCounting, /*opt_in=*/true}};
  MainResult r = RunMain({"--levels=minimal", "--repetitions=1",
                          "--dimensions=fake,remote", "--out", dir.string()},
                         dims);
  ASSERT_EQ(r.code, 0) << r.err;
  absl::StatusOr<record::ResultsFile> file =
      record::ReadResultsFile((dir / "results.json").string());
  ASSERT_TRUE(file.ok()) << file.status();
  int seen = 0;
  for (const record::BenchmarkRun& run : file->runs) {
    if (run.run_type != record::RunType::kIteration) continue;
    ++seen;
    const bool in_process = run.dimension == "fake";
    EXPECT_EQ(run.Number("memory_parallel_ns").has_value(), in_process)
        << run.name;
    EXPECT_EQ(run.Number("memory_bound_ops_per_second").has_value(),
              in_process)
        << run.name;
  }
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(r.out.find("remote/minimal: ops at"), std::string::npos);
  EXPECT_EQ(r.out.find("of the memory bound", r.out.find("remote:")),
            std::string::npos)
      << r.out;
  fs::remove_all(dir);
}

TEST(DriverTest, UnwritableCsvExitsTwoBeforeMeasuringAndKeepsTheOldFile) {
  const fs::path dir = TempDir("wsbench_driver_csv_bad");
  fs::create_directories(dir);
  { std::ofstream(dir / "file") << "x"; }
  fs::create_directories(dir / "taken.csv" / "child");
  const std::vector<Dimension> dims = {{"fake", "", MakeSetupCounting}};
  for (const fs::path& csv : {dir / "file" / "run.csv", dir / "taken.csv"}) {
    g_setups = 0;
    MainResult r = RunMain(
        {"--levels=minimal", "--repetitions=1", "--csv", csv.string()}, dims);
    EXPECT_EQ(r.code, 2) << csv;
    EXPECT_NE(r.err.find("wsbench: --csv: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(csv.parent_path().string()), std::string::npos)
        << r.err;
    EXPECT_EQ(g_setups.load(), 0) << "measured before checking " << csv;
    EXPECT_EQ(r.out.find("Wrote"), std::string::npos) << r.out;
  }
  EXPECT_EQ(ReadFile(dir / "file"), "x");
  EXPECT_TRUE(fs::is_directory(dir / "taken.csv" / "child"));
  MainResult r = RunMain({"--csv="}, dims);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--csv"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wsbench::bench

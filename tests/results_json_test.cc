#include "results_json.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "simdjson.h"

namespace wsbench::bench {
namespace {

size_t CountElements(simdjson::simdjson_result<simdjson::ondemand::value> v) {
  simdjson::ondemand::array a = v.get_array();
  size_t n = a.count_elements();
  return n;
}

record::RunInfo Info() {
  record::RunInfo info;
  info.complete = false;
  info.partial_reason = "interrupted by \"SIGINT\"\n\ttab\\";
  info.command_line = "wsbench --out \"x y\"";
  info.seed = 18446744073709551615ull;
  info.repetitions = 2;
  info.invalid_share = 0.01;
  info.fingerprint = {"CPU \"quoted\"", 2, "GNU 12.2.0", "-O2 -g", "Release", "abc", true};
  info.timer.source = "rdtsc";
  info.timer.overhead_ns = 14.5;
  info.timer.ticks_per_ns = 2.5;
  info.wall_seconds = 1.25;
  info.peak_rss_bytes = 1 << 20;
  info.levels = {"minimal", "light"};
  info.dimensions = {"broadcast"};
  return info;
}

std::vector<BenchmarkResult> Results() {
  BenchmarkResult r;
  r.dimension = "broadcast";
  r.level = "minimal";
  r.ops = 200;
  r.ops_note = "ops = level ops / 5 subscribers";
  r.items_per_op = 5;
  r.item_unit = "deliveries";
  r.rate_is_items = true;
  for (int i = 0; i < 2; ++i) {
    RepetitionResult rep;
    rep.iterations = 100;
    rep.numbers = {{"real_time", 10.0 + i}, {"cpu_time", 10.0}, {"ops_per_second", 1e8},
                   {"items_per_second", 5e8}, {"p50_us", 0.01}, {"p95_us", 0.02 + i * 0.02},
                   {"p99_us", 0.05}, {"latency_batch", 4}, {"allocs_per_op", 0},
                   {"deliveries_checked", 1000}, {"nan_counter", NAN}};
    rep.strings["verdict"] = "good";
    rep.bools["timer_limited"] = false;
    r.repetitions.push_back(rep);
  }
  BenchmarkResult failed;
  failed.dimension = "broadcast";
  failed.level = "light";
  failed.error = true;
  failed.error_message = "verify: 3 \"deliveries\" missing";
  return {r, failed};
}

TEST(ResultsJsonTest, DocumentParsesAndHasEveryField) {
  const std::vector<BenchmarkResult> results = Results();
  const std::vector<record::Degradation> degradation = {{"broadcast", "minimal", "light", 12.5, true}};
  absl::StatusOr<Thresholds> t = Thresholds::Parse(
      R"({"dimensions": {"broadcast": {"rate": "items", "throughput": {"excellent": 1e9, "good": 1e8}}}})",
      "t");
  ASSERT_TRUE(t.ok());
  const std::string json = ResultsJson(Info(), results, degradation, &*t);

  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  simdjson::ondemand::document doc = parser.iterate(padded);
  simdjson::ondemand::object context = doc["context"].get_object();
  // Google Benchmark's context members.
  for (const char* key : {"date", "host_name", "executable", "num_cpus", "mhz_per_cpu",
                          "cpu_scaling_enabled", "caches", "load_avg", "library_build_type"}) {
    EXPECT_EQ(context.find_field_unordered(key).error(), simdjson::SUCCESS) << key;
  }
  simdjson::ondemand::object w = context["wsbench"].get_object();
  EXPECT_EQ(std::string_view(w["version"].get_string()), "0.1.0");
  EXPECT_FALSE(bool(w["complete"].get_bool()));
  EXPECT_EQ(std::string_view(w["partial_reason"].get_string()), "interrupted by \"SIGINT\"\n\ttab\\");
  EXPECT_EQ(std::string_view(w["command_line"].get_string()), "wsbench --out \"x y\"");
  EXPECT_EQ(uint64_t(w["seed"].get_uint64()), 18446744073709551615ull);
  EXPECT_EQ(int64_t(w["repetitions"].get_int64()), 2);
  EXPECT_DOUBLE_EQ(double(w["invalid_share"].get_double()), 0.01);
  {
    simdjson::ondemand::object f = w["fingerprint"].get_object();
    EXPECT_EQ(std::string_view(f["cpu_model"].get_string()), "CPU \"quoted\"");
    EXPECT_EQ(int64_t(f["cores"].get_int64()), 2);
    EXPECT_EQ(std::string_view(f["compiler"].get_string()), "GNU 12.2.0");
    EXPECT_EQ(std::string_view(f["cxx_flags"].get_string()), "-O2 -g");
    EXPECT_EQ(std::string_view(f["build_type"].get_string()), "Release");
    EXPECT_EQ(std::string_view(f["git_revision"].get_string()), "abc");
    EXPECT_TRUE(bool(f["git_dirty"].get_bool()));
  }
  {
    simdjson::ondemand::object timer = w["timer"].get_object();
    EXPECT_EQ(std::string_view(timer["source"].get_string()), "rdtsc");
    EXPECT_DOUBLE_EQ(double(timer["overhead_ns"].get_double()), 14.5);
    EXPECT_DOUBLE_EQ(double(timer["ticks_per_ns"].get_double()), 2.5);
  }
  EXPECT_DOUBLE_EQ(double(w["wall_seconds"].get_double()), 1.25);
  EXPECT_EQ(int64_t(w["peak_rss_bytes"].get_int64()), 1 << 20);
  EXPECT_EQ(CountElements(w["levels"]), 2u);
  EXPECT_EQ(CountElements(w["dimensions"]), 1u);

  int iterations = 0, aggregates = 0, errors = 0;
  bool saw_even_median = false;
  for (auto entry : doc["benchmarks"].get_array()) {
    simdjson::ondemand::object b = entry.get_object();
    const std::string run_type(std::string_view(b["run_type"].get_string()));
    if (b.find_field_unordered("error_occurred").error() == simdjson::SUCCESS) {
      ++errors;
      // Google Benchmark's readers index these on every entry (compare.py
      // crashes on a KeyError otherwise).
      EXPECT_EQ(std::string_view(b["time_unit"].get_string()), "ns");
      EXPECT_EQ(double(b["real_time"].get_double()), 0);
      EXPECT_EQ(double(b["cpu_time"].get_double()), 0);
      EXPECT_EQ(int64_t(b["family_index"].get_int64()), 0);
      EXPECT_EQ(int64_t(b["per_family_instance_index"].get_int64()), 1);
      EXPECT_EQ(std::string_view(b["error_message"].get_string()), "verify: 3 \"deliveries\" missing");
      continue;
    }
    EXPECT_EQ(int64_t(b["family_index"].get_int64()), 0);
    EXPECT_EQ(int64_t(b["per_family_instance_index"].get_int64()), 0);
    // Items here are deliveries, not bytes.
    EXPECT_NE(b.find_field_unordered("bytes_per_second").error(), simdjson::SUCCESS);
    EXPECT_EQ(std::string_view(b["run_name"].get_string()), "broadcast/minimal");
    for (const char* key : {"repetitions", "threads", "iterations", "real_time", "cpu_time",
                            "ops", "items_per_op", "ops_per_second", "items_per_second", "p50_us",
                            "p95_us", "p99_us", "latency_batch", "allocs_per_op",
                            "deliveries_checked"}) {
      EXPECT_EQ(b.find_field_unordered(key).error(), simdjson::SUCCESS) << key;
    }
    for (const char* key : {"time_unit", "dimension", "level", "ops_note", "item_unit"}) {
      EXPECT_EQ(b.find_field_unordered(key).error(), simdjson::SUCCESS) << key;
    }
    // A NaN counter is written as null, never as bare "nan".
    simdjson::ondemand::value nan_value;
    ASSERT_EQ(b.find_field_unordered("nan_counter").get(nan_value), simdjson::SUCCESS);
    bool is_null = false;
    ASSERT_EQ(nan_value.is_null().get(is_null), simdjson::SUCCESS);
    EXPECT_TRUE(is_null);
    if (run_type == "iteration") {
      ++iterations;
      EXPECT_EQ(std::string_view(b["name"].get_string()), "broadcast/minimal");
      EXPECT_EQ(b.find_field_unordered("repetition_index").error(), simdjson::SUCCESS);
      EXPECT_EQ(std::string_view(b["verdict"].get_string()), "good");
    } else {
      ++aggregates;
      const std::string agg(std::string_view(b["aggregate_name"].get_string()));
      EXPECT_EQ(std::string(std::string_view(b["name"].get_string())), "broadcast/minimal_" + agg);
      if (agg == "median") {
        // Median of 0.02 and 0.04 is 0.03 (even count).
        EXPECT_NEAR(double(b["p95_us"].get_double()), 0.03, 1e-12);
        EXPECT_EQ(std::string_view(b["verdict"].get_string()), "good");
        saw_even_median = true;
      }
    }
  }
  EXPECT_EQ(iterations, 2);
  EXPECT_EQ(aggregates, 6);
  EXPECT_EQ(errors, 1);
  EXPECT_TRUE(saw_even_median);
  int degr = 0;
  for (auto entry : doc["degradation"].get_array()) {
    simdjson::ondemand::object d = entry.get_object();
    EXPECT_EQ(std::string_view(d["dimension"].get_string()), "broadcast");
    EXPECT_EQ(std::string_view(d["lowest_level"].get_string()), "minimal");
    EXPECT_EQ(std::string_view(d["highest_level"].get_string()), "light");
    EXPECT_DOUBLE_EQ(double(d["pct"].get_double()), 12.5);
    EXPECT_TRUE(bool(d["bottleneck"].get_bool()));
    ++degr;
  }
  EXPECT_EQ(degr, 1);
}

// A rate of bytes (compression, frames) is written as Google Benchmark's
// bytes_per_second; each dimension is a family, each level an instance.
TEST(ResultsJsonTest, BytesRateAndFamilyIndices) {
  std::vector<BenchmarkResult> results = Results();
  BenchmarkResult bytes = results.front();
  bytes.dimension = "compression";
  bytes.item_unit = "bytes";
  BenchmarkResult bytes_light = bytes;
  bytes_light.level = "light";
  results = {results.front(), bytes, bytes_light};
  absl::StatusOr<record::ResultsFile> file =
      record::ParseResults(ResultsJson(Info(), results, {}, nullptr), "results.json");
  ASSERT_TRUE(file.ok()) << file.status();
  int checked = 0;
  for (const record::BenchmarkRun& run : file->runs) {
    const bool is_bytes = run.dimension == "compression";
    EXPECT_EQ(run.Number("family_index"), is_bytes ? 1 : 0) << run.name;
    EXPECT_EQ(run.Number("per_family_instance_index"), run.level == "light" ? 1 : 0)
        << run.name;
    if (is_bytes && run.run_type == record::RunType::kIteration) {
      EXPECT_EQ(run.Number("bytes_per_second"), run.Number("items_per_second"));
      ++checked;
    }
    if (!is_bytes) EXPECT_FALSE(run.Number("bytes_per_second").has_value()) << run.name;
  }
  EXPECT_EQ(checked, 4);
}

TEST(ResultsJsonTest, BelowResolutionPercentilesAreNullWithTheirFlag) {
  std::vector<BenchmarkResult> results = Results();
  results.resize(1);
  // Repetition 0: P50 below the resolution; repetition 1: resolved.
  results[0].repetitions[0].numbers["p50_us"] = NAN;
  results[0].repetitions[0].bools["p50_below_resolution"] = true;
  results[0].repetitions[1].bools["p50_below_resolution"] = false;
  const std::string json = ResultsJson(Info(), results, {}, nullptr);
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  simdjson::ondemand::document doc = parser.iterate(padded);
  int checked = 0;
  for (auto entry : doc["benchmarks"].get_array()) {
    simdjson::ondemand::object b = entry.get_object();
    const std::string run_type(std::string_view(b["run_type"].get_string()));
    std::string what = run_type;
    if (run_type == "iteration") {
      what += std::to_string(int64_t(b["repetition_index"].get_int64()));
    } else {
      what = std::string(std::string_view(b["aggregate_name"].get_string()));
    }
    // Below in repetition 0 and in every aggregate a below value decides
    // (median of an even count, mean, min ...); max is the resolved 0.01.
    const bool below = what != "iteration1" && what != "max";
    EXPECT_EQ(bool(b["p50_below_resolution"].get_bool()), below) << what;
    bool is_null = false;
    ASSERT_EQ(b["p50_us"].is_null().get(is_null), simdjson::SUCCESS) << what;
    EXPECT_EQ(is_null, below) << what;
    ++checked;
  }
  EXPECT_EQ(checked, 8);
}

TEST(ResultsJsonTest, EmptyRunIsValidJson) {
  const std::string json = record::WriteResultsJson(
      ResultsRecord(record::RunInfo{}, {}, {}, {}, nullptr));
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  simdjson::ondemand::document doc = parser.iterate(padded);
  EXPECT_EQ(CountElements(doc["benchmarks"]), 0u);
  EXPECT_EQ(CountElements(doc["degradation"]), 0u);
}

}  // namespace
}  // namespace wsbench::bench

// Tests for record/csv.h: RFC 4180 quoting, one row per benchmark and
// metric with the repetitions' statistics, percentiles below the timer's
// resolution, failed benchmarks, and the atomic write.
#include "record/csv.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "gtest/gtest.h"

namespace wsbench::record {
namespace {

namespace fs = std::filesystem;

// Splits CSV text into records of fields (RFC 4180: quoted fields may hold
// commas, CRLF and doubled quotes). Fails the test on a malformed file.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> fields;
  std::string field;
  size_t i = 0;
  bool at_field_start = true;
  while (i < text.size()) {
    const char c = text[i];
    if (at_field_start && c == '"') {
      ++i;
      while (true) {
        EXPECT_LT(i, text.size()) << "unterminated quoted field";
        if (i >= text.size()) return records;
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += text[i++];
      }
      at_field_start = false;
      continue;
    }
    if (c == ',') {
      fields.push_back(field);
      field.clear();
      at_field_start = true;
      ++i;
    } else if (c == '\r') {
      EXPECT_EQ(text.substr(i, 2), "\r\n") << "bare CR at " << i;
      fields.push_back(field);
      field.clear();
      records.push_back(fields);
      fields.clear();
      at_field_start = true;
      i += 2;
    } else {
      EXPECT_NE(c, '\n') << "bare LF at " << i;
      EXPECT_NE(c, '"') << "quote inside an unquoted field at " << i;
      field += c;
      at_field_start = false;
      ++i;
    }
  }
  EXPECT_TRUE(fields.empty() && field.empty()) << "last line without CRLF";
  return records;
}

constexpr char kRun[] = R"({
  "context": {"wsbench": {"complete": true, "repetitions": 3,
    "fingerprint": {"cpu_model": "cpu", "cores": 2, "compiler": "gcc",
                    "cxx_flags": "-O2", "build_type": "Release"}}},
  "benchmarks": [
    {"name": "broadcast/light", "run_type": "iteration", "repetition_index": 0,
     "repetitions": 3, "threads": 1, "dimension": "broadcast", "level": "light",
     "real_time": 12.5, "time_unit": "ns", "items_per_second": 1000,
     "item_unit": "deliveries", "ops_per_second": 10, "p50_us": null,
     "p50_below_resolution": true, "p999_us": null, "p999_too_few_samples": true,
     "latency_resolution_us": 0.01, "p95_us": 2.0, "working_set_bytes": 4096,
     "zeta_counter": 1},
    {"name": "broadcast/light", "run_type": "iteration", "repetition_index": 1,
     "repetitions": 3, "dimension": "broadcast", "level": "light",
     "real_time": 10.5, "time_unit": "ns", "items_per_second": 3000,
     "item_unit": "deliveries", "ops_per_second": 30, "p50_us": 0.25,
     "p50_below_resolution": false, "p999_us": null, "p999_too_few_samples": true,
     "latency_resolution_us": 0.01, "p95_us": 4.0, "working_set_bytes": 4096,
     "zeta_counter": 2},
    {"name": "broadcast/light", "run_type": "iteration", "repetition_index": 2,
     "repetitions": 3, "dimension": "broadcast", "level": "light",
     "real_time": 11.5, "time_unit": "ns", "items_per_second": 2000,
     "item_unit": "deliveries", "ops_per_second": 20, "p50_us": null,
     "p50_below_resolution": true, "p999_us": null, "p999_too_few_samples": true,
     "latency_resolution_us": 0.01, "p95_us": 3.0, "working_set_bytes": 4096,
     "zeta_counter": 3},
    {"name": "broadcast/light_median", "run_name": "broadcast/light",
     "run_type": "aggregate", "aggregate_name": "median", "real_time": 11.5},
    {"name": "odd, \"name\"\nhere", "run_type": "iteration", "dimension": "odd",
     "level": "minimal", "real_time": 1e-7},
    {"name": "frames/low", "run_type": "iteration", "dimension": "frames",
     "level": "low", "error_occurred": true,
     "error_message": "checksum mismatch, \"deliberate\""}
  ]})";

ResultsFile SampleRun() {
  absl::StatusOr<ResultsFile> file = ParseResults(kRun, "run.json");
  EXPECT_TRUE(file.ok()) << file.status();
  return *std::move(file);
}

// The rows of `benchmark`, keyed by metric.
std::map<std::string, std::vector<std::string>> Rows(
    const std::vector<std::vector<std::string>>& records,
    const std::string& benchmark) {
  std::map<std::string, std::vector<std::string>> rows;
  for (const auto& r : records) {
    if (!r.empty() && r[0] == benchmark) rows[r[3]] = r;
  }
  return rows;
}

TEST(CsvTest, FieldQuotingFollowsRfc4180) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField(""), "");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField("cr\r"), "\"cr\r\"");
  EXPECT_EQ(CsvField(" spaced "), " spaced ");
  EXPECT_EQ(CsvRow({"a", "b,c", ""}), "a,\"b,c\",\r\n");
}

TEST(CsvTest, OneRowPerBenchmarkAndMetricWithStatistics) {
  const std::string csv = ResultsCsv(SampleRun());
  const auto records = ParseCsv(csv);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records[0], (std::vector<std::string>{
                            "benchmark", "dimension", "level", "metric",
                            "value", "unit", "repetitions", "mean", "min",
                            "max", "stddev", "cv_pct", "note"}));
  for (const auto& r : records) EXPECT_EQ(r.size(), 13u) << csv;

  auto rows = Rows(records, "broadcast/light");
  // Bookkeeping fields are no metrics; an aggregate entry adds no row.
  EXPECT_EQ(rows.count("repetition_index"), 0u);
  EXPECT_EQ(rows.count("repetitions"), 0u);
  EXPECT_EQ(rows.count("threads"), 0u);
  const auto& real_time = rows.at("real_time");
  EXPECT_EQ(real_time[1], "broadcast");
  EXPECT_EQ(real_time[2], "light");
  EXPECT_EQ(real_time[4], "11.5");  // median of 12.5, 10.5, 11.5
  EXPECT_EQ(real_time[5], "ns/op");
  EXPECT_EQ(real_time[6], "3");
  EXPECT_EQ(real_time[7], "11.5");
  EXPECT_EQ(real_time[8], "10.5");
  EXPECT_EQ(real_time[9], "12.5");
  EXPECT_EQ(real_time[10], "1");
  EXPECT_EQ(real_time[11], fmt::format("{}", 100 * (1.0 / 11.5)));
  EXPECT_EQ(real_time[12], "");
  EXPECT_EQ(rows.at("items_per_second")[5], "deliveries/s");
  EXPECT_EQ(rows.at("items_per_second")[4], "2000");
  EXPECT_EQ(rows.at("ops_per_second")[5], "ops/s");
  EXPECT_EQ(rows.at("p95_us")[5], "us");
  EXPECT_EQ(rows.at("p95_us")[4], "3");
  EXPECT_EQ(rows.at("working_set_bytes")[5], "bytes");
  EXPECT_EQ(rows.at("zeta_counter")[5], "");
  EXPECT_EQ(rows.at("zeta_counter")[4], "2");

  // Two of three repetitions below the resolution: the median is one of
  // them, so no figure, and the note says why.
  const auto& p50 = rows.at("p50_us");
  EXPECT_EQ(p50[4], "");
  EXPECT_EQ(p50[6], "3");
  EXPECT_EQ(p50[8], "");  // the lowest is below the resolution
  EXPECT_EQ(p50[9], "0.25");
  EXPECT_EQ(p50[7], "");  // no mean over an unknown value
  EXPECT_EQ(p50[12],
            "2 of 3 repetition(s) below the timer's resolution (0.01 us)");
  // Too few samples everywhere: a row that says so, no figure.
  const auto& p999 = rows.at("p999_us");
  EXPECT_EQ(p999[4], "");
  EXPECT_EQ(p999[6], "0");
  EXPECT_NE(p999[12].find("3 of 3 repetition(s) with too few samples"),
            std::string::npos);

  // Rows in a fixed order: time, rates, percentiles, the rest by name.
  std::vector<std::string> order;
  for (const auto& r : records) {
    if (r[0] == "broadcast/light") order.push_back(r[3]);
  }
  EXPECT_EQ(order, (std::vector<std::string>{
                       "real_time", "ops_per_second", "items_per_second",
                       "p50_us", "p95_us", "p999_us", "latency_resolution_us",
                       "working_set_bytes", "zeta_counter"}));
}

TEST(CsvTest, QuotedNamesAndFailedBenchmarks) {
  const auto records = ParseCsv(ResultsCsv(SampleRun()));
  auto odd = Rows(records, "odd, \"name\"\nhere");
  ASSERT_EQ(odd.count("real_time"), 1u);
  EXPECT_EQ(odd.at("real_time")[4], "1e-07");
  EXPECT_EQ(odd.at("real_time")[7], "");  // one repetition: no statistics
  auto failed = Rows(records, "frames/low");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed.at("error_occurred")[4], "1");
  EXPECT_EQ(failed.at("error_occurred")[12],
            "checksum mismatch, \"deliberate\"");
}

TEST(CsvTest, SameInputSameBytes) {
  EXPECT_EQ(ResultsCsv(SampleRun()), ResultsCsv(SampleRun()));
}

TEST(CsvTest, WriteIsAtomicAndABadPathLeavesNothing) {
  const fs::path dir = fs::temp_directory_path() /
                       ("wsbench_csv_test_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path file = dir / "out.csv";
  ASSERT_TRUE(WriteResultsCsv(file.string(), SampleRun()).ok());
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), ResultsCsv(SampleRun()));

  // A directory in the way: an error naming the path, the directory kept.
  fs::create_directories(dir / "taken.csv" / "child");
  absl::Status s = WriteResultsCsv((dir / "taken.csv").string(), SampleRun());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("taken.csv"), std::string::npos) << s;
  EXPECT_TRUE(fs::is_directory(dir / "taken.csv" / "child"));
  // A missing directory: an error, nothing created.
  s = WriteResultsCsv((dir / "no" / "such.csv").string(), SampleRun());
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(fs::exists(dir / "no"));
  // Only the file written is left: no temporary behind.
  int entries = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 2);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wsbench::record

#include "record/csv.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "fmt/format.h"
#include "record/atomic_file.h"
#include "record/statistics.h"

namespace wsbench::record {
namespace {

constexpr std::string_view kHeader[] = {
    "benchmark", "dimension",   "level", "metric", "value",
    "unit",      "repetitions", "mean",  "min",    "max",
    "stddev",    "cv_pct",      "note"};

// Numeric fields that number the entry rather than measure anything.
bool IsBookkeeping(std::string_view key) {
  return key == "repetition_index" || key == "repetitions" ||
         key == "threads" || key == "family_index" ||
         key == "per_family_instance_index";
}

// Rows of a benchmark come in this order; other metrics follow by name.
int MetricRank(std::string_view key) {
  static constexpr std::string_view kOrder[] = {
      "real_time",        "cpu_time", "ops_per_second", "items_per_second",
      "bytes_per_second", "p50_us",   "p95_us",         "p99_us",
      "p999_us",          "max_us",   "allocs_per_op",  "instructions_per_op"};
  for (size_t i = 0; i < std::size(kOrder); ++i) {
    if (kOrder[i] == key) return static_cast<int>(i);
  }
  return static_cast<int>(std::size(kOrder));
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

std::string StringField(const BenchmarkRun& run, const std::string& key) {
  auto it = run.strings.find(key);
  return it == run.strings.end() ? std::string() : it->second;
}

bool BoolField(const BenchmarkRun& run, const std::string& key) {
  if (key.empty()) return false;
  auto it = run.bools.find(key);
  return it != run.bools.end() && it->second;
}

// The unit a metric is written in, from its name (the suite's naming:
// _us, _ns, _pct, _bytes, _per_second, _per_op) and the entry's time_unit
// and item_unit.
std::string UnitOf(std::string_view metric, const BenchmarkRun& run) {
  const std::string items = StringField(run, "item_unit");
  const std::string item_name = items.empty() ? "items" : items;
  if (metric == "real_time" || metric == "cpu_time") {
    const std::string unit = StringField(run, "time_unit");
    return (unit.empty() ? "ns" : unit) + "/op";
  }
  if (metric == "ops") return "ops";
  if (metric == "iterations") return "passes";
  if (metric == "ops_per_second") return "ops/s";
  if (metric == "items_per_second") return item_name + "/s";
  if (metric == "items_per_op") return item_name + "/op";
  if (metric == "bytes_per_second") return "bytes/s";
  if (EndsWith(metric, "_us")) return "us";
  if (EndsWith(metric, "_ns")) return "ns";
  if (EndsWith(metric, "_pct")) return "%";
  if (EndsWith(metric, "_bytes")) return "bytes";
  if (EndsWith(metric, "_per_second")) return "/s";
  if (EndsWith(metric, "_per_op")) {
    return std::string(metric.substr(0, metric.size() - 7)) + "/op";
  }
  return "";
}

// Shortest text that reads back to the same double; empty for NaN (a
// figure that is not a number: below the resolution, or none).
std::string Number(double value) {
  if (std::isnan(value)) return "";
  return fmt::format("{}", value);
}

// The rows of one benchmark from its entries (file order).
void AppendRows(const std::string& name,
                const std::vector<const BenchmarkRun*>& entries,
                std::string& out) {
  std::vector<const BenchmarkRun*> reps;
  const BenchmarkRun* failed = nullptr;
  for (const BenchmarkRun* entry : entries) {
    const BenchmarkRun& run = *entry;
    if (run.run_type != RunType::kIteration) continue;
    if (run.failed()) {
      if (failed == nullptr) failed = &run;
      continue;
    }
    reps.push_back(&run);
  }
  if (reps.empty()) {
    if (failed == nullptr) return;  // aggregates only
    out += CsvRow({name, failed->dimension, failed->level, "error_occurred",
                   "1", "", "0", "", "", "", "", "",
                   StringField(*failed, "error_message")});
    return;
  }
  // Every metric any repetition carries, a null percentile included.
  std::set<std::string> metrics;
  for (const BenchmarkRun* run : reps) {
    for (const auto& [key, value] : run->numbers) {
      if (!IsBookkeeping(key)) metrics.insert(key);
    }
    for (const auto& [key, value] : run->bools) {
      for (std::string_view suffix :
           {"_below_resolution", "_too_few_samples"}) {
        if (EndsWith(key, suffix)) {
          metrics.insert(key.substr(0, key.size() - suffix.size()) + "_us");
        }
      }
    }
  }
  std::vector<std::string> ordered(metrics.begin(), metrics.end());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const std::string& a, const std::string& b) {
                     return MetricRank(a) < MetricRank(b);
                   });
  const BenchmarkRun& first = *reps.front();
  for (const std::string& metric : ordered) {
    std::vector<double> values;
    int below = 0, too_few = 0;
    double resolution_us = 0;
    for (const BenchmarkRun* run : reps) {
      if (auto v = run->Number(metric)) {
        values.push_back(*v);
      } else if (BoolField(*run, BelowResolutionKey(metric))) {
        values.push_back(NAN);
        ++below;
        resolution_us = std::max(
            resolution_us, run->Number("latency_resolution_us").value_or(0));
      } else if (BoolField(*run, TooFewSamplesKey(metric))) {
        ++too_few;
      }
    }
    if (values.empty() && too_few == 0) continue;
    std::string note;
    if (below > 0) {
      note = fmt::format("{} of {} repetition(s) below the timer's resolution",
                         below, reps.size());
      if (resolution_us > 0) {
        note += fmt::format(" ({} us)", Number(resolution_us));
      }
    }
    if (too_few > 0) {
      if (!note.empty()) note += "; ";
      note += fmt::format(
          "{} of {} repetition(s) with too few samples for this percentile",
          too_few, reps.size());
    }
    const bool stats = values.size() >= 2;
    out += CsvRow(
        {name, first.dimension, first.level, metric, Number(Median(values)),
         UnitOf(metric, first), std::to_string(values.size()),
         stats ? Number(Mean(values)) : "", stats ? Number(Min(values)) : "",
         stats ? Number(Max(values)) : "", stats ? Number(Stddev(values)) : "",
         stats ? Number(100 * Cv(values)) : "", note});
  }
}

}  // namespace

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(text);
  }
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string CsvRow(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += CsvField(fields[i]);
  }
  out += "\r\n";
  return out;
}

std::string ResultsCsv(const ResultsFile& file) {
  std::string out =
      CsvRow(std::vector<std::string>(std::begin(kHeader), std::end(kHeader)));
  // Entries grouped by run_name in one pass, names in first-seen order.
  std::vector<std::string> names;
  std::unordered_map<std::string, std::vector<const BenchmarkRun*>> by_name;
  for (const BenchmarkRun& run : file.runs) {
    auto [it, inserted] = by_name.try_emplace(run.run_name);
    if (inserted) names.push_back(run.run_name);
    it->second.push_back(&run);
  }
  for (const std::string& name : names) AppendRows(name, by_name[name], out);
  return out;
}

absl::Status WriteResultsCsv(const std::string& path, const ResultsFile& file) {
  return WriteFileAtomically(path, ResultsCsv(file));
}

}  // namespace wsbench::record

#include "report_model.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "load_level.h"
#include "record/statistics.h"
#include "simdjson.h"

namespace wsbench::report {

using record::Median;
namespace {

namespace od = simdjson::ondemand;

// The median over the repetitions of a latency percentile, counting those
// below the timer's resolution (null in the file) as NaN, which
// record::Median ranks below any number: NaN when the median is one of them.
double PercentileMedian(const record::ResultsFile& file,
                        const std::string& name, const std::string& key) {
  std::vector<double> values = file.RepetitionValues(name, key);
  values.insert(values.end(),
                file.CountTrue(name, record::BelowResolutionKey(key)),
                std::nan(""));
  return Median(std::move(values));
}

BenchmarkSummary Summarize(const record::ResultsFile& file, const std::string& name) {
  BenchmarkSummary s;
  s.name = name;
  for (const record::BenchmarkRun& r : file.runs) {
    if (r.run_name != name || r.run_type != record::RunType::kIteration) continue;
    if (s.dimension.empty()) {
      s.dimension = r.dimension;
      s.level = r.level;
      if (auto it = r.strings.find("item_unit"); it != r.strings.end()) s.item_unit = it->second;
      if (auto it = r.strings.find("ops_note"); it != r.strings.end()) s.ops_note = it->second;
      s.items_per_op = r.Number("items_per_op").value_or(0);
    }
    if (r.failed()) {
      s.failed = true;
      if (auto it = r.strings.find("error_message"); it != r.strings.end()) {
        s.error_message = it->second;
      }
    } else {
      ++s.repetitions;
    }
  }
  if (s.dimension.empty()) {  // foreign file: derive from "<dimension>/<level>"
    size_t slash = name.find('/');
    s.dimension = name.substr(0, slash);
    s.level = slash == std::string::npos ? "" : name.substr(slash + 1);
  }
  s.ops_per_second = Median(file.RepetitionValues(name, "ops_per_second"));
  s.items_per_second = Median(file.RepetitionValues(name, "items_per_second"));
  s.p50_us = PercentileMedian(file, name, "p50_us");
  s.p95_us = PercentileMedian(file, name, "p95_us");
  s.p99_us = PercentileMedian(file, name, "p99_us");
  // NaN with repetitions behind it: the median is at or below the resolution.
  auto below = [&](const char* key) {
    return std::isnan(PercentileMedian(file, name, key)) &&
           file.CountTrue(name, record::BelowResolutionKey(key)) > 0;
  };
  s.p50_below = below("p50_us");
  s.p95_below = below("p95_us");
  s.p99_below = below("p99_us");
  s.latency_resolution_us =
      Median(file.RepetitionValues(name, "latency_resolution_us"));
  s.latency_rule = file.LatencyRule(name);
  s.allocs_per_op = Median(file.RepetitionValues(name, "allocs_per_op"));
  if (const record::BenchmarkRun* median = file.Aggregate(name, "median")) {
    if (auto it = median->strings.find("verdict"); it != median->strings.end()) {
      s.verdict = it->second;
    }
  }
  return s;
}

ChangeClass Classify(double change_pct, bool higher_is_better, double noise_pct) {
  if (!std::isfinite(change_pct)) return ChangeClass::kNoise;
  double better = higher_is_better ? change_pct : -change_pct;
  if (better <= -noise_pct) return ChangeClass::kRegressed;
  if (better >= noise_pct) return ChangeClass::kImproved;
  return ChangeClass::kNoise;
}

absl::Status BadVerdict(std::string_view source, std::string_view what) {
  return absl::InvalidArgumentError(
      fmt::format("{}: not a wsbench-compare verdict file: {}", source, what));
}

// A number, or NaN for null / other types.
double NumberOrNaN(od::value v) {
  double d = 0;
  if (v.get_double().get(d) == simdjson::SUCCESS) return d;
  int64_t i = 0;
  if (v.get_int64().get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  return kNaN;
}

std::string StringOr(od::value v, std::string fallback) {
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  return fallback;
}

absl::Status ParseVerdict(const std::string& text, std::string_view source, Report& report) {
  od::parser parser;
  simdjson::padded_string padded(text);
  od::document doc;
  if (auto error = parser.iterate(padded).get(doc)) {
    return BadVerdict(source, simdjson::error_message(error));
  }
  od::object root;
  if (doc.get_object().get(root)) return BadVerdict(source, "the top level is not an object");
  GateVerdict& v = report.verdict;
  v.statistical = true;
  v.source = std::string(source);
  bool saw_rows = false;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return BadVerdict(source, "bad key");
    od::value value;
    if (field.value().get(value)) return BadVerdict(source, fmt::format("{}: bad value", key));
    if (key == "regressions") {
      v.regressions = static_cast<int>(NumberOrNaN(value));
    } else if (key == "improvements") {
      v.improvements = static_cast<int>(NumberOrNaN(value));
    } else if (key == "exit_code") {
      v.exit_code = static_cast<int>(NumberOrNaN(value));
    } else if (key == "time_gated") {
      bool b = true;
      if (!value.get_bool().get(b)) v.time_gated = b;
    } else if (key == "base_revision") {
      v.base_revision = StringOr(value, "");
    } else if (key == "new_revision") {
      v.new_revision = StringOr(value, "");
    } else if (key == "notes" || key == "fingerprint_mismatches") {
      od::array items;
      if (value.get_array().get(items)) return BadVerdict(source, fmt::format("{}: not an array", key));
      for (auto item : items) {
        std::string_view s;
        if (item.get_string().get(s)) continue;
        (key == "notes" ? v.notes : v.fingerprint_mismatches).emplace_back(s);
      }
    } else if (key == "rows") {
      saw_rows = true;
      od::array rows;
      if (value.get_array().get(rows)) return BadVerdict(source, "rows: not an array");
      size_t index = 0;
      for (auto row_value : rows) {
        od::object row_object;
        if (row_value.get_object().get(row_object)) {
          return BadVerdict(source, fmt::format("rows[{}]: not an object", index));
        }
        ChangeRow row;
        std::string verdict;
        for (auto f : row_object) {
          std::string_view k;
          od::value fv;
          if (f.unescaped_key().get(k) || f.value().get(fv)) {
            return BadVerdict(source, fmt::format("rows[{}]: bad field", index));
          }
          if (k == "benchmark") row.benchmark = StringOr(fv, "");
          else if (k == "metric") row.metric = StringOr(fv, "");
          else if (k == "label") row.label = StringOr(fv, "");
          else if (k == "base") row.base = NumberOrNaN(fv);
          else if (k == "new") row.next = NumberOrNaN(fv);
          else if (k == "change_pct") row.change_pct = NumberOrNaN(fv);
          else if (k == "p_value") row.p_value = NumberOrNaN(fv);
          else if (k == "verdict") verdict = StringOr(fv, "");
          else if (k == "note") row.note = StringOr(fv, "");
          else if (k == "gated") {
            bool b = true;
            if (!fv.get_bool().get(b)) row.gated = b;
          }
        }
        if (row.benchmark.empty() || verdict.empty()) {
          return BadVerdict(source, fmt::format("rows[{}]: needs 'benchmark' and 'verdict'", index));
        }
        if (verdict == "regressed") row.cls = ChangeClass::kRegressed;
        else if (verdict == "improved") row.cls = ChangeClass::kImproved;
        else if (verdict == "new") row.cls = ChangeClass::kNew;
        else if (verdict == "missing") row.cls = ChangeClass::kMissing;
        else row.cls = ChangeClass::kNoise;
        row.higher_is_better = row.metric.find("per_second") != std::string::npos;
        if (row.label.empty()) row.label = row.metric;
        report.changes.push_back(std::move(row));
        ++index;
      }
    }
  }
  if (!saw_rows) return BadVerdict(source, "no 'rows' array");
  return absl::OkStatus();
}

}  // namespace

double BenchmarkSummary::Value(std::string_view key) const {
  if (key == "ops_per_second") return ops_per_second;
  if (key == "items_per_second") return items_per_second;
  if (key == "p50_us") return p50_us;
  if (key == "p95_us") return p95_us;
  if (key == "p99_us") return p99_us;
  if (key == "allocs_per_op") return allocs_per_op;
  return kNaN;
}

std::string DimensionSummary::rate_key() const {
  return rate_is_items ? "items_per_second" : "ops_per_second";
}

std::string DimensionSummary::rate_unit() const {
  return rate_is_items && !item_unit.empty() ? item_unit + "/s" : "ops/s";
}

std::string_view ChangeClassName(ChangeClass c) {
  switch (c) {
    case ChangeClass::kRegressed: return "regressed";
    case ChangeClass::kImproved: return "improved";
    case ChangeClass::kNoise: return "unchanged";
    case ChangeClass::kNew: return "new";
    case ChangeClass::kMissing: return "missing";
  }
  return "unchanged";
}

absl::StatusOr<Report> BuildReport(const ReportInputs& in) {
  if (in.run == nullptr) return absl::InvalidArgumentError("no results file given");
  Report report;
  report.run = *in.run;
  report.noise_pct = in.noise_pct;
  report.diff_graphs = in.diff_graphs;
  const record::ResultsFile& run = report.run;
  std::vector<std::string> names = run.BenchmarkNames();
  if (names.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: holds no benchmarks (an empty or foreign results file?)", run.path));
  }
  for (const std::string& name : names) report.benchmarks.push_back(Summarize(run, name));

  // Levels in load order; unknown names after them, in first-seen order.
  std::vector<std::string> seen;
  for (const BenchmarkSummary& b : report.benchmarks) {
    if (std::find(seen.begin(), seen.end(), b.level) == seen.end()) seen.push_back(b.level);
  }
  for (const bench::LoadLevel& level : bench::kLoadLevels) {
    if (std::find(seen.begin(), seen.end(), level.name) != seen.end()) {
      report.levels.emplace_back(level.name);
    }
  }
  for (const std::string& level : seen) {
    if (std::find(report.levels.begin(), report.levels.end(), level) == report.levels.end()) {
      report.levels.push_back(level);
    }
  }
  for (BenchmarkSummary& b : report.benchmarks) {
    b.level_index = static_cast<int>(
        std::find(report.levels.begin(), report.levels.end(), b.level) - report.levels.begin());
  }

  // Dimensions in the run's order (context.wsbench.dimensions), then others.
  std::vector<std::string> dim_names = run.info.dimensions;
  for (const BenchmarkSummary& b : report.benchmarks) {
    if (std::find(dim_names.begin(), dim_names.end(), b.dimension) == dim_names.end()) {
      dim_names.push_back(b.dimension);
    }
  }
  report.thresholds_source = in.thresholds != nullptr ? in.thresholds_path : "";
  for (const std::string& dim : dim_names) {
    DimensionSummary d;
    d.name = dim;
    for (size_t i = 0; i < report.benchmarks.size(); ++i) {
      if (report.benchmarks[i].dimension == dim) d.benchmarks.push_back(i);
    }
    if (d.benchmarks.empty()) continue;  // listed but not run
    std::stable_sort(d.benchmarks.begin(), d.benchmarks.end(), [&](size_t a, size_t b) {
      return report.benchmarks[a].level_index < report.benchmarks[b].level_index;
    });
    d.item_unit = report.benchmarks[d.benchmarks.front()].item_unit;
    d.rate_is_items = d.item_unit == "deliveries";
    if (in.thresholds != nullptr) {
      if (const bench::DimensionThresholds* t = in.thresholds->Find(dim)) {
        d.rate_is_items = t->rate_is_items;
        d.throughput_bands = t->throughput;
        d.p95_bands = t->p95_us;
        d.p95_per_item = t->p95_per_item;
      }
    }
    for (const record::Degradation& g : run.degradation) {
      if (g.dimension == dim) d.degradation = g;
    }
    report.dimensions.push_back(std::move(d));
  }

  // Baseline and changes.
  if (in.baseline != nullptr) {
    report.has_baseline = true;
    report.baseline_path = in.baseline->path;
    report.baseline_info = in.baseline->info;
    for (const std::string& name : in.baseline->BenchmarkNames()) {
      report.baseline[name] = Summarize(*in.baseline, name);
    }
  }
  if (in.verdict_json != nullptr) {
    absl::Status status = ParseVerdict(*in.verdict_json, in.verdict_path, report);
    if (!status.ok()) return status;
  } else if (report.has_baseline) {
    GateVerdict& v = report.verdict;
    v.base_revision = in.baseline->info.fingerprint.git_revision;
    v.new_revision = run.info.fingerprint.git_revision;
    v.fingerprint_mismatches =
        record::FingerprintMismatches(in.baseline->info.fingerprint, run.info.fingerprint);
    for (const DimensionSummary& d : report.dimensions) {
      for (size_t i : d.benchmarks) {
        const BenchmarkSummary& b = report.benchmarks[i];
        auto base = report.baseline.find(b.name);
        for (const auto& [metric, label, higher] :
             {std::tuple<std::string, std::string, bool>{d.rate_key(), "throughput", true},
              {"p95_us", "P95", false}}) {
          ChangeRow row;
          row.benchmark = b.name;
          row.metric = metric;
          row.label = label;
          row.higher_is_better = higher;
          row.next = b.Value(metric);
          if (base == report.baseline.end()) {
            row.cls = ChangeClass::kNew;
          } else if (metric == "p95_us" &&
                     base->second.latency_rule != b.latency_rule) {
            // A percentile sampled by another rule is another figure.
            row.base = base->second.Value(metric);
            row.note = "not compared: latency rule differs (base " +
                       base->second.latency_rule + ", new " + b.latency_rule +
                       ")";
          } else {
            row.base = base->second.Value(metric);
            row.change_pct = (row.next / row.base - 1) * 100;
            row.cls = Classify(row.change_pct, higher, in.noise_pct);
          }
          if (row.cls == ChangeClass::kRegressed) ++v.regressions;
          if (row.cls == ChangeClass::kImproved) ++v.improvements;
          report.changes.push_back(row);
        }
      }
    }
    for (const auto& [name, summary] : report.baseline) {
      bool present = std::any_of(report.benchmarks.begin(), report.benchmarks.end(),
                                 [&](const BenchmarkSummary& b) { return b.name == name; });
      if (!present) {
        ChangeRow row;
        row.benchmark = name;
        row.metric = "-";
        row.label = "benchmark";
        row.cls = ChangeClass::kMissing;
        report.changes.push_back(row);
      }
    }
  }
  return report;
}

}  // namespace wsbench::report

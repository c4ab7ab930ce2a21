#include "results_json.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "benchmark/benchmark.h"
#include "fingerprint.h"
#include "record/statistics.h"

namespace wsbench::bench {
namespace {

// Fields every entry of a benchmark shares.
record::BenchmarkRun Entry(const BenchmarkResult& r,
                           const record::RunInfo& info) {
  record::BenchmarkRun run;
  run.name = r.name();
  run.run_name = r.name();
  run.dimension = r.dimension;
  run.level = r.level;
  // The repetitions this benchmark kept (fewer than requested when the run
  // was interrupted); context.wsbench.repetitions is the request.
  run.numbers["repetitions"] = static_cast<double>(
      r.repetitions.empty() ? info.repetitions : r.repetitions.size());
  run.numbers["threads"] = 1;
  run.numbers["ops"] = static_cast<double>(r.ops);
  run.numbers["items_per_op"] = r.items_per_op;
  run.strings["ops_note"] = r.ops_note;
  run.strings["item_unit"] = r.item_unit;
  return run;
}

// real_time and cpu_time (0 when the repetition has none) in ns per
// operation, then the rest. A rate of bytes is also written under Google
// Benchmark's name for it, bytes_per_second.
void Numbers(const BenchmarkResult& r, record::BenchmarkRun& run,
             const std::map<std::string, double>& numbers) {
  run.numbers["real_time"] = 0;
  run.numbers["cpu_time"] = 0;
  run.strings["time_unit"] = "ns";
  for (const auto& [key, value] : numbers) run.numbers[key] = value;
  auto items = numbers.find("items_per_second");
  if (r.item_unit == "bytes" && items != numbers.end()) {
    run.numbers["bytes_per_second"] = items->second;
  }
}

// A failed benchmark's entry carries every field Google Benchmark's readers
// index unconditionally (compare.py reads time_unit, real_time, cpu_time).
record::BenchmarkRun ErrorEntry(const BenchmarkResult& r,
                                const record::RunInfo& info, int index) {
  record::BenchmarkRun run = Entry(r, info);
  run.repetition_index = index;
  run.numbers["iterations"] = 0;
  Numbers(r, run, {});
  run.bools["error_occurred"] = true;
  run.strings["error_message"] = r.error_message;
  return run;
}

// Google Benchmark's family_index (the dimension, in run order) and
// per_family_instance_index (the level within it, in run order).
class FamilyIndex {
 public:
  void Set(const BenchmarkResult& r, record::BenchmarkRun& run) {
    const int family =
        families_.try_emplace(r.dimension, static_cast<int>(families_.size()))
            .first->second;
    std::map<std::string, int>& levels = instances_[r.dimension];
    const int instance =
        levels.try_emplace(r.level, static_cast<int>(levels.size())).first->second;
    run.numbers["family_index"] = family;
    run.numbers["per_family_instance_index"] = instance;
  }

 private:
  std::map<std::string, int> families_;
  std::map<std::string, std::map<std::string, int>> instances_;
};

}  // namespace

std::vector<std::pair<std::string, std::string>> GoogleBenchmarkContext() {
  if (benchmark::BenchmarkReporter::Context::executable_name == nullptr) {
    benchmark::BenchmarkReporter::Context::executable_name = "wsbench";
  }
  std::ostringstream out, err;
  benchmark::JSONReporter reporter;
  reporter.SetOutputStream(&out);
  reporter.SetErrorStream(&err);
  benchmark::BenchmarkReporter::Context context;
  reporter.ReportContext(context);
  const std::string text = out.str();
  const std::string open = "\"context\": {";
  const size_t begin = text.find(open);
  const size_t end = text.find("\n  },\n  \"benchmarks\"");
  const std::vector<std::pair<std::string, std::string>> fallback = {
      {"library_build_type", "\"unknown\""}};
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    return fallback;
  }
  const std::string object =
      "{" + text.substr(begin + open.size(), end - begin - open.size()) + "}";
  auto members = record::ParseObjectMembers(object, "Google Benchmark context");
  return members.ok() ? *std::move(members) : fallback;
}

record::ResultsFile ResultsRecord(
    const record::RunInfo& info,
    std::vector<std::pair<std::string, std::string>> context_fields,
    const std::vector<BenchmarkResult>& results,
    const std::vector<record::Degradation>& degradation,
    const Thresholds* thresholds) {
  record::ResultsFile file;
  file.info = info;
  file.info.kind = "results";
  file.info.version = SuiteVersion();
  if (file.info.complete) file.info.partial_reason.clear();
  file.context_fields = std::move(context_fields);
  FamilyIndex family;
  for (const BenchmarkResult& r : results) {
    const int reps = static_cast<int>(r.repetitions.size());
    const size_t first_entry = file.runs.size();
    // Every entry of this benchmark, once they are all added.
    auto index_entries = [&] {
      for (size_t i = first_entry; i < file.runs.size(); ++i) {
        family.Set(r, file.runs[i]);
      }
    };
    if (r.error && reps == 0) {
      file.runs.push_back(ErrorEntry(r, info, 0));
      index_entries();
      continue;
    }
    for (int i = 0; i < reps; ++i) {
      const RepetitionResult& rep = r.repetitions[i];
      record::BenchmarkRun run = Entry(r, info);
      run.repetition_index = i;
      run.numbers["iterations"] = static_cast<double>(rep.iterations);
      Numbers(r, run, rep.numbers);
      for (const auto& [key, value] : rep.strings) run.strings[key] = value;
      for (const auto& [key, value] : rep.bools) run.bools[key] = value;
      file.runs.push_back(std::move(run));
    }
    if (r.error) file.runs.push_back(ErrorEntry(r, info, reps));
    if (reps == 0) {
      index_entries();
      continue;
    }
    // Keys present in any repetition.
    std::map<std::string, bool> keys;
    for (const RepetitionResult& rep : r.repetitions) {
      for (const auto& [key, value] : rep.numbers) keys[key] = true;
    }
    for (const char* aggregate : record::kAggregateNames) {
      RepetitionResult agg;
      agg.iterations = reps;
      for (const auto& [key, unused] : keys) {
        const double value = record::Aggregate(aggregate, r.Values(key));
        agg.numbers[key] = value;
        // A percentile aggregate that is null says why: too few samples
        // (every repetition), or a below-resolution value decided it.
        const std::string below = record::BelowResolutionKey(key);
        if (below.empty()) continue;
        const std::string too_few = record::TooFewSamplesKey(key);
        bool has_below = false, has_too_few = false, any_too_few = false;
        for (const RepetitionResult& rep : r.repetitions) {
          has_below |= rep.bools.count(below) > 0;
          auto it = rep.bools.find(too_few);
          has_too_few |= it != rep.bools.end();
          any_too_few |= it != rep.bools.end() && it->second;
        }
        if (has_too_few) agg.bools[too_few] = any_too_few && std::isnan(value);
        if (has_below) agg.bools[below] = std::isnan(value) && !any_too_few;
      }
      const std::string_view agg_name(aggregate);
      if (thresholds != nullptr &&
          (agg_name == "median" || agg_name == "mean")) {
        ApplyVerdicts(*thresholds, r, agg);
      }
      record::BenchmarkRun run = Entry(r, info);
      run.name = r.name() + "_" + aggregate;
      run.run_type = record::RunType::kAggregate;
      run.aggregate_name = aggregate;
      run.strings["aggregate_unit"] = agg_name == "cv" ? "percentage" : "time";
      run.numbers["iterations"] = reps;
      Numbers(r, run, agg.numbers);
      for (const auto& [key, value] : agg.strings) run.strings[key] = value;
      for (const auto& [key, value] : agg.bools) run.bools[key] = value;
      file.runs.push_back(std::move(run));
    }
    index_entries();
  }
  file.degradation = degradation;
  return file;
}

std::string ResultsJson(const record::RunInfo& info,
                        const std::vector<BenchmarkResult>& results,
                        const std::vector<record::Degradation>& degradation,
                        const Thresholds* thresholds) {
  return record::WriteResultsJson(ResultsRecord(
      info, GoogleBenchmarkContext(), results, degradation, thresholds));
}

}  // namespace wsbench::bench

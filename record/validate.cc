#include "record/validate.h"

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "fmt/format.h"

namespace wsbench::record {
namespace {

absl::Status Bad(const ResultsFile& file, std::string_view path,
                 std::string_view what) {
  return absl::InvalidArgumentError(fmt::format(
      "{}: {}: {}", file.path.empty() ? "(results)" : file.path, path, what));
}

// Fields that must be positive when present, and those that may be 0.
constexpr const char* kPositive[] = {
    "real_time", "cpu_time", "ops_per_second",      "p50_us",    "p95_us",
    "p99_us",    "probe_ns", "instructions_per_op", "iterations"};
constexpr const char* kNonNegative[] = {"allocs_per_op", "items_per_second",
                                        "bytes_per_second", "ops"};

std::string Entry(size_t i) { return fmt::format("benchmarks[{}]", i); }

}  // namespace

absl::Status CheckRun(const ResultsFile& file, const CheckOptions& options) {
  const bool timed = file.info.kind != "instructions";
  if (file.runs.empty()) {
    return Bad(file, "benchmarks", "empty: the run measured nothing");
  }
  if (!file.info.complete && !options.allow_partial) {
    return Bad(file, "context.wsbench.complete",
               fmt::format("false: a partial run ({})",
                           file.info.partial_reason.empty()
                               ? "no reason given"
                               : file.info.partial_reason));
  }
  std::map<std::pair<std::string, int64_t>, size_t> iterations;
  std::map<std::pair<std::string, std::string>, size_t> aggregates;
  std::set<std::string> names;
  for (size_t i = 0; i < file.runs.size(); ++i) {
    const BenchmarkRun& run = file.runs[i];
    names.insert(run.run_name);
    if (run.failed()) {
      auto message = run.strings.find("error_message");
      return Bad(
          file, Entry(i),
          fmt::format(
              "benchmark {} failed{}", run.run_name,
              message == run.strings.end() ? "" : ": " + message->second));
    }
    if (run.run_type == RunType::kAggregate) {
      auto [it, inserted] = aggregates.emplace(
          std::make_pair(run.run_name, run.aggregate_name), i);
      if (!inserted) {
        return Bad(
            file, Entry(i),
            fmt::format("duplicate of {} ({} aggregate '{}')",
                        Entry(it->second), run.run_name, run.aggregate_name));
      }
      continue;
    }
    auto [it, inserted] = iterations.emplace(
        std::make_pair(run.run_name, run.repetition_index), i);
    if (!inserted) {
      return Bad(
          file, Entry(i),
          fmt::format("duplicate of {} ({} repetition_index {})",
                      Entry(it->second), run.run_name, run.repetition_index));
    }
    if (timed) {
      for (const char* key : {"real_time", "cpu_time"}) {
        if (!run.Number(key)) {
          return Bad(file, Entry(i) + "." + key,
                     fmt::format("missing (benchmark {})", run.run_name));
        }
      }
    }
    for (const char* key : kPositive) {
      const std::optional<double> v = run.Number(key);
      if (v && !(std::isfinite(*v) && *v > 0)) {
        return Bad(file, Entry(i) + "." + key,
                   fmt::format("{} is not a positive number (benchmark {})", *v,
                               run.run_name));
      }
    }
    for (const char* key : kNonNegative) {
      const std::optional<double> v = run.Number(key);
      if (v && !(std::isfinite(*v) && *v >= 0)) {
        return Bad(file, Entry(i) + "." + key,
                   fmt::format("{} is negative or not finite (benchmark {})",
                               *v, run.run_name));
      }
    }
    if (options.require_probe && timed && !run.Number("probe_ns")) {
      return Bad(file, Entry(i) + ".probe_ns",
                 fmt::format("missing: the machine-speed probe of benchmark "
                             "{} (every repetition must carry it)",
                             run.run_name));
    }
  }
  // Every dimension and level the run says it ran has an entry.
  std::set<std::string> dimensions, levels;
  for (const BenchmarkRun& run : file.runs) {
    dimensions.insert(run.dimension);
    levels.insert(run.level);
  }
  for (const std::string& dimension : file.info.dimensions) {
    if (dimensions.count(dimension) == 0) {
      return Bad(file, "benchmarks",
                 fmt::format("no entry for dimension '{}', which "
                             "context.wsbench.dimensions lists",
                             dimension));
    }
  }
  for (const std::string& level : file.info.levels) {
    if (levels.count(level) == 0) {
      return Bad(file, "benchmarks",
                 fmt::format("no entry at level '{}', which "
                             "context.wsbench.levels lists",
                             level));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckCovers(const ResultsFile& base, const ResultsFile& next) {
  std::set<std::string> next_names,
      next_levels(next.info.levels.begin(), next.info.levels.end());
  for (const BenchmarkRun& run : next.runs) {
    next_names.insert(run.run_name);
    if (!run.level.empty()) next_levels.insert(run.level);
  }
  for (const BenchmarkRun& run : base.runs) {
    if (next_names.count(run.run_name) > 0) continue;
    if (!run.level.empty() && next_levels.count(run.level) == 0) continue;
    return Bad(next, "benchmarks",
               fmt::format("no entry for {}, which the base run {} has at "
                           "level '{}' (a benchmark or dimension missing)",
                           run.run_name, base.path, run.level));
  }
  return absl::OkStatus();
}

}  // namespace wsbench::record

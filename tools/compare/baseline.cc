#include "baseline.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "code_path.h"
#include "compare.h"
#include "fmt/format.h"
#include "record/atomic_file.h"
#include "record/results_file.h"
#include "record/statistics.h"
#include "record/validate.h"
#include "wsbench/status_macros.h"

namespace wsbench::compare {

using record::BenchmarkRun;
using record::ResultsFile;
using record::RunType;

// The machine's unhindered speed is taken as this quantile of the probes:
// a noisy neighbour only ever makes the probe slower, and a low quantile
// rather than the minimum is immune to one lucky reading.
constexpr double kUnhinderedProbeQuantile = 0.10;

absl::Status CheckBaselineCandidate(const ResultsFile& run,
                                    const GateConfig& config) {
  auto refuse = [&](std::string why) {
    return absl::FailedPreconditionError(
        fmt::format("{}: refused as a baseline: {}", run.path, why));
  };
  if (run.info.kind != "results") {
    return refuse(fmt::format("it is a '{}' file, not a suite results file",
                              run.info.kind));
  }
  if (!run.info.complete) {
    return refuse(fmt::format(
        "the run is partial ({})", run.info.partial_reason.empty()
                                       ? "complete: false"
                                       : run.info.partial_reason));
  }
  if (run.runs.empty()) return refuse("it has no benchmarks");
  if (run.info.fingerprint.git_dirty) {
    return refuse(fmt::format(
        "it was measured on a tree with uncommitted changes (git_dirty), so "
        "its revision {} does not rebuild what was measured; commit first",
        run.info.fingerprint.git_revision));
  }
  if (run.info.repetitions < config.baseline_min_repetitions) {
    return refuse(fmt::format("{} repetitions; a baseline needs at least {} "
                              "(wsbench --repetitions {})",
                              run.info.repetitions,
                              config.baseline_min_repetitions,
                              config.baseline_min_repetitions));
  }
  std::map<std::string, int> iterations;
  for (const BenchmarkRun& r : run.runs) {
    if (r.failed()) {
      auto msg = r.strings.find("error_message");
      return refuse(fmt::format(
          "benchmark {} failed{}", r.name,
          msg == r.strings.end() ? "" : ": " + msg->second));
    }
    if (r.run_type == RunType::kIteration) ++iterations[r.run_name];
  }
  for (const std::string& name : run.BenchmarkNames()) {
    int n = iterations[name];
    if (n < config.baseline_min_repetitions) {
      return refuse(fmt::format("benchmark {} has {} repetitions; at least {} "
                                "needed",
                                name, n, config.baseline_min_repetitions));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ResultsFile> MergeInstructions(ResultsFile results,
                                              const ResultsFile& instructions) {
  if (instructions.info.kind != "instructions") {
    return absl::FailedPreconditionError(fmt::format(
        "{}: not an instructions file (context.wsbench.kind is '{}')",
        instructions.path, instructions.info.kind));
  }
  const auto& a = results.info.fingerprint;
  const auto& b = instructions.info.fingerprint;
  std::string differ;
  if (a.compiler != b.compiler) differ += " compiler";
  if (a.cxx_flags != b.cxx_flags) differ += " cxx_flags";
  if (a.build_type != b.build_type) differ += " build_type";
  // git_revision is not compared: wsbench reads it from the source tree at
  // run time, so a commit between the two runs of one binary would differ.
  if (!differ.empty()) {
    return absl::FailedPreconditionError(fmt::format(
        "{} and {} come from different builds (differ:{}); count instructions "
        "with the same wsbench binary that produced the results",
        results.path, instructions.path, differ));
  }
  // The counts' code path travels with them (code_path.h).
  auto& extra = results.info.extra_fields;
  extra.erase(std::remove_if(extra.begin(), extra.end(),
                             [](const auto& f) { return f.first == kCodePathField; }),
              extra.end());
  for (const auto& field : instructions.info.extra_fields) {
    if (field.first == kCodePathField) extra.push_back(field);
  }
  for (const std::string& name : instructions.BenchmarkNames()) {
    std::vector<double> values =
        instructions.RepetitionValues(name, "instructions_per_op");
    if (values.empty()) continue;
    double value = values.front();
    bool found = false;
    for (BenchmarkRun& run : results.runs) {
      if (run.run_name == name) {
        run.numbers["instructions_per_op"] = value;
        found = true;
      }
    }
    if (!found) {
      if (const BenchmarkRun* source = instructions.FirstIteration(name)) {
        results.runs.push_back(*source);
      }
    }
  }
  return results;
}

absl::StatusOr<ResultsFile> MergeRuns(const std::vector<ResultsFile>& runs) {
  if (runs.empty()) return absl::InvalidArgumentError("merge-runs: no runs given");
  const ResultsFile& first = runs.front();
  for (const ResultsFile& run : runs) {
    if (!run.info.complete) {
      return absl::FailedPreconditionError(
          fmt::format("{}: the run is partial; not merged", run.path));
    }
    const auto& a = first.info.fingerprint;
    const auto& b = run.info.fingerprint;
    if (!record::FingerprintMismatches(a, b).empty() ||
        a.git_revision != b.git_revision) {
      return absl::FailedPreconditionError(fmt::format(
          "{} and {} are not runs of the same build on the same machine",
          first.path, run.path));
    }
  }
  ResultsFile merged;
  merged.path = first.path;
  merged.info = first.info;
  merged.context_fields = first.context_fields;
  merged.degradation = first.degradation;
  merged.info.repetitions = 0;
  merged.info.wall_seconds = 0;
  std::map<std::string, int64_t> next_index;
  std::vector<std::string> order;
  for (const ResultsFile& run : runs) {
    merged.info.repetitions += run.info.repetitions;
    merged.info.wall_seconds += run.info.wall_seconds;
    merged.info.peak_rss_bytes = std::max(merged.info.peak_rss_bytes, run.info.peak_rss_bytes);
    for (const BenchmarkRun& r : run.runs) {
      if (r.run_type != RunType::kIteration) continue;
      if (!next_index.count(r.run_name)) order.push_back(r.run_name);
      BenchmarkRun copy = r;
      copy.repetition_index = next_index[r.run_name]++;
      merged.runs.push_back(std::move(copy));
    }
  }
  // Group iterations by benchmark (first-seen order), then add aggregates.
  std::vector<BenchmarkRun> grouped;
  for (const std::string& name : order) {
    std::vector<const BenchmarkRun*> reps;
    for (const BenchmarkRun& r : merged.runs) {
      if (r.run_name == name) {
        grouped.push_back(r);
        reps.push_back(&r);
      }
    }
    for (BenchmarkRun& g : grouped) {
      if (g.run_name == name) g.numbers["repetitions"] = static_cast<double>(reps.size());
    }
    std::set<std::string> keys;
    for (const BenchmarkRun* r : reps) {
      for (const auto& [k, v] : r->numbers) keys.insert(k);
    }
    for (const char* agg : record::kAggregateNames) {
      BenchmarkRun a;
      a.name = name + "_" + agg;
      a.run_name = name;
      a.run_type = RunType::kAggregate;
      a.aggregate_name = agg;
      a.dimension = reps.front()->dimension;
      a.level = reps.front()->level;
      for (const std::string& k : keys) {
        std::vector<double> v;
        for (const BenchmarkRun* r : reps) {
          if (auto x = r->Number(k)) v.push_back(*x);
        }
        if (v.empty()) continue;
        a.numbers[k] = record::Aggregate(agg, v);
      }
      a.numbers["repetitions"] = static_cast<double>(reps.size());
      grouped.push_back(std::move(a));
    }
  }
  merged.runs = std::move(grouped);
  merged.info.command_line =
      fmt::format("{} (pooled from {} runs)", first.info.command_line, runs.size());
  return merged;
}

absl::StatusOr<ResultsFile> KeepUnhinderedRepetitions(ResultsFile run,
                                                      const GateConfig& config) {
  if (config.max_probe_drift <= 0 || RepetitionProbes(run).empty()) return run;
  // The reference is per benchmark: the probe runs in the benchmark's
  // process right after its workload, and what that workload leaves in the
  // caches and the allocator moves the probe by up to 20% from one benchmark
  // to the next on an idle machine (AMD EPYC: 140-160 us after connections,
  // 173-190 us after compression). A neighbour only ever slows the probe,
  // so each benchmark's fast end is its unhindered speed.
  std::map<std::string, std::vector<double>> probes;
  for (const BenchmarkRun& r : run.runs) {
    if (r.run_type != RunType::kIteration || r.failed()) continue;
    if (auto p = r.Number("probe_ns"); p && *p > 0) probes[r.run_name].push_back(*p);
  }
  std::map<std::string, double> reference;
  for (auto& [name, values] : probes) {
    std::sort(values.begin(), values.end());
    reference[name] = values[static_cast<size_t>(
        kUnhinderedProbeQuantile * static_cast<double>(values.size() - 1))];
  }
  std::map<std::string, int> kept, total;
  ResultsFile steady = run;
  steady.runs.clear();
  for (const BenchmarkRun& r : run.runs) {
    if (r.run_type != RunType::kIteration) continue;  // aggregates are redone
    ++total[r.run_name];
    auto p = r.Number("probe_ns");
    auto ref = reference.find(r.run_name);
    if (p && ref != reference.end() &&
        std::abs(*p / ref->second - 1) > config.max_probe_drift) {
      continue;
    }
    ++kept[r.run_name];
    steady.runs.push_back(r);
  }
  for (const auto& [name, n] : total) {
    if (kept[name] < config.baseline_min_repetitions) {
      return absl::FailedPreconditionError(fmt::format(
          "{}: refused as a baseline: the machine's speed changed while it was measured: "
          "{} has {} of {} repetitions within {:.0f}% of its unhindered speed "
          "(probe {:.1f} us), at least {} needed; measure again on a quieter machine or "
          "with more runs (WSBENCH_GATE_RUNS=8 tools/gate --save-baseline NAME)",
          run.path, name, kept[name], n, config.max_probe_drift * 100,
          reference.count(name) ? reference[name] / 1e3 : 0.0,
          config.baseline_min_repetitions));
    }
  }
  // Renumber and recompute the aggregates over the repetitions kept.
  WSBENCH_ASSIGN_OR_RETURN(ResultsFile merged, MergeRuns({steady}));
  merged.info.command_line = run.info.command_line;
  return merged;
}

absl::Status SaveBaseline(const std::string& results_path,
                          const std::string& instructions_path,
                          const std::string& out_path,
                          const GateConfig& config) {
  WSBENCH_ASSIGN_OR_RETURN(ResultsFile run, record::ReadResultsFile(results_path));
  WSBENCH_RETURN_IF_ERROR(CheckBaselineCandidate(run, config));
  // Every repetition carries its machine-speed probe: without it the
  // speed check below would keep whatever was measured.
  WSBENCH_RETURN_IF_ERROR(
      record::CheckRun(run, {.allow_partial = false, .require_probe = true}));
  WSBENCH_ASSIGN_OR_RETURN(run, KeepUnhinderedRepetitions(std::move(run), config));
  if (!instructions_path.empty()) {
    WSBENCH_ASSIGN_OR_RETURN(ResultsFile instructions,
                             record::ReadResultsFile(instructions_path));
    WSBENCH_ASSIGN_OR_RETURN(run, MergeInstructions(std::move(run), instructions));
  }
  return record::WriteFileAtomically(out_path, record::WriteResultsJson(run));
}

}  // namespace wsbench::compare

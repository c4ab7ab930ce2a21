#include "baseline.h"

#include <map>

#include "fmt/format.h"
#include "wsbench/status_macros.h"

namespace wsbench::compare {

using results::BenchmarkRun;
using results::ResultsFile;
using results::RunType;

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
  if (a.git_revision != b.git_revision || a.git_dirty != b.git_dirty) {
    differ += " git_revision";
  }
  if (!differ.empty()) {
    return absl::FailedPreconditionError(fmt::format(
        "{} and {} come from different builds (differ:{}); count instructions "
        "with the same wsbench binary that produced the results",
        results.path, instructions.path, differ));
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

absl::Status SaveBaseline(const std::string& results_path,
                          const std::string& instructions_path,
                          const std::string& out_path,
                          const GateConfig& config) {
  WSBENCH_ASSIGN_OR_RETURN(ResultsFile run, results::ReadResultsFile(results_path));
  WSBENCH_RETURN_IF_ERROR(CheckBaselineCandidate(run, config));
  if (!instructions_path.empty()) {
    WSBENCH_ASSIGN_OR_RETURN(ResultsFile instructions,
                             results::ReadResultsFile(instructions_path));
    WSBENCH_ASSIGN_OR_RETURN(run, MergeInstructions(std::move(run), instructions));
  }
  return results::WriteFileAtomically(out_path, results::WriteResultsJson(run));
}

}  // namespace wsbench::compare

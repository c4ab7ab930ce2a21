// Tests for tools/compare: the gate's verdicts on fixtures (identical runs,
// a clear regression, an improvement, noise, missing/new benchmarks,
// mismatched fingerprints, deterministic metrics), the gate config parser,
// baselines (a partial run refused) and the renderers.
#include "compare.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include "baseline.h"
#include "gate_config.h"
#include "gtest/gtest.h"
#include "render.h"
#include "record/results_file.h"

namespace wsbench::compare {
namespace {

using record::ResultsFile;

std::string Fixture(const std::string& name) {
  return std::string(WSBENCH_TESTDATA_DIR) + "/../../tools/compare/testdata/" + name;
}

ResultsFile Load(const std::string& name) {
  absl::StatusOr<ResultsFile> file = record::ReadResultsFile(Fixture(name));
  EXPECT_TRUE(file.ok()) << file.status();
  return file.ok() ? *file : ResultsFile{};
}

GateConfig RepoConfig() {
  absl::StatusOr<GateConfig> config = ReadGateConfig(
      std::string(WSBENCH_TESTDATA_DIR) + "/../../tools/compare/gate.json");
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *config : DefaultGateConfig();
}

const MetricRow* Row(const Comparison& c, const std::string& benchmark,
                     const std::string& metric) {
  for (const MetricRow& row : c.rows) {
    if (row.benchmark == benchmark && row.metric == metric) return &row;
  }
  return nullptr;
}

int CountVerdict(const Comparison& c, Verdict v) {
  int n = 0;
  for (const MetricRow& row : c.rows) n += row.verdict == v;
  return n;
}

TEST(CompareTest, IdenticalRunsPass) {
  Comparison c = Compare(Load("base.json"), Load("identical.json"), RepoConfig());
  EXPECT_EQ(ExitCode(c), 0);
  EXPECT_EQ(c.regressions, 0);
  EXPECT_EQ(c.improvements, 0);
  EXPECT_EQ(c.compared_benchmarks, 4);
  EXPECT_EQ(CountVerdict(c, Verdict::kUnchanged), static_cast<int>(c.rows.size()));
  const MetricRow* row = Row(c, "broadcast/medium", "ops_per_second");
  ASSERT_NE(row, nullptr);
  EXPECT_DOUBLE_EQ(row->change_pct, 0);
  EXPECT_DOUBLE_EQ(row->p_value, 1.0);
}

TEST(CompareTest, ClearRegressionFails) {
  Comparison c = Compare(Load("base.json"), Load("regression.json"), RepoConfig());
  EXPECT_EQ(ExitCode(c), 1);
  const MetricRow* thr = Row(c, "broadcast/medium", "ops_per_second");
  ASSERT_NE(thr, nullptr);
  EXPECT_EQ(thr->verdict, Verdict::kRegressed);
  EXPECT_TRUE(thr->gated);
  EXPECT_NEAR(thr->change_pct, -25, 3);
  EXPECT_LT(thr->p_value, 0.01);
  EXPECT_LT(thr->ci_hi_pct, -12);  // whole interval beyond the threshold
  EXPECT_EQ(Row(c, "broadcast/medium", "p95_us")->verdict, Verdict::kRegressed);
  // The untouched benchmarks stay unchanged.
  EXPECT_EQ(Row(c, "messages/medium", "ops_per_second")->verdict, Verdict::kUnchanged);
  EXPECT_EQ(Row(c, "compression/low", "p95_us")->verdict, Verdict::kUnchanged);
}

TEST(CompareTest, ImprovementPasses) {
  Comparison c = Compare(Load("base.json"), Load("improvement.json"), RepoConfig());
  EXPECT_EQ(ExitCode(c), 0);
  EXPECT_EQ(Row(c, "messages/medium", "ops_per_second")->verdict, Verdict::kImproved);
  EXPECT_EQ(Row(c, "messages/medium", "p50_us")->verdict, Verdict::kImproved);
  EXPECT_GE(c.improvements, 2);
}

TEST(CompareTest, NoisyButUnchangedPasses) {
  // +-8% per repetition and a 5% drift: significant perhaps, but the effect
  // is inside the noise floor, so nothing regresses.
  Comparison c = Compare(Load("base.json"), Load("noisy.json"), RepoConfig());
  EXPECT_EQ(ExitCode(c), 0);
  EXPECT_EQ(CountVerdict(c, Verdict::kRegressed), 0);
}

TEST(CompareTest, SignificanceAloneIsNotEnough) {
  // With a zero threshold the same noisy drift is a "regression" somewhere:
  // the noise floor is what keeps the gate quiet.
  GateConfig config = RepoConfig();
  for (MetricSpec& m : config.metrics) m.threshold_pct = 0;
  Comparison c = Compare(Load("base.json"), Load("noisy.json"), config);
  EXPECT_GT(c.regressions, 0);
}

TEST(CompareTest, ShortLevelsAreShownButNotGated) {
  Comparison c = Compare(Load("base.json"), Load("noisy_minimal.json"), RepoConfig());
  EXPECT_EQ(ExitCode(c), 0);
  const MetricRow* row = Row(c, "permissions/minimal", "ops_per_second");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->verdict, Verdict::kRegressed);
  EXPECT_FALSE(row->gated);
  EXPECT_NE(row->note.find("minimal"), std::string::npos);
  // With every level gated, the pass-length floor still applies (1,000 ops
  // at 40M ops/s is 25 us < 1 ms).
  GateConfig config = RepoConfig();
  config.time_levels.clear();
  Comparison d = Compare(Load("base.json"), Load("noisy_minimal.json"), config);
  EXPECT_EQ(ExitCode(d), 0);
  EXPECT_NE(Row(d, "permissions/minimal", "ops_per_second")->note.find("ms"),
            std::string::npos);
  config.min_pass_ms = 0;
  Comparison e = Compare(Load("base.json"), Load("noisy_minimal.json"), config);
  EXPECT_EQ(ExitCode(e), 1);
}

TEST(CompareTest, MissingAndNewBenchmarks) {
  Comparison c = Compare(Load("base.json"), Load("missing_new.json"), RepoConfig());
  EXPECT_EQ(ExitCode(c), 0);
  const MetricRow* missing = Row(c, "compression/low", "-");
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(missing->verdict, Verdict::kMissing);
  const MetricRow* added = Row(c, "subscriptions/medium", "-");
  ASSERT_NE(added, nullptr);
  EXPECT_EQ(added->verdict, Verdict::kNew);
  EXPECT_EQ(c.compared_benchmarks, 3);
  GateConfig strict = RepoConfig();
  strict.fail_on_missing = true;
  EXPECT_EQ(ExitCode(Compare(Load("base.json"), Load("missing_new.json"), strict)), 1);
}

TEST(CompareTest, MismatchedFingerprintsGateOnlyDeterministicMetrics) {
  Comparison c = Compare(Load("base.json"), Load("fingerprint.json"), RepoConfig());
  EXPECT_EQ(c.fingerprint_mismatches,
            (std::vector<std::string>{"cpu_model", "cores"}));
  ASSERT_FALSE(c.notes.empty());
  EXPECT_NE(c.notes[0].find("fingerprints differ"), std::string::npos);
  const MetricRow* thr = Row(c, "broadcast/medium", "ops_per_second");
  EXPECT_EQ(thr->verdict, Verdict::kRegressed);  // -40%, shown ...
  EXPECT_FALSE(thr->gated);                      // ... but not gated
  const MetricRow* allocs = Row(c, "messages/medium", "allocs_per_op");
  EXPECT_EQ(allocs->verdict, Verdict::kRegressed);  // 0 -> 1: still gated
  EXPECT_TRUE(allocs->gated);
  EXPECT_EQ(c.regressions, 1);
  EXPECT_EQ(ExitCode(c), 1);
}

TEST(CompareTest, BusyMachineGatesOnlyDeterministicMetrics) {
  ResultsFile busy = Load("busy.json");
  EXPECT_NEAR(Contention(busy), 4.0, 1e-9);
  EXPECT_NEAR(Contention(Load("base.json")), 1.0, 1e-9);
  Comparison c = Compare(Load("base.json"), busy, RepoConfig());
  EXPECT_TRUE(c.busy);
  const MetricRow* thr = Row(c, "broadcast/medium", "ops_per_second");
  EXPECT_EQ(thr->verdict, Verdict::kRegressed);
  EXPECT_FALSE(thr->gated);
  EXPECT_NE(thr->note.find("busy"), std::string::npos);
  EXPECT_TRUE(Row(c, "messages/medium", "allocs_per_op")->gated);
  EXPECT_EQ(c.regressions, 1);  // the allocation rise only
  bool noted = false;
  for (const std::string& note : c.notes) noted |= note.find("machine busy") != std::string::npos;
  EXPECT_TRUE(noted);
  GateConfig unchecked = RepoConfig();
  unchecked.max_contention = 0;
  EXPECT_GT(Compare(Load("base.json"), busy, unchecked).regressions, 1);
}

ResultsFile WithAllocs(const std::vector<double>& allocs) {
  ResultsFile file;
  file.path = "mem.json";
  file.info.complete = true;
  for (size_t i = 0; i < allocs.size(); ++i) {
    record::BenchmarkRun run;
    run.name = run.run_name = "subscriptions/light";
    run.repetition_index = static_cast<int64_t>(i);
    run.numbers["allocs_per_op"] = allocs[i];
    file.runs.push_back(run);
  }
  return file;
}

// A run of one gated benchmark (permissions/medium, 100,000 ops per pass)
// whose repetitions carry throughput and the machine probe around each.
ResultsFile WithProbes(const std::vector<double>& ops_per_second,
                       const std::vector<double>& probe_us) {
  ResultsFile file;
  file.path = "probe.json";
  file.info.complete = true;
  file.info.repetitions = static_cast<int>(ops_per_second.size());
  for (size_t i = 0; i < ops_per_second.size(); ++i) {
    record::BenchmarkRun run;
    run.name = run.run_name = "permissions/medium";
    run.level = "medium";
    run.repetition_index = static_cast<int64_t>(i);
    run.numbers["ops"] = 100'000;
    run.numbers["ops_per_second"] = ops_per_second[i];
    if (i < probe_us.size()) run.numbers["probe_ns"] = probe_us[i] * 1e3;
    file.runs.push_back(run);
  }
  return file;
}

const std::vector<double> kQuietRates = {34.2e6, 34.7e6, 34.3e6, 33.4e6, 34.7e6,
                                         34.4e6, 34.1e6, 33.9e6, 34.5e6};
const std::vector<double> kQuietProbes = {274, 275, 278, 275, 274, 278, 276, 273, 277};

TEST(CompareTest, RepetitionsOffTheBaselineMachineSpeedAreLeftOut) {
  // Measured here: a noisy neighbour took 6 of 9 repetitions (two of three
  // processes) down to 22M checks/s, and the probe from 275 us to 360-430 us.
  const ResultsFile base = WithProbes(kQuietRates, kQuietProbes);
  const ResultsFile noisy =
      WithProbes({22.0e6, 22.8e6, 22.7e6, 34.0e6, 34.6e6, 34.2e6, 23.4e6, 31.5e6, 23.9e6},
                 {430, 429, 431, 276, 274, 278, 356, 383, 361});
  GateConfig config = RepoConfig();
  ASSERT_GT(config.max_probe_drift, 0);
  Comparison c = Compare(base, noisy, config);
  const MetricRow* thr = Row(c, "permissions/medium", "ops_per_second");
  ASSERT_NE(thr, nullptr);
  EXPECT_TRUE(thr->gated) << thr->note;
  EXPECT_EQ(thr->next_n, 3);
  EXPECT_EQ(thr->verdict, Verdict::kUnchanged);
  EXPECT_EQ(c.probe_dropped_next, 6);
  EXPECT_EQ(c.probe_total_next, 9);
  EXPECT_EQ(c.probe_dropped_base, 0);
  EXPECT_EQ(c.regressions, 0);
  bool noted = false;
  for (const std::string& note : c.notes) noted |= note.find("machine probe") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(CompareTest, PercentilesBelowTheResolutionAreNotGated) {
  ResultsFile base = WithProbes(kQuietRates, kQuietProbes);
  ResultsFile next = base;
  for (size_t i = 0; i < base.runs.size(); ++i) {
    base.runs[i].numbers["p50_us"] = 0.030;
    base.runs[i].bools["p50_below_resolution"] = false;
    // The new run's P50 is below the resolution in 5 of 9 repetitions (null
    // in the file, so no number), resolved and higher in the others.
    if (i < 5) {
      next.runs[i].bools["p50_below_resolution"] = true;
    } else {
      next.runs[i].numbers["p50_us"] = 0.060;
      next.runs[i].bools["p50_below_resolution"] = false;
    }
  }
  Comparison c = Compare(base, next, RepoConfig());
  const MetricRow* row = Row(c, "permissions/medium", "p50_us");
  ASSERT_NE(row, nullptr);
  EXPECT_FALSE(row->gated);
  EXPECT_TRUE(std::isnan(row->next));
  EXPECT_NE(row->note.find(
                "below the timer's resolution in 0 of 9 base and 5 of 9 new"),
            std::string::npos)
      << row->note;
  EXPECT_EQ(c.regressions, 0);
  // Below the resolution on both sides: still a row, not silently dropped.
  for (record::BenchmarkRun& run : base.runs) {
    run.numbers.erase("p50_us");
    run.bools["p50_below_resolution"] = true;
  }
  for (record::BenchmarkRun& run : next.runs) {
    run.numbers.erase("p50_us");
    run.bools["p50_below_resolution"] = true;
  }
  c = Compare(base, next, RepoConfig());
  row = Row(c, "permissions/medium", "p50_us");
  ASSERT_NE(row, nullptr);
  EXPECT_FALSE(row->gated);
}

TEST(CompareTest, PercentilesOfDifferentSamplingRulesAreNotGated) {
  // The base predates latency_rule: batch means of 3 or 4 ops (the batch
  // size flipped between repetitions); the new run times single ops with
  // a P95 twice as high. Not the same figure, so not a regression.
  ResultsFile base = WithProbes(kQuietRates, kQuietProbes);
  ResultsFile next = base;
  for (size_t i = 0; i < base.runs.size(); ++i) {
    base.runs[i].numbers["p95_us"] = 0.05;
    base.runs[i].numbers["latency_batch"] = i % 2 == 0 ? 3 : 4;
    next.runs[i].numbers["p95_us"] = 0.10;
    next.runs[i].strings["latency_rule"] = "single_op";
  }
  Comparison c = Compare(base, next, RepoConfig());
  const MetricRow* row = Row(c, "permissions/medium", "p95_us");
  ASSERT_NE(row, nullptr);
  EXPECT_FALSE(row->gated);
  EXPECT_NE(row->note.find(
                "latency rule differs (base batch_mean:k=3 | batch_mean:k=4, "
                "new single_op)"),
            std::string::npos)
      << row->note;
  EXPECT_EQ(c.regressions, 0);
  // Throughput is the same figure either way and still gated.
  EXPECT_TRUE(Row(c, "permissions/medium", "ops_per_second")->gated);

  // A base of single ops (latency_batch 1) is the new rule's figure: gated.
  for (record::BenchmarkRun& run : base.runs) run.numbers["latency_batch"] = 1;
  c = Compare(base, next, RepoConfig());
  row = Row(c, "permissions/medium", "p95_us");
  ASSERT_NE(row, nullptr);
  EXPECT_TRUE(row->gated) << row->note;
  EXPECT_EQ(row->verdict, Verdict::kRegressed);

  // Broadcast's publish-only P95 is not the old publish-plus-drain one.
  for (record::BenchmarkRun& run : next.runs) {
    run.strings["latency_rule"] = "single_op:publish";
  }
  c = Compare(base, next, RepoConfig());
  EXPECT_FALSE(Row(c, "permissions/medium", "p95_us")->gated);
}

TEST(CompareTest, AllRepetitionsOffSpeedShowTimeButDoNotGateIt) {
  const ResultsFile base = WithProbes(kQuietRates, kQuietProbes);
  const ResultsFile slow_machine =
      WithProbes({22.0e6, 22.8e6, 22.7e6, 22.6e6, 19.7e6, 22.3e6, 23.4e6, 22.5e6, 23.9e6},
                 {430, 429, 431, 380, 371, 390, 356, 383, 361});
  Comparison c = Compare(base, slow_machine, RepoConfig());
  const MetricRow* thr = Row(c, "permissions/medium", "ops_per_second");
  ASSERT_NE(thr, nullptr);
  EXPECT_FALSE(thr->gated);
  EXPECT_EQ(thr->verdict, Verdict::kRegressed);  // shown, with its verdict
  EXPECT_NE(thr->note.find("machine speed"), std::string::npos) << thr->note;
  EXPECT_EQ(c.regressions, 0);

  // Without the probe check this is the false alarm seen here (unchanged
  // code, every process on a slowed core).
  GateConfig unchecked = RepoConfig();
  unchecked.max_probe_drift = 0;
  EXPECT_EQ(Compare(base, slow_machine, unchecked).regressions, 1);
}

TEST(CompareTest, RealSlowdownAtTheBaselineMachineSpeedStillFails) {
  // The deliberate 25% slowdown, measured at the baseline's machine speed.
  const ResultsFile base = WithProbes(kQuietRates, kQuietProbes);
  const ResultsFile slowed =
      WithProbes({28.0e6, 28.6e6, 28.6e6, 28.7e6, 29.1e6, 28.7e6, 28.2e6, 28.4e6, 28.5e6},
                 {276, 275, 279, 274, 276, 277, 275, 274, 278});
  Comparison c = Compare(base, slowed, RepoConfig());
  const MetricRow* thr = Row(c, "permissions/medium", "ops_per_second");
  ASSERT_NE(thr, nullptr);
  EXPECT_TRUE(thr->gated);
  EXPECT_EQ(thr->verdict, Verdict::kRegressed);
  EXPECT_EQ(c.regressions, 1);
  EXPECT_EQ(c.probe_dropped_next, 0);
}

TEST(CompareTest, RunsWithoutProbesAreJudgedOnEveryRepetition) {
  // Baselines recorded before the probe existed keep working.
  const ResultsFile base = WithProbes(kQuietRates, {});
  const ResultsFile noisy = WithProbes(
      {22.0e6, 22.8e6, 22.7e6, 34.0e6, 34.6e6, 34.2e6, 23.4e6, 31.5e6, 23.9e6}, {});
  Comparison c = Compare(base, noisy, RepoConfig());
  EXPECT_EQ(Row(c, "permissions/medium", "ops_per_second")->next_n, 9);
  EXPECT_EQ(c.probe_dropped_next, 0);
}

TEST(CompareTest, AllocationsCompareTheSteadyState) {
  // A process's first repetition also counts first-touch growth; the gate
  // compares the minimum, so 3 vs 5 repetitions per process is no change ...
  ResultsFile base = WithAllocs({0.12, 0.02, 0.0113, 0.12, 0.02, 0.0113});
  ResultsFile next = WithAllocs({0.12, 0.02, 0.0113, 0.0113, 0.0113});
  Comparison c = Compare(base, next, RepoConfig());
  const MetricRow* row = Row(c, "subscriptions/light", "allocs_per_op");
  ASSERT_NE(row, nullptr);
  EXPECT_DOUBLE_EQ(row->base, 0.0113);
  EXPECT_EQ(row->verdict, Verdict::kUnchanged);
  // ... while one more allocation per op in the steady state fails.
  Comparison d = Compare(base, WithAllocs({1.12, 1.02, 1.0113}), RepoConfig());
  EXPECT_EQ(Row(d, "subscriptions/light", "allocs_per_op")->verdict, Verdict::kRegressed);
  EXPECT_EQ(ExitCode(d), 1);
}

TEST(CompareTest, AllocationsGatedExactly) {
  Comparison c = Compare(Load("base.json"), Load("allocs_regression.json"), RepoConfig());
  EXPECT_EQ(ExitCode(c), 1);
  const MetricRow* row = Row(c, "messages/medium", "allocs_per_op");
  EXPECT_EQ(row->verdict, Verdict::kRegressed);
  EXPECT_EQ(row->p_value, -1);
}

TEST(CompareTest, InstructionsFivePercentRiseFailsHalfPercentPasses) {
  ResultsFile base = Load("base.json");
  auto base_merged = MergeInstructions(base, Load("instructions_base.json"));
  ASSERT_TRUE(base_merged.ok()) << base_merged.status();
  // Instruction files for the new run carry its own revision: merge each
  // into a results file of the same build.
  ResultsFile next = Load("identical.json");
  auto plus5 = MergeInstructions(next, Load("instructions_plus5.json"));
  ASSERT_TRUE(plus5.ok()) << plus5.status();
  Comparison c = Compare(*base_merged, *plus5, RepoConfig());
  const MetricRow* row = Row(c, "messages/medium", "instructions_per_op");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->verdict, Verdict::kRegressed);
  EXPECT_NEAR(row->change_pct, 5, 1e-9);
  EXPECT_EQ(ExitCode(c), 1);
  auto plus05 = MergeInstructions(next, Load("instructions_plus05.json"));
  ASSERT_TRUE(plus05.ok());
  Comparison d = Compare(*base_merged, *plus05, RepoConfig());
  EXPECT_EQ(Row(d, "messages/medium", "instructions_per_op")->verdict,
            Verdict::kUnchanged);
  EXPECT_EQ(ExitCode(d), 0);
  // Instruction counts from another build configuration are refused.
  ResultsFile other_flags = Load("instructions_plus5.json");
  other_flags.info.fingerprint.cxx_flags = "-O0";
  EXPECT_FALSE(MergeInstructions(base, other_flags).ok());
  // A results file is not an instructions file.
  EXPECT_FALSE(MergeInstructions(base, Load("identical.json")).ok());
}

// A baseline recorded on an Intel Xeon and a run on an AMD EPYC: callgrind
// ran both on the same virtual CPU with the same dispatch (same code path),
// so instructions/op are gated; time is not (fingerprints differ).
ResultsFile AmdRun(const std::string& counts) {
  auto next = MergeInstructions(Load("amd_run.json"), Load(counts));
  EXPECT_TRUE(next.ok()) << next.status();
  return next.ok() ? *next : ResultsFile{};
}

TEST(CompareTest, InstructionsGatedAcrossCpuModelsOnTheSameCodePath) {
  const ResultsFile base = Load("baseline_intel.json");
  Comparison c = Compare(base, AmdRun("instructions_amd_plus5.json"), RepoConfig());
  ASSERT_FALSE(c.fingerprint_mismatches.empty());
  EXPECT_TRUE(c.code_path_differences.empty());
  const MetricRow* row = Row(c, "messages/medium", "instructions_per_op");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->verdict, Verdict::kRegressed);
  EXPECT_TRUE(row->gated);
  EXPECT_NE(row->note.find("same code path"), std::string::npos) << row->note;
  const MetricRow* time = Row(c, "messages/medium", "ops_per_second");
  ASSERT_NE(time, nullptr);
  EXPECT_FALSE(time->gated);
  EXPECT_EQ(ExitCode(c), 1);

  Comparison same = Compare(base, AmdRun("instructions_amd.json"), RepoConfig());
  const MetricRow* unchanged = Row(same, "messages/medium", "instructions_per_op");
  ASSERT_NE(unchanged, nullptr);
  EXPECT_EQ(unchanged->verdict, Verdict::kUnchanged);
  EXPECT_TRUE(unchanged->gated);
  EXPECT_EQ(ExitCode(same), 0);
}

TEST(CompareTest, InstructionsNotGatedWhenADispatchDiffersAndTheRowNamesIt) {
  Comparison c = Compare(Load("baseline_intel.json"),
                         AmdRun("instructions_amd_icelake.json"), RepoConfig());
  ASSERT_EQ(c.code_path_differences.size(), 1u);
  EXPECT_EQ(c.code_path_differences[0], "simdjson: haswell -> icelake");
  const MetricRow* row = Row(c, "messages/medium", "instructions_per_op");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->verdict, Verdict::kRegressed);
  EXPECT_FALSE(row->gated);
  EXPECT_NE(row->note.find("simdjson: haswell -> icelake"), std::string::npos)
      << row->note;
  // Allocations are still gated, so the run compared something.
  EXPECT_TRUE(c.no_comparison.empty());
  EXPECT_EQ(ExitCode(c), 0);
  EXPECT_NE(RenderJson(c).find("\"instructions_gated\": false"), std::string::npos);
}

TEST(CompareTest, BaselineWithoutCodePathGatesOnTheBuildIdentity) {
  // Baselines from before the code path was recorded: the same compiler and
  // flags stand in for it, whatever the CPU model.
  auto base = MergeInstructions(Load("base.json"), Load("instructions_base.json"));
  ASSERT_TRUE(base.ok()) << base.status();
  auto next = MergeInstructions(Load("identical.json"), Load("instructions_plus5.json"));
  ASSERT_TRUE(next.ok()) << next.status();
  next->info.fingerprint.cpu_model = "Some Other CPU @ 3.00GHz";
  Comparison c = Compare(*base, *next, RepoConfig());
  const MetricRow* row = Row(c, "messages/medium", "instructions_per_op");
  ASSERT_NE(row, nullptr);
  EXPECT_TRUE(row->gated);
  EXPECT_NE(row->note.find("no code path"), std::string::npos) << row->note;
  EXPECT_EQ(ExitCode(c), 1);
  next->info.fingerprint.cxx_flags = "-O3";
  Comparison flags = Compare(*base, *next, RepoConfig());
  row = Row(flags, "messages/medium", "instructions_per_op");
  ASSERT_NE(row, nullptr);
  EXPECT_FALSE(row->gated);
  EXPECT_NE(row->note.find("cxx_flags"), std::string::npos) << row->note;
}

TEST(CompareTest, PlainGoogleBenchmarkFilesCompareRealAndCpuTime) {
  const ResultsFile base = Load("gbench_base.json");
  EXPECT_EQ(base.info.kind, record::kGoogleBenchmarkKind);
  Comparison c = Compare(base, Load("gbench_slower.json"), RepoConfig());
  const MetricRow* real = Row(c, "BM_Parse/4096", "real_time");
  ASSERT_NE(real, nullptr);
  EXPECT_EQ(real->verdict, Verdict::kRegressed);
  EXPECT_TRUE(real->gated);
  EXPECT_NEAR(real->base, 80e3, 2e3);  // microseconds in the file, ns here
  const MetricRow* small = Row(c, "BM_Parse/64", "cpu_time");
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(small->verdict, Verdict::kUnchanged);
  EXPECT_TRUE(small->gated);
  EXPECT_EQ(ExitCode(c), 1);
  EXPECT_EQ(ExitCode(Compare(base, Load("gbench_same.json"), RepoConfig())), 0);
  // One repetition each: nothing can be gated, which is not a pass.
  Comparison single = Compare(base, Load("gbench_single.json"), RepoConfig());
  EXPECT_EQ(ExitCode(single), 2);
  EXPECT_NE(single.no_comparison.find("fewer than 3 repetitions"), std::string::npos)
      << single.no_comparison;
}

TEST(CompareTest, NothingMatchedIsNoComparisonNotAPass) {
  Comparison c = Compare(Load("base.json"), Load("unrelated.json"), RepoConfig());
  EXPECT_EQ(c.compared_benchmarks, 0);
  EXPECT_NE(c.no_comparison.find("no benchmark"), std::string::npos) << c.no_comparison;
  EXPECT_EQ(ExitCode(c), 2);
  EXPECT_NE(RenderMarkdown(c).find("NO COMPARISON"), std::string::npos);
  EXPECT_EQ(RenderMarkdown(c).find("PASS"), std::string::npos);
}

TEST(CompareTest, NoGatedMetricIsNoComparison) {
  // Another machine and no exact metric in common: nothing can be gated.
  ResultsFile base = Load("base.json");
  ResultsFile next = Load("fingerprint.json");
  for (ResultsFile* f : {&base, &next}) {
    for (auto& run : f->runs) run.numbers.erase("allocs_per_op");
  }
  Comparison c = Compare(base, next, RepoConfig());
  EXPECT_GT(c.compared_benchmarks, 0);
  EXPECT_NE(c.no_comparison.find("no metric could be gated"), std::string::npos)
      << c.no_comparison;
  EXPECT_EQ(ExitCode(c), 2);
}

TEST(CompareTest, DeterministicAcrossCalls) {
  GateConfig config = RepoConfig();
  std::string a = RenderJson(Compare(Load("base.json"), Load("noisy.json"), config));
  std::string b = RenderJson(Compare(Load("base.json"), Load("noisy.json"), config));
  EXPECT_EQ(a, b);
}

TEST(CompareAbTest, PairedSlowdownDetected) {
  // Six A/B pairs: B is the 25% slower regression fixture.
  ResultsFile a = Load("base.json");
  ResultsFile b = Load("regression.json");
  ResultsFile a2 = Load("identical.json");
  std::vector<std::pair<const ResultsFile*, const ResultsFile*>> pairs;
  for (int i = 0; i < 3; ++i) {
    pairs.emplace_back(&a, &b);
    pairs.emplace_back(&a2, &b);
  }
  Comparison c = CompareAb(pairs, RepoConfig());
  EXPECT_EQ(c.mode, "ab");
  const MetricRow* row = Row(c, "broadcast/medium", "ops_per_second");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->verdict, Verdict::kRegressed);
  EXPECT_LT(row->p_value, 0.05);
  EXPECT_EQ(ExitCode(c), 1);
  EXPECT_EQ(Row(c, "messages/medium", "ops_per_second")->verdict, Verdict::kUnchanged);
  // Identical builds: nothing.
  std::vector<std::pair<const ResultsFile*, const ResultsFile*>> same(6, {&a, &a2});
  EXPECT_EQ(ExitCode(CompareAb(same, RepoConfig())), 0);
}

TEST(GateConfigTest, RepoConfigParses) {
  GateConfig c = RepoConfig();
  EXPECT_DOUBLE_EQ(c.alpha, 0.05);
  EXPECT_EQ(c.baseline_min_repetitions, 5);
  EXPECT_EQ(c.time_levels, (std::vector<std::string>{"low", "medium"}));
  ASSERT_EQ(c.metrics.size(), 6u);
  EXPECT_EQ(c.metrics[0].key, "ops_per_second");
  EXPECT_TRUE(c.metrics[0].higher_is_better);
  EXPECT_EQ(c.metrics[5].kind, MetricKind::kDeterministic);
  EXPECT_TRUE(c.metrics[4].use_min);  // allocs/op: the steady state
  EXPECT_FALSE(ParseGateConfig(R"({"metrics": [{"key": "x", "statistic": "mode"}]})",
                               "g.json").ok());
}

TEST(GateConfigTest, RejectsTyposAndBadValues) {
  EXPECT_TRUE(ParseGateConfig("{}", "empty.json").ok());
  auto typo = ParseGateConfig(R"({"alpah": 0.05})", "g.json");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("g.json: alpah: unknown key"),
            absl::string_view::npos)
      << typo.status();
  EXPECT_FALSE(ParseGateConfig(R"({"alpha": 2})", "g.json").ok());
  EXPECT_FALSE(ParseGateConfig(R"({"metrics": []})", "g.json").ok());
  EXPECT_FALSE(ParseGateConfig(R"({"metrics": [{"label": "x"}]})", "g.json").ok());
  EXPECT_FALSE(ParseGateConfig(R"({"metrics": [{"key": "x", "better": "up"}]})",
                               "g.json").ok());
  EXPECT_FALSE(ParseGateConfig("{", "g.json").ok());
  auto ok = ParseGateConfig(
      R"({"_c": "comment", "metrics": [{"key": "x", "threshold_pct": 8}]})", "g.json");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_DOUBLE_EQ(ok->metrics[0].ab_threshold_pct, 4);  // half by default
}

TEST(BaselineTest, RefusesPartialAndShortRuns) {
  GateConfig config = RepoConfig();
  EXPECT_TRUE(CheckBaselineCandidate(Load("base.json"), config).ok());
  absl::Status partial = CheckBaselineCandidate(Load("partial.json"), config);
  ASSERT_FALSE(partial.ok());
  EXPECT_NE(partial.message().find("partial"), absl::string_view::npos);
  EXPECT_NE(partial.message().find("SIGINT"), absl::string_view::npos);
  absl::Status few = CheckBaselineCandidate(Load("few_reps.json"), config);
  ASSERT_FALSE(few.ok());
  EXPECT_NE(few.message().find("repetitions"), absl::string_view::npos);
  EXPECT_FALSE(CheckBaselineCandidate(Load("instructions_base.json"), config).ok());
}

TEST(BaselineTest, KeepsOnlyRepetitionsAtTheUnhinderedMachineSpeed) {
  GateConfig config = RepoConfig();
  absl::StatusOr<ResultsFile> quiet =
      KeepUnhinderedRepetitions(WithProbes(kQuietRates, kQuietProbes), config);
  ASSERT_TRUE(quiet.ok()) << quiet.status();
  EXPECT_EQ(quiet->RepetitionValues("permissions/medium", "ops_per_second").size(), 9u);

  // Three repetitions on a slowed core: left out, the aggregates redone.
  absl::StatusOr<ResultsFile> mixed = KeepUnhinderedRepetitions(
      WithProbes({34.2e6, 34.7e6, 34.3e6, 22.4e6, 22.0e6, 21.9e6, 34.1e6, 33.9e6, 34.5e6},
                 {274, 275, 278, 380, 374, 390, 276, 273, 277}),
      config);
  ASSERT_TRUE(mixed.ok()) << mixed.status();
  std::vector<double> kept = mixed->RepetitionValues("permissions/medium", "ops_per_second");
  ASSERT_EQ(kept.size(), 6u);
  for (double v : kept) EXPECT_GT(v, 30e6);
  const record::BenchmarkRun* median = mixed->Aggregate("permissions/medium", "median");
  ASSERT_NE(median, nullptr);
  EXPECT_NEAR(*median->Number("ops_per_second"), 34.25e6, 1);

  // Mostly slowed (the median probe is the slow one): the fast 10th
  // percentile is the reference, and too few repetitions remain.
  absl::Status s =
      KeepUnhinderedRepetitions(WithProbes(kQuietRates, {274, 275, 380, 381, 374, 390, 386,
                                                         373, 377}),
                                config)
          .status();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("speed changed"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("2 of 9"), absl::string_view::npos) << s;
}

// `file` with every run renamed to `name` (another benchmark of the same
// level), so two benchmarks can be pooled into one file.
ResultsFile Renamed(ResultsFile file, const std::string& name) {
  for (record::BenchmarkRun& run : file.runs) run.name = run.run_name = name;
  return file;
}

// Two benchmarks of one quiet run: the probe after the second reads 18%
// slower than after the first (measured on an idle AMD EPYC: 140-160 us
// after connections, 173-190 us after compression, same process).
ResultsFile TwoBenchmarksQuiet() {
  ResultsFile file = WithProbes(kQuietRates, {146, 145, 148, 147, 145, 149, 146, 144, 147});
  ResultsFile other = Renamed(
      WithProbes(kQuietRates, {174, 175, 178, 175, 174, 178, 176, 173, 177}),
      "connections/medium");
  for (record::BenchmarkRun& run : other.runs) file.runs.push_back(run);
  return file;
}

TEST(BaselineTest, TheUnhinderedSpeedIsEachBenchmarksOwn) {
  // One run-wide reference (146 us) left every repetition of the second
  // benchmark out and refused the idle machine's run.
  absl::StatusOr<ResultsFile> quiet =
      KeepUnhinderedRepetitions(TwoBenchmarksQuiet(), RepoConfig());
  ASSERT_TRUE(quiet.ok()) << quiet.status();
  EXPECT_EQ(quiet->RepetitionValues("permissions/medium", "ops_per_second").size(), 9u);
  EXPECT_EQ(quiet->RepetitionValues("connections/medium", "ops_per_second").size(), 9u);
}

TEST(CompareTest, TimeRepetitionsAreCheckedAgainstTheSameBenchmarksProbe) {
  const ResultsFile base = TwoBenchmarksQuiet();
  Comparison same = Compare(base, TwoBenchmarksQuiet(), RepoConfig());
  EXPECT_EQ(same.probe_dropped_base, 0);
  EXPECT_EQ(same.probe_dropped_next, 0);
  const MetricRow* thr = Row(same, "connections/medium", "ops_per_second");
  ASSERT_NE(thr, nullptr);
  EXPECT_TRUE(thr->gated) << thr->note;
  EXPECT_EQ(thr->next_n, 9);

  // A neighbour slowing the second benchmark's probe by 30% still counts.
  ResultsFile slowed = TwoBenchmarksQuiet();
  int changed = 0;
  for (record::BenchmarkRun& run : slowed.runs) {
    if (run.run_name == "connections/medium" && run.repetition_index < 6) {
      run.numbers["probe_ns"] *= 1.3;
      ++changed;
    }
  }
  ASSERT_EQ(changed, 6);
  Comparison c = Compare(base, slowed, RepoConfig());
  EXPECT_EQ(c.probe_dropped_next, 6);
}

TEST(BaselineTest, SaveBaselineWritesAtomicallyAndRefusesPartial) {
  GateConfig config = RepoConfig();
  std::string out = ::testing::TempDir() + "/baseline_" + std::to_string(::getpid()) + ".json";
  std::remove(out.c_str());
  absl::Status refused = SaveBaseline(Fixture("partial.json"), "", out, config);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(access(out.c_str(), F_OK), 0) << "a refused baseline must not be written";
  ASSERT_TRUE(SaveBaseline(Fixture("base.json"), Fixture("instructions_base.json"), out,
                           config).ok());
  absl::StatusOr<ResultsFile> saved = record::ReadResultsFile(out);
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_TRUE(saved->info.complete);
  EXPECT_EQ(saved->RepetitionValues("messages/medium", "instructions_per_op").size(), 5u);
  // Comparing a run against its own baseline passes.
  EXPECT_EQ(ExitCode(Compare(*saved, *saved, config)), 0);
  std::remove(out.c_str());
}

TEST(BaselineTest, MergeRunsPoolsRepetitions) {
  ResultsFile a = Load("base.json");
  ResultsFile b = Load("base.json");
  absl::StatusOr<ResultsFile> merged = MergeRuns({a, b});
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->info.repetitions, 10);
  std::vector<double> p95 = merged->RepetitionValues("broadcast/medium", "p95_us");
  ASSERT_EQ(p95.size(), 10u);
  EXPECT_EQ(p95[0], p95[5]);  // b's repetitions follow a's
  const record::BenchmarkRun* median = merged->Aggregate("broadcast/medium", "median");
  ASSERT_NE(median, nullptr);
  std::vector<double> sorted = p95;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_DOUBLE_EQ(*median->Number("p95_us"), (sorted[4] + sorted[5]) / 2);
  EXPECT_TRUE(CheckBaselineCandidate(*merged, RepoConfig()).ok());
  // Runs of another build or a partial run are not pooled.
  EXPECT_FALSE(MergeRuns({a, Load("identical.json")}).ok());
  EXPECT_FALSE(MergeRuns({a, Load("partial.json")}).ok());
  EXPECT_FALSE(MergeRuns({}).ok());
}

TEST(RenderTest, TablesAndJson) {
  Comparison c = Compare(Load("base.json"), Load("regression.json"), RepoConfig());
  std::string md = RenderMarkdown(c);
  EXPECT_NE(md.find("| benchmark | metric |"), std::string::npos);
  EXPECT_NE(md.find("**REGRESSED**"), std::string::npos);
  EXPECT_NE(md.find("FAIL"), std::string::npos);
  std::string plain = RenderTerminal(c, false);
  EXPECT_EQ(plain.find("\033["), std::string::npos);  // no colour off a tty
  EXPECT_NE(RenderTerminal(c, true).find("\033[1;31m"), std::string::npos);
  std::string json = RenderJson(c);
  EXPECT_NE(json.find("\"exit_code\": 1"), std::string::npos);
  EXPECT_NE(json.find("\"verdict\": \"regressed\""), std::string::npos);
  EXPECT_EQ(FormatValue(12.3e6, "ops/s"), "12.3M");
  EXPECT_EQ(FormatValue(0.4123, "us"), "0.412");
  EXPECT_EQ(FormatValue(0.0 / 0.0, "us"), "-");
}

}  // namespace
}  // namespace wsbench::compare

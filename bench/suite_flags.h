// Command-line flags of the wsbench program.
//
// `--flag=value` and `--flag value` both work. Google Benchmark's flags
// (`--benchmark_*`, `--v`) pass through to benchmark::Initialize, except
// --benchmark_filter (applied by the suite to `<dimension>/<level>` names,
// same syntax: a regex searched in the name, a leading '-' negates) and
// --benchmark_repetitions (same as --repetitions). Every error is
// InvalidArgument with a message naming the flag and value; the program
// prints it and exits with code 2.
//
//   absl::StatusOr<SuiteOptions> options = ParseSuiteFlags(argc, argv);
#ifndef WSBENCH_BENCH_SUITE_FLAGS_H_
#define WSBENCH_BENCH_SUITE_FLAGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "e2e/fault_mix.h"
#include "e2e/ramp.h"
#include "load_level.h"

namespace wsbench::bench {

// Without --repetitions, runs whose largest level has more ops than this
// (extreme, maximum) default to 1 repetition, others to 4: the fewest with
// which a two-sided Mann-Whitney U test of two runs (Google Benchmark's
// compare.py) can reach p < 0.05 (4 vs 4: p = 0.029; 3 vs 3 never below 0.1).
inline constexpr int64_t kMaxOpsForDefaultRepetitions = 1'000'000;

struct SuiteOptions {
  std::vector<LoadLevel> levels;        // selected, in level order
  std::vector<std::string> dimensions;  // --dimensions (empty = all registered)
  std::string filter;                   // --benchmark_filter
  int repetitions = 4;                  // see kMaxOpsForDefaultRepetitions
  uint64_t seed = 0x5eed'2026;
  double invalid_share = 0.01;
  std::string out_dir;                  // --out
  std::string csv_path;                 // --csv (empty = none)
  double profile_seconds = 0;           // --profile-time (0 = off)
  std::string thresholds_path;          // --thresholds (empty = the repo's file)
  // Ops per repetition's throughput passes at least (passes = ceil(this / ops)).
  int64_t min_ops_per_repetition = 20'000;
  e2e::RampOptions ramp;                    // --ramp, --ramp-*
  int64_t e2e_connections_per_process = 0;  // 0: from RLIMIT_NOFILE
  uint16_t e2e_target_port = 0;  // --e2e-target ws://127.0.0.1:PORT; 0: none
  e2e::FaultMix faults;                     // --faults (empty: none)
  bool quick = false;
  bool list = false;
  bool help = false;
  std::string command_line;             // argv joined, for results.json
  std::vector<std::string> benchmark_args;  // argv[0] + pass-through flags
};

// The port of --e2e-target's ws://127.0.0.1:PORT[/]; InvalidArgument for
// any other form (only loopback is loaded).
absl::StatusOr<uint16_t> ParseE2eTarget(std::string_view url);

absl::StatusOr<SuiteOptions> ParseSuiteFlags(int argc, char** argv);
std::string SuiteUsage();

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_SUITE_FLAGS_H_

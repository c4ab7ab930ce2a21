#include "suite_flags.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

#include "fmt/format.h"

namespace wsbench::bench {
namespace {

absl::Status Bad(std::string_view flag, std::string_view value, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("invalid value '{}' for {}: {}", value, flag, why));
}

absl::StatusOr<int64_t> ParseInt(std::string_view flag, std::string_view text, int64_t min,
                                 int64_t max) {
  std::string digits;
  for (char c : text) {
    if (c != '_' && c != ',') digits += c;
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return Bad(flag, text, "not an integer");
  }
  if (value < min || value > max) {
    return Bad(flag, text, fmt::format("must be between {} and {}", min, max));
  }
  return value;
}

absl::StatusOr<uint64_t> ParseSeed(std::string_view text) {
  uint64_t value = 0;
  std::string_view digits = text;
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    digits.remove_prefix(2);
    base = 16;
  }
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return Bad("--seed", text, "not an unsigned 64-bit integer (decimal or 0x hex)");
  }
  return value;
}

absl::StatusOr<double> ParseDouble(std::string_view flag, std::string_view text, double min,
                                   double max) {
  const std::string s(text);
  char* end = nullptr;
  const double value = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(value)) {
    return Bad(flag, text, "not a number");
  }
  if (value < min || value > max) {
    return Bad(flag, text, fmt::format("must be between {} and {}", min, max));
  }
  return value;
}

// "a,b" -> {"a", "b"}; an empty item ("a,,b", "x,", ",x") is an error.
absl::StatusOr<std::vector<std::string>> SplitList(std::string_view name,
                                                   std::string_view text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string item(text.substr(start, comma - start));
    if (item.empty()) {
      return Bad(name, text,
                 fmt::format("empty name at character {} (two commas, or a "
                             "comma at an end)",
                             start + 1));
    }
    items.push_back(item);
    start = comma + 1;
  }
  return items;
}

}  // namespace

std::string SuiteUsage() {
  return R"(Usage: wsbench [flags] [Google Benchmark flags]

Runs every registered dimension at the selected load levels and prints the
levels x dimensions summary (throughput, P95, verdicts, degradation).

  --quick               levels minimal..medium (pre-commit run, ~10 s)
  --max-load N          only levels with at most N ops
  --levels a,b          these levels (minimal light low medium high very_high
                        extreme maximum); default: all (the full 9.9M-op sweep)
  --dimensions x,y      these dimensions (default: all but the end-to-end
                        ones, e2e_*, which run only when named here;
                        --list shows the selection)
  --repetitions N       repetitions per benchmark (default 4, the fewest a U
                        test of two runs can separate at p < 0.05; 1 when a
                        level above very_high (1M ops) is selected)
  --seed N              corpus and operation sequence seed (default 0x5eed2026)
  --invalid-share F     share of invalid client messages, 0..1 (default 0.01)
  --out DIR             write DIR/results.json, DIR/summary.md and
                        DIR/report.html (the HTML report)
  --csv FILE            also write the results as CSV (RFC 4180): one row per
                        benchmark and metric, the median over repetitions
                        with mean, min, max, stddev and cv
  --thresholds FILE     verdict bands (default: bench/thresholds.json)
  --min-ops N           throughput ops per repetition at least (default 20000)
  --profile-time S      run the selected benchmark(s) back to back for S
                        seconds in total (for perf/callgrind), print ops done
  --instructions        instruction counts per op (see tools/instructions)
  --list                print the selected benchmark names and exit

End-to-end dimensions (e2e_*: a forked wsbench server, clients over loopback):
  --ramp S              when connection attempts start: burst (default: as
                        fast as the server accepts, --ramp-window in flight),
                        linear, exponential or stepped
  --ramp-rate R         attempts per second (linear; exponential: the start
                        rate, doubling every --ramp-interval-ms); default 10000
  --ramp-step N         attempts per step (stepped; default 1000)
  --ramp-interval-ms M  between steps (stepped) or doublings (exponential);
                        default 100
  --ramp-window N       attempts in flight at most per client process
                        (default 64)
  --e2e-connections-per-process N
                        sockets one server or client process may hold
                        (default: the hard RLIMIT_NOFILE - 64); more
                        connections run in several processes per side
  --e2e-target ws://127.0.0.1:PORT
                        load another server already running there instead of
                        a forked wsbench server: e2e_connections as usual
                        (no server gauge to read), e2e_messages in echo mode
                        (every reply must be the message itself); see
                        tools/e2e/side-by-side
  --faults MIX          misbehaving clients in e2e_connections, as shares of
                        the level's connections, e.g. rst=0.01,malformed=0.01,
                        slow=0.005: rst = half a frame then a TCP RST,
                        malformed = a bad frame (the server must close with
                        1002/1007/1009), slow = a subscriber that stops
                        reading while events flow (the server must drop
                        events to it); each answer is checked, healthy
                        clients' success rate reported apart
  --help                this text

Google Benchmark flags pass through; --benchmark_filter=REGEX selects
<dimension>/<level> names (a leading '-' negates).
Exit codes: 0 ok, 1 a benchmark failed its checks, 2 bad flags or an
--out directory or --csv file that cannot be written (checked before measuring),
129/130/143 interrupted by SIGHUP/SIGINT/SIGTERM (partial results written,
marked complete=false).
)";
}

absl::StatusOr<uint16_t> ParseE2eTarget(std::string_view url) {
  constexpr std::string_view kPrefix = "ws://127.0.0.1:";
  std::string_view rest = url;
  if (!rest.starts_with(kPrefix)) {
    return absl::InvalidArgumentError(fmt::format(
        "--e2e-target '{}': expected ws://127.0.0.1:PORT (loopback only)",
        url));
  }
  rest.remove_prefix(kPrefix.size());
  if (rest.ends_with("/")) rest.remove_suffix(1);
  int port = 0;
  const auto [end, ec] =
      std::from_chars(rest.data(), rest.data() + rest.size(), port);
  if (ec != std::errc() || end != rest.data() + rest.size() || port < 1 ||
      port > 65535) {
    return absl::InvalidArgumentError(fmt::format(
        "--e2e-target '{}': the port must be a number in 1..65535", url));
  }
  return static_cast<uint16_t>(port);
}

absl::StatusOr<SuiteOptions> ParseSuiteFlags(int argc, char** argv) {
  SuiteOptions options;
  options.benchmark_args.push_back(argc > 0 ? argv[0] : "wsbench");
  for (int i = 0; i < argc; ++i) {
    if (i > 0) options.command_line += ' ';
    options.command_line += argv[i];
  }
  std::vector<std::string> level_names;
  bool have_levels = false;
  int64_t max_load = -1;
  bool repetitions_given = false;
  static const std::set<std::string> kValueFlags = {
      "--max-load", "--levels", "--dimensions", "--repetitions", "--seed", "--invalid-share",
      "--out", "--csv", "--profile-time", "--thresholds", "--min-ops", "--benchmark_filter",
      "--benchmark_repetitions", "--ramp", "--ramp-rate", "--ramp-step",
      "--ramp-interval-ms", "--ramp-window", "--e2e-connections-per-process",
      "--e2e-target", "--faults"};
  // Which --ramp-* parameters were given: each must be one the strategy uses.
  std::vector<std::string> ramp_params;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string name = arg, value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    if (name == "--help" || name == "-h") {
      options.help = true;
      continue;
    }
    if (name == "--quick" || name == "--list") {
      if (has_value) return absl::InvalidArgumentError(fmt::format("{} takes no value", name));
      (name == "--quick" ? options.quick : options.list) = true;
      continue;
    }
    if (kValueFlags.count(name) > 0) {
      if (!has_value) {
        if (i + 1 >= argc) return absl::InvalidArgumentError(fmt::format("{} needs a value", name));
        value = argv[++i];
      }
      if (name == "--max-load") {
        auto v = ParseInt(name, value, 1, INT64_MAX);
        if (!v.ok()) return v.status();
        max_load = *v;
      } else if (name == "--levels") {
        have_levels = true;
        if (value.empty()) return Bad(name, value, "no level named");
        auto names = SplitList(name, value);
        if (!names.ok()) return names.status();
        level_names = *std::move(names);
      } else if (name == "--dimensions") {
        if (value.empty()) return Bad(name, value, "no dimension named");
        auto names = SplitList(name, value);
        if (!names.ok()) return names.status();
        options.dimensions = *std::move(names);
      } else if (name == "--repetitions" || name == "--benchmark_repetitions") {
        auto v = ParseInt(name, value, 1, 1000);
        if (!v.ok()) return v.status();
        options.repetitions = static_cast<int>(*v);
        repetitions_given = true;
      } else if (name == "--seed") {
        auto v = ParseSeed(value);
        if (!v.ok()) return v.status();
        options.seed = *v;
      } else if (name == "--invalid-share") {
        auto v = ParseDouble(name, value, 0, 1);
        if (!v.ok()) return v.status();
        options.invalid_share = *v;
      } else if (name == "--out") {
        if (value.empty()) return Bad(name, value, "empty directory name");
        options.out_dir = value;
      } else if (name == "--csv") {
        if (value.empty()) return Bad(name, value, "empty file name");
        options.csv_path = value;
      } else if (name == "--profile-time") {
        auto v = ParseDouble(name, value, 0.001, 86400);
        if (!v.ok()) return v.status();
        options.profile_seconds = *v;
      } else if (name == "--thresholds") {
        options.thresholds_path = value;
      } else if (name == "--min-ops") {
        auto v = ParseInt(name, value, 1, INT64_MAX);
        if (!v.ok()) return v.status();
        options.min_ops_per_repetition = *v;
      } else if (name == "--benchmark_filter") {
        options.filter = value;
      } else if (name == "--ramp") {
        auto v = e2e::ParseRampStrategy(value);
        if (!v.ok()) return v.status();
        options.ramp.strategy = *v;
      } else if (name == "--ramp-rate") {
        auto v = ParseDouble(name, value, 1, 1e8);
        if (!v.ok()) return v.status();
        options.ramp.rate = *v;
        ramp_params.push_back(name);
      } else if (name == "--ramp-step") {
        auto v = ParseInt(name, value, 1, 10'000'000);
        if (!v.ok()) return v.status();
        options.ramp.step = *v;
        ramp_params.push_back(name);
      } else if (name == "--ramp-interval-ms") {
        auto v = ParseInt(name, value, 1, 60'000);
        if (!v.ok()) return v.status();
        options.ramp.interval_ms = *v;
        ramp_params.push_back(name);
      } else if (name == "--ramp-window") {
        auto v = ParseInt(name, value, 1, 1'000'000);
        if (!v.ok()) return v.status();
        options.ramp.window = *v;
      } else if (name == "--e2e-connections-per-process") {
        auto v = ParseInt(name, value, 1, 10'000'000);
        if (!v.ok()) return v.status();
        options.e2e_connections_per_process = *v;
      } else if (name == "--e2e-target") {
        auto v = ParseE2eTarget(value);
        if (!v.ok()) return v.status();
        options.e2e_target_port = *v;
      } else if (name == "--faults") {
        auto v = e2e::ParseFaultMix(value);
        if (!v.ok()) return v.status();
        options.faults = *v;
      }
      continue;
    }
    if (arg.rfind("--benchmark_", 0) == 0 || arg.rfind("--v=", 0) == 0) {
      options.benchmark_args.push_back(arg);
      continue;
    }
    if (arg.rfind("-", 0) == 0) {
      return absl::InvalidArgumentError(fmt::format("unknown flag '{}' (see --help)", arg));
    }
    return absl::InvalidArgumentError(
        fmt::format("unexpected argument '{}' (flags start with --; see --help)", arg));
  }

  // A ramp parameter the strategy does not use is a mistake worth naming.
  for (const std::string& param : ramp_params) {
    const e2e::RampStrategy st = options.ramp.strategy;
    const bool used =
        param == "--ramp-rate"
            ? st == e2e::RampStrategy::kLinear ||
                  st == e2e::RampStrategy::kExponential
        : param == "--ramp-step" ? st == e2e::RampStrategy::kStepped
                                 : st == e2e::RampStrategy::kExponential ||
                                       st == e2e::RampStrategy::kStepped;
    if (!used) {
      return absl::InvalidArgumentError(fmt::format(
          "{} does not apply to --ramp {} (rate: linear, exponential; step: "
          "stepped; interval: exponential, stepped)",
          param, e2e::RampStrategyName(st)));
    }
  }
  if (absl::Status s = e2e::ValidateRamp(options.ramp); !s.ok()) return s;

  if (!options.faults.empty() && options.e2e_target_port != 0) {
    return absl::InvalidArgumentError(
        "--faults needs the forked wsbench server (its counters and gauge "
        "check the answers), not --e2e-target");
  }
  // Levels: --levels, else --quick's minimal..medium, else all; then --max-load.
  std::vector<LoadLevel> levels;
  if (have_levels) {
    for (const std::string& n : level_names) {
      auto level = FindLoadLevel(n);
      if (!level.ok()) return absl::InvalidArgumentError(fmt::format("--levels: {}", std::string(level.status().message())));
      levels.push_back(*level);
    }
  } else {
    for (const LoadLevel& level : kLoadLevels) {
      if (options.quick && level.ops > 100'000) break;
      levels.push_back(level);
    }
  }
  if (max_load >= 0) {
    levels.erase(std::remove_if(levels.begin(), levels.end(),
                                [&](const LoadLevel& l) { return l.ops > max_load; }),
                 levels.end());
    if (levels.empty()) {
      return absl::InvalidArgumentError(fmt::format(
          "--max-load {} selects no level (the smallest, minimal, has 1000 ops)", max_load));
    }
  }
  // Level order, no duplicates.
  std::vector<LoadLevel> ordered;
  for (const LoadLevel& level : kLoadLevels) {
    if (std::any_of(levels.begin(), levels.end(),
                    [&](const LoadLevel& l) { return l.name == level.name; })) {
      ordered.push_back(level);
    }
  }
  options.levels = ordered;
  // Big levels take whole seconds per pass: the full sweep defaults to one
  // repetition so it stays short; smaller runs default to four.
  if (!repetitions_given && !ordered.empty() && ordered.back().ops > kMaxOpsForDefaultRepetitions) {
    options.repetitions = 1;
  }
  return options;
}

}  // namespace wsbench::bench

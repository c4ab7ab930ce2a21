#include "driver.h"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <memory>
#include <regex>
#include <string>

#include "alloc_counter.h"
#include "bench_clock.h"
#include "benchmark/benchmark.h"
#include "fingerprint.h"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "latency_pass.h"
#include "machine_probe.h"
#include "memory_probe.h"
#include "record/atomic_file.h"
#include "record/csv.h"
#include "report_html.h"
#include "results.h"
#include "results_json.h"
#include "suite_flags.h"
#include "summary.h"
#include "thresholds.h"

namespace wsbench::bench {
namespace {

std::atomic<int> g_stop_signal{0};

extern "C" void OnStopSignal(int signal_number) {
  g_stop_signal.store(signal_number, std::memory_order_relaxed);
}

bool Stopping() { return g_stop_signal.load(std::memory_order_relaxed) != 0; }

double ThreadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int64_t PeakRssBytes() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

// The dimension order; others after, by name.
int DimensionRank(std::string_view name) {
  static constexpr std::string_view kOrder[] = {
      "connections",     "messages",     "subscriptions", "broadcast",
      "permissions",     "compression",  "frames",        "handshake",
      "e2e_connections", "e2e_messages", "e2e_broadcast"};
  for (size_t i = 0; i < std::size(kOrder); ++i) {
    if (kOrder[i] == name) return static_cast<int>(i);
  }
  return static_cast<int>(std::size(kOrder));
}

// Google Benchmark's own output is replaced by ours.
class SilentReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

struct Planned {
  const Dimension* dimension;
  LoadLevel level;
  int level_index;
  int64_t passes;  // throughput passes (Google Benchmark iterations) per repetition
  BenchmarkResult* result;
};

// A throughput chunk aims at this long, so a stop request is seen quickly.
constexpr double kChunkNs = 0.1e9;

class Runner {
 public:
  Runner(const SuiteOptions& options, const Thresholds& thresholds,
         const BenchClock& clock, std::ostream& err, bool progress)
      : options_(options),
        thresholds_(thresholds),
        clock_(clock),
        err_(err),
        progress_(progress),
        latency_(clock) {}

  void RunAll(std::vector<Planned>& plan) {
    plan_ = &plan;
    start_ = std::chrono::steady_clock::now();
    benchmark::ClearRegisteredBenchmarks();
    for (size_t i = 0; i < plan.size(); ++i) {
      const std::string name = plan[i].result->name();
      benchmark::RegisterBenchmark(name.c_str(),
                                   [this, i](benchmark::State& state) { RunOne(state, i); })
          ->UseManualTime()
          ->Iterations(plan[i].passes)
          ->Repetitions(options_.repetitions)
          ->Unit(benchmark::kNanosecond);
    }
    SilentReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::ClearRegisteredBenchmarks();
    current_.reset();
    if (progress_) err_ << "\r\033[K" << std::flush;
  }

  // Profile mode: passes back to back for `seconds` per benchmark.
  int Profile(std::vector<Planned>& plan, double seconds, std::ostream& out) {
    int code = 0;
    for (Planned& p : plan) {
      if (Stopping()) break;
      std::unique_ptr<Workload> workload = p.dimension->factory();
      WorkloadOptions wopts{options_.seed, options_.invalid_share,
                            options_.ramp,
                            options_.e2e_connections_per_process,
                            options_.e2e_target_port, options_.faults};
      if (absl::Status s = workload->Setup(p.level, wopts); !s.ok()) {
        out << fmt::format("{}: setup failed: {}\n", p.result->name(), s.ToString());
        code = 1;
        continue;
      }
      const int64_t ops = workload->ops();
      int64_t passes = 0, done = 0;
      double run_ns = 0;
      const auto start = std::chrono::steady_clock::now();
      const auto deadline = start + std::chrono::duration<double>(seconds);
      bool failed = false;
      while (std::chrono::steady_clock::now() < deadline && !Stopping()) {
        if (absl::Status s = workload->Reset(); !s.ok()) {
          out << fmt::format("{}: reset failed: {}\n", p.result->name(), s.ToString());
          failed = true;
          break;
        }
        const auto t0 = std::chrono::steady_clock::now();
        const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(ops, 1 << 16));
        int64_t begin = 0;
        for (; begin < ops && !Stopping(); begin += chunk) {
          workload->Run(begin, std::min(ops, begin + chunk));
        }
        run_ns += std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
        done += std::min(begin, ops);
        if (begin < ops) break;  // stopped mid-pass
        ++passes;
        if (absl::Status s = workload->Verify(); !s.ok()) {
          out << fmt::format("{}: verify failed: {}\n", p.result->name(), s.ToString());
          failed = true;
          break;
        }
      }
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      out << fmt::format("profile {}: {} passes, {} ops in {:.2f} s ({:.1f} ns/op in Run)\n",
                         p.result->name(), passes, done, wall, done > 0 ? run_ns / done : 0.0);
      if (failed) code = 1;
    }
    if (int sig = StopSignal(); sig != 0) return 128 + sig;
    return code;
  }

 private:
  void Fail(benchmark::State& state, Planned& p, const std::string& message) {
    p.result->error = true;
    p.result->error_message = message;
    state.SkipWithError(message.c_str());
  }

  void Progress(size_t index) {
    if (!progress_) return;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    err_ << fmt::format("\r\033[K[{}/{}] {}  {:.1f} s", index + 1, plan_->size(),
                        (*plan_)[index].result->name(), elapsed)
         << std::flush;
  }

  void RunOne(benchmark::State& state, size_t index) {
    Planned& p = (*plan_)[index];
    if (Stopping() || p.result->error) {
      state.SkipWithError(Stopping() ? "interrupted" : "failed earlier");
      for (auto _ : state) {
      }
      return;
    }
    Progress(index);
    if (current_index_ != index) {
      current_.reset();  // free the previous level's state before building this one
      current_index_ = index;
      est_ns_per_op_ = 0;
      const size_t heap_before = HeapInUseBytes();
      std::unique_ptr<Workload> workload = p.dimension->factory();
      WorkloadOptions wopts{options_.seed, options_.invalid_share,
                            options_.ramp,
                            options_.e2e_connections_per_process,
                            options_.e2e_target_port, options_.faults};
      if (absl::Status s = workload->Setup(p.level, wopts); !s.ok()) {
        if (Stopping()) {  // Setup saw the stop request: not a failure
          current_index_ = SIZE_MAX;
          state.SkipWithError("interrupted");
        } else {
          Fail(state, p, "setup: " + s.ToString());
        }
        for (auto _ : state) {
        }
        return;
      }
      // The level's memory bound (see memory_probe.h), measured once per
      // level; none for an end-to-end dimension, whose time is spent in the
      // kernel's sockets and in other processes.
      const size_t heap_after = HeapInUseBytes();
      working_set_bytes_ =
          heap_after > heap_before ? heap_after - heap_before : 0;
      chase_ = p.dimension->opt_in
                   ? ChaseResult{}
                   : PointerChase(working_set_bytes_, options_.seed);
      if (Stopping()) {  // the chase may have been cut short: unused
        current_index_ = SIZE_MAX;
        state.SkipWithError("interrupted");
        for (auto _ : state) {
        }
        return;
      }
      p.result->ops = workload->ops();
      p.result->ops_note = workload->ops_note();
      p.result->items_per_op = workload->items_per_op();
      current_ = std::move(workload);
    }
    Workload& w = *current_;
    const int64_t ops = w.ops();
    if (ops <= 0) {
      Fail(state, p, "workload has no operations");
      for (auto _ : state) {
      }
      return;
    }

    RepetitionResult rep;
    if (Histogram* own = w.own_latency()) own->Clear();
    // The machine's speed around this repetition (see machine_probe.h).
    const double probe_before_ns = MachineProbeNs();
    double timed_ns = 0, cpu_ns = 0;
    uint64_t allocs = 0;
    int64_t passes = 0;
    bool interrupted = false;
    for (auto _ : state) {
      if (Stopping()) {
        interrupted = true;
        state.SkipWithError("interrupted");
        break;
      }
      if (absl::Status s = w.Reset(); !s.ok()) {
        if (Stopping()) {
          interrupted = true;
          state.SkipWithError("interrupted");
        } else {
          Fail(state, p, "reset: " + s.ToString());
        }
        break;
      }
      // Without an estimate yet (the first pass), chunks start small and
      // grow to kChunkNs from what the first ones took, so a stop request is
      // seen quickly even where one op takes tens of microseconds.
      const bool estimated = est_ns_per_op_ > 0 || w.run_whole_pass();
      int64_t chunk =
          w.run_whole_pass() ? ops
          : estimated
              ? std::clamp<int64_t>(
                    static_cast<int64_t>(kChunkNs / est_ns_per_op_), 1024, ops)
              : std::min<int64_t>(ops, 256);
      const uint64_t allocs0 = AllocCount();
      const double cpu0 = ThreadCpuNs();
      const auto t0 = std::chrono::steady_clock::now();
      int64_t begin = 0;
      bool stopped = false;
      while (begin < ops) {
        const int64_t end = std::min(ops, begin + chunk);
        w.Run(begin, end);
        begin = end;
        if (begin < ops && Stopping()) {
          stopped = true;
          break;
        }
        if (!estimated) {
          const double so_far = std::chrono::duration<double, std::nano>(
                                    std::chrono::steady_clock::now() - t0)
                                    .count();
          chunk = std::clamp<int64_t>(
              static_cast<int64_t>(kChunkNs / std::max(so_far / begin, 1e-3)), 256,
              std::max<int64_t>(ops, 256));
        }
      }
      const auto t1 = std::chrono::steady_clock::now();
      const double cpu1 = ThreadCpuNs();
      const uint64_t allocs1 = AllocCount();
      const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
      state.SetIterationTime(ns / 1e9);
      // A stop that came during the pass's last chunk: the pass may have
      // been cut short inside Run (a workload that watches the stop itself).
      if (Stopping()) stopped = true;
      if (stopped) {
        // Stopped before the pass finished: its figures are not a pass.
        interrupted = true;
        state.SkipWithError("interrupted");
        break;
      }
      if (absl::Status s = w.Verify(); !s.ok()) {
        Fail(state, p, "verify: " + s.ToString());
        break;
      }
      timed_ns += ns;
      cpu_ns += cpu1 - cpu0;
      allocs += allocs1 - allocs0;
      ++passes;
      est_ns_per_op_ = ns / ops;
    }
    if (interrupted || p.result->error || passes == 0) return;

    const double total_ops = static_cast<double>(passes) * ops;
    const double ns_per_op = timed_ns / total_ops;
    rep.iterations = passes;
    rep.numbers["real_time"] = ns_per_op;
    rep.numbers["cpu_time"] = cpu_ns / total_ops;
    rep.numbers["ops_per_second"] = ns_per_op > 0 ? 1e9 / ns_per_op : 0;
    if (p.result->items_per_op > 0) {
      rep.numbers["items_per_second"] = rep.numbers["ops_per_second"] * p.result->items_per_op;
    }
    if (AllocCountingEnabled()) rep.numbers["allocs_per_op"] = allocs / total_ops;

    if (Histogram* own = w.own_latency()) {
      // Concurrent ops: the workload's own per-op samples from the passes.
      const double resolution_ps = w.own_latency_resolution_ns() * 1000.0;
      rep.strings["latency_rule"] = w.own_latency_rule();
      rep.numbers["latency_resolution_us"] = resolution_ps / 1e6;
      rep.numbers["latency_passes"] = static_cast<double>(passes);
      WriteLatencyFigures(*own, "", resolution_ps, rep);
      own->Clear();
    } else if (absl::Status s = latency_.Run(w, &Stopping, rep); !s.ok()) {
      if (!absl::IsCancelled(s)) Fail(state, p, std::string(s.message()));
      return;
    }
    // The slower of the probes before and after: a repetition is only as
    // trustworthy as the worst moment it covers.
    rep.numbers["probe_ns"] = std::max(probe_before_ns, MachineProbeNs());

    std::map<std::string, double> counters;
    w.AddCounters(counters);
    for (const auto& [key, value] : counters) {
      if (rep.numbers.count(key) == 0) rep.numbers[key] = value;
      // A reference cost per op measured by the workload in the same run
      // ("<name>_ns_per_op" in thread CPU time, e.g. bare simdjson) against
      // this repetition's timed pass in CPU time: the reference's time as a
      // share of ours (100 = as fast as the reference). CPU time on both
      // sides, so time the scheduler gave to other processes counts on
      // neither.
      constexpr std::string_view kReference = "_ns_per_op";
      const std::string_view k = key;
      const double cpu_per_op = cpu_ns / total_ops;
      if (k.size() > kReference.size() && k.ends_with(kReference) &&
          value > 0 && cpu_per_op > 0) {
        const std::string name(k.substr(0, k.size() - kReference.size()));
        rep.numbers[name + "_share_pct"] = 100.0 * value / cpu_per_op;
      }
    }
    if (chase_.parallel_ns > 0) {
      rep.numbers["working_set_bytes"] =
          static_cast<double>(working_set_bytes_);
      rep.numbers["memory_latency_ns"] = chase_.dependent_ns;
      rep.numbers["memory_parallel_ns"] = chase_.parallel_ns;
      const double bound = 1e9 / chase_.parallel_ns;
      rep.numbers["memory_bound_ops_per_second"] = bound;
      // Ops per CPU second: the chase is timed in CPU time too.
      const double cpu_ns_per_op = cpu_ns / total_ops;
      if (cpu_ns_per_op > 0) {
        rep.numbers["ops_vs_memory_bound_pct"] =
            100.0 * (1e9 / cpu_ns_per_op) / bound;
      }
    }
    ApplyVerdicts(thresholds_, *p.result, rep);
    for (const char* key :
         {"ops_per_second", "items_per_second", "p50_us", "p95_us", "p99_us",
          "p999_us", "max_us", "allocs_per_op", "latency_samples"}) {
      if (auto it = rep.numbers.find(key); it != rep.numbers.end()) state.counters[key] = it->second;
    }
    p.result->repetitions.push_back(std::move(rep));
  }

  const SuiteOptions& options_;
  const Thresholds& thresholds_;
  const BenchClock& clock_;
  std::ostream& err_;
  const bool progress_;
  std::vector<Planned>* plan_ = nullptr;
  std::chrono::steady_clock::time_point start_;
  std::unique_ptr<Workload> current_;
  size_t current_index_ = SIZE_MAX;
  double est_ns_per_op_ = 0;
  size_t working_set_bytes_ = 0;
  ChaseResult chase_;
  LatencyPass latency_;
};

bool FilterMatches(const std::regex& re, bool negate, const std::string& name) {
  return std::regex_search(name, re) != negate;
}

}  // namespace

void RequestStop(int signal_number) { OnStopSignal(signal_number); }
bool StopRequested() { return Stopping(); }
absl::Status StopStatus() { return absl::CancelledError("interrupted"); }
int StopSignal() { return g_stop_signal.load(std::memory_order_relaxed); }
void ClearStop() { g_stop_signal.store(0, std::memory_order_relaxed); }

void InstallStopHandlers() {
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;  // a second signal terminates as usual
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // A closed terminal or a killed ssh session: keep what was measured too.
  sigaction(SIGHUP, &action, nullptr);
}

int RunSuiteMain(int argc, char** argv, const std::vector<Dimension>& dimensions,
                 std::ostream& out, std::ostream& err) {
  const auto wall_start = std::chrono::steady_clock::now();
  absl::StatusOr<SuiteOptions> parsed = ParseSuiteFlags(argc, argv);
  if (!parsed.ok()) {
    err << "wsbench: " << parsed.status().message() << "\n";
    return 2;
  }
  SuiteOptions& options = *parsed;
  if (options.help) {
    out << SuiteUsage();
    return 0;
  }

  // Google Benchmark's pass-through flags.
  std::vector<char*> gb_argv;
  for (std::string& a : options.benchmark_args) gb_argv.push_back(a.data());
  int gb_argc = static_cast<int>(gb_argv.size());
  gb_argv.push_back(nullptr);
  benchmark::Initialize(&gb_argc, gb_argv.data());
  if (gb_argc > 1) {
    // Google Benchmark leaves a flag it knows but cannot parse in argv too:
    // name the bad value rather than calling the flag unknown.
    const std::string_view arg = gb_argv[1];
    const size_t eq = arg.find('=');
    const std::string_view flag = arg.substr(0, eq);
    static constexpr std::string_view kKnown[] = {
        "--benchmark_min_time", "--benchmark_min_warmup_time",
        "--benchmark_repetitions", "--benchmark_enable_random_interleaving",
        "--benchmark_report_aggregates_only", "--benchmark_display_aggregates_only",
        "--benchmark_format", "--benchmark_out_format", "--benchmark_color",
        "--benchmark_counters_tabular", "--benchmark_list_tests",
        "--benchmark_time_unit", "--benchmark_perf_counters", "--benchmark_context",
        "--benchmark_out", "--v"};
    if (eq != std::string_view::npos &&
        std::find(std::begin(kKnown), std::end(kKnown), flag) != std::end(kKnown)) {
      err << "wsbench: " << flag << ": bad value '" << arg.substr(eq + 1) << "'"
          << (flag == "--benchmark_min_time" ? " (a number of seconds, e.g. 0.5)" : "")
          << " (see --help)\n";
    } else {
      err << "wsbench: unrecognized Google Benchmark flag '" << arg << "' (see --help)\n";
    }
    return 2;
  }

  // Dimensions: all given, in the order, or the --dimensions subset.
  std::vector<const Dimension*> dims;
  for (const Dimension& d : dimensions) {
    const bool named =
        std::find(options.dimensions.begin(), options.dimensions.end(),
                  d.name) != options.dimensions.end();
    if (!d.opt_in || named) dims.push_back(&d);
  }
  std::stable_sort(dims.begin(), dims.end(), [](const Dimension* a, const Dimension* b) {
    const int ra = DimensionRank(a->name), rb = DimensionRank(b->name);
    return ra != rb ? ra < rb : a->name < b->name;
  });
  std::string available;
  for (const Dimension* d : dims) available += (available.empty() ? "" : ", ") + std::string(d->name);
  for (const Dimension& d : dimensions) {
    if (d.opt_in && std::find(dims.begin(), dims.end(), &d) == dims.end()) {
      available += (available.empty() ? "" : ", ") + std::string(d.name);
    }
  }
  if (!options.dimensions.empty()) {
    std::vector<const Dimension*> chosen;
    for (const Dimension* d : dims) {
      if (std::find(options.dimensions.begin(), options.dimensions.end(), d->name) !=
          options.dimensions.end()) {
        chosen.push_back(d);
      }
    }
    for (const std::string& name : options.dimensions) {
      if (std::none_of(dims.begin(), dims.end(), [&](const Dimension* d) { return d->name == name; })) {
        err << fmt::format("wsbench: unknown dimension '{}' (registered: {})\n", name,
                           available.empty() ? "none yet" : available);
        return 2;
      }
    }
    dims = chosen;
  }

  std::regex filter;
  bool negate = false;
  if (!options.filter.empty() && options.filter != "all") {
    std::string pattern = options.filter;
    if (pattern[0] == '-') {
      negate = true;
      pattern.erase(0, 1);
    }
    try {
      filter = std::regex(pattern);
    } catch (const std::regex_error& e) {
      err << fmt::format("wsbench: invalid --benchmark_filter '{}': {}\n", options.filter, e.what());
      return 2;
    }
  } else {
    filter = std::regex("");
  }

  std::string thresholds_path = options.thresholds_path.empty()
                                    ? std::string(SourceDir()) + "/bench/thresholds.json"
                                    : options.thresholds_path;
  absl::StatusOr<Thresholds> thresholds = Thresholds::Load(thresholds_path);
  if (!thresholds.ok()) {
    err << "wsbench: " << thresholds.status().message() << "\n";
    return 2;
  }

  // The output directory must take both files before anything is measured.
  if (!options.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.out_dir, ec);
    if (ec) {
      err << fmt::format("wsbench: --out: cannot create '{}': {}\n",
                         options.out_dir, ec.message());
      return 2;
    }
    for (const char* file : {"/results.json", "/summary.md", "/report.html"}) {
      if (absl::Status s = record::CheckWritable(options.out_dir + file);
          !s.ok()) {
        err << "wsbench: --out: " << s.message() << "\n";
        return 2;
      }
    }
  }

  // The CSV file too; its directory is created like --out's.
  if (!options.csv_path.empty()) {
    const std::filesystem::path parent =
        std::filesystem::path(options.csv_path).parent_path();
    std::error_code ec;
    if (!parent.empty() && !record::IsWrittenThrough(options.csv_path)) {
      std::filesystem::create_directories(parent, ec);
    }
    if (ec) {
      err << fmt::format("wsbench: --csv: cannot create '{}': {}\n",
                         parent.string(), ec.message());
      return 2;
    }
    if (absl::Status s = record::CheckWritable(options.csv_path); !s.ok()) {
      err << "wsbench: --csv: " << s.message() << "\n";
      return 2;
    }
  }

  // The plan.
  std::vector<BenchmarkResult> results;
  results.reserve(dims.size() * options.levels.size());
  std::vector<Planned> plan;
  for (const Dimension* d : dims) {
    for (const LoadLevel& level : options.levels) {
      const std::string name = fmt::format("{}/{}", d->name, level.name);
      if (!FilterMatches(filter, negate, name)) continue;
      BenchmarkResult r;
      r.dimension = std::string(d->name);
      r.level = std::string(level.name);
      r.level_index = static_cast<int>(
          std::find_if(kLoadLevels.begin(), kLoadLevels.end(),
                       [&](const LoadLevel& l) { return l.name == level.name; }) -
          kLoadLevels.begin());
      r.ops = level.ops;
      r.item_unit = std::string(d->item_unit);
      const DimensionThresholds* t = thresholds->Find(d->name);
      r.rate_is_items = t != nullptr && t->rate_is_items;
      results.push_back(std::move(r));
      const int64_t passes = std::clamp<int64_t>(
          (options.min_ops_per_repetition + level.ops - 1) / level.ops, 1, 10'000);
      plan.push_back({d, level, results.back().level_index, passes, &results.back()});
    }
  }
  if (options.list) {
    for (const BenchmarkResult& r : results) out << r.name() << "\n";
    return 0;
  }
  if (plan.empty() && !dims.empty()) {
    err << "wsbench: the flags select no benchmark (see --list)\n";
    return 2;
  }

  const BenchClock& clock = BenchClock::Get();
  const bool progress = isatty(STDERR_FILENO) != 0;
  Runner runner(options, *thresholds, clock, err, progress);
  if (options.profile_seconds > 0) {
    std::vector<Planned> one_each = plan;
    const double per = options.profile_seconds / std::max<size_t>(1, plan.size());
    return runner.Profile(one_each, per, out);
  }

  if (dims.empty()) {
    out << "wsbench: no dimensions registered yet (the harnesses are bench/*_bench.cc)\n";
  }
  out << fmt::format(
             "wsbench: {} benchmark(s) x {} repetition(s); timer {} overhead "
             "{:.1f} ns "
             "(subtracted from every latency sample), resolution {:.1f} ns\n",
             plan.size(), options.repetitions, clock.source_name(),
             clock.overhead_ns(), clock.resolution_ns())
      << std::flush;
  runner.RunAll(plan);

  // Keep only what finished; note why the run is partial.
  record::RunInfo info;
  info.complete = true;
  const int signal_number = StopSignal();
  int failed = 0, unfinished = 0;
  for (const BenchmarkResult& r : results) {
    if (r.error) ++failed;
    if (!r.error && static_cast<int>(r.repetitions.size()) < options.repetitions) ++unfinished;
  }
  std::vector<BenchmarkResult> finished;
  for (BenchmarkResult& r : results) {
    if (r.error || !r.repetitions.empty()) finished.push_back(std::move(r));
  }
  if (signal_number != 0) {
    info.complete = false;
    info.partial_reason = fmt::format(
        "interrupted by {} with {} of {} benchmark(s) unfinished",
        signal_number == SIGINT    ? "SIGINT"
        : signal_number == SIGTERM ? "SIGTERM"
        : signal_number == SIGHUP  ? "SIGHUP"
                                   : fmt::format("signal {}", signal_number),
        unfinished, plan.size());
  } else if (failed > 0) {
    info.complete = false;
    info.partial_reason = fmt::format("{} benchmark(s) failed their checks", failed);
  }
  info.command_line = options.command_line;
  info.seed = options.seed;
  info.repetitions = options.repetitions;
  info.invalid_share = options.invalid_share;
  info.fingerprint = CurrentFingerprint();
  info.timer.source = std::string(clock.source_name());
  info.timer.overhead_ns = clock.overhead_ns();
  info.timer.ticks_per_ns = clock.ticks_per_ns();
  info.timer.resolution_ns = clock.resolution_ns();
  for (const LoadLevel& l : options.levels) info.levels.emplace_back(l.name);
  for (const Dimension* d : dims) info.dimensions.emplace_back(d->name);
  info.peak_rss_bytes = PeakRssBytes();
  info.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  const std::vector<record::Degradation> degradation = ComputeDegradation(finished);
  out << RenderSummary(info, finished, degradation, &*thresholds, SummaryFormat::kText,
                       isatty(STDOUT_FILENO) != 0);
  for (const BenchmarkResult& r : finished) {
    if (r.error) out << fmt::format("FAILED {}: {}\n", r.name(), r.error_message);
  }
  int code = signal_number != 0 ? 128 + signal_number : failed > 0 ? 1 : 0;
  const std::string json =
      options.out_dir.empty() && options.csv_path.empty()
          ? std::string()
          : ResultsJson(info, finished, degradation, &*thresholds);
  if (!options.out_dir.empty()) {
    const std::string md = RenderSummary(info, finished, degradation, &*thresholds,
                                         SummaryFormat::kMarkdown, true);
    std::vector<std::pair<std::string, const std::string*>> files = {
        {"results.json", &json}, {"summary.md", &md}};
    // The report is drawn from the results.json text just written, so it is
    // the page wsbench-report would draw from that file.
    std::string html;
    absl::StatusOr<std::string> report =
        report::RenderRunReport(json, &*thresholds, thresholds_path);
    if (report.ok()) {
      html = *std::move(report);
      files.emplace_back("report.html", &html);
    } else {
      err << "wsbench: no report.html: " << report.status().message() << "\n";
    }
    std::vector<std::string> written;
    for (const auto& [name, content] : files) {
      const std::string file = options.out_dir + "/" + name;
      if (absl::Status s = record::WriteFileAtomically(file, *content); !s.ok()) {
        err << "wsbench: " << s.message() << "\n";
        if (code == 0) code = 2;
      } else {
        written.push_back(file);
      }
    }
    if (!written.empty()) {
      out << fmt::format("Wrote {}{}\n", fmt::join(written, ", "),
                         info.complete ? "" : " (partial)");
    }
  }
  if (!options.csv_path.empty()) {
    // Drawn from the results.json text, like the report: the CSV of a run
    // is the CSV wsbench-report --csv writes from its results.json.
    absl::StatusOr<record::ResultsFile> parsed_run =
        record::ParseResults(json, "results.json");
    absl::Status s =
        parsed_run.ok() ? record::WriteResultsCsv(options.csv_path, *parsed_run)
                        : parsed_run.status();
    if (!s.ok()) {
      err << "wsbench: --csv: " << s.message() << "\n";
      if (code == 0) code = 2;
    } else {
      out << fmt::format("Wrote {}{}\n", options.csv_path,
                         info.complete ? "" : " (partial)");
    }
  }
  if (signal_number != 0) err << "wsbench: " << info.partial_reason << "\n";
  return code;
}

}  // namespace wsbench::bench

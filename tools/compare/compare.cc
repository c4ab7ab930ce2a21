#include "compare.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <set>

#include "fmt/format.h"
#include "stats.h"

namespace wsbench::compare {
namespace {

using record::BenchmarkRun;
using record::Median;
using record::ResultsFile;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Repetition values of `key`, falling back to the aggregate median when a
// file carries aggregates only.
std::vector<double> Values(const ResultsFile& file, const std::string& name,
                           const std::string& key) {
  std::vector<double> values = file.RepetitionValues(name, key);
  if (values.empty()) {
    if (const BenchmarkRun* median = file.Aggregate(name, "median")) {
      if (auto v = median->Number(key)) values.push_back(*v);
    }
  }
  return values;
}

// Why a latency row cannot be compared because its definition differs
// between the sides ("" when it does not).
std::string RuleMismatch(const std::string& base_rule,
                         const std::string& next_rule) {
  if (base_rule.empty() || next_rule.empty()) return {};
  const bool mixed = base_rule.find(" | ") != std::string::npos ||
                     next_rule.find(" | ") != std::string::npos;
  if (base_rule == next_rule && !mixed) return {};
  return fmt::format("not gated: latency rule differs (base {}, new {})",
                     base_rule, next_rule);
}

// A repetition's value of one metric and the machine probe around it.
struct ProbedValue {
  double value;
  double probe_ns;  // NaN when the repetition has no probe
};

std::vector<ProbedValue> ProbedValues(const ResultsFile& file, const std::string& name,
                                      const std::string& key) {
  std::vector<ProbedValue> out;
  for (const BenchmarkRun& run : file.runs) {
    if (run.run_type != record::RunType::kIteration || run.run_name != name ||
        run.failed()) {
      continue;
    }
    if (std::optional<double> v = run.Number(key)) {
      out.push_back({*v, run.Number("probe_ns").value_or(kNaN)});
    }
  }
  return out;
}

// Values of repetitions whose probe is within `drift` of `reference`
// (all of them when either is unknown); counts the others in `dropped`.
std::vector<double> KeepSteady(const std::vector<ProbedValue>& values, double reference,
                               double drift, int& dropped) {
  std::vector<double> kept;
  for (const ProbedValue& v : values) {
    if (drift > 0 && std::isfinite(reference) && reference > 0 && std::isfinite(v.probe_ns) &&
        std::abs(v.probe_ns / reference - 1) > drift) {
      ++dropped;
      continue;
    }
    kept.push_back(v.value);
  }
  return kept;
}

std::string LevelOf(const ResultsFile& file, const std::string& name) {
  for (const BenchmarkRun& run : file.runs) {
    if (run.run_name == name && !run.level.empty()) return run.level;
  }
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? std::string() : name.substr(slash + 1);
}

// Milliseconds of one measured pass (ops / ops_per_second), NaN if unknown.
double PassMs(const ResultsFile& file, const std::string& name) {
  double ops = Median(file.RepetitionValues(name, "ops"));
  double rate = Median(file.RepetitionValues(name, "ops_per_second"));
  if (!(ops > 0) || !(rate > 0)) return kNaN;
  return ops / rate * 1e3;
}

bool IsWorse(const MetricSpec& m, double lo, double hi, double threshold) {
  return m.higher_is_better ? hi < 1.0 - threshold : lo > 1.0 + threshold;
}
bool IsBetter(const MetricSpec& m, double lo, double hi, double threshold) {
  return m.higher_is_better ? lo > 1.0 + threshold : hi < 1.0 - threshold;
}

MetricRow NewRow(const std::string& name, const MetricSpec& m) {
  MetricRow row;
  row.benchmark = name;
  row.metric = m.key;
  row.label = m.label;
  row.unit = m.unit;
  row.kind = m.kind;
  row.higher_is_better = m.higher_is_better;
  return row;
}

void JudgeDeterministic(const MetricSpec& m, const std::vector<double>& base,
                        const std::vector<double>& next, MetricRow& row) {
  if (m.use_min) {
    row.base = *std::min_element(base.begin(), base.end());
    row.next = *std::min_element(next.begin(), next.end());
  } else {
    row.base = Median(base);
    row.next = Median(next);
  }
  row.base_n = static_cast<int>(base.size());
  row.next_n = static_cast<int>(next.size());
  row.change_pct = row.base != 0 ? (row.next / row.base - 1) * 100
                                 : (row.next == 0 ? 0 : kNaN);
  double slack = std::fabs(row.base) * m.tolerance_pct / 100 + m.tolerance_abs;
  bool up = row.next > row.base + slack;
  bool down = row.next < row.base - slack;
  bool worse = m.higher_is_better ? down : up;
  bool better = m.higher_is_better ? up : down;
  row.verdict = worse ? Verdict::kRegressed
                      : better ? Verdict::kImproved : Verdict::kUnchanged;
  row.gated = true;
  row.note = fmt::format("exact{}: tolerance {}% + {}", m.use_min ? " (min)" : "",
                         m.tolerance_pct, m.tolerance_abs);
}

void AddPresenceRow(Comparison& c, const std::string& name, Verdict verdict,
                    bool gated) {
  MetricRow row;
  row.benchmark = name;
  row.metric = "-";
  row.label = "-";
  row.base = kNaN;
  row.next = kNaN;
  row.change_pct = kNaN;
  row.verdict = verdict;
  row.gated = gated;
  row.note = verdict == Verdict::kNew ? "only in the new run"
                                      : "only in the base run";
  c.rows.push_back(std::move(row));
}

void Tally(Comparison& c, const GateConfig& config) {
  c.regressions = 0;
  c.improvements = 0;
  for (const MetricRow& row : c.rows) {
    if (row.verdict == Verdict::kRegressed && row.gated) ++c.regressions;
    if (row.verdict == Verdict::kMissing && row.metric == "-" &&
        config.fail_on_missing) {
      ++c.regressions;
    }
    if (row.verdict == Verdict::kImproved && row.gated) ++c.improvements;
  }
}

std::vector<std::string> UnionNames(const ResultsFile& base,
                                    const ResultsFile& next) {
  std::vector<std::string> names = base.BenchmarkNames();
  std::set<std::string> seen(names.begin(), names.end());
  for (const std::string& n : next.BenchmarkNames()) {
    if (seen.insert(n).second) names.push_back(n);
  }
  return names;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += out.empty() ? l : "; " + l;
  return out;
}

void AddFingerprintNote(Comparison& c) {
  if (c.fingerprint_mismatches.empty()) return;
  std::string fields;
  for (const std::string& f : c.fingerprint_mismatches) {
    fields += fields.empty() ? f : ", " + f;
  }
  c.notes.insert(c.notes.begin(),
                 fmt::format("fingerprints differ ({}): time metrics shown, "
                             "not gated (tools/gate then gates time on an A/B "
                             "run of the baseline's revision); allocs/op still "
                             "gated, instructions/op too when the code path "
                             "matches",
                             fields));
}

// Whether instruction counts of `base` and `next` ran the same code path:
// the differences go to c.code_path_differences; returns the note of a gated
// row. Without a recorded code path on either side (files from before it was
// recorded) the build identity stands in for it.
std::string JudgeCodePath(const ResultsFile& base, const ResultsFile& next,
                          Comparison& c) {
  CodePath a = ReadCodePath(base).value_or(CodePath{});
  CodePath b = ReadCodePath(next).value_or(CodePath{});
  if (a.recorded && b.recorded) {
    c.code_path_differences = CodePathDifferences(a, b);
    return "same code path";
  }
  const auto& fa = base.info.fingerprint;
  const auto& fb = next.info.fingerprint;
  auto field = [&](const char* name, const std::string& x, const std::string& y) {
    if (x != y) c.code_path_differences.push_back(fmt::format("{}: {} -> {}", name, x, y));
  };
  field("compiler", fa.compiler, fb.compiler);
  field("cxx_flags", fa.cxx_flags, fb.cxx_flags);
  field("build_type", fa.build_type, fb.build_type);
  return fmt::format("{} records no code path; same compiler and flags",
                     a.recorded ? "the new run" : "the base");
}

// Gating of an instructions/op row by the code path (see JudgeCodePath).
void GateInstructions(const Comparison& c, const std::string& path_note,
                      MetricRow& row) {
  if (!c.code_path_differences.empty()) {
    row.gated = false;
    row.note = "not gated: code path differs (" +
               JoinLines(c.code_path_differences) + ")";
  } else {
    row.note += "; " + path_note;
  }
}

// Sets c.no_comparison when nothing counts toward the verdict.
void CheckSomethingCompared(Comparison& c, const ResultsFile& base,
                            const ResultsFile& next) {
  if (c.compared_benchmarks == 0) {
    c.no_comparison = fmt::format(
        "no benchmark of {} ({} names) matched one of {} ({} names)",
        next.path, next.BenchmarkNames().size(), base.path,
        base.BenchmarkNames().size());
    return;
  }
  for (const MetricRow& row : c.rows) {
    if (row.gated && row.metric != "-") return;
  }
  std::string why;
  for (const MetricRow& row : c.rows) {
    if (!row.note.empty() && why.find(row.note) == std::string::npos) {
      why += why.empty() ? row.note : "; " + row.note;
      if (why.size() > 300) break;
    }
  }
  c.no_comparison = fmt::format(
      "{} benchmarks matched but no metric could be gated ({})",
      c.compared_benchmarks, why.empty() ? "no metric in common" : why);
}

}  // namespace

std::vector<double> RepetitionProbes(const ResultsFile& file) {
  std::vector<double> probes;
  for (const BenchmarkRun& run : file.runs) {
    if (run.run_type != record::RunType::kIteration || run.failed()) continue;
    if (auto probe = run.Number("probe_ns"); probe && *probe > 0) probes.push_back(*probe);
  }
  return probes;
}

double MedianProbeNs(const ResultsFile& file) {
  std::vector<double> probes = RepetitionProbes(file);
  return probes.empty() ? kNaN : Median(probes);
}

double MedianProbeNs(const ResultsFile& file, const std::string& name) {
  std::vector<double> probes;
  for (const BenchmarkRun& run : file.runs) {
    if (run.run_type != record::RunType::kIteration || run.failed() ||
        run.run_name != name) {
      continue;
    }
    if (auto probe = run.Number("probe_ns"); probe && *probe > 0) probes.push_back(*probe);
  }
  return probes.empty() ? kNaN : Median(probes);
}

double Contention(const ResultsFile& file) {
  std::vector<double> ratios;
  for (const BenchmarkRun& run : file.runs) {
    if (run.run_type != record::RunType::kIteration || run.failed()) continue;
    auto real = run.Number("real_time");
    auto cpu = run.Number("cpu_time");
    if (real && cpu && *real > 0 && *cpu > 0) ratios.push_back(*real / *cpu);
  }
  return Median(ratios);
}

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kImproved: return "improved";
    case Verdict::kUnchanged: return "unchanged";
    case Verdict::kRegressed: return "regressed";
    case Verdict::kNew: return "new";
    case Verdict::kMissing: return "missing";
  }
  return "?";
}

namespace {

bool IsPlain(const ResultsFile& file) {
  return file.info.kind == record::kGoogleBenchmarkKind;
}

// `file` with real_time and cpu_time in nanoseconds (Google Benchmark
// writes them in each entry's time_unit).
ResultsFile InNanoseconds(ResultsFile file) {
  for (BenchmarkRun& run : file.runs) {
    auto unit = run.strings.find("time_unit");
    if (unit == run.strings.end()) continue;
    const double scale = unit->second == "us"   ? 1e3
                         : unit->second == "ms" ? 1e6
                         : unit->second == "s"  ? 1e9
                                                : 1.0;
    for (const char* key : {"real_time", "cpu_time"}) {
      auto it = run.numbers.find(key);
      if (it != run.numbers.end()) it->second *= scale;
    }
    unit->second = "ns";
  }
  return file;
}

// The rules for plain Google Benchmark files: their own real_time and
// cpu_time per repetition, at the throughput metric's thresholds; no levels,
// pass lengths or machine probes to go by.
GateConfig PlainConfig(const GateConfig& config) {
  GateConfig plain = config;
  plain.time_levels.clear();
  plain.min_pass_ms = 0;
  plain.max_probe_drift = 0;
  MetricSpec time;
  for (const MetricSpec& m : config.metrics) {
    if (m.kind == MetricKind::kTime) {
      time = m;
      break;
    }
  }
  time.unit = "ns";
  time.higher_is_better = false;
  plain.metrics.clear();
  for (auto [key, label] : {std::pair{"real_time", "real time"},
                            std::pair{"cpu_time", "CPU time"}}) {
    time.key = key;
    time.label = label;
    plain.metrics.push_back(time);
  }
  return plain;
}

Comparison CompareFiles(const ResultsFile& base, const ResultsFile& next,
                        const GateConfig& config);

}  // namespace

Comparison Compare(const ResultsFile& base, const ResultsFile& next,
                   const GateConfig& config) {
  if (!IsPlain(base) && !IsPlain(next)) return CompareFiles(base, next, config);
  const GateConfig plain = PlainConfig(config);
  Comparison c = CompareFiles(InNanoseconds(base), InNanoseconds(next), plain);
  c.notes.insert(c.notes.begin(),
                 fmt::format("Google Benchmark file{} without wsbench context: "
                             "compared on real_time and cpu_time per repetition "
                             "(threshold {}%)",
                             IsPlain(base) && IsPlain(next) ? "s" : "",
                             plain.metrics.front().threshold_pct));
  return c;
}

namespace {

Comparison CompareFiles(const ResultsFile& base, const ResultsFile& next,
                        const GateConfig& config) {
  Comparison c;
  c.base_path = base.path;
  c.next_path = next.path;
  c.base_revision = base.info.fingerprint.git_revision;
  c.next_revision = next.info.fingerprint.git_revision;
  c.fingerprint_mismatches = record::FingerprintMismatches(
      base.info.fingerprint, next.info.fingerprint);
  c.base_contention = Contention(base);
  c.next_contention = Contention(next);
  c.busy = config.max_contention > 0 &&
           (c.base_contention > config.max_contention ||
            c.next_contention > config.max_contention);
  const std::string path_note = JudgeCodePath(base, next, c);
  // The probe is only comparable on the same machine profile.
  const double probe_drift =
      c.fingerprint_mismatches.empty() ? config.max_probe_drift : 0.0;
  c.base_probe_ns = MedianProbeNs(base);
  c.next_probe_ns = MedianProbeNs(next);
  std::set<std::string> base_names, next_names;
  for (const auto& n : base.BenchmarkNames()) base_names.insert(n);
  for (const auto& n : next.BenchmarkNames()) next_names.insert(n);
  int short_passes = 0;

  for (const std::string& name : UnionNames(base, next)) {
    if (!next_names.count(name)) {
      AddPresenceRow(c, name, Verdict::kMissing, config.fail_on_missing);
      continue;
    }
    if (!base_names.count(name)) {
      AddPresenceRow(c, name, Verdict::kNew, false);
      continue;
    }
    ++c.compared_benchmarks;
    const std::string level = LevelOf(next, name);
    const double pass_ms = PassMs(base, name);
    for (const MetricSpec& m : config.metrics) {
      std::vector<double> xs = Values(base, name, m.key);
      std::vector<double> ys = Values(next, name, m.key);
      // Repetitions whose figure lies below the timer's resolution (null in
      // the file): not a number that can be compared.
      const std::string flag = record::BelowResolutionKey(m.key);
      const int below_x = flag.empty() ? 0 : base.CountTrue(name, flag);
      const int below_y = flag.empty() ? 0 : next.CountTrue(name, flag);
      if (xs.empty() && ys.empty() && below_x + below_y == 0) continue;
      MetricRow row = NewRow(name, m);
      // A percentile whose sampling rule differs is a different figure.
      const std::string mismatch =
          flag.empty()
              ? std::string()
              : RuleMismatch(base.LatencyRule(name), next.LatencyRule(name));
      if (!mismatch.empty()) {
        row.base = xs.empty() ? kNaN : Median(xs);
        row.next = ys.empty() ? kNaN : Median(ys);
        row.change_pct = kNaN;
        row.base_n = static_cast<int>(xs.size());
        row.next_n = static_cast<int>(ys.size());
        row.gated = false;
        row.note = mismatch;
        c.rows.push_back(std::move(row));
        continue;
      }
      if (below_x + below_y > 0) {
        row.base = below_x > 0 || xs.empty() ? kNaN : Median(xs);
        row.next = below_y > 0 || ys.empty() ? kNaN : Median(ys);
        row.change_pct = kNaN;
        row.base_n = static_cast<int>(xs.size());
        row.next_n = static_cast<int>(ys.size());
        row.gated = false;
        row.note = fmt::format(
            "not gated: below the timer's resolution in {} of {} base and {} "
            "of {} new "
            "repetitions",
            below_x, below_x + static_cast<int>(xs.size()), below_y,
            below_y + static_cast<int>(ys.size()));
        c.rows.push_back(std::move(row));
        continue;
      }
      if (xs.empty() || ys.empty()) {
        row.verdict = xs.empty() ? Verdict::kNew : Verdict::kMissing;
        row.base = xs.empty() ? kNaN : Median(xs);
        row.next = ys.empty() ? kNaN : Median(ys);
        row.change_pct = kNaN;
        row.base_n = static_cast<int>(xs.size());
        row.next_n = static_cast<int>(ys.size());
        row.gated = false;
        row.note = xs.empty() ? "metric only in the new run"
                              : "metric only in the base run";
        c.rows.push_back(std::move(row));
        continue;
      }
      if (m.kind == MetricKind::kDeterministic) {
        JudgeDeterministic(m, xs, ys, row);
        if (m.key == "instructions_per_op") GateInstructions(c, path_note, row);
        c.rows.push_back(std::move(row));
        continue;
      }
      // Time statistics use only repetitions measured at the baseline's
      // machine speed (when both sides carry probes).
      bool probe_short = false;
      if (probe_drift > 0 && std::isfinite(c.base_probe_ns)) {
        std::vector<ProbedValue> px = ProbedValues(base, name, m.key);
        std::vector<ProbedValue> py = ProbedValues(next, name, m.key);
        if (px.size() == xs.size() && py.size() == ys.size()) {
          int dropped_x = 0, dropped_y = 0;
          // Against this benchmark's own base probe: what the workload
          // leaves in the caches moves the probe from one benchmark to the
          // next (see KeepUnhinderedRepetitions).
          double reference = MedianProbeNs(base, name);
          if (!std::isfinite(reference)) reference = c.base_probe_ns;
          std::vector<double> kx = KeepSteady(px, reference, probe_drift, dropped_x);
          std::vector<double> ky = KeepSteady(py, reference, probe_drift, dropped_y);
          if (m.key == config.metrics.front().key) {
            c.probe_dropped_base += dropped_x;
            c.probe_dropped_next += dropped_y;
            c.probe_total_base += static_cast<int>(px.size());
            c.probe_total_next += static_cast<int>(py.size());
          }
          if (static_cast<int>(kx.size()) < config.min_repetitions ||
              static_cast<int>(ky.size()) < config.min_repetitions) {
            probe_short = true;  // judged on all repetitions, not gated
          } else {
            xs = std::move(kx);
            ys = std::move(ky);
          }
        }
      }
      row.base = Median(xs);
      row.next = Median(ys);
      row.base_n = static_cast<int>(xs.size());
      row.next_n = static_cast<int>(ys.size());
      row.change_pct = row.base != 0 ? (row.next / row.base - 1) * 100 : kNaN;
      MannWhitneyResult u = MannWhitneyU(xs, ys);
      row.p_value = u.p_value;
      RatioInterval ci = BootstrapRatioOfMedians(
          xs, ys, config.confidence, config.bootstrap_iterations,
          config.bootstrap_seed);
      const double threshold = m.threshold_pct / 100;
      if (std::isfinite(ci.lo) && std::isfinite(ci.hi)) {
        row.has_ci = true;
        row.ci_lo_pct = (ci.lo - 1) * 100;
        row.ci_hi_pct = (ci.hi - 1) * 100;
        bool significant = u.p_value < config.alpha;
        if (significant && IsWorse(m, ci.lo, ci.hi, threshold)) {
          row.verdict = Verdict::kRegressed;
        } else if (significant && IsBetter(m, ci.lo, ci.hi, threshold)) {
          row.verdict = Verdict::kImproved;
        }
      }
      // Why this row does not count, if it does not.
      if (!c.fingerprint_mismatches.empty()) {
        row.gated = false;
        row.note = "time not gated: fingerprints differ";
      } else if (c.busy) {
        row.gated = false;
        row.note = "time not gated: machine busy";
      } else if (row.base_n < config.min_repetitions ||
                 row.next_n < config.min_repetitions) {
        row.gated = false;
        row.note = fmt::format("time not gated: fewer than {} repetitions",
                               config.min_repetitions);
      } else if (!config.time_levels.empty() &&
                 std::find(config.time_levels.begin(), config.time_levels.end(),
                           level) == config.time_levels.end()) {
        row.gated = false;
        row.note = fmt::format("time not gated at level '{}'", level);
      } else if (config.min_pass_ms > 0 && std::isfinite(pass_ms) &&
                 pass_ms < config.min_pass_ms) {
        row.gated = false;
        row.note = fmt::format("time not gated: pass {:.3g} ms < {} ms",
                               pass_ms, config.min_pass_ms);
        ++short_passes;
      } else if (probe_short) {
        row.gated = false;
        row.note = fmt::format(
            "time not gated: fewer than {} repetitions at the baseline's machine speed",
            config.min_repetitions);
        ++c.probe_ungated_rows;
      } else {
        row.note = fmt::format("threshold {}%", m.threshold_pct);
      }
      c.rows.push_back(std::move(row));
    }
  }
  AddFingerprintNote(c);
  if (!c.code_path_differences.empty()) {
    c.notes.push_back("instructions/op not gated: the code path differs (" +
                      JoinLines(c.code_path_differences) + ")");
  }
  if (c.busy) {
    c.notes.push_back(fmt::format(
        "machine busy: wall time was {:.2f}x CPU time in the base run and "
        "{:.2f}x in the new run (limit {}): time metrics shown, not gated; "
        "allocs/op and instructions/op still gated",
        c.base_contention, c.next_contention, config.max_contention));
  }
  if (probe_drift > 0 && std::isfinite(c.base_probe_ns)) {
    if (!std::isfinite(c.next_probe_ns)) {
      c.notes.push_back("machine probe: the new run has no probe_ns; time statistics use every repetition");
    } else if (c.probe_dropped_base + c.probe_dropped_next > 0) {
      c.notes.push_back(fmt::format(
          "machine probe: {:.1f} us base, {:.1f} us new ({:+.1f}%); repetitions measured more "
          "than {:.0f}% off the same benchmark's probe in the base were left out of time statistics "
          "({} of {} base, {} of {} new){}",
          c.base_probe_ns / 1e3, c.next_probe_ns / 1e3,
          (c.next_probe_ns / c.base_probe_ns - 1) * 100, probe_drift * 100,
          c.probe_dropped_base, c.probe_total_base, c.probe_dropped_next, c.probe_total_next,
          c.probe_ungated_rows > 0
              ? fmt::format("; {} time rows had too few left and are not gated",
                            c.probe_ungated_rows)
              : std::string()));
    }
  }
  if (!config.time_levels.empty()) {
    std::string levels;
    for (const auto& l : config.time_levels) levels += levels.empty() ? l : ", " + l;
    c.notes.push_back(fmt::format(
        "time metrics gated only at levels: {} (shorter levels are timer/"
        "scheduler noise on a shared machine; see the gate config)",
        levels));
  }
  if (short_passes > 0) {
    c.notes.push_back(fmt::format(
        "{} time rows not gated: measured pass shorter than {} ms",
        short_passes, config.min_pass_ms));
  }
  Tally(c, config);
  CheckSomethingCompared(c, base, next);
  return c;
}

}  // namespace

Comparison CompareAb(
    const std::vector<std::pair<const ResultsFile*, const ResultsFile*>>& pairs,
    const GateConfig& config) {
  Comparison c;
  c.mode = "ab";
  const ResultsFile& a0 = *pairs.front().first;
  const ResultsFile& b0 = *pairs.front().second;
  c.base_path = a0.path;
  c.next_path = b0.path;
  c.base_revision = a0.info.fingerprint.git_revision;
  c.next_revision = b0.info.fingerprint.git_revision;
  c.fingerprint_mismatches =
      record::FingerprintMismatches(a0.info.fingerprint, b0.info.fingerprint);
  // A and B are built from different revisions with the same toolchain on the
  // same machine; a flags difference is what is being measured, so only the
  // machine identity matters here.
  c.fingerprint_mismatches.erase(
      std::remove_if(c.fingerprint_mismatches.begin(),
                     c.fingerprint_mismatches.end(),
                     [](const std::string& f) {
                       return f != "cpu_model" && f != "cores";
                     }),
      c.fingerprint_mismatches.end());
  std::vector<double> a_contention, b_contention;
  for (const auto& [a, b] : pairs) {
    a_contention.push_back(Contention(*a));
    b_contention.push_back(Contention(*b));
  }
  c.base_contention = Median(a_contention);
  c.next_contention = Median(b_contention);
  // Interleaving cancels slow drifts in load, so A/B tolerates a busier
  // machine than a stored baseline does; a starved run is still refused.
  c.busy = config.max_contention > 0 &&
           (c.base_contention > 2 * config.max_contention ||
            c.next_contention > 2 * config.max_contention);
  const bool time_gated = c.fingerprint_mismatches.empty() && !c.busy;
  std::set<std::string> b_names;
  for (const auto& n : b0.BenchmarkNames()) b_names.insert(n);
  std::set<std::string> a_names;
  for (const auto& n : a0.BenchmarkNames()) a_names.insert(n);

  for (const std::string& name : UnionNames(a0, b0)) {
    if (!b_names.count(name)) {
      AddPresenceRow(c, name, Verdict::kMissing, config.fail_on_missing);
      continue;
    }
    if (!a_names.count(name)) {
      AddPresenceRow(c, name, Verdict::kNew, false);
      continue;
    }
    ++c.compared_benchmarks;
    const std::string level = LevelOf(b0, name);
    for (const MetricSpec& m : config.metrics) {
      std::vector<double> all_a, all_b, ratios, log_ratios, a_medians, b_medians;
      const std::string flag = record::BelowResolutionKey(m.key);
      int below = 0;
      for (const auto& [a, b] : pairs) {
        std::vector<double> xs = Values(*a, name, m.key);
        std::vector<double> ys = Values(*b, name, m.key);
        if (!flag.empty())
          below += a->CountTrue(name, flag) + b->CountTrue(name, flag);
        all_a.insert(all_a.end(), xs.begin(), xs.end());
        all_b.insert(all_b.end(), ys.begin(), ys.end());
        if (xs.empty() || ys.empty()) continue;
        double ma = Median(xs), mb = Median(ys);
        a_medians.push_back(ma);
        b_medians.push_back(mb);
        if (ma > 0 && mb > 0) {
          ratios.push_back(mb / ma);
          log_ratios.push_back(std::log(mb / ma));
        }
      }
      if (all_a.empty() && all_b.empty() && below == 0) continue;
      MetricRow row = NewRow(name, m);
      std::string mismatch;
      if (!flag.empty()) {
        for (const auto& [a, b] : pairs) {
          mismatch = RuleMismatch(a->LatencyRule(name), b->LatencyRule(name));
          if (!mismatch.empty()) break;
        }
      }
      if (!mismatch.empty()) {
        row.base = kNaN;
        row.next = kNaN;
        row.change_pct = kNaN;
        row.gated = false;
        row.note = mismatch;
        c.rows.push_back(std::move(row));
        continue;
      }
      if (below > 0) {
        row.base = kNaN;
        row.next = kNaN;
        row.change_pct = kNaN;
        row.gated = false;
        row.note = fmt::format(
            "not gated: below the timer's resolution in {} repetitions", below);
        c.rows.push_back(std::move(row));
        continue;
      }
      if (all_a.empty() || all_b.empty()) {
        row.verdict = all_a.empty() ? Verdict::kNew : Verdict::kMissing;
        row.base = Median(all_a);
        row.next = Median(all_b);
        row.change_pct = kNaN;
        row.gated = false;
        row.note = "metric only on one side";
        c.rows.push_back(std::move(row));
        continue;
      }
      if (m.kind == MetricKind::kDeterministic) {
        JudgeDeterministic(m, all_a, all_b, row);
        c.rows.push_back(std::move(row));
        continue;
      }
      row.base = Median(a_medians);
      row.next = Median(b_medians);
      row.base_n = static_cast<int>(a_medians.size());
      row.next_n = static_cast<int>(b_medians.size());
      RatioInterval ci = BootstrapPairedRatio(
          ratios, config.confidence, config.bootstrap_iterations,
          config.bootstrap_seed);
      WilcoxonResult w = WilcoxonSignedRank(log_ratios);
      row.p_value = w.p_value;
      row.change_pct = std::isfinite(ci.ratio) ? (ci.ratio - 1) * 100 : kNaN;
      const double threshold = m.ab_threshold_pct / 100;
      if (std::isfinite(ci.lo) && std::isfinite(ci.hi)) {
        row.has_ci = true;
        row.ci_lo_pct = (ci.lo - 1) * 100;
        row.ci_hi_pct = (ci.hi - 1) * 100;
        bool significant = w.p_value < config.alpha;
        if (significant && IsWorse(m, ci.lo, ci.hi, threshold)) {
          row.verdict = Verdict::kRegressed;
        } else if (significant && IsBetter(m, ci.lo, ci.hi, threshold)) {
          row.verdict = Verdict::kImproved;
        }
      }
      if (!time_gated) {
        row.gated = false;
        row.note = c.busy ? "time not gated: machine busy"
                          : "time not gated: A and B ran on different machines";
      } else if (!config.time_levels.empty() &&
                 std::find(config.time_levels.begin(), config.time_levels.end(),
                           level) == config.time_levels.end()) {
        row.gated = false;
        row.note = fmt::format("time not gated at level '{}'", level);
      } else {
        row.note = fmt::format("paired, threshold {}%", m.ab_threshold_pct);
      }
      c.rows.push_back(std::move(row));
    }
  }
  AddFingerprintNote(c);
  if (c.busy) {
    c.notes.push_back(fmt::format(
        "machine busy: wall time was {:.2f}x (A) and {:.2f}x (B) CPU time "
        "(limit {}): time metrics shown, not gated",
        c.base_contention, c.next_contention, 2 * config.max_contention));
  }
  c.notes.push_back(fmt::format(
      "A/B: {} interleaved pairs; change = geometric mean of per-pair ratios "
      "of medians, p = exact Wilcoxon signed-rank on log ratios",
      pairs.size()));
  if (pairs.size() < 6) {
    c.notes.push_back(
        "fewer than 6 pairs: the two-sided signed-rank test cannot reach "
        "p < 0.05, so no time verdict is possible");
  }
  Tally(c, config);
  CheckSomethingCompared(c, a0, b0);
  return c;
}

int ExitCode(const Comparison& c) {
  if (c.regressions > 0) return 1;
  return c.no_comparison.empty() ? 0 : 2;
}

}  // namespace wsbench::compare

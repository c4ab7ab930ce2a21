#include "results_json.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <sstream>

#include "benchmark/benchmark.h"
#include "fmt/format.h"

namespace wsbench::bench {
namespace {

std::string Quote(std::string_view s) { return "\"" + JsonEscape(s) + "\""; }

// Emits `"key": value` members separated by ",\n" at a fixed indent.
class Members {
 public:
  Members(std::string& out, int indent) : out_(out), indent_(indent, ' ') {}
  void Raw(std::string_view key, std::string_view raw) {
    if (!first_) out_ += ",\n";
    first_ = false;
    out_ += indent_;
    out_ += Quote(key);
    out_ += ": ";
    out_ += raw;
  }
  void Str(std::string_view key, std::string_view value) { Raw(key, Quote(value)); }
  void Num(std::string_view key, double value) { Raw(key, JsonNumber(value)); }
  void Int(std::string_view key, int64_t value) { Raw(key, fmt::format("{}", value)); }
  void Bool(std::string_view key, bool value) { Raw(key, value ? "true" : "false"); }

 private:
  std::string& out_;
  std::string indent_;
  bool first_ = true;
};

std::string StringArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += Quote(items[i]);
  }
  return out + "]";
}

// Fields every entry of a benchmark shares.
void CommonFields(Members& m, const BenchmarkResult& r) {
  m.Str("dimension", r.dimension);
  m.Str("level", r.level);
  m.Int("ops", r.ops);
  m.Str("ops_note", r.ops_note);
  m.Num("items_per_op", r.items_per_op);
  m.Str("item_unit", r.item_unit);
}

// real_time and cpu_time first (Google Benchmark's order), then the rest.
void Numbers(Members& m, const std::map<std::string, double>& numbers) {
  for (const char* key : {"real_time", "cpu_time"}) {
    auto it = numbers.find(key);
    m.Num(key, it == numbers.end() ? 0.0 : it->second);
  }
  m.Str("time_unit", "ns");
  for (const auto& [key, value] : numbers) {
    if (key == "real_time" || key == "cpu_time") continue;
    m.Num(key, value);
  }
}

void Entry(std::string& out, const std::function<void(Members&)>& fill) {
  out += "    {\n";
  Members m(out, 6);
  fill(m);
  out += "\n    }";
}

}  // namespace

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string JsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  return fmt::format("{}", value);
}

std::string GoogleBenchmarkContextMembers() {
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
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    return "\"library_build_type\": \"unknown\"";
  }
  std::string members = text.substr(begin + open.size(), end - begin - open.size());
  // Drop the leading newline so the caller controls layout.
  while (!members.empty() && (members.front() == '\n')) members.erase(members.begin());
  return members;
}

std::string ResultsJson(const SuiteRunInfo& info, const std::vector<BenchmarkResult>& results,
                        const std::vector<Degradation>& degradation,
                        const Thresholds* thresholds) {
  std::string out = "{\n  \"context\": {\n";
  if (!info.benchmark_context.empty()) {
    out += info.benchmark_context;
    out += ",\n";
  }
  out += "    \"wsbench\": {\n";
  {
    Members w(out, 6);
    w.Str("version", SuiteVersion());
    w.Bool("complete", info.complete);
    if (!info.complete) w.Str("partial_reason", info.partial_reason);
    w.Str("command_line", info.command_line);
    w.Raw("seed", fmt::format("{}", info.seed));
    w.Int("repetitions", info.repetitions);
    w.Num("invalid_share", info.invalid_share);
    std::string fp = "{\n";
    {
      Members f(fp, 8);
      f.Str("cpu_model", info.fingerprint.cpu_model);
      f.Int("cores", info.fingerprint.cores);
      f.Str("compiler", info.fingerprint.compiler);
      f.Str("cxx_flags", info.fingerprint.cxx_flags);
      f.Str("build_type", info.fingerprint.build_type);
      f.Str("git_revision", info.fingerprint.git_revision);
      f.Bool("git_dirty", info.fingerprint.git_dirty);
    }
    fp += "\n      }";
    w.Raw("fingerprint", fp);
    std::string timer = "{\n";
    {
      Members t(timer, 8);
      t.Str("source", info.timer_source);
      t.Num("overhead_ns", info.timer_overhead_ns);
      t.Num("ticks_per_ns", info.timer_ticks_per_ns);
    }
    timer += "\n      }";
    w.Raw("timer", timer);
    w.Num("wall_seconds", info.wall_seconds);
    w.Int("peak_rss_bytes", info.peak_rss_bytes);
    w.Raw("levels", StringArray(info.levels));
    w.Raw("dimensions", StringArray(info.dimensions));
  }
  out += "\n    }\n  },\n  \"benchmarks\": [\n";

  bool first = true;
  auto separator = [&] {
    if (!first) out += ",\n";
    first = false;
  };
  for (const BenchmarkResult& r : results) {
    const std::string name = r.name();
    const int reps = static_cast<int>(r.repetitions.size());
    if (r.error && reps == 0) {
      separator();
      Entry(out, [&](Members& m) {
        m.Str("name", name);
        m.Str("run_name", name);
        m.Str("run_type", "iteration");
        m.Int("repetitions", info.repetitions);
        m.Int("repetition_index", 0);
        m.Int("threads", 1);
        m.Int("iterations", 0);
        m.Bool("error_occurred", true);
        m.Str("error_message", r.error_message);
        CommonFields(m, r);
      });
      continue;
    }
    for (int i = 0; i < reps; ++i) {
      const RepetitionResult& rep = r.repetitions[i];
      separator();
      Entry(out, [&](Members& m) {
        m.Str("name", name);
        m.Str("run_name", name);
        m.Str("run_type", "iteration");
        m.Int("repetitions", info.repetitions);
        m.Int("repetition_index", i);
        m.Int("threads", 1);
        m.Int("iterations", rep.iterations);
        Numbers(m, rep.numbers);
        CommonFields(m, r);
        for (const auto& [key, value] : rep.strings) m.Str(key, value);
        for (const auto& [key, value] : rep.bools) m.Bool(key, value);
      });
    }
    if (r.error) {
      separator();
      Entry(out, [&](Members& m) {
        m.Str("name", name);
        m.Str("run_name", name);
        m.Str("run_type", "iteration");
        m.Int("repetitions", info.repetitions);
        m.Int("repetition_index", reps);
        m.Int("threads", 1);
        m.Int("iterations", 0);
        m.Bool("error_occurred", true);
        m.Str("error_message", r.error_message);
        CommonFields(m, r);
      });
    }
    if (reps == 0) continue;
    // Keys present in any repetition.
    std::map<std::string, bool> keys;
    for (const RepetitionResult& rep : r.repetitions) {
      for (const auto& [key, value] : rep.numbers) keys[key] = true;
    }
    for (const char* aggregate : kAggregateNames) {
      RepetitionResult agg;
      agg.iterations = reps;
      for (const auto& [key, unused] : keys) {
        const double value = Aggregate(aggregate, r.Values(key));
        agg.numbers[key] = value;
        // A percentile aggregate that lies below the resolution says so.
        const std::string flag = BelowResolutionKey(key);
        if (!flag.empty() &&
            std::any_of(r.repetitions.begin(), r.repetitions.end(),
                        [&](const RepetitionResult& rep) {
                          return rep.bools.count(flag) > 0;
                        })) {
          agg.bools[flag] = std::isnan(value);
        }
      }
      const std::string_view agg_name(aggregate);
      if (thresholds != nullptr && (agg_name == "median" || agg_name == "mean")) {
        ApplyVerdicts(*thresholds, r, agg);
      }
      separator();
      Entry(out, [&](Members& m) {
        m.Str("name", name + "_" + aggregate);
        m.Str("run_name", name);
        m.Str("run_type", "aggregate");
        m.Int("repetitions", info.repetitions);
        m.Int("threads", 1);
        m.Str("aggregate_name", aggregate);
        m.Str("aggregate_unit", std::string_view(aggregate) == "cv" ? "percentage" : "time");
        m.Int("iterations", reps);
        Numbers(m, agg.numbers);
        CommonFields(m, r);
        for (const auto& [key, value] : agg.strings) m.Str(key, value);
        for (const auto& [key, value] : agg.bools) m.Bool(key, value);
      });
    }
  }
  out += "\n  ],\n  \"degradation\": [";
  for (size_t i = 0; i < degradation.size(); ++i) {
    const Degradation& d = degradation[i];
    out += i == 0 ? "\n" : ",\n";
    out += fmt::format(
        "    {{\"dimension\": {}, \"lowest_level\": {}, \"highest_level\": {}, \"pct\": {}, "
        "\"bottleneck\": {}}}",
        Quote(d.dimension), Quote(d.lowest_level), Quote(d.highest_level), JsonNumber(d.pct),
        d.bottleneck ? "true" : "false");
  }
  out += degradation.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view content) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const std::string temp = fmt::format("{}/.{}.tmp.{}", dir, base, getpid());
  auto fail = [&](std::string_view what) {
    const int err = errno;
    ::unlink(temp.c_str());
    return absl::InternalError(
        fmt::format("cannot write '{}': {}: {}", path, what, std::strerror(err)));
  };
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(fmt::format("cannot write '{}': cannot create '{}': {}", path,
                                           temp, std::strerror(errno)));
  }
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return fail("write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return fail("fsync");
  }
  if (::close(fd) != 0) return fail("close");
  if (::rename(temp.c_str(), path.c_str()) != 0) return fail("rename");
  return absl::OkStatus();
}

}  // namespace wsbench::bench

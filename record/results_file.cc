#include "record/results_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "fmt/format.h"
#include "record/json.h"
#include "record/read_file.h"
#include "simdjson.h"
#include "wsbench/status_macros.h"

namespace wsbench::record {
namespace {

namespace od = simdjson::ondemand;

// Error context: the file and the JSON path being read.
struct Where {
  std::string_view source;
  std::string path;
};

absl::Status Bad(const Where& where, std::string_view what) {
  return absl::InvalidArgumentError(fmt::format(
      "{}: {}: {}", where.source,
      where.path.empty() ? std::string("(top level)") : where.path, what));
}

absl::Status JsonError(const Where& where, simdjson::error_code error) {
  return Bad(where, fmt::format("malformed JSON ({})",
                                simdjson::error_message(error)));
}

std::string_view TypeName(od::json_type type) {
  switch (type) {
    case od::json_type::array:
      return "an array";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a boolean";
    case od::json_type::null:
      return "null";
  }
  return "unknown";
}

absl::StatusOr<od::json_type> TypeOf(od::value& v, const Where& where) {
  od::json_type type;
  if (auto error = v.type().get(type)) return JsonError(where, error);
  return type;
}

absl::Status Expect(od::value& v, od::json_type want, const Where& where) {
  WSBENCH_ASSIGN_OR_RETURN(od::json_type type, TypeOf(v, where));
  if (type != want) {
    return Bad(where, fmt::format("expected {}, found {}", TypeName(want),
                                  TypeName(type)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> GetString(od::value& v, const Where& where) {
  WSBENCH_RETURN_IF_ERROR(Expect(v, od::json_type::string, where));
  std::string_view s;
  if (auto error = v.get_string().get(s)) return JsonError(where, error);
  return std::string(s);
}

absl::StatusOr<double> GetDouble(od::value& v, const Where& where) {
  WSBENCH_RETURN_IF_ERROR(Expect(v, od::json_type::number, where));
  double d;
  if (auto error = v.get_double().get(d)) return JsonError(where, error);
  return d;
}

// A count (cores, repetitions, an index) as an integer; a number beyond
// +-2^53 (where doubles stop being whole numbers) is refused, not cast.
absl::StatusOr<int64_t> GetCount(od::value& v, const Where& where) {
  WSBENCH_ASSIGN_OR_RETURN(double d, GetDouble(v, where));
  constexpr double kLimit = 9007199254740992.0;  // 2^53
  if (!(d >= -kLimit && d <= kLimit)) {
    return Bad(where, fmt::format("count {} is out of range", d));
  }
  return static_cast<int64_t>(d);
}

absl::StatusOr<bool> GetBool(od::value& v, const Where& where) {
  WSBENCH_RETURN_IF_ERROR(Expect(v, od::json_type::boolean, where));
  bool b;
  if (auto error = v.get_bool().get(b)) return JsonError(where, error);
  return b;
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' ||
                        s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// The raw JSON text of any value (consumes it).
absl::StatusOr<std::string> RawJson(od::value& v, const Where& where) {
  WSBENCH_ASSIGN_OR_RETURN(od::json_type type, TypeOf(v, where));
  std::string_view raw;
  if (type == od::json_type::object) {
    od::object o;
    if (auto error = v.get_object().get(o)) return JsonError(where, error);
    if (auto error = o.raw_json().get(raw)) return JsonError(where, error);
  } else if (type == od::json_type::array) {
    od::array a;
    if (auto error = v.get_array().get(a)) return JsonError(where, error);
    if (auto error = a.raw_json().get(raw)) return JsonError(where, error);
  } else {
    raw = v.raw_json_token();
  }
  return std::string(TrimRight(raw));
}

// Iterates the members of object `v`, calling fn(key, value, where) for
// each, with where.path extended by ".key".
template <typename Fn>
absl::Status ForEachField(od::value& v, const Where& where, Fn fn) {
  WSBENCH_RETURN_IF_ERROR(Expect(v, od::json_type::object, where));
  od::object object;
  if (auto error = v.get_object().get(object)) return JsonError(where, error);
  for (auto field_result : object) {
    od::field field;
    if (auto error = std::move(field_result).get(field))
      return JsonError(where, error);
    std::string_view key_view;
    if (auto error = field.unescaped_key().get(key_view)) {
      return JsonError(where, error);
    }
    std::string key(key_view);
    Where inner{where.source,
                where.path.empty() ? key : where.path + "." + key};
    od::value value = field.value();
    WSBENCH_RETURN_IF_ERROR(fn(key, value, inner));
  }
  return absl::OkStatus();
}

template <typename Fn>
absl::Status ForEachElement(od::value& v, const Where& where, Fn fn) {
  WSBENCH_RETURN_IF_ERROR(Expect(v, od::json_type::array, where));
  od::array array;
  if (auto error = v.get_array().get(array)) return JsonError(where, error);
  size_t index = 0;
  for (auto element_result : array) {
    od::value element;
    Where inner{where.source, fmt::format("{}[{}]", where.path, index)};
    if (auto error = std::move(element_result).get(element)) {
      return JsonError(inner, error);
    }
    WSBENCH_RETURN_IF_ERROR(fn(index, element, inner));
    ++index;
  }
  return absl::OkStatus();
}

absl::Status Missing(const Where& where, std::string_view key) {
  return Bad(Where{where.source, where.path.empty()
                                     ? std::string(key)
                                     : where.path + "." + std::string(key)},
             "missing");
}

absl::Status ParseFingerprint(od::value& v, const Where& where,
                              Fingerprint& out) {
  std::set<std::string> seen;
  WSBENCH_RETURN_IF_ERROR(ForEachField(
      v, where,
      [&](const std::string& key, od::value& value,
          const Where& w) -> absl::Status {
        seen.insert(key);
        if (key == "cpu_model") {
          WSBENCH_ASSIGN_OR_RETURN(out.cpu_model, GetString(value, w));
        } else if (key == "cores") {
          WSBENCH_ASSIGN_OR_RETURN(out.cores, GetCount(value, w));
        } else if (key == "compiler") {
          WSBENCH_ASSIGN_OR_RETURN(out.compiler, GetString(value, w));
        } else if (key == "cxx_flags") {
          WSBENCH_ASSIGN_OR_RETURN(out.cxx_flags, GetString(value, w));
        } else if (key == "build_type") {
          WSBENCH_ASSIGN_OR_RETURN(out.build_type, GetString(value, w));
        } else if (key == "git_revision") {
          WSBENCH_ASSIGN_OR_RETURN(out.git_revision, GetString(value, w));
        } else if (key == "git_dirty") {
          WSBENCH_ASSIGN_OR_RETURN(out.git_dirty, GetBool(value, w));
        }
        return absl::OkStatus();
      }));
  for (const char* required :
       {"cpu_model", "cores", "compiler", "cxx_flags", "build_type"}) {
    if (!seen.count(required)) return Missing(where, required);
  }
  return absl::OkStatus();
}

absl::Status ParseStringArray(od::value& v, const Where& where,
                              std::vector<std::string>& out) {
  return ForEachElement(
      v, where, [&](size_t, od::value& e, const Where& w) -> absl::Status {
        WSBENCH_ASSIGN_OR_RETURN(std::string s, GetString(e, w));
        out.push_back(std::move(s));
        return absl::OkStatus();
      });
}

absl::Status ParseRunInfo(od::value& v, const Where& where, RunInfo& out) {
  std::set<std::string> seen;
  WSBENCH_RETURN_IF_ERROR(ForEachField(
      v, where,
      [&](const std::string& key, od::value& value,
          const Where& w) -> absl::Status {
        seen.insert(key);
        if (key == "kind") {
          WSBENCH_ASSIGN_OR_RETURN(out.kind, GetString(value, w));
        } else if (key == "version") {
          WSBENCH_ASSIGN_OR_RETURN(out.version, GetString(value, w));
        } else if (key == "complete") {
          WSBENCH_ASSIGN_OR_RETURN(out.complete, GetBool(value, w));
        } else if (key == "partial_reason") {
          WSBENCH_ASSIGN_OR_RETURN(out.partial_reason, GetString(value, w));
        } else if (key == "command_line") {
          WSBENCH_ASSIGN_OR_RETURN(out.command_line, GetString(value, w));
        } else if (key == "seed") {
          WSBENCH_RETURN_IF_ERROR(Expect(value, od::json_type::number, w));
          uint64_t seed;
          if (value.get_uint64().get(seed) != simdjson::SUCCESS) {
            return Bad(w, "expected an unsigned integer");
          }
          out.seed = seed;
        } else if (key == "repetitions") {
          WSBENCH_ASSIGN_OR_RETURN(out.repetitions, GetCount(value, w));
        } else if (key == "invalid_share") {
          WSBENCH_ASSIGN_OR_RETURN(out.invalid_share, GetDouble(value, w));
        } else if (key == "fingerprint") {
          WSBENCH_RETURN_IF_ERROR(ParseFingerprint(value, w, out.fingerprint));
        } else if (key == "timer") {
          WSBENCH_RETURN_IF_ERROR(ForEachField(
              value, w,
              [&](const std::string& k, od::value& tv,
                  const Where& tw) -> absl::Status {
                if (k == "source") {
                  WSBENCH_ASSIGN_OR_RETURN(out.timer.source, GetString(tv, tw));
                } else if (k == "overhead_ns") {
                  WSBENCH_ASSIGN_OR_RETURN(out.timer.overhead_ns,
                                           GetDouble(tv, tw));
                } else if (k == "ticks_per_ns") {
                  WSBENCH_ASSIGN_OR_RETURN(out.timer.ticks_per_ns,
                                           GetDouble(tv, tw));
                } else if (k == "resolution_ns") {
                  WSBENCH_ASSIGN_OR_RETURN(out.timer.resolution_ns,
                                           GetDouble(tv, tw));
                }
                return absl::OkStatus();
              }));
        } else if (key == "wall_seconds") {
          WSBENCH_ASSIGN_OR_RETURN(out.wall_seconds, GetDouble(value, w));
        } else if (key == "peak_rss_bytes") {
          WSBENCH_ASSIGN_OR_RETURN(out.peak_rss_bytes, GetDouble(value, w));
        } else if (key == "levels") {
          WSBENCH_RETURN_IF_ERROR(ParseStringArray(value, w, out.levels));
        } else if (key == "dimensions") {
          WSBENCH_RETURN_IF_ERROR(ParseStringArray(value, w, out.dimensions));
        } else {
          WSBENCH_ASSIGN_OR_RETURN(std::string raw, RawJson(value, w));
          out.extra_fields.emplace_back(key, std::move(raw));
        }
        return absl::OkStatus();
      }));
  for (const char* required : {"complete", "repetitions", "fingerprint"}) {
    if (!seen.count(required)) return Missing(where, required);
  }
  return absl::OkStatus();
}

absl::Status ParseContext(od::value& v, const Where& where, ResultsFile& out) {
  bool have_wsbench = false;
  WSBENCH_RETURN_IF_ERROR(ForEachField(
      v, where,
      [&](const std::string& key, od::value& value,
          const Where& w) -> absl::Status {
        if (key == "wsbench") {
          have_wsbench = true;
          return ParseRunInfo(value, w, out.info);
        }
        WSBENCH_ASSIGN_OR_RETURN(std::string raw, RawJson(value, w));
        out.context_fields.emplace_back(key, std::move(raw));
        return absl::OkStatus();
      }));
  if (!have_wsbench) {
    // A plain Google Benchmark file: nothing of wsbench's to read; its
    // entries are compared on their own real_time/cpu_time.
    out.info.kind = std::string(kGoogleBenchmarkKind);
    out.info.complete = true;
  }
  return absl::OkStatus();
}

// Fields of a benchmark entry that are numbers (or null, for a percentile
// below the timer's resolution) whatever else a writer adds.
bool IsNumericField(std::string_view key) {
  static constexpr std::string_view kNumeric[] = {
      "real_time",      "cpu_time",         "iterations",
      "repetitions",    "threads",          "ops",
      "items_per_op",   "ops_per_second",   "items_per_second",
      "bytes_per_second", "p50_us",         "p95_us",
      "p99_us",         "allocs_per_op",    "instructions_per_op",
      "probe_ns",       "latency_resolution_us"};
  for (std::string_view k : kNumeric) {
    if (key == k) return true;
  }
  return false;
}

absl::Status ParseBenchmark(od::value& v, const Where& where,
                            BenchmarkRun& out) {
  bool have_name = false;
  bool have_run_name = false;
  WSBENCH_RETURN_IF_ERROR(ForEachField(
      v, where,
      [&](const std::string& key, od::value& value,
          const Where& w) -> absl::Status {
        WSBENCH_ASSIGN_OR_RETURN(od::json_type type, TypeOf(value, w));
        if (key == "name") {
          have_name = true;
          WSBENCH_ASSIGN_OR_RETURN(out.name, GetString(value, w));
        } else if (key == "run_name") {
          have_run_name = true;
          WSBENCH_ASSIGN_OR_RETURN(out.run_name, GetString(value, w));
        } else if (key == "run_type") {
          WSBENCH_ASSIGN_OR_RETURN(std::string run_type, GetString(value, w));
          if (run_type == "iteration") {
            out.run_type = RunType::kIteration;
          } else if (run_type == "aggregate") {
            out.run_type = RunType::kAggregate;
          } else {
            return Bad(w, fmt::format("unknown run_type '{}'", run_type));
          }
        } else if (key == "aggregate_name") {
          WSBENCH_ASSIGN_OR_RETURN(out.aggregate_name, GetString(value, w));
        } else if (key == "repetition_index") {
          WSBENCH_ASSIGN_OR_RETURN(out.repetition_index, GetCount(value, w));
        } else if (key == "dimension") {
          WSBENCH_ASSIGN_OR_RETURN(out.dimension, GetString(value, w));
        } else if (key == "level") {
          WSBENCH_ASSIGN_OR_RETURN(out.level, GetString(value, w));
        } else if (IsNumericField(key) && type != od::json_type::number &&
                   type != od::json_type::null) {
          return Bad(w, fmt::format("expected a number, found {}",
                                    TypeName(type)));
        } else if (type == od::json_type::number) {
          WSBENCH_ASSIGN_OR_RETURN(out.numbers[key], GetDouble(value, w));
        } else if (type == od::json_type::string) {
          WSBENCH_ASSIGN_OR_RETURN(out.strings[key], GetString(value, w));
        } else if (type == od::json_type::boolean) {
          WSBENCH_ASSIGN_OR_RETURN(out.bools[key], GetBool(value, w));
        }
        // Nested objects/arrays and nulls in an entry are ignored.
        return absl::OkStatus();
      }));
  if (!have_name) return Missing(where, "name");
  if (out.name.empty()) return Bad(where, "empty name");
  if (!have_run_name) out.run_name = out.name;
  return absl::OkStatus();
}

absl::Status ParseDegradation(od::value& v, const Where& where,
                              Degradation& out) {
  return ForEachField(
      v, where,
      [&](const std::string& key, od::value& value,
          const Where& w) -> absl::Status {
        WSBENCH_ASSIGN_OR_RETURN(od::json_type type, TypeOf(value, w));
        if (key == "dimension") {
          WSBENCH_ASSIGN_OR_RETURN(out.dimension, GetString(value, w));
        } else if (key == "lowest_level") {
          WSBENCH_ASSIGN_OR_RETURN(out.lowest_level, GetString(value, w));
        } else if (key == "highest_level") {
          WSBENCH_ASSIGN_OR_RETURN(out.highest_level, GetString(value, w));
        } else if (key == "pct") {
          if (type == od::json_type::null) return absl::OkStatus();
          WSBENCH_ASSIGN_OR_RETURN(out.pct, GetDouble(value, w));
        } else if (key == "bottleneck") {
          // Written as a bool; tolerate the bottleneck dimension's name.
          if (type == od::json_type::boolean) {
            WSBENCH_ASSIGN_OR_RETURN(out.bottleneck, GetBool(value, w));
          } else if (type == od::json_type::string) {
            WSBENCH_ASSIGN_OR_RETURN(std::string name, GetString(value, w));
            out.bottleneck = (name == out.dimension);
          }
        }
        return absl::OkStatus();
      });
}

std::string FingerprintJson(const Fingerprint& f) {
  return JsonObject()
      .Add("cpu_model", JsonQuote(f.cpu_model))
      .Add("cores", std::to_string(f.cores))
      .Add("compiler", JsonQuote(f.compiler))
      .Add("cxx_flags", JsonQuote(f.cxx_flags))
      .Add("build_type", JsonQuote(f.build_type))
      .Add("git_revision", JsonQuote(f.git_revision))
      .Add("git_dirty", f.git_dirty ? "true" : "false")
      .Close();
}

std::string RunInfoJson(const RunInfo& info) {
  JsonObject o(6);
  o.Add("kind", JsonQuote(info.kind));
  o.Add("version", JsonQuote(info.version));
  o.Add("complete", info.complete ? "true" : "false");
  if (!info.partial_reason.empty()) {
    o.Add("partial_reason", JsonQuote(info.partial_reason));
  }
  o.Add("command_line", JsonQuote(info.command_line));
  o.Add("seed", std::to_string(info.seed));
  o.Add("repetitions", std::to_string(info.repetitions));
  o.Add("invalid_share", JsonNumber(info.invalid_share));
  o.Add("fingerprint", FingerprintJson(info.fingerprint));
  // A record of counts (kind "instructions") has no timer, wall time or RSS.
  if (!info.timer.source.empty()) {
    o.Add("timer", JsonObject()
                       .Add("source", JsonQuote(info.timer.source))
                       .Add("overhead_ns", JsonNumber(info.timer.overhead_ns))
                       .Add("ticks_per_ns", JsonNumber(info.timer.ticks_per_ns))
                       .Add("resolution_ns",
                            JsonNumber(info.timer.resolution_ns))
                       .Close());
  }
  if (info.wall_seconds > 0) o.Add("wall_seconds", JsonNumber(info.wall_seconds));
  if (info.peak_rss_bytes > 0) {
    o.Add("peak_rss_bytes", JsonNumber(info.peak_rss_bytes));
  }
  o.Add("levels", JsonStringArray(info.levels));
  o.Add("dimensions", JsonStringArray(info.dimensions));
  for (const auto& [key, raw] : info.extra_fields) o.Add(key, raw);
  return o.Close();
}

std::string BenchmarkJson(const BenchmarkRun& run) {
  JsonObject o(6);
  o.Add("name", JsonQuote(run.name));
  o.Add("run_name", JsonQuote(run.run_name));
  o.Add("run_type", run.run_type == RunType::kIteration ? "\"iteration\""
                                                        : "\"aggregate\"");
  if (run.run_type == RunType::kAggregate) {
    o.Add("aggregate_name", JsonQuote(run.aggregate_name));
  }
  if (run.run_type == RunType::kIteration) {
    o.Add("repetition_index", std::to_string(run.repetition_index));
  }
  if (!run.dimension.empty()) o.Add("dimension", JsonQuote(run.dimension));
  if (!run.level.empty()) o.Add("level", JsonQuote(run.level));
  for (const auto& [key, value] : run.strings) o.Add(key, JsonQuote(value));
  for (const auto& [key, value] : run.bools) o.Add(key, value ? "true" : "false");
  for (const auto& [key, value] : run.numbers) o.Add(key, JsonNumber(value));
  return "    " + o.Close();
}

}  // namespace

std::optional<double> BenchmarkRun::Number(std::string_view key) const {
  auto it = numbers.find(std::string(key));
  if (it == numbers.end()) return std::nullopt;
  return it->second;
}

bool BenchmarkRun::failed() const {
  auto it = bools.find("error_occurred");
  return it != bools.end() && it->second;
}

std::vector<std::string> ResultsFile::BenchmarkNames() const {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const BenchmarkRun& run : runs) {
    if (seen.insert(run.run_name).second) names.push_back(run.run_name);
  }
  return names;
}

std::vector<const BenchmarkRun*> ResultsFile::Named(
    std::string_view run_name) const {
  auto rebuild = [&] {
    index_.clear();
    for (size_t i = 0; i < runs.size(); ++i) index_[runs[i].run_name].push_back(i);
    indexed_data_ = runs.data();
    indexed_size_ = runs.size();
  };
  if (indexed_data_ != runs.data() || indexed_size_ != runs.size()) rebuild();
  auto it = index_.find(std::string(run_name));
  if (it != index_.end()) {
    for (size_t i : it->second) {
      if (runs[i].run_name != run_name) {  // renamed in place
        rebuild();
        it = index_.find(std::string(run_name));
        break;
      }
    }
  }
  std::vector<const BenchmarkRun*> out;
  if (it == index_.end()) return out;
  out.reserve(it->second.size());
  for (size_t i : it->second) out.push_back(&runs[i]);
  return out;
}

std::vector<double> ResultsFile::RepetitionValues(std::string_view run_name,
                                                  std::string_view key) const {
  std::vector<std::pair<int64_t, double>> indexed;
  for (const BenchmarkRun* entry : Named(run_name)) {
    const BenchmarkRun& run = *entry;
    if (run.run_type != RunType::kIteration || run.run_name != run_name ||
        run.failed()) {
      continue;
    }
    if (std::optional<double> v = run.Number(key)) {
      indexed.emplace_back(run.repetition_index, *v);
    }
  }
  std::stable_sort(
      indexed.begin(), indexed.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<double> values;
  values.reserve(indexed.size());
  for (const auto& [index, v] : indexed) values.push_back(v);
  return values;
}

int ResultsFile::CountTrue(std::string_view run_name,
                           std::string_view key) const {
  int count = 0;
  for (const BenchmarkRun* entry : Named(run_name)) {
    const BenchmarkRun& run = *entry;
    if (run.run_type != RunType::kIteration || run.run_name != run_name ||
        run.failed()) {
      continue;
    }
    auto it = run.bools.find(std::string(key));
    if (it != run.bools.end() && it->second) ++count;
  }
  return count;
}

std::string ResultsFile::LatencyRule(std::string_view run_name) const {
  std::set<std::string> rules;
  for (const BenchmarkRun* entry : Named(run_name)) {
    const BenchmarkRun& run = *entry;
    if (run.run_type != RunType::kIteration || run.run_name != run_name ||
        run.failed()) {
      continue;
    }
    if (auto it = run.strings.find("latency_rule"); it != run.strings.end()) {
      rules.insert(it->second);
    } else if (std::optional<double> k = run.Number("latency_batch")) {
      rules.insert(*k == 1 ? std::string("single_op")
                           : fmt::format("batch_mean:k={}", *k));
    }
  }
  std::string joined;
  for (const std::string& r : rules) {
    joined += (joined.empty() ? "" : " | ") + r;
  }
  return joined;
}

namespace {

// "<stem>_us" -> "<stem><suffix>"; empty for other keys.
std::string FigureFlagKey(std::string_view key, std::string_view suffix) {
  constexpr std::string_view kUnit = "_us";
  if (key.size() <= kUnit.size() ||
      key.substr(key.size() - kUnit.size()) != kUnit) {
    return {};
  }
  return std::string(key.substr(0, key.size() - kUnit.size())) +
         std::string(suffix);
}

}  // namespace

std::string BelowResolutionKey(std::string_view key) {
  return FigureFlagKey(key, "_below_resolution");
}

std::string TooFewSamplesKey(std::string_view key) {
  return FigureFlagKey(key, "_too_few_samples");
}

const BenchmarkRun* ResultsFile::Aggregate(
    std::string_view run_name, std::string_view aggregate_name) const {
  for (const BenchmarkRun* entry : Named(run_name)) {
    const BenchmarkRun& run = *entry;
    if (run.run_type == RunType::kAggregate && run.run_name == run_name &&
        run.aggregate_name == aggregate_name) {
      return entry;
    }
  }
  return nullptr;
}

const BenchmarkRun* ResultsFile::FirstIteration(
    std::string_view run_name) const {
  for (const BenchmarkRun* entry : Named(run_name)) {
    const BenchmarkRun& run = *entry;
    if (run.run_type == RunType::kIteration && run.run_name == run_name) {
      return entry;
    }
  }
  return nullptr;
}

absl::StatusOr<ResultsFile> ParseResults(std::string_view json,
                                         std::string_view source) {
  ResultsFile file;
  file.path = std::string(source);
  Where top{source, ""};
  if (json.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Bad(top, "empty file");
  }
  simdjson::padded_string padded(json);
  od::parser parser;
  od::document doc;
  if (auto error = parser.iterate(padded).get(doc))
    return JsonError(top, error);
  od::object root;
  if (auto error = doc.get_object().get(root)) {
    return Bad(top, fmt::format("expected a JSON object ({})",
                                simdjson::error_message(error)));
  }
  bool have_context = false;
  bool have_benchmarks = false;
  for (auto field_result : root) {
    od::field field;
    if (auto error = std::move(field_result).get(field))
      return JsonError(top, error);
    std::string_view key_view;
    if (auto error = field.unescaped_key().get(key_view)) {
      return JsonError(top, error);
    }
    std::string key(key_view);
    Where w{source, key};
    od::value value = field.value();
    if (key == "context") {
      have_context = true;
      WSBENCH_RETURN_IF_ERROR(ParseContext(value, w, file));
    } else if (key == "benchmarks") {
      have_benchmarks = true;
      WSBENCH_RETURN_IF_ERROR(ForEachElement(
          value, w, [&](size_t, od::value& e, const Where& ew) -> absl::Status {
            BenchmarkRun run;
            WSBENCH_RETURN_IF_ERROR(ParseBenchmark(e, ew, run));
            file.runs.push_back(std::move(run));
            return absl::OkStatus();
          }));
    } else if (key == "degradation") {
      WSBENCH_RETURN_IF_ERROR(ForEachElement(
          value, w, [&](size_t, od::value& e, const Where& ew) -> absl::Status {
            Degradation d;
            WSBENCH_RETURN_IF_ERROR(ParseDegradation(e, ew, d));
            file.degradation.push_back(std::move(d));
            return absl::OkStatus();
          }));
    } else {
      // Unknown top-level members are skipped, but must still be valid JSON.
      WSBENCH_ASSIGN_OR_RETURN(std::string raw, RawJson(value, w));
      (void)raw;
    }
  }
  if (!have_context) return Missing(top, "context");
  if (!have_benchmarks) return Missing(top, "benchmarks");
  return file;
}

absl::StatusOr<ResultsFile> ReadResultsFile(const std::string& path) {
  WSBENCH_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseResults(text, path);
}

std::string WriteResultsJson(const ResultsFile& file) {
  JsonObject context(4);
  for (const auto& [key, raw] : file.context_fields) context.Add(key, raw);
  context.Add("wsbench", RunInfoJson(file.info));
  std::string out = "{\n  \"context\": " + context.Close();
  out += ",\n  \"benchmarks\": [";
  for (size_t i = 0; i < file.runs.size(); ++i) {
    out += i ? ",\n" : "\n";
    out += BenchmarkJson(file.runs[i]);
  }
  out += "\n  ],\n  \"degradation\": [";
  for (size_t i = 0; i < file.degradation.size(); ++i) {
    const Degradation& d = file.degradation[i];
    out += i ? ",\n    " : "\n    ";
    out += JsonObject()
               .Add("dimension", JsonQuote(d.dimension))
               .Add("lowest_level", JsonQuote(d.lowest_level))
               .Add("highest_level", JsonQuote(d.highest_level))
               .Add("pct", JsonNumber(d.pct))
               .Add("bottleneck", d.bottleneck ? "true" : "false")
               .Close();
  }
  out += "\n  ]\n}\n";
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
ParseObjectMembers(std::string_view object_json, std::string_view source) {
  const Where top{source, ""};
  simdjson::padded_string padded(object_json);
  od::parser parser;
  od::document doc;
  if (auto error = parser.iterate(padded).get(doc))
    return JsonError(top, error);
  od::value value;
  if (auto error = doc.get_value().get(value)) return JsonError(top, error);
  std::vector<std::pair<std::string, std::string>> members;
  WSBENCH_RETURN_IF_ERROR(ForEachField(
      value, top,
      [&](std::string_view key, od::value& v, const Where& w) -> absl::Status {
        WSBENCH_ASSIGN_OR_RETURN(std::string raw, RawJson(v, w));
        members.emplace_back(std::string(key), std::move(raw));
        return absl::OkStatus();
      }));
  return members;
}

}  // namespace wsbench::record

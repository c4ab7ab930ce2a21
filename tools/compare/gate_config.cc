#include "gate_config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "fmt/format.h"
#include "record/read_file.h"
#include "simdjson.h"
#include "wsbench/status_macros.h"

namespace wsbench::compare {
namespace {

namespace od = simdjson::ondemand;

absl::Status Bad(std::string_view source, std::string_view path,
                 std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("{}: {}: {}", source, path, what));
}

absl::StatusOr<double> Number(od::value& v, std::string_view source,
                              std::string_view path) {
  double d;
  if (v.get_double().get(d) != simdjson::SUCCESS) {
    return Bad(source, path, "expected a number");
  }
  return d;
}

absl::StatusOr<std::string> String(od::value& v, std::string_view source,
                                   std::string_view path) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) {
    return Bad(source, path, "expected a string");
  }
  return std::string(s);
}

absl::StatusOr<bool> Bool(od::value& v, std::string_view source,
                          std::string_view path) {
  bool b;
  if (v.get_bool().get(b) != simdjson::SUCCESS) {
    return Bad(source, path, "expected true or false");
  }
  return b;
}

template <typename Fn>
absl::Status Fields(od::value& v, std::string_view source, std::string_view path,
                    Fn fn) {
  od::object object;
  if (v.get_object().get(object) != simdjson::SUCCESS) {
    return Bad(source, path, "expected an object");
  }
  for (auto field_result : object) {
    od::field field;
    if (auto error = std::move(field_result).get(field)) {
      return Bad(source, path, fmt::format("malformed JSON ({})",
                                           simdjson::error_message(error)));
    }
    std::string_view key_view;
    if (field.unescaped_key().get(key_view) != simdjson::SUCCESS) {
      return Bad(source, path, "malformed key");
    }
    std::string key(key_view);
    if (!key.empty() && key[0] == '_') continue;  // comment
    std::string inner = path.empty() ? key : fmt::format("{}.{}", path, key);
    od::value value = field.value();
    WSBENCH_RETURN_IF_ERROR(fn(key, value, inner));
  }
  return absl::OkStatus();
}

template <typename Fn>
absl::Status Elements(od::value& v, std::string_view source,
                      std::string_view path, Fn fn) {
  od::array array;
  if (v.get_array().get(array) != simdjson::SUCCESS) {
    return Bad(source, path, "expected an array");
  }
  size_t i = 0;
  for (auto element_result : array) {
    od::value element;
    std::string inner = fmt::format("{}[{}]", path, i++);
    if (auto error = std::move(element_result).get(element)) {
      return Bad(source, inner, fmt::format("malformed JSON ({})",
                                            simdjson::error_message(error)));
    }
    WSBENCH_RETURN_IF_ERROR(fn(element, inner));
  }
  return absl::OkStatus();
}

absl::Status Unknown(std::string_view source, std::string_view path) {
  return Bad(source, path, "unknown key (comments must start with '_')");
}

absl::Status ParseMetric(od::value& v, std::string_view source,
                         const std::string& path, MetricSpec& m) {
  bool have_ab = false;
  bool have_key = false;
  WSBENCH_RETURN_IF_ERROR(Fields(
      v, source, path,
      [&](const std::string& key, od::value& value,
          const std::string& p) -> absl::Status {
        if (key == "key") {
          have_key = true;
          WSBENCH_ASSIGN_OR_RETURN(m.key, String(value, source, p));
        } else if (key == "label") {
          WSBENCH_ASSIGN_OR_RETURN(m.label, String(value, source, p));
        } else if (key == "unit") {
          WSBENCH_ASSIGN_OR_RETURN(m.unit, String(value, source, p));
        } else if (key == "better") {
          WSBENCH_ASSIGN_OR_RETURN(std::string better, String(value, source, p));
          if (better != "higher" && better != "lower") {
            return Bad(source, p, "expected \"higher\" or \"lower\"");
          }
          m.higher_is_better = better == "higher";
        } else if (key == "kind") {
          WSBENCH_ASSIGN_OR_RETURN(std::string kind, String(value, source, p));
          if (kind == "time") {
            m.kind = MetricKind::kTime;
          } else if (kind == "deterministic") {
            m.kind = MetricKind::kDeterministic;
          } else {
            return Bad(source, p, "expected \"time\" or \"deterministic\"");
          }
        } else if (key == "threshold_pct") {
          WSBENCH_ASSIGN_OR_RETURN(m.threshold_pct, Number(value, source, p));
          if (m.threshold_pct < 0) return Bad(source, p, "must be >= 0");
        } else if (key == "ab_threshold_pct") {
          have_ab = true;
          WSBENCH_ASSIGN_OR_RETURN(m.ab_threshold_pct, Number(value, source, p));
          if (m.ab_threshold_pct < 0) return Bad(source, p, "must be >= 0");
        } else if (key == "statistic") {
          WSBENCH_ASSIGN_OR_RETURN(std::string statistic, String(value, source, p));
          if (statistic != "min" && statistic != "median") {
            return Bad(source, p, "expected \"min\" or \"median\"");
          }
          m.use_min = statistic == "min";
        } else if (key == "tolerance_pct") {
          WSBENCH_ASSIGN_OR_RETURN(m.tolerance_pct, Number(value, source, p));
          if (m.tolerance_pct < 0) return Bad(source, p, "must be >= 0");
        } else if (key == "tolerance_abs") {
          WSBENCH_ASSIGN_OR_RETURN(m.tolerance_abs, Number(value, source, p));
          if (m.tolerance_abs < 0) return Bad(source, p, "must be >= 0");
        } else {
          return Unknown(source, p);
        }
        return absl::OkStatus();
      }));
  if (!have_key || m.key.empty()) return Bad(source, path + ".key", "missing");
  if (m.label.empty()) m.label = m.key;
  if (!have_ab) m.ab_threshold_pct = m.threshold_pct / 2;
  return absl::OkStatus();
}

}  // namespace

GateConfig DefaultGateConfig() {
  GateConfig c;
  c.time_levels = {"low", "medium"};
  c.min_pass_ms = 1.0;
  c.max_contention = 1.3;
  c.max_probe_drift = 0.10;
  auto time = [](std::string key, std::string label, std::string unit,
                 bool higher, double threshold) {
    MetricSpec m;
    m.key = std::move(key);
    m.label = std::move(label);
    m.unit = std::move(unit);
    m.higher_is_better = higher;
    m.kind = MetricKind::kTime;
    m.threshold_pct = threshold;
    m.ab_threshold_pct = threshold / 2;
    return m;
  };
  auto exact = [](std::string key, std::string label, std::string unit,
                  double pct, double abs) {
    MetricSpec m;
    m.key = std::move(key);
    m.label = std::move(label);
    m.unit = std::move(unit);
    m.kind = MetricKind::kDeterministic;
    m.tolerance_pct = pct;
    m.tolerance_abs = abs;
    return m;
  };
  auto steady = [](MetricSpec m) {
    m.use_min = true;
    return m;
  };
  c.metrics = {
      time("ops_per_second", "throughput", "ops/s", true, 12),
      time("p50_us", "P50", "us", false, 15),
      time("p95_us", "P95", "us", false, 20),
      time("p99_us", "P99", "us", false, 30),
      steady(exact("allocs_per_op", "allocs/op", "allocs", 0, 0.01)),
      exact("instructions_per_op", "instr/op", "instr", 1, 0.5),
  };
  return c;
}

absl::StatusOr<GateConfig> ParseGateConfig(std::string_view json,
                                           std::string_view source) {
  GateConfig c = DefaultGateConfig();
  simdjson::padded_string padded(json);
  od::parser parser;
  od::document doc;
  if (auto error = parser.iterate(padded).get(doc)) {
    return Bad(source, "(top level)", fmt::format("malformed JSON ({})",
                                                  simdjson::error_message(error)));
  }
  od::value root;
  if (auto error = doc.get_value().get(root)) {
    return Bad(source, "(top level)", fmt::format("malformed JSON ({})",
                                                  simdjson::error_message(error)));
  }
  WSBENCH_RETURN_IF_ERROR(Fields(
      root, source, "",
      [&](const std::string& key, od::value& value,
          const std::string& p) -> absl::Status {
        if (key == "alpha") {
          WSBENCH_ASSIGN_OR_RETURN(c.alpha, Number(value, source, p));
          if (!(c.alpha > 0 && c.alpha < 1)) return Bad(source, p, "must be in (0, 1)");
        } else if (key == "confidence") {
          WSBENCH_ASSIGN_OR_RETURN(c.confidence, Number(value, source, p));
          if (!(c.confidence > 0 && c.confidence < 1)) {
            return Bad(source, p, "must be in (0, 1)");
          }
        } else if (key == "bootstrap_iterations") {
          WSBENCH_ASSIGN_OR_RETURN(double n, Number(value, source, p));
          if (n < 100 || n > 1e7) return Bad(source, p, "must be in [100, 1e7]");
          c.bootstrap_iterations = static_cast<int>(n);
        } else if (key == "bootstrap_seed") {
          uint64_t seed;
          if (value.get_uint64().get(seed) != simdjson::SUCCESS) {
            return Bad(source, p, "expected an unsigned integer");
          }
          c.bootstrap_seed = seed;
        } else if (key == "min_repetitions") {
          WSBENCH_ASSIGN_OR_RETURN(double n, Number(value, source, p));
          if (n < 1) return Bad(source, p, "must be >= 1");
          c.min_repetitions = static_cast<int>(n);
        } else if (key == "baseline_min_repetitions") {
          WSBENCH_ASSIGN_OR_RETURN(double n, Number(value, source, p));
          if (n < 1) return Bad(source, p, "must be >= 1");
          c.baseline_min_repetitions = static_cast<int>(n);
        } else if (key == "fail_on_missing") {
          WSBENCH_ASSIGN_OR_RETURN(c.fail_on_missing, Bool(value, source, p));
        } else if (key == "time_gate") {
          return Fields(value, source, p,
                        [&](const std::string& k, od::value& tv,
                            const std::string& tp) -> absl::Status {
                          if (k == "levels") {
                            c.time_levels.clear();
                            return Elements(tv, source, tp,
                                            [&](od::value& e, const std::string& ep)
                                                -> absl::Status {
                                              WSBENCH_ASSIGN_OR_RETURN(
                                                  std::string level,
                                                  String(e, source, ep));
                                              c.time_levels.push_back(level);
                                              return absl::OkStatus();
                                            });
                          }
                          if (k == "max_contention") {
                            WSBENCH_ASSIGN_OR_RETURN(c.max_contention,
                                                     Number(tv, source, tp));
                            if (c.max_contention < 0) {
                              return Bad(source, tp, "must be >= 0");
                            }
                            return absl::OkStatus();
                          }
                          if (k == "max_probe_drift") {
                            WSBENCH_ASSIGN_OR_RETURN(c.max_probe_drift,
                                                     Number(tv, source, tp));
                            if (c.max_probe_drift < 0 || c.max_probe_drift >= 1) {
                              return Bad(source, tp, "must be in [0, 1)");
                            }
                            return absl::OkStatus();
                          }
                          if (k == "min_pass_ms") {
                            WSBENCH_ASSIGN_OR_RETURN(c.min_pass_ms,
                                                     Number(tv, source, tp));
                            if (c.min_pass_ms < 0) return Bad(source, tp, "must be >= 0");
                            return absl::OkStatus();
                          }
                          return Unknown(source, tp);
                        });
        } else if (key == "metrics") {
          c.metrics.clear();
          return Elements(value, source, p,
                          [&](od::value& e, const std::string& ep) -> absl::Status {
                            MetricSpec m;
                            WSBENCH_RETURN_IF_ERROR(ParseMetric(e, source, ep, m));
                            c.metrics.push_back(std::move(m));
                            return absl::OkStatus();
                          });
        } else {
          return Unknown(source, p);
        }
        return absl::OkStatus();
      }));
  if (c.metrics.empty()) return Bad(source, "metrics", "no metrics configured");
  return c;
}

absl::StatusOr<GateConfig> ReadGateConfig(const std::string& path) {
  WSBENCH_ASSIGN_OR_RETURN(std::string text, record::ReadFileToString(path));
  return ParseGateConfig(text, path);
}

}  // namespace wsbench::compare

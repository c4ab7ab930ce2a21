#include "thresholds.h"

#include <fstream>
#include <sstream>

#include "fmt/format.h"
#include "record/read_file.h"
#include "simdjson.h"

namespace wsbench::bench {
namespace {

using simdjson::ondemand::object;


absl::Status BadFile(std::string_view source, std::string_view path, std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("{}: {}: {}", source, path, what));
}

absl::StatusOr<Bands> ParseBands(object obj, std::string_view source, const std::string& path,
                                 bool higher_is_better, bool* per_item) {
  Bands bands;
  bool have_excellent = false, have_good = false;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return BadFile(source, path, "bad key");
    std::string key_copy(key);
    if (key_copy == "excellent" || key_copy == "good") {
      double v;
      if (field.value().get_double().get(v) || !(v > 0)) {
        return BadFile(source, path + "." + key_copy, "must be a positive number");
      }
      (key_copy == "excellent" ? bands.excellent : bands.good) = v;
      (key_copy == "excellent" ? have_excellent : have_good) = true;
    } else if (key_copy == "per_item" && per_item != nullptr) {
      bool b;
      if (field.value().get_bool().get(b)) return BadFile(source, path + ".per_item", "must be true or false");
      *per_item = b;
    }
  }
  if (!have_excellent) return BadFile(source, path + ".excellent", "missing");
  if (!have_good) return BadFile(source, path + ".good", "missing");
  if (higher_is_better ? bands.excellent < bands.good : bands.excellent > bands.good) {
    return BadFile(source, path,
                   fmt::format("excellent ({}) is worse than good ({}); {} is better", bands.excellent,
                               bands.good, higher_is_better ? "higher" : "lower"));
  }
  return bands;
}

}  // namespace

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kExcellent: return "excellent";
    case Verdict::kGood: return "good";
    case Verdict::kPoor: return "poor";
    case Verdict::kNone: break;
  }
  return "none";
}

std::string_view VerdictMark(Verdict v, bool terminal) {
  switch (v) {
    case Verdict::kExcellent: return terminal ? "\u2705" : "[ok]";
    case Verdict::kGood: return terminal ? "\u26a0\ufe0f" : "[warn]";
    case Verdict::kPoor: return terminal ? "\u274c" : "[poor]";
    case Verdict::kNone: break;
  }
  return "";
}

Verdict WorseVerdict(Verdict a, Verdict b) {
  if (a == Verdict::kNone) return b;
  if (b == Verdict::kNone) return a;
  return static_cast<int>(a) > static_cast<int>(b) ? a : b;
}

absl::StatusOr<Thresholds> Thresholds::Parse(std::string_view json, std::string_view source) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  simdjson::ondemand::document doc;
  if (auto error = parser.iterate(padded).get(doc)) {
    return BadFile(source, "$", simdjson::error_message(error));
  }
  object root;
  if (doc.get_object().get(root)) return BadFile(source, "$", "not a JSON object");
  Thresholds result;
  bool have_dimensions = false;
  for (auto member : root) {
    std::string_view key;
    if (auto error = member.unescaped_key().get(key)) {
      return BadFile(source, "$", simdjson::error_message(error));
    }
    if (key != "dimensions") {
      // Skip other members (comment, version); errors surface at the end.
      continue;
    }
    have_dimensions = true;
    object dims;
    if (member.value().get_object().get(dims)) return BadFile(source, "dimensions", "not an object");
    for (auto dim : dims) {
      std::string_view dim_key;
      if (dim.unescaped_key().get(dim_key)) return BadFile(source, "dimensions", "bad key");
      const std::string name(dim_key);
      const std::string path = "dimensions." + name;
      object entry;
      if (dim.value().get_object().get(entry)) return BadFile(source, path, "not an object");
      DimensionThresholds t;
      for (auto field : entry) {
        std::string_view fkey;
        if (field.unescaped_key().get(fkey)) return BadFile(source, path, "bad key");
        const std::string f(fkey);
        if (f == "rate") {
          std::string_view rate;
          if (field.value().get_string().get(rate) || (rate != "ops" && rate != "items")) {
            return BadFile(source, path + ".rate", "must be \"ops\" or \"items\"");
          }
          t.rate_is_items = rate == "items";
        } else if (f == "throughput" || f == "p95_us") {
          object bands_obj;
          if (field.value().get_object().get(bands_obj)) return BadFile(source, path + "." + f, "not an object");
          const bool higher = f == "throughput";
          auto bands = ParseBands(bands_obj, source, path + "." + f, higher,
                                  higher ? nullptr : &t.p95_per_item);
          if (!bands.ok()) return bands.status();
          (higher ? t.throughput : t.p95_us) = *bands;
        } else if (f == "degradation_pct") {
          object bands_obj;
          if (field.value().get_object().get(bands_obj))
            return BadFile(source, path + "." + f, "not an object");
          auto bands =
              ParseBands(bands_obj, source, path + "." + f, false, nullptr);
          if (!bands.ok()) return bands.status();
          t.degradation_pct = *bands;
        } else if (f == "counters") {
          object counters;
          if (field.value().get_object().get(counters))
            return BadFile(source, path + "." + f, "not an object");
          for (auto counter : counters) {
            std::string_view ckey;
            if (counter.unescaped_key().get(ckey))
              return BadFile(source, path + ".counters", "bad key");
            const std::string c(ckey);
            object bands_obj;
            if (counter.value().get_object().get(bands_obj)) {
              return BadFile(source, path + ".counters." + c, "not an object");
            }
            auto bands = ParseBands(bands_obj, source, path + ".counters." + c,
                                    !CounterIsLatency(c), nullptr);
            if (!bands.ok()) return bands.status();
            t.counters[c] = *bands;
          }
        }
      }
      result.dimensions_[name] = t;
    }
  }
  if (!have_dimensions) return BadFile(source, "dimensions", "missing");
  return result;
}

absl::StatusOr<Thresholds> Thresholds::Load(const std::string& path) {
  absl::StatusOr<std::string> text = record::ReadFileToString(path);
  if (!text.ok()) {
    return absl::NotFoundError(
        fmt::format("cannot read thresholds file: {}", std::string(text.status().message())));
  }
  return Parse(*text, path);
}

const DimensionThresholds* Thresholds::Find(std::string_view dimension) const {
  auto it = dimensions_.find(dimension);
  return it == dimensions_.end() ? nullptr : &it->second;
}

Verdict Thresholds::ThroughputVerdict(std::string_view dimension, double rate) const {
  const DimensionThresholds* t = Find(dimension);
  if (t == nullptr || !t->throughput) return Verdict::kNone;
  if (rate >= t->throughput->excellent) return Verdict::kExcellent;
  if (rate >= t->throughput->good) return Verdict::kGood;
  return Verdict::kPoor;
}

Verdict Thresholds::P95Verdict(std::string_view dimension, double p95_us, double items_per_op) const {
  const DimensionThresholds* t = Find(dimension);
  if (t == nullptr || !t->p95_us) return Verdict::kNone;
  if (t->p95_per_item && items_per_op > 0) p95_us /= items_per_op;
  if (p95_us <= t->p95_us->excellent) return Verdict::kExcellent;
  if (p95_us <= t->p95_us->good) return Verdict::kGood;
  return Verdict::kPoor;
}

Verdict Thresholds::DegradationVerdict(std::string_view dimension,
                                       double pct) const {
  const DimensionThresholds* t = Find(dimension);
  if (t == nullptr || !t->degradation_pct) return Verdict::kNone;
  if (pct <= t->degradation_pct->excellent) return Verdict::kExcellent;
  if (pct <= t->degradation_pct->good) return Verdict::kGood;
  return Verdict::kPoor;
}

Verdict Thresholds::CounterVerdict(std::string_view dimension,
                                   std::string_view counter,
                                   double value) const {
  const DimensionThresholds* t = Find(dimension);
  if (t == nullptr) return Verdict::kNone;
  auto it = t->counters.find(counter);
  if (it == t->counters.end()) return Verdict::kNone;
  if (CounterIsLatency(counter)) {
    if (value <= it->second.excellent) return Verdict::kExcellent;
    if (value <= it->second.good) return Verdict::kGood;
    return Verdict::kPoor;
  }
  if (value >= it->second.excellent) return Verdict::kExcellent;
  if (value >= it->second.good) return Verdict::kGood;
  return Verdict::kPoor;
}

bool CounterIsLatency(std::string_view counter) {
  return counter.ends_with("_us");
}

}  // namespace wsbench::bench

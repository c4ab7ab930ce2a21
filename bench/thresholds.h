// The verdict bands (excellent / good / poor) per dimension, read from
// bench/thresholds.json.
//
// Layout of the file (JSON, extra members ignored):
//   {"version": 1, "dimensions": {"<dimension>": {
//      "rate": "ops" | "items",            // which rate the throughput bands
//      judge "throughput": {"excellent": F, "good": F},   // higher is better
//      "p95_us": {"excellent": F, "good": F, "per_item": bool},   // lower is
//      better "degradation_pct": {"excellent": F, "good": F},   // lower is
//      better "counters": {"<counter>": {"excellent": F, "good": F}}}}}  //
//      higher is better
// degradation_pct judges the drop of throughput from the lowest to the
// highest level run; counters judge a benchmark counter's median (e.g.
// messages' bare_simdjson_share_pct: the reference's time as a share of the
// op's).
// A counter named "*_us" is a latency and lower is better (e.g. e2e_messages'
// rtt1_p99_us); every other counter: higher is better.
// Both bands are optional per dimension; a dimension missing from the file
// gets Verdict::kNone. Parsing is O(file size) with simdjson on-demand;
// a Thresholds is an immutable map afterwards (thread-compatible).
//
//   absl::StatusOr<Thresholds> t = Thresholds::Load("bench/thresholds.json");
//   Verdict v = t->ThroughputVerdict("broadcast", 2.5e8);  // kGood
#ifndef WSBENCH_BENCH_THRESHOLDS_H_
#define WSBENCH_BENCH_THRESHOLDS_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace wsbench::bench {

enum class Verdict { kNone, kExcellent, kGood, kPoor };

// "excellent", "good", "poor" or "none".
std::string_view VerdictName(Verdict v);
// ✅ ⚠️ ❌ (or "" for kNone) when `terminal`, else [ok] [warn] [poor] / "".
std::string_view VerdictMark(Verdict v, bool terminal);
// True for a counter whose bands are lower-is-better: a latency, named
// "*_us".
bool CounterIsLatency(std::string_view counter);
// The worse of two verdicts; kNone yields to the other.
Verdict WorseVerdict(Verdict a, Verdict b);

struct Bands {
  double excellent = 0;
  double good = 0;
};

struct DimensionThresholds {
  bool rate_is_items = false;      // "rate": "items"
  std::optional<Bands> throughput; // higher is better
  std::optional<Bands> p95_us;     // lower is better
  bool p95_per_item = false;
  std::optional<Bands> degradation_pct;                // lower is better
  // Higher is better, except latencies (CounterIsLatency).
  std::map<std::string, Bands, std::less<>> counters;
};

class Thresholds {
 public:
  // Parses the file's text; `source` names it in error messages.
  // InvalidArgument for bad JSON, a missing "dimensions" object, a band
  // that is not a positive number, or excellent worse than good.
  static absl::StatusOr<Thresholds> Parse(std::string_view json, std::string_view source);
  // Reads and parses `path`; NotFound when it cannot be read.
  static absl::StatusOr<Thresholds> Load(const std::string& path);

  // nullptr when the dimension has no entry.
  const DimensionThresholds* Find(std::string_view dimension) const;

  Verdict ThroughputVerdict(std::string_view dimension, double rate) const;
  // `items_per_op` is used when the bands are per item (0 = 1).
  Verdict P95Verdict(std::string_view dimension, double p95_us, double items_per_op) const;
  Verdict DegradationVerdict(std::string_view dimension, double pct) const;
  // kNone when the dimension has no bands for `counter`.
  Verdict CounterVerdict(std::string_view dimension, std::string_view counter,
                         double value) const;

 private:
  std::map<std::string, DimensionThresholds, std::less<>> dimensions_;
};

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_THRESHOLDS_H_

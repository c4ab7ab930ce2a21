#include "results.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "record/statistics.h"

namespace wsbench::bench {

std::vector<double> BenchmarkResult::Values(const std::string& key) const {
  std::vector<double> values;
  for (const RepetitionResult& rep : repetitions) {
    auto it = rep.numbers.find(key);
    if (it != rep.numbers.end()) values.push_back(it->second);
  }
  return values;
}

std::optional<double> BenchmarkResult::MedianOf(const std::string& key) const {
  std::vector<double> values = Values(key);
  if (values.empty()) return std::nullopt;
  return record::Median(std::move(values));
}

double DegradationPct(double lowest_rate, double highest_rate) {
  if (!(lowest_rate > 0)) return 0;
  return (1.0 - highest_rate / lowest_rate) * 100.0;
}

std::vector<record::Degradation> ComputeDegradation(const std::vector<BenchmarkResult>& results) {
  std::vector<std::string> order;
  for (const BenchmarkResult& r : results) {
    if (std::find(order.begin(), order.end(), r.dimension) == order.end()) {
      order.push_back(r.dimension);
    }
  }
  std::vector<record::Degradation> out;
  for (const std::string& dim : order) {
    const BenchmarkResult* lowest = nullptr;
    const BenchmarkResult* highest = nullptr;
    for (const BenchmarkResult& r : results) {
      if (r.dimension != dim || r.error || !r.MedianOf(r.primary_rate_key())) continue;
      if (lowest == nullptr || r.level_index < lowest->level_index) lowest = &r;
      if (highest == nullptr || r.level_index > highest->level_index) highest = &r;
    }
    if (lowest == nullptr || lowest == highest) continue;
    record::Degradation d;
    d.dimension = dim;
    d.lowest_level = lowest->level;
    d.highest_level = highest->level;
    d.pct = DegradationPct(*lowest->MedianOf(lowest->primary_rate_key()),
                           *highest->MedianOf(highest->primary_rate_key()));
    out.push_back(d);
  }
  record::Degradation* worst = nullptr;
  for (record::Degradation& d : out) {
    if (worst == nullptr || d.pct > worst->pct) worst = &d;
  }
  if (worst != nullptr) worst->bottleneck = true;
  return out;
}

void ApplyVerdicts(const Thresholds& thresholds, const BenchmarkResult& result,
                   RepetitionResult& rep) {
  Verdict throughput = Verdict::kNone, p95 = Verdict::kNone;
  if (auto it = rep.numbers.find(result.primary_rate_key()); it != rep.numbers.end()) {
    throughput = thresholds.ThroughputVerdict(result.dimension, it->second);
  }
  if (auto it = rep.numbers.find("p95_us"); it != rep.numbers.end()) {
    // Below the resolution: judged by the resolution, an upper bound.
    double p95_us = it->second;
    if (std::isnan(p95_us)) {
      auto res = rep.numbers.find("latency_resolution_us");
      p95_us = res != rep.numbers.end() ? res->second : NAN;
    }
    if (!std::isnan(p95_us)) {
      p95 =
          thresholds.P95Verdict(result.dimension, p95_us, result.items_per_op);
    }
  }
  rep.strings["throughput_verdict"] = std::string(VerdictName(throughput));
  rep.strings["p95_verdict"] = std::string(VerdictName(p95));
  rep.strings["verdict"] = std::string(VerdictName(WorseVerdict(throughput, p95)));
}

}  // namespace wsbench::bench

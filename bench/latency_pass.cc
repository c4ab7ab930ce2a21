#include "latency_pass.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace wsbench::bench {
namespace {

// splitmix64's finalizer: a fixed, well-mixed hash of the op index, so the
// timed subset has no period for a workload's own schedule to alias with.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

class HistogramRecorder final : public LatencyRecorder {
 public:
  HistogramRecorder(const BenchClock& clock,
                    const std::vector<std::unique_ptr<Histogram>>& histograms,
                    size_t series)
      : clock_(clock),
        histograms_(histograms),
        series_(series),
        overhead_ticks_(clock.overhead_ticks()),
        ps_per_tick_(1000.0 / clock.ticks_per_ns()) {}

  uint64_t Now() const override { return clock_.Now(); }

  void Record(int series, uint64_t t0, uint64_t t1) override {
    if (series < 0 || static_cast<size_t>(series) >= series_) return;
    const uint64_t ticks = t1 - t0;
    histograms_[static_cast<size_t>(series)]->Record(
        ticks <= overhead_ticks_
            ? 0
            : static_cast<uint64_t>(
                  static_cast<double>(ticks - overhead_ticks_) * ps_per_tick_));
  }

 private:
  const BenchClock& clock_;
  const std::vector<std::unique_ptr<Histogram>>& histograms_;
  const size_t series_;
  const uint64_t overhead_ticks_;
  const double ps_per_tick_;
};

}  // namespace

bool LatencyPlan::timed(int64_t i) const {
  return select_max == UINT64_MAX ||
         Mix(static_cast<uint64_t>(i)) <= select_max;
}

LatencyPlan PlanLatency(int64_t ops) {
  LatencyPlan plan;
  if (ops <= 0) return plan;
  int64_t timed = ops;
  if (ops > kMaxTimedPerPass) {
    const double share =
        static_cast<double>(kMaxTimedPerPass) / static_cast<double>(ops);
    plan.select_max = static_cast<uint64_t>(share * 18446744073709551615.0);
    timed = kMaxTimedPerPass;
  }
  plan.passes =
      std::min<int64_t>((kMinSamples + timed - 1) / timed, kMaxPasses);
  return plan;
}

int64_t MinSamplesFor(double pct) {
  // Rounded first: 10 / (1 - 0.999) is 10000.000000000002 in doubles.
  const double exact = kMinTailSamples / (1.0 - pct / 100.0);
  return static_cast<int64_t>(std::ceil(std::round(exact * 1e6) / 1e6));
}

void WriteLatencyFigures(const Histogram& h, std::string_view prefix,
                         double resolution_ps, RepetitionResult& rep) {
  const std::string p(prefix);
  const int64_t samples = static_cast<int64_t>(h.count());
  rep.numbers[p + "latency_samples"] = static_cast<double>(samples);
  // A percentile is its bucket's midpoint (see histogram.h), so a sample
  // exactly at the resolution may read up to one bucket's error above it.
  const double floor_ps =
      resolution_ps * (1.0 + 2.0 * Histogram::kMaxRelativeError);
  auto put = [&](const std::string& stem, double ps, bool enough) {
    const bool below = enough && ps <= floor_ps;
    rep.numbers[p + stem + "_us"] = enough && !below ? ps / 1e6 : NAN;
    rep.bools[p + stem + "_below_resolution"] = below;
    rep.bools[p + stem + "_too_few_samples"] = !enough;
  };
  for (const PercentileSpec& spec : kPercentiles) {
    put(std::string(spec.stem), h.Percentile(spec.pct),
        samples >= MinSamplesFor(spec.pct));
  }
  put("max", static_cast<double>(h.max()), samples > 0);
}

LatencyPass::LatencyPass(const BenchClock& clock) : clock_(clock) {}

absl::Status LatencyPass::Run(Workload& w, bool (*stopping)(),
                              RepetitionResult& rep) {
  const std::vector<LatencySeries> extra = w.latency_series();
  const size_t series = 1 + extra.size();
  while (histograms_.size() < series)
    histograms_.push_back(std::make_unique<Histogram>());
  for (size_t s = 0; s < series; ++s) histograms_[s]->Clear();
  HistogramRecorder recorder(clock_, histograms_, series);
  Histogram& own = *histograms_[0];
  const uint64_t overhead_ticks = clock_.overhead_ticks();
  const double ps_per_tick = 1000.0 / clock_.ticks_per_ns();

  const int64_t ops = w.ops();
  const LatencyPlan plan = PlanLatency(ops);
  for (int64_t pass = 0; pass < plan.passes; ++pass) {
    if (absl::Status s = w.Reset(); !s.ok()) {
      return absl::Status(s.code(), "reset: " + std::string(s.message()));
    }
    int64_t next = 0;  // the first op not run yet
    for (int64_t i = 0; i < ops; ++i) {
      if (!plan.timed(i)) continue;
      if (next < i) w.Run(next, i);  // the untimed ops before this one
      if (series > 1) {
        w.RunTimed(i, recorder);
      } else {
        const uint64_t t0 = clock_.Now();
        w.Run(i, i + 1);
        const uint64_t t1 = clock_.Now();
        const uint64_t ticks = t1 - t0;
        own.Record(ticks <= overhead_ticks
                       ? 0
                       : static_cast<uint64_t>(
                             static_cast<double>(ticks - overhead_ticks) *
                             ps_per_tick));
      }
      next = i + 1;
      if (next < ops && stopping()) return absl::CancelledError("interrupted");
    }
    if (next < ops) w.Run(next, ops);
    if (absl::Status s = w.Verify(); !s.ok()) {
      return absl::Status(s.code(),
                          "verify (latency pass): " + std::string(s.message()));
    }
    if (pass + 1 < plan.passes && stopping())
      return absl::CancelledError("interrupted");
  }

  const double resolution_ps = clock_.resolution_ns() * 1000.0;
  const std::string covers = w.latency_covers();
  rep.strings["latency_rule"] = covers.empty()
                                    ? std::string(kLatencyRule)
                                    : std::string(kLatencyRule) + ":" + covers;
  rep.numbers["latency_resolution_us"] = resolution_ps / 1e6;
  rep.numbers["latency_passes"] = static_cast<double>(plan.passes);
  WriteLatencyFigures(own, "", resolution_ps, rep);
  for (size_t s = 1; s < series; ++s) {
    const std::string prefix = extra[s - 1].name + "_";
    WriteLatencyFigures(*histograms_[s], prefix, resolution_ps, rep);
    rep.strings[prefix + "latency_unit"] = extra[s - 1].unit;
  }
  return absl::OkStatus();
}

}  // namespace wsbench::bench

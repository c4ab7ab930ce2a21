// The latency pass: per-op latency percentiles of one workload, every
// sample one operation timed alone.
//
// The sampling rule ("single_op", recorded as latency_rule in results.json;
// it depends only on the pass's op count, so every repetition and every run
// of a benchmark uses the same one):
//   - A sample is ONE op timed alone with the calibrated BenchClock (lfence +
//     rdtsc), the cost of a reading pair subtracted. Never a batch mean: a
//     mean of k ops turns a tail of probability p into k*p of the samples at
//     1/k of its size, so percentiles between p and k*p come out too high
//     and those beyond p too low.
//   - A pass of n <= kMaxTimedPerPass ops times every op. A longer pass times
//     a fixed pseudo-random subset of about kMaxTimedPerPass ops (op i is
//     timed when a hash of i falls below a threshold set by n; the ops in
//     between run untimed, in order), so the pass stays short however slow
//     the clock. Passes (Reset, ops, Verify) repeat until at least
//     kMinSamples ops were timed, so short levels still support P99, but at
//     most kMaxPasses times (a harness's Verify may cost more than its pass:
//     compression round-trips its 512-message corpus through both codecs),
//     so a 10-op pass gives 200 samples: P95, not P99.
//   - Percentile p is reported only when at least kMinTailSamples samples lie
//     at or beyond it (samples x (1 - p/100) >= 10: P50 needs 20 samples,
//     P95 200, P99 1,000, P99.9 10,000); otherwise it is null with
//     "<p>_too_few_samples": true.
//   - A figure at or below the clock's resolution (BenchClock::
//     resolution_ns(): the larger of a reading pair's cost and the clock's
//     tick) is not a measurement: null with "<p>_below_resolution": true.
//     A figure above it is within about one resolution of the truth.
//   - max_us is the slowest single op timed.
// A workload whose op includes a part on another schedule (broadcast's
// drains) times its parts itself (Workload::RunTimed) into extra series,
// written with the series name as prefix ("drain_p95_us"); the op's own
// series then covers only its own part and the rule says so
// ("single_op:publish").
//
// Memory: one Histogram (58 KiB) per series, reused across benchmarks. No
// allocation while timing. Not thread-safe.
//
//   LatencyPass pass(BenchClock::Get());
//   absl::Status s = pass.Run(workload, &StopRequested, rep);
#ifndef WSBENCH_BENCH_LATENCY_PASS_H_
#define WSBENCH_BENCH_LATENCY_PASS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "bench_clock.h"
#include "histogram.h"
#include "results.h"
#include "workload.h"

namespace wsbench::bench {

inline constexpr std::string_view kLatencyRule = "single_op";
inline constexpr int64_t kMinSamples = 1'000;
inline constexpr int64_t kMaxTimedPerPass = 1'000'000;
inline constexpr int64_t kMaxPasses = 20;
inline constexpr double kMinTailSamples = 10;

// The percentiles reported, with their key stems ("p999" -> "p999_us").
struct PercentileSpec {
  std::string_view stem;
  double pct;
};
inline constexpr PercentileSpec kPercentiles[] = {
    {"p50", 50.0}, {"p95", 95.0}, {"p99", 99.0}, {"p999", 99.9}};

// Which ops a latency pass of `ops` ops times, and how many passes it runs.
struct LatencyPlan {
  int64_t passes = 1;
  // Op i is timed when Mix(i) <= select_max (every op: UINT64_MAX).
  uint64_t select_max = UINT64_MAX;
  bool timed(int64_t i) const;
};
LatencyPlan PlanLatency(int64_t ops);

// The fewest samples that support percentile `pct` (at least
// kMinTailSamples at or beyond it).
int64_t MinSamplesFor(double pct);

// Writes one series' figures into `rep`: "<prefix>latency_samples",
// "<prefix><stem>_us" for each of kPercentiles and "<prefix>max_us" (NaN
// with "..._below_resolution" or "..._too_few_samples" where not
// reported; both flags are always written). Values in the histogram are
// picoseconds.
void WriteLatencyFigures(const Histogram& h, std::string_view prefix,
                         double resolution_ps, RepetitionResult& rep);

class LatencyPass {
 public:
  explicit LatencyPass(const BenchClock& clock);

  // Runs the planned passes over `w` (Reset before each, Verify after) and
  // writes the figures, latency_rule, latency_resolution_us and
  // latency_passes into `rep`. Returns the failing Reset/Verify's status
  // (message prefixed "reset: " / "verify (latency pass): "), or Cancelled
  // when `stopping()` turned true before the passes finished.
  absl::Status Run(Workload& w, bool (*stopping)(), RepetitionResult& rep);

 private:
  const BenchClock& clock_;
  std::vector<std::unique_ptr<Histogram>> histograms_;
};

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_LATENCY_PASS_H_

// The latency pass's clock: rdtsc calibrated against steady_clock, or
// steady_clock itself where the TSC cannot be trusted.
//
// Calibrate() (once, at start-up, ~50 ms) picks the source: rdtsc (with an
// lfence so it is not reordered before earlier work) when the CPU reports
// an invariant TSC (constant_tsc and nonstop_tsc) and two calibration
// windows agree within 0.5%; steady_clock otherwise. It then measures the
// overhead of one back-to-back Now() pair (median of 20,001 pairs), which
// the latency pass subtracts from every sample and prints, and the clock's
// tick: the smallest step between distinct pair readings (a virtual TSC may
// advance in steps of tens of ticks: 26 ticks, 10 ns, on this project's
// AMD EPYC VM). The resolution is the larger of the two: a single-op time
// below it is not a measurement. Now() costs one
// rdtsc (or one clock_gettime via the vDSO); no allocation, thread-safe
// after Calibrate().
//
//   const BenchClock& clock = BenchClock::Get();
//   uint64_t t0 = clock.Now();  work();  uint64_t t1 = clock.Now();
//   double ns = clock.TicksToNs(t1 - t0) - clock.overhead_ns();
#ifndef WSBENCH_BENCH_BENCH_CLOCK_H_
#define WSBENCH_BENCH_BENCH_CLOCK_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string_view>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define WSBENCH_HAVE_RDTSC 1
#endif

namespace wsbench::bench {

class BenchClock {
 public:
  enum class Source { kRdtsc, kSteadyClock };

  // The process-wide clock, calibrated on first use.
  static const BenchClock& Get();

  // Calibrates a clock; `force_steady` skips the TSC (tests, fallback).
  static BenchClock Calibrate(bool force_steady = false);

  uint64_t Now() const {
#ifdef WSBENCH_HAVE_RDTSC
    if (source_ == Source::kRdtsc) {
      _mm_lfence();
      return __rdtsc();
    }
#endif
    return static_cast<uint64_t>(
        std::chrono::steady_clock::now().time_since_epoch().count());
  }

  Source source() const { return source_; }
  std::string_view source_name() const {
    return source_ == Source::kRdtsc ? "rdtsc" : "steady_clock";
  }
  double ticks_per_ns() const { return ticks_per_ns_; }
  double TicksToNs(uint64_t ticks) const { return ticks / ticks_per_ns_; }
  // Median cost of a back-to-back Now() pair, in ticks and ns.
  uint64_t overhead_ticks() const { return overhead_ticks_; }
  double overhead_ns() const { return overhead_ticks_ / ticks_per_ns_; }
  // Smallest step seen between distinct pair readings (the overhead when
  // every pair read the same).
  uint64_t tick_ticks() const { return tick_ticks_; }
  // max(overhead, tick): the shortest single-op time the clock resolves.
  uint64_t resolution_ticks() const {
    return std::max(overhead_ticks_, tick_ticks_);
  }
  double resolution_ns() const { return resolution_ticks() / ticks_per_ns_; }

 private:
  Source source_ = Source::kSteadyClock;
  double ticks_per_ns_ = 1.0;
  uint64_t overhead_ticks_ = 0;
  uint64_t tick_ticks_ = 0;
};

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_BENCH_CLOCK_H_

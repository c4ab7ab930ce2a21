#include "bench_clock.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

namespace wsbench::bench {
namespace {

bool CpuHasInvariantTsc() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0) {
      auto has = [&](const char* flag) {
        return (" " + line + " ").find(std::string(" ") + flag + " ") != std::string::npos;
      };
      return has("constant_tsc") && has("nonstop_tsc");
    }
  }
  return false;
}

// Ticks per ns of `clock` over a busy-wait window of `window`.
double MeasureTicksPerNs(const BenchClock& clock, std::chrono::microseconds window) {
  using std::chrono::steady_clock;
  const auto s0 = steady_clock::now();
  const uint64_t t0 = clock.Now();
  auto s1 = s0;
  while ((s1 = steady_clock::now()) - s0 < window) {
  }
  const uint64_t t1 = clock.Now();
  const double ns = std::chrono::duration<double, std::nano>(s1 - s0).count();
  return static_cast<double>(t1 - t0) / ns;
}

}  // namespace

const BenchClock& BenchClock::Get() {
  static const BenchClock clock = Calibrate();
  return clock;
}

BenchClock BenchClock::Calibrate(bool force_steady) {
  BenchClock clock;
#ifdef WSBENCH_HAVE_RDTSC
  if (!force_steady && CpuHasInvariantTsc()) {
    clock.source_ = Source::kRdtsc;
    const double a = MeasureTicksPerNs(clock, std::chrono::milliseconds(20));
    const double b = MeasureTicksPerNs(clock, std::chrono::milliseconds(20));
    if (a > 0.05 && b > 0.05 && std::abs(a - b) / std::max(a, b) < 0.005) {
      clock.ticks_per_ns_ = (a + b) / 2;
    } else {
      clock.source_ = Source::kSteadyClock;
    }
  }
#endif
  if (clock.source_ == Source::kSteadyClock) clock.ticks_per_ns_ = 1.0;

  constexpr int kPairs = 20'001;
  std::vector<uint64_t> deltas(kPairs);
  for (int i = 0; i < 1000; ++i) (void)clock.Now();  // warm up
  for (uint64_t& d : deltas) {
    const uint64_t t0 = clock.Now();
    const uint64_t t1 = clock.Now();
    d = t1 - t0;
  }
  std::sort(deltas.begin(), deltas.end());
  clock.overhead_ticks_ = std::max<uint64_t>(1, deltas[kPairs / 2]);
  uint64_t tick = 0;
  for (size_t i = 1; i < deltas.size(); ++i) {
    const uint64_t step = deltas[i] - deltas[i - 1];
    if (step > 0 && (tick == 0 || step < tick)) tick = step;
  }
  clock.tick_ticks_ = tick > 0 ? tick : clock.overhead_ticks_;
  return clock;
}

}  // namespace wsbench::bench

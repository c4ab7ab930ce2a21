#include "bench_clock.h"

#include <algorithm>
#include <chrono>

#include "gtest/gtest.h"

namespace wsbench::bench {
namespace {

// Ticks of `clock` over a busy 30 ms, converted to ns, against steady_clock.
void ExpectAgreesWithSteadyClock(const BenchClock& clock) {
  const auto s0 = std::chrono::steady_clock::now();
  const uint64_t t0 = clock.Now();
  while (std::chrono::steady_clock::now() - s0 < std::chrono::milliseconds(30)) {
  }
  const uint64_t t1 = clock.Now();
  const auto s1 = std::chrono::steady_clock::now();
  const double steady_ns = std::chrono::duration<double, std::nano>(s1 - s0).count();
  const double clock_ns = clock.TicksToNs(t1 - t0);
  // Generous: the machine is shared and the VM may be preempted.
  EXPECT_NEAR(clock_ns, steady_ns, steady_ns * 0.05);
}

TEST(BenchClockTest, CalibratedClockIsPlausible) {
  const BenchClock clock = BenchClock::Calibrate();
  EXPECT_GT(clock.ticks_per_ns(), 0.1);  // >= 100 MHz
  EXPECT_LT(clock.ticks_per_ns(), 10.0); // <= 10 GHz
  EXPECT_GT(clock.overhead_ticks(), 0u);
  EXPECT_GT(clock.overhead_ns(), 0.0);
  EXPECT_LT(clock.overhead_ns(), 2000.0);
  EXPECT_GT(clock.tick_ticks(), 0u);
  EXPECT_EQ(clock.resolution_ticks(),
            std::max(clock.overhead_ticks(), clock.tick_ticks()));
  EXPECT_GE(clock.resolution_ns(), clock.overhead_ns());
  ExpectAgreesWithSteadyClock(clock);
#ifdef WSBENCH_HAVE_RDTSC
  EXPECT_TRUE(clock.source() == BenchClock::Source::kRdtsc ||
              clock.source() == BenchClock::Source::kSteadyClock);
#endif
}

TEST(BenchClockTest, SteadyClockFallback) {
  const BenchClock clock = BenchClock::Calibrate(/*force_steady=*/true);
  EXPECT_EQ(clock.source(), BenchClock::Source::kSteadyClock);
  EXPECT_EQ(clock.source_name(), "steady_clock");
  EXPECT_DOUBLE_EQ(clock.ticks_per_ns(), 1.0);
  EXPECT_GT(clock.overhead_ns(), 0.0);
  EXPECT_LT(clock.overhead_ns(), 2000.0);
  ExpectAgreesWithSteadyClock(clock);
}

TEST(BenchClockTest, NowIsMonotonic) {
  const BenchClock& clock = BenchClock::Get();
  uint64_t last = clock.Now();
  for (int i = 0; i < 10'000; ++i) {
    const uint64_t now = clock.Now();
    ASSERT_GE(now, last);
    last = now;
  }
}

}  // namespace
}  // namespace wsbench::bench

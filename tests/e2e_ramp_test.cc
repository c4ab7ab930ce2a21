// Ramp schedules (bench/e2e/ramp.h) and the process plan (fd_budget.h):
// the arithmetic, checked against hand-computed offsets.
#include <cmath>

#include "e2e/fd_budget.h"
#include "e2e/ramp.h"
#include "gtest/gtest.h"

namespace wsbench::e2e {
namespace {

RampOptions Options(RampStrategy strategy) {
  RampOptions o;
  o.strategy = strategy;
  return o;
}

TEST(RampTest, BurstStartsEverythingAtOnce) {
  RampSchedule s(Options(RampStrategy::kBurst));
  EXPECT_EQ(s.OffsetNs(0), 0);
  EXPECT_EQ(s.OffsetNs(99'999), 0);
  EXPECT_EQ(s.window(), 64);
}

TEST(RampTest, LinearIsOneAttemptEveryOneOverRate) {
  RampOptions o = Options(RampStrategy::kLinear);
  o.rate = 4'000;  // one every 250 us
  RampSchedule s(o);
  EXPECT_EQ(s.OffsetNs(0), 0);
  EXPECT_EQ(s.OffsetNs(1), 250'000);
  EXPECT_EQ(s.OffsetNs(4'000), 1'000'000'000);
  EXPECT_EQ(s.OffsetNs(6'000), 1'500'000'000);
}

TEST(RampTest, SteppedReleasesAStepPerInterval) {
  RampOptions o = Options(RampStrategy::kStepped);
  o.step = 100;
  o.interval_ms = 50;
  RampSchedule s(o);
  EXPECT_EQ(s.OffsetNs(0), 0);
  EXPECT_EQ(s.OffsetNs(99), 0);
  EXPECT_EQ(s.OffsetNs(100), 50'000'000);
  EXPECT_EQ(s.OffsetNs(199), 50'000'000);
  EXPECT_EQ(s.OffsetNs(1'000), 500'000'000);
}

TEST(RampTest, ExponentialDoublesTheRateEveryInterval) {
  RampOptions o = Options(RampStrategy::kExponential);
  o.rate = 1'000;
  o.interval_ms = 1'000;
  RampSchedule s(o);
  // Attempts by time t: rate * T * (2^(t/T) - 1) / ln 2.
  auto started_by = [&](double t_s) {
    return 1'000.0 * 1.0 * (std::exp2(t_s / 1.0) - 1.0) / std::log(2.0);
  };
  for (double t : {0.5, 1.0, 2.0, 3.0}) {
    const int64_t i = static_cast<int64_t>(started_by(t));
    EXPECT_NEAR(s.OffsetNs(i) / 1e9, t, 0.01) << "t = " << t;
  }
  // The rate at 2 s is 4x the starting rate (4 attempts per ms) and keeps
  // rising: 400 attempts take a little under 100 ms (4 * 2^0.1 per ms at
  // the end).
  const int64_t at2 = static_cast<int64_t>(started_by(2.0));
  const double ms = (s.OffsetNs(at2 + 400) - s.OffsetNs(at2)) / 1e6;
  EXPECT_LT(ms, 100.0);
  EXPECT_GT(ms, 100.0 / std::exp2(0.1));
  // Monotonic.
  for (int64_t i = 1; i < 10'000; i += 37) {
    EXPECT_LE(s.OffsetNs(i - 1), s.OffsetNs(i));
  }
}

TEST(RampTest, ValidationNamesTheFlag) {
  RampOptions o = Options(RampStrategy::kLinear);
  o.rate = 0;
  EXPECT_NE(ValidateRamp(o).message().find("--ramp-rate"), std::string::npos);
  o = Options(RampStrategy::kStepped);
  o.step = 0;
  EXPECT_NE(ValidateRamp(o).message().find("--ramp-step"), std::string::npos);
  o = Options(RampStrategy::kExponential);
  o.interval_ms = 0;
  EXPECT_NE(ValidateRamp(o).message().find("--ramp-interval-ms"),
            std::string::npos);
  o = Options(RampStrategy::kBurst);
  o.window = 0;
  EXPECT_NE(ValidateRamp(o).message().find("--ramp-window"), std::string::npos);
  // A parameter the strategy does not use is not checked.
  o = Options(RampStrategy::kBurst);
  o.rate = 0;
  EXPECT_TRUE(ValidateRamp(o).ok());
  EXPECT_FALSE(ParseRampStrategy("ramp").ok());
  EXPECT_EQ(*ParseRampStrategy("exponential"), RampStrategy::kExponential);
  EXPECT_EQ(RampStrategyName(RampStrategy::kStepped), "stepped");
}

TEST(ProcessPlanTest, SplitsByTheBudget) {
  ProcessPlan one = PlanProcesses(300, 1'000);
  EXPECT_EQ(one.processes, 1);
  EXPECT_TRUE(one.reason.empty());
  ProcessPlan three = PlanProcesses(300, 100);
  EXPECT_EQ(three.processes, 3);
  EXPECT_EQ(three.per_process, 100);
  EXPECT_NE(three.reason.find("300 connections need 3 processes"),
            std::string::npos);
  ProcessPlan max = PlanProcesses(99'000, 19'936);
  EXPECT_EQ(max.processes, 5);
  EXPECT_EQ(max.per_process, 19'800);
  // Without a budget, the hard limit decides: at least one process, and
  // each process's share fits its limit.
  ProcessPlan own = PlanProcesses(1'000, 0);
  EXPECT_GE(own.processes, 1);
  EXPECT_LE(own.per_process + kFdReserve, own.fd_limit);
}

}  // namespace
}  // namespace wsbench::e2e

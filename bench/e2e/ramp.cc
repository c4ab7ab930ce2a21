#include "e2e/ramp.h"

#include <cmath>

#include "fmt/format.h"

namespace wsbench::e2e {

absl::StatusOr<RampStrategy> ParseRampStrategy(std::string_view name) {
  if (name == "burst") return RampStrategy::kBurst;
  if (name == "linear") return RampStrategy::kLinear;
  if (name == "exponential") return RampStrategy::kExponential;
  if (name == "stepped") return RampStrategy::kStepped;
  return absl::InvalidArgumentError(fmt::format(
      "--ramp: unknown strategy '{}' (valid: burst, linear, exponential, "
      "stepped)",
      name));
}

std::string_view RampStrategyName(RampStrategy strategy) {
  switch (strategy) {
    case RampStrategy::kBurst:
      return "burst";
    case RampStrategy::kLinear:
      return "linear";
    case RampStrategy::kExponential:
      return "exponential";
    case RampStrategy::kStepped:
      return "stepped";
  }
  return "?";
}

absl::Status ValidateRamp(const RampOptions& o) {
  const bool uses_rate = o.strategy == RampStrategy::kLinear ||
                         o.strategy == RampStrategy::kExponential;
  const bool uses_interval = o.strategy == RampStrategy::kExponential ||
                             o.strategy == RampStrategy::kStepped;
  if (uses_rate && !(o.rate >= 1 && o.rate <= 1e8)) {
    return absl::InvalidArgumentError(fmt::format(
        "--ramp-rate: {} is out of range (connections per second, 1..1e8)",
        o.rate));
  }
  if (o.strategy == RampStrategy::kStepped &&
      (o.step < 1 || o.step > 10'000'000)) {
    return absl::InvalidArgumentError(fmt::format(
        "--ramp-step: {} is out of range (connections per step, 1..1e7)",
        o.step));
  }
  if (uses_interval && (o.interval_ms < 1 || o.interval_ms > 60'000)) {
    return absl::InvalidArgumentError(fmt::format(
        "--ramp-interval-ms: {} is out of range (1..60000)", o.interval_ms));
  }
  if (o.window < 1 || o.window > 1'000'000) {
    return absl::InvalidArgumentError(fmt::format(
        "--ramp-window: {} is out of range (attempts in flight, 1..1e6)",
        o.window));
  }
  return absl::OkStatus();
}

std::string DescribeRamp(const RampOptions& o) {
  switch (o.strategy) {
    case RampStrategy::kBurst:
      return fmt::format("burst, window {}", o.window);
    case RampStrategy::kLinear:
      return fmt::format("linear {:.0f}/s, window {}", o.rate, o.window);
    case RampStrategy::kExponential:
      return fmt::format(
          "exponential from {:.0f}/s doubling every {} ms, "
          "window {}",
          o.rate, o.interval_ms, o.window);
    case RampStrategy::kStepped:
      return fmt::format("stepped {} every {} ms, window {}", o.step,
                         o.interval_ms, o.window);
  }
  return "?";
}

int64_t RampSchedule::OffsetNs(int64_t i) const {
  if (i <= 0) return 0;
  const RampOptions& o = options_;
  switch (o.strategy) {
    case RampStrategy::kBurst:
      return 0;
    case RampStrategy::kLinear:
      return static_cast<int64_t>(std::llround(1e9 * double(i) / o.rate));
    case RampStrategy::kExponential: {
      // N(t) = rate * T * (2^(t/T) - 1) / ln 2 attempts by time t.
      const double t_s = double(o.interval_ms) / 1e3;
      const double t =
          t_s * std::log2(1.0 + double(i) * std::log(2.0) / (o.rate * t_s));
      return static_cast<int64_t>(std::llround(t * 1e9));
    }
    case RampStrategy::kStepped:
      return (i / o.step) * o.interval_ms * 1'000'000;
  }
  return 0;
}

}  // namespace wsbench::e2e

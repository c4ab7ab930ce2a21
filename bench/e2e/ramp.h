// Ramp-up schedules: when each of n connection attempts of a pass starts.
//
// A schedule maps connection i (0-based, in the order the pass opens them)
// to a start offset in nanoseconds from the pass's start, plus a window: at
// most `window` attempts may be in flight (connect sent, 101 not yet read)
// at once; an attempt whose time has come waits for a free slot.
//   burst        every attempt at offset 0 (the window alone paces them: as
//                fast as the server accepts). The default.
//   linear       `rate` attempts per second: offset(i) = i / rate.
//   exponential  the rate starts at `rate` and doubles every `interval_ms`:
//                offset(i) solves rate * T * (2^(t/T) - 1) / ln 2 = i,
//                T = interval_ms.
//   stepped      `step` attempts at once every `interval_ms`:
//                offset(i) = floor(i / step) * interval_ms.
// Pure arithmetic, O(1) per call, thread-compatible.
//
//   absl::StatusOr<RampOptions> r = ParseRampStrategy("linear");
//   r->rate = 20000;
//   RampSchedule s(*r);
//   int64_t t = s.OffsetNs(i);  // start connection i at pass start + t
#ifndef WSBENCH_BENCH_E2E_RAMP_H_
#define WSBENCH_BENCH_E2E_RAMP_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace wsbench::e2e {

enum class RampStrategy : uint8_t { kBurst, kLinear, kExponential, kStepped };

struct RampOptions {
  RampStrategy strategy = RampStrategy::kBurst;
  double rate = 10'000;  // attempts per second (linear; exponential: start)
  int64_t step = 1'000;  // attempts per step (stepped)
  int64_t interval_ms = 100;  // stepped: between steps; exponential: doubling
  // Attempts in flight at most, per client process. Wider windows did not
  // raise the rate here but queued attempts in the accept queue and, past
  // the SYN backlog, behind 1 s SYN retransmits.
  int64_t window = 64;
};

// "burst", "linear", "exponential", "stepped"; InvalidArgument naming the
// valid ones otherwise.
absl::StatusOr<RampStrategy> ParseRampStrategy(std::string_view name);
std::string_view RampStrategyName(RampStrategy strategy);

// InvalidArgument (naming the flag: --ramp-rate, --ramp-step,
// --ramp-interval-ms, --ramp-window) when a parameter the strategy uses is
// out of range: rate in [1, 1e8], step in [1, 1e7], interval in [1, 60000]
// ms, window in [1, 1e6].
absl::Status ValidateRamp(const RampOptions& options);

// One line for output: "linear 20000/s, window 64".
std::string DescribeRamp(const RampOptions& options);

class RampSchedule {
 public:
  explicit RampSchedule(const RampOptions& options = {}) : options_(options) {}
  // Start offset of attempt i from the pass's start, in nanoseconds.
  int64_t OffsetNs(int64_t i) const;
  int64_t window() const { return options_.window; }
  const RampOptions& options() const { return options_; }

 private:
  RampOptions options_;
};

}  // namespace wsbench::e2e

#endif  // WSBENCH_BENCH_E2E_RAMP_H_

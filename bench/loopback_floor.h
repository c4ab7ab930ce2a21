// The loopback ping-pong floor: raw TCP round trips over 127.0.0.1 between
// this process and a forked echo child, with the same message sizes as an
// e2e benchmark's, measured in the same run. A WebSocket round trip cannot
// beat it (two socket writes, two reads and two wake-ups across loopback),
// so an e2e latency is reported beside it.
//
// The child (pinned to `cpu` like the server under test, when >= 0) echoes
// every byte it reads until the connection ends; both ends set TCP_NODELAY.
// The parent sends one message, reads until the same number of bytes came
// back, and times that with CLOCK_MONOTONIC (~20 ns a reading here, well
// below the ~10-50 us being measured). Sizes are cycled in order; warm-up
// round trips are not recorded. The child is killed and reaped on every
// path (and dies with the parent: PR_SET_PDEATHSIG).
//
//   absl::StatusOr<LoopbackFloor> f =
//       MeasureLoopbackFloor({.sizes = {120, 480}, .round_trips = 2000});
//   counters["loopback_rtt_p50_us"] = f->p50_us;
#ifndef WSBENCH_BENCH_LOOPBACK_FLOOR_H_
#define WSBENCH_BENCH_LOOPBACK_FLOOR_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace wsbench::bench {

struct LoopbackFloorOptions {
  std::vector<size_t> sizes;    // bytes per message, cycled (1..1 MiB each)
  int64_t round_trips = 2'000;  // recorded, after `warmup`
  int64_t warmup = 200;
  int cpu = -1;             // the echo child's CPU; -1: not pinned
  int timeout_ms = 10'000;  // the whole measurement
  // When set, receives every recorded round trip in nanoseconds (to merge
  // several measurements interleaved with other work).
  std::vector<int64_t>* samples_ns = nullptr;
};

struct LoopbackFloor {
  int64_t samples = 0;
  double p50_us = 0, p95_us = 0, p99_us = 0, mean_us = 0;
};

// InvalidArgument for empty or out-of-range sizes or counts; Internal (with
// errno's text) when a socket, the fork or a read fails, or DeadlineExceeded
// after timeout_ms.
absl::StatusOr<LoopbackFloor> MeasureLoopbackFloor(
    const LoopbackFloorOptions& options);

// The figures of round trips given in nanoseconds.
LoopbackFloor FloorFromSamples(const std::vector<int64_t>& samples_ns);

// Adds loopback_rtt_{p50,p95,p99,mean}_us and loopback_rtt_samples to
// `counters` (nothing when `floor` is an error or has no samples).
void AddLoopbackCounters(const absl::StatusOr<LoopbackFloor>& floor,
                         std::map<std::string, double>& counters);

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_LOOPBACK_FLOOR_H_

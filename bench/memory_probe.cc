#include "memory_probe.h"

#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <numeric>
#include <random>

#include "workload.h"

namespace wsbench::bench {
namespace {

// One cache line, so every hop is a new line.
struct alignas(64) Node {
  uint32_t next;
};
static_assert(sizeof(Node) == 64);

// Loads per timed lap: enough that the timer's ~20 ns is noise, few enough
// that a DRAM-sized chase stays under 0.1 s per level on a busy machine.
constexpr size_t kMinLoads = size_t{1} << 15;
constexpr size_t kMaxLoads = size_t{1} << 18;

// The thread's CPU time: a lap the scheduler interrupts (the machine is
// shared) is not charged for the time it did not run.
double ThreadCpuNs() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

// Kept in a global so the chase is observable and cannot be dropped.
volatile uint32_t chase_sink = 0;

}  // namespace

namespace internal {

std::vector<uint32_t> ChaseCycle(size_t n, uint64_t seed) {
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<uint32_t> next(n);
  for (size_t i = 0; i < n; ++i) next[order[i]] = order[(i + 1) % n];
  return next;
}

}  // namespace internal

size_t HeapInUseBytes() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

namespace {

// Best of 3 timed laps of `loads` loads split over kLanes independent chases
// on the same cycle (kLanes = 1: every load waits for the one before).
template <int kLanes>
double ChaseLaps(const Node* nodes, size_t n, size_t loads) {
  uint32_t at[kLanes];
  for (int k = 0; k < kLanes; ++k)
    at[k] = static_cast<uint32_t>(k * (n / kLanes));
  const size_t steps = loads / kLanes;
  // Warm-up over the whole buffer; a stop request cuts it short (the
  // figures are then not used).
  for (size_t i = 0; i < std::min(n, loads) / kLanes; ++i) {
    if ((i & 0xFFFF) == 0 && StopRequested()) break;
    for (int k = 0; k < kLanes; ++k) at[k] = nodes[at[k]].next;
  }
  double best = std::numeric_limits<double>::infinity();
  for (int lap = 0; lap < 3 && !StopRequested(); ++lap) {
    const double t0 = ThreadCpuNs();
    for (size_t i = 0; i < steps; ++i) {
      for (int k = 0; k < kLanes; ++k) at[k] = nodes[at[k]].next;
    }
    best = std::min(best, ThreadCpuNs() - t0);
  }
  uint32_t sum = 0;
  for (int k = 0; k < kLanes; ++k) sum += at[k];
  chase_sink = sum;
  return best / static_cast<double>(steps * kLanes);
}

}  // namespace

ChaseResult PointerChase(size_t bytes, uint64_t seed) {
  const size_t n = std::max<size_t>(bytes, 4096) / sizeof(Node);
  std::unique_ptr<Node[]> nodes(new Node[n]);
  {
    const std::vector<uint32_t> next = internal::ChaseCycle(n, seed);
    for (size_t i = 0; i < n; ++i) nodes[i].next = next[i];
  }
  const size_t loads = std::clamp(2 * n, kMinLoads, kMaxLoads);
  ChaseResult r;
  r.dependent_ns = ChaseLaps<1>(nodes.get(), n, loads);
  r.parallel_ns = ChaseLaps<kChaseLanes>(nodes.get(), n, loads);
  return r;
}

}  // namespace wsbench::bench

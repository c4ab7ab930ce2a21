// Heap allocation counting for the suite's allocations-per-op figure.
//
// The counters live in the suite library; bench/alloc_hooks.cc (linked
// only into the wsbench program) replaces the global operator new/delete
// and bumps them with relaxed atomic increments. Without the hooks (tests,
// other binaries) AllocCountingEnabled() is false and the counts stay 0.
//
//   uint64_t before = AllocCount();  Run();  uint64_t allocs = AllocCount() - before;
#ifndef WSBENCH_BENCH_ALLOC_COUNTER_H_
#define WSBENCH_BENCH_ALLOC_COUNTER_H_

#include <atomic>
#include <cstdint>

namespace wsbench::bench {
namespace internal {
extern std::atomic<uint64_t> g_alloc_count;
extern std::atomic<bool> g_alloc_hooks_installed;
}  // namespace internal

// Allocations (operator new calls of any form) since start-up.
inline uint64_t AllocCount() {
  return internal::g_alloc_count.load(std::memory_order_relaxed);
}
// True when the counting operator new is linked into this binary.
inline bool AllocCountingEnabled() {
  return internal::g_alloc_hooks_installed.load(std::memory_order_relaxed);
}

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_ALLOC_COUNTER_H_

#include "memory_probe.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace wsbench::bench {
namespace {

// Follows next[] from node 0 and returns how many hops it takes to return.
size_t CycleLength(const std::vector<uint32_t>& next) {
  size_t hops = 0;
  uint32_t at = 0;
  do {
    at = next[at];
    ++hops;
  } while (at != 0 && hops <= next.size());
  return hops;
}

TEST(MemoryProbeTest, ChaseCycleVisitsEveryNodeOncePerLap) {
  for (size_t n : {size_t{1}, size_t{2}, size_t{3}, size_t{64}, size_t{1000},
                   size_t{65537}}) {
    for (uint64_t seed : {1u, 2u, 99u}) {
      const std::vector<uint32_t> next = internal::ChaseCycle(n, seed);
      ASSERT_EQ(next.size(), n);
      EXPECT_EQ(CycleLength(next), n) << "n " << n << " seed " << seed;
    }
  }
}

TEST(MemoryProbeTest, ChaseCycleIsRandomAndRepeatsForASeed) {
  const std::vector<uint32_t> a = internal::ChaseCycle(4096, 7);
  EXPECT_EQ(a, internal::ChaseCycle(4096, 7));
  EXPECT_NE(a, internal::ChaseCycle(4096, 8));
  // Not a sequential sweep: few hops go to the next node in memory.
  size_t sequential = 0;
  for (size_t i = 0; i < a.size(); ++i)
    sequential += a[i] == (i + 1) % a.size();
  EXPECT_LT(sequential, 16u);
}

TEST(MemoryProbeTest, PointerChaseReportsPositiveLatencies) {
  for (size_t bytes : {size_t{0}, size_t{64} << 10, size_t{4} << 20}) {
    const ChaseResult r = PointerChase(bytes, 1);
    EXPECT_TRUE(std::isfinite(r.dependent_ns)) << bytes;
    EXPECT_GT(r.dependent_ns, 0) << bytes;
    EXPECT_TRUE(std::isfinite(r.parallel_ns)) << bytes;
    EXPECT_GT(r.parallel_ns, 0) << bytes;
  }
}

TEST(MemoryProbeTest, HeapInUseSeesAnAllocation) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "ASan's allocator replaces glibc's: mallinfo2 reports nothing";
#endif
  const size_t before = HeapInUseBytes();
  std::vector<char> block(size_t{8} << 20, 1);
  const size_t after = HeapInUseBytes();
  EXPECT_GE(after, before + block.size());
}

}  // namespace
}  // namespace wsbench::bench

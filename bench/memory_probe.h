// The memory latency a level's working set costs, measured in the same run as
// the level: the physical bound the degradation from minimal to maximum is
// held against.
//
// A level's working set grows from L1 (minimal: tens of KiB) to beyond L2
// (maximum: tens of MiB), and an op that needs one random access to it
// cannot run faster than one dependent load at that size. The driver
// measures, once per level right after Setup:
//   working_set_bytes   heap the workload holds after Setup (glibc's
//                       in-use bytes, before vs after Setup: its tables,
//                       connection state, corpus and op sequence)
//   memory_latency_ns   one load of a pointer chase over a buffer of that
//                       size: dependent loads through a random cyclic
//                       permutation of 64-byte nodes (one cache line each), so
//                       neither the prefetcher nor out-of-order execution can
//                       hide the latency
//   memory_parallel_ns  the same with kChaseLanes chases interleaved: the cost
//                       of one random line when the misses of independent
//                       ops overlap, as the ops of a pass do
// and per repetition memory_bound_ops_per_second (1e9 / memory_parallel_ns:
// the rate of ops that each need one random line of the working set, with
// kChaseLanes misses in flight) and ops_vs_memory_bound_pct (the pass's ops
// per CPU second against it: both sides in thread CPU time, so time the
// scheduler gave to other processes counts on neither). At minimal the
// set is in L1 and the bound is far above any op; at maximum it shows how
// much of an op's time one access to the working set already costs.
//
//   ChaseResult r = PointerChase(size_t{64} << 20, /*seed=*/1);
#ifndef WSBENCH_BENCH_MEMORY_PROBE_H_
#define WSBENCH_BENCH_MEMORY_PROBE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace wsbench::bench {

// Bytes of heap in use now (glibc mallinfo2: arena chunks + mmapped chunks);
// 0 under an allocator that replaces glibc's (ASan), where the driver's
// working set then reads 0 and the chase covers its 4 KiB minimum.
size_t HeapInUseBytes();

// Independent chases interleaved for ChaseResult::parallel_ns.
inline constexpr int kChaseLanes = 8;

struct ChaseResult {
  double dependent_ns = 0;  // Per load, one chase.
  double parallel_ns = 0;   // Per load, kChaseLanes chases interleaved.
};

// Nanoseconds per load of pointer chases over `bytes` (at least 4 KiB) of
// 64-byte nodes in a random single cycle from `seed`: the best of 3 laps
// timed in thread CPU time after a warm-up lap, for one chase and for
// kChaseLanes. Allocates the
// buffer for the call.
ChaseResult PointerChase(size_t bytes, uint64_t seed);

namespace internal {

// next[i] for a random cyclic permutation of n nodes (n >= 1) that visits
// every node once per lap.
std::vector<uint32_t> ChaseCycle(size_t n, uint64_t seed);

}  // namespace internal
}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_MEMORY_PROBE_H_

#include "machine_probe.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <limits>

namespace wsbench::bench {
namespace {

constexpr int kTableWords = 16 * 1024;  // 64 KiB
constexpr int kSteps = 40'000;

// Kept in a global so the work is observable and cannot be dropped.
volatile uint64_t probe_sink = 0;

uint64_t ProbeOnce(std::array<uint32_t, kTableWords>& table) {
  for (int i = 0; i < kTableWords; ++i) {
    table[i] = static_cast<uint32_t>(i) * 2654435761u;
  }
  uint64_t x = 0x9e3779b97f4a7c15ULL, acc = 0;
  for (int i = 0; i < kSteps; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint32_t& slot = table[x & (kTableWords - 1)];
    const uint32_t v = slot;
    if (v & 1) {
      acc += v * 0x85ebca6bu;
    } else {
      acc ^= v >> 3;
    }
    slot = v + static_cast<uint32_t>(x >> 32);
  }
  return acc;
}

}  // namespace

double MachineProbeNs() {
  static std::array<uint32_t, kTableWords> table;
  double best = std::numeric_limits<double>::infinity();
  for (int run = 0; run < kProbeRuns; ++run) {
    const auto t0 = std::chrono::steady_clock::now();
    probe_sink = probe_sink + ProbeOnce(table);
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::nano>(t1 - t0).count());
  }
  return best;
}

}  // namespace wsbench::bench

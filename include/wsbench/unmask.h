// Client-to-server payload unmasking (RFC 6455 section 5.3) at memory speed.
//
// Every byte i of a client frame's payload is XORed with mask_key[(i) % 4].
// Unmask() works in place and takes the mask *phase* (the payload offset of
// data[0] modulo 4), so a payload that arrives in several reads can be
// unmasked piece by piece, from any (unaligned) address.
//
// Implementation: one of four kernels chosen ONCE at run time from the CPU's
// features (__builtin_cpu_supports), so a portable -O2 build uses AVX-512
// (64-byte vectors, masked tail loads/stores: no scalar tail) or AVX2 (32-byte
// vectors) where the CPU has them, and 64-bit words elsewhere. The kernels are
// compiled with __attribute__((target(...))); nothing needs -march. The scalar
// kernel is the reference the tests compare every other kernel against.
//
// Pinning the choice (so instruction counts repeat whatever the CPU under
// valgrind offers): the environment variable WSBENCH_UNMASK_KERNEL=avx512|
// avx2|word, read at the first use, selects that kernel when the CPU supports
// it (otherwise, or for another value, the CPU's choice stands); or call
// SetUnmaskKernel() before any FrameDecoder is built (a decoder keeps the
// kernel it was built with). ActiveUnmaskKernelName() says which runs.
// Complexity O(n); thread-safe (pure functions over caller memory; the
// dispatch pointer is resolved in a thread-safe static initializer).
//
//   std::array<uint8_t, 4> key = {0x37, 0xfa, 0x21, 0x3d};
//   uint32_t phase = 0;
//   phase = wsbench::Unmask(first_read, key, phase);   // any split works
//   phase = wsbench::Unmask(second_read, key, phase);
#ifndef WSBENCH_UNMASK_H_
#define WSBENCH_UNMASK_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "absl/status/status.h"

namespace wsbench {

// The 4 key bytes as one 32-bit word in memory order (byte 0 of the key is the
// lowest-addressed byte of the word, whatever the host's endianness).
inline uint32_t MaskKeyWord(const std::array<uint8_t, 4>& key) {
  uint32_t word;
  std::memcpy(&word, key.data(), 4);
  return word;
}

// Signature of one unmasking kernel: XORs data[0, n) in place with the key
// word `key` (memory order) starting at key byte `phase` (0..3).
using UnmaskFn = void (*)(uint8_t* data, size_t n, uint32_t key,
                          uint32_t phase);

// Like UnmaskFn, and returns true when every unmasked byte is ASCII (< 0x80):
// the UTF-8 check of a text payload then costs nothing more than unmasking
// (one pass over the bytes); only non-ASCII text needs the full validator.
using UnmaskAsciiFn = bool (*)(uint8_t* data, size_t n, uint32_t key,
                               uint32_t phase);

// The kernels chosen for this CPU (resolved once; never null).
UnmaskFn ActiveUnmaskKernel();
UnmaskAsciiFn ActiveUnmaskAsciiKernel();
// "avx512", "avx2" or "word": the kernel ActiveUnmaskKernel() returns.
std::string_view ActiveUnmaskKernelName();

// The environment variable that pins the kernel at its first use.
inline constexpr char kUnmaskKernelEnv[] = "WSBENCH_UNMASK_KERNEL";

// Makes `name` ("avx512", "avx2" or "word") the active kernel from now on.
// InvalidArgument for another name, FailedPrecondition when this CPU cannot
// run it (the active kernel is then unchanged).
absl::Status SetUnmaskKernel(std::string_view name);

// Unmasks `data` in place (section 5.3) starting at key byte `phase` (0..3) and
// returns the phase for the byte after data's end: (phase + size) % 4.
inline uint32_t Unmask(std::span<uint8_t> data,
                       const std::array<uint8_t, 4>& key, uint32_t phase = 0) {
  ActiveUnmaskKernel()(data.data(), data.size(), MaskKeyWord(key), phase & 3);
  return static_cast<uint32_t>((phase + data.size()) & 3);
}

namespace internal {

// The individual kernels, exposed for the tests and the benchmark. The SIMD
// ones must only be called when the CPU supports them (see the Cpu* probes).
void UnmaskScalar(uint8_t* data, size_t n, uint32_t key, uint32_t phase);
void UnmaskWord(uint8_t* data, size_t n, uint32_t key, uint32_t phase);
void UnmaskAvx2(uint8_t* data, size_t n, uint32_t key, uint32_t phase);
void UnmaskAvx512(uint8_t* data, size_t n, uint32_t key, uint32_t phase);
bool UnmaskAsciiScalar(uint8_t* data, size_t n, uint32_t key, uint32_t phase);
bool UnmaskAsciiWord(uint8_t* data, size_t n, uint32_t key, uint32_t phase);
bool UnmaskAsciiAvx2(uint8_t* data, size_t n, uint32_t key, uint32_t phase);
bool UnmaskAsciiAvx512(uint8_t* data, size_t n, uint32_t key, uint32_t phase);
bool CpuHasAvx2();
bool CpuHasAvx512();  // AVX-512 F + BW (byte-masked loads/stores)

}  // namespace internal
}  // namespace wsbench

#endif  // WSBENCH_UNMASK_H_

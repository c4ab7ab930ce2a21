// RFC 6455 section 5.3 unmasking kernels and their run-time dispatch.
#include "wsbench/unmask.h"

#include <bit>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define WSBENCH_UNMASK_X86 1
#else
#define WSBENCH_UNMASK_X86 0
#endif

namespace wsbench {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the word kernels assume a little-endian host");

// The key word rotated so that its byte 0 is key byte `phase`: on a
// little-endian host byte j is bits [8j, 8j+8), so rotate right by 8*phase.
inline uint32_t RotateKey(uint32_t key, uint32_t phase) {
  return std::rotr(key, static_cast<int>(8 * (phase & 3)));
}

// XORs the last n < 8 bytes with the rotated key (byte j gets key byte j % 4).
inline void TailBytes(uint8_t* data, size_t n, uint32_t rotated) {
  for (size_t j = 0; j < n; ++j) {
    data[j] ^= static_cast<uint8_t>(rotated >> (8 * (j & 3)));
  }
}

// 64-bit words; used for the tails of the vector kernels too. Every chunk it
// consumes is a multiple of 4 bytes, so the key phase never changes.
inline void WordLoop(uint8_t* data, size_t n, uint32_t rotated) {
  const uint64_t m = rotated | (static_cast<uint64_t>(rotated) << 32);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    uint64_t w[4];
    std::memcpy(w, data + i, 32);
    w[0] ^= m;
    w[1] ^= m;
    w[2] ^= m;
    w[3] ^= m;
    std::memcpy(data + i, w, 32);
  }
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    w ^= m;
    std::memcpy(data + i, &w, 8);
  }
  TailBytes(data + i, n - i, rotated);
}

#if WSBENCH_UNMASK_X86
__attribute__((target("avx2"))) void Avx2Kernel(uint8_t* data, size_t n,
                                                 uint32_t key, uint32_t phase) {
  const uint32_t rotated = RotateKey(key, phase);
  const __m256i m = _mm256_set1_epi32(static_cast<int>(rotated));
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    auto* p = reinterpret_cast<__m256i*>(data + i);
    __m256i a = _mm256_loadu_si256(p);
    __m256i b = _mm256_loadu_si256(p + 1);
    __m256i c = _mm256_loadu_si256(p + 2);
    __m256i d = _mm256_loadu_si256(p + 3);
    _mm256_storeu_si256(p, _mm256_xor_si256(a, m));
    _mm256_storeu_si256(p + 1, _mm256_xor_si256(b, m));
    _mm256_storeu_si256(p + 2, _mm256_xor_si256(c, m));
    _mm256_storeu_si256(p + 3, _mm256_xor_si256(d, m));
  }
  for (; i + 32 <= n; i += 32) {
    auto* p = reinterpret_cast<__m256i*>(data + i);
    _mm256_storeu_si256(p, _mm256_xor_si256(_mm256_loadu_si256(p), m));
  }
  WordLoop(data + i, n - i, rotated);
}

// Masked byte loads/stores (AVX-512 BW) handle the head and tail without a
// scalar loop; masked-off bytes are never touched (no fault, no write).
__attribute__((target("avx512f,avx512bw"))) void Avx512Kernel(uint8_t* data, size_t n,
                                                               uint32_t key,
                                                               uint32_t phase) {
  uint32_t rotated = RotateKey(key, phase);
  if (n >= 512) {
    // Align the stores to 64 bytes: a split-line store costs two.
    const size_t head = (64 - (reinterpret_cast<uintptr_t>(data) & 63)) & 63;
    if (head != 0) {
      const __mmask64 k = (uint64_t{1} << head) - 1;
      const __m512i m = _mm512_set1_epi32(static_cast<int>(rotated));
      _mm512_mask_storeu_epi8(data, k,
                              _mm512_xor_si512(_mm512_maskz_loadu_epi8(k, data), m));
      data += head;
      n -= head;
      rotated = RotateKey(rotated, static_cast<uint32_t>(head));
    }
  }
  const __m512i m = _mm512_set1_epi32(static_cast<int>(rotated));
  size_t i = 0;
  for (; i + 256 <= n; i += 256) {
    uint8_t* p = data + i;
    __m512i a = _mm512_loadu_si512(p);
    __m512i b = _mm512_loadu_si512(p + 64);
    __m512i c = _mm512_loadu_si512(p + 128);
    __m512i d = _mm512_loadu_si512(p + 192);
    _mm512_storeu_si512(p, _mm512_xor_si512(a, m));
    _mm512_storeu_si512(p + 64, _mm512_xor_si512(b, m));
    _mm512_storeu_si512(p + 128, _mm512_xor_si512(c, m));
    _mm512_storeu_si512(p + 192, _mm512_xor_si512(d, m));
  }
  for (; i + 64 <= n; i += 64) {
    uint8_t* p = data + i;
    _mm512_storeu_si512(p, _mm512_xor_si512(_mm512_loadu_si512(p), m));
  }
  const size_t rest = n - i;
  if (rest != 0) {
    const __mmask64 k = (uint64_t{1} << rest) - 1;  // rest < 64
    _mm512_mask_storeu_epi8(data + i, k,
                            _mm512_xor_si512(_mm512_maskz_loadu_epi8(k, data + i), m));
  }
}
#endif  // WSBENCH_UNMASK_X86

struct Kernel {
  UnmaskFn fn;
  std::string_view name;
};

Kernel Resolve() {
  if (internal::CpuHasAvx512()) return {&internal::UnmaskAvx512, "avx512"};
  if (internal::CpuHasAvx2()) return {&internal::UnmaskAvx2, "avx2"};
  return {&internal::UnmaskWord, "word"};
}

const Kernel& Active() {
  static const Kernel kernel = Resolve();  // thread-safe, resolved once
  return kernel;
}

}  // namespace

UnmaskFn ActiveUnmaskKernel() { return Active().fn; }
std::string_view ActiveUnmaskKernelName() { return Active().name; }

namespace internal {

void UnmaskScalar(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  uint8_t k[4];
  std::memcpy(k, &key, 4);
  for (size_t i = 0; i < n; ++i) data[i] ^= k[(phase + i) & 3];
}

void UnmaskWord(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  WordLoop(data, n, RotateKey(key, phase));
}

#if WSBENCH_UNMASK_X86
void UnmaskAvx2(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  Avx2Kernel(data, n, key, phase);
}
void UnmaskAvx512(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  Avx512Kernel(data, n, key, phase);
}
bool CpuHasAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}
bool CpuHasAvx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
}
#else
void UnmaskAvx2(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  UnmaskWord(data, n, key, phase);
}
void UnmaskAvx512(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  UnmaskWord(data, n, key, phase);
}
bool CpuHasAvx2() { return false; }
bool CpuHasAvx512() { return false; }
#endif

}  // namespace internal
}  // namespace wsbench

// RFC 6455 section 5.3 unmasking kernels and their run-time dispatch.
#include "wsbench/unmask.h"

#include <atomic>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <string>


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

// 64-bit words; used for the tails of the vector kernels too. Every chunk it
// consumes is a multiple of 4 bytes, so the key phase never changes. With
// kAscii it also returns the OR of the unmasked bytes (bit 7 set = non-ASCII).
template <bool kAscii>
inline uint64_t WordLoop(uint8_t* data, size_t n, uint32_t rotated) {
  const uint64_t m = rotated | (static_cast<uint64_t>(rotated) << 32);
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    uint64_t w[4];
    std::memcpy(w, data + i, 32);
    w[0] ^= m;
    w[1] ^= m;
    w[2] ^= m;
    w[3] ^= m;
    if (kAscii) acc |= w[0] | w[1] | w[2] | w[3];
    std::memcpy(data + i, w, 32);
  }
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    w ^= m;
    if (kAscii) acc |= w;
    std::memcpy(data + i, &w, 8);
  }
  for (size_t j = 0; i + j < n; ++j) {
    data[i + j] ^= static_cast<uint8_t>(rotated >> (8 * (j & 3)));
    if (kAscii) acc |= data[i + j];
  }
  return acc;
}

inline bool AsciiOnly(uint64_t acc) {
  return (acc & 0x8080808080808080ULL) == 0;
}

#if WSBENCH_UNMASK_X86
template <bool kAscii>
__attribute__((target("avx2"))) bool Avx2Kernel(uint8_t* data, size_t n,
                                                uint32_t key, uint32_t phase) {
  const uint32_t rotated = RotateKey(key, phase);
  const __m256i m = _mm256_set1_epi32(static_cast<int>(rotated));
  __m256i acc = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    auto* p = reinterpret_cast<__m256i*>(data + i);
    __m256i a = _mm256_loadu_si256(p);
    __m256i b = _mm256_loadu_si256(p + 1);
    __m256i c = _mm256_loadu_si256(p + 2);
    __m256i d = _mm256_loadu_si256(p + 3);
    a = _mm256_xor_si256(a, m);
    b = _mm256_xor_si256(b, m);
    c = _mm256_xor_si256(c, m);
    d = _mm256_xor_si256(d, m);
    _mm256_storeu_si256(p, a);
    _mm256_storeu_si256(p + 1, b);
    _mm256_storeu_si256(p + 2, c);
    _mm256_storeu_si256(p + 3, d);
    if (kAscii) {
      acc = _mm256_or_si256(
          acc, _mm256_or_si256(_mm256_or_si256(a, b), _mm256_or_si256(c, d)));
    }
  }
  for (; i + 32 <= n; i += 32) {
    auto* p = reinterpret_cast<__m256i*>(data + i);
    const __m256i x = _mm256_xor_si256(_mm256_loadu_si256(p), m);
    _mm256_storeu_si256(p, x);
    if (kAscii) acc = _mm256_or_si256(acc, x);
  }
  const uint64_t tail = WordLoop<kAscii>(data + i, n - i, rotated);
  return !kAscii || (_mm256_movemask_epi8(acc) == 0 && AsciiOnly(tail));
}

// Masked byte loads/stores (AVX-512 BW) handle the head and tail without a
// scalar loop; masked-off bytes are never touched (no fault, no write).
template <bool kAscii>
__attribute__((target("avx512f,avx512bw"))) bool Avx512Kernel(uint8_t* data,
                                                              size_t n,
                                                              uint32_t key,
                                                              uint32_t phase) {
  uint32_t rotated = RotateKey(key, phase);
  __m512i acc = _mm512_setzero_si512();
  if (n >= 512) {
    // Align the stores to 64 bytes: a split-line store costs two.
    const size_t head = (64 - (reinterpret_cast<uintptr_t>(data) & 63)) & 63;
    if (head != 0) {
      const __mmask64 k = (uint64_t{1} << head) - 1;
      const __m512i m = _mm512_set1_epi32(static_cast<int>(rotated));
      const __m512i x = _mm512_xor_si512(_mm512_maskz_loadu_epi8(k, data), m);
      _mm512_mask_storeu_epi8(data, k, x);
      if (kAscii)
        acc = _mm512_maskz_mov_epi8(k, x);  // masked-off lanes hold the key
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
    a = _mm512_xor_si512(a, m);
    b = _mm512_xor_si512(b, m);
    c = _mm512_xor_si512(c, m);
    d = _mm512_xor_si512(d, m);
    _mm512_storeu_si512(p, a);
    _mm512_storeu_si512(p + 64, b);
    _mm512_storeu_si512(p + 128, c);
    _mm512_storeu_si512(p + 192, d);
    if (kAscii) {
      // OR of four vectors in one ternary-logic op each (0xFE = a | b | c).
      acc = _mm512_ternarylogic_epi64(acc, a, b, 0xFE);
      acc = _mm512_ternarylogic_epi64(acc, c, d, 0xFE);
    }
  }
  for (; i + 64 <= n; i += 64) {
    uint8_t* p = data + i;
    const __m512i x = _mm512_xor_si512(_mm512_loadu_si512(p), m);
    _mm512_storeu_si512(p, x);
    if (kAscii) acc = _mm512_or_si512(acc, x);
  }
  const size_t rest = n - i;
  if (rest != 0) {
    const __mmask64 k = (uint64_t{1} << rest) - 1;  // rest < 64
    const __m512i x = _mm512_xor_si512(_mm512_maskz_loadu_epi8(k, data + i), m);
    _mm512_mask_storeu_epi8(data + i, k, x);
    // Masked-off lanes hold key bytes: zero them for the ASCII test.
    if (kAscii) acc = _mm512_or_si512(acc, _mm512_maskz_mov_epi8(k, x));
  }
  return !kAscii || _mm512_movepi8_mask(acc) == 0;
}
#endif  // WSBENCH_UNMASK_X86

struct Kernel {
  UnmaskFn fn;
  UnmaskAsciiFn ascii_fn;
  std::string_view name;
};

constexpr Kernel kAvx512 = {&internal::UnmaskAvx512,
                            &internal::UnmaskAsciiAvx512, "avx512"};
constexpr Kernel kAvx2 = {&internal::UnmaskAvx2, &internal::UnmaskAsciiAvx2,
                          "avx2"};
constexpr Kernel kWord = {&internal::UnmaskWord, &internal::UnmaskAsciiWord,
                          "word"};

// The kernel called `name` if this CPU can run it, else nullptr.
const Kernel* Supported(std::string_view name) {
  if (name == kAvx512.name) return internal::CpuHasAvx512() ? &kAvx512 : nullptr;
  if (name == kAvx2.name) return internal::CpuHasAvx2() ? &kAvx2 : nullptr;
  if (name == kWord.name) return &kWord;
  return nullptr;
}

const Kernel* Resolve() {
  const char* forced = std::getenv(kUnmaskKernelEnv);
  if (forced != nullptr) {
    if (const Kernel* k = Supported(forced)) return k;
  }
  if (internal::CpuHasAvx512()) return &kAvx512;
  if (internal::CpuHasAvx2()) return &kAvx2;
  return &kWord;
}

// Resolved once, on first use, unless SetUnmaskKernel() chose one first.
std::atomic<const Kernel*> active{nullptr};

const Kernel& Active() {
  const Kernel* k = active.load(std::memory_order_acquire);
  if (k == nullptr) {
    const Kernel* resolved = Resolve();
    // The first resolution (or an earlier SetUnmaskKernel) wins.
    active.compare_exchange_strong(k, resolved, std::memory_order_acq_rel);
    k = active.load(std::memory_order_acquire);
  }
  return *k;
}

}  // namespace

UnmaskFn ActiveUnmaskKernel() { return Active().fn; }
UnmaskAsciiFn ActiveUnmaskAsciiKernel() { return Active().ascii_fn; }
std::string_view ActiveUnmaskKernelName() { return Active().name; }

absl::Status SetUnmaskKernel(std::string_view name) {
  if (name != kAvx512.name && name != kAvx2.name && name != kWord.name) {
    return absl::InvalidArgumentError(
        "unmask kernel '" + std::string(name) +
        "': unknown (expected avx512, avx2 or word)");
  }
  const Kernel* k = Supported(name);
  if (k == nullptr) {
    return absl::FailedPreconditionError("unmask kernel '" + std::string(name) +
                                         "': this CPU does not support it");
  }
  active.store(k, std::memory_order_release);
  return absl::OkStatus();
}

namespace internal {

void UnmaskScalar(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  uint8_t k[4];
  std::memcpy(k, &key, 4);
  for (size_t i = 0; i < n; ++i) data[i] ^= k[(phase + i) & 3];
}

bool UnmaskAsciiScalar(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  UnmaskScalar(data, n, key, phase);
  uint8_t acc = 0;
  for (size_t i = 0; i < n; ++i) acc |= data[i];
  return acc < 0x80;
}

void UnmaskWord(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  WordLoop<false>(data, n, RotateKey(key, phase));
}
bool UnmaskAsciiWord(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  return AsciiOnly(WordLoop<true>(data, n, RotateKey(key, phase)));
}

#if WSBENCH_UNMASK_X86
void UnmaskAvx2(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  Avx2Kernel<false>(data, n, key, phase);
}
void UnmaskAvx512(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  Avx512Kernel<false>(data, n, key, phase);
}
bool UnmaskAsciiAvx2(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  return Avx2Kernel<true>(data, n, key, phase);
}
bool UnmaskAsciiAvx512(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  return Avx512Kernel<true>(data, n, key, phase);
}
bool CpuHasAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}
bool CpuHasAvx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw");
}
#else
void UnmaskAvx2(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  UnmaskWord(data, n, key, phase);
}
void UnmaskAvx512(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  UnmaskWord(data, n, key, phase);
}
bool UnmaskAsciiAvx2(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  return UnmaskAsciiWord(data, n, key, phase);
}
bool UnmaskAsciiAvx512(uint8_t* data, size_t n, uint32_t key, uint32_t phase) {
  return UnmaskAsciiWord(data, n, key, phase);
}
bool CpuHasAvx2() { return false; }
bool CpuHasAvx512() { return false; }
#endif

}  // namespace internal
}  // namespace wsbench

// RFC 6455 section 5.3 unmasking: every kernel equals the scalar reference for
// all lengths 0..300, start alignments and key phases, and touches nothing
// outside the range.
#include "wsbench/unmask.h"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace wsbench {
namespace {

struct NamedKernel {
  const char* name;
  UnmaskFn fn;
};

std::vector<NamedKernel> Kernels() {
  std::vector<NamedKernel> k = {{"word", &internal::UnmaskWord},
                                {"active", ActiveUnmaskKernel()}};
  if (internal::CpuHasAvx2()) k.push_back({"avx2", &internal::UnmaskAvx2});
  if (internal::CpuHasAvx512())
    k.push_back({"avx512", &internal::UnmaskAvx512});
  return k;
}

std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

TEST(UnmaskTest, ScalarMatchesRfcExample) {
  // RFC 6455 section 5.7: "Hello" masked with 37 fa 21 3d.
  std::vector<uint8_t> data = {0x7f, 0x9f, 0x4d, 0x51, 0x58};
  const uint32_t key = MaskKeyWord({0x37, 0xfa, 0x21, 0x3d});
  internal::UnmaskScalar(data.data(), data.size(), key, 0);
  EXPECT_EQ(std::string(data.begin(), data.end()), "Hello");
}

TEST(UnmaskTest, PublicUnmaskReturnsNextPhase) {
  std::vector<uint8_t> data = {0x7f, 0x9f, 0x4d, 0x51, 0x58};
  const std::array<uint8_t, 4> key = {0x37, 0xfa, 0x21, 0x3d};
  uint32_t phase = Unmask(std::span(data).first(3), key, 0);
  EXPECT_EQ(phase, 3u);
  phase = Unmask(std::span(data).subspan(3), key, phase);
  EXPECT_EQ(phase, 1u);
  EXPECT_EQ(std::string(data.begin(), data.end()), "Hello");
}

TEST(UnmaskTest, ActiveKernelIsTheWidestTheCpuHas) {
  if (std::getenv(kUnmaskKernelEnv) != nullptr) {
    GTEST_SKIP() << kUnmaskKernelEnv << " pins the kernel";
  }
  const std::string_view name = ActiveUnmaskKernelName();
  if (internal::CpuHasAvx512()) {
    EXPECT_EQ(name, "avx512");
  } else if (internal::CpuHasAvx2()) {
    EXPECT_EQ(name, "avx2");
  } else {
    EXPECT_EQ(name, "word");
  }
}

// SetUnmaskKernel pins the dispatch (tools/instructions does so under
// valgrind) and refuses what it cannot honour, leaving the kernel unchanged.
TEST(UnmaskTest, SetUnmaskKernelPinsTheDispatch) {
  const std::string original(ActiveUnmaskKernelName());
  ASSERT_TRUE(SetUnmaskKernel("word").ok());
  EXPECT_EQ(ActiveUnmaskKernelName(), "word");
  EXPECT_EQ(ActiveUnmaskKernel(), &internal::UnmaskWord);
  EXPECT_EQ(ActiveUnmaskAsciiKernel(), &internal::UnmaskAsciiWord);
  std::vector<uint8_t> data = {'H' ^ 1, 'i' ^ 2};
  Unmask(std::span(data), {1, 2, 3, 4});
  EXPECT_EQ(std::string(data.begin(), data.end()), "Hi");

  const absl::Status unknown = SetUnmaskKernel("sse9");
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("sse9"), std::string_view::npos);
  EXPECT_EQ(ActiveUnmaskKernelName(), "word");

  const absl::Status avx2 = SetUnmaskKernel("avx2");
  if (internal::CpuHasAvx2()) {
    EXPECT_TRUE(avx2.ok());
    EXPECT_EQ(ActiveUnmaskKernelName(), "avx2");
  } else {
    EXPECT_EQ(avx2.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ActiveUnmaskKernelName(), "word");
  }
  ASSERT_TRUE(SetUnmaskKernel(original).ok());
  EXPECT_EQ(ActiveUnmaskKernelName(), original);
}

// Every kernel, every length 0..300, every start offset 0..67 (covers all
// alignments of a 64-byte vector), every phase; guard bytes stay untouched.
TEST(UnmaskTest, AllKernelsEqualScalarForAllLengthsOffsetsAndPhases) {
  constexpr size_t kGuard = 80;
  const uint32_t key = MaskKeyWord({0xa1, 0x52, 0xc3, 0x7e});
  const std::vector<uint8_t> source = RandomBytes(300 + 2 * kGuard + 64, 7);
  for (const NamedKernel& kernel : Kernels()) {
    for (size_t len = 0; len <= 300; ++len) {
      for (size_t offset = 0; offset < 68; ++offset) {
        for (uint32_t phase = 0; phase < 4; ++phase) {
          std::vector<uint8_t> expected = source;
          std::vector<uint8_t> actual = source;
          internal::UnmaskScalar(expected.data() + kGuard + offset, len, key,
                                 phase);
          kernel.fn(actual.data() + kGuard + offset, len, key, phase);
          ASSERT_EQ(actual, expected)
              << kernel.name << " len=" << len << " offset=" << offset
              << " phase=" << phase;
        }
      }
    }
  }
}

// The ASCII-reporting kernels unmask exactly like the scalar reference and
// report "all ASCII" exactly when no unmasked byte has bit 7 set, wherever the
// one non-ASCII byte is (head, body, tail), for all lengths, offsets, phases.
TEST(UnmaskTest, AsciiKernelsEqualScalarAndReportNonAsciiAnywhere) {
  struct AsciiKernel {
    const char* name;
    UnmaskAsciiFn fn;
  };
  std::vector<AsciiKernel> kernels = {{"scalar", &internal::UnmaskAsciiScalar},
                                      {"word", &internal::UnmaskAsciiWord},
                                      {"active", ActiveUnmaskAsciiKernel()}};
  if (internal::CpuHasAvx2())
    kernels.push_back({"avx2", &internal::UnmaskAsciiAvx2});
  if (internal::CpuHasAvx512())
    kernels.push_back({"avx512", &internal::UnmaskAsciiAvx512});
  const std::array<uint8_t, 4> key_bytes = {0xa1, 0x52, 0xc3,
                                            0x7e};  // two have bit 7 set
  const uint32_t key = MaskKeyWord(key_bytes);
  std::mt19937 rng(11);
  for (const AsciiKernel& kernel : kernels) {
    for (size_t len :
         {0u,   1u,   3u,   7u,   8u,   31u,  32u,  33u,  63u,  64u,  65u,
          127u, 128u, 200u, 255u, 256u, 300u, 511u, 512u, 700u, 1500u}) {
      for (size_t offset : {0u, 1u, 5u, 63u}) {
        for (uint32_t phase = 0; phase < 4; ++phase) {
          // Plain ASCII text, masked; optionally one byte made non-ASCII.
          for (int bad = -1; bad < 3; ++bad) {
            std::vector<uint8_t> plain(len + 64 + 8);
            for (auto& b : plain) b = static_cast<uint8_t>('a' + rng() % 26);
            size_t bad_at = 0;
            if (bad >= 0 && len > 0) {
              bad_at = bad == 0 ? 0 : (bad == 1 ? len - 1 : rng() % len);
              plain[offset + bad_at] = 0xC3;
            }
            std::vector<uint8_t> masked = plain;
            internal::UnmaskScalar(masked.data() + offset, len, key,
                                   phase);  // involution
            std::vector<uint8_t> work = masked;
            const bool ascii = kernel.fn(work.data() + offset, len, key, phase);
            ASSERT_EQ(work, plain)
                << kernel.name << " len=" << len << " phase=" << phase;
            ASSERT_EQ(ascii, bad < 0 || len == 0)
                << kernel.name << " len=" << len << " offset=" << offset
                << " phase=" << phase << " bad_at=" << bad_at;
          }
        }
      }
    }
  }
}

TEST(UnmaskTest, LargeBuffersEqualScalar) {
  const uint32_t key = MaskKeyWord({0x01, 0x80, 0xff, 0x33});
  for (size_t len : {511u, 512u, 513u, 4096u, 16384u, 16384u + 61u, 100000u}) {
    const std::vector<uint8_t> source =
        RandomBytes(len + 64, static_cast<uint32_t>(len));
    for (const NamedKernel& kernel : Kernels()) {
      for (size_t offset : {0u, 1u, 13u, 63u}) {
        for (uint32_t phase = 0; phase < 4; ++phase) {
          std::vector<uint8_t> expected = source;
          std::vector<uint8_t> actual = source;
          internal::UnmaskScalar(expected.data() + offset, len, key, phase);
          kernel.fn(actual.data() + offset, len, key, phase);
          ASSERT_EQ(actual, expected)
              << kernel.name << " len=" << len << " offset=" << offset
              << " phase=" << phase;
        }
      }
    }
  }
}

// A payload unmasked piece by piece (continuing phases) equals one pass.
TEST(UnmaskTest, SplitAtEveryPointEqualsOnePass) {
  const std::array<uint8_t, 4> key = {0x11, 0x22, 0x33, 0x44};
  const std::vector<uint8_t> source = RandomBytes(300, 3);
  std::vector<uint8_t> whole = source;
  Unmask(whole, key);
  for (size_t a = 0; a <= source.size(); ++a) {
    for (size_t b = a; b <= source.size(); b += 7) {
      std::vector<uint8_t> pieces = source;
      std::span<uint8_t> s(pieces);
      uint32_t phase = Unmask(s.first(a), key, 0);
      phase = Unmask(s.subspan(a, b - a), key, phase);
      Unmask(s.subspan(b), key, phase);
      ASSERT_EQ(pieces, whole) << "cuts at " << a << ", " << b;
    }
  }
}

TEST(UnmaskTest, MaskingTwiceIsIdentity) {
  const std::array<uint8_t, 4> key = {0xde, 0xad, 0xbe, 0xef};
  const std::vector<uint8_t> source = RandomBytes(1000, 9);
  std::vector<uint8_t> data = source;
  Unmask(data, key, 2);
  EXPECT_NE(data, source);
  Unmask(data, key, 2);
  EXPECT_EQ(data, source);
}

}  // namespace
}  // namespace wsbench

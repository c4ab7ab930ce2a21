// RFC 6455 section 5.2 header bytes for the boundary payload lengths.
#include "wsbench/frame.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace wsbench {
namespace {

std::vector<uint8_t> Header(uint64_t size, Opcode op = Opcode::kText,
                            bool fin = true) {
  std::array<uint8_t, kMaxFrameHeaderSize> buf{};
  size_t n = EncodeFrameHeader({.opcode = op, .fin = fin, .payload_size = size}, buf);
  EXPECT_EQ(n, FrameHeaderSize(size, false));
  return {buf.begin(), buf.begin() + n};
}

TEST(FrameHeaderTest, BoundaryLengthsMatchRfc6455ByteForByte) {
  EXPECT_EQ(Header(0), (std::vector<uint8_t>{0x81, 0x00}));
  EXPECT_EQ(Header(125), (std::vector<uint8_t>{0x81, 0x7D}));
  EXPECT_EQ(Header(126), (std::vector<uint8_t>{0x81, 0x7E, 0x00, 0x7E}));
  EXPECT_EQ(Header(65535), (std::vector<uint8_t>{0x81, 0x7E, 0xFF, 0xFF}));
  EXPECT_EQ(Header(65536), (std::vector<uint8_t>{0x81, 0x7F, 0x00, 0x00, 0x00,
                                                 0x00, 0x00, 0x01, 0x00, 0x00}));
}

TEST(FrameHeaderTest, OpcodeFinAndRsv1Bits) {
  EXPECT_EQ(Header(3, Opcode::kBinary)[0], 0x82);
  EXPECT_EQ(Header(3, Opcode::kContinuation, /*fin=*/false)[0], 0x00);
  EXPECT_EQ(Header(0, Opcode::kPing)[0], 0x89);
  std::array<uint8_t, kMaxFrameHeaderSize> buf{};
  EncodeFrameHeader({.opcode = Opcode::kText, .rsv1 = true, .payload_size = 1}, buf);
  EXPECT_EQ(buf[0], 0xC1);
}

TEST(FrameHeaderTest, MaskedFrameCarriesKeyAndMaskedPayload) {
  // The example of RFC 6455 section 5.7: a masked "Hello".
  std::string out;
  AppendFrame({.opcode = Opcode::kText, .masked = true,
               .mask_key = {0x37, 0xfa, 0x21, 0x3d}},
              "Hello", out);
  const std::vector<uint8_t> expected = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                         0x7f, 0x9f, 0x4d, 0x51, 0x58};
  EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.end()), expected);
}

TEST(FrameHeaderTest, UnmaskedHelloMatchesRfcExample) {
  std::string out;
  AppendFrame({.opcode = Opcode::kText}, "Hello", out);
  EXPECT_EQ(out, std::string("\x81\x05Hello", 7));
}

TEST(FrameHeaderTest, IsControl) {
  EXPECT_TRUE(IsControl(Opcode::kClose));
  EXPECT_TRUE(IsControl(Opcode::kPong));
  EXPECT_FALSE(IsControl(Opcode::kText));
  EXPECT_FALSE(IsControl(Opcode::kContinuation));
}

}  // namespace
}  // namespace wsbench

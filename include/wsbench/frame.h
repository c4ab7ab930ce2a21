// RFC 6455 frame header encoding (section 5.2): the bytes a server puts before
// every message it sends, and the masked form a client sends (for tests and
// benchmarks).
//
// Layout: byte 0 = FIN | RSV1..3 | opcode; byte 1 = MASK | 7-bit length; then a
// 16-bit (126) or 64-bit (127) big-endian extended length, then the 4-byte
// masking key when MASK is set. Headers are 2, 4 or 10 bytes unmasked, plus 4
// when masked (kMaxFrameHeaderSize = 14). Encoding is O(1), allocation-free
// and thread-compatible (pure functions).
//
//   std::array<uint8_t, wsbench::kMaxFrameHeaderSize> header;
//   size_t n = wsbench::EncodeFrameHeader({.opcode = wsbench::Opcode::kText,
//                                          .payload_size = body.size()},
//                                         header);
#ifndef WSBENCH_FRAME_H_
#define WSBENCH_FRAME_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace wsbench {

// Opcodes of RFC 6455 section 5.2 (values 3-7 and 0xB-0xF are reserved).
enum class Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// True for close, ping and pong (opcodes with the high bit set, section 5.5).
constexpr bool IsControl(Opcode op) { return (static_cast<uint8_t>(op) & 0x8) != 0; }

inline constexpr size_t kMaxFrameHeaderSize = 14;
// Control frames carry at most 125 payload bytes (section 5.5).
inline constexpr size_t kMaxControlPayload = 125;

struct FrameHeader {
  Opcode opcode = Opcode::kText;
  bool fin = true;
  bool rsv1 = false;  // Set by permessage-deflate on the first frame (RFC 7692).
  uint64_t payload_size = 0;
  bool masked = false;
  std::array<uint8_t, 4> mask_key = {0, 0, 0, 0};
};

// Size in bytes of the encoded header for `header` (2, 4 or 10; +4 if masked).
constexpr size_t FrameHeaderSize(uint64_t payload_size, bool masked) {
  size_t n = payload_size <= 125 ? 2 : (payload_size <= 0xFFFF ? 4 : 10);
  return masked ? n + 4 : n;
}

// Writes the header into `out` using the minimal length encoding (section
// 5.2 requires it) and returns the number of bytes written.
size_t EncodeFrameHeader(const FrameHeader& header,
                         std::span<uint8_t, kMaxFrameHeaderSize> out);

// Appends a complete frame (header + payload, masked with header.mask_key when
// header.masked) to `out`. header.payload_size is taken from `payload`.
void AppendFrame(FrameHeader header, std::string_view payload, std::string& out);

}  // namespace wsbench

#endif  // WSBENCH_FRAME_H_

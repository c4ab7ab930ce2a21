// RFC 6455 section 5.2 frame header encoding.
#include "wsbench/frame.h"

#include <cstring>

namespace wsbench {

size_t EncodeFrameHeader(const FrameHeader& header,
                         std::span<uint8_t, kMaxFrameHeaderSize> out) {
  out[0] = static_cast<uint8_t>((header.fin ? 0x80 : 0) | (header.rsv1 ? 0x40 : 0) |
                                static_cast<uint8_t>(header.opcode));
  const uint8_t mask_bit = header.masked ? 0x80 : 0;
  const uint64_t n = header.payload_size;
  size_t pos;
  if (n <= 125) {
    out[1] = static_cast<uint8_t>(mask_bit | n);
    pos = 2;
  } else if (n <= 0xFFFF) {
    out[1] = mask_bit | 126;
    out[2] = static_cast<uint8_t>(n >> 8);
    out[3] = static_cast<uint8_t>(n);
    pos = 4;
  } else {
    out[1] = mask_bit | 127;
    for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<uint8_t>(n >> (56 - 8 * i));
    pos = 10;
  }
  if (header.masked) {
    std::memcpy(&out[pos], header.mask_key.data(), 4);
    pos += 4;
  }
  return pos;
}

void AppendFrame(FrameHeader header, std::string_view payload, std::string& out) {
  header.payload_size = payload.size();
  std::array<uint8_t, kMaxFrameHeaderSize> buf;
  const size_t n = EncodeFrameHeader(header, buf);
  const size_t start = out.size();
  out.append(reinterpret_cast<const char*>(buf.data()), n);
  out.append(payload);
  if (header.masked) {
    char* p = out.data() + start + n;
    for (size_t i = 0; i < payload.size(); ++i) {
      p[i] = static_cast<char>(p[i] ^ header.mask_key[i & 3]);
    }
  }
}

}  // namespace wsbench

// libFuzzer target for UTF-8 validation (utf8.h): the streaming validator fed
// the input in pieces (sizes from byte 0) agrees with simdjson on the whole
// buffer and with a byte-at-a-time reference decoder (RFC 3629 section 4).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.h"
#include "wsbench/utf8.h"

namespace {

bool ReferenceValid(const uint8_t* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint8_t c = s[i];
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else
      return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
      return false;                                  // overlong
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;  // surrogate
    if (cp > 0x10FFFF) return false;
    i += len;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t seed = data[0];
  ++data;
  --size;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool whole = wsbench::IsValidUtf8(text);
  WSBENCH_FUZZ_CHECK(whole == ReferenceValid(data, size));
  wsbench::Utf8Validator v;
  uint32_t state = seed;
  bool ok = true;
  size_t pos = 0;
  while (pos < size && ok) {
    state = state * 1103515245u + 12345u;
    const size_t n = std::min<size_t>(size - pos, (state >> 16) % 9);
    ok = v.Feed(text.substr(pos, n));
    pos += n;
  }
  WSBENCH_FUZZ_CHECK((ok && v.Finish()) == whole);
  return 0;
}

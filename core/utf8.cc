// UTF-8 validation (RFC 3629) with simdjson's validator, streamed across
// fragment boundaries for RFC 6455 section 8.1.
#include "wsbench/utf8.h"

#include <algorithm>
#include <cstring>

#include "simdjson.h"

namespace wsbench {

namespace internal {

int Utf8SequenceLength(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xC2) return 0;  // continuation byte, or overlong lead C0/C1
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  if (lead < 0xF5) return 4;
  return 0;  // F5..FF would encode beyond U+10FFFF
}

bool IsValidUtf8Prefix(const uint8_t* bytes, size_t n) {
  if (n == 0) return true;
  const int len = Utf8SequenceLength(bytes[0]);
  if (len < 2 || n >= static_cast<size_t>(len)) return false;
  if (n >= 2) {
    const uint8_t lead = bytes[0];
    const uint8_t b = bytes[1];
    uint8_t lo = 0x80;
    uint8_t hi = 0xBF;
    if (lead == 0xE0)
      lo = 0xA0;  // overlong 3-byte
    else if (lead == 0xED)
      hi = 0x9F;  // UTF-16 surrogates
    else if (lead == 0xF0)
      lo = 0x90;  // overlong 4-byte
    else if (lead == 0xF4)
      hi = 0x8F;  // above U+10FFFF
    if (b < lo || b > hi) return false;
  }
  for (size_t i = 2; i < n; ++i) {
    if ((bytes[i] & 0xC0) != 0x80) return false;
  }
  return true;
}

}  // namespace internal

namespace {

// ASCII prefilter for short texts (most WebSocket text is ASCII JSON): OR of
// 8-byte words, then one overlapping last word. simdjson's entry costs a
// dispatch and setup that dominate a ~100-byte message.
inline bool IsAscii(const char* p, size_t n) {
  uint64_t acc = 0;
  if (n >= 8) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      acc |= w;
    }
    uint64_t w;
    std::memcpy(&w, p + n - 8, 8);
    acc |= w;
  } else {
    for (size_t i = 0; i < n; ++i) acc |= static_cast<uint8_t>(p[i]);
  }
  return (acc & 0x8080808080808080ULL) == 0;
}

constexpr size_t kAsciiPrefilterMax = 1024;

}  // namespace

bool IsValidUtf8(std::string_view text) {
  if (text.size() <= kAsciiPrefilterMax && IsAscii(text.data(), text.size()))
    return true;
  return simdjson::validate_utf8(text.data(), text.size());
}

size_t FindInvalidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const size_t len = static_cast<size_t>(internal::Utf8SequenceLength(p[i]));
    if (len == 1) {
      ++i;
      continue;
    }
    // A whole sequence is a valid prefix of len - 1 bytes (lead and second
    // byte ranges, continuations) plus a final continuation byte.
    if (len == 0 || i + len > n ||
        !internal::IsValidUtf8Prefix(p + i, len - 1) ||
        (p[i + len - 1] & 0xC0) != 0x80) {
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

bool Utf8Validator::Feed(std::string_view piece) {
  if (failed_) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(piece.data());
  size_t n = piece.size();
  if (tail_size_ != 0) {
    // Complete the code point the previous piece cut.
    const size_t total =
        static_cast<size_t>(internal::Utf8SequenceLength(tail_[0]));
    const size_t take = std::min(total - tail_size_, n);
    if (take != 0) std::memcpy(tail_ + tail_size_, p, take);
    tail_size_ = static_cast<uint8_t>(tail_size_ + take);
    if (tail_size_ < total) {
      failed_ = !internal::IsValidUtf8Prefix(tail_, tail_size_);
      return !failed_;
    }
    if (!simdjson::validate_utf8(reinterpret_cast<const char*>(tail_), total)) {
      failed_ = true;
      return false;
    }
    tail_size_ = 0;
    p += take;
    n -= take;
  }
  // Find a sequence the piece's end cuts: the last non-continuation byte in
  // the final 3 whose sequence is longer than what follows it.
  size_t cut = n;
  for (size_t back = 1; back <= std::min<size_t>(3, n); ++back) {
    const uint8_t b = p[n - back];
    if ((b & 0xC0) == 0x80) continue;
    if (static_cast<size_t>(internal::Utf8SequenceLength(b)) > back)
      cut = n - back;
    break;
  }
  if (cut != 0 &&
      !simdjson::validate_utf8(reinterpret_cast<const char*>(p), cut)) {
    failed_ = true;
    return false;
  }
  if (cut != n) {
    if (!internal::IsValidUtf8Prefix(p + cut, n - cut)) {
      failed_ = true;
      return false;
    }
    std::memcpy(tail_, p + cut, n - cut);
    tail_size_ = static_cast<uint8_t>(n - cut);
  }
  return true;
}

}  // namespace wsbench

// The strict JSON grammar checker of MessageParser's error path: it re-reads
// a rejected message byte by byte so that the message gets exactly one error
// code (truncated vs malformed vs too deep) and the byte where it fails. The
// fast path never runs it.
//
// Internal to wsbench::core (not installed); tests/message_parser_test.cc
// covers it through MessageParser.
#ifndef WSBENCH_CORE_JSON_CHECK_INTERNAL_H_
#define WSBENCH_CORE_JSON_CHECK_INTERNAL_H_

#include <cstddef>
#include <cstdint>

namespace wsbench::internal {

// RFC 8259 section 2 whitespace, digits and hex digits.
inline bool IsJsonSpace(uint8_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
inline bool IsDigit(uint8_t c) { return c >= '0' && c <= '9'; }
inline bool IsHex(uint8_t c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

struct JsonCheck {
  enum Kind { kValid, kPrefix, kInvalid } kind = kValid;
  size_t offset = 0;  // Where an invalid text fails.
  const char* reason = "";
  uint32_t max_depth = 0;  // Deepest nesting seen.
  size_t deep_offset = 0;  // Where max_depth was first reached.
};

// Strict RFC 8259 grammar check of a whole text: valid, a proper prefix of a
// valid text (truncated), or invalid at an offset. Bytes >= 0x80 are not
// checked here (the caller checks UTF-8 first). No allocation: the container
// stack is a fixed bitset of 4096 levels; deeper nesting is reported invalid
// with the reason "nesting too deep to check".
JsonCheck CheckJson(const uint8_t* p, size_t n);

}  // namespace wsbench::internal

#endif  // WSBENCH_CORE_JSON_CHECK_INTERNAL_H_

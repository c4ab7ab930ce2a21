// UTF-8 validation of text messages (RFC 6455 sections 5.6 and 8.1; RFC 3629),
// whole or streamed across fragment boundaries.
//
// IsValidUtf8() validates one complete buffer with simdjson's SIMD validator
// (simdjson::validate_utf8, which picks its kernel for the CPU at run time).
// Utf8Validator validates a message that arrives in pieces (frames of a
// fragmented message, or one frame split across reads): a code point cut by a
// piece boundary is carried as an incomplete tail of at most 3 bytes and
// completed by the next piece. An error is reported as soon as the bytes seen
// so far cannot begin valid UTF-8 (fail fast, section 8.1), not only at the
// end. State: 3 tail bytes + 1 length byte; O(n) per piece; no allocation.
// Thread-compatible (one validator per message stream).
//
//   wsbench::Utf8Validator v;
//   bool ok = v.Feed(first_fragment) && v.Feed(second_fragment) && v.Finish();
#ifndef WSBENCH_UTF8_H_
#define WSBENCH_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wsbench {

// True when `text` is entirely valid UTF-8 (no overlongs, no surrogates, no
// code points above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// Offset of the first byte of `text` that does not start a valid UTF-8
// sequence (RFC 3629 section 4: a bad lead byte, or a sequence that is
// overlong, a surrogate, above U+10FFFF or cut short), or npos when the whole
// text is valid. A scalar scan for error reporting: IsValidUtf8 is the fast
// check.
size_t FindInvalidUtf8(std::string_view text);

class Utf8Validator {
 public:
  // Validates the next piece of the stream. Returns false once the stream so
  // far is not a prefix of any valid UTF-8 text; the validator then stays
  // failed until Reset().
  bool Feed(std::string_view piece);
  // True when the stream ended on a code point boundary (no incomplete tail)
  // and no error was seen.
  bool Finish() const { return !failed_ && tail_size_ == 0; }
  // Forgets the stream (a new message).
  void Reset() {
    tail_size_ = 0;
    failed_ = false;
  }
  bool failed() const { return failed_; }
  // Bytes of an incomplete code point carried to the next piece (0..3).
  size_t tail_size() const { return tail_size_; }

 private:
  uint8_t tail_[4] = {0, 0, 0, 0};
  uint8_t tail_size_ = 0;
  bool failed_ = false;
};

namespace internal {

// Bytes in the sequence that `lead` starts (2..4), 1 for ASCII, 0 for a byte
// that cannot start a sequence (continuation bytes, C0, C1, F5..FF).
int Utf8SequenceLength(uint8_t lead);
// True when bytes[0, n) (n < sequence length) can still be completed into a
// valid sequence (RFC 3629 section 4 ranges: E0 A0-BF, ED 80-9F, F0 90-BF,
// F4 80-8F, otherwise 80-BF).
bool IsValidUtf8Prefix(const uint8_t* bytes, size_t n);

}  // namespace internal
}  // namespace wsbench

#endif  // WSBENCH_UTF8_H_

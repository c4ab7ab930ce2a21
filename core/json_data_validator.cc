#include <algorithm>
#include <bit>
#include <cstring>
#include <span>

#include "core/json_check_internal.h"
#include "core/json_data_validator_internal.h"

namespace wsbench::internal {

bool CheckEscapes(const uint8_t* p, const uint8_t* end) {
  for (;;) {
    p = static_cast<const uint8_t*>(
        std::memchr(p, '\\', static_cast<size_t>(end - p)));
    if (p == nullptr) return true;
    if (p + 1 >= end) return false;
    const uint8_t e = p[1];
    if (e == 'u') {
      if (p + 6 > end) return false;
      if (!IsHex(p[2]) || !IsHex(p[3]) || !IsHex(p[4]) || !IsHex(p[5])) {
        return false;
      }
      p += 6;
    } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' ||
               e == 'n' || e == 'r' || e == 't') {
      p += 2;
    } else {
      return false;
    }
  }
}

namespace {

static_assert(std::endian::native == std::endian::little,
              "CheckAtom reads words");

// A scalar atom (true/false/null/number) starting at p whose token ends
// before `next` (the next structural): the grammar must consume it up to
// whitespace or `next`.
[[gnu::always_inline]] inline bool CheckAtom(const uint8_t* p,
                                             const uint8_t* next) {
  // `next` is inside the message and is a structural character or an atom
  // preceded by whitespace, so the loops below stop by `next` unguarded.
  const uint8_t* q = p;
  uint32_t word;
  std::memcpy(&word, p, 4);
  switch (*p) {
    case 't':
      if (word != 0x65757274u) return false;  // "true" little-endian.
      q = p + 4;
      break;
    case 'f':
      if (word != 0x736c6166u || p[4] != 'e') return false;  // "fals" + 'e'.
      q = p + 5;
      break;
    case 'n':
      if (word != 0x6c6c756eu) return false;  // "null".
      q = p + 4;
      break;
    default:
      if (*q == '-') ++q;
      if (*q == '0') {
        ++q;
      } else if (IsDigit(*q)) {
        do ++q;
        while (IsDigit(*q));
      } else {
        return false;
      }
      if (*q == '.') {
        ++q;
        if (!IsDigit(*q)) return false;
        do ++q;
        while (IsDigit(*q));
      }
      if (*q == 'e' || *q == 'E') {
        ++q;
        if (*q == '+' || *q == '-') ++q;
        if (!IsDigit(*q)) return false;
        do ++q;
        while (IsDigit(*q));
      }
  }
  return q == next || IsJsonSpace(*q);
}

}  // namespace

bool CheckScalar(const uint8_t* p, const uint8_t* next) {
  return CheckAtom(p, next);
}

namespace {

// Container kinds of the open levels (true: object), innermost on top, as the
// bits of one word: for walks at most 64 levels deep, kept in a register.
class BitStack {
 public:
  void Push(bool object) { bits_ = bits_ << 1 | uint64_t{object}; }
  void Pop() { bits_ >>= 1; }
  bool InObject() const { return (bits_ & 1) != 0; }

 private:
  uint64_t bits_ = 0;
};

// The same for any depth: one byte per level in a caller's buffer.
class ByteStack {
 public:
  explicit ByteStack(uint8_t* levels) : top_(levels) {}
  void Push(bool object) { *++top_ = object; }
  void Pop() { --top_; }
  bool InObject() const { return *top_ != 0; }

 private:
  uint8_t* top_;
};

// Grammar walk of the container opening at *t over the structural index, up
// to `last` (every step to the next structural is bounded: the index of a
// malformed message need not balance its brackets). Returns the structural
// after the container, or nullptr.
template <class Stack>
const uint32_t* WalkContainer(const uint8_t* bytes, const uint32_t* t,
                              const uint32_t* const last, uint32_t limit,
                              Stack stack) {
#define WSBENCH_NEXT_STRUCTURAL()  \
  do {                             \
    if (t == last) return nullptr; \
    c = bytes[*++t];               \
  } while (false)
  uint32_t depth = 0;
  uint8_t c = bytes[*t];
  goto value;
object:  // Just after '{'.
  WSBENCH_NEXT_STRUCTURAL();
  if (c == '}') goto close;
field:  // At a key.
  if (c != '"') return nullptr;
  WSBENCH_NEXT_STRUCTURAL();
  if (c != ':') return nullptr;
  WSBENCH_NEXT_STRUCTURAL();
value:  // At a value.
  switch (c) {
    case '{':
      if (++depth > limit) return nullptr;
      stack.Push(true);
      goto object;
    case '[':
      if (++depth > limit) return nullptr;
      stack.Push(false);
      WSBENCH_NEXT_STRUCTURAL();
      if (c == ']') goto close;
      goto value;
    case '"':
      break;  // Stage 1 closed it; escapes are CheckEscapes' business.
    case ']':
    case '}':
    case ',':
    case ':':
      return nullptr;
    default:
      // Inside a container an atom is always followed by a structural.
      if (t == last || !CheckAtom(bytes + t[0], bytes + t[1])) return nullptr;
  }
after_value:  // Inside a container, after one of its values.
  WSBENCH_NEXT_STRUCTURAL();
  if (c == ',') {
    WSBENCH_NEXT_STRUCTURAL();
    if (stack.InObject()) goto field;
    goto value;
  }
  if (c != (stack.InObject() ? '}' : ']')) return nullptr;
close:
  stack.Pop();
  if (--depth == 0) return t == last ? nullptr : t + 1;
  goto after_value;
#undef WSBENCH_NEXT_STRUCTURAL
}

}  // namespace

DataValidator::DataValidator(uint32_t max_depth)
    : stack_(std::max(max_depth, 2u) + 1, 0) {}

const uint32_t* DataValidator::Walk(const uint8_t* bytes, const uint32_t* t,
                                    const uint32_t* end, uint32_t limit) {
  if (t >= end) return nullptr;
  const uint32_t* const last = end - 1;
  const uint8_t c = bytes[*t];
  if (c == '{' || c == '[') {
    if (limit <= 64) return WalkContainer(bytes, t, last, limit, BitStack());
    if (stack_.size() < static_cast<size_t>(limit) + 1) return nullptr;
    return WalkContainer(bytes, t, last, limit, ByteStack(stack_.data()));
  }
  if (t == last) return nullptr;  // A value is followed by a structural.
  if (c == '"') return t + 1;
  if (c == ']' || c == '}' || c == ',' || c == ':') return nullptr;
  return CheckAtom(bytes + t[0], bytes + t[1]) ? t + 1 : nullptr;
}

const uint32_t* DataValidator::Skip(const uint8_t* bytes, const uint32_t* t,
                                    const uint32_t* end) {
  if (t >= end) return nullptr;
  const uint8_t first = bytes[*t];
  if (first != '{' && first != '[') return Walk(bytes, t, end, 0);
  const uint32_t* const last = end - 1;
  uint32_t depth = 1;
  while (depth > 0) {
    if (t == last) return nullptr;
    const uint8_t c = bytes[*++t];
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
  }
  return t == last ? nullptr : t + 1;
}

}  // namespace wsbench::internal

#include <cstring>

#include "core/json_check_internal.h"

namespace wsbench::internal {
namespace {

// Advances i over bytes that need no attention inside a string (not '"',
// '\\' or a control character), 8 at a time.
size_t SkipPlainStringBytes(const uint8_t* p, size_t i, size_t n) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  while (i + 8 <= n) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    const uint64_t quote = w ^ (kOnes * '"');
    const uint64_t slash = w ^ (kOnes * '\\');
    // A byte is "special" when it is 0 after the xor, or < 0x20 originally.
    const uint64_t special = ((quote - kOnes) & ~quote) |
                             ((slash - kOnes) & ~slash) |
                             ((w - kOnes * 0x20) & ~w);
    if ((special & kHigh) != 0) break;
    i += 8;
  }
  return i;
}

}  // namespace

JsonCheck CheckJson(const uint8_t* p, size_t n) {
  constexpr uint32_t kStackBits = 4096;
  uint64_t is_object[kStackBits / 64];
  uint32_t depth = 0;
  JsonCheck r;
  enum State {
    kValue,
    kValueOrClose,
    kKey,
    kKeyOrClose,
    kColon,
    kCommaOrClose,
    kEnd
  };
  State state = kValue;
  size_t i = 0;
  auto invalid = [&](size_t at, const char* why) {
    r.kind = JsonCheck::kInvalid;
    r.offset = at;
    r.reason = why;
    return r;
  };
  auto prefix = [&](const char* why) {
    r.kind = JsonCheck::kPrefix;
    r.offset = n;
    r.reason = why;
    return r;
  };
  auto top_is_object = [&] {
    return (is_object[(depth - 1) / 64] >> ((depth - 1) % 64)) & 1;
  };
  for (;;) {
    while (i < n && IsJsonSpace(p[i])) ++i;
    if (i == n) {
      if (state == kEnd) return r;
      return prefix(depth > 0 ? "unclosed object or array"
                              : "no complete JSON value");
    }
    const uint8_t c = p[i];
    bool value_done = false;
    switch (state) {
      case kEnd:
        return invalid(i, "trailing content after the JSON value");
      case kColon:
        if (c != ':') return invalid(i, "expected ':' after an object key");
        ++i;
        state = kValue;
        continue;
      case kCommaOrClose: {
        const bool obj = top_is_object();
        if (c == ',') {
          ++i;
          state = obj ? kKey : kValue;
          continue;
        }
        if (c == (obj ? '}' : ']')) {
          ++i;
          --depth;
          value_done = true;
          break;
        }
        return invalid(i, obj ? "expected ',' or '}'" : "expected ',' or ']'");
      }
      case kKey:
      case kKeyOrClose:
        if (c == '}' && state == kKeyOrClose) {
          ++i;
          --depth;
          value_done = true;
          break;
        }
        if (c != '"') return invalid(i, "expected a string key");
        [[fallthrough]];
      case kValue:
      case kValueOrClose:
        if (c == ']' && state == kValueOrClose) {
          ++i;
          --depth;
          value_done = true;
          break;
        }
        if (c == '{' || c == '[') {
          if (depth == kStackBits)
            return invalid(i, "nesting too deep to check");
          uint64_t& word = is_object[depth / 64];
          const uint64_t bit = uint64_t{1} << (depth % 64);
          word = c == '{' ? (word | bit) : (word & ~bit);
          ++depth;
          if (depth > r.max_depth) {
            r.max_depth = depth;
            r.deep_offset = i;
          }
          ++i;
          state = c == '{' ? kKeyOrClose : kValueOrClose;
          continue;
        }
        if (c == '"') {
          const bool is_key = state == kKey || state == kKeyOrClose;
          ++i;
          for (;;) {
            if (i == n) return prefix("unclosed string");
            const uint8_t s = p[i];
            if (s == '"') {
              ++i;
              break;
            }
            if (s < 0x20)
              return invalid(i, "unescaped control character in a string");
            if (s != '\\') {
              ++i;
              i = SkipPlainStringBytes(p, i, n);
              continue;
            }
            if (i + 1 == n) return prefix("unclosed string");
            const uint8_t e = p[i + 1];
            if (e == 'u') {
              for (size_t k = 0; k < 4; ++k) {
                if (i + 2 + k == n) return prefix("unclosed string");
                if (!IsHex(p[i + 2 + k]))
                  return invalid(i, "bad \\u escape in a string");
              }
              i += 6;
            } else if (std::strchr("\"\\/bfnrt", e) != nullptr && e != 0) {
              i += 2;
            } else {
              return invalid(i, "bad escape in a string");
            }
          }
          if (is_key) {
            state = kColon;
            continue;
          }
          value_done = true;
          break;
        }
        if (c == '-' || IsDigit(c)) {
          const size_t start = i;
          if (p[i] == '-') {
            ++i;
            if (i == n) return prefix("number ends early");
          }
          if (p[i] == '0') {
            ++i;
            if (i < n && IsDigit(p[i]))
              return invalid(start, "bad number (leading zero)");
          } else if (IsDigit(p[i])) {
            while (i < n && IsDigit(p[i])) ++i;
          } else {
            return invalid(start, "bad number");
          }
          if (i < n && p[i] == '.') {
            ++i;
            if (i == n) return prefix("number ends early");
            if (!IsDigit(p[i])) return invalid(start, "bad number");
            while (i < n && IsDigit(p[i])) ++i;
          }
          if (i < n && (p[i] == 'e' || p[i] == 'E')) {
            ++i;
            if (i < n && (p[i] == '+' || p[i] == '-')) ++i;
            if (i == n) return prefix("number ends early");
            if (!IsDigit(p[i])) return invalid(start, "bad number");
            while (i < n && IsDigit(p[i])) ++i;
          }
          value_done = true;
          break;
        }
        if (c == 't' || c == 'f' || c == 'n') {
          const char* lit = c == 't' ? "true" : (c == 'f' ? "false" : "null");
          const size_t len = std::strlen(lit);
          for (size_t k = 0; k < len; ++k) {
            if (i + k == n) return prefix("literal ends early");
            if (p[i + k] != static_cast<uint8_t>(lit[k]))
              return invalid(i, "bad literal");
          }
          i += len;
          value_done = true;
          break;
        }
        return invalid(i, "expected a JSON value");
    }
    if (value_done) state = depth == 0 ? kEnd : kCommaOrClose;
  }
}

}  // namespace wsbench::internal

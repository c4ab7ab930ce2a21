#include <algorithm>
#include <bit>
#include <cstring>
#include <span>

#include "core/json_check_internal.h"
#include "core/json_data_validator_internal.h"
#include "core/simdjson_stage1_internal.h"

namespace wsbench::internal {
namespace {

using simdjson::error_code;
namespace od = simdjson::ondemand;

bool IsWs(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Checks the escapes of string text in [p, end) (end may include trailing
// whitespace after the closing quote): each backslash must start one of the
// RFC 8259 section 7 escapes. Stage 1 has already checked quotes, control
// characters and UTF-8.
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

// A scalar atom (true/false/null/number) starting at p whose token ends
// before `next` (the next structural): the grammar must consume it up to
// whitespace or `next`.
static_assert(std::endian::native == std::endian::little,
              "CheckAtom reads words");

inline bool CheckAtom(const uint8_t* p, const uint8_t* next) {
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

bool IsJsonNumber(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  auto digit = [&](size_t k) { return k < n && s[k] >= '0' && s[k] <= '9'; };
  if (i < n && s[i] == '-') ++i;
  if (!digit(i)) return false;
  if (s[i] == '0') {
    ++i;
  } else {
    while (digit(i)) ++i;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  while (i < n && IsWs(s[i])) ++i;
  return i == n;
}

DataValidator::DataValidator(uint32_t max_depth)
    : max_depth_(max_depth), stack_(std::max(max_depth, 2u) + 1, 0) {}

bool DataValidator::ValidateContainer(const od::parser& parser, const char* buf,
                                      size_t n, std::string_view data,
                                      uint32_t limit) {
  const std::span<const uint32_t> index = StructuralIndex(parser);
  const uint32_t* idx = index.data();
  const uint32_t count = static_cast<uint32_t>(index.size());
  const auto* bytes = reinterpret_cast<const uint8_t*>(buf);
  const uint32_t start = static_cast<uint32_t>(data.data() - buf);
  const uint32_t last =
      start + static_cast<uint32_t>(data.size()) - 1;  // Closing bracket.
  if (last >= n || stack_.size() < limit + 1) return false;
  const uint32_t* t = std::lower_bound(idx, idx + count, start);
  if (t == idx + count || *t != start) return false;
  // Escapes: every backslash in the range is in a string (one outside
  // would sit in an atom, which fails CheckAtom), and the first one found
  // starts an escape, so one forward scan checks them all.
  const auto* first = reinterpret_cast<const uint8_t*>(data.data());
  if (!CheckEscapes(first, first + data.size())) return false;
  // Recursive descent over the structurals with an explicit stack. The
  // walk matches brackets exactly as simdjson did to find `last`, so it
  // never runs past it. Strings need nothing more: stage 1 closed them.
  uint32_t depth = 0;
  uint8_t c = bytes[*t];
  goto value;
object:  // Just after '{'.
  c = bytes[*++t];
  if (c == '}') goto close;
field:  // At a key.
  if (c != '"' || bytes[*++t] != ':') return false;
  c = bytes[*++t];
value:  // At a value.
  switch (c) {
    case '{':
      if (++depth > limit) return false;
      stack_[depth] = 1;
      goto object;
    case '[':
      if (++depth > limit) return false;
      stack_[depth] = 0;
      c = bytes[*++t];
      if (c == ']') goto close;
      goto value;
    case '"':
      break;
    case ']':
    case '}':
    case ',':
    case ':':
      return false;
    default:
      if (!CheckAtom(bytes + t[0], bytes + t[1])) return false;
  }
after_value:
  c = bytes[*++t];
  if (c == ',') {
    c = bytes[*++t];
    if (stack_[depth]) goto field;
    goto value;
  }
  if (c != (stack_[depth] ? '}' : ']')) return false;
close:
  if (--depth == 0) return *t == last;
  goto after_value;
}

error_code DataValidator::Validate(od::value value, uint32_t depth) {
  od::json_type type;
  error_code err = value.type().get(type);
  if (err) return err;
  switch (type) {
    case od::json_type::object: {
      if (depth > max_depth_) return simdjson::DEPTH_ERROR;
      od::object object;
      if ((err = value.get_object().get(object))) return err;
      for (auto field_result : object) {
        od::field field;
        if ((err = std::move(field_result).get(field))) return err;
        const char* k = field.key().raw();
        while (*k != '"' && *k != '\\') ++k;
        if (*k == '\\') {
          std::string_view unescaped;
          if ((err = field.unescaped_key().get(unescaped))) return err;
        }
        if ((err = Validate(field.value(), depth + 1))) return err;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      if (depth > max_depth_) return simdjson::DEPTH_ERROR;
      od::array array;
      if ((err = value.get_array().get(array))) return err;
      for (auto element_result : array) {
        od::value element;
        if ((err = std::move(element_result).get(element))) return err;
        if ((err = Validate(element, depth + 1))) return err;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view token = value.raw_json_token();
      if (std::memchr(token.data(), '\\', token.size()) == nullptr) {
        return simdjson::SUCCESS;
      }
      std::string_view unescaped;
      return value.get_string().get(unescaped);
    }
    case od::json_type::number:
      return IsJsonNumber(value.raw_json_token()) ? simdjson::SUCCESS
                                                  : simdjson::NUMBER_ERROR;
    case od::json_type::boolean: {
      bool b;
      return value.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null;
      if ((err = value.is_null().get(is_null))) return err;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

}  // namespace wsbench::internal

#include "wsbench/message_parser.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "simdjson.h"

namespace wsbench {

static_assert(kMessagePadding >= simdjson::SIMDJSON_PADDING,
              "kMessagePadding must cover simdjson's padding");

std::string_view CommandTypeName(CommandType type) {
  switch (type) {
    case CommandType::kSubscribe: return "subscribe";
    case CommandType::kUnsubscribe: return "unsubscribe";
    case CommandType::kPublish: return "publish";
    case CommandType::kPing: return "ping";
  }
  return "?";
}

std::string_view MessageErrorName(MessageError error) {
  switch (error) {
    case MessageError::kOk: return "ok";
    case MessageError::kOversized: return "oversized";
    case MessageError::kInvalidUtf8: return "invalid_utf8";
    case MessageError::kTruncated: return "truncated";
    case MessageError::kMalformedJson: return "malformed_json";
    case MessageError::kTooDeep: return "too_deep";
    case MessageError::kNotAnObject: return "not_an_object";
    case MessageError::kUnknownType: return "unknown_type";
    case MessageError::kMissingField: return "missing_field";
    case MessageError::kMistypedField: return "mistyped_field";
    case MessageError::kDuplicateField: return "duplicate_field";
    case MessageError::kNoChannels: return "no_channels";
    case MessageError::kTooManyChannels: return "too_many_channels";
    case MessageError::kBadChannelName: return "bad_channel_name";
  }
  return "unknown_error";
}

std::string_view MessageErrorDescription(MessageError error) {
  switch (error) {
    case MessageError::kOk: return "ok";
    case MessageError::kOversized: return "message is larger than the limit";
    case MessageError::kInvalidUtf8: return "message is not valid UTF-8";
    case MessageError::kTruncated: return "message ends before the JSON text does";
    case MessageError::kMalformedJson: return "message is not valid JSON";
    case MessageError::kTooDeep: return "JSON nesting is deeper than the limit";
    case MessageError::kNotAnObject: return "message is not a JSON object";
    case MessageError::kUnknownType: return "unknown message type";
    case MessageError::kMissingField: return "required field is missing";
    case MessageError::kMistypedField: return "field has the wrong type";
    case MessageError::kDuplicateField: return "field appears twice";
    case MessageError::kNoChannels: return "channel list is empty";
    case MessageError::kTooManyChannels: return "too many channels";
    case MessageError::kBadChannelName: return "channel name is empty or too long";
  }
  return "unknown error";
}

std::string_view MessageFieldName(MessageField field) {
  switch (field) {
    case MessageField::kNone: return "";
    case MessageField::kType: return "type";
    case MessageField::kChannels: return "channels";
    case MessageField::kChannel: return "channel";
    case MessageField::kData: return "data";
    case MessageField::kId: return "id";
  }
  return "";
}

namespace internal {
namespace {

// ---------------------------------------------------------------------------
// Error path: scalar re-checks that give every rejected message one code and
// the byte it fails at. They run only after the fast path has failed.

// Offset of the first byte that is not part of valid UTF-8 (RFC 3629 section
// 4), or npos.
size_t FindInvalidUtf8(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint8_t c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c == 0xE0) {
      len = 3, lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      len = 3;
    } else if (c == 0xED) {
      len = 3, hi = 0x9F;
    } else if (c == 0xF0) {
      len = 4, lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      len = 4;
    } else if (c == 0xF4) {
      len = 4, hi = 0x8F;
    } else {
      return i;
    }
    if (i + len > n) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

struct JsonCheck {
  enum Kind { kValid, kPrefix, kInvalid } kind = kValid;
  size_t offset = 0;          // Where an invalid text fails.
  const char* reason = "";
  uint32_t max_depth = 0;     // Deepest nesting seen.
  size_t deep_offset = 0;     // Where max_depth was first reached.
};

bool IsJsonSpace(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(uint8_t c) { return c >= '0' && c <= '9'; }
bool IsHex(uint8_t c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

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
    const uint64_t special = ((quote - kOnes) & ~quote) | ((slash - kOnes) & ~slash) |
                             ((w - kOnes * 0x20) & ~w);
    if ((special & kHigh) != 0) break;
    i += 8;
  }
  return i;
}

// Strict RFC 8259 grammar check of a whole text: valid, a proper prefix of a
// valid text (truncated), or invalid at an offset. Bytes >= 0x80 are not
// checked here (FindInvalidUtf8 runs first). No allocation: the container
// stack is a fixed bitset.
JsonCheck CheckJson(const uint8_t* p, size_t n) {
  constexpr uint32_t kStackBits = 4096;
  uint64_t is_object[kStackBits / 64];
  uint32_t depth = 0;
  JsonCheck r;
  enum State { kValue, kValueOrClose, kKey, kKeyOrClose, kColon, kCommaOrClose, kEnd };
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
      return prefix(depth > 0 ? "unclosed object or array" : "no complete JSON value");
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
          if (depth == kStackBits) return invalid(i, "nesting too deep to check");
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
            if (s < 0x20) return invalid(i, "unescaped control character in a string");
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
                if (!IsHex(p[i + 2 + k])) return invalid(i, "bad \\u escape in a string");
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
            if (i < n && IsDigit(p[i])) return invalid(start, "bad number (leading zero)");
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
            if (p[i + k] != static_cast<uint8_t>(lit[k])) return invalid(i, "bad literal");
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

}  // namespace
}  // namespace internal

namespace {

using simdjson::error_code;
namespace od = simdjson::ondemand;

bool IsWs(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && IsWs(s.back())) s.remove_suffix(1);
  return s;
}

// JSON number grammar on a raw token (which may carry trailing whitespace).
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

}  // namespace

// simdjson 3.0.1 keeps the on-demand parser's stage-1 output (the structural
// index: the offsets of every {}[],: and of every string and scalar start) in
// a private member. The data validator below reuses it instead of re-reading
// every byte. Explicit instantiation may name private members
// ([temp.spec.general]/6), so this gives read access without changing
// simdjson; if a future simdjson renames the member this fails to compile.
using StageOnePtr = std::unique_ptr<simdjson::internal::dom_parser_implementation> od::parser::*;
StageOnePtr StageOneMember();
template <StageOnePtr kMember>
struct StageOneAccess {
  friend StageOnePtr StageOneMember() { return kMember; }
};
template struct StageOneAccess<&od::parser::implementation>;

// Checks the escapes of string text in [p, end) (end may include trailing
// whitespace after the closing quote): each backslash must start one of the
// RFC 8259 section 7 escapes. Stage 1 has already checked quotes, control
// characters and UTF-8.
bool CheckEscapes(const uint8_t* p, const uint8_t* end) {
  for (;;) {
    p = static_cast<const uint8_t*>(std::memchr(p, '\\', static_cast<size_t>(end - p)));
    if (p == nullptr) return true;
    if (p + 1 >= end) return false;
    const uint8_t e = p[1];
    if (e == 'u') {
      if (p + 6 > end) return false;
      if (!internal::IsHex(p[2]) || !internal::IsHex(p[3]) || !internal::IsHex(p[4]) ||
          !internal::IsHex(p[5])) {
        return false;
      }
      p += 6;
    } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
               e == 'r' || e == 't') {
      p += 2;
    } else {
      return false;
    }
  }
}

// A scalar atom (true/false/null/number) starting at p whose token ends
// before `next` (the next structural): the grammar must consume it up to
// whitespace or `next`.
static_assert(std::endian::native == std::endian::little, "CheckAtom reads words");

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
      } else if (internal::IsDigit(*q)) {
        do ++q; while (internal::IsDigit(*q));
      } else {
        return false;
      }
      if (*q == '.') {
        ++q;
        if (!internal::IsDigit(*q)) return false;
        do ++q; while (internal::IsDigit(*q));
      }
      if (*q == 'e' || *q == 'E') {
        ++q;
        if (*q == '+' || *q == '-') ++q;
        if (!internal::IsDigit(*q)) return false;
        do ++q; while (internal::IsDigit(*q));
      }
  }
  return q == next || internal::IsJsonSpace(*q);
}

struct MessageParser::Impl {
  od::parser parser;
  std::unique_ptr<char[]> padded;
  size_t padded_capacity = 0;
  uint32_t max_depth = 0;
  const char* base = nullptr;  // Start of the message being parsed.
  // ValidateContainer's container kinds by depth (true: object).
  std::vector<uint8_t> stack;

  // Validates the container `data` ('{' or '[' ... its matching close, inside
  // the message the parser last indexed, starting at `buf`, n bytes) by
  // walking stage 1's structural index: a grammar state machine over the
  // structurals, plus escape checks in strings that hold a backslash and a
  // grammar check of each scalar atom (RFC 8259 sections 2-7; string escapes
  // are checked syntactically, not unescaped). About 8 instructions per
  // structural instead of a second pass over every byte. Containers nested more than `limit` deep
  // (data itself is 1) fail.
  bool ValidateContainer(const char* buf, size_t n, std::string_view data, uint32_t limit) {
    const simdjson::internal::dom_parser_implementation& stage1 = *(parser.*StageOneMember());
    const uint32_t* idx = stage1.structural_indexes.get();
    const uint32_t count = stage1.n_structural_indexes;
    const auto* bytes = reinterpret_cast<const uint8_t*>(buf);
    const uint32_t start = static_cast<uint32_t>(data.data() - buf);
    const uint32_t last = start + static_cast<uint32_t>(data.size()) - 1;  // Closing bracket.
    if (last >= n || stack.size() < limit + 1) return false;
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
        stack[depth] = 1;
        goto object;
      case '[':
        if (++depth > limit) return false;
        stack[depth] = 0;
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
      if (stack[depth]) goto field;
      goto value;
    }
    if (c != (stack[depth] ? '}' : ']')) return false;
  close:
    if (--depth == 0) return *t == last;
    goto after_value;
  }

  // Validates a JSON value completely without materializing it (see the
  // header: "data" is relayed as raw text, so it must be valid JSON). Strings
  // are only unescaped when they hold an escape (stage 1 has already checked
  // their UTF-8, control characters and closing quote); numbers are checked
  // against the grammar instead of converted. `depth` is the nesting depth a
  // container here would have.
  error_code Validate(od::value value, uint32_t depth) {
    od::json_type type;
    error_code err = value.type().get(type);
    if (err) return err;
    switch (type) {
      case od::json_type::object: {
        if (depth > max_depth) return simdjson::DEPTH_ERROR;
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
        if (depth > max_depth) return simdjson::DEPTH_ERROR;
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
};

MessageParser::MessageParser(ParserOptions options)
    : options_(options), impl_(std::make_unique<Impl>()) {
  impl_->max_depth = options_.max_depth;
  impl_->stack.assign(std::max(options_.max_depth, 2u) + 1, 0);
  // Sized once: no message we accept makes simdjson grow its buffers.
  const size_t capacity = std::max<size_t>(options_.max_message_bytes, 64);
  // On failure (out of memory) iterate() retries the allocation and reports it.
  if (impl_->parser.allocate(capacity, options_.max_depth + 2) != simdjson::SUCCESS) {
    impl_->parser = od::parser();
  }
  impl_->padded_capacity = capacity + kMessagePadding;
  impl_->padded.reset(new char[impl_->padded_capacity]);
  std::memset(impl_->padded.get(), ' ', impl_->padded_capacity);
}

MessageParser::~MessageParser() = default;

namespace {

// Schema fields, as bits for duplicate detection.
enum : uint32_t { kSeenType = 1, kSeenChannels = 2, kSeenChannel = 4, kSeenData = 8, kSeenId = 16 };

}  // namespace

MessageError MessageParser::Parse(std::string_view message, size_t capacity, Command& out) {
  error_ = MessageErrorInfo();
  const size_t n = message.size();
  if (n > options_.max_message_bytes) {
    error_.code = MessageError::kOversized;
    error_.offset = static_cast<uint32_t>(
        std::min<size_t>(options_.max_message_bytes, UINT32_MAX));
    return error_.code;
  }
  const char* buf = message.data();
  if (capacity < n + kMessagePadding) {
    std::memcpy(impl_->padded.get(), message.data(), n);
    buf = impl_->padded.get();
    ++copies_;
  }
  impl_->base = buf;

  // The fast path below sets a provisional code; the error path (Classify)
  // confirms or replaces it by re-checking UTF-8 and JSON syntax.
  auto fail = [&](MessageError code, MessageField field, const char* at) {
    error_.code = code;
    error_.field = field;
    error_.offset = at == nullptr ? 0 : static_cast<uint32_t>(at - buf);
    return code;
  };
  simdjson::error_code simd_error = simdjson::SUCCESS;
  auto json_fail = [&](simdjson::error_code err, const char* at) {
    simd_error = err;
    return fail(err == simdjson::DEPTH_ERROR ? MessageError::kTooDeep
                                             : MessageError::kMalformedJson,
                MessageField::kNone, at);
  };
  auto set_detail = [&](std::string_view text) {
    error_.detail_size = static_cast<uint8_t>(
        std::min(text.size(), MessageErrorInfo::kDetailCapacity));
    std::memcpy(error_.detail, text.data(), error_.detail_size);
  };

  MessageError code = [&] {
    od::document doc;
    simdjson::error_code err =
        impl_->parser.iterate(buf, n, n + kMessagePadding).get(doc);
    if (err) return json_fail(err, nullptr);
    od::object object;
    if ((err = doc.get_object().get(object))) {
      if (err == simdjson::INCORRECT_TYPE) {
        return fail(MessageError::kNotAnObject, MessageField::kNone, nullptr);
      }
      return json_fail(err, nullptr);
    }
    out.channel_count = 0;
    out.id = {};
    out.channel = {};
    out.data = {};
    uint32_t seen = 0;
    bool have_type = false;
    for (auto field_result : object) {
      od::field field;
      if ((err = std::move(field_result).get(field))) return json_fail(err, nullptr);
      const od::raw_json_string key = field.key();
      od::value value = field.value();
      const char* at = value.raw_json_token().data();
      if (key.unsafe_is_equal("type")) {
        if (seen & kSeenType) return fail(MessageError::kDuplicateField, MessageField::kType, at);
        seen |= kSeenType;
        std::string_view type;
        if ((err = value.get_string().get(type))) {
          if (err == simdjson::INCORRECT_TYPE) {
            return fail(MessageError::kMistypedField, MessageField::kType, at);
          }
          return json_fail(err, at);
        }
        switch (type.size()) {
          case 4:
            if (type == "ping") out.type = CommandType::kPing, have_type = true;
            break;
          case 7:
            if (type == "publish") out.type = CommandType::kPublish, have_type = true;
            break;
          case 9:
            if (type == "subscribe") out.type = CommandType::kSubscribe, have_type = true;
            break;
          case 11:
            if (type == "unsubscribe") out.type = CommandType::kUnsubscribe, have_type = true;
            break;
        }
        if (!have_type) {
          set_detail(type);
          return fail(MessageError::kUnknownType, MessageField::kType, at);
        }
      } else if (key.unsafe_is_equal("channels")) {
        if (seen & kSeenChannels) {
          return fail(MessageError::kDuplicateField, MessageField::kChannels, at);
        }
        seen |= kSeenChannels;
        od::array array;
        if ((err = value.get_array().get(array))) {
          if (err == simdjson::INCORRECT_TYPE) {
            return fail(MessageError::kMistypedField, MessageField::kChannels, at);
          }
          return json_fail(err, at);
        }
        size_t count = 0;
        for (auto element_result : array) {
          od::value element;
          if ((err = std::move(element_result).get(element))) return json_fail(err, at);
          const char* element_at = element.raw_json_token().data();
          std::string_view name;
          if ((err = element.get_string().get(name))) {
            if (err == simdjson::INCORRECT_TYPE) {
              return fail(MessageError::kMistypedField, MessageField::kChannels, element_at);
            }
            return json_fail(err, element_at);
          }
          if (count == kMaxChannelsPerCommand) {
            return fail(MessageError::kTooManyChannels, MessageField::kChannels, element_at);
          }
          if (name.empty() || name.size() > options_.max_channel_bytes) {
            set_detail(name);
            return fail(MessageError::kBadChannelName, MessageField::kChannels, element_at);
          }
          out.channel_slots[count++] = name;
        }
        out.channel_count = static_cast<uint8_t>(count);
      } else if (key.unsafe_is_equal("channel")) {
        if (seen & kSeenChannel) {
          return fail(MessageError::kDuplicateField, MessageField::kChannel, at);
        }
        seen |= kSeenChannel;
        std::string_view name;
        if ((err = value.get_string().get(name))) {
          if (err == simdjson::INCORRECT_TYPE) {
            return fail(MessageError::kMistypedField, MessageField::kChannel, at);
          }
          return json_fail(err, at);
        }
        if (name.empty() || name.size() > options_.max_channel_bytes) {
          set_detail(name);
          return fail(MessageError::kBadChannelName, MessageField::kChannel, at);
        }
        out.channel = name;
      } else if (key.unsafe_is_equal("data")) {
        if (seen & kSeenData) return fail(MessageError::kDuplicateField, MessageField::kData, at);
        seen |= kSeenData;
        od::json_type type;
        if ((err = value.type().get(type))) return json_fail(err, at);
        if (type == od::json_type::object || type == od::json_type::array) {
          // Skip the container with simdjson (bracket matching over the
          // structural index), then check its grammar with the scalar
          // checker: much cheaper than walking it value by value on demand.
          std::string_view raw;
          if (type == od::json_type::object) {
            od::object container;
            if ((err = value.get_object().get(container))) return json_fail(err, at);
            if ((err = container.raw_json().get(raw))) return json_fail(err, at);
          } else {
            od::array container;
            if ((err = value.get_array().get(container))) return json_fail(err, at);
            if ((err = container.raw_json().get(raw))) return json_fail(err, at);
          }
          out.data = TrimRight(raw);
          // data sits at depth 2 (inside the root object).
          if (options_.validate_data &&
              !impl_->ValidateContainer(buf, n, out.data, std::max(options_.max_depth, 2u) - 1)) {
            return json_fail(simdjson::TAPE_ERROR, at);
          }
        } else {
          // A scalar's token is its whole text (plus trailing whitespace).
          out.data = TrimRight(value.raw_json_token());
          if ((err = impl_->Validate(value, 2))) return json_fail(err, at);
        }
      } else if (key.unsafe_is_equal("id")) {
        if (seen & kSeenId) return fail(MessageError::kDuplicateField, MessageField::kId, at);
        seen |= kSeenId;
        od::json_type type;
        if ((err = value.type().get(type))) return json_fail(err, at);
        const std::string_view token = value.raw_json_token();
        if (type == od::json_type::number) {
          int64_t id;
          if ((err = value.get_int64().get(id))) {
            if (!IsJsonNumber(token)) return json_fail(err, at);
            return fail(MessageError::kMistypedField, MessageField::kId, at);
          }
        } else if (type == od::json_type::string) {
          std::string_view id;
          if ((err = value.get_string().get(id))) return json_fail(err, at);
        } else {
          if ((err = impl_->Validate(value, 2))) return json_fail(err, at);
          return fail(MessageError::kMistypedField, MessageField::kId, at);
        }
        out.id = TrimRight(token);
      } else {
        // Unknown field: must still be valid JSON, then ignored.
        if ((err = impl_->Validate(value, 2))) return json_fail(err, at);
      }
    }
    // Nothing may follow the root object.
    const char* trailing = nullptr;
    if (!doc.current_location().get(trailing)) {
      return json_fail(simdjson::TRAILING_CONTENT, trailing);
    }
    if (!have_type) return fail(MessageError::kMissingField, MessageField::kType, nullptr);
    switch (out.type) {
      case CommandType::kSubscribe:
      case CommandType::kUnsubscribe:
        if (!(seen & kSeenChannels)) {
          return fail(MessageError::kMissingField, MessageField::kChannels, nullptr);
        }
        if (out.channel_count == 0) {
          return fail(MessageError::kNoChannels, MessageField::kChannels, nullptr);
        }
        break;
      case CommandType::kPublish:
        if (!(seen & kSeenChannel)) {
          return fail(MessageError::kMissingField, MessageField::kChannel, nullptr);
        }
        if (!(seen & kSeenData)) {
          return fail(MessageError::kMissingField, MessageField::kData, nullptr);
        }
        break;
      case CommandType::kPing:
        if (!(seen & kSeenId)) return fail(MessageError::kMissingField, MessageField::kId, nullptr);
        break;
    }
    return MessageError::kOk;
  }();
  if (code == MessageError::kOk) return code;

  // Error path: settle the code by precedence (UTF-8, JSON syntax, depth,
  // schema) with scalar checks of the whole message.
  const auto* bytes = reinterpret_cast<const uint8_t*>(buf);
  const size_t bad_utf8 = internal::FindInvalidUtf8(bytes, n);
  if (bad_utf8 != std::string_view::npos || simd_error == simdjson::UTF8_ERROR) {
    error_ = MessageErrorInfo();
    error_.code = MessageError::kInvalidUtf8;
    error_.offset = bad_utf8 == std::string_view::npos ? 0 : static_cast<uint32_t>(bad_utf8);
    return error_.code;
  }
  const internal::JsonCheck check = internal::CheckJson(bytes, n);
  if (check.kind != internal::JsonCheck::kValid) {
    error_ = MessageErrorInfo();
    error_.code = check.kind == internal::JsonCheck::kPrefix ? MessageError::kTruncated
                                                             : MessageError::kMalformedJson;
    error_.offset = static_cast<uint32_t>(check.offset);
    error_.reason = check.reason;
    if (std::strcmp(check.reason, "nesting too deep to check") == 0) {
      error_.code = MessageError::kTooDeep;
    }
    return error_.code;
  }
  if (check.max_depth > options_.max_depth) {
    error_ = MessageErrorInfo();
    error_.code = MessageError::kTooDeep;
    error_.offset = static_cast<uint32_t>(check.deep_offset);
    return error_.code;
  }
  if (code == MessageError::kMalformedJson || code == MessageError::kTooDeep) {
    // simdjson refused a text the checker accepts (e.g. a limit of its own).
    error_.code = MessageError::kMalformedJson;
    error_.reason = simdjson::error_message(simd_error);
  }
  return error_.code;
}

absl::Status MessageParser::last_status() const { return MessageErrorToStatus(error_); }

absl::Status MessageErrorToStatus(const MessageErrorInfo& info) {
  if (info.code == MessageError::kOk) return absl::OkStatus();
  std::string text = fmt::format("{}: {}", MessageErrorName(info.code),
                                 MessageErrorDescription(info.code));
  if (info.detail_size > 0 || info.code == MessageError::kBadChannelName) {
    // Escape the detail so control bytes do not end up in logs verbatim.
    std::string detail;
    for (char c : info.detail_view()) {
      if (static_cast<unsigned char>(c) < 0x20 || c == '\'' || c == '\\') {
        detail += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
      } else {
        detail += c;
      }
    }
    text += fmt::format(" '{}'", detail);
  }
  if (info.field != MessageField::kNone) {
    text += fmt::format(" in field \"{}\"", MessageFieldName(info.field));
  }
  text += fmt::format(" at byte {}", info.offset);
  if (info.reason != nullptr && info.reason[0] != '\0') {
    text += fmt::format(": {}", info.reason);
  }
  return absl::InvalidArgumentError(text);
}

}  // namespace wsbench

#include <algorithm>
#include <cstring>
#include <span>
#include <string_view>

#include "core/command_reader_internal.h"
#include "core/json_check_internal.h"
#include "core/json_data_validator_internal.h"
#include "core/simdjson_stage1_internal.h"
#include "simdjson.h"

namespace wsbench::internal {
namespace {

using simdjson::error_code;
namespace od = simdjson::ondemand;

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && IsJsonSpace(static_cast<uint8_t>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

// Schema fields, as bits for duplicate detection.
enum : uint32_t {
  kSeenType = 1,
  kSeenChannels = 2,
  kSeenChannel = 4,
  kSeenData = 8,
  kSeenId = 16,
};

// Whether the key string starting at `key` (its opening quote) is exactly
// `quoted` ("\"type\"", quotes included). Keys are compared as written: the
// key's closing quote cannot be escaped when the byte before it is a letter.
template <size_t N>
bool KeyIs(const uint8_t* key, const char (&quoted)[N]) {
  return std::memcmp(key, quoted, N - 1) == 0;
}

// One message's fast path over simdjson's stage-1 output for [buf, buf + n):
// the root object's fields are read in document order from the structural
// index into a Command, and every value's grammar is checked on the way
// (DataValidator::Walk), so each structural is visited once. String escapes
// are checked for the whole message by one scan; strings the command keeps
// are unescaped by simdjson's parse_string only when they hold an escape
// (otherwise they are views of the message). A failure records a
// provisional code, field and offset in `error` (and a simdjson error for the
// reason) for SettleError to confirm or replace.
class CommandReader {
 public:
  CommandReader(const ParserOptions& options, od::parser& parser,
                DataValidator& validator, uint8_t* strings, const char* buf,
                size_t n, MessageErrorInfo& error)
      : options_(options),
        parser_(parser),
        validator_(validator),
        strings_(strings),
        bytes_(reinterpret_cast<const uint8_t*>(buf)),
        n_(n),
        error_(error) {}

  MessageError Read(Command& out);
  error_code simd_error() const { return simd_error_; }

 private:
  using Pos = const uint32_t*;

  MessageError Fail(MessageError code, MessageField field, const uint8_t* at) {
    error_.code = code;
    error_.field = field;
    error_.offset = at == nullptr ? 0 : static_cast<uint32_t>(at - bytes_);
    return code;
  }
  MessageError JsonFail(error_code err, const uint8_t* at) {
    simd_error_ = err;
    return Fail(err == simdjson::DEPTH_ERROR ? MessageError::kTooDeep
                                             : MessageError::kMalformedJson,
                MessageField::kNone, at);
  }
  void SetDetail(std::string_view text) {
    error_.detail_size = static_cast<uint8_t>(
        std::min(text.size(), MessageErrorInfo::kDetailCapacity));
    std::memcpy(error_.detail, text.data(), error_.detail_size);
  }
  bool BadChannelName(std::string_view name) const {
    return name.empty() || name.size() > options_.max_channel_bytes;
  }
  const uint8_t* At(Pos t) const { return bytes_ + *t; }
  // The raw text of the value [*t, *next) without the whitespace before the
  // next structural.
  std::string_view RawValue(Pos t, Pos next) const {
    return TrimRight(
        std::string_view(reinterpret_cast<const char*>(At(t)), *next - *t));
  }
  // The string at *t (an opening quote, followed by another structural),
  // unescaped; `plain` when it held no escape (the view is then into the
  // message). False when simdjson refuses an escape (e.g. a lone surrogate).
  bool ReadString(Pos t, std::string_view& out, bool& plain);

  Pos ReadType(Pos t, Command& out);
  Pos ReadChannels(Pos t, Command& out);
  Pos ReadChannel(Pos t, Command& out);
  Pos ReadData(Pos t, Command& out);
  Pos ReadId(Pos t, Command& out);
  // The fields the command type requires, once the object is read.
  MessageError CheckRequired(uint32_t seen, const Command& out);

  const ParserOptions& options_;
  od::parser& parser_;
  // Stage 1's state once Read has run it.
  const simdjson::internal::dom_parser_implementation* stage1_ = nullptr;
  DataValidator& validator_;
  uint8_t* strings_;  // Unescaped strings go here.
  const uint8_t* const bytes_;
  const size_t n_;
  Pos end_ = nullptr;                         // One past the last structural.
  const uint8_t* first_backslash_ = nullptr;  // nullptr: none in the message.
  MessageErrorInfo& error_;
  error_code simd_error_ = simdjson::SUCCESS;
  bool have_type_ = false;
};

bool CommandReader::ReadString(Pos t, std::string_view& out, bool& plain) {
  const std::string_view raw = RawValue(t, t + 1);  // Quotes included.
  if (raw.size() < 2) return false;  // Stage 1 closed it: never.
  const uint8_t* content = At(t) + 1;
  const size_t size = raw.size() - 2;
  plain = first_backslash_ == nullptr || content + size <= first_backslash_ ||
          std::memchr(content, '\\', size) == nullptr;
  if (plain) {
    out = std::string_view(reinterpret_cast<const char*>(content), size);
    return true;
  }
  uint8_t* end = stage1_->parse_string(content, strings_);
  if (end == nullptr) return false;
  out = std::string_view(reinterpret_cast<const char*>(strings_),
                         static_cast<size_t>(end - strings_));
  strings_ = end;
  return true;
}

MessageError CommandReader::Read(Command& out) {
  out.channel_count = 0;
  out.plain_names = 0;
  out.id = {};
  out.channel = {};
  out.data = {};
  // Stage 1: the structural index; UTF-8, string closing and control
  // characters in strings checked.
  od::document doc;
  error_code err = parser_
                       .iterate(reinterpret_cast<const char*>(bytes_), n_,
                                n_ + kMessagePadding)
                       .get(doc);
  if (err) return JsonFail(err, nullptr);
  stage1_ = &StageOne(parser_);
  const std::span<const uint32_t> index = StructuralIndex(parser_);
  Pos t = index.data();
  end_ = t + index.size();
  if (t == end_) return JsonFail(simdjson::EMPTY, nullptr);
  const uint8_t* const bytes_end = bytes_ + n_;
  first_backslash_ = static_cast<const uint8_t*>(std::memchr(bytes_, '\\', n_));
  if (first_backslash_ != nullptr &&
      !CheckEscapes(first_backslash_, bytes_end)) {
    return JsonFail(simdjson::STRING_ERROR, nullptr);
  }
  if (*At(t) != '{') {
    return Fail(MessageError::kNotAnObject, MessageField::kNone, nullptr);
  }
  const Pos last = end_ - 1;
  if (t == last) return JsonFail(simdjson::INCOMPLETE_ARRAY_OR_OBJECT, nullptr);
  uint32_t seen = 0;
  if (*At(++t) == '}') goto closed;
  for (;;) {
    // At a key: '"', then ':', then the value.
    if (*At(t) != '"' || last - t < 3 || *At(t + 1) != ':') {
      return JsonFail(simdjson::TAPE_ERROR, At(t));
    }
    {
      const uint8_t* key = At(t);
      t += 2;
      const uint8_t* at = At(t);
      // Each known field once (RFC 8259 leaves duplicates open; we refuse).
      auto first = [&](uint32_t bit, MessageField name) {
        if (seen & bit) {
          Fail(MessageError::kDuplicateField, name, at);
          return false;
        }
        seen |= bit;
        return true;
      };
      Pos next = nullptr;
      if (KeyIs(key, "\"type\"")) {
        if (!first(kSeenType, MessageField::kType)) return error_.code;
        next = ReadType(t, out);
      } else if (KeyIs(key, "\"channels\"")) {
        if (!first(kSeenChannels, MessageField::kChannels)) return error_.code;
        next = ReadChannels(t, out);
      } else if (KeyIs(key, "\"channel\"")) {
        if (!first(kSeenChannel, MessageField::kChannel)) return error_.code;
        next = ReadChannel(t, out);
      } else if (KeyIs(key, "\"data\"")) {
        if (!first(kSeenData, MessageField::kData)) return error_.code;
        next = ReadData(t, out);
      } else if (KeyIs(key, "\"id\"")) {
        if (!first(kSeenId, MessageField::kId)) return error_.code;
        next = ReadId(t, out);
      } else {
        // Unknown field: must still be valid JSON, then ignored.
        next = validator_.Walk(bytes_, t, end_,
                               std::max(options_.max_depth, 1u) - 1);
        if (next == nullptr) return JsonFail(simdjson::TAPE_ERROR, at);
      }
      if (next == nullptr) return error_.code;
      t = next;
    }
    const uint8_t c = *At(t);
    if (c == '}') break;
    if (c != ',' || t == last) return JsonFail(simdjson::TAPE_ERROR, At(t));
    ++t;
  }
closed:
  // Nothing may follow the root object.
  if (t != last) return JsonFail(simdjson::TRAILING_CONTENT, At(t + 1));
  return CheckRequired(seen, out);
}

CommandReader::Pos CommandReader::ReadType(Pos t, Command& out) {
  std::string_view type;
  bool plain;
  if (*At(t) != '"') {
    Fail(MessageError::kMistypedField, MessageField::kType, At(t));
    return nullptr;
  }
  if (!ReadString(t, type, plain)) {
    JsonFail(simdjson::STRING_ERROR, At(t));
    return nullptr;
  }
  switch (type.size()) {
    case 4:
      if (type == "ping") out.type = CommandType::kPing, have_type_ = true;
      break;
    case 7:
      if (type == "publish")
        out.type = CommandType::kPublish, have_type_ = true;
      break;
    case 9:
      if (type == "subscribe") {
        out.type = CommandType::kSubscribe, have_type_ = true;
      }
      break;
    case 11:
      if (type == "unsubscribe") {
        out.type = CommandType::kUnsubscribe, have_type_ = true;
      }
      break;
  }
  if (!have_type_) {
    SetDetail(type);
    Fail(MessageError::kUnknownType, MessageField::kType, At(t));
    return nullptr;
  }
  return t + 1;
}

CommandReader::Pos CommandReader::ReadChannels(Pos t, Command& out) {
  const uint8_t* at = At(t);
  if (*at != '[') {
    Fail(MessageError::kMistypedField, MessageField::kChannels, at);
    return nullptr;
  }
  const Pos last = end_ - 1;
  if (t == last) {
    JsonFail(simdjson::INCOMPLETE_ARRAY_OR_OBJECT, at);
    return nullptr;
  }
  ++t;
  size_t count = 0;
  if (*At(t) != ']') {
    for (;;) {
      const uint8_t* element_at = At(t);
      std::string_view name;
      bool plain;
      if (*element_at != '"') {
        Fail(MessageError::kMistypedField, MessageField::kChannels, element_at);
        return nullptr;
      }
      if (t == last) {
        JsonFail(simdjson::INCOMPLETE_ARRAY_OR_OBJECT, element_at);
        return nullptr;
      }
      if (!ReadString(t, name, plain)) {
        JsonFail(simdjson::STRING_ERROR, element_at);
        return nullptr;
      }
      if (count == kMaxChannelsPerCommand) {
        Fail(MessageError::kTooManyChannels, MessageField::kChannels,
             element_at);
        return nullptr;
      }
      if (BadChannelName(name)) {
        SetDetail(name);
        Fail(MessageError::kBadChannelName, MessageField::kChannels,
             element_at);
        return nullptr;
      }
      if (plain) out.plain_names |= 1u << count;
      out.channel_slots[count++] = name;
      const uint8_t c = *At(++t);
      if (c == ']') break;
      if (c != ',' || t == last) {
        JsonFail(simdjson::TAPE_ERROR, At(t));
        return nullptr;
      }
      ++t;
    }
  }
  if (t == last) {
    JsonFail(simdjson::INCOMPLETE_ARRAY_OR_OBJECT, At(t));
    return nullptr;
  }
  out.channel_count = static_cast<uint8_t>(count);
  return t + 1;
}

CommandReader::Pos CommandReader::ReadChannel(Pos t, Command& out) {
  const uint8_t* at = At(t);
  std::string_view name;
  bool plain;
  if (*at != '"') {
    Fail(MessageError::kMistypedField, MessageField::kChannel, at);
    return nullptr;
  }
  if (t == end_ - 1) {
    JsonFail(simdjson::INCOMPLETE_ARRAY_OR_OBJECT, at);
    return nullptr;
  }
  if (!ReadString(t, name, plain)) {
    JsonFail(simdjson::STRING_ERROR, at);
    return nullptr;
  }
  if (BadChannelName(name)) {
    SetDetail(name);
    Fail(MessageError::kBadChannelName, MessageField::kChannel, at);
    return nullptr;
  }
  if (plain) out.plain_names |= Command::kPlainChannelBit;
  out.channel = name;
  return t + 1;
}

CommandReader::Pos CommandReader::ReadData(Pos t, Command& out) {
  // data sits at depth 2 (inside the root object).
  const Pos next = options_.validate_data
                       ? validator_.Walk(bytes_, t, end_,
                                         std::max(options_.max_depth, 2u) - 1)
                       : validator_.Skip(bytes_, t, end_);
  if (next == nullptr) {
    JsonFail(simdjson::TAPE_ERROR, At(t));
    return nullptr;
  }
  out.data = RawValue(t, next);
  return next;
}

// Whether the number token at p (valid JSON number grammar, ended by `end`)
// is an integer within int64_t.
bool IsInt64(const uint8_t* p, const uint8_t* end) {
  const bool negative = *p == '-';
  const uint8_t* digits = p + negative;
  const uint8_t* q = digits;
  while (q < end && IsDigit(*q)) ++q;
  if (q < end && !IsJsonSpace(*q)) return false;  // '.', 'e', 'E'.
  const size_t count = static_cast<size_t>(q - digits);
  if (count < 19) return true;
  if (count > 19) return false;
  const char* limit = negative ? "9223372036854775808" : "9223372036854775807";
  return std::memcmp(digits, limit, 19) <= 0;
}

CommandReader::Pos CommandReader::ReadId(Pos t, Command& out) {
  const uint8_t* at = At(t);
  const uint8_t c = *at;
  if (t == end_ - 1) {
    JsonFail(simdjson::INCOMPLETE_ARRAY_OR_OBJECT, at);
    return nullptr;
  }
  if (c == '"') {
    std::string_view id;
    bool plain;
    if (!ReadString(t, id, plain)) {
      JsonFail(simdjson::STRING_ERROR, at);
      return nullptr;
    }
  } else if (c == '-' || IsDigit(c)) {
    if (!CheckScalar(at, At(t + 1))) {
      JsonFail(simdjson::NUMBER_ERROR, at);
      return nullptr;
    }
    if (!IsInt64(at, At(t + 1))) {
      Fail(MessageError::kMistypedField, MessageField::kId, at);
      return nullptr;
    }
  } else {
    if (validator_.Walk(bytes_, t, end_,
                        std::max(options_.max_depth, 1u) - 1) == nullptr) {
      JsonFail(simdjson::TAPE_ERROR, at);
      return nullptr;
    }
    Fail(MessageError::kMistypedField, MessageField::kId, at);
    return nullptr;
  }
  out.id = RawValue(t, t + 1);
  return t + 1;
}

MessageError CommandReader::CheckRequired(uint32_t seen, const Command& out) {
  if (!have_type_) {
    return Fail(MessageError::kMissingField, MessageField::kType, nullptr);
  }
  switch (out.type) {
    case CommandType::kSubscribe:
    case CommandType::kUnsubscribe:
      if (!(seen & kSeenChannels)) {
        return Fail(MessageError::kMissingField, MessageField::kChannels,
                    nullptr);
      }
      if (out.channel_count == 0) {
        return Fail(MessageError::kNoChannels, MessageField::kChannels,
                    nullptr);
      }
      break;
    case CommandType::kPublish:
      if (!(seen & kSeenChannel)) {
        return Fail(MessageError::kMissingField, MessageField::kChannel,
                    nullptr);
      }
      if (!(seen & kSeenData)) {
        return Fail(MessageError::kMissingField, MessageField::kData, nullptr);
      }
      break;
    case CommandType::kPing:
      if (!(seen & kSeenId)) {
        return Fail(MessageError::kMissingField, MessageField::kId, nullptr);
      }
      break;
  }
  return MessageError::kOk;
}

}  // namespace

[[gnu::flatten]] MessageError ReadCommand(const ParserOptions& options,
                         simdjson::ondemand::parser& parser,
                         DataValidator& validator, uint8_t* strings,
                         const char* buf, size_t n, Command& out,
                         MessageErrorInfo& error,
                         simdjson::error_code& simd_error) {
  CommandReader reader(options, parser, validator, strings, buf, n, error);
  const MessageError code = reader.Read(out);
  simd_error = reader.simd_error();
  return code;
}

}  // namespace wsbench::internal

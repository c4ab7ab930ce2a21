// MessageParser: the fast path reads the fields on demand in document order
// (CommandReader); a rejected message then goes through the error path
// (SettleError), which re-checks UTF-8 and JSON syntax so that it gets one
// code and offset. The helpers live beside it: core/json_data_validator
// ("data"), core/json_check (the error path's grammar checker),
// core/simdjson_stage1_internal.h (stage-1 access), core/message.cc (names).
#include "wsbench/message_parser.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "core/json_check_internal.h"
#include "core/json_data_validator_internal.h"
#include "fmt/format.h"
#include "simdjson.h"
#include "wsbench/utf8.h"

namespace wsbench {

static_assert(kMessagePadding >= simdjson::SIMDJSON_PADDING,
              "kMessagePadding must cover simdjson's padding");

namespace {

using simdjson::error_code;
namespace od = simdjson::ondemand;

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && internal::IsJsonSpace(static_cast<uint8_t>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

// Whether the string value `name` was sent without escapes, given its raw
// token (quotes and any whitespace up to the next structural): every escape
// is longer than what it stands for, so the quoted text is exactly the name
// plus its two quotes only when none was used.
bool SentPlain(std::string_view token, std::string_view name) {
  return TrimRight(token).size() == name.size() + 2;
}

// Schema fields, as bits for duplicate detection.
enum : uint32_t {
  kSeenType = 1,
  kSeenChannels = 2,
  kSeenChannel = 4,
  kSeenData = 8,
  kSeenId = 16,
};

// One message's fast path: simdjson on demand over [buf, buf + n), fields
// read once in document order into a Command. A failure records a
// provisional code, field and offset in `error` (and simdjson's own error)
// for SettleError to confirm or replace.
class CommandReader {
 public:
  CommandReader(const ParserOptions& options, od::parser& parser,
                internal::DataValidator& validator, const char* buf, size_t n,
                MessageErrorInfo& error)
      : options_(options),
        parser_(parser),
        validator_(validator),
        buf_(buf),
        n_(n),
        error_(error) {}

  MessageError Read(Command& out);
  error_code simd_error() const { return simd_error_; }

 private:
  MessageError Fail(MessageError code, MessageField field, const char* at) {
    error_.code = code;
    error_.field = field;
    error_.offset = at == nullptr ? 0 : static_cast<uint32_t>(at - buf_);
    return code;
  }
  MessageError JsonFail(error_code err, const char* at) {
    simd_error_ = err;
    return Fail(err == simdjson::DEPTH_ERROR ? MessageError::kTooDeep
                                             : MessageError::kMalformedJson,
                MessageField::kNone, at);
  }
  // A string field: INCORRECT_TYPE is the schema's kMistypedField.
  MessageError StringFail(error_code err, MessageField field, const char* at) {
    if (err == simdjson::INCORRECT_TYPE) {
      return Fail(MessageError::kMistypedField, field, at);
    }
    return JsonFail(err, at);
  }
  void SetDetail(std::string_view text) {
    error_.detail_size = static_cast<uint8_t>(
        std::min(text.size(), MessageErrorInfo::kDetailCapacity));
    std::memcpy(error_.detail, text.data(), error_.detail_size);
  }
  bool BadChannelName(std::string_view name) const {
    return name.empty() || name.size() > options_.max_channel_bytes;
  }

  MessageError ReadType(od::value value, const char* at, Command& out);
  MessageError ReadChannels(od::value value, const char* at, Command& out);
  MessageError ReadChannel(od::value value, const char* at, Command& out);
  MessageError ReadData(od::value value, const char* at, Command& out);
  MessageError ReadId(od::value value, const char* at, Command& out);
  // The fields the command type requires, once the object is read.
  MessageError CheckRequired(uint32_t seen, const Command& out);

  const ParserOptions& options_;
  od::parser& parser_;
  internal::DataValidator& validator_;
  const char* const buf_;
  const size_t n_;
  MessageErrorInfo& error_;
  error_code simd_error_ = simdjson::SUCCESS;
  bool have_type_ = false;
};

MessageError CommandReader::Read(Command& out) {
  od::document doc;
  error_code err = parser_.iterate(buf_, n_, n_ + kMessagePadding).get(doc);
  if (err) return JsonFail(err, nullptr);
  od::object object;
  if ((err = doc.get_object().get(object))) {
    if (err == simdjson::INCORRECT_TYPE) {
      return Fail(MessageError::kNotAnObject, MessageField::kNone, nullptr);
    }
    return JsonFail(err, nullptr);
  }
  out.channel_count = 0;
  out.plain_names = 0;
  out.id = {};
  out.channel = {};
  out.data = {};
  uint32_t seen = 0;
  for (auto field_result : object) {
    od::field field;
    if ((err = std::move(field_result).get(field))) {
      return JsonFail(err, nullptr);
    }
    const od::raw_json_string key = field.key();
    od::value value = field.value();
    const char* at = value.raw_json_token().data();
    // Each known field once (RFC 8259 leaves duplicates open; we refuse).
    auto first = [&](uint32_t bit, MessageField name) {
      if (seen & bit) {
        Fail(MessageError::kDuplicateField, name, at);
        return false;
      }
      seen |= bit;
      return true;
    };
    MessageError code = MessageError::kOk;
    if (key.unsafe_is_equal("type")) {
      if (!first(kSeenType, MessageField::kType)) return error_.code;
      code = ReadType(value, at, out);
    } else if (key.unsafe_is_equal("channels")) {
      if (!first(kSeenChannels, MessageField::kChannels)) return error_.code;
      code = ReadChannels(value, at, out);
    } else if (key.unsafe_is_equal("channel")) {
      if (!first(kSeenChannel, MessageField::kChannel)) return error_.code;
      code = ReadChannel(value, at, out);
    } else if (key.unsafe_is_equal("data")) {
      if (!first(kSeenData, MessageField::kData)) return error_.code;
      code = ReadData(value, at, out);
    } else if (key.unsafe_is_equal("id")) {
      if (!first(kSeenId, MessageField::kId)) return error_.code;
      code = ReadId(value, at, out);
    } else if ((err = validator_.Validate(value, 2))) {
      // Unknown field: must still be valid JSON, then ignored.
      return JsonFail(err, at);
    }
    if (code != MessageError::kOk) return code;
  }
  // Nothing may follow the root object.
  const char* trailing = nullptr;
  if (!doc.current_location().get(trailing)) {
    return JsonFail(simdjson::TRAILING_CONTENT, trailing);
  }
  return CheckRequired(seen, out);
}

MessageError CommandReader::ReadType(od::value value, const char* at,
                                     Command& out) {
  std::string_view type;
  if (error_code err = value.get_string().get(type)) {
    return StringFail(err, MessageField::kType, at);
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
    return Fail(MessageError::kUnknownType, MessageField::kType, at);
  }
  return MessageError::kOk;
}

MessageError CommandReader::ReadChannels(od::value value, const char* at,
                                         Command& out) {
  od::array array;
  if (error_code err = value.get_array().get(array)) {
    return StringFail(err, MessageField::kChannels, at);
  }
  size_t count = 0;
  for (auto element_result : array) {
    od::value element;
    if (error_code err = std::move(element_result).get(element)) {
      return JsonFail(err, at);
    }
    const std::string_view token = element.raw_json_token();
    const char* element_at = token.data();
    std::string_view name;
    if (error_code err = element.get_string().get(name)) {
      return StringFail(err, MessageField::kChannels, element_at);
    }
    if (count == kMaxChannelsPerCommand) {
      return Fail(MessageError::kTooManyChannels, MessageField::kChannels,
                  element_at);
    }
    if (BadChannelName(name)) {
      SetDetail(name);
      return Fail(MessageError::kBadChannelName, MessageField::kChannels,
                  element_at);
    }
    if (SentPlain(token, name)) out.plain_names |= 1u << count;
    out.channel_slots[count++] = name;
  }
  out.channel_count = static_cast<uint8_t>(count);
  return MessageError::kOk;
}

MessageError CommandReader::ReadChannel(od::value value, const char* at,
                                        Command& out) {
  const std::string_view token = value.raw_json_token();
  std::string_view name;
  if (error_code err = value.get_string().get(name)) {
    return StringFail(err, MessageField::kChannel, at);
  }
  if (BadChannelName(name)) {
    SetDetail(name);
    return Fail(MessageError::kBadChannelName, MessageField::kChannel, at);
  }
  if (SentPlain(token, name)) out.plain_names |= Command::kPlainChannelBit;
  out.channel = name;
  return MessageError::kOk;
}

MessageError CommandReader::ReadData(od::value value, const char* at,
                                     Command& out) {
  od::json_type type;
  if (error_code err = value.type().get(type)) return JsonFail(err, at);
  if (type != od::json_type::object && type != od::json_type::array) {
    // A scalar's token is its whole text (plus trailing whitespace).
    out.data = TrimRight(value.raw_json_token());
    if (error_code err = validator_.Validate(value, 2))
      return JsonFail(err, at);
    return MessageError::kOk;
  }
  // Skip the container with simdjson (bracket matching over the structural
  // index), then check its grammar over the structural index: much cheaper
  // than walking it value by value on demand.
  std::string_view raw;
  error_code err;
  if (type == od::json_type::object) {
    od::object container;
    if (!(err = value.get_object().get(container))) {
      err = container.raw_json().get(raw);
    }
  } else {
    od::array container;
    if (!(err = value.get_array().get(container))) {
      err = container.raw_json().get(raw);
    }
  }
  if (err) return JsonFail(err, at);
  out.data = TrimRight(raw);
  // data sits at depth 2 (inside the root object).
  if (options_.validate_data &&
      !validator_.ValidateContainer(parser_, buf_, n_, out.data,
                                    std::max(options_.max_depth, 2u) - 1)) {
    return JsonFail(simdjson::TAPE_ERROR, at);
  }
  return MessageError::kOk;
}

MessageError CommandReader::ReadId(od::value value, const char* at,
                                   Command& out) {
  od::json_type type;
  if (error_code err = value.type().get(type)) return JsonFail(err, at);
  const std::string_view token = value.raw_json_token();
  if (type == od::json_type::number) {
    int64_t id;
    if (error_code err = value.get_int64().get(id)) {
      if (!internal::IsJsonNumber(token)) return JsonFail(err, at);
      return Fail(MessageError::kMistypedField, MessageField::kId, at);
    }
  } else if (type == od::json_type::string) {
    std::string_view id;
    if (error_code err = value.get_string().get(id)) return JsonFail(err, at);
  } else {
    if (error_code err = validator_.Validate(value, 2))
      return JsonFail(err, at);
    return Fail(MessageError::kMistypedField, MessageField::kId, at);
  }
  out.id = TrimRight(token);
  return MessageError::kOk;
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

// The error path: settles a rejected message's code by precedence (UTF-8,
// JSON syntax, depth, then the fast path's schema code) with scalar checks
// of the whole message [buf, buf + n).
void SettleError(const char* buf, size_t n, uint32_t max_depth,
                 error_code simd_error, MessageErrorInfo& error) {
  const size_t bad_utf8 = FindInvalidUtf8(std::string_view(buf, n));
  if (bad_utf8 != std::string_view::npos ||
      simd_error == simdjson::UTF8_ERROR) {
    error = MessageErrorInfo();
    error.code = MessageError::kInvalidUtf8;
    error.offset = bad_utf8 == std::string_view::npos
                       ? 0
                       : static_cast<uint32_t>(bad_utf8);
    return;
  }
  const internal::JsonCheck check =
      internal::CheckJson(reinterpret_cast<const uint8_t*>(buf), n);
  if (check.kind != internal::JsonCheck::kValid) {
    error = MessageErrorInfo();
    error.code = check.kind == internal::JsonCheck::kPrefix
                     ? MessageError::kTruncated
                     : MessageError::kMalformedJson;
    error.offset = static_cast<uint32_t>(check.offset);
    error.reason = check.reason;
    if (std::strcmp(check.reason, "nesting too deep to check") == 0) {
      error.code = MessageError::kTooDeep;
    }
    return;
  }
  if (check.max_depth > max_depth) {
    error = MessageErrorInfo();
    error.code = MessageError::kTooDeep;
    error.offset = static_cast<uint32_t>(check.deep_offset);
    return;
  }
  if (error.code == MessageError::kMalformedJson ||
      error.code == MessageError::kTooDeep) {
    // simdjson refused a text the checker accepts (e.g. a limit of its own).
    error.code = MessageError::kMalformedJson;
    error.reason = simdjson::error_message(simd_error);
  }
}

}  // namespace

struct MessageParser::Impl {
  explicit Impl(uint32_t max_depth) : validator(max_depth) {}

  od::parser parser;
  std::unique_ptr<char[]> padded;
  size_t padded_capacity = 0;
  internal::DataValidator validator;
};

MessageParser::MessageParser(ParserOptions options)
    : options_(options), impl_(std::make_unique<Impl>(options_.max_depth)) {
  // Sized once: no message we accept makes simdjson grow its buffers.
  const size_t capacity = std::max<size_t>(options_.max_message_bytes, 64);
  // On failure (out of memory) iterate() retries the allocation and reports
  // it.
  if (impl_->parser.allocate(capacity, options_.max_depth + 2) !=
      simdjson::SUCCESS) {
    impl_->parser = od::parser();
  }
  impl_->padded_capacity = capacity + kMessagePadding;
  impl_->padded.reset(new char[impl_->padded_capacity]);
  std::memset(impl_->padded.get(), ' ', impl_->padded_capacity);
}

MessageParser::~MessageParser() = default;

MessageError MessageParser::Parse(std::string_view message, size_t capacity,
                                  Command& out) {
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
    // simdjson may read the padding of malformed input: blank it, so what a
    // longer earlier message left there cannot change this one's verdict.
    std::memset(impl_->padded.get() + n, ' ', kMessagePadding);
    buf = impl_->padded.get();
    ++copies_;
  }
  CommandReader reader(options_, impl_->parser, impl_->validator, buf, n,
                       error_);
  if (reader.Read(out) == MessageError::kOk) return MessageError::kOk;
  SettleError(buf, n, options_.max_depth, reader.simd_error(), error_);
  return error_.code;
}

absl::Status MessageParser::last_status() const {
  return MessageErrorToStatus(error_);
}

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

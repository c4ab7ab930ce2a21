// MessageParser: the fast path (core/command_reader: simdjson's stage 1, then
// the fields read in document order from its structural index with the
// grammar checked on the way); a rejected message then goes through the
// error path (SettleError), which re-checks UTF-8 and JSON syntax so that it
// gets one code and offset. The other helpers: core/json_data_validator
// (grammar walk, escapes, atoms), core/json_check (the error path's grammar
// checker), core/message.cc (names).
#include "wsbench/message_parser.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "core/command_reader_internal.h"
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
  // Unescaped strings of one message (simdjson's parse_string writes whole
  // blocks, so with slack past the longest message's strings).
  std::unique_ptr<uint8_t[]> strings;
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
  impl_->strings.reset(new uint8_t[capacity + 4 * kMessagePadding]);
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
  error_code simd_error = simdjson::SUCCESS;
  if (internal::ReadCommand(options_, impl_->parser, impl_->validator,
                            impl_->strings.get(), buf, n, out, error_,
                            simd_error) == MessageError::kOk) {
    return MessageError::kOk;
  }
  SettleError(buf, n, options_.max_depth, simd_error, error_);
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

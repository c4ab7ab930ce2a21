// libFuzzer target for the client JSON message parser (message_parser.h).
// Invariants: Parse returns kOk or an error code, never crashes; the error
// code agrees with last_status() (OK exactly when kOk, with a message
// otherwise); parsing is deterministic (the same input twice, once with the
// in-place padding capacity, gives the same code and fields); a message it
// accepts is valid UTF-8 and valid JSON within the depth limit by the error
// path's independent byte-by-byte checker (json_check), and so is its "data";
// a message that checker finds valid is never refused as invalid UTF-8,
// truncated or too deep.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json_check_internal.h"
#include "fuzz_util.h"
#include "wsbench/message_parser.h"
#include "wsbench/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static wsbench::MessageParser* parser = new wsbench::MessageParser();
  const std::string input(reinterpret_cast<const char*>(data), size);

  wsbench::Command first;
  const wsbench::MessageError code = parser->Parse(input, first);
  const absl::Status status = parser->last_status();
  WSBENCH_FUZZ_CHECK((code == wsbench::MessageError::kOk) == status.ok());
  if (!status.ok()) WSBENCH_FUZZ_CHECK(!status.message().empty());
  WSBENCH_FUZZ_CHECK(first.channel_count <= wsbench::kMaxChannelsPerCommand);
  const auto* bytes = reinterpret_cast<const uint8_t*>(input.data());
  const wsbench::internal::JsonCheck check =
      wsbench::internal::CheckJson(bytes, input.size());
  const bool valid_json =
      wsbench::FindInvalidUtf8(input) == std::string_view::npos &&
      check.kind == wsbench::internal::JsonCheck::kValid &&
      check.max_depth <= parser->options().max_depth;
  if (code == wsbench::MessageError::kOk) {
    WSBENCH_FUZZ_CHECK(valid_json);
    if (first.type == wsbench::CommandType::kPublish) {
      const wsbench::internal::JsonCheck data = wsbench::internal::CheckJson(
          reinterpret_cast<const uint8_t*>(first.data.data()),
          first.data.size());
      WSBENCH_FUZZ_CHECK(data.kind == wsbench::internal::JsonCheck::kValid);
    }
  }
  if (valid_json && input.size() <= parser->options().max_message_bytes) {
    WSBENCH_FUZZ_CHECK(code != wsbench::MessageError::kInvalidUtf8 &&
                       code != wsbench::MessageError::kTruncated &&
                       code != wsbench::MessageError::kTooDeep);
  }
  const std::string type = std::to_string(static_cast<int>(first.type));
  const std::string channel(first.channel);
  const std::string payload(first.data);
  const size_t channels = first.channel_count;

  // Again, in place: the buffer has the padding simdjson wants after the text.
  std::string padded = input;
  padded.resize(input.size() + wsbench::kMessagePadding, ' ');
  wsbench::Command second;
  const wsbench::MessageError again = parser->Parse(
      std::string_view(padded.data(), input.size()), padded.size(), second);
  WSBENCH_FUZZ_CHECK(again == code);
  if (code == wsbench::MessageError::kOk) {
    WSBENCH_FUZZ_CHECK(std::to_string(static_cast<int>(second.type)) == type);
    WSBENCH_FUZZ_CHECK(second.channel == channel);
    WSBENCH_FUZZ_CHECK(second.data == payload);
    WSBENCH_FUZZ_CHECK(second.channel_count == channels);
  }
  return 0;
}

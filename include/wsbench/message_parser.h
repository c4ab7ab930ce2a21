// MessageParser: turns client JSON text messages into typed Commands (see
// wsbench/message.h for the schema) from simdjson's stage-1 structural index,
// validating as it goes, without allocating per message.
//
// Data layout: one simdjson::ondemand::parser (its stage 1 and structural
// index, sized once for max_message_bytes), a scratch buffer for unescaped
// strings, one padded copy buffer of max_message_bytes + kMessagePadding
// bytes, and the last error. All are allocated in the constructor and reused,
// so Parse never allocates.
//
// Padding: simdjson reads up to kMessagePadding bytes past the end of the
// input. Parse(message, capacity) parses in place when the caller says that
// many bytes after the message are readable (capacity >= size + padding;
// their content does not matter); otherwise the message is first copied into
// the parser's padded buffer (one memcpy).
//
// Cost: one pass. simdjson stage 1 indexes the whole message and validates
// its UTF-8 (about 60 ns + 0.5 ns/byte here); one grammar walk over stage 1's
// structural index (not over every byte) then reads the fields in document
// order and checks every value, and one scan for backslashes checks the string
// escapes. "data" is kept as raw JSON text but still fully validated
// (structure, literals, numbers and string escapes; ParserOptions::
// validate_data), so a server never relays malformed JSON inside its event
// envelope; strings the command keeps (type, channel names, a string id) are
// views of the message unless they hold an escape, and then unescaped by
// simdjson into the parser's scratch. Errors cost more: the message is re-scanned by
// a scalar UTF-8 and JSON checker so that each rejected message gets exactly
// one code (see MessageError for the precedence) and the byte where the
// problem is. Rejections are ordinary results, never exceptions.
//
// Thread safety: thread-compatible; use one parser per thread.
//
//   wsbench::MessageParser parser;
//   wsbench::Command command;
//   if (parser.Parse(text, command) != wsbench::MessageError::kOk) {
//     return parser.last_status();  // InvalidArgument "unknown_type: ..."
//   }
//   for (std::string_view channel : command.channels()) ...
#ifndef WSBENCH_MESSAGE_PARSER_H_
#define WSBENCH_MESSAGE_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "wsbench/message.h"

namespace wsbench {

// Readable bytes simdjson needs after a message (SIMDJSON_PADDING).
inline constexpr size_t kMessagePadding = 64;

struct ParserOptions {
  // Longest accepted message in bytes; longer gives kOversized.
  size_t max_message_bytes = 64 * 1024;
  // Longest channel name in bytes (after unescaping); longer gives kBadChannelName.
  size_t max_channel_bytes = 200;
  // Deepest nesting of objects/arrays (the root object is depth 1).
  uint32_t max_depth = 32;
  // Check that "data" is valid JSON before handing it out as raw text (its
  // UTF-8 and string escapes are always checked). Off, a container "data" is
  // only bracket-matched: cheaper, but a malformed payload such as [1 2]
  // would be relayed and its nesting depth is not limited.
  bool validate_data = true;
};

// Where and why the last Parse failed.
struct MessageErrorInfo {
  MessageError code = MessageError::kOk;
  MessageField field = MessageField::kNone;
  // Byte offset in the message where the problem was found (for kTruncated,
  // the message size; for kMissingField/kNoChannels, the object's start).
  uint32_t offset = 0;
  // The offending text when useful (an unknown type, a bad channel name),
  // truncated to the first kDetailCapacity bytes.
  static constexpr size_t kDetailCapacity = 40;
  uint8_t detail_size = 0;
  char detail[kDetailCapacity] = {};
  // A short reason from the JSON checker or simdjson (static string).
  const char* reason = "";

  std::string_view detail_view() const { return {detail, detail_size}; }
};

class MessageParser {
 public:
  explicit MessageParser(ParserOptions options = {});
  ~MessageParser();
  MessageParser(const MessageParser&) = delete;
  MessageParser& operator=(const MessageParser&) = delete;

  // Parses and validates `message`, filling `out` on success. The caller's
  // buffer holds `capacity` bytes starting at message.data(); when capacity
  // >= message.size() + kMessagePadding it is parsed in place (views in `out`
  // then point into it), otherwise it is copied into the parser's padded
  // buffer first. Returns kOk or the error, whose details are in last_error().
  // `out`'s views stay valid until the next Parse.
  MessageError Parse(std::string_view message, size_t capacity, Command& out);
  // Same, for a buffer with no known padding (always copies).
  MessageError Parse(std::string_view message, Command& out) {
    return Parse(message, message.size(), out);
  }

  // The last Parse's error (code kOk after a success).
  const MessageErrorInfo& last_error() const { return error_; }
  // The last error as a Status (OkStatus after a success):
  // InvalidArgument("<name>: <what> at byte <offset>").
  absl::Status last_status() const;

  // API-edge convenience: Parse + last_status().
  absl::Status ParseOrStatus(std::string_view message, Command& out) {
    Parse(message, out);
    return last_status();
  }

  const ParserOptions& options() const { return options_; }
  // Messages that were copied because they lacked padding (for tests and
  // benchmarks that want to prove the in-place path).
  uint64_t copies() const { return copies_; }

 private:
  struct Impl;

  ParserOptions options_;
  std::unique_ptr<Impl> impl_;
  MessageErrorInfo error_;
  uint64_t copies_ = 0;
};

// Converts an error to a Status: OkStatus for kOk, otherwise
// InvalidArgument("<name>: <description>[ <detail>][ in field <f>] at byte <n>[: reason]").
absl::Status MessageErrorToStatus(const MessageErrorInfo& info);

}  // namespace wsbench

#endif  // WSBENCH_MESSAGE_PARSER_H_

// The client message schema: typed commands parsed from JSON text messages,
// and the distinct ways a message can be rejected.
//
// Wire schema (one JSON object per WebSocket text message, RFC 8259):
//   {"type":"subscribe",   "channels":["a","b"], "id":<id>?}
//   {"type":"unsubscribe", "channels":["a","b"], "id":<id>?}
//   {"type":"publish",     "channel":"a", "data":<any JSON>, "id":<id>?}
//   {"type":"ping",        "id":<id>}
// where <id> is a JSON integer (int64) or a JSON string, echoed verbatim in
// the server's ack. "channels" holds 1..kMaxChannelsPerCommand non-empty
// names; a channel name is 1..max_channel_bytes bytes after unescaping.
// Fields may come in any order; unknown fields are validated as JSON and then
// ignored (forward compatibility); a known field given twice is an error.
// Keys are matched as written (a key spelled with escapes, "typ\u0065", is an
// unknown key), as simdjson's find_field does.
//
// Layout: Command is a flat value (about 300 bytes) whose string_views point
// into the parsed input or the parser's scratch buffers; nothing is heap
// allocated. Thread-compatible value types.
#ifndef WSBENCH_MESSAGE_H_
#define WSBENCH_MESSAGE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace wsbench {

// Most channel names one subscribe/unsubscribe may carry (held inline).
inline constexpr size_t kMaxChannelsPerCommand = 16;

enum class CommandType : uint8_t {
  kSubscribe,
  kUnsubscribe,
  kPublish,
  kPing,
};
inline constexpr size_t kCommandTypeCount = 4;

// "subscribe", "unsubscribe", "publish", "ping".
std::string_view CommandTypeName(CommandType type);

// A parsed, validated client message. Views are valid until the next Parse on
// the parser that produced it (and while the caller's input buffer lives).
struct Command {
  CommandType type = CommandType::kPing;
  uint8_t channel_count = 0;
  // Raw JSON text of "id" as sent (`42` or `"req-1"`), empty when absent.
  std::string_view id;
  // publish: the channel name (unescaped) and "data" as raw JSON text.
  std::string_view channel;
  std::string_view data;
  // subscribe/unsubscribe: channel names (unescaped), see channels().
  std::array<std::string_view, kMaxChannelsPerCommand> channel_slots;
  // Names that were sent without escapes: bit k for channel_slots[k],
  // kPlainChannelBit for `channel`. Such a name holds no byte that JSON
  // escapes ('"', '\' and control bytes can only be sent escaped), so a
  // reply quotes it by copying. 0 makes no promise (every name is escaped).
  uint32_t plain_names = 0;
  static constexpr uint32_t kPlainChannelBit = 1u << kMaxChannelsPerCommand;

  std::span<const std::string_view> channels() const {
    return {channel_slots.data(), channel_count};
  }
};

// Why a message was rejected. Checked in this order, so each message gets one
// well-defined code: size, then UTF-8, then JSON syntax, then the schema.
enum class MessageError : uint8_t {
  kOk = 0,
  kOversized,        // Longer than ParserOptions::max_message_bytes.
  kInvalidUtf8,      // Not UTF-8 (RFC 3629), anywhere in the message.
  kTruncated,        // A proper prefix of a JSON text (input ended early); also empty input.
  kMalformedJson,    // Not JSON (RFC 8259): bad token, missing separator, trailing content...
  kTooDeep,          // Nesting deeper than ParserOptions::max_depth.
  kNotAnObject,      // Valid JSON whose root is not an object.
  kUnknownType,      // "type" is not one of the four command types.
  kMissingField,     // A field the command type requires is absent.
  kMistypedField,    // A known field has the wrong JSON type (or an id is not an int64).
  kDuplicateField,   // A known field appears twice.
  kNoChannels,       // "channels" is an empty array.
  kTooManyChannels,  // "channels" has more than kMaxChannelsPerCommand names.
  kBadChannelName,   // A channel name is empty or longer than max_channel_bytes.
};
inline constexpr size_t kMessageErrorCount = 14;

// Stable snake_case name of an error ("unknown_type"), used in error replies.
std::string_view MessageErrorName(MessageError error);
// One-line English description without position ("unknown message type").
std::string_view MessageErrorDescription(MessageError error);

// Which field an error concerns.
enum class MessageField : uint8_t { kNone, kType, kChannels, kChannel, kData, kId };
std::string_view MessageFieldName(MessageField field);  // "type", ... ("" for kNone)

}  // namespace wsbench

#endif  // WSBENCH_MESSAGE_H_

// ReplyBuilder: writes the server's JSON replies (ack, error, event envelope)
// into one reusable buffer.
//
// Replies (RFC 8259 JSON text, one per WebSocket text message):
//   ack    {"type":"ack","of":"subscribe","id":7,"channels":["a","b"]}
//          ("id" only when the command had one, "channels" only for
//          subscribe/unsubscribe; "of" names the acknowledged command)
//   error  {"type":"error","code":"unknown_type","message":"...","at":12,"id":7}
//          ("at" is the byte offset, "id" only when known)
//   event  {"type":"event","channel":"a","data":<payload as published>}
// Channel names and messages are written as JSON strings with RFC 8259
// section 7 escaping (", \ and control characters; \u00XX for those without a
// short form); ids and payloads are raw JSON text from MessageParser and are
// copied verbatim.
//
// Layout: one heap buffer plus its size. Each Build call computes a worst-case
// size, grows the buffer only if that exceeds its capacity (doubling), then
// writes with plain stores: once the buffer has reached the largest reply's
// size no call allocates. The returned view is valid until the next call.
// Cost: O(reply size).
//
// Thread safety: thread-compatible; one builder per thread.
//
//   wsbench::ReplyBuilder replies;
//   std::string_view ack = replies.Ack(command);
//   std::string_view event = replies.Event(command.channel, command.data);
#ifndef WSBENCH_REPLY_BUILDER_H_
#define WSBENCH_REPLY_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "wsbench/message.h"

namespace wsbench {

class ReplyBuilder {
 public:
  explicit ReplyBuilder(size_t initial_capacity = 1024);
  ReplyBuilder(const ReplyBuilder&) = delete;
  ReplyBuilder& operator=(const ReplyBuilder&) = delete;

  // Ack of `of` with the command's raw JSON id (empty = none) and, for
  // subscribe/unsubscribe, its channels. Bit k of `plain_mask` promises that
  // channels[k] holds no byte that needs escaping (it is then copied).
  std::string_view Ack(CommandType of, std::string_view id_json,
                       std::span<const std::string_view> channels,
                       uint32_t plain_mask = 0);
  std::string_view Ack(const Command& command) {
    return Ack(command.type, command.id,
               command.type == CommandType::kPublish ||
                       command.type == CommandType::kPing
                   ? std::span<const std::string_view>()
                   : command.channels(),
               command.plain_names);
  }

  // Error reply with the error's stable code name and its description (hot
  // path: no formatting beyond the offset).
  std::string_view Error(MessageError error, uint32_t offset, std::string_view id_json = {});
  // Error reply with any code name and message (escaped), e.g. a Status
  // message at the API edge.
  std::string_view Error(std::string_view code, std::string_view message,
                         std::string_view id_json = {});

  // Event envelope around a published payload (raw JSON text).
  // `channel_plain` promises that `channel` holds no byte that needs escaping.
  std::string_view Event(std::string_view channel, std::string_view data_json,
                         bool channel_plain = false);
  std::string_view Event(const Command& command) {
    return Event(command.channel, command.data,
                 (command.plain_names & Command::kPlainChannelBit) != 0);
  }

  // The last reply.
  std::string_view view() const { return {buffer_.get(), size_}; }
  size_t capacity() const { return capacity_; }
  // Times the buffer grew (heap allocations after construction).
  uint64_t grow_count() const { return grow_count_; }

 private:
  // Makes room for `bytes`, discarding the previous reply; returns the start.
  char* Begin(size_t bytes);
  std::string_view Finish(char* end);

  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
  size_t size_ = 0;
  uint64_t grow_count_ = 0;
};

// Appends `text` to `out` as a JSON string literal (quotes included), escaped
// per RFC 8259 section 7. For callers outside the hot path and for tests.
void AppendJsonString(std::string_view text, std::string& out);

}  // namespace wsbench

#endif  // WSBENCH_REPLY_BUILDER_H_

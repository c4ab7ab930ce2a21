// MessageCorpus: the client messages of the `messages` dimension, shared by
// every harness that sends them (messages in process, e2e_messages over
// sockets).
//
// 4,096 distinct messages from the seed, stored once in an arena with
// kMessagePadding bytes after each (so they can be parsed in place), cycled
// in a seeded shuffled order of 65,536 entries: op i is message
// ForOp(i). Valid mix: 55% publish (payloads 80 B .. 2 KiB, log-normal with
// median ~190 B: chat lines, trade ticks, order book snapshots, presence
// updates, notifications with nested metadata, escapes and non-ASCII text)
// to one of the publish channels, 15% subscribe and 15% unsubscribe (1..10
// of kCorpusTopics topics each), 15% ping (integer or string ids). A share
// of WorkloadOptions::invalid_share (at least one of each kind when the
// share is above 0) is replaced by invalid messages spread over every
// MessageError kind; Build checks with MessageParser that each gets its
// intended code and that every valid message parses.
//
// Not thread-safe; read-only after Build.
//
//   MessageCorpus corpus;
//   WSBENCH_RETURN_IF_ERROR(corpus.Build(/*publish_channels=*/500, options,
//                                        parser));
//   const CorpusMessage& m = corpus.ForOp(i);
//   parser.Parse(corpus.text(m), m.size + kMessagePadding, command);
#ifndef WSBENCH_BENCH_MESSAGE_CORPUS_H_
#define WSBENCH_BENCH_MESSAGE_CORPUS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "workload.h"
#include "wsbench/message.h"
#include "wsbench/message_parser.h"

namespace wsbench::bench {

inline constexpr size_t kCorpusSize = 4096;
inline constexpr size_t kCorpusOrderSize = 65536;  // Power of two.
inline constexpr int kCorpusTopics = 32;
// The parser limit the corpus is built for: its kOversized messages are
// longer, every other message shorter.
inline constexpr size_t kCorpusMaxMessageBytes = 4096;

enum class MessageKind : uint8_t {
  kPublish,
  kSubscribe,
  kUnsubscribe,
  kPing,
  kInvalid
};

struct CorpusMessage {
  uint32_t offset = 0;  // In the arena.
  uint32_t size = 0;
  MessageKind kind = MessageKind::kPing;
  // Intended code of an invalid message.
  MessageError error = MessageError::kOk;
  uint32_t channel = 0;     // Publish: publish channel index.
  uint32_t reply_size = 0;  // Bytes of the reply (ack or error); 0 for publish.
  uint32_t event_size = 0;  // Publish: bytes of the event envelope.
  uint8_t topic_count = 0;  // Subscribe/unsubscribe: topics, in order.
  std::array<uint8_t, 10> topics{};
};

// Publish channel i's name ("chat.room.7", "orders.eu.sym1-usd", ... some
// non-ASCII).
std::string PublishChannelName(uint32_t i);
// Topic i's name ("topic.alerts.0", ...).
std::string TopicName(int i);

class MessageCorpus {
 public:
  // Builds the corpus for `publish_channels` publish channels from
  // options.seed and options.invalid_share; `parser` (max_message_bytes =
  // kCorpusMaxMessageBytes) checks every message. Internal when a generated
  // message does not get its intended verdict.
  absl::Status Build(uint32_t publish_channels, const WorkloadOptions& options,
                     MessageParser& parser);

  const CorpusMessage& ForOp(int64_t i) const {
    return messages_[order_[static_cast<size_t>(i) & (kCorpusOrderSize - 1)]];
  }
  // Index into messages() of op i's message.
  uint16_t IndexForOp(int64_t i) const {
    return order_[static_cast<size_t>(i) & (kCorpusOrderSize - 1)];
  }
  std::string_view text(const CorpusMessage& m) const {
    return std::string_view(arena_.data() + m.offset, m.size);
  }
  const std::vector<CorpusMessage>& messages() const { return messages_; }
  uint32_t publish_channels() const { return publish_channels_; }
  const std::vector<std::string>& channel_names() const {
    return channel_names_;
  }
  const std::vector<std::string>& topic_names() const { return topic_names_; }

 private:
  class Generator;
  std::string ValidMessage(Generator& g, MessageKind kind, CorpusMessage& m);
  std::string InvalidMessage(Generator& g, MessageError error);

  uint32_t publish_channels_ = 0;
  std::vector<std::string> channel_names_;
  std::vector<std::string> topic_names_;
  std::vector<CorpusMessage> messages_;
  std::string arena_;
  std::vector<uint16_t> order_;
};

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_MESSAGE_CORPUS_H_

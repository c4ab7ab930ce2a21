// MessageTraffic: what a server must answer to each message of the
// MessageCorpus, and ReplyChecker: the client side's check of every reply,
// in order, per connection.
//
// Two modes:
//   kServer  wsbench-server's JSON protocol (server.h): every message gets
//            exactly one reply on its connection, in order: an ack
//            (ReplyBuilder::Ack of the parsed command, publishes included)
//            or an error reply (ReplyBuilder::Error with MessageParser's code
//            and offset, no id; a binary message gets the error
//            "unsupported_data"). The expected bytes come from core's own
//            MessageParser, configured with the server's message limit, and
//            ReplyBuilder: an invalid corpus message whose intended error is
//            not what the server sees with its limit (kOversized messages
//            are under the server's default 1 MiB) is expected as the
//            server answers it, and counted apart (model_differs).
//   kEcho    an echo server: the reply is the message itself, byte for
//            byte.
// In both, messages that are not valid UTF-8 travel as binary frames (a text
// frame with invalid UTF-8 must close the connection, RFC 6455 8.1), so
// wsbench-server answers them "unsupported_data"; they are counted under
// their corpus error (kInvalidUtf8).
// Replies are compared byte for byte with the expected text, and classified
// by their "type" (and an error's "code"), so error replies are counted per
// code and matched to the invalid messages that caused them.
//
// Memory: the expected replies of the 4,096 corpus messages in one arena
// (~0.5 MB in kServer mode); per connection of a ReplyChecker a ring of
// `window` pending sends (corpus index + send time: 16 bytes each).
// Thread-compatible.
//
//   MessageTraffic traffic;
//   WSBENCH_RETURN_IF_ERROR(traffic.Build(corpus, ReplyMode::kServer, 1 <<
//   20)); ReplyChecker checker(traffic, connections, /*window=*/16);
//   checker.Sent(conn, corpus.IndexForOp(i), now_ns);    // per send
//   int64_t sent_ns = checker.Received(conn, payload);  // per reply
#ifndef WSBENCH_BENCH_MESSAGE_TRAFFIC_H_
#define WSBENCH_BENCH_MESSAGE_TRAFFIC_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "message_corpus.h"
#include "wsbench/frame.h"
#include "wsbench/message.h"

namespace wsbench::bench {

enum class ReplyMode : uint8_t { kServer, kEcho };

enum class ReplyKind : uint8_t { kAck, kError, kEvent, kEcho, kOther };

// The "type" of a server reply as ReplyBuilder writes it
// ({"type":"ack"...}, {"type":"error","code":"<code>"...},
// {"type":"event"...}); kOther for anything else. `code` receives an error's
// code (empty otherwise).
ReplyKind ClassifyReply(std::string_view reply, std::string_view* code);

// Counts of one checker (or several, summed).
struct TrafficCounts {
  int64_t sent = 0;
  int64_t replies = 0;  // replies that matched their message
  int64_t acks = 0;     // kServer: ack replies
  int64_t echoes = 0;   // kEcho: echoed messages
  // kServer: error replies by MessageError code (index), each matched to a
  // message the model says gets that error.
  std::array<int64_t, kMessageErrorCount> errors{};
  int64_t mismatches = 0;     // reply differs from the expected bytes
  int64_t unexpected = 0;     // a reply with nothing pending on its connection
  int64_t overflows = 0;      // Sent() beyond the window
  std::string first_problem;  // the first mismatch/unexpected, for messages

  int64_t error_replies() const;
  void Add(const TrafficCounts& other);
};

class MessageTraffic {
 public:
  // Computes the expected reply of every corpus message. `max_message_size`
  // is the server's limit (ServerOptions::max_message_size; kServer only).
  absl::Status Build(const MessageCorpus& corpus, ReplyMode mode,
                     uint64_t max_message_size);

  ReplyMode mode() const { return mode_; }
  const MessageCorpus& corpus() const { return *corpus_; }
  // The message of corpus index `index` and how it is sent.
  std::string_view message(uint16_t index) const {
    return corpus_->text(corpus_->messages()[index]);
  }
  Opcode opcode(uint16_t index) const { return opcode_[index]; }
  // The bytes the server must answer with.
  std::string_view expected(uint16_t index) const {
    const Expected& e = expected_[index];
    return std::string_view(arena_.data() + e.offset, e.size);
  }
  ReplyKind expected_kind(uint16_t index) const {
    return expected_[index].kind;
  }
  MessageError expected_error(uint16_t index) const {
    return expected_[index].error;
  }
  // An error reply's "code": MessageErrorName, or "unsupported_data" for a
  // message sent as binary.
  std::string_view expected_code(uint16_t index) const {
    return expected_[index].code;
  }
  // Corpus messages the server's verdict differs from the corpus's intent
  // for (e.g. kOversized under a larger server limit).
  int model_differs() const { return model_differs_; }

  // The expected counts of ops [begin, end) of the corpus order.
  TrafficCounts ExpectedCounts(int64_t begin, int64_t end) const;

 private:
  struct Expected {
    uint32_t offset = 0;
    uint32_t size = 0;
    ReplyKind kind = ReplyKind::kOther;
    MessageError error = MessageError::kOk;
    std::string_view code;  // a static name
  };
  ReplyMode mode_ = ReplyMode::kServer;
  const MessageCorpus* corpus_ = nullptr;
  std::vector<Expected> expected_;
  std::vector<Opcode> opcode_;
  std::string arena_;
  int model_differs_ = 0;
};

// The client side's reply check: per connection a ring of the messages sent
// and not yet answered; each reply must match the oldest one.
class ReplyChecker {
 public:
  ReplyChecker(const MessageTraffic& traffic, int64_t connections, int window);

  int window() const { return window_; }
  int pending(int64_t conn) const { return fill_[conn]; }
  int64_t pending_total() const { return pending_total_; }

  // Records that corpus message `index` was sent on `conn` at sent_ns.
  // Beyond the window the send is counted as an overflow (a caller's bug).
  void Sent(int64_t conn, uint16_t index, int64_t sent_ns);
  // Checks a reply received on `conn` against its oldest pending message;
  // returns that message's send time, or -1 when nothing was pending.
  int64_t Received(int64_t conn, std::string_view payload);

  const TrafficCounts& counts() const { return counts_; }
  // Forgets every pending send and zeroes the counts.
  void Reset();

 private:
  struct Pending {
    int64_t sent_ns;
    uint16_t index;
  };
  void Problem(std::string what);

  const MessageTraffic& traffic_;
  int window_;
  std::vector<Pending> ring_;  // connections x window
  std::vector<uint8_t> head_;  // oldest pending slot per connection
  std::vector<uint8_t> fill_;  // pending per connection
  int64_t pending_total_ = 0;
  TrafficCounts counts_;
};

// Checks `got` (a pass's summed counts) against `want` (ExpectedCounts):
// every message answered, no mismatch, no unexpected reply, error replies
// per code as expected. Internal naming the first difference.
absl::Status CheckTraffic(const TrafficCounts& got, const TrafficCounts& want,
                          std::string_view what);

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_MESSAGE_TRAFFIC_H_

#include "message_traffic.h"

#include <algorithm>
#include <cstring>

#include "fmt/format.h"
#include "wsbench/message_parser.h"
#include "wsbench/reply_builder.h"
#include "wsbench/utf8.h"

namespace wsbench::bench {
namespace {

constexpr std::string_view kTypePrefix = R"({"type":")";
constexpr std::string_view kBinaryCode = "unsupported_data";
constexpr std::string_view kCodePrefix = R"(","code":")";

// At most this much of a reply is quoted in a problem message.
constexpr size_t kQuote = 160;

std::string Clip(std::string_view s) {
  return std::string(s.substr(0, kQuote)) + (s.size() > kQuote ? "..." : "");
}

}  // namespace

ReplyKind ClassifyReply(std::string_view reply, std::string_view* code) {
  if (code != nullptr) *code = {};
  if (!reply.starts_with(kTypePrefix)) return ReplyKind::kOther;
  reply.remove_prefix(kTypePrefix.size());
  if (reply.starts_with(R"(ack")")) return ReplyKind::kAck;
  if (reply.starts_with(R"(event")")) return ReplyKind::kEvent;
  if (!reply.starts_with("error")) return ReplyKind::kOther;
  reply.remove_prefix(5);
  if (!reply.starts_with(kCodePrefix)) return ReplyKind::kOther;
  reply.remove_prefix(kCodePrefix.size());
  const size_t end = reply.find('"');
  if (end == std::string_view::npos) return ReplyKind::kOther;
  if (code != nullptr) *code = reply.substr(0, end);
  return ReplyKind::kError;
}

int64_t TrafficCounts::error_replies() const {
  int64_t n = 0;
  for (int64_t e : errors) n += e;
  return n;
}

void TrafficCounts::Add(const TrafficCounts& other) {
  sent += other.sent;
  replies += other.replies;
  acks += other.acks;
  echoes += other.echoes;
  for (size_t k = 0; k < errors.size(); ++k) errors[k] += other.errors[k];
  mismatches += other.mismatches;
  unexpected += other.unexpected;
  overflows += other.overflows;
  if (first_problem.empty()) first_problem = other.first_problem;
}

absl::Status MessageTraffic::Build(const MessageCorpus& corpus, ReplyMode mode,
                                   uint64_t max_message_size) {
  corpus_ = &corpus;
  mode_ = mode;
  model_differs_ = 0;
  const std::vector<CorpusMessage>& messages = corpus.messages();
  expected_.assign(messages.size(), Expected());
  opcode_.assign(messages.size(), Opcode::kText);
  arena_.clear();
  ParserOptions options;
  options.max_message_bytes = static_cast<size_t>(max_message_size);
  MessageParser parser(options);
  ReplyBuilder replies;
  Command command;
  for (size_t i = 0; i < messages.size(); ++i) {
    const CorpusMessage& m = messages[i];
    const std::string_view text = corpus.text(m);
    Expected& e = expected_[i];
    std::string_view reply;
    // A text frame that is not UTF-8 must close the connection (RFC 6455
    // 8.1): such messages travel as binary frames.
    if (!IsValidUtf8(text)) opcode_[i] = Opcode::kBinary;
    if (mode == ReplyMode::kEcho) {
      reply = text;
      e.kind = ReplyKind::kEcho;
    } else if (opcode_[i] == Opcode::kBinary) {
      // wsbench-server answers a binary message with this error
      // (server.cc), whatever it holds.
      reply = replies.Error(kBinaryCode,
                            "binary messages are not part of the protocol");
      e.kind = ReplyKind::kError;
      e.error = m.kind == MessageKind::kInvalid ? m.error
                                                : MessageError::kInvalidUtf8;
      e.code = kBinaryCode;
    } else {
      // The corpus keeps kMessagePadding bytes after each message, so the
      // parser reads it in place as the server reads its receive buffer.
      const MessageError error =
          parser.Parse(text, text.size() + kMessagePadding, command);
      if (error != MessageError::kOk) {
        reply = replies.Error(error, parser.last_error().offset);
        e.kind = ReplyKind::kError;
        e.error = error;
        e.code = MessageErrorName(error);
      } else {
        reply = replies.Ack(command);
        e.kind = ReplyKind::kAck;
      }
      if (e.error != m.error) ++model_differs_;
    }
    e.offset = static_cast<uint32_t>(arena_.size());
    e.size = static_cast<uint32_t>(reply.size());
    arena_.append(reply);
  }
  return absl::OkStatus();
}

TrafficCounts MessageTraffic::ExpectedCounts(int64_t begin, int64_t end) const {
  TrafficCounts c;
  for (int64_t i = begin; i < end; ++i) {
    const Expected& e = expected_[corpus_->IndexForOp(i)];
    ++c.sent;
    ++c.replies;
    switch (e.kind) {
      case ReplyKind::kAck:
        ++c.acks;
        break;
      case ReplyKind::kEcho:
        ++c.echoes;
        break;
      case ReplyKind::kError:
        ++c.errors[static_cast<size_t>(e.error)];
        break;
      default:
        break;
    }
  }
  return c;
}

ReplyChecker::ReplyChecker(const MessageTraffic& traffic, int64_t connections,
                           int window)
    : traffic_(traffic),
      window_(std::clamp(window, 1, 255)),
      ring_(static_cast<size_t>(connections) * window_),
      head_(static_cast<size_t>(connections), 0),
      fill_(static_cast<size_t>(connections), 0) {}

void ReplyChecker::Reset() {
  std::fill(head_.begin(), head_.end(), 0);
  std::fill(fill_.begin(), fill_.end(), 0);
  pending_total_ = 0;
  counts_ = TrafficCounts();
}

void ReplyChecker::Problem(std::string what) {
  if (counts_.first_problem.empty()) counts_.first_problem = std::move(what);
}

void ReplyChecker::Sent(int64_t conn, uint16_t index, int64_t sent_ns) {
  ++counts_.sent;
  const size_t c = static_cast<size_t>(conn);
  if (fill_[c] >= window_) {
    ++counts_.overflows;
    Problem(fmt::format("connection {}: more than {} messages in flight", conn,
                        window_));
    return;
  }
  const int slot = (head_[c] + fill_[c]) % window_;
  ring_[c * window_ + slot] = Pending{sent_ns, index};
  ++fill_[c];
  ++pending_total_;
}

int64_t ReplyChecker::Received(int64_t conn, std::string_view payload) {
  const size_t c = static_cast<size_t>(conn);
  if (fill_[c] == 0) {
    ++counts_.unexpected;
    Problem(fmt::format("connection {}: a reply with no message pending: {}",
                        conn, Clip(payload)));
    return -1;
  }
  const Pending p = ring_[c * window_ + head_[c]];
  head_[c] = static_cast<uint8_t>((head_[c] + 1) % window_);
  --fill_[c];
  --pending_total_;
  const std::string_view want = traffic_.expected(p.index);
  if (payload != want) {
    ++counts_.mismatches;
    Problem(fmt::format(
        "connection {}: the reply to corpus message {} ({}) was {}, "
        "expected {}",
        conn, p.index, Clip(traffic_.message(p.index)), Clip(payload),
        Clip(want)));
    return p.sent_ns;
  }
  ++counts_.replies;
  switch (traffic_.expected_kind(p.index)) {
    case ReplyKind::kEcho:
      ++counts_.echoes;
      break;
    case ReplyKind::kAck:
      // Byte-equal to the expected ack, so its type is "ack"; classified
      // anyway so a wrong model cannot pass unnoticed.
      if (ClassifyReply(payload, nullptr) == ReplyKind::kAck) ++counts_.acks;
      break;
    case ReplyKind::kError: {
      std::string_view code;
      const MessageError error = traffic_.expected_error(p.index);
      if (ClassifyReply(payload, &code) == ReplyKind::kError &&
          code == traffic_.expected_code(p.index)) {
        ++counts_.errors[static_cast<size_t>(error)];
      }
      break;
    }
    default:
      break;
  }
  return p.sent_ns;
}

absl::Status CheckTraffic(const TrafficCounts& got, const TrafficCounts& want,
                          std::string_view what) {
  if (!got.first_problem.empty()) {
    return absl::InternalError(fmt::format(
        "{}: {} mismatched, {} unexpected, {} over the window; first: {}", what,
        got.mismatches, got.unexpected, got.overflows, got.first_problem));
  }
  auto check = [&](std::string_view name, int64_t g, int64_t w) {
    if (g == w) return absl::OkStatus();
    return absl::InternalError(
        fmt::format("{}: {} = {}, expected {}", what, name, g, w));
  };
  if (absl::Status s = check("messages sent", got.sent, want.sent); !s.ok())
    return s;
  if (absl::Status s = check("replies matched", got.replies, want.replies);
      !s.ok())
    return s;
  if (absl::Status s = check("acks", got.acks, want.acks); !s.ok()) return s;
  if (absl::Status s = check("echoes", got.echoes, want.echoes); !s.ok())
    return s;
  for (size_t k = 0; k < got.errors.size(); ++k) {
    const std::string name = fmt::format(
        "'{}' error replies", MessageErrorName(static_cast<MessageError>(k)));
    if (absl::Status s = check(name, got.errors[k], want.errors[k]); !s.ok())
      return s;
  }
  return absl::OkStatus();
}

}  // namespace wsbench::bench

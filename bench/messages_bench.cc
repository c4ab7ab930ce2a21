// The `messages` dimension: client JSON messages parsed, validated and
// dispatched against the level's server state.
//
// State (built in Setup, untimed): a ConnectionManager with the level's
// connections, a Broadcaster, and two channel populations:
//   publish channels  max(4, connections / 2) names (chat rooms, order books,
//                     tickers, ...); connection c is subscribed to channels
//                     c % P and (7c + 1) % P, so a channel has about 4
//                     subscribers at every level (the per-message work does
//                     not grow with the level; fan-out width is the broadcast
//                     dimension's business). Subscriptions here never change.
//   topics            32 names that the subscribe/unsubscribe messages name.
// Corpus: MessageCorpus (message_corpus.h): 4,096 distinct messages from the
// seed, parsed in place, cycled in a seeded shuffled order; op i is message
// ForOp(i) sent by connection i % connections. Valid mix: 55% publish to the
// publish channels, 15% subscribe and 15% unsubscribe (topics), 15% ping; a
// share of WorkloadOptions::invalid_share (default 1%) is invalid, spread over
// every MessageError kind; the corpus checks that each gets its intended code.
//
// Run, per message: MessageParser::Parse; on error, count the code and build
// the error reply; subscribe/unsubscribe: ConnectionManager::Subscribe /
// Unsubscribe by name for each channel, then the ack; publish: the event
// envelope (ReplyBuilder::Event), Broadcaster::Publish excluding the sender,
// then the subscribers' queues are drained (the writer's side: frames return
// to the pool at once, so steady state allocates nothing); ping: the ack.
//
// Reference (Setup, same corpus, same run): the first kReferenceOps ops'
// messages parsed by bare simdjson on demand with extraction of the fields the
// server reads (type, channel, channels, data as raw JSON, id; no schema
// checks, no validation of data beyond simdjson's own) and, interleaved, by
// MessageParser::Parse alone; best of kReferenceRounds rounds each (thread
// CPU time). Counters: bare_simdjson_ns_per_op, parse_ns_per_op,
// parse_vs_bare_simdjson_x; the driver sets bare_simdjson_ns_per_op against
// the timed pass's CPU time per op (bare_simdjson_share_pct = 100 x bare /
// measured: 66.7 is "within 1.5x of the bare parse"). Setup first checks that
// the bare extraction and MessageParser agree on every valid corpus message
// (type, channel names, data and id text), so both loops do the same
// extraction.
//
// Verify compares against a replay of the op sequence in Setup: messages per
// command type, errors per kind, subscribe/unsubscribe results (a per
// connection topic bitmask model), deliveries and drained bytes (publish
// channel membership is static), reply bytes and event bytes; plus the
// table's consistency and no dropped frames. Reset undoes the pass's topic
// subscriptions (untimed) so capacity stays warm across passes; Setup warms
// it once (every connection joins and leaves every topic) so that the first
// pass does not pay container growth either.
#include <time.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "absl/status/status.h"
#include "benchmark/benchmark.h"
#include "fmt/format.h"
#include "message_corpus.h"
#include "simdjson.h"
#include "workload.h"
#include "wsbench/broadcaster.h"
#include "wsbench/connection_manager.h"
#include "wsbench/frame.h"
#include "wsbench/message.h"
#include "wsbench/message_parser.h"
#include "wsbench/reply_builder.h"
#include "wsbench/status_macros.h"

namespace wsbench::bench {
namespace {

using Kind = MessageKind;
using Message = CorpusMessage;

constexpr size_t kReferenceOps = 8192;
constexpr int kReferenceRounds = 5;

double ThreadSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// The fields a server reads from a client message, as bare simdjson on demand
// extracts them.
struct BareFields {
  std::string_view type, channel, data, id;
  std::array<std::string_view, kMaxChannelsPerCommand> channels{};
  size_t channel_count = 0;
};

// Bare simdjson on-demand extraction: the physical reference for
// MessageParser (no schema, duplicate or depth checks, no validation of
// "data" beyond what simdjson does to skip it). False when simdjson reports
// an error.
bool BareExtract(simdjson::ondemand::parser& parser, const char* buf, size_t n,
                 BareFields& out) {
  namespace od = simdjson::ondemand;
  out = BareFields();
  od::document doc;
  if (parser.iterate(buf, n, n + kMessagePadding).get(doc)) return false;
  od::object object;
  if (doc.get_object().get(object)) return false;
  for (auto field_result : object) {
    od::field field;
    if (std::move(field_result).get(field)) return false;
    const od::raw_json_string key = field.key();
    od::value value = field.value();
    if (key.unsafe_is_equal("type")) {
      if (value.get_string().get(out.type)) return false;
    } else if (key.unsafe_is_equal("channel")) {
      if (value.get_string().get(out.channel)) return false;
    } else if (key.unsafe_is_equal("channels")) {
      od::array array;
      if (value.get_array().get(array)) return false;
      for (auto element : array) {
        std::string_view name;
        if (element.get_string().get(name)) return false;
        if (out.channel_count == kMaxChannelsPerCommand) return false;
        out.channels[out.channel_count++] = name;
      }
    } else if (key.unsafe_is_equal("data")) {
      od::json_type type;
      if (value.type().get(type)) return false;
      if (type == od::json_type::object) {
        od::object container;
        if (value.get_object().get(container) ||
            container.raw_json().get(out.data))
          return false;
      } else if (type == od::json_type::array) {
        od::array container;
        if (value.get_array().get(container) ||
            container.raw_json().get(out.data))
          return false;
      } else {
        out.data = value.raw_json_token();
      }
    } else if (key.unsafe_is_equal("id")) {
      out.id = value.raw_json_token();
    }  // Other fields: on demand skips what is not read.
  }
  // Tokens carry the whitespace before the next structural.
  auto trim = [](std::string_view& s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' ||
                          s.back() == '\r' || s.back() == '\n')) {
      s.remove_suffix(1);
    }
  };
  trim(out.data);
  trim(out.id);
  return true;
}

class MessagesWorkload : public Workload {
 public:
  MessagesWorkload() {
    ParserOptions options;
    options.max_message_bytes = kCorpusMaxMessageBytes;
    parser_ = std::make_unique<MessageParser>(options);
  }

  absl::Status Setup(const LoadLevel& level, const WorkloadOptions& options) override {
    level_ = level;
    connections_ = static_cast<uint32_t>(level.connections);
    publish_channels_ = std::max<uint32_t>(4, connections_ / 2);
    WSBENCH_RETURN_IF_ERROR(corpus_.Build(publish_channels_, options, *parser_));
    topic_set_.clear();
    for (const std::string& t : corpus_.topic_names()) topic_set_.insert(t);
    WSBENCH_RETURN_IF_ERROR(CheckBareExtraction());
    MeasureReference();
    WSBENCH_RETURN_IF_ERROR(BuildState());
    ComputeExpectations();
    return Reset();
  }

  int64_t ops() const override { return level_.ops; }

  absl::Status Reset() override {
    // Undo the topic subscriptions of the last pass; publish-channel
    // subscriptions never change.
    std::vector<ChannelId> channels;
    std::vector<std::string> to_drop;
    for (uint32_t c = 0; c < connections_; ++c) {
      if ((c & 0x3FFF) == 0 && StopRequested()) return StopStatus();
      manager_->ChannelsOf(ids_[c], channels);
      to_drop.clear();
      for (ChannelId ch : channels) {
        const std::string_view name = manager_->subscriptions().name(ch);
        if (topic_set_.count(name) != 0) to_drop.emplace_back(name);
      }
      for (const std::string& name : to_drop) {
        WSBENCH_RETURN_IF_ERROR(manager_->Unsubscribe(ids_[c], name).status());
      }
    }
    for (OutboundQueue& q : manager_->queues_by_index()) q.Clear();
    if (manager_->subscriptions().subscription_count() != initial_subscriptions_) {
      return absl::InternalError("messages: Reset did not restore the subscriptions");
    }
    counts_ = Counts{};
    deliveries_base_ = broadcaster_->deliveries();
    dropped_base_ = broadcaster_->dropped();
    publishes_base_ = broadcaster_->publishes();
    return absl::OkStatus();
  }

  void Run(int64_t begin, int64_t end) override {
    Command command;
    SubscriptionTable const& table = manager_->subscriptions();
    std::span<OutboundQueue> queues = manager_->queues_by_index();
    for (int64_t i = begin; i < end; ++i) {
      const Message& m = corpus_.ForOp(i);
      const ConnectionId sender = ids_[static_cast<size_t>(i) % connections_];
      const MessageError error = parser_->Parse(
          corpus_.text(m), m.size + kMessagePadding, command);
      if (error != MessageError::kOk) {
        ++counts_.errors[static_cast<size_t>(error)];
        counts_.reply_bytes += replies_.Error(error, parser_->last_error().offset).size();
        continue;
      }
      ++counts_.types[static_cast<size_t>(command.type)];
      switch (command.type) {
        case CommandType::kSubscribe:
          for (std::string_view channel : command.channels()) {
            absl::StatusOr<SubscribeResult> r = manager_->Subscribe(sender, channel);
            if (!r.ok()) {
              ++counts_.dispatch_errors;
            } else if (*r == SubscribeResult::kSubscribed) {
              ++counts_.subscribed;
            } else {
              ++counts_.already_subscribed;
            }
          }
          counts_.reply_bytes += replies_.Ack(command).size();
          break;
        case CommandType::kUnsubscribe:
          for (std::string_view channel : command.channels()) {
            absl::StatusOr<UnsubscribeResult> r = manager_->Unsubscribe(sender, channel);
            if (!r.ok()) {
              ++counts_.dispatch_errors;
            } else if (*r == UnsubscribeResult::kUnsubscribed) {
              ++counts_.unsubscribed;
            } else {
              ++counts_.not_subscribed;
            }
          }
          counts_.reply_bytes += replies_.Ack(command).size();
          break;
        case CommandType::kPublish: {
          const std::string_view event = replies_.Event(command);
          counts_.event_bytes += event.size();
          const std::optional<ChannelId> channel = table.Find(command.channel);
          if (!channel) {
            ++counts_.dispatch_errors;
            break;
          }
          absl::StatusOr<PublishResult> r =
              broadcaster_->Publish(*channel, event, Opcode::kText, sender);
          if (!r.ok()) {
            ++counts_.dispatch_errors;
            break;
          }
          // The writer's side: flush the subscribers' queues.
          for (ConnIndex conn : table.subscribers(*channel)) {
            OutboundQueue& q = queues[conn];
            counts_.drained_frames += q.size();
            counts_.drained_bytes += q.bytes();
            q.Consume(q.size());
          }
          break;
        }
        case CommandType::kPing:
          counts_.reply_bytes += replies_.Ack(command).size();
          break;
      }
    }
    counts_.ops += end - begin;
    benchmark::DoNotOptimize(counts_);
  }

  absl::Status Verify() override {
    const Counts& c = counts_;
    const Expected& e = expected_;
    if (c.ops != ops()) {
      return absl::InternalError(fmt::format("messages: ran {} ops, expected {}", c.ops, ops()));
    }
    for (size_t t = 0; t < kCommandTypeCount; ++t) {
      if (c.types[t] != e.types[t]) {
        return absl::InternalError(fmt::format(
            "messages: {} {} commands dispatched, expected {}",
            c.types[t], CommandTypeName(static_cast<CommandType>(t)), e.types[t]));
      }
    }
    for (size_t k = 0; k < kMessageErrorCount; ++k) {
      if (c.errors[k] != e.errors[k]) {
        return absl::InternalError(fmt::format("messages: {} '{}' errors, expected {}",
                                               c.errors[k],
                                               MessageErrorName(static_cast<MessageError>(k)),
                                               e.errors[k]));
      }
    }
    auto check = [](const char* what, uint64_t got, uint64_t want) {
      if (got == want) return absl::OkStatus();
      return absl::InternalError(fmt::format("messages: {} = {}, expected {}", what, got, want));
    };
    WSBENCH_RETURN_IF_ERROR(check("dispatch errors", c.dispatch_errors, 0));
    WSBENCH_RETURN_IF_ERROR(check("subscribed", c.subscribed, e.subscribed));
    WSBENCH_RETURN_IF_ERROR(check("already subscribed", c.already_subscribed, e.already_subscribed));
    WSBENCH_RETURN_IF_ERROR(check("unsubscribed", c.unsubscribed, e.unsubscribed));
    WSBENCH_RETURN_IF_ERROR(check("not subscribed", c.not_subscribed, e.not_subscribed));
    WSBENCH_RETURN_IF_ERROR(check("reply bytes", c.reply_bytes, e.reply_bytes));
    WSBENCH_RETURN_IF_ERROR(check("event bytes", c.event_bytes, e.event_bytes));
    WSBENCH_RETURN_IF_ERROR(
        check("publishes", broadcaster_->publishes() - publishes_base_, e.types[2]));
    WSBENCH_RETURN_IF_ERROR(
        check("deliveries", broadcaster_->deliveries() - deliveries_base_, e.deliveries));
    WSBENCH_RETURN_IF_ERROR(check("drained frames", c.drained_frames, e.deliveries));
    WSBENCH_RETURN_IF_ERROR(check("drained bytes", c.drained_bytes, e.drained_bytes));
    WSBENCH_RETURN_IF_ERROR(check("dropped", broadcaster_->dropped() - dropped_base_, 0));
    WSBENCH_RETURN_IF_ERROR(check("subscriptions",
                                  manager_->subscriptions().subscription_count(),
                                  initial_subscriptions_ + e.subscribed - e.unsubscribed));
    return manager_->subscriptions().CheckConsistency();
  }

  void AddCounters(std::map<std::string, double>& counters) const override {
    counters["message_bytes_avg"] = expected_.message_bytes / static_cast<double>(ops());
    counters["invalid_pct"] = 100.0 * expected_.invalid / static_cast<double>(ops());
    counters["deliveries_per_publish"] =
        expected_.types[2] == 0 ? 0 : expected_.deliveries / static_cast<double>(expected_.types[2]);
    counters["bare_simdjson_ns_per_op"] = bare_ns_per_op_;
    counters["parse_ns_per_op"] = parse_ns_per_op_;
    counters["parse_vs_bare_simdjson_x"] =
        bare_ns_per_op_ > 0 ? parse_ns_per_op_ / bare_ns_per_op_ : 0;
  }

 private:
  struct Counts {
    int64_t ops = 0;
    std::array<uint64_t, kCommandTypeCount> types{};
    std::array<uint64_t, kMessageErrorCount> errors{};
    uint64_t subscribed = 0, already_subscribed = 0, unsubscribed = 0, not_subscribed = 0;
    uint64_t dispatch_errors = 0;
    uint64_t reply_bytes = 0, event_bytes = 0;
    uint64_t drained_frames = 0, drained_bytes = 0;
  };
  struct Expected {
    std::array<uint64_t, kCommandTypeCount> types{};
    std::array<uint64_t, kMessageErrorCount> errors{};
    uint64_t subscribed = 0, already_subscribed = 0, unsubscribed = 0, not_subscribed = 0;
    uint64_t reply_bytes = 0, event_bytes = 0, deliveries = 0, drained_bytes = 0;
    uint64_t message_bytes = 0, invalid = 0;
  };

  std::string_view CorpusText(const Message& m) const { return corpus_.text(m); }

  // Bare extraction and MessageParser must read the same fields from every
  // valid message, or the reference would measure different work.
  absl::Status CheckBareExtraction() {
    simdjson::ondemand::parser bare;
    BareFields f;
    Command command;
    for (size_t i = 0; i < kCorpusSize; ++i) {
      const Message& m = corpus_.messages()[i];
      if (m.kind == Kind::kInvalid) continue;
      const std::string_view text = CorpusText(m);
      const bool bare_ok = BareExtract(bare, text.data(), text.size(), f);
      const MessageError error =
          parser_->Parse(text, m.size + kMessagePadding, command);
      bool same = bare_ok && error == MessageError::kOk &&
                  f.type == CommandTypeName(command.type) &&
                  f.channel == command.channel && f.data == command.data &&
                  f.id == command.id &&
                  f.channel_count == command.channel_count;
      for (size_t k = 0; same && k < f.channel_count; ++k) {
        same = f.channels[k] == command.channel_slots[k];
      }
      if (!same) {
        return absl::InternalError(
            fmt::format("messages: bare simdjson and MessageParser read corpus "
                        "message {} differently: {}",
                        i, text));
      }
    }
    return absl::OkStatus();
  }

  // Times bare simdjson extraction and MessageParser::Parse over the same
  // messages, interleaved, best of kReferenceRounds each.
  void MeasureReference() {
    simdjson::ondemand::parser bare;
    if (bare.allocate(kCorpusMaxMessageBytes + 64) != simdjson::SUCCESS) return;
    BareFields f;
    Command command;
    uint64_t sink = 0;
    double best_bare = 1e99, best_parse = 1e99;
    for (int round = 0; round < kReferenceRounds; ++round) {
      const double t0 = ThreadSeconds();
      for (size_t i = 0; i < kReferenceOps; ++i) {
        const Message& m = corpus_.ForOp(static_cast<int64_t>(i));
        if (BareExtract(bare, corpus_.text(m).data(), m.size, f)) {
          sink += f.type.size() + f.channel.size() + f.data.size() +
                  f.id.size() + f.channel_count;
        }
      }
      const double t1 = ThreadSeconds();
      for (size_t i = 0; i < kReferenceOps; ++i) {
        const Message& m = corpus_.ForOp(static_cast<int64_t>(i));
        if (parser_->Parse(CorpusText(m), m.size + kMessagePadding, command) ==
            MessageError::kOk) {
          sink += command.channel.size() + command.data.size() +
                  command.id.size() + command.channel_count;
        }
      }
      const double t2 = ThreadSeconds();
      best_bare = std::min(best_bare, t1 - t0);
      best_parse = std::min(best_parse, t2 - t1);
    }
    benchmark::DoNotOptimize(sink);
    bare_ns_per_op_ = best_bare * 1e9 / kReferenceOps;
    parse_ns_per_op_ = best_parse * 1e9 / kReferenceOps;
  }

  // Subscribers of publish channel p: connections c with c % P == p or
  // (7c + 1) % P == p.
  bool IsMember(uint32_t c, uint32_t p) const {
    return c % publish_channels_ == p ||
           static_cast<uint32_t>((7ull * c + 1) % publish_channels_) == p;
  }

  absl::Status BuildState() {
    broadcaster_.reset();
    manager_ = std::make_unique<ConnectionManager>();
    manager_->Reserve(connections_);
    ids_.clear();
    for (uint32_t c = 0; c < connections_; ++c) {
      if ((c & 0x3FFF) == 0 && StopRequested()) return StopStatus();
      WSBENCH_ASSIGN_OR_RETURN(ConnectionId id, manager_->Open(fmt::format("user{}", c), RoleSet()));
      ids_.push_back(id);
    }
    for (uint32_t c = 0; c < connections_; ++c) {
      if ((c & 0x3FFF) == 0 && StopRequested()) return StopStatus();
      WSBENCH_RETURN_IF_ERROR(
          manager_->Subscribe(ids_[c], corpus_.channel_names()[c % publish_channels_]).status());
      WSBENCH_RETURN_IF_ERROR(
          manager_->Subscribe(ids_[c], corpus_.channel_names()[(7ull * c + 1) % publish_channels_])
              .status());
    }
    // Warm up untimed: grow every connection's channel list and every topic's
    // subscriber arrays to what a pass can need, then leave the topics again
    // (capacity is kept), so the first timed pass does not pay growth.
    for (uint32_t c = 0; c < connections_; ++c) {
      if ((c & 0x3FFF) == 0 && StopRequested()) return StopStatus();
      for (const std::string& topic : corpus_.topic_names()) {
        WSBENCH_RETURN_IF_ERROR(manager_->Subscribe(ids_[c], topic).status());
      }
    }
    for (uint32_t c = 0; c < connections_; ++c) {
      if ((c & 0x3FFF) == 0 && StopRequested()) return StopStatus();
      for (const std::string& topic : corpus_.topic_names()) {
        WSBENCH_RETURN_IF_ERROR(manager_->Unsubscribe(ids_[c], topic).status());
      }
    }
    initial_subscriptions_ = manager_->subscriptions().subscription_count();
    broadcaster_ = std::make_unique<Broadcaster>(*manager_);
    // Warm up untimed: every queue's ring and one frame per pool size class,
    // so the timed passes do not pay first-use allocations.
    std::string payload;
    for (size_t size = 32; size <= 2 * kCorpusMaxMessageBytes; size *= 2) {
      payload.assign(size, 'x');
      for (uint32_t p = 0; p < publish_channels_; ++p) {
        WSBENCH_RETURN_IF_ERROR(
            broadcaster_->Publish(std::string_view(corpus_.channel_names()[p]), payload).status());
        if (size > 32) break;  // One channel is enough to warm a size class.
      }
      for (OutboundQueue& q : manager_->queues_by_index()) q.Clear();
    }
    return absl::OkStatus();
  }

  // Replays the op sequence on simple models to get every expected count.
  void ComputeExpectations() {
    expected_ = Expected{};
    std::vector<uint32_t> topics(connections_, 0);  // Bit t: subscribed to topic t.
    std::vector<uint32_t> publish_subscribers(publish_channels_, 0);
    for (uint32_t c = 0; c < connections_; ++c) {
      const uint32_t a = c % publish_channels_;
      const uint32_t b = static_cast<uint32_t>((7ull * c + 1) % publish_channels_);
      ++publish_subscribers[a];
      if (b != a) ++publish_subscribers[b];
    }
    for (int64_t i = 0; i < level_.ops; ++i) {
      const Message& m = corpus_.ForOp(i);
      const uint32_t sender = static_cast<uint32_t>(static_cast<size_t>(i) % connections_);
      expected_.message_bytes += m.size;
      expected_.reply_bytes += m.reply_size;
      switch (m.kind) {
        case Kind::kInvalid:
          ++expected_.errors[static_cast<size_t>(m.error)];
          ++expected_.invalid;
          break;
        case Kind::kSubscribe:
          ++expected_.types[static_cast<size_t>(CommandType::kSubscribe)];
          for (int k = 0; k < m.topic_count; ++k) {
            const uint32_t bit = 1u << m.topics[k];
            if (topics[sender] & bit) {
              ++expected_.already_subscribed;
            } else {
              ++expected_.subscribed;
              topics[sender] |= bit;
            }
          }
          break;
        case Kind::kUnsubscribe:
          ++expected_.types[static_cast<size_t>(CommandType::kUnsubscribe)];
          for (int k = 0; k < m.topic_count; ++k) {
            const uint32_t bit = 1u << m.topics[k];
            if (topics[sender] & bit) {
              ++expected_.unsubscribed;
              topics[sender] &= ~bit;
            } else {
              ++expected_.not_subscribed;
            }
          }
          break;
        case Kind::kPublish: {
          ++expected_.types[static_cast<size_t>(CommandType::kPublish)];
          expected_.event_bytes += m.event_size;
          const uint64_t deliveries =
              publish_subscribers[m.channel] - (IsMember(sender, m.channel) ? 1 : 0);
          expected_.deliveries += deliveries;
          expected_.drained_bytes +=
              deliveries * (m.event_size + FrameHeaderSize(m.event_size, false));
          break;
        }
        case Kind::kPing:
          ++expected_.types[static_cast<size_t>(CommandType::kPing)];
          break;
      }
    }
  }

  LoadLevel level_{};
  uint32_t connections_ = 0;
  uint32_t publish_channels_ = 0;
  std::unordered_set<std::string_view> topic_set_;
  MessageCorpus corpus_;

  std::unique_ptr<MessageParser> parser_;
  ReplyBuilder replies_{8192};
  std::unique_ptr<ConnectionManager> manager_;
  std::unique_ptr<Broadcaster> broadcaster_;
  std::vector<ConnectionId> ids_;
  size_t initial_subscriptions_ = 0;

  Counts counts_;
  Expected expected_;
  uint64_t deliveries_base_ = 0, dropped_base_ = 0, publishes_base_ = 0;
  double bare_ns_per_op_ = 0, parse_ns_per_op_ = 0;
};

std::unique_ptr<Workload> MakeMessagesWorkload() { return std::make_unique<MessagesWorkload>(); }

}  // namespace

WSBENCH_REGISTER_DIMENSION(messages, "", MakeMessagesWorkload);

}  // namespace wsbench::bench

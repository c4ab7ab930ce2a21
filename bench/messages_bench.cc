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
// Corpus: 4,096 distinct messages from the seed, stored once in an arena with
// kMessagePadding bytes after each (parsed in place, never copied), cycled in
// a seeded shuffled order of 65,536 entries, so memory stays small at 9.9M
// ops. Op i is corpus message order[i % 65536] sent by connection
// i % connections. Valid mix: 55% publish (payloads 80 B .. 2 KiB, log-normal
// with median ~190 B: chat lines, trade ticks, order book snapshots, presence
// updates, notifications with nested metadata, escapes and non-ASCII text),
// 15% subscribe and 15% unsubscribe (1..10 topics each), 15% ping (integer or
// string ids). A share of WorkloadOptions::invalid_share (default 1%, at least
// one of each) is replaced by invalid messages spread over every MessageError
// kind (oversized, invalid UTF-8, truncated, malformed, too deep, not an
// object, unknown type, missing/mistyped/duplicate field, no/too many
// channels, bad channel name); Setup checks that each gets its intended code.
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

constexpr size_t kCorpusSize = 4096;
constexpr size_t kOrderSize = 65536;  // Power of two.
constexpr int kTopics = 32;
constexpr size_t kMaxMessageBytes = 4096;
constexpr size_t kReferenceOps = 8192;
constexpr int kReferenceRounds = 5;

enum class Kind : uint8_t { kPublish, kSubscribe, kUnsubscribe, kPing, kInvalid };

struct Message {
  uint32_t offset = 0;  // In arena_.
  uint32_t size = 0;
  Kind kind = Kind::kPing;
  MessageError error = MessageError::kOk;  // Intended code of an invalid message.
  uint32_t channel = 0;                    // Publish: publish channel index.
  uint32_t reply_size = 0;                 // Bytes of the reply (ack or error); 0 for publish.
  uint32_t event_size = 0;                 // Publish: bytes of the event envelope.
  uint8_t topic_count = 0;                 // Subscribe/unsubscribe: topics, in order.
  std::array<uint8_t, 10> topics{};
};

std::string PublishChannelName(uint32_t i) {
  constexpr const char* kRegions[] = {"eu", "us", "asia", "latam"};
  switch (i % 6) {
    case 0: return fmt::format("chat.room.{}", i);
    case 1: return fmt::format("orders.{}.sym{}-usd", kRegions[i % 4], i);
    case 2: return fmt::format("book.sym{}-usd.l2", i);
    case 3: return fmt::format("user.{}.notifications", 100000 + i * 37);
    case 4: return fmt::format("prices.{}.\u20ac.{}", kRegions[(i / 6) % 4], i);  // Non-ASCII.
    default: return fmt::format("presence.lobby.{}", i);
  }
}

std::string TopicName(int i) {
  constexpr const char* kNames[] = {"alerts", "news", "status", "deploys", "markets", "sports",
                                    "weather", "system"};
  return fmt::format("topic.{}.{}", kNames[i % 8], i);
}

// JSON string literal for generated text (escapes only what we generate).
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  uint64_t Next() { return rng_(); }
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  double Real() { return std::uniform_real_distribution<double>(0, 1)(rng_); }

  // Payload target size: log-normal, median ~190 B, clipped to [80, 2048].
  size_t PayloadSize() {
    const double x = std::lognormal_distribution<double>(std::log(190.0), 0.85)(rng_);
    return static_cast<size_t>(std::clamp(x, 80.0, 2048.0));
  }

  std::string Word() {
    static constexpr const char* kWords[] = {
        "hello", "world", "order", "filled", "price", "update", "deploy", "done", "café",
        "naïve", "日本", "ok", "the", "quick", "brown", "fox", "\"quoted\"", "back\\slash",
        "line\nbreak", "emoji 😀", "status", "green", "latency", "p95"};
    return kWords[Uniform(0, static_cast<int>(std::size(kWords)) - 1)];
  }

  std::string Text(size_t bytes) {
    std::string t;
    while (t.size() < bytes) {
      if (!t.empty()) t += ' ';
      t += Word();
    }
    return t;
  }

  // A JSON object of about `target` bytes (at least 80).
  std::string Payload(size_t target) {
    std::string d;
    const int kind = Uniform(0, 4);
    const int64_t ts = 1700000000000 + static_cast<int64_t>(Next() % 100000000);
    switch (kind) {
      case 0: {  // Chat line.
        d = fmt::format(R"({{"user":"u{}","room":"r{}","ts":{},"text":)", Next() % 100000,
                        Next() % 500, ts);
        const size_t fixed = d.size() + 3;
        d += Quote(Text(target > fixed ? target - fixed : 8)) + "}";
        break;
      }
      case 1: {  // Trade ticks.
        d = fmt::format(R"({{"sym":"S{}-USD","ts":{},"trades":[)", Next() % 900, ts);
        bool first = true;
        while (d.size() + 60 < target || first) {
          if (!first) d += ',';
          first = false;
          d += fmt::format(R"({{"px":{}.{:02},"qty":{},"side":"{}"}})", 100 + Next() % 900,
                           Next() % 100, 1 + Next() % 5000, Next() % 2 ? "buy" : "sell");
        }
        d += "]}";
        break;
      }
      case 2: {  // Order book levels.
        d = fmt::format(R"({{"book":"S{}","seq":{},"bids":[)", Next() % 900, Next() % 1000000);
        int levels = 0;
        while (d.size() + 40 < target || levels < 1) {
          if (levels++ > 0) d += ',';
          d += fmt::format("[{}.{},{}]", 1000 + Next() % 100, Next() % 10, 1 + Next() % 200);
        }
        d += R"(],"asks":[[1101.5,3]],"snapshot":)";
        d += Next() % 2 ? "true}" : "false}";
        break;
      }
      case 3: {  // Presence with devices.
        d = fmt::format(R"({{"user":"u{}","status":"{}","since":{},"devices":[)",
                        Next() % 100000, Next() % 3 ? "online" : "away", ts);
        bool first = true;
        while (d.size() + 50 < target || first) {
          if (!first) d += ',';
          first = false;
          d += fmt::format(R"({{"id":"d{}","kind":"{}","push":{}}})", Next() % 10000,
                           Next() % 2 ? "ios" : "web", Next() % 2 ? "null" : "true");
        }
        d += "]}";
        break;
      }
      default: {  // Notification with nested metadata.
        d = fmt::format(
            R"({{"id":{},"level":"{}","meta":{{"source":{{"svc":"billing","node":{}}},"tags":["a","b"]}},"score":-{}.{}e-3,"body":)",
            Next() % 1000000, Next() % 2 ? "info" : "warn", Next() % 64, Next() % 100,
            Next() % 1000);
        const size_t fixed = d.size() + 3;
        d += Quote(Text(target > fixed ? target - fixed : 8)) + "}";
        break;
      }
    }
    return d;
  }

  std::string Id() {
    if (Next() % 2) return std::to_string(Next() % 1000000);
    return Quote(fmt::format("req-{}", Next() % 100000));
  }

 private:
  std::mt19937_64 rng_;
};

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
    options.max_message_bytes = kMaxMessageBytes;
    parser_ = std::make_unique<MessageParser>(options);
  }

  absl::Status Setup(const LoadLevel& level, const WorkloadOptions& options) override {
    level_ = level;
    connections_ = static_cast<uint32_t>(level.connections);
    publish_channels_ = std::max<uint32_t>(4, connections_ / 2);
    channel_names_.clear();
    for (uint32_t i = 0; i < publish_channels_; ++i) channel_names_.push_back(PublishChannelName(i));
    topic_names_.clear();
    for (int i = 0; i < kTopics; ++i) topic_names_.push_back(TopicName(i));
    topic_set_.clear();
    for (const std::string& t : topic_names_) topic_set_.insert(t);

    WSBENCH_RETURN_IF_ERROR(BuildCorpus(options));
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
      const Message& m = corpus_[order_[static_cast<size_t>(i) & (kOrderSize - 1)]];
      const ConnectionId sender = ids_[static_cast<size_t>(i) % connections_];
      const MessageError error = parser_->Parse(
          std::string_view(arena_.data() + m.offset, m.size), m.size + kMessagePadding, command);
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
          const std::string_view event = replies_.Event(command.channel, command.data);
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

  std::string_view CorpusText(const Message& m) const {
    return std::string_view(arena_.data() + m.offset, m.size);
  }

  // Bare extraction and MessageParser must read the same fields from every
  // valid message, or the reference would measure different work.
  absl::Status CheckBareExtraction() {
    simdjson::ondemand::parser bare;
    BareFields f;
    Command command;
    for (size_t i = 0; i < kCorpusSize; ++i) {
      const Message& m = corpus_[i];
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
    if (bare.allocate(kMaxMessageBytes + 64) != simdjson::SUCCESS) return;
    BareFields f;
    Command command;
    uint64_t sink = 0;
    double best_bare = 1e99, best_parse = 1e99;
    for (int round = 0; round < kReferenceRounds; ++round) {
      const double t0 = ThreadSeconds();
      for (size_t i = 0; i < kReferenceOps; ++i) {
        const Message& m = corpus_[order_[i & (kOrderSize - 1)]];
        if (BareExtract(bare, arena_.data() + m.offset, m.size, f)) {
          sink += f.type.size() + f.channel.size() + f.data.size() +
                  f.id.size() + f.channel_count;
        }
      }
      const double t1 = ThreadSeconds();
      for (size_t i = 0; i < kReferenceOps; ++i) {
        const Message& m = corpus_[order_[i & (kOrderSize - 1)]];
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

  std::string ValidMessage(Generator& g, Kind kind, Message& m) {
    switch (kind) {
      case Kind::kPublish: {
        m.channel = static_cast<uint32_t>(g.Next() % publish_channels_);
        std::string text = "{\"type\":\"publish\",\"channel\":" + Quote(channel_names_[m.channel]) +
                           ",\"data\":" + g.Payload(g.PayloadSize());
        if (g.Next() % 4 == 0) text += ",\"id\":" + g.Id();
        return text + "}";
      }
      case Kind::kSubscribe:
      case Kind::kUnsubscribe: {
        m.topic_count = static_cast<uint8_t>(g.Uniform(1, 10));
        std::string text = kind == Kind::kSubscribe ? "{\"type\":\"subscribe\",\"channels\":["
                                                    : "{\"type\":\"unsubscribe\",\"channels\":[";
        for (int k = 0; k < m.topic_count; ++k) {
          m.topics[k] = static_cast<uint8_t>(g.Next() % kTopics);
          if (k > 0) text += ',';
          text += Quote(topic_names_[m.topics[k]]);
        }
        text += ']';
        if (g.Next() % 2 == 0) text += ",\"id\":" + g.Id();
        return text + "}";
      }
      case Kind::kPing:
      case Kind::kInvalid:
        break;
    }
    return "{\"type\":\"ping\",\"id\":" + g.Id() + "}";
  }

  std::string InvalidMessage(Generator& g, MessageError error) {
    Message scratch;
    const std::string publish = ValidMessage(g, Kind::kPublish, scratch);
    const std::string channel = Quote(channel_names_[g.Next() % publish_channels_]);
    switch (error) {
      case MessageError::kOversized:
        return "{\"type\":\"publish\",\"channel\":" + channel + ",\"data\":" +
               g.Payload(kMaxMessageBytes + 200) + "}";
      case MessageError::kInvalidUtf8: {
        const char* bad[] = {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82"};
        return "{\"type\":\"publish\",\"channel\":" + channel + ",\"data\":{\"text\":\"abc " +
               bad[g.Next() % 4] + " def\"}}";
      }
      case MessageError::kTruncated: {
        // Cut inside the message at an ASCII boundary (a cut inside a UTF-8
        // sequence would be invalid UTF-8 instead).
        size_t cut;
        do {
          cut = 1 + g.Next() % (publish.size() - 1);
        } while (static_cast<unsigned char>(publish[cut]) >= 0x80 ||
                 static_cast<unsigned char>(publish[cut - 1]) >= 0x80);
        return publish.substr(0, cut);
      }
      case MessageError::kMalformedJson: {
        switch (g.Next() % 4) {
          case 0: return "{\"type\":\"publish\",\"channel\":" + channel + ",\"data\":{\"a\" 1}}";
          case 1: return "{\"type\":\"publish\",\"channel\":" + channel + ",\"data\":[1,2,]}";
          case 2: return "{\"type\":\"ping\",\"id\":7} trailing";
          default: return "{\"type\":\"publish\",\"channel\":" + channel + ",\"data\":{\"ok\":tru}}";
        }
      }
      case MessageError::kTooDeep:
        return "{\"type\":\"publish\",\"channel\":" + channel + ",\"data\":" +
               std::string(40, '[') + std::string(40, ']') + "}";
      case MessageError::kNotAnObject:
        return g.Next() % 2 ? "[\"subscribe\",\"topic\"]" : "\"ping\"";
      case MessageError::kUnknownType: {
        const char* types[] = {"publsh", "PING", "presence", "sub"};
        return fmt::format(R"({{"type":"{}","channels":[{}]}})", types[g.Next() % 4], channel);
      }
      case MessageError::kMissingField:
        switch (g.Next() % 3) {
          case 0: return "{\"type\":\"publish\",\"channel\":" + channel + "}";
          case 1: return "{\"type\":\"subscribe\",\"id\":3}";
          default: return "{\"type\":\"ping\"}";
        }
      case MessageError::kMistypedField:
        switch (g.Next() % 3) {
          case 0: return "{\"type\":\"subscribe\",\"channels\":" + channel + "}";
          case 1: return "{\"type\":\"ping\",\"id\":1.5}";
          default: return "{\"type\":\"publish\",\"channel\":42,\"data\":{}}";
        }
      case MessageError::kDuplicateField:
        return "{\"type\":\"ping\",\"id\":1,\"type\":\"ping\"}";
      case MessageError::kNoChannels:
        return "{\"type\":\"unsubscribe\",\"channels\":[]}";
      case MessageError::kTooManyChannels: {
        std::string text = "{\"type\":\"subscribe\",\"channels\":[";
        const int n = g.Uniform(17, 24);
        for (int k = 0; k < n; ++k) text += (k ? "," : "") + Quote(topic_names_[k % kTopics]);
        return text + "]}";
      }
      case MessageError::kBadChannelName:
        return g.Next() % 2 ? "{\"type\":\"subscribe\",\"channels\":[\"\"]}"
                            : "{\"type\":\"publish\",\"channel\":\"" + std::string(300, 'x') +
                                  "\",\"data\":1}";
      case MessageError::kOk:
        break;
    }
    return publish;
  }

  absl::Status BuildCorpus(const WorkloadOptions& options) {
    Generator g(options.seed ^ 0x6d657373616765ull);  // "message"
    const double share = std::clamp(options.invalid_share, 0.0, 1.0);
    size_t invalid = static_cast<size_t>(std::llround(share * kCorpusSize));
    if (share > 0) invalid = std::max(invalid, kMessageErrorCount - 1);
    // Which corpus slots are invalid: spread over the corpus by the shuffle below.
    std::vector<std::string> texts;
    corpus_.assign(kCorpusSize, Message());
    for (size_t i = 0; i < kCorpusSize; ++i) {
      Message& m = corpus_[i];
      if (i < invalid) {
        m.kind = Kind::kInvalid;
        m.error = static_cast<MessageError>(1 + i % (kMessageErrorCount - 1));
        texts.push_back(InvalidMessage(g, m.error));
        continue;
      }
      const double u = g.Real();
      m.kind = u < 0.55 ? Kind::kPublish
                        : (u < 0.70 ? Kind::kSubscribe : (u < 0.85 ? Kind::kUnsubscribe : Kind::kPing));
      texts.push_back(ValidMessage(g, m.kind, m));
    }
    // Arena with padding after every message (parsed in place).
    size_t total = 0;
    for (const std::string& t : texts) total += t.size() + kMessagePadding;
    arena_.assign(total, ' ');
    size_t at = 0;
    Command command;
    ReplyBuilder replies;
    for (size_t i = 0; i < kCorpusSize; ++i) {
      Message& m = corpus_[i];
      m.offset = static_cast<uint32_t>(at);
      m.size = static_cast<uint32_t>(texts[i].size());
      std::memcpy(arena_.data() + at, texts[i].data(), texts[i].size());
      at += texts[i].size() + kMessagePadding;
      // Check the generator made what it meant to, and size the replies.
      const MessageError got = parser_->Parse(
          std::string_view(arena_.data() + m.offset, m.size), m.size + kMessagePadding, command);
      if (m.kind == Kind::kInvalid) {
        if (got != m.error) {
          return absl::InternalError(fmt::format(
              "messages: generated '{}' message got '{}': {}", MessageErrorName(m.error),
              MessageErrorName(got), parser_->last_status().ToString()));
        }
        m.reply_size = static_cast<uint32_t>(
            replies.Error(got, parser_->last_error().offset).size());
        continue;
      }
      if (got != MessageError::kOk) {
        return absl::InternalError(fmt::format("messages: generated message rejected: {}: {}",
                                               parser_->last_status().ToString(), texts[i]));
      }
      if (m.kind == Kind::kPublish) {
        m.event_size = static_cast<uint32_t>(replies.Event(command.channel, command.data).size());
      } else {
        m.reply_size = static_cast<uint32_t>(replies.Ack(command).size());
      }
    }
    if (parser_->copies() != 0) return absl::InternalError("messages: corpus was copied");
    // The op order: every corpus message kOrderSize / kCorpusSize times,
    // shuffled from the seed.
    order_.resize(kOrderSize);
    for (size_t i = 0; i < kOrderSize; ++i) order_[i] = static_cast<uint16_t>(i % kCorpusSize);
    std::mt19937_64 shuffle_rng(options.seed ^ 0x6f72646572ull);  // "order"
    std::shuffle(order_.begin(), order_.end(), shuffle_rng);
    return absl::OkStatus();
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
          manager_->Subscribe(ids_[c], channel_names_[c % publish_channels_]).status());
      WSBENCH_RETURN_IF_ERROR(
          manager_->Subscribe(ids_[c], channel_names_[(7ull * c + 1) % publish_channels_])
              .status());
    }
    // Warm up untimed: grow every connection's channel list and every topic's
    // subscriber arrays to what a pass can need, then leave the topics again
    // (capacity is kept), so the first timed pass does not pay growth.
    for (uint32_t c = 0; c < connections_; ++c) {
      if ((c & 0x3FFF) == 0 && StopRequested()) return StopStatus();
      for (const std::string& topic : topic_names_) {
        WSBENCH_RETURN_IF_ERROR(manager_->Subscribe(ids_[c], topic).status());
      }
    }
    for (uint32_t c = 0; c < connections_; ++c) {
      if ((c & 0x3FFF) == 0 && StopRequested()) return StopStatus();
      for (const std::string& topic : topic_names_) {
        WSBENCH_RETURN_IF_ERROR(manager_->Unsubscribe(ids_[c], topic).status());
      }
    }
    initial_subscriptions_ = manager_->subscriptions().subscription_count();
    broadcaster_ = std::make_unique<Broadcaster>(*manager_);
    // Warm up untimed: every queue's ring and one frame per pool size class,
    // so the timed passes do not pay first-use allocations.
    std::string payload;
    for (size_t size = 32; size <= 2 * kMaxMessageBytes; size *= 2) {
      payload.assign(size, 'x');
      for (uint32_t p = 0; p < publish_channels_; ++p) {
        WSBENCH_RETURN_IF_ERROR(
            broadcaster_->Publish(std::string_view(channel_names_[p]), payload).status());
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
      const Message& m = corpus_[order_[static_cast<size_t>(i) & (kOrderSize - 1)]];
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
  std::vector<std::string> channel_names_;
  std::vector<std::string> topic_names_;
  std::unordered_set<std::string_view> topic_set_;
  std::vector<Message> corpus_;
  std::string arena_;
  std::vector<uint16_t> order_;

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

#include "message_corpus.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "fmt/format.h"
#include "wsbench/reply_builder.h"

namespace wsbench::bench {

std::string PublishChannelName(uint32_t i) {
  constexpr const char* kRegions[] = {"eu", "us", "asia", "latam"};
  switch (i % 6) {
    case 0:
      return fmt::format("chat.room.{}", i);
    case 1:
      return fmt::format("orders.{}.sym{}-usd", kRegions[i % 4], i);
    case 2:
      return fmt::format("book.sym{}-usd.l2", i);
    case 3:
      return fmt::format("user.{}.notifications", 100000 + i * 37);
    case 4:
      return fmt::format("prices.{}.\u20ac.{}", kRegions[(i / 6) % 4],
                         i);  // Non-ASCII.
    default:
      return fmt::format("presence.lobby.{}", i);
  }
}

std::string TopicName(int i) {
  constexpr const char* kNames[] = {"alerts",  "news",   "status",  "deploys",
                                    "markets", "sports", "weather", "system"};
  return fmt::format("topic.{}.{}", kNames[i % 8], i);
}

namespace {

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

}  // namespace

class MessageCorpus::Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  uint64_t Next() { return rng_(); }
  int Uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  double Real() { return std::uniform_real_distribution<double>(0, 1)(rng_); }

  // Payload target size: log-normal, median ~190 B, clipped to [80, 2048].
  size_t PayloadSize() {
    const double x =
        std::lognormal_distribution<double>(std::log(190.0), 0.85)(rng_);
    return static_cast<size_t>(std::clamp(x, 80.0, 2048.0));
  }

  std::string Word() {
    static constexpr const char* kWords[] = {
        "hello",  "world",      "order",       "filled",      "price",
        "update", "deploy",     "done",        "café",        "naïve",
        "日本",   "ok",         "the",         "quick",       "brown",
        "fox",    "\"quoted\"", "back\\slash", "line\nbreak", "emoji 😀",
        "status", "green",      "latency",     "p95"};
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
        d = fmt::format(R"({{"user":"u{}","room":"r{}","ts":{},"text":)",
                        Next() % 100000, Next() % 500, ts);
        const size_t fixed = d.size() + 3;
        d += Quote(Text(target > fixed ? target - fixed : 8)) + "}";
        break;
      }
      case 1: {  // Trade ticks.
        d = fmt::format(R"({{"sym":"S{}-USD","ts":{},"trades":[)", Next() % 900,
                        ts);
        bool first = true;
        while (d.size() + 60 < target || first) {
          if (!first) d += ',';
          first = false;
          d += fmt::format(R"({{"px":{}.{:02},"qty":{},"side":"{}"}})",
                           100 + Next() % 900, Next() % 100, 1 + Next() % 5000,
                           Next() % 2 ? "buy" : "sell");
        }
        d += "]}";
        break;
      }
      case 2: {  // Order book levels.
        d = fmt::format(R"({{"book":"S{}","seq":{},"bids":[)", Next() % 900,
                        Next() % 1000000);
        int levels = 0;
        while (d.size() + 40 < target || levels < 1) {
          if (levels++ > 0) d += ',';
          d += fmt::format("[{}.{},{}]", 1000 + Next() % 100, Next() % 10,
                           1 + Next() % 200);
        }
        d += R"(],"asks":[[1101.5,3]],"snapshot":)";
        d += Next() % 2 ? "true}" : "false}";
        break;
      }
      case 3: {  // Presence with devices.
        d = fmt::format(
            R"({{"user":"u{}","status":"{}","since":{},"devices":[)",
            Next() % 100000, Next() % 3 ? "online" : "away", ts);
        bool first = true;
        while (d.size() + 50 < target || first) {
          if (!first) d += ',';
          first = false;
          d += fmt::format(R"({{"id":"d{}","kind":"{}","push":{}}})",
                           Next() % 10000, Next() % 2 ? "ios" : "web",
                           Next() % 2 ? "null" : "true");
        }
        d += "]}";
        break;
      }
      default: {  // Notification with nested metadata.
        d = fmt::format(
            R"({{"id":{},"level":"{}","meta":{{"source":{{"svc":"billing","node":{}}},"tags":["a","b"]}},"score":-{}.{}e-3,"body":)",
            Next() % 1000000, Next() % 2 ? "info" : "warn", Next() % 64,
            Next() % 100, Next() % 1000);
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

std::string MessageCorpus::ValidMessage(Generator& g, MessageKind kind,
                                        CorpusMessage& m) {
  switch (kind) {
    case MessageKind::kPublish: {
      m.channel = static_cast<uint32_t>(g.Next() % publish_channels_);
      std::string text = "{\"type\":\"publish\",\"channel\":" +
                         Quote(channel_names_[m.channel]) +
                         ",\"data\":" + g.Payload(g.PayloadSize());
      if (g.Next() % 4 == 0) text += ",\"id\":" + g.Id();
      return text + "}";
    }
    case MessageKind::kSubscribe:
    case MessageKind::kUnsubscribe: {
      m.topic_count = static_cast<uint8_t>(g.Uniform(1, 10));
      std::string text = kind == MessageKind::kSubscribe
                             ? "{\"type\":\"subscribe\",\"channels\":["
                             : "{\"type\":\"unsubscribe\",\"channels\":[";
      for (int k = 0; k < m.topic_count; ++k) {
        m.topics[k] = static_cast<uint8_t>(g.Next() % kCorpusTopics);
        if (k > 0) text += ',';
        text += Quote(topic_names_[m.topics[k]]);
      }
      text += ']';
      if (g.Next() % 2 == 0) text += ",\"id\":" + g.Id();
      return text + "}";
    }
    case MessageKind::kPing:
    case MessageKind::kInvalid:
      break;
  }
  return "{\"type\":\"ping\",\"id\":" + g.Id() + "}";
}

std::string MessageCorpus::InvalidMessage(Generator& g, MessageError error) {
  CorpusMessage scratch;
  const std::string publish = ValidMessage(g, MessageKind::kPublish, scratch);
  const std::string channel =
      Quote(channel_names_[g.Next() % publish_channels_]);
  switch (error) {
    case MessageError::kOversized:
      return "{\"type\":\"publish\",\"channel\":" + channel +
             ",\"data\":" + g.Payload(kCorpusMaxMessageBytes + 200) + "}";
    case MessageError::kInvalidUtf8: {
      const char* bad[] = {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82"};
      return "{\"type\":\"publish\",\"channel\":" + channel +
             ",\"data\":{\"text\":\"abc " + bad[g.Next() % 4] + " def\"}}";
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
        case 0:
          return "{\"type\":\"publish\",\"channel\":" + channel +
                 ",\"data\":{\"a\" 1}}";
        case 1:
          return "{\"type\":\"publish\",\"channel\":" + channel +
                 ",\"data\":[1,2,]}";
        case 2:
          return "{\"type\":\"ping\",\"id\":7} trailing";
        default:
          return "{\"type\":\"publish\",\"channel\":" + channel +
                 ",\"data\":{\"ok\":tru}}";
      }
    }
    case MessageError::kTooDeep:
      return "{\"type\":\"publish\",\"channel\":" + channel +
             ",\"data\":" + std::string(40, '[') + std::string(40, ']') + "}";
    case MessageError::kNotAnObject:
      return g.Next() % 2 ? "[\"subscribe\",\"topic\"]" : "\"ping\"";
    case MessageError::kUnknownType: {
      const char* types[] = {"publsh", "PING", "presence", "sub"};
      return fmt::format(R"({{"type":"{}","channels":[{}]}})",
                         types[g.Next() % 4], channel);
    }
    case MessageError::kMissingField:
      switch (g.Next() % 3) {
        case 0:
          return "{\"type\":\"publish\",\"channel\":" + channel + "}";
        case 1:
          return "{\"type\":\"subscribe\",\"id\":3}";
        default:
          return "{\"type\":\"ping\"}";
      }
    case MessageError::kMistypedField:
      switch (g.Next() % 3) {
        case 0:
          return "{\"type\":\"subscribe\",\"channels\":" + channel + "}";
        case 1:
          return "{\"type\":\"ping\",\"id\":1.5}";
        default:
          return "{\"type\":\"publish\",\"channel\":42,\"data\":{}}";
      }
    case MessageError::kDuplicateField:
      return "{\"type\":\"ping\",\"id\":1,\"type\":\"ping\"}";
    case MessageError::kNoChannels:
      return "{\"type\":\"unsubscribe\",\"channels\":[]}";
    case MessageError::kTooManyChannels: {
      std::string text = "{\"type\":\"subscribe\",\"channels\":[";
      const int n = g.Uniform(17, 24);
      for (int k = 0; k < n; ++k)
        text += (k ? "," : "") + Quote(topic_names_[k % kCorpusTopics]);
      return text + "]}";
    }
    case MessageError::kBadChannelName:
      return g.Next() % 2 ? "{\"type\":\"subscribe\",\"channels\":[\"\"]}"
                          : "{\"type\":\"publish\",\"channel\":\"" +
                                std::string(300, 'x') + "\",\"data\":1}";
    case MessageError::kOk:
      break;
  }
  return publish;
}

absl::Status MessageCorpus::Build(uint32_t publish_channels,
                                  const WorkloadOptions& options,
                                  MessageParser& parser) {
  publish_channels_ = publish_channels;
  channel_names_.clear();
  for (uint32_t i = 0; i < publish_channels_; ++i) {
    channel_names_.push_back(PublishChannelName(i));
  }
  topic_names_.clear();
  for (int i = 0; i < kCorpusTopics; ++i) topic_names_.push_back(TopicName(i));
  Generator g(options.seed ^ 0x6d657373616765ull);  // "message"
  const double share = std::clamp(options.invalid_share, 0.0, 1.0);
  size_t invalid = static_cast<size_t>(std::llround(share * kCorpusSize));
  if (share > 0) invalid = std::max(invalid, kMessageErrorCount - 1);
  // Which corpus slots are invalid: spread over the corpus by the shuffle
  // below.
  std::vector<std::string> texts;
  messages_.assign(kCorpusSize, CorpusMessage());
  for (size_t i = 0; i < kCorpusSize; ++i) {
    CorpusMessage& m = messages_[i];
    if (i < invalid) {
      m.kind = MessageKind::kInvalid;
      m.error = static_cast<MessageError>(1 + i % (kMessageErrorCount - 1));
      texts.push_back(InvalidMessage(g, m.error));
      continue;
    }
    const double u = g.Real();
    m.kind = u < 0.55 ? MessageKind::kPublish
                      : (u < 0.70 ? MessageKind::kSubscribe
                                  : (u < 0.85 ? MessageKind::kUnsubscribe
                                              : MessageKind::kPing));
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
    CorpusMessage& m = messages_[i];
    m.offset = static_cast<uint32_t>(at);
    m.size = static_cast<uint32_t>(texts[i].size());
    std::memcpy(arena_.data() + at, texts[i].data(), texts[i].size());
    at += texts[i].size() + kMessagePadding;
    // Check the generator made what it meant to, and size the replies.
    const MessageError got =
        parser.Parse(std::string_view(arena_.data() + m.offset, m.size),
                     m.size + kMessagePadding, command);
    if (m.kind == MessageKind::kInvalid) {
      if (got != m.error) {
        return absl::InternalError(
            fmt::format("messages: generated '{}' message got '{}': {}",
                        MessageErrorName(m.error), MessageErrorName(got),
                        parser.last_status().ToString()));
      }
      m.reply_size = static_cast<uint32_t>(
          replies.Error(got, parser.last_error().offset).size());
      continue;
    }
    if (got != MessageError::kOk) {
      return absl::InternalError(
          fmt::format("messages: generated message rejected: {}: {}",
                      parser.last_status().ToString(), texts[i]));
    }
    if (m.kind == MessageKind::kPublish) {
      m.event_size = static_cast<uint32_t>(replies.Event(command).size());
    } else {
      m.reply_size = static_cast<uint32_t>(replies.Ack(command).size());
    }
  }
  if (parser.copies() != 0)
    return absl::InternalError("messages: corpus was copied");
  // The op order: every corpus message kCorpusOrderSize / kCorpusSize times,
  // shuffled from the seed.
  order_.resize(kCorpusOrderSize);
  for (size_t i = 0; i < kCorpusOrderSize; ++i)
    order_[i] = static_cast<uint16_t>(i % kCorpusSize);
  std::mt19937_64 shuffle_rng(options.seed ^ 0x6f72646572ull);  // "order"
  std::shuffle(order_.begin(), order_.end(), shuffle_rng);
  return absl::OkStatus();
}

}  // namespace wsbench::bench

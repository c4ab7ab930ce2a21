// The `broadcast` dimension: publish to channels with the level's subscribers
// and drain the subscribers' queues as their socket writers would.
//
// Setup opens the level's connections in a ConnectionManager and subscribes
// a random sample of level.subscribers of them to each of 4 channels (samples
// overlap, so some connections hear several channels). A pass is
// ops() = level.ops / level.subscribers publishes, so it delivers about
// level.ops messages (items_per_op() is the exact mean deliveries per
// publish). Each publish picks a channel, a payload from a 64-entry corpus of
// JSON events (80 B to 2 KiB) and a sending connection, all from the seed;
// half the publishes exclude the sender (as a chat server does), so a
// subscribed sender does not hear its own message.
//
// Timed (inside Run): every Publish (frame encoded once into a pooled shared
// buffer, a pointer appended to each subscriber's ring) AND, after every 16
// publishes and at the end of the pass, a drain of every subscriber's queue the
// way a writer hands frames to writev: each drained frame is folded into that
// connection's running checksum (the writer's state: one 16-byte entry per
// listening connection, walked in connection order beside the queues). The
// checksum reads the frame's size and its first and last 8 bytes for most
// connections, and every byte for at least one subscriber of each channel
// (about 1 in 128), so every message's content is checked somewhere without
// making the consumer's hashing the thing measured. Queues stay small (at most
// 16 frames), so nothing is dropped; Verify checks that.
//
// The latency pass times each publish alone (series "drain" apart: each
// queue's drain timed alone, see RunTimed), so P95 per publish is the
// fan-out's and drain_p95_us the writer's per queue.
//
// Setup also times the publishes alone (drains excluded, steady_clock around
// groups of 16 publishes) and reports publish_only_ns_per_delivery, so the
// producer's cost is visible apart from the consumer's.
//
// Verify compares each connection's delivery count and order-sensitive
// checksum with the values Setup computed by replaying the publishes over the
// known subscriber sets, plus total deliveries, zero drops, empty queues and
// every pooled frame returned.
#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "workload.h"
#include "wsbench/broadcaster.h"
#include "wsbench/connection_manager.h"
#include "wsbench/frame.h"
#include "wsbench/status_macros.h"

namespace wsbench::bench {
namespace {

constexpr int kChannels = 4;
constexpr int kCorpus = 64;
constexpr int64_t kDrainEvery = 16;  // Power of two.
constexpr int kFullCheckEvery = 128;  // 1 subscriber in 128 hashes every byte.
constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
constexpr const char* kChannelNames[kChannels] = {"market.eu.ticker", "chat.room.lobby",
                                                  "news.markets", "game.42.state"};

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Frames are at least 82 bytes (80-byte payload + header).
uint64_t LightDigest(std::span<const uint8_t> f) {
  return Load64(f.data()) ^ (Load64(f.data() + f.size() - 8) * kMul) ^ f.size();
}

// Every byte: four independent multiply chains over 32-byte blocks (so the
// multiplies overlap), then 8-byte words and single bytes.
uint64_t FullDigest(std::span<const uint8_t> f) {
  uint64_t h = f.size();
  size_t i = 0;
  if (f.size() >= 32) {
    uint64_t a = h, b = h + 1, c = h + 2, d = h + 3;
    for (; i + 32 <= f.size(); i += 32) {
      a = (a ^ Load64(f.data() + i)) * kMul;
      b = (b ^ Load64(f.data() + i + 8)) * kMul;
      c = (c ^ Load64(f.data() + i + 16)) * kMul;
      d = (d ^ Load64(f.data() + i + 24)) * kMul;
    }
    h = a ^ std::rotl(b, 16) ^ std::rotl(c, 32) ^ std::rotl(d, 48);
  }
  for (; i + 8 <= f.size(); i += 8) h = (h ^ Load64(f.data() + i)) * kMul;
  for (; i < f.size(); ++i) h = (h ^ f[i]) * 0x100000001B3ull;
  return h ^ (h >> 29);
}

uint64_t Combine(uint64_t checksum, uint64_t digest) { return checksum * kMul + digest; }

std::string MakePayload(size_t target, int i, std::mt19937_64& rng) {
  static constexpr char kAlnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string s = fmt::format(
      R"({{"type":"event","seq":{},"ts":{},"data":{{"price":{}.{:02},"qty":{},"note":")", i,
      1763800000000 + rng() % 100000000, rng() % 5000, rng() % 100, rng() % 1000);
  const std::string tail = "\"}}";
  while (s.size() + tail.size() < target) s.push_back(kAlnum[rng() % (sizeof(kAlnum) - 1)]);
  return s + tail;
}

class BroadcastWorkload : public Workload {
 public:
  absl::Status Setup(const LoadLevel& level, const WorkloadOptions& options) override {
    std::mt19937_64 rng(options.seed ^ 0x62636173);  // "bcas"
    connections_ = level.connections;
    subscribers_ = std::min(level.subscribers, level.connections);
    publishes_ = std::max<int64_t>(1, level.ops / std::max(1, level.subscribers));

    // Corpus: sizes spread log-uniformly over 80 B .. 2 KiB.
    corpus_.clear();
    for (int i = 0; i < kCorpus; ++i) {
      const double t = static_cast<double>(i) / (kCorpus - 1);
      const size_t size = static_cast<size_t>(80.0 * std::pow(2048.0 / 80.0, t));
      corpus_.push_back(MakePayload(size, i, rng));
    }
    std::shuffle(corpus_.begin(), corpus_.end(), rng);
    light_.clear();
    full_.clear();
    mean_frame_bytes_ = 0;
    for (const std::string& p : corpus_) {
      std::string frame;
      AppendFrame(FrameHeader{.opcode = Opcode::kText}, p, frame);
      auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(frame.data()),
                                            frame.size());
      light_.push_back(LightDigest(bytes));
      full_.push_back(FullDigest(bytes));
      mean_frame_bytes_ += static_cast<double>(frame.size()) / kCorpus;
    }

    // Connections and subscriptions.
    manager_ = std::make_unique<ConnectionManager>();
    manager_->Reserve(static_cast<uint32_t>(connections_));
    ids_.clear();
    for (int32_t c = 0; c < connections_; ++c) {
      if ((c & 0x3FFF) == 0 && StopRequested()) return StopStatus();
      WSBENCH_ASSIGN_OR_RETURN(ConnectionId id,
                               manager_->Open(fmt::format("user{}", c), RoleSet()));
      if (id.index != static_cast<uint32_t>(c)) {
        return absl::InternalError("broadcast: a fresh manager did not fill slots in order");
      }
      ids_.push_back(id);
    }
    members_.assign(kChannels, {});
    std::vector<int32_t> pool(connections_);
    std::vector<uint8_t> listens(connections_, 0);
    for (int ch = 0; ch < kChannels; ++ch) {
      for (int32_t c = 0; c < connections_; ++c) pool[c] = c;
      for (int32_t k = 0; k < subscribers_; ++k) {  // Partial Fisher-Yates.
        std::swap(pool[k], pool[k + rng() % (connections_ - k)]);
        members_[ch].push_back(pool[k]);
        listens[pool[k]] = 1;
        WSBENCH_RETURN_IF_ERROR(manager_->Subscribe(ids_[pool[k]], kChannelNames[ch]).status());
      }
      channel_ids_[ch] = *manager_->subscriptions().Find(kChannelNames[ch]);
    }
    // Full-content checks on the first 1/128 (at least one) of each channel's
    // sampled subscribers: every message is checked byte for byte somewhere.
    full_check_.assign(connections_, 0);
    for (const std::vector<int32_t>& m : members_) {
      const size_t n = std::max<size_t>(1, m.size() / kFullCheckEvery);
      for (size_t k = 0; k < n; ++k) full_check_[m[k]] = 1;
    }
    writers_.clear();
    for (int32_t c = 0; c < connections_; ++c) {
      if ((c & 0x3FFF) == 0 && StopRequested()) return StopStatus();
      if (listens[c]) {
        writers_.push_back(
            Writer{.conn_and_flag = static_cast<ConnIndex>(c) |
                                    (full_check_[c] ? Writer::kFullCheck : 0)});
      }
    }

    // Publishes, and what each connection must receive.
    ops_.resize(static_cast<size_t>(publishes_));
    expected_count_.assign(connections_, 0);
    expected_checksum_.assign(connections_, 0);
    expected_deliveries_ = 0;
    for (PublishOp& op : ops_) {
      op.channel = static_cast<uint8_t>(rng() % kChannels);
      op.payload = static_cast<uint8_t>(rng() % kCorpus);
      op.exclude = rng() % 2 == 0;
      op.sender = rng() % 2 == 0
                      ? members_[op.channel][rng() % members_[op.channel].size()]
                      : static_cast<int32_t>(rng() % connections_);
      for (int32_t c : members_[op.channel]) {
        if (op.exclude && c == op.sender) continue;
        ++expected_count_[c];
        expected_checksum_[c] = Combine(expected_checksum_[c],
                                        full_check_[c] ? full_[op.payload] : light_[op.payload]);
        ++expected_deliveries_;
      }
    }
    broadcaster_ = std::make_unique<Broadcaster>(*manager_);
    queues_ = manager_->queues_by_index().data();
    // Warm the pool and the rings (steady state), then start clean.
    for (int64_t i = 0; i < std::min<int64_t>(publishes_, 2 * kDrainEvery); ++i) {
      const PublishOp& op = ops_[i];
      WSBENCH_RETURN_IF_ERROR(
          broadcaster_->Publish(channel_ids_[op.channel], corpus_[op.payload]).status());
    }
    WSBENCH_RETURN_IF_ERROR(Reset());
    // Publish-only cost (untimed by the driver, reported as a counter): the
    // same publishes in groups of kDrainEvery with the clock stopped around
    // each drain, so the report shows the producer's share of the per
    // delivery cost apart from the consumer's.
    {
      using Clock = std::chrono::steady_clock;
      const int64_t n = std::min<int64_t>(publishes_, 64 * kDrainEvery);
      Clock::duration publishing{};
      uint64_t delivered = 0;
      for (int64_t i = 0; i < n; i += kDrainEvery) {
        if (StopRequested()) return StopStatus();
        const Clock::time_point start = Clock::now();
        for (int64_t k = i; k < std::min(n, i + kDrainEvery); ++k) {
          const PublishOp& op = ops_[k];
          absl::StatusOr<PublishResult> r =
              broadcaster_->Publish(channel_ids_[op.channel], corpus_[op.payload], Opcode::kText,
                                    op.exclude ? ids_[op.sender] : ConnectionId::Invalid());
          if (!r.ok()) return r.status();
          delivered += r->delivered;
        }
        publishing += Clock::now() - start;
        DrainAll();
      }
      publish_only_ns_per_delivery_ =
          static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(publishing).count()) /
          static_cast<double>(std::max<uint64_t>(1, delivered));
    }
    return Reset();
  }

  int64_t ops() const override { return publishes_; }
  double items_per_op() const override {
    return static_cast<double>(expected_deliveries_) / static_cast<double>(publishes_);
  }
  std::string ops_note() const override {
    return fmt::format("ops = {} publishes (level ops / {} subscribers); items = deliveries",
                       publishes_, subscribers_);
  }

  absl::Status Reset() override {
    DrainAll();  // Leftovers of a partial pass or the warm-up.
    for (Writer& w : writers_) {
      w.checksum = 0;
      w.count = 0;
    }
    errors_ = 0;
    done_ = 0;
    delivered_ = 0;
    dropped_before_ = broadcaster_->dropped();
    deliveries_before_ = broadcaster_->deliveries();
    return absl::OkStatus();
  }

  void Run(int64_t begin, int64_t end) override {
    Broadcaster& b = *broadcaster_;
    int64_t errors = 0;
    uint64_t delivered = 0;
    for (int64_t i = begin; i < end; ++i) {
      const PublishOp& op = ops_[i];
      absl::StatusOr<PublishResult> r =
          b.Publish(channel_ids_[op.channel], corpus_[op.payload], Opcode::kText,
                    op.exclude ? ids_[op.sender] : ConnectionId::Invalid());
      if (r.ok()) [[likely]] {
        delivered += r->delivered;
      } else {
        ++errors;
      }
      if (((i + 1) & (kDrainEvery - 1)) == 0 || i + 1 == publishes_) DrainAll();
    }
    errors_ += errors;
    delivered_ += delivered;
    done_ += end - begin;
  }

  // The latency pass times the publish (fan-out to the queues) apart from
  // the drains, so neither percentile is the other's schedule: a drain of
  // every queue after each 16th publish would otherwise land in one
  // publish's sample in 16.
  std::vector<LatencySeries> latency_series() const override {
    return {{"drain",
             "per queue drain (one connection's pending frames, up to 16)"}};
  }
  std::string latency_covers() const override { return "publish"; }
  void RunTimed(int64_t i, LatencyRecorder& recorder) override {
    const PublishOp& op = ops_[i];
    const uint64_t t0 = recorder.Now();
    absl::StatusOr<PublishResult> r = broadcaster_->Publish(
        channel_ids_[op.channel], corpus_[op.payload], Opcode::kText,
        op.exclude ? ids_[op.sender] : ConnectionId::Invalid());
    const uint64_t t1 = recorder.Now();
    recorder.Record(0, t0, t1);
    if (r.ok()) [[likely]] {
      delivered_ += r->delivered;
    } else {
      ++errors_;
    }
    if (((i + 1) & (kDrainEvery - 1)) == 0 || i + 1 == publishes_) {
      for (Writer& w : writers_) {
        if (queues_[w.conn()].empty()) continue;
        const uint64_t d0 = recorder.Now();
        DrainQueue(w);
        const uint64_t d1 = recorder.Now();
        recorder.Record(1, d0, d1);
      }
    }
    ++done_;
  }

  absl::Status Verify() override {
    if (done_ != publishes_) {
      return absl::InternalError(
          fmt::format("broadcast: pass ran {} of {} publishes", done_, publishes_));
    }
    if (errors_ != 0) {
      return absl::InternalError(fmt::format("broadcast: {} publishes failed", errors_));
    }
    const uint64_t dropped = broadcaster_->dropped() - dropped_before_;
    const uint64_t deliveries = broadcaster_->deliveries() - deliveries_before_;
    if (dropped != 0 || deliveries != expected_deliveries_ || delivered_ != expected_deliveries_) {
      return absl::InternalError(fmt::format(
          "broadcast: {} deliveries ({} reported by Publish), {} dropped; expected {} and 0",
          deliveries, delivered_, dropped, expected_deliveries_));
    }
    std::vector<uint32_t> count(connections_, 0);
    std::vector<uint64_t> checksum(connections_, 0);
    for (const Writer& w : writers_) {
      count[w.conn()] = w.count;
      checksum[w.conn()] = w.checksum;
    }
    for (int32_t c = 0; c < connections_; ++c) {
      if (count[c] != expected_count_[c] ||
          checksum[c] != expected_checksum_[c]) {
        return absl::InternalError(
            fmt::format("broadcast: connection {} drained {} messages "
                        "(checksum {:x}), expected {} ({:x})",
                        c, count[c], checksum[c], expected_count_[c],
                        expected_checksum_[c]));
      }
      if (!queues_[c].empty()) {
        return absl::InternalError(fmt::format("broadcast: queue {} not drained", c));
      }
    }
    if (manager_->frame_pool().frames_in_use() != 0) {
      return absl::InternalError(
          fmt::format("broadcast: {} frames still referenced after the final drain",
                      manager_->frame_pool().frames_in_use()));
    }
    return absl::OkStatus();
  }

  void AddCounters(std::map<std::string, double>& counters) const override {
    counters["channels"] = kChannels;
    counters["subscribers_per_channel"] = subscribers_;
    counters["publishes"] = static_cast<double>(publishes_);
    counters["mean_frame_bytes"] = mean_frame_bytes_;
    counters["drain_every_publishes"] = kDrainEvery;
    counters["publish_only_ns_per_delivery"] = publish_only_ns_per_delivery_;
    counters["pool_allocations"] = static_cast<double>(manager_->frame_pool().allocations());
  }

 private:
  struct PublishOp {
    uint8_t channel;
    uint8_t payload;
    bool exclude;
    int32_t sender;
  };

  // A connection's writer: its queue's consumer state (running checksum of
  // what it wrote, frames written, whether it hashes every byte). The writer
  // loop walks these in connection order; each holds its connection's index
  // with the full-check flag in the top bit (16 bytes: the walk streams
  // ~20K of them per drain at maximum, beside the queues' lines).
  struct Writer {
    static constexpr ConnIndex kFullCheck = ConnIndex{1} << 31;
    ConnIndex conn_and_flag = 0;
    uint32_t count = 0;
    uint64_t checksum = 0;
    ConnIndex conn() const { return conn_and_flag & ~kFullCheck; }
    bool full_check() const { return (conn_and_flag & kFullCheck) != 0; }
  };
  static_assert(sizeof(Writer) == 16);

  // The consumer side: every listening connection's queue, drained in order.
  void DrainAll() {
    // A writer loop over ready sockets knows its next few connections, so it
    // prefetches their queue lines (as the publisher does) instead of taking
    // one cache miss after another at large levels.
    // Two stages: the queue's line kAhead connections ahead, then (once it
    // has arrived) its ring's head line kAhead / 2 ahead.
    constexpr size_t kAhead = 16;
    Writer* const writers = writers_.data();
    const size_t n = writers_.size();
    size_t k = 0;
    for (; k + kAhead < n; ++k) {
      __builtin_prefetch(&queues_[writers[k + kAhead].conn()], 1, 3);
      queues_[writers[k + kAhead / 2].conn()].PrefetchHead();
      DrainQueue(writers[k]);
    }
    for (; k < n; ++k) DrainQueue(writers[k]);
  }

  // One connection's writer: hands each queued frame to the checksum (the
  // stand-in for writev), in order.
  [[gnu::always_inline]] void DrainQueue(Writer& w) {
    OutboundQueue& q = queues_[w.conn()];
    if (q.empty()) return;
    uint64_t checksum = w.checksum;
    uint32_t n;
    if (w.full_check()) [[unlikely]] {
      n = static_cast<uint32_t>(
          q.DrainEach([&checksum](std::span<const uint8_t> f) {
            checksum = Combine(checksum, FullDigest(f));
          }));
    } else {
      n = static_cast<uint32_t>(
          q.DrainEach([&checksum](std::span<const uint8_t> f) {
            checksum = Combine(checksum, LightDigest(f));
          }));
    }
    w.checksum = checksum;
    w.count += n;
  }

  int32_t connections_ = 0;
  int32_t subscribers_ = 0;
  int64_t publishes_ = 0;
  std::vector<std::string> corpus_;
  std::vector<uint64_t> light_, full_;
  double mean_frame_bytes_ = 0;
  double publish_only_ns_per_delivery_ = 0;
  std::unique_ptr<ConnectionManager> manager_;
  std::unique_ptr<Broadcaster> broadcaster_;
  OutboundQueue* queues_ = nullptr;
  std::vector<ConnectionId> ids_;
  std::vector<std::vector<int32_t>> members_;
  ChannelId channel_ids_[kChannels];
  std::vector<Writer> writers_;  // One per listening connection, in order.
  std::vector<uint8_t> full_check_;
  std::vector<PublishOp> ops_;
  std::vector<uint32_t> expected_count_;
  std::vector<uint64_t> expected_checksum_;
  uint64_t expected_deliveries_ = 0;
  uint64_t delivered_ = 0;
  uint64_t dropped_before_ = 0;
  uint64_t deliveries_before_ = 0;
  int64_t errors_ = 0;
  int64_t done_ = 0;
};

std::unique_ptr<Workload> MakeBroadcastWorkload() {
  return std::make_unique<BroadcastWorkload>();
}

}  // namespace

WSBENCH_REGISTER_DIMENSION(broadcast, "deliveries", MakeBroadcastWorkload);

}  // namespace wsbench::bench

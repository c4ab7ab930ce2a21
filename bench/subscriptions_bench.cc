// The `subscriptions` dimension: subscribe/unsubscribe traffic over the
// level's connections and a realistic channel population.
//
// Setup opens the level's connections in a ConnectionManager and builds 4,096
// channel names over a server's usual namespaces (chat rooms, order books,
// per-user notifications, news, presence). Channel popularity is Zipf-like
// (s = 1: the hottest channel draws about 11% of picks, most channels are
// rare). The initial state gives each connection 1 to 6 channels; a pass is
// level.ops operations drawn from the seed, about half subscribes (some to a
// channel the connection already holds: idempotent re-subscribes) and half
// unsubscribes (mostly of a channel the connection holds, some of one it does
// not: the no-op path), with at most 32 channels per connection. Ops come in
// bursts of 1 to 8 (uniform) for one connection, as a client names several
// channels in one subscribe/unsubscribe message; the connection of each burst
// is uniform over the level's connections, so at large levels every burst
// starts on a cold connection and the channel side (Zipf) is as before: the
// work per op is the same at every level, only the working set grows. Channels
// whose last subscriber leaves are dropped and re-created later, as on a
// server. Ops go through the by-name API (clients send names); each op is
// packed into 4 bytes.
//
// Setup replays the sequence on a reference model (per-connection channel
// sets) to get the expected count of each result and the final table: Verify
// checks the result counts, the live channel and subscription counts, a
// checksum over every live channel's name and subscriber count, and the
// table's internal consistency. Reset restores the initial state untimed
// (closes and re-opens the connections, re-subscribes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "wsbench/connection_manager.h"
#include "wsbench/status_macros.h"
#include "workload.h"

namespace wsbench::bench {
namespace {

constexpr int kChannelBits = 12;
constexpr int kChannels = 1 << kChannelBits;
constexpr size_t kMaxPerConnection = 32;
// Ops of one client message (a subscribe/unsubscribe naming 1 to 8 channels)
// arrive back to back for the same connection.
constexpr int kMaxBurst = 8;

std::string ChannelName(int i) {
  constexpr const char* kRegions[] = {"eu", "us", "asia", "latam"};
  switch (i % 8) {
    case 0:
    case 1:
      return fmt::format("chat.room.{}", i);
    case 2:
      return fmt::format("orders.{}.sym{}-usd", kRegions[i % 4], i);
    case 3:
      return fmt::format("book.sym{}-usd", i);
    case 4:
      return fmt::format("user.{}.notifications", 100000 + i * 37);
    case 5:
      return fmt::format("news.{}.{}", i % 3 ? "markets" : "sports", i);
    case 6:
      return fmt::format("presence.lobby.{}", i);
    default:
      return fmt::format("trades.{}.sym{}-eur.level2", kRegions[(i / 8) % 4], i);
  }
}

uint64_t NameHash(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

class SubscriptionsWorkload : public Workload {
 public:
  absl::Status Setup(const LoadLevel& level, const WorkloadOptions& options) override {
    std::mt19937_64 rng(options.seed ^ 0x73756273);  // "subs"
    connections_ = level.connections;
    if (connections_ >= (1 << (31 - kChannelBits))) {
      return absl::InvalidArgumentError(fmt::format(
          "subscriptions: {} connections do not fit a packed op", connections_));
    }
    // Channel names in one arena.
    std::vector<std::string> names;
    for (int i = 0; i < kChannels; ++i) names.push_back(ChannelName(i));
    std::shuffle(names.begin(), names.end(), rng);  // Popularity is not by kind.
    arena_.clear();
    for (const std::string& n : names) arena_ += n;
    channels_.clear();
    for (size_t at = 0; const std::string& n : names) {
      channels_.emplace_back(arena_.data() + at, n.size());
      at += n.size();
    }
    // Zipf(s = 1) popularity: the inverse CDF tabulated at 2^16 points, so a
    // pick is one table lookup (Setup draws tens of millions at maximum).
    std::vector<double> cdf(kChannels);
    double sum = 0;
    for (int i = 0; i < kChannels; ++i) cdf[i] = (sum += 1.0 / (i + 1));
    std::vector<uint16_t> inverse(1 << 16);
    for (size_t k = 0, ch = 0; k < inverse.size(); ++k) {
      const double u = (static_cast<double>(k) + 0.5) / inverse.size() * sum;
      while (ch + 1 < kChannels && cdf[ch] < u) ++ch;
      inverse[k] = static_cast<uint16_t>(ch);
    }
    auto pick_channel = [&]() -> uint32_t { return inverse[rng() >> 48]; };

    // Model: per-connection channel lists.
    std::vector<std::vector<uint16_t>> model(connections_);
    auto holds = [&](int32_t c, uint32_t ch) {
      return std::find(model[c].begin(), model[c].end(), ch) != model[c].end();
    };
    initial_.clear();
    for (int32_t c = 0; c < connections_; ++c) {
      if ((c & 0x3FFF) == 0 && StopRequested()) return StopStatus();
      const int n = 1 + static_cast<int>(rng() % 6);
      for (int k = 0; k < n; ++k) {
        const uint32_t ch = pick_channel();
        if (!holds(c, ch)) {
          model[c].push_back(static_cast<uint16_t>(ch));
          initial_.push_back(Pack(c, ch, true));
        }
      }
    }
    // The op sequence and its expected results.
    expected_ = Counts{};
    ops_.resize(static_cast<size_t>(level.ops));
    int32_t c = 0;
    int burst_left = 0;
    for (int64_t i = 0; i < level.ops; ++i) {
      if ((i & 0x3FFF) == 0 && StopRequested()) return StopStatus();
      if (burst_left == 0) {  // The next client message: 1 to kMaxBurst ops.
        c = static_cast<int32_t>(rng() % connections_);
        burst_left = 1 + static_cast<int>(rng() % kMaxBurst);
      }
      --burst_left;
      std::vector<uint16_t>& mine = model[c];
      bool subscribe = rng() % 2 == 0;
      if (mine.size() >= kMaxPerConnection) subscribe = false;
      if (mine.empty() && rng() % 4 != 0) subscribe = true;
      uint32_t ch;
      if (subscribe) {
        ch = pick_channel();
        if (holds(c, ch)) {
          ++expected_.already;
        } else {
          ++expected_.subscribed;
          mine.push_back(static_cast<uint16_t>(ch));
        }
      } else {
        if (!mine.empty() && rng() % 10 != 0) {
          const size_t k = rng() % mine.size();
          ch = mine[k];
        } else {
          ch = pick_channel();
        }
        auto it = std::find(mine.begin(), mine.end(), ch);
        if (it != mine.end()) {
          ++expected_.unsubscribed;
          *it = mine.back();
          mine.pop_back();
        } else {
          ++expected_.not_subscribed;
        }
      }
      ops_[i] = Pack(c, ch, subscribe);
    }
    // The expected final table.
    std::vector<uint64_t> per_channel(kChannels, 0);
    expected_subscriptions_ = 0;
    for (const auto& mine : model) {
      expected_subscriptions_ += mine.size();
      for (uint16_t ch : mine) ++per_channel[ch];
    }
    expected_channels_ = 0;
    expected_checksum_ = 0;
    for (int ch = 0; ch < kChannels; ++ch) {
      if (per_channel[ch] == 0) continue;
      ++expected_channels_;
      expected_checksum_ += NameHash(channels_[ch]) * per_channel[ch];
    }

    manager_ = std::make_unique<ConnectionManager>();
    manager_->Reserve(static_cast<uint32_t>(connections_));
    ids_.assign(connections_, ConnectionId::Invalid());
    return Reset();
  }

  int64_t ops() const override { return static_cast<int64_t>(ops_.size()); }

  absl::Status Reset() override {
    for (ConnectionId& id : ids_) {
      if (manager_->IsOpen(id)) WSBENCH_RETURN_IF_ERROR(manager_->Close(id));
    }
    for (int32_t c = 0; c < connections_; ++c) {
      if ((c & 0x3FFF) == 0 && StopRequested()) return StopStatus();
      WSBENCH_ASSIGN_OR_RETURN(ids_[c], manager_->Open(fmt::format("user{}", c), RoleSet()));
    }
    for (uint32_t op : initial_) {
      absl::StatusOr<SubscribeResult> r =
          manager_->Subscribe(ids_[op >> (kChannelBits + 1)], channels_[(op >> 1) & (kChannels - 1)]);
      if (!r.ok()) return r.status();
    }
    actual_ = Counts{};
    errors_ = 0;
    done_ = 0;
    return absl::OkStatus();
  }

  void Run(int64_t begin, int64_t end) override {
    ConnectionManager& m = *manager_;
    Counts counts;
    int64_t errors = 0;
    for (int64_t i = begin; i < end; ++i) {
      const uint32_t op = ops_[i];
      const ConnectionId id = ids_[op >> (kChannelBits + 1)];
      const std::string_view channel = channels_[(op >> 1) & (kChannels - 1)];
      if (op & 1) {
        absl::StatusOr<SubscribeResult> r = m.Subscribe(id, channel);
        if (!r.ok()) [[unlikely]] {
          ++errors;
        } else if (*r == SubscribeResult::kSubscribed) {
          ++counts.subscribed;
        } else {
          ++counts.already;
        }
      } else {
        absl::StatusOr<UnsubscribeResult> r = m.Unsubscribe(id, channel);
        if (!r.ok()) [[unlikely]] {
          ++errors;
        } else if (*r == UnsubscribeResult::kUnsubscribed) {
          ++counts.unsubscribed;
        } else {
          ++counts.not_subscribed;
        }
      }
    }
    actual_.subscribed += counts.subscribed;
    actual_.already += counts.already;
    actual_.unsubscribed += counts.unsubscribed;
    actual_.not_subscribed += counts.not_subscribed;
    errors_ += errors;
    done_ += end - begin;
  }

  absl::Status Verify() override {
    if (done_ != ops()) {
      return absl::InternalError(
          fmt::format("subscriptions: pass ran {} of {} ops", done_, ops()));
    }
    if (errors_ != 0) {
      return absl::InternalError(fmt::format("subscriptions: {} ops failed", errors_));
    }
    if (!(actual_ == expected_)) {
      return absl::InternalError(fmt::format(
          "subscriptions: results subscribed/already/unsubscribed/not-member {}/{}/{}/{}, "
          "the model expects {}/{}/{}/{}",
          actual_.subscribed, actual_.already, actual_.unsubscribed, actual_.not_subscribed,
          expected_.subscribed, expected_.already, expected_.unsubscribed,
          expected_.not_subscribed));
    }
    const SubscriptionTable& t = manager_->subscriptions();
    uint64_t checksum = 0;
    t.ForEachChannel([&](ChannelId, std::string_view name, std::span<const ConnIndex> subs) {
      checksum += NameHash(name) * subs.size();
    });
    if (t.channel_count() != expected_channels_ ||
        t.subscription_count() != expected_subscriptions_ || checksum != expected_checksum_) {
      return absl::InternalError(fmt::format(
          "subscriptions: final table has {} channels / {} subscriptions (checksum {:x}), "
          "the model expects {} / {} ({:x})",
          t.channel_count(), t.subscription_count(), checksum, expected_channels_,
          expected_subscriptions_, expected_checksum_));
    }
    return t.CheckConsistency();
  }

  void AddCounters(std::map<std::string, double>& counters) const override {
    const double n = std::max<double>(1, static_cast<double>(ops_.size()));
    counters["channels"] = kChannels;
    counters["mean_ops_per_burst"] = (1.0 + kMaxBurst) / 2;
    counters["final_subscriptions"] = static_cast<double>(expected_subscriptions_);
    counters["resubscribe_pct"] = 100.0 * static_cast<double>(expected_.already) / n;
    counters["nonmember_unsubscribe_pct"] =
        100.0 * static_cast<double>(expected_.not_subscribed) / n;
  }

 private:
  struct Counts {
    int64_t subscribed = 0, already = 0, unsubscribed = 0, not_subscribed = 0;
    bool operator==(const Counts&) const = default;
  };

  static uint32_t Pack(int32_t conn, uint32_t channel, bool subscribe) {
    return (static_cast<uint32_t>(conn) << (kChannelBits + 1)) | (channel << 1) |
           (subscribe ? 1u : 0u);
  }

  int32_t connections_ = 0;
  std::string arena_;
  std::vector<std::string_view> channels_;
  std::vector<uint32_t> initial_;
  std::vector<uint32_t> ops_;
  std::vector<ConnectionId> ids_;
  std::unique_ptr<ConnectionManager> manager_;
  Counts expected_, actual_;
  size_t expected_channels_ = 0;
  size_t expected_subscriptions_ = 0;
  uint64_t expected_checksum_ = 0;
  int64_t errors_ = 0;
  int64_t done_ = 0;
};

std::unique_ptr<Workload> MakeSubscriptionsWorkload() {
  return std::make_unique<SubscriptionsWorkload>();
}

}  // namespace

WSBENCH_REGISTER_DIMENSION(subscriptions, "", MakeSubscriptionsWorkload);

}  // namespace wsbench::bench

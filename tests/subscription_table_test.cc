#include "wsbench/subscription_table.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace wsbench {
namespace {

std::set<ConnIndex> Subscribers(const SubscriptionTable& t, std::string_view name) {
  std::optional<ChannelId> id = t.Find(name);
  if (!id) return {};
  auto span = t.subscribers(*id);
  return std::set<ConnIndex>(span.begin(), span.end());
}

TEST(SubscriptionTableTest, SubscribeIsIdempotent) {
  SubscriptionTable t;
  t.ResizeConnections(3);
  EXPECT_EQ(*t.Subscribe(0, "a"), SubscribeResult::kSubscribed);
  EXPECT_EQ(*t.Subscribe(0, "a"), SubscribeResult::kAlreadySubscribed);
  EXPECT_EQ(*t.Subscribe(0, *t.Find("a")),
            SubscribeResult::kAlreadySubscribed);
  EXPECT_EQ(*t.Subscribe(1, "a"), SubscribeResult::kSubscribed);
  EXPECT_EQ(t.subscription_count(), 2u);
  EXPECT_EQ(t.channel_count(), 1u);
  EXPECT_EQ(Subscribers(t, "a"), (std::set<ConnIndex>{0, 1}));
  EXPECT_TRUE(t.CheckConsistency().ok());
}

TEST(SubscriptionTableTest, UnsubscribeNonMemberIsANoOpThatSaysSo) {
  SubscriptionTable t;
  t.ResizeConnections(2);
  ASSERT_TRUE(t.Subscribe(0, "a").ok());
  EXPECT_EQ(*t.Unsubscribe(1, "a"), UnsubscribeResult::kNotSubscribed);
  EXPECT_EQ(*t.Unsubscribe(1, "nope"), UnsubscribeResult::kNotSubscribed);
  EXPECT_EQ(t.Unsubscribe(1, *t.Find("a")), UnsubscribeResult::kNotSubscribed);
  EXPECT_EQ(t.subscription_count(), 1u);
  EXPECT_EQ(*t.Unsubscribe(0, "a"), UnsubscribeResult::kUnsubscribed);
  EXPECT_EQ(*t.Unsubscribe(0, "a"), UnsubscribeResult::kNotSubscribed);
  EXPECT_TRUE(t.CheckConsistency().ok());
}

TEST(SubscriptionTableTest, EmptyChannelIsDroppedAndItsIdGoesStale) {
  SubscriptionTable t;
  t.ResizeConnections(2);
  ASSERT_TRUE(t.Subscribe(0, "a").ok());
  ChannelId a = *t.Find("a");
  EXPECT_TRUE(t.IsLive(a));
  EXPECT_EQ(t.name(a), "a");
  ASSERT_EQ(*t.Unsubscribe(0, "a"), UnsubscribeResult::kUnsubscribed);
  EXPECT_FALSE(t.Find("a").has_value());
  EXPECT_FALSE(t.IsLive(a));
  EXPECT_EQ(t.channel_count(), 0u);
  EXPECT_EQ(t.channels_dropped(), 1u);
  EXPECT_TRUE(t.subscribers(a).empty());
  EXPECT_EQ(t.name(a), "");
  // The slot is recycled for a new name; the old id must not reach it.
  ASSERT_TRUE(t.Subscribe(1, "b").ok());
  ChannelId b = *t.Find("b");
  EXPECT_EQ(b.index, a.index);
  EXPECT_NE(b, a);
  absl::StatusOr<SubscribeResult> stale = t.Subscribe(0, a);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(t.Unsubscribe(1, a), UnsubscribeResult::kNotSubscribed);
  EXPECT_EQ(Subscribers(t, "b"), (std::set<ConnIndex>{1}));
  EXPECT_TRUE(t.CheckConsistency().ok());
}

TEST(SubscriptionTableTest, InvalidNames) {
  SubscriptionTableOptions options;
  options.max_channel_name = 4;
  SubscriptionTable t(options);
  t.ResizeConnections(1);
  EXPECT_EQ(t.Subscribe(0, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.Subscribe(0, "abcde").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.Unsubscribe(0, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.Unsubscribe(0, "abcde").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(t.Subscribe(0, "abcd").ok());
  EXPECT_EQ(t.channel_count(), 1u);
}

TEST(SubscriptionTableTest, Limits) {
  SubscriptionTableOptions options;
  options.max_channels_per_connection = 2;
  options.max_channels = 3;
  SubscriptionTable t(options);
  t.ResizeConnections(2);
  ASSERT_TRUE(t.Subscribe(0, "a").ok());
  ASSERT_TRUE(t.Subscribe(0, "b").ok());
  EXPECT_EQ(t.Subscribe(0, "c").status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(t.Subscribe(0, *t.Find("a")).value(), SubscribeResult::kAlreadySubscribed);
  ASSERT_TRUE(t.Subscribe(1, "c").ok());
  EXPECT_EQ(t.Subscribe(1, "d").status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(t.Find("c") == std::nullopt);
  EXPECT_FALSE(t.Find("d").has_value());
  ASSERT_TRUE(t.Subscribe(1, "a").ok());  // Existing channel: table limit not hit.
  EXPECT_EQ(t.subscription_count(), 4u);
  EXPECT_TRUE(t.CheckConsistency().ok());
}

TEST(SubscriptionTableTest, RemoveConnectionRemovesEverything) {
  SubscriptionTable t;
  t.ResizeConnections(3);
  for (const char* ch : {"a", "b", "c", "d"}) ASSERT_TRUE(t.Subscribe(1, ch).ok());
  ASSERT_TRUE(t.Subscribe(0, "b").ok());
  ASSERT_TRUE(t.Subscribe(2, "c").ok());
  EXPECT_EQ(t.RemoveConnection(1), 4u);
  EXPECT_EQ(t.channel_count_of(1), 0u);
  EXPECT_EQ(t.channel_count(), 2u);  // a and d dropped.
  EXPECT_FALSE(t.Find("a").has_value());
  EXPECT_EQ(Subscribers(t, "b"), (std::set<ConnIndex>{0}));
  EXPECT_EQ(Subscribers(t, "c"), (std::set<ConnIndex>{2}));
  EXPECT_EQ(t.RemoveConnection(1), 0u);
  EXPECT_TRUE(t.CheckConsistency().ok());
}

TEST(SubscriptionTableTest, SwapRemoveKeepsPositions) {
  SubscriptionTable t;
  t.ResizeConnections(10);
  for (ConnIndex c = 0; c < 10; ++c) {
    ASSERT_TRUE(t.Subscribe(c, "x").ok());
    ASSERT_TRUE(t.Subscribe(c, "y").ok());
  }
  // Remove from the middle of both arrays.
  ASSERT_EQ(*t.Unsubscribe(3, "x"), UnsubscribeResult::kUnsubscribed);
  ASSERT_EQ(*t.Unsubscribe(0, "y"), UnsubscribeResult::kUnsubscribed);
  ASSERT_TRUE(t.CheckConsistency().ok());
  EXPECT_EQ(Subscribers(t, "x").size(), 9u);
  EXPECT_EQ(Subscribers(t, "y").count(0), 0u);
  std::vector<ChannelId> chans;
  t.ChannelsOf(3, chans);
  ASSERT_EQ(chans.size(), 1u);
  EXPECT_EQ(t.name(chans[0]), "y");
  EXPECT_TRUE(t.IsSubscribed(3, chans[0]));
  EXPECT_FALSE(t.IsSubscribed(3, *t.Find("x")));
}

// The subscriber moved into a hole has its position fixed in its own list,
// also when that list lives on the heap (more than 7 channels) and the
// channel's entry is deep in it.
TEST(SubscriptionTableTest, SwapRemoveFixesTheMovedSubscribersHeapList) {
  SubscriptionTable t;
  t.ResizeConnections(4);
  for (int k = 0; k < 20; ++k) {
    const std::string name = "ch" + std::to_string(k);
    for (ConnIndex c = 0; c < 4; ++c) ASSERT_TRUE(t.Subscribe(c, name).ok());
  }
  // Connection 3 is last in every channel: each removal of connection 0
  // moves it into position 0.
  for (int k = 19; k >= 0; k -= 2) {
    ASSERT_EQ(*t.Unsubscribe(0, "ch" + std::to_string(k)),
              UnsubscribeResult::kUnsubscribed);
    ASSERT_TRUE(t.CheckConsistency().ok()) << t.CheckConsistency();
  }
  const ChannelId ch19 = *t.Find("ch19");
  ASSERT_EQ(t.subscribers(ch19).size(), 3u);
  EXPECT_EQ(t.subscribers(ch19)[0], 3u);
  // Removing the moved entry again uses the fixed position.
  ASSERT_EQ(*t.Unsubscribe(3, "ch19"), UnsubscribeResult::kUnsubscribed);
  EXPECT_EQ(t.channel_count_of(3), 19u);
  EXPECT_EQ(t.RemoveConnection(3), 19u);
  EXPECT_EQ(t.RemoveConnection(0), 10u);
  ASSERT_TRUE(t.CheckConsistency().ok()) << t.CheckConsistency();
  EXPECT_EQ(t.subscription_count(), 40u);
  EXPECT_EQ(t.channel_count(), 20u);
}

// RemoveConnection skips connections on no channel by a bitmap; the bit
// follows the list through emptying and refilling, in either order.
TEST(SubscriptionTableTest, RemoveConnectionAfterEmptyingAndRefilling) {
  SubscriptionTable t;
  t.ResizeConnections(130);
  ASSERT_TRUE(t.Subscribe(129, "a").ok());
  ASSERT_TRUE(t.Subscribe(64, "a").ok());
  ASSERT_EQ(*t.Unsubscribe(129, "a"), UnsubscribeResult::kUnsubscribed);
  EXPECT_EQ(t.RemoveConnection(129), 0u);
  ASSERT_TRUE(t.Subscribe(129, "b").ok());
  ASSERT_TRUE(t.Subscribe(129, "a").ok());
  ASSERT_TRUE(t.CheckConsistency().ok()) << t.CheckConsistency();
  EXPECT_EQ(t.RemoveConnection(63), 0u);
  EXPECT_EQ(t.RemoveConnection(129), 2u);
  EXPECT_EQ(t.RemoveConnection(129), 0u);
  EXPECT_EQ(t.subscription_count(), 1u);
  EXPECT_EQ(t.RemoveConnection(64), 1u);
  EXPECT_EQ(t.channel_count(), 0u);
  ASSERT_TRUE(t.CheckConsistency().ok()) << t.CheckConsistency();
}

TEST(SubscriptionTableTest, ForEachChannelVisitsLiveChannels) {
  SubscriptionTable t;
  t.ResizeConnections(2);
  ASSERT_TRUE(t.Subscribe(0, "a").ok());
  ASSERT_TRUE(t.Subscribe(1, "b").ok());
  ASSERT_TRUE(t.Subscribe(1, "c").ok());
  ASSERT_TRUE(t.Unsubscribe(1, "b").ok());
  std::map<std::string, size_t> seen;
  t.ForEachChannel([&](ChannelId, std::string_view name, std::span<const ConnIndex> subs) {
    seen[std::string(name)] = subs.size();
  });
  EXPECT_EQ(seen, (std::map<std::string, size_t>{{"a", 1}, {"c", 1}}));
}

TEST(SubscriptionTableTest, MemoryUsageGrowsWithContent) {
  SubscriptionTable t;
  const size_t empty = t.MemoryUsage();
  t.ResizeConnections(100);
  for (ConnIndex c = 0; c < 100; ++c) {
    ASSERT_TRUE(t.Subscribe(c, "channel-with-a-long-name-" + std::to_string(c % 7)).ok());
  }
  EXPECT_GT(t.MemoryUsage(), empty + 100 * sizeof(ConnIndex));
}

// The name index (open addressing, backward-shift erase) under heavy churn:
// thousands of channels of every name length from 1 to 40 bytes are created
// and dropped in random order; every live name must resolve to its channel and
// every dropped one to nothing.
TEST(SubscriptionTableTest, NameIndexSurvivesChurnOfManyChannels) {
  constexpr int kNames = 3000;
  std::mt19937_64 rng(7);
  std::vector<std::string> names;
  for (int i = 0; i < kNames; ++i) {
    std::string n = std::to_string(i);
    const size_t len = 1 + static_cast<size_t>(rng() % 40);
    while (n.size() < len) n.push_back(static_cast<char>('a' + rng() % 26));
    if (n.size() > len) n.resize(len);
    names.push_back(n);
  }
  // Deduplicate (truncation may collide).
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  SubscriptionTable t(SubscriptionTableOptions{.max_channels_per_connection = 4096});
  t.ResizeConnections(1);
  std::vector<bool> live(names.size(), false);
  for (int round = 0; round < 20000; ++round) {
    const size_t k = rng() % names.size();
    if (live[k]) {
      ASSERT_EQ(*t.Unsubscribe(0, names[k]), UnsubscribeResult::kUnsubscribed);
    } else {
      ASSERT_EQ(*t.Subscribe(0, names[k]), SubscribeResult::kSubscribed);
    }
    live[k] = !live[k];
    if (round % 2000 == 0 || round == 19999) {
      ASSERT_TRUE(t.CheckConsistency().ok()) << t.CheckConsistency();
      for (size_t i = 0; i < names.size(); ++i) {
        const std::optional<ChannelId> id = t.Find(names[i]);
        ASSERT_EQ(id.has_value(), static_cast<bool>(live[i])) << names[i];
        if (id) {
          EXPECT_EQ(t.name(*id), names[i]);
        }
      }
    }
  }
}

// Reference model: channel -> set of connections.
class Model {
 public:
  SubscribeResult Subscribe(ConnIndex c, const std::string& ch) {
    return subs_[ch].insert(c).second ? SubscribeResult::kSubscribed
                                      : SubscribeResult::kAlreadySubscribed;
  }
  UnsubscribeResult Unsubscribe(ConnIndex c, const std::string& ch) {
    auto it = subs_.find(ch);
    if (it == subs_.end() || it->second.erase(c) == 0) return UnsubscribeResult::kNotSubscribed;
    if (it->second.empty()) subs_.erase(it);
    return UnsubscribeResult::kUnsubscribed;
  }
  size_t RemoveConnection(ConnIndex c) {
    size_t n = 0;
    for (auto it = subs_.begin(); it != subs_.end();) {
      n += it->second.erase(c);
      it = it->second.empty() ? subs_.erase(it) : std::next(it);
    }
    return n;
  }
  const std::map<std::string, std::set<ConnIndex>>& subs() const { return subs_; }

 private:
  std::map<std::string, std::set<ConnIndex>> subs_;
};

void ExpectSameState(const SubscriptionTable& t, const Model& m, uint32_t conns) {
  ASSERT_TRUE(t.CheckConsistency().ok()) << t.CheckConsistency();
  std::map<std::string, std::set<ConnIndex>> actual;
  t.ForEachChannel([&](ChannelId, std::string_view name, std::span<const ConnIndex> subs) {
    actual[std::string(name)] = std::set<ConnIndex>(subs.begin(), subs.end());
  });
  ASSERT_EQ(actual, m.subs());
  size_t total = 0;
  std::vector<ChannelId> chans;
  for (ConnIndex c = 0; c < conns; ++c) {
    t.ChannelsOf(c, chans);
    std::set<std::string> names;
    for (ChannelId id : chans) names.insert(std::string(t.name(id)));
    std::set<std::string> expected;
    for (const auto& [name, members] : m.subs()) {
      if (members.count(c)) expected.insert(name);
    }
    ASSERT_EQ(names, expected) << "connection " << c;
    total += names.size();
  }
  ASSERT_EQ(t.subscription_count(), total);
  ASSERT_EQ(t.channel_count(), m.subs().size());
}

class SubscriptionTableRandomTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(SubscriptionTableRandomTest, MatchesReferenceModel) {
  constexpr uint32_t kConns = 40;
  constexpr int kChannels = 25;
  std::mt19937_64 rng(GetParam());
  SubscriptionTable t;
  t.ResizeConnections(kConns);
  Model m;
  for (int op = 0; op < 20000; ++op) {
    const ConnIndex c = rng() % kConns;
    const std::string ch = "ch" + std::to_string(rng() % kChannels);
    const int kind = static_cast<int>(rng() % 100);
    if (kind < 45) {
      ASSERT_EQ(*t.Subscribe(c, ch), m.Subscribe(c, ch)) << "op " << op;
    } else if (kind < 55) {
      // By id when the channel exists.
      if (auto id = t.Find(ch)) {
        ASSERT_EQ(*t.Subscribe(c, *id), m.Subscribe(c, ch)) << "op " << op;
      }
    } else if (kind < 88) {
      ASSERT_EQ(*t.Unsubscribe(c, ch), m.Unsubscribe(c, ch)) << "op " << op;
    } else if (kind < 96) {
      if (auto id = t.Find(ch)) {
        ASSERT_EQ(t.Unsubscribe(c, *id), m.Unsubscribe(c, ch)) << "op " << op;
      } else {
        ASSERT_EQ(m.Unsubscribe(c, ch), UnsubscribeResult::kNotSubscribed);
      }
    } else {
      ASSERT_EQ(t.RemoveConnection(c), m.RemoveConnection(c)) << "op " << op;
    }
    if (op % 500 == 0) ExpectSameState(t, m, kConns);
  }
  ExpectSameState(t, m, kConns);
}

INSTANTIATE_TEST_SUITE_P(Seeds, SubscriptionTableRandomTest,
                         ::testing::Values(1u, 2u, 42u, 0x5eed2026u));

}  // namespace
}  // namespace wsbench

#include "wsbench/connection_manager.h"

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace wsbench {
namespace {

RoleSet Roles(std::initializer_list<RoleId> ids) {
  RoleSet r;
  for (RoleId id : ids) r.Add(id);
  return r;
}

TEST(ConnectionManagerTest, OpenLookupClose) {
  ConnectionManager m;
  absl::StatusOr<ConnectionId> id = m.Open("alice", Roles({1, 70}));
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(id->valid());
  EXPECT_TRUE(m.IsOpen(*id));
  absl::StatusOr<ConnectionView> view = m.Lookup(*id);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->user, "alice");
  EXPECT_EQ(view->roles, Roles({1, 70}));
  EXPECT_EQ(view->channel_count, 0u);
  EXPECT_EQ(view->id, *id);
  ASSERT_NE(view->queue, nullptr);
  EXPECT_TRUE(view->queue->empty());
  EXPECT_EQ(m.roles(*id), Roles({1, 70}));
  EXPECT_EQ(m.IdAt(id->index), *id);
  EXPECT_TRUE(m.Close(*id).ok());
  EXPECT_FALSE(m.IsOpen(*id));
  EXPECT_EQ(m.Close(*id).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m.Lookup(*id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m.queue(*id), nullptr);
  EXPECT_EQ(m.IdAt(id->index), ConnectionId::Invalid());
  EXPECT_TRUE(m.roles(*id).empty());
}

TEST(ConnectionManagerTest, UnknownAndInvalidIds) {
  ConnectionManager m;
  EXPECT_EQ(m.Close(ConnectionId::Invalid()).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m.Close(ConnectionId{5, 1}).code(), absl::StatusCode::kNotFound);
  ConnectionId id = *m.Open("u", {});
  // An even generation is never live, even if it matches a closed slot.
  ASSERT_TRUE(m.Close(id).ok());
  EXPECT_EQ(m.Close(ConnectionId{id.index, id.generation + 1}).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(m.Subscribe(id, "c").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m.Unsubscribe(id, "c").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m.SetRoles(id, {}).code(), absl::StatusCode::kNotFound);
}

TEST(ConnectionManagerTest, StaleIdNeverReachesTheSlotsNextConnection) {
  ConnectionManager m;
  ConnectionId old_id = *m.Open("old", Roles({1}));
  ASSERT_TRUE(m.Subscribe(old_id, "news").ok());
  ASSERT_TRUE(m.Close(old_id).ok());
  ConnectionId new_id = *m.Open("new", Roles({2}));
  EXPECT_EQ(new_id.index, old_id.index);  // The slot was reused ...
  EXPECT_NE(new_id, old_id);              // ... under a new generation.
  EXPECT_EQ(m.Close(old_id).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m.Subscribe(old_id, "news").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m.SetRoles(old_id, Roles({9})).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m.queue(old_id), nullptr);
  EXPECT_TRUE(m.IsOpen(new_id));
  EXPECT_EQ(m.Lookup(new_id)->user, "new");
  EXPECT_EQ(m.roles(new_id), Roles({2}));
  EXPECT_EQ(m.Lookup(new_id)->channel_count, 0u);  // Old subscriptions gone.
  EXPECT_FALSE(m.subscriptions().Find("news").has_value());
}

// Open takes the lowest free slot, across bitmap word and summary boundaries,
// and appends only when no slot is free.
TEST(ConnectionManagerTest, OpenTakesTheLowestFreeSlot) {
  constexpr uint32_t kSlots = 10000;  // More than one summary word (4096).
  ConnectionManager m;
  std::vector<ConnectionId> ids;
  for (uint32_t i = 0; i < kSlots; ++i) {
    ids.push_back(*m.Open("u", RoleSet()));
    ASSERT_EQ(ids.back().index, i);
  }
  std::mt19937_64 rng(3);
  std::set<uint32_t> closed;
  for (int k = 0; k < 3000; ++k) {
    const uint32_t i = static_cast<uint32_t>(rng() % kSlots);
    if (closed.insert(i).second) {
      ASSERT_TRUE(m.Close(ids[i]).ok());
    }
  }
  // Reopen half of them: they come back in ascending slot order.
  const size_t reopen = closed.size() / 2;
  for (size_t k = 0; k < reopen; ++k) {
    const uint32_t lowest = *closed.begin();
    closed.erase(closed.begin());
    const ConnectionId id = *m.Open("v", RoleSet());
    ASSERT_EQ(id.index, lowest);
    ids[lowest] = id;
  }
  // Free a low slot again: it is the next one taken.
  ASSERT_TRUE(m.Close(ids[1]).ok());
  EXPECT_EQ(m.Open("w", RoleSet())->index, 1u);
  // Fill every hole, then a new slot is appended.
  while (!closed.empty()) {
    const uint32_t lowest = *closed.begin();
    closed.erase(closed.begin());
    ASSERT_EQ(m.Open("x", RoleSet())->index, lowest);
  }
  EXPECT_EQ(m.Open("y", RoleSet())->index, kSlots);
  EXPECT_EQ(m.active(), kSlots + 1);
}

TEST(ConnectionManagerTest, Gauges) {
  ConnectionManager m;
  std::vector<ConnectionId> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(*m.Open("u" + std::to_string(i), {}));
  EXPECT_EQ(m.active(), 10u);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(m.Close(ids[i]).ok());
  EXPECT_EQ(m.Close(ids[0]).code(), absl::StatusCode::kNotFound);  // Not counted.
  EXPECT_EQ(m.active(), 6u);
  EXPECT_EQ(m.opened_total(), 10u);
  EXPECT_EQ(m.closed_total(), 4u);
  EXPECT_FALSE(m.Open("", {}).ok());  // Not counted either.
  EXPECT_EQ(m.opened_total(), 10u);
  int open = 0;
  m.ForEachOpen([&](ConnectionId id) {
    EXPECT_TRUE(m.IsOpen(id));
    ++open;
  });
  EXPECT_EQ(open, 6);
}

TEST(ConnectionManagerTest, BadUserNames) {
  ConnectionManagerOptions options;
  options.max_user_size = 8;
  ConnectionManager m(options);
  EXPECT_EQ(m.Open("", {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.Open("123456789", {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(m.Open("12345678", {}).ok());
}

TEST(ConnectionManagerTest, CapacityLimit) {
  ConnectionManagerOptions options;
  options.max_connections = 2;
  ConnectionManager m(options);
  ConnectionId a = *m.Open("a", {});
  ASSERT_TRUE(m.Open("b", {}).ok());
  absl::StatusOr<ConnectionId> c = m.Open("c", {});
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(m.Close(a).ok());
  EXPECT_TRUE(m.Open("c", {}).ok());
}

TEST(ConnectionManagerTest, SetRolesTakesEffect) {
  ConnectionManager m;
  ConnectionId id = *m.Open("u", Roles({1}));
  ASSERT_TRUE(m.SetRoles(id, Roles({3, 127})).ok());
  EXPECT_EQ(m.roles(id), Roles({3, 127}));
  EXPECT_EQ(m.Lookup(id)->roles, Roles({3, 127}));
}

TEST(ConnectionManagerTest, CloseRemovesSubscriptionsAndQueuedFrames) {
  ConnectionManager m;
  ConnectionId a = *m.Open("a", {});
  ConnectionId b = *m.Open("b", {});
  ASSERT_EQ(*m.Subscribe(a, "x"), SubscribeResult::kSubscribed);
  ASSERT_EQ(*m.Subscribe(a, "y"), SubscribeResult::kSubscribed);
  ASSERT_EQ(*m.Subscribe(b, "y"), SubscribeResult::kSubscribed);
  ChannelId y = *m.subscriptions().Find("y");
  ASSERT_EQ(*m.Subscribe(b, y), SubscribeResult::kAlreadySubscribed);
  std::vector<ChannelId> chans;
  m.ChannelsOf(a, chans);
  EXPECT_EQ(chans.size(), 2u);
  // Queue a frame on a.
  SharedFrame* f = m.frame_pool().Acquire(3);
  ASSERT_TRUE(m.queue(a)->TryPush(f) || (m.queue(a)->PushGrow(f), true));
  f->AddRefs(1);
  Unref(f);
  EXPECT_EQ(m.frame_pool().frames_in_use(), 1u);
  ASSERT_TRUE(m.Close(a).ok());
  EXPECT_EQ(m.frame_pool().frames_in_use(), 0u);
  EXPECT_FALSE(m.subscriptions().Find("x").has_value());
  EXPECT_EQ(m.subscriptions().subscribers(y).size(), 1u);
  EXPECT_EQ(m.subscriptions().subscription_count(), 1u);
  m.ChannelsOf(a, chans);
  EXPECT_TRUE(chans.empty());
  EXPECT_EQ(*m.Unsubscribe(b, y), UnsubscribeResult::kUnsubscribed);
  EXPECT_EQ(*m.Unsubscribe(b, "y"), UnsubscribeResult::kNotSubscribed);
  EXPECT_TRUE(m.subscriptions().CheckConsistency().ok());
}

TEST(ConnectionManagerTest, HoldsAMillionConnectionsWithinTheMemoryBudget) {
  constexpr uint32_t kN = 1'000'000;
  ConnectionManager m;
  m.Reserve(kN);
  std::vector<ConnectionId> ids;
  ids.reserve(kN);
  RoleSet roles = Roles({1});
  for (uint32_t i = 0; i < kN; ++i) {
    absl::StatusOr<ConnectionId> id = m.Open("user-" + std::to_string(i % 100000), roles);
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
  }
  EXPECT_EQ(m.active(), kN);
  const double per_connection = static_cast<double>(m.MemoryUsage()) / kN;
  EXPECT_LE(per_connection, 256.0);
  EXPECT_GT(per_connection, 64.0);  // It does count the slot arrays.
  for (ConnectionId id : ids) ASSERT_TRUE(m.Close(id).ok());
  EXPECT_EQ(m.active(), 0u);
  EXPECT_EQ(m.closed_total(), kN);
}

TEST(ConnectionManagerTest, MemoryUsageCountsLongUserNames) {
  ConnectionManager a, b;
  ASSERT_TRUE(a.Open("short", {}).ok());
  ASSERT_TRUE(b.Open(std::string(200, 'u'), {}).ok());
  EXPECT_GE(b.MemoryUsage(), a.MemoryUsage() + 200);
}

// Reference model for the random test.
struct ModelConnection {
  std::string user;
  RoleSet roles;
  std::set<std::string> channels;
};

class ConnectionManagerRandomTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(ConnectionManagerRandomTest, MatchesReferenceModel) {
  std::mt19937_64 rng(GetParam());
  ConnectionManager m;
  std::map<std::pair<uint32_t, uint32_t>, ModelConnection> model;  // Open ids.
  std::vector<ConnectionId> ever;  // Every id ever issued, open or closed.
  absl::flat_hash_set<ConnectionId> issued;
  uint64_t opened = 0, closed = 0;
  auto key = [](ConnectionId id) { return std::make_pair(id.index, id.generation); };
  auto pick = [&]() -> ConnectionId {
    if (ever.empty()) return ConnectionId::Invalid();
    return ever[rng() % ever.size()];  // Often stale.
  };
  for (int op = 0; op < 30000; ++op) {
    const int kind = static_cast<int>(rng() % 100);
    if (kind < 20) {
      std::string user = "u" + std::to_string(rng() % 50);
      RoleSet roles;
      roles.Add(static_cast<RoleId>(rng() % 128));
      absl::StatusOr<ConnectionId> id = m.Open(user, roles);
      ASSERT_TRUE(id.ok());
      ASSERT_TRUE(issued.insert(*id).second) << "id issued twice";
      model[key(*id)] = ModelConnection{user, roles, {}};
      ever.push_back(*id);
      ++opened;
    } else if (kind < 35) {
      ConnectionId id = pick();
      const bool open = model.count(key(id)) > 0;
      ASSERT_EQ(m.Close(id).ok(), open) << "op " << op;
      if (open) {
        model.erase(key(id));
        ++closed;
      }
    } else if (kind < 70) {
      ConnectionId id = pick();
      std::string ch = "c" + std::to_string(rng() % 30);
      absl::StatusOr<SubscribeResult> r = m.Subscribe(id, ch);
      auto it = model.find(key(id));
      ASSERT_EQ(r.ok(), it != model.end());
      if (r.ok()) {
        ASSERT_EQ(*r, it->second.channels.insert(ch).second
                          ? SubscribeResult::kSubscribed
                          : SubscribeResult::kAlreadySubscribed);
      }
    } else if (kind < 95) {
      ConnectionId id = pick();
      std::string ch = "c" + std::to_string(rng() % 30);
      absl::StatusOr<UnsubscribeResult> r = m.Unsubscribe(id, ch);
      auto it = model.find(key(id));
      ASSERT_EQ(r.ok(), it != model.end());
      if (r.ok()) {
        ASSERT_EQ(*r, it->second.channels.erase(ch) ? UnsubscribeResult::kUnsubscribed
                                                    : UnsubscribeResult::kNotSubscribed);
      }
    } else {
      ConnectionId id = pick();
      RoleSet roles;
      roles.Add(static_cast<RoleId>(rng() % 128));
      auto it = model.find(key(id));
      ASSERT_EQ(m.SetRoles(id, roles).ok(), it != model.end());
      if (it != model.end()) it->second.roles = roles;
    }
    if (op % 1000 == 0 || op == 29999) {
      ASSERT_EQ(m.active(), model.size());
      ASSERT_EQ(m.opened_total(), opened);
      ASSERT_EQ(m.closed_total(), closed);
      ASSERT_TRUE(m.subscriptions().CheckConsistency().ok());
      std::map<std::string, std::set<std::pair<uint32_t, uint32_t>>> expected_channels;
      for (ConnectionId id : ever) {
        auto it = model.find(key(id));
        ASSERT_EQ(m.IsOpen(id), it != model.end());
        if (it == model.end()) continue;
        absl::StatusOr<ConnectionView> v = m.Lookup(id);
        ASSERT_TRUE(v.ok());
        ASSERT_EQ(v->user, it->second.user);
        ASSERT_EQ(v->roles, it->second.roles);
        std::vector<ChannelId> chans;
        m.ChannelsOf(id, chans);
        std::set<std::string> names;
        for (ChannelId c : chans) names.insert(std::string(m.subscriptions().name(c)));
        ASSERT_EQ(names, it->second.channels);
        for (const std::string& c : names) expected_channels[c].insert(key(id));
      }
      std::map<std::string, std::set<std::pair<uint32_t, uint32_t>>> actual_channels;
      m.subscriptions().ForEachChannel(
          [&](ChannelId, std::string_view name, std::span<const ConnIndex> subs) {
            for (ConnIndex c : subs) actual_channels[std::string(name)].insert(key(m.IdAt(c)));
          });
      ASSERT_EQ(actual_channels, expected_channels);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, ConnectionManagerRandomTest,
                         ::testing::Values(7u, 99u, 0x5eed2026u));

}  // namespace
}  // namespace wsbench

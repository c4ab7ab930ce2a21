#include "wsbench/broadcaster.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "wsbench/connection_manager.h"

namespace wsbench {
namespace {

std::string Drain(ConnectionManager& m, ConnectionId id) {
  std::string out;
  m.queue(id)->DrainTo(out);
  return out;
}

// The frame a server sends for `payload` (RFC 6455 section 5.2), built by hand.
std::string ServerFrame(std::string_view payload, uint8_t opcode = 0x1) {
  std::string f;
  f.push_back(static_cast<char>(0x80 | opcode));
  const uint64_t n = payload.size();
  if (n <= 125) {
    f.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    f.push_back(static_cast<char>(126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xFF));
  } else {
    f.push_back(static_cast<char>(127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  }
  f.append(payload);
  return f;
}

class BroadcasterTest : public ::testing::Test {
 protected:
  ConnectionId Open(const std::string& user) { return *manager_.Open(user, {}); }
  ConnectionManager manager_;
};

TEST_F(BroadcasterTest, DeliversExactFramesInOrderToEverySubscriber) {
  Broadcaster b(manager_);
  ConnectionId alice = Open("alice"), bob = Open("bob"), carol = Open("carol");
  ASSERT_TRUE(manager_.Subscribe(alice, "chat").ok());
  ASSERT_TRUE(manager_.Subscribe(bob, "chat").ok());
  ASSERT_TRUE(manager_.Subscribe(carol, "other").ok());
  std::string expected;
  for (int i = 0; i < 20; ++i) {
    std::string payload = R"({"n":)" + std::to_string(i) + "}";
    absl::StatusOr<PublishResult> r = b.Publish("chat", payload);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->delivered, 2u);
    EXPECT_EQ(r->dropped, 0u);
    EXPECT_EQ(r->frame_size, payload.size() + 2);
    expected += ServerFrame(payload);
  }
  EXPECT_EQ(Drain(manager_, alice), expected);
  EXPECT_EQ(Drain(manager_, bob), expected);
  EXPECT_EQ(Drain(manager_, carol), "");
  EXPECT_EQ(b.publishes(), 20u);
  EXPECT_EQ(b.deliveries(), 40u);
  EXPECT_EQ(manager_.frame_pool().frames_in_use(), 0u);
}

TEST_F(BroadcasterTest, FrameHeaderLengthEncodings) {
  Broadcaster b(manager_);
  ConnectionId c = Open("c");
  ASSERT_TRUE(manager_.Subscribe(c, "x").ok());
  for (size_t n : {size_t{0}, size_t{125}, size_t{126}, size_t{65535}, size_t{65536},
                   size_t{70000}}) {
    std::string payload(n, 'p');
    for (size_t i = 0; i < n; ++i) payload[i] = static_cast<char>('a' + i % 26);
    manager_.queue(c)->set_byte_limit(1u << 24);
    ASSERT_TRUE(b.Publish("x", payload, Opcode::kBinary).ok());
    const std::string got = Drain(manager_, c);
    EXPECT_EQ(got, ServerFrame(payload, 0x2)) << "payload size " << n;
    const size_t header = n <= 125 ? 2 : (n <= 65535 ? 4 : 10);
    EXPECT_EQ(got.size(), n + header);
  }
  // Explicit bytes for the 16- and 64-bit forms.
  ASSERT_TRUE(b.Publish("x", std::string(126, 'z')).ok());
  std::string got = Drain(manager_, c);
  EXPECT_EQ(static_cast<uint8_t>(got[0]), 0x81);
  EXPECT_EQ(static_cast<uint8_t>(got[1]), 126);
  EXPECT_EQ(static_cast<uint8_t>(got[2]), 0x00);
  EXPECT_EQ(static_cast<uint8_t>(got[3]), 0x7E);
  ASSERT_TRUE(b.Publish("x", std::string(65536, 'z')).ok());
  got = Drain(manager_, c);
  const uint8_t want[10] = {0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(static_cast<uint8_t>(got[i]), want[i]) << i;
}

TEST_F(BroadcasterTest, ExcludeSender) {
  Broadcaster b(manager_);
  ConnectionId a = Open("a"), s = Open("s");
  ASSERT_TRUE(manager_.Subscribe(a, "ch").ok());
  ASSERT_TRUE(manager_.Subscribe(s, "ch").ok());
  absl::StatusOr<PublishResult> r = b.Publish("ch", "hi", Opcode::kText, s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->delivered, 1u);
  EXPECT_EQ(Drain(manager_, a), ServerFrame("hi"));
  EXPECT_EQ(Drain(manager_, s), "");
  // A stale exclude id excludes nobody (it cannot match a live subscriber).
  ConnectionId gone = Open("gone");
  ASSERT_TRUE(manager_.Close(gone).ok());
  r = b.Publish(*manager_.subscriptions().Find("ch"), "x", Opcode::kText, gone);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->delivered, 2u);
}

TEST_F(BroadcasterTest, Errors) {
  Broadcaster b(manager_);
  ConnectionId a = Open("a");
  ASSERT_TRUE(manager_.Subscribe(a, "ch").ok());
  ChannelId ch = *manager_.subscriptions().Find("ch");
  EXPECT_EQ(b.Publish(ch, "x", Opcode::kPing).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(b.Publish("ch", "x", Opcode::kClose).status().code(),
            absl::StatusCode::kInvalidArgument);
  BroadcasterOptions small;
  small.max_payload = 4;
  Broadcaster limited(manager_, small);
  EXPECT_EQ(limited.Publish("ch", "12345").status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(manager_.Unsubscribe(a, "ch").ok());  // Drops the channel.
  EXPECT_EQ(b.Publish(ch, "x").status().code(), absl::StatusCode::kNotFound);
  // By name, a channel with no subscribers simply delivers to nobody.
  absl::StatusOr<PublishResult> r = b.Publish("ch", "x");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->delivered, 0u);
  EXPECT_EQ(manager_.frame_pool().frames_in_use(), 0u);
  EXPECT_TRUE(manager_.queue(a)->empty());
}

TEST_F(BroadcasterTest, DropPolicyCountsDrops) {
  Broadcaster b(manager_);  // kDropMessage by default.
  ConnectionId slow = Open("slow"), fast = Open("fast");
  ASSERT_TRUE(manager_.Subscribe(slow, "ch").ok());
  ASSERT_TRUE(manager_.Subscribe(fast, "ch").ok());
  manager_.queue(slow)->set_byte_limit(25);  // Two 12-byte frames fit.
  std::string slow_expected;
  for (int i = 0; i < 5; ++i) {
    std::string payload = "payload-" + std::to_string(i) + "-";  // 10 bytes.
    absl::StatusOr<PublishResult> r = b.Publish("ch", payload);
    ASSERT_TRUE(r.ok());
    if (i < 2) {
      EXPECT_EQ(r->delivered, 2u);
      slow_expected += ServerFrame(payload);
    } else {
      EXPECT_EQ(r->delivered, 1u);
      EXPECT_EQ(r->dropped, 1u);
      EXPECT_EQ(r->close_marked, 0u);
    }
  }
  EXPECT_EQ(b.dropped(), 3u);
  EXPECT_EQ(b.close_marked(), 0u);
  EXPECT_FALSE(manager_.queue(slow)->close_requested());
  EXPECT_EQ(Drain(manager_, slow), slow_expected);
  EXPECT_EQ(Drain(manager_, fast).size(), 5u * 12);
  // Once drained, the slow consumer receives again.
  ASSERT_EQ(b.Publish("ch", "again")->delivered, 2u);
  std::vector<ConnectionId> to_close;
  b.TakeConnectionsToClose(to_close);
  EXPECT_TRUE(to_close.empty());
}

TEST_F(BroadcasterTest, ClosePolicyMarksOnceAndCounts) {
  BroadcasterOptions options;
  options.overflow = OverflowPolicy::kCloseConnection;
  Broadcaster b(manager_, options);
  ConnectionId slow = Open("slow"), fast = Open("fast");
  ASSERT_TRUE(manager_.Subscribe(slow, "ch").ok());
  ASSERT_TRUE(manager_.Subscribe(fast, "ch").ok());
  manager_.queue(slow)->set_byte_limit(12);
  ASSERT_EQ(b.Publish("ch", "0123456789")->delivered, 2u);
  absl::StatusOr<PublishResult> r = b.Publish("ch", "0123456789");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->delivered, 1u);
  EXPECT_EQ(r->dropped, 1u);
  EXPECT_EQ(r->close_marked, 1u);
  EXPECT_TRUE(manager_.queue(slow)->close_requested());
  // Even after draining, a queue marked for close takes nothing more.
  manager_.queue(slow)->Consume(manager_.queue(slow)->size());
  r = b.Publish("ch", "x");
  EXPECT_EQ(r->delivered, 1u);
  EXPECT_EQ(r->dropped, 1u);
  EXPECT_EQ(r->close_marked, 0u);
  EXPECT_EQ(b.close_marked(), 1u);
  EXPECT_EQ(b.dropped(), 2u);
  std::vector<ConnectionId> to_close;
  b.TakeConnectionsToClose(to_close);
  ASSERT_EQ(to_close.size(), 1u);
  EXPECT_EQ(to_close[0], slow);
  b.TakeConnectionsToClose(to_close);
  EXPECT_TRUE(to_close.empty());
  ASSERT_TRUE(manager_.Close(slow).ok());
  EXPECT_EQ(b.Publish("ch", "y")->delivered, 1u);
}

TEST_F(BroadcasterTest, FramesComeFromThePoolAndAreReused) {
  Broadcaster b(manager_);
  std::vector<ConnectionId> subs;
  for (int i = 0; i < 50; ++i) {
    subs.push_back(Open("u" + std::to_string(i)));
    ASSERT_TRUE(manager_.Subscribe(subs.back(), "ch").ok());
  }
  auto round = [&] {
    for (int i = 0; i < 10; ++i) {
      ASSERT_EQ(b.Publish("ch", std::string(100 + i * 150, 'q'))->delivered, 50u);
    }
    for (ConnectionId id : subs) {
      manager_.queue(id)->DrainEach([](std::span<const uint8_t>) {});
    }
  };
  round();  // Warm-up: pool and rings grow.
  const uint64_t allocations = manager_.frame_pool().allocations();
  round();
  round();
  EXPECT_EQ(manager_.frame_pool().allocations(), allocations);
  EXPECT_EQ(manager_.frame_pool().acquires(), 30u);
  EXPECT_EQ(manager_.frame_pool().frames_in_use(), 0u);
}

TEST_F(BroadcasterTest, SharedFrameRefcountIsSubscriberCount) {
  Broadcaster b(manager_);
  std::vector<ConnectionId> subs;
  for (int i = 0; i < 7; ++i) {
    subs.push_back(Open("u" + std::to_string(i)));
    ASSERT_TRUE(manager_.Subscribe(subs.back(), "ch").ok());
  }
  ASSERT_TRUE(b.Publish("ch", "hello").ok());
  std::array<std::span<const uint8_t>, 1> iov;
  ASSERT_EQ(manager_.queue(subs[0])->Gather(iov), 1u);
  // Every queue points at the same bytes: encoded once.
  for (ConnectionId id : subs) {
    std::array<std::span<const uint8_t>, 1> other;
    ASSERT_EQ(manager_.queue(id)->Gather(other), 1u);
    EXPECT_EQ(other[0].data(), iov[0].data());
  }
  EXPECT_EQ(manager_.frame_pool().frames_in_use(), 1u);
  for (size_t i = 0; i + 1 < subs.size(); ++i) manager_.queue(subs[i])->Consume(1);
  EXPECT_EQ(manager_.frame_pool().frames_in_use(), 1u);
  ASSERT_TRUE(manager_.Close(subs.back()).ok());  // Close releases the last ref.
  EXPECT_EQ(manager_.frame_pool().frames_in_use(), 0u);
}

}  // namespace
}  // namespace wsbench

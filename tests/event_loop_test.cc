#include "wsbench/event_loop.h"

#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace wsbench {
namespace {

TEST(EventLoopTest, ReportsReadableDescriptorsWithTheirTokens) {
  auto loop = EventLoop::Create();
  ASSERT_TRUE(loop.ok()) << loop.status();
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  ASSERT_TRUE((*loop)->Add(sv[0], EPOLLIN, 1234).ok());
  std::vector<uint64_t> tokens;
  EXPECT_EQ(
      (*loop)->Poll(0, [&](uint64_t t, uint32_t) { tokens.push_back(t); }), 0);
  ASSERT_EQ(write(sv[1], "x", 1), 1);
  EXPECT_EQ((*loop)->Poll(5000,
                          [&](uint64_t t, uint32_t e) {
                            tokens.push_back(t);
                            EXPECT_NE(e & EPOLLIN, 0u);
                          }),
            1);
  EXPECT_EQ(tokens, std::vector<uint64_t>{1234});
  // Re-armed for writing only: the unread byte no longer reports.
  ASSERT_TRUE((*loop)->Modify(sv[0], EPOLLOUT, 99).ok());
  tokens.clear();
  (*loop)->Poll(5000, [&](uint64_t t, uint32_t e) {
    tokens.push_back(t);
    EXPECT_EQ(e & EPOLLIN, 0u);
  });
  EXPECT_EQ(tokens, std::vector<uint64_t>{99});
  (*loop)->Remove(sv[0]);
  EXPECT_EQ((*loop)->Poll(0, [](uint64_t, uint32_t) {}), 0);
  EXPECT_FALSE((*loop)->Add(-1, EPOLLIN, 1).ok());
  close(sv[0]);
  close(sv[1]);
}

TEST(EventLoopTest, WakeFromAnotherThreadEndsAPoll) {
  auto loop = EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  std::thread waker([&] { (*loop)->Wake(); });
  int wakes = 0;
  // Blocks until the wake-up arrives (-1: no timeout).
  while (wakes == 0) {
    (*loop)->Poll(-1, [&](uint64_t t, uint32_t) {
      EXPECT_EQ(t, EventLoop::kWakeToken);
      ++wakes;
    });
  }
  waker.join();
  // The wake-up was consumed: nothing is pending now.
  EXPECT_EQ((*loop)->Poll(0, [](uint64_t, uint32_t) {}), 0);
}

}  // namespace
}  // namespace wsbench

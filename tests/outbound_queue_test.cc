#include "wsbench/outbound_queue.h"

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace wsbench {
namespace {

SharedFrame* MakeFrame(FramePool& pool, std::string_view bytes) {
  SharedFrame* f = pool.Acquire(bytes.size());
  std::memcpy(f->data(), bytes.data(), bytes.size());
  return f;
}

// Pushes like the Broadcaster does: push, add a ref, drop the publisher's.
bool Push(OutboundQueue& q, SharedFrame* f) {
  bool ok = q.TryPush(f);
  if (!ok && !q.OverLimit(f)) {
    q.PushGrow(f);
    ok = true;
  }
  if (ok) f->AddRefs(1);
  return ok;
}

std::string AsString(std::span<const uint8_t> s) {
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

TEST(FramePoolTest, ReusesFramesBySizeClass) {
  FramePool pool;
  SharedFrame* a = pool.Acquire(100);
  EXPECT_EQ(a->size, 100u);
  EXPECT_EQ(a->refs, 1u);
  EXPECT_GE(a->capacity, 100u);
  EXPECT_EQ(pool.allocations(), 1u);
  EXPECT_EQ(pool.frames_in_use(), 1u);
  Unref(a);
  EXPECT_EQ(pool.frames_in_use(), 0u);
  SharedFrame* b = pool.Acquire(120);  // Same class (65..128).
  EXPECT_EQ(b, a);
  EXPECT_EQ(b->size, 120u);
  EXPECT_EQ(pool.allocations(), 1u);
  SharedFrame* c = pool.Acquire(1000);  // Another class: new allocation.
  EXPECT_NE(c, a);
  EXPECT_EQ(pool.allocations(), 2u);
  Unref(b);
  Unref(c);
  // Steady state: many acquire/release cycles allocate nothing more.
  for (int i = 0; i < 1000; ++i) Unref(pool.Acquire(50 + (i * 37) % 1900));
  const uint64_t after_warmup = pool.allocations();
  for (int i = 0; i < 1000; ++i) Unref(pool.Acquire(50 + (i * 37) % 1900));
  EXPECT_EQ(pool.allocations(), after_warmup);
  EXPECT_GT(pool.MemoryUsage(), 0u);
  pool.Trim();
  EXPECT_EQ(pool.MemoryUsage(), 0u);
}

TEST(FramePoolTest, LargeFramesAreUnpooled) {
  FramePool pool;
  SharedFrame* f = pool.Acquire(FramePool::kMaxPooled + 1);
  EXPECT_EQ(f->size_class, FramePool::kUnpooled);
  EXPECT_GT(pool.MemoryUsage(), FramePool::kMaxPooled);
  Unref(f);
  EXPECT_EQ(pool.MemoryUsage(), 0u);
}

TEST(OutboundQueueTest, DrainsExactBytesInOrder) {
  FramePool pool;
  OutboundQueue q;
  std::string expected;
  for (int i = 0; i < 100; ++i) {  // Forces several ring growths.
    std::string msg = "message-" + std::to_string(i) + std::string(i % 13, 'x');
    SharedFrame* f = MakeFrame(pool, msg);
    ASSERT_TRUE(Push(q, f));
    Unref(f);
    expected += msg;
  }
  EXPECT_EQ(q.size(), 100u);
  EXPECT_EQ(q.bytes(), expected.size());
  EXPECT_GE(q.capacity(), 100u);
  std::string out;
  EXPECT_EQ(q.DrainTo(out), 100u);
  EXPECT_EQ(out, expected);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_EQ(pool.frames_in_use(), 0u);
}

TEST(OutboundQueueTest, GatherThenConsumeAcrossWrap) {
  FramePool pool;
  OutboundQueue q;
  std::vector<std::string> sent;
  int next = 0;
  std::string received;
  std::string expected;
  // Interleave pushes and partial consumes so head/tail wrap the ring.
  for (int round = 0; round < 50; ++round) {
    for (int k = 0; k < 5; ++k) {
      std::string msg = "m" + std::to_string(next++);
      SharedFrame* f = MakeFrame(pool, msg);
      ASSERT_TRUE(Push(q, f));
      Unref(f);
      expected += msg;
    }
    std::array<std::span<const uint8_t>, 3> iov;
    const size_t n = q.Gather(iov);
    ASSERT_EQ(n, 3u);
    for (size_t i = 0; i < n; ++i) received += AsString(iov[i]);
    q.Consume(n);
  }
  q.DrainEach([&](std::span<const uint8_t> s) { received += AsString(s); });
  EXPECT_EQ(received, expected);
  EXPECT_LE(q.capacity(), 128u);  // Bounded: the ring did not grow without need.
  EXPECT_EQ(pool.frames_in_use(), 0u);
}

// DrainEach hands out the frames in order from a wrapped ring, releases each
// after its call (a frame no other queue holds is back in the pool before the
// next call), reads as empty while it runs, and leaves the queue usable.
TEST(OutboundQueueTest, DrainEachReleasesInOrderFromWrappedRing) {
  FramePool pool;
  OutboundQueue q;
  int next = 0;
  for (int round = 0; round < 3; ++round) {
    // 6 frames, 2 consumed: head and tail wrap the 8-slot heap ring.
    std::vector<std::string> expected;
    for (int k = 0; k < 6; ++k) {
      std::string msg = "frame-" + std::to_string(next++);
      SharedFrame* f = MakeFrame(pool, msg);
      ASSERT_TRUE(Push(q, f));
      Unref(f);
      expected.push_back(msg);
    }
    q.Consume(2);
    expected.erase(expected.begin(), expected.begin() + 2);
    std::vector<std::string> got;
    std::vector<size_t> in_use;
    const size_t n = q.DrainEach([&](std::span<const uint8_t> s) {
      got.push_back(AsString(s));
      in_use.push_back(pool.frames_in_use());
      EXPECT_TRUE(q.empty());
      EXPECT_EQ(q.bytes(), 0u);
    });
    EXPECT_EQ(n, expected.size());
    EXPECT_EQ(got, expected);
    EXPECT_EQ(in_use, (std::vector<size_t>{4, 3, 2, 1}));
    EXPECT_EQ(pool.frames_in_use(), 0u);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.DrainEach([](std::span<const uint8_t>) { FAIL(); }), 0u);
  }
  EXPECT_EQ(q.capacity(), 8u);
}

TEST(OutboundQueueTest, ByteLimitRefusesPush) {
  FramePool pool;
  OutboundQueue q(/*byte_limit=*/10);
  SharedFrame* a = MakeFrame(pool, "123456");
  SharedFrame* b = MakeFrame(pool, "12345");
  EXPECT_TRUE(Push(q, a));
  EXPECT_TRUE(q.OverLimit(b));
  EXPECT_FALSE(Push(q, b));
  EXPECT_EQ(b->refs, 1u);  // Not taken.
  SharedFrame* c = MakeFrame(pool, "1234");
  EXPECT_TRUE(Push(q, c));  // Exactly at the limit.
  EXPECT_EQ(q.bytes(), 10u);
  Unref(a);
  Unref(b);
  Unref(c);
  EXPECT_EQ(pool.frames_in_use(), 2u);  // a and c are still queued.
  q.Clear();
  EXPECT_EQ(pool.frames_in_use(), 0u);
}

TEST(OutboundQueueTest, RequestCloseRefusesEverythingUntilReset) {
  FramePool pool;
  OutboundQueue q;
  SharedFrame* f = MakeFrame(pool, "x");
  q.RequestClose();
  EXPECT_TRUE(q.close_requested());
  EXPECT_EQ(q.byte_limit(), 0u);
  q.set_byte_limit(100);  // Ignored while closing.
  EXPECT_FALSE(Push(q, f));
  q.Reset(100);
  EXPECT_FALSE(q.close_requested());
  EXPECT_TRUE(Push(q, f));
  Unref(f);
  q.Reset(100);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(pool.frames_in_use(), 0u);
}

// Closing keeps the byte count of what is queued, and no drain, consume or
// new limit reopens the queue.
TEST(OutboundQueueTest, CloseKeepsBytesAndStaysClosedThroughDrains) {
  FramePool pool;
  OutboundQueue q(/*byte_limit=*/100);
  SharedFrame* a = MakeFrame(pool, "0123456789");
  SharedFrame* b = MakeFrame(pool, "abcdef");
  ASSERT_TRUE(Push(q, a));
  ASSERT_TRUE(Push(q, b));
  q.RequestClose();
  q.RequestClose();  // Idempotent.
  EXPECT_TRUE(q.close_requested());
  EXPECT_EQ(q.bytes(), 16u);
  EXPECT_EQ(q.byte_limit(), 0u);
  EXPECT_TRUE(q.OverLimit(b));
  q.Consume(1);
  EXPECT_EQ(q.bytes(), 6u);
  EXPECT_TRUE(q.close_requested());
  EXPECT_FALSE(Push(q, a));
  std::string out;
  EXPECT_EQ(q.DrainTo(out), 1u);
  EXPECT_EQ(out, "abcdef");
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_TRUE(q.close_requested());
  EXPECT_EQ(q.byte_limit(), 0u);
  EXPECT_FALSE(Push(q, a));
  q.set_byte_limit(1000);
  EXPECT_FALSE(Push(q, a));
  Unref(a);
  Unref(b);
  EXPECT_EQ(pool.frames_in_use(), 0u);
}

// A push past the limit (PushGrow: a frame that must not be dropped) leaves
// the queue over its limit: bytes() counts it, TryPush refuses until enough
// is consumed, and a drain brings the whole limit back.
TEST(OutboundQueueTest, PushPastTheLimitRefusesUntilConsumed) {
  FramePool pool;
  OutboundQueue q(/*byte_limit=*/8);
  SharedFrame* a = MakeFrame(pool, "0123456789");  // 10 bytes > limit.
  SharedFrame* b = MakeFrame(pool, "xy");
  EXPECT_FALSE(q.TryPush(a));
  EXPECT_TRUE(q.OverLimit(a));
  q.PushGrow(a);
  a->AddRefs(1);
  EXPECT_EQ(q.bytes(), 10u);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_FALSE(q.TryPush(b));
  EXPECT_TRUE(q.OverLimit(b));
  q.Consume(1);
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_TRUE(q.TryPush(b));
  b->AddRefs(1);
  q.set_byte_limit(1);  // Below what is queued: refuses, counts stay right.
  EXPECT_EQ(q.bytes(), 2u);
  EXPECT_EQ(q.byte_limit(), 1u);
  EXPECT_TRUE(q.OverLimit(b));
  q.set_byte_limit(6);
  std::string out;
  EXPECT_EQ(q.DrainTo(out), 1u);
  EXPECT_EQ(out, "xy");
  EXPECT_EQ(q.bytes(), 0u);
  // Exactly the limit fits again after the drain.
  SharedFrame* c = MakeFrame(pool, "abcdef");
  EXPECT_TRUE(q.TryPush(c));
  c->AddRefs(1);
  EXPECT_EQ(q.bytes(), 6u);
  Unref(a);
  Unref(b);
  Unref(c);
  q.Clear();
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_EQ(pool.frames_in_use(), 0u);
}

// A moved-from queue is empty and usable; the target holds the frames in
// order (inline ring and heap ring alike).
TEST(OutboundQueueTest, MoveKeepsFramesCountsAndLimit) {
  FramePool pool;
  for (const int frames : {3, 11}) {
    OutboundQueue q(/*byte_limit=*/1000);
    std::vector<SharedFrame*> fs;
    for (int i = 0; i < frames; ++i) {
      fs.push_back(MakeFrame(pool, std::string(1, char('a' + i))));
      ASSERT_TRUE(Push(q, fs.back()));
      Unref(fs.back());
    }
    OutboundQueue moved(std::move(q));
    EXPECT_EQ(moved.size(), uint32_t(frames));
    EXPECT_EQ(moved.bytes(), uint32_t(frames));
    EXPECT_EQ(moved.byte_limit(), 1000u);
    EXPECT_TRUE(q.empty());  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(q.bytes(), 0u);
    SharedFrame* x = MakeFrame(pool, "x");
    EXPECT_TRUE(Push(q, x));
    Unref(x);
    std::string out;
    moved.DrainTo(out);
    EXPECT_EQ(out, std::string("abcdefghijk").substr(0, frames));
    q.Clear();
  }
  EXPECT_EQ(pool.frames_in_use(), 0u);
}

TEST(OutboundQueueTest, SharedFrameFreedAfterLastQueue) {
  FramePool pool;
  OutboundQueue q1, q2;
  SharedFrame* f = MakeFrame(pool, "shared");
  ASSERT_TRUE(Push(q1, f));
  ASSERT_TRUE(Push(q2, f));
  Unref(f);
  EXPECT_EQ(f->refs, 2u);
  std::string out;
  q1.DrainTo(out);
  EXPECT_EQ(pool.frames_in_use(), 1u);
  q2.DrainTo(out);
  EXPECT_EQ(out, "sharedshared");
  EXPECT_EQ(pool.frames_in_use(), 0u);
}

TEST(OutboundQueueTest, MoveTransfersFramesInlineAndOnTheHeap) {
  FramePool pool;
  for (int frames : {1, 4, 5, 40}) {  // Inline ring (<= 4) and heap ring.
    OutboundQueue a;
    std::string expected;
    for (int i = 0; i < frames; ++i) {
      SharedFrame* f = MakeFrame(pool, "f" + std::to_string(i));
      ASSERT_TRUE(Push(a, f));
      Unref(f);
      expected += "f" + std::to_string(i);
    }
    EXPECT_EQ(a.MemoryUsage() > 0, frames > 4) << frames;
    OutboundQueue b(std::move(a));
    EXPECT_TRUE(a.empty());
    OutboundQueue c;
    c = std::move(b);
    EXPECT_TRUE(b.empty());
    std::vector<OutboundQueue> many;
    many.push_back(std::move(c));
    many.resize(100);  // Relocation moves the queue again.
    std::string out;
    many[0].DrainTo(out);
    EXPECT_EQ(out, expected) << frames;
    EXPECT_EQ(pool.frames_in_use(), 0u);
  }
  EXPECT_EQ(sizeof(OutboundQueue), 64u);
}

}  // namespace
}  // namespace wsbench

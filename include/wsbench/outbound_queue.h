// OutboundQueue: one connection's queue of encoded server frames waiting to be
// written, holding references to immutable shared frames (SharedFrame) that a
// FramePool recycles.
//
// A published message is encoded once (RFC 6455 section 5.2 header + payload)
// into one SharedFrame; every subscriber's queue holds a pointer to it and the
// frame's reference count says how many queues still do. When the last queue
// releases it the frame returns to its pool's free list for its size class,
// so steady-state publishing allocates nothing.
//
// Queue layout (one 64-byte cache line): the ring's end and tail counters,
// the bytes still allowed under the limit, the byte limit, and a power-of-two
// ring of SharedFrame* that starts as 4 slots inside the queue itself (so a
// fan-out delivery touches one cache line per subscriber) and moves to the
// heap (cache-line aligned), doubling, when more frames are queued; a heap
// ring is kept for reuse. Push is O(1) (amortized for
// growth); draining is O(frames). The byte limit is enforced by the producer
// (Broadcaster) through TryPush: a push that would exceed it is refused and
// the producer applies its overflow policy. RequestClose() marks the queue
// for close: it then refuses every push (its limit reads 0).
//
// A consumer writes queued frames exactly as published, in order: either
// Gather() up to N spans (an iovec for writev) then Consume(n), or
// DrainEach(fn) / DrainTo(string).
//
// Thread safety: single-threaded; reference counts are not atomic.
//
//   FramePool pool;
//   OutboundQueue queue(/*byte_limit=*/1 << 20);
//   SharedFrame* f = pool.Acquire(5);  // refs == 1 (the publisher's)
//   std::memcpy(f->data(), "hello", 5);
//   if (queue.TryPush(f)) f->AddRefs(1);
//   Unref(f);                                   // publisher done
//   queue.DrainEach([&](std::span<const uint8_t> bytes) { Write(bytes); });
#ifndef WSBENCH_OUTBOUND_QUEUE_H_
#define WSBENCH_OUTBOUND_QUEUE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace wsbench {

class FramePool;

// An immutable encoded frame shared by many queues. The bytes follow the
// header in the same allocation.
struct SharedFrame {
  FramePool* pool;
  SharedFrame* next_free;  // Pool free list link while not in use.
  uint32_t refs;
  uint32_t size;        // Bytes of frame (header + payload).
  uint32_t capacity;    // Bytes available after the header.
  uint32_t size_class;  // Pool class, or FramePool::kUnpooled.

  uint8_t* data() { return reinterpret_cast<uint8_t*>(this + 1); }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(this + 1); }
  std::span<const uint8_t> bytes() const { return {data(), size}; }
  void AddRefs(uint32_t n) { refs += n; }
};

// Recycles SharedFrames by power-of-two size class (64 B .. 64 KiB); larger
// frames are allocated exactly and freed on release. Acquire/Release are O(1).
// The pool must outlive every frame it handed out (ConnectionManager owns
// one, destroyed after the queues).
class FramePool {
 public:
  static constexpr uint32_t kUnpooled = 0xFFFFFFFF;
  static constexpr int kClasses = 11;  // 64 << 0 .. 64 << 10
  static constexpr size_t kMaxPooled = size_t{64} << (kClasses - 1);

  FramePool() = default;
  FramePool(const FramePool&) = delete;
  FramePool& operator=(const FramePool&) = delete;
  ~FramePool();

  // A frame with room for `size` bytes, size set, refs == 1.
  SharedFrame* Acquire(size_t size);
  // Returns a frame whose refs reached 0 to its free list.
  void Recycle(SharedFrame* frame);

  // Frees every pooled (free) frame.
  void Trim();

  uint64_t allocations() const { return allocations_; }  // Heap allocations made.
  uint64_t acquires() const { return acquires_; }
  size_t frames_in_use() const { return in_use_; }
  size_t MemoryUsage() const { return bytes_held_; }

 private:
  std::array<SharedFrame*, kClasses> free_{};
  uint64_t allocations_ = 0;
  uint64_t acquires_ = 0;
  size_t in_use_ = 0;
  size_t bytes_held_ = 0;
};

// Drops one reference; recycles the frame when none is left.
inline void Unref(SharedFrame* frame) {
  if (--frame->refs == 0) [[unlikely]] {
    frame->pool->Recycle(frame);
  }
}

class alignas(64) OutboundQueue {
 public:
  static constexpr uint32_t kDefaultByteLimit = 1u << 20;
  static constexpr uint32_t kInlineCapacity = 4;

  explicit OutboundQueue(uint32_t byte_limit = kDefaultByteLimit)
      : room_(byte_limit), limit_(byte_limit) {}
  OutboundQueue(OutboundQueue&& other) noexcept;
  OutboundQueue& operator=(OutboundQueue&& other) noexcept;
  OutboundQueue(const OutboundQueue&) = delete;
  OutboundQueue& operator=(const OutboundQueue&) = delete;
  ~OutboundQueue();

  // Producer fast path: appends `frame` if it fits under the byte limit and
  // the ring has room. Does NOT touch frame->refs (the producer adds refs for
  // all accepted pushes at once). Returns false when it did not push.
  bool TryPush(SharedFrame* frame) { return TryPush(frame, frame->size); }
  // The same with frame->size passed in (hoisted out of a fan-out loop).
  // Two tests against fields of the queue's line: the bytes left under the
  // limit, and the ring's end (tail_ reaching end_ means full).
  bool TryPush(SharedFrame* frame, uint32_t size) {
    if (int64_t{size} > room_ || tail_ == end_) return false;
    ring_[tail_ & mask_] = frame;
    ++tail_;
    room_ -= size;
    return true;
  }
  // True when a refused TryPush was refused for the byte limit (or because
  // the queue is marked for close), false when only the ring was full.
  bool OverLimit(const SharedFrame* frame) const {
    return int64_t{frame->size} > room_;
  }
  // Grows the ring and pushes, ignoring the byte limit (slow path after
  // TryPush refused for room only, or a frame that must not be dropped).
  // Does not touch refs.
  void PushGrow(SharedFrame* frame);

  // Consumer side. Fills `out` with up to out.size() queued frames from the
  // head, in order, without removing them; returns how many.
  size_t Gather(std::span<std::span<const uint8_t>> out) const;
  // Removes the first n (<= size()) frames, releasing their references.
  void Consume(size_t n);
  // Calls fn(std::span<const uint8_t>) for each queued frame in order, then
  // releases it. Returns the number of frames drained. The queue reads as
  // empty from the first call of fn on, and fn must not push to it: the ring
  // and counters are held in registers for the loop (a frame's release
  // writes through a pointer the compiler cannot tell from the queue's
  // fields).
  template <typename Fn>
  size_t DrainEach(Fn&& fn) {
    SharedFrame* const* const ring = ring_;
    const uint32_t mask = mask_;
    const uint32_t tail = tail_;
    uint32_t head = end_ - mask - 1;
    const uint32_t n = tail - head;
    end_ = tail + mask + 1;
    room_ = EmptyRoom();
    for (; head != tail; ++head) {
      SharedFrame* f = ring[head & mask];
      fn(std::span<const uint8_t>(f->data(), f->size));
      Unref(f);
    }
    return n;
  }
  // For loops over many queues (a writer's drain): once this queue's line
  // has arrived, fetches the ring line the next drain reads first. A ring
  // grown to the heap is a second random line behind the queue's, so issuing
  // its fetch a few queues ahead overlaps the two misses. Changes nothing.
  void PrefetchHead() const {
    // (end_ - capacity) & mask_ == end_ & mask_: the head's slot.
    __builtin_prefetch(&ring_[end_ & mask_], 0, 3);
  }
  // Appends all queued bytes to `out` and empties the queue; returns frames.
  size_t DrainTo(std::string& out);
  // Releases every queued frame (on close).
  void Clear();

  // Marks the queue for close: every later push is refused.
  void RequestClose() {
    if (close_requested()) return;
    room_ -= kClosedOffset;
  }
  bool close_requested() const { return room_ < kClosedBelow; }
  // Re-arms a queue for a new connection: empty, not closing, given limit.
  void Reset(uint32_t byte_limit);

  uint32_t size() const { return tail_ - head(); }  // Frames queued.
  bool empty() const { return tail_ == head(); }
  // Bytes queued.
  uint32_t bytes() const {
    const int64_t room = close_requested() ? room_ + kClosedOffset : room_;
    return static_cast<uint32_t>(int64_t{limit_} - room);
  }
  // 0 once close requested.
  uint32_t byte_limit() const { return close_requested() ? 0 : limit_; }
  void set_byte_limit(uint32_t limit) {
    if (close_requested()) return;
    room_ += int64_t{limit} - int64_t{limit_};
    limit_ = limit;
  }
  uint32_t capacity() const { return mask_ + 1; }
  // Heap bytes held by the ring (0 while it is the inline one).
  size_t MemoryUsage() const {
    return ring_ == inline_ ? 0 : size_t{capacity()} * sizeof(SharedFrame*);
  }

 private:
  // A queue marked for close has kClosedOffset taken off its room: no frame
  // fits, and the bytes queued stay recoverable (close_requested() tests the
  // sign far below any real room).
  static constexpr int64_t kClosedOffset = int64_t{1} << 62;
  static constexpr int64_t kClosedBelow = -(int64_t{1} << 61);

  uint32_t head() const { return end_ - mask_ - 1; }
  // room_ of the queue once empty.
  int64_t EmptyRoom() const {
    return close_requested() ? int64_t{limit_} - kClosedOffset
                             : int64_t{limit_};
  }
  void AdoptFrom(OutboundQueue& other);
  // Drops the queue's reference to every queued frame; changes no field.
  void ReleaseFrames();

  SharedFrame** ring_ = inline_;  // inline_ or a heap array.
  // Bytes that may still be queued under the limit: limit_ - bytes queued
  // (negative after a PushGrow past the limit), minus kClosedOffset once
  // close is requested.
  int64_t room_;
  uint32_t mask_ = kInlineCapacity - 1;  // Capacity (a power of two) - 1.
  // Free-running counters: the head is end_ - capacity, the tail tail_;
  // a slot's index is counter & mask_. tail_ == end_ when the ring is full.
  uint32_t end_ = kInlineCapacity;
  uint32_t tail_ = 0;
  uint32_t limit_;
  SharedFrame* inline_[kInlineCapacity];
};
static_assert(sizeof(OutboundQueue) == 64, "one cache line per queue");

}  // namespace wsbench

#endif  // WSBENCH_OUTBOUND_QUEUE_H_

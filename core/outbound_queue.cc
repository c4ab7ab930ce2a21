// OutboundQueue ring buffer and the FramePool of shared frames.
#include "wsbench/outbound_queue.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <iterator>
#include <new>
#include <utility>

namespace wsbench {
namespace {

// A heap ring starts on a cache-line boundary, so a ring of 8 slots is one
// line (operator new's 16-byte alignment would split it over two lines in 3
// cases of 4: a second miss for the producer and the writer).
constexpr std::align_val_t kRingAlignment{64};

SharedFrame** NewRing(uint32_t capacity) {
  return static_cast<SharedFrame**>(
      ::operator new(size_t{capacity} * sizeof(SharedFrame*), kRingAlignment));
}

void DeleteRing(SharedFrame** ring) { ::operator delete(ring, kRingAlignment); }

// Class c holds frames of up to (64 << c) bytes.
int SizeClass(size_t size) {
  if (size <= 64) return 0;
  return std::bit_width(size - 1) - 6;
}

}  // namespace

FramePool::~FramePool() {
  Trim();
  // Frames still referenced by queues would dangle; the owner destroys the
  // queues first, so this only fires on misuse.
  assert(in_use_ == 0);
}

SharedFrame* FramePool::Acquire(size_t size) {
  ++acquires_;
  ++in_use_;
  SharedFrame* f;
  if (size <= kMaxPooled) {
    const int c = SizeClass(size);
    f = free_[c];
    if (f != nullptr) {
      free_[c] = f->next_free;
    } else {
      const size_t capacity = size_t{64} << c;
      f = static_cast<SharedFrame*>(::operator new(sizeof(SharedFrame) + capacity));
      f->pool = this;
      f->capacity = static_cast<uint32_t>(capacity);
      f->size_class = static_cast<uint32_t>(c);
      ++allocations_;
      bytes_held_ += sizeof(SharedFrame) + capacity;
    }
  } else {
    f = static_cast<SharedFrame*>(::operator new(sizeof(SharedFrame) + size));
    f->pool = this;
    f->capacity = static_cast<uint32_t>(size);
    f->size_class = kUnpooled;
    ++allocations_;
    bytes_held_ += sizeof(SharedFrame) + size;
  }
  f->next_free = nullptr;
  f->refs = 1;
  f->size = static_cast<uint32_t>(size);
  return f;
}

void FramePool::Recycle(SharedFrame* frame) {
  assert(frame->refs == 0 && frame->pool == this);
  --in_use_;
  if (frame->size_class == kUnpooled) {
    bytes_held_ -= sizeof(SharedFrame) + frame->capacity;
    ::operator delete(frame);
    return;
  }
  frame->next_free = free_[frame->size_class];
  free_[frame->size_class] = frame;
}

void FramePool::Trim() {
  for (SharedFrame*& head : free_) {
    while (head != nullptr) {
      SharedFrame* next = head->next_free;
      bytes_held_ -= sizeof(SharedFrame) + head->capacity;
      ::operator delete(head);
      head = next;
    }
  }
}

// Takes other's frames and ring; leaves other empty with its inline ring.
void OutboundQueue::AdoptFrom(OutboundQueue& other) {
  if (other.ring_ == other.inline_) {
    std::copy(std::begin(other.inline_), std::end(other.inline_), std::begin(inline_));
    ring_ = inline_;
  } else {
    ring_ = other.ring_;
  }
  mask_ = other.mask_;
  end_ = other.end_;
  tail_ = other.tail_;
  room_ = other.room_;
  limit_ = other.limit_;
  other.ring_ = other.inline_;
  other.mask_ = kInlineCapacity - 1;
  other.end_ = kInlineCapacity;
  other.tail_ = 0;
  other.room_ = other.EmptyRoom();
}

OutboundQueue::OutboundQueue(OutboundQueue&& other) noexcept { AdoptFrom(other); }

OutboundQueue& OutboundQueue::operator=(OutboundQueue&& other) noexcept {
  if (this != &other) {
    Clear();
    if (ring_ != inline_) DeleteRing(ring_);
    AdoptFrom(other);
  }
  return *this;
}

OutboundQueue::~OutboundQueue() {
  Clear();
  if (ring_ != inline_) DeleteRing(ring_);
}

void OutboundQueue::PushGrow(SharedFrame* frame) {
  if (tail_ == end_) {
    const uint32_t capacity = mask_ + 1;
    const uint32_t new_capacity = capacity * 2;
    SharedFrame** ring = NewRing(new_capacity);
    const uint32_t head = this->head();
    for (uint32_t i = 0; i < capacity; ++i) ring[i] = ring_[(head + i) & mask_];
    if (ring_ != inline_) DeleteRing(ring_);
    ring_ = ring;
    mask_ = new_capacity - 1;
    end_ = new_capacity;
    tail_ = capacity;
  }
  ring_[tail_ & mask_] = frame;
  ++tail_;
  room_ -= frame->size;
}

size_t OutboundQueue::Gather(std::span<std::span<const uint8_t>> out) const {
  const uint32_t head = this->head();
  const size_t n = std::min<size_t>(out.size(), tail_ - head);
  for (size_t i = 0; i < n; ++i) {
    const SharedFrame* f = ring_[(head + i) & mask_];
    out[i] = std::span<const uint8_t>(f->data(), f->size);
  }
  return n;
}

void OutboundQueue::Consume(size_t n) {
  assert(n <= size());
  for (size_t i = 0; i < n; ++i, ++end_) {
    SharedFrame* f = ring_[end_ & mask_];  // The head's slot.
    room_ += f->size;
    Unref(f);
  }
}

size_t OutboundQueue::DrainTo(std::string& out) {
  out.reserve(out.size() + bytes());
  return DrainEach([&out](std::span<const uint8_t> bytes) {
    out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  });
}

void OutboundQueue::ReleaseFrames() {
  SharedFrame* const* const ring = ring_;
  const uint32_t mask = mask_;
  const uint32_t tail = tail_;
  for (uint32_t head = end_ - mask - 1; head != tail; ++head) {
    Unref(ring[head & mask]);
  }
}

void OutboundQueue::Clear() {
  if (empty()) return;  // Its counters and room already read empty.
  ReleaseFrames();
  end_ = tail_ + mask_ + 1;
  room_ = EmptyRoom();
}

void OutboundQueue::Reset(uint32_t byte_limit) {
  if (!empty()) ReleaseFrames();
  end_ = mask_ + 1;
  tail_ = 0;
  limit_ = byte_limit;
  room_ = byte_limit;
}

}  // namespace wsbench

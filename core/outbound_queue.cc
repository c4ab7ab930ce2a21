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
  capacity_ = other.capacity_;
  head_ = other.head_;
  tail_ = other.tail_;
  bytes_ = other.bytes_;
  limit_ = other.limit_;
  flags_ = other.flags_;
  other.ring_ = other.inline_;
  other.capacity_ = kInlineCapacity;
  other.head_ = other.tail_ = other.bytes_ = 0;
}

OutboundQueue::OutboundQueue(OutboundQueue&& other) noexcept { AdoptFrom(other); }

OutboundQueue& OutboundQueue::operator=(OutboundQueue&& other) noexcept {
  if (this != &other) {
    Clear();
    if (ring_ != inline_) delete[] ring_;
    AdoptFrom(other);
  }
  return *this;
}

OutboundQueue::~OutboundQueue() {
  Clear();
  if (ring_ != inline_) delete[] ring_;
}

void OutboundQueue::PushGrow(SharedFrame* frame) {
  if (tail_ - head_ == capacity_) {
    const uint32_t new_capacity = capacity_ * 2;
    auto** ring = new SharedFrame*[new_capacity];
    const uint32_t n = tail_ - head_;
    for (uint32_t i = 0; i < n; ++i) ring[i] = ring_[(head_ + i) & (capacity_ - 1)];
    if (ring_ != inline_) delete[] ring_;
    ring_ = ring;
    capacity_ = new_capacity;
    head_ = 0;
    tail_ = n;
  }
  ring_[tail_ & (capacity_ - 1)] = frame;
  ++tail_;
  bytes_ += frame->size;
}

size_t OutboundQueue::Gather(std::span<std::span<const uint8_t>> out) const {
  const size_t n = std::min<size_t>(out.size(), tail_ - head_);
  for (size_t i = 0; i < n; ++i) {
    const SharedFrame* f = ring_[(head_ + i) & (capacity_ - 1)];
    out[i] = std::span<const uint8_t>(f->data(), f->size);
  }
  return n;
}

void OutboundQueue::Consume(size_t n) {
  assert(n <= size());
  for (size_t i = 0; i < n; ++i, ++head_) {
    SharedFrame* f = ring_[head_ & (capacity_ - 1)];
    bytes_ -= f->size;
    Unref(f);
  }
}

size_t OutboundQueue::DrainTo(std::string& out) {
  out.reserve(out.size() + bytes_);
  return DrainEach([&out](std::span<const uint8_t> bytes) {
    out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  });
}

void OutboundQueue::Clear() {
  for (; head_ != tail_; ++head_) Unref(ring_[head_ & (capacity_ - 1)]);
  bytes_ = 0;
}

void OutboundQueue::Reset(uint32_t byte_limit) {
  Clear();
  head_ = tail_ = 0;
  limit_ = byte_limit;
  flags_ = 0;
}

}  // namespace wsbench

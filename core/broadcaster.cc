// Broadcaster: encode once, fan a pointer out to every subscriber's queue.
#include "wsbench/broadcaster.h"

#include <array>
#include <cstring>

#include <fmt/format.h>

namespace wsbench {

Broadcaster::Broadcaster(ConnectionManager& manager, BroadcasterOptions options)
    : manager_(manager), options_(options) {}

absl::StatusOr<PublishResult> Broadcaster::Publish(ChannelId channel,
                                                   std::string_view payload, Opcode opcode,
                                                   ConnectionId exclude) {
  const SubscriptionTable& table = manager_.subscriptions();
  if (!table.IsLive(channel)) {
    return absl::NotFoundError(fmt::format(
        "cannot publish: channel id {}/{} is not live (dropped or never interned)",
        channel.index, channel.generation));
  }
  return PublishTo(channel.index, table.subscribers(channel), payload, opcode, exclude);
}

absl::StatusOr<PublishResult> Broadcaster::Publish(std::string_view channel,
                                                   std::string_view payload, Opcode opcode,
                                                   ConnectionId exclude) {
  const SubscriptionTable& table = manager_.subscriptions();
  const std::optional<ChannelId> id = table.Find(channel);
  if (!id) return PublishTo(0, {}, payload, opcode, exclude);
  return PublishTo(id->index, table.subscribers(*id), payload, opcode, exclude);
}

absl::StatusOr<PublishResult> Broadcaster::PublishTo(uint32_t /*channel_index*/,
                                                     std::span<const ConnIndex> subscribers,
                                                     std::string_view payload, Opcode opcode,
                                                     ConnectionId exclude) {
  if (opcode != Opcode::kText && opcode != Opcode::kBinary) {
    return absl::InvalidArgumentError(fmt::format(
        "cannot publish with opcode {:#x}: only text (0x1) and binary (0x2) data frames",
        static_cast<int>(opcode)));
  }
  if (payload.size() > options_.max_payload) {
    return absl::InvalidArgumentError(
        fmt::format("cannot publish a payload of {} bytes: the limit is {} bytes",
                    payload.size(), options_.max_payload));
  }
  // Encode once: RFC 6455 section 5.2 header (FIN, unmasked: section 5.1
  // forbids masking server frames) followed by the payload.
  std::array<uint8_t, kMaxFrameHeaderSize> header;
  const size_t header_size = EncodeFrameHeader(
      FrameHeader{.opcode = opcode, .fin = true, .payload_size = payload.size()}, header);
  const size_t frame_size = header_size + payload.size();
  SharedFrame* frame = manager_.frame_pool().Acquire(frame_size);
  std::memcpy(frame->data(), header.data(), header_size);
  if (!payload.empty()) std::memcpy(frame->data() + header_size, payload.data(), payload.size());

  PublishResult result;
  result.frame_size = static_cast<uint32_t>(frame_size);
  // A stale or absent exclude never equals a subscriber index.
  const ConnIndex skip = manager_.IsOpen(exclude) ? exclude.index
                                                  : std::numeric_limits<ConnIndex>::max();
  OutboundQueue* queues = manager_.queues_by_index().data();
  const uint32_t size = frame->size;
  // Nothing is counted per delivery: the frame went to every subscriber but
  // the excluded one and those refused (SlowPush counts those in dropped).
  uint32_t skipped = 0;
  const auto deliver = [&](ConnIndex conn) {
    if (conn == skip) [[unlikely]] {
      ++skipped;
      return;
    }
    OutboundQueue& queue = queues[conn];
    if (!queue.TryPush(frame, size)) [[unlikely]] {
      SlowPush(queue, conn, frame, result);
    }
  };
  // Subscribers' queues are scattered over the slot array (one 64-byte line
  // each), so at large fan-outs every delivery is a cache miss; prefetching
  // the queue kPrefetchDistance subscribers ahead overlaps those misses
  // instead of paying them one after another. The loop is split so that the
  // main part carries no bounds check for the prefetch.
  constexpr size_t kPrefetchDistance = 12;
  const ConnIndex* subs = subscribers.data();
  const size_t n = subscribers.size();
  const size_t ahead = n > kPrefetchDistance ? kPrefetchDistance : n;
  for (size_t i = 0; i < ahead; ++i) __builtin_prefetch(&queues[subs[i]], 1, 3);
  size_t i = 0;
  for (; i + kPrefetchDistance < n; ++i) {
    __builtin_prefetch(&queues[subs[i + kPrefetchDistance]], 1, 3);
    deliver(subs[i]);
  }
  for (; i < n; ++i) deliver(subs[i]);
  const uint32_t delivered =
      static_cast<uint32_t>(n) - skipped - result.dropped;
  // One reference per queue that took the frame, added at once; then drop
  // the publisher's own reference (frees the frame if nobody took it).
  frame->AddRefs(delivered);
  Unref(frame);

  result.delivered = delivered;
  ++publishes_;
  deliveries_ += delivered;
  dropped_ += result.dropped;
  close_marked_ += result.close_marked;
  bytes_encoded_ += frame_size;
  return result;
}

bool Broadcaster::SlowPush(OutboundQueue& queue, ConnIndex conn, SharedFrame* frame,
                           PublishResult& result) {
  if (!queue.OverLimit(frame)) {
    queue.PushGrow(frame);  // Only the ring was full.
    return true;
  }
  ++result.dropped;
  if (options_.overflow == OverflowPolicy::kCloseConnection && !queue.close_requested()) {
    queue.RequestClose();
    ++result.close_marked;
    to_close_.push_back(manager_.IdAt(conn));
  }
  return false;
}

void Broadcaster::TakeConnectionsToClose(std::vector<ConnectionId>& out) {
  out.clear();
  out.swap(to_close_);
}

}  // namespace wsbench

// Broadcaster: publish one message to every subscriber of a channel.
//
// Publish encodes the server frame once (RFC 6455 section 5.2: FIN, text or
// binary opcode, 7/16/64-bit length, unmasked, as servers send per section
// 5.1) into a SharedFrame from the manager's FramePool, then walks the
// channel's contiguous subscriber array and appends the frame pointer to each
// subscriber's OutboundQueue (a ring-buffer store; no allocation, no refcount
// traffic per delivery: the frame's count is raised once by the number of
// queues that took it). Cost: O(payload) to encode + O(subscribers).
//
// Slow consumers: a queue whose byte limit would be exceeded gets the
// configured OverflowPolicy:
//   kDropMessage      the message is not queued for that subscriber (counted
//                     in dropped());
//   kCloseConnection  the queue is marked for close (RequestClose: it refuses
//                     all later pushes), the connection is listed for
//                     TakeConnectionsToClose(), and the message is dropped;
//                     counted in close_marked() (once per connection) and in
//                     dropped().
// Nothing is ever dropped silently.
//
// The Broadcaster keeps a reference to the ConnectionManager, which must
// outlive it. Thread safety: single-threaded (thread-compatible).
//
//   ConnectionManager manager;
//   Broadcaster broadcaster(manager);
//   ... manager.Subscribe(alice, "chat"); manager.Subscribe(bob, "chat");
//   broadcaster.Publish("chat", R"({"text":"hi"})", Opcode::kText, alice);
//   manager.queue(bob)->DrainTo(wire);   // 2-byte header + payload
#ifndef WSBENCH_BROADCASTER_H_
#define WSBENCH_BROADCASTER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wsbench/connection_id.h"
#include "wsbench/connection_manager.h"
#include "wsbench/frame.h"
#include "wsbench/outbound_queue.h"
#include "wsbench/subscription_table.h"

namespace wsbench {

enum class OverflowPolicy : uint8_t {
  kDropMessage,
  kCloseConnection,
};

struct BroadcasterOptions {
  OverflowPolicy overflow = OverflowPolicy::kDropMessage;
  // Largest accepted payload; larger gives InvalidArgument.
  size_t max_payload = size_t{16} << 20;
};

// What one Publish did.
struct PublishResult {
  uint32_t delivered = 0;     // Queues the frame was appended to.
  uint32_t dropped = 0;       // Subscribers refused by the byte limit / closing.
  uint32_t close_marked = 0;  // Connections newly marked for close.
  uint32_t frame_size = 0;    // Bytes of the encoded frame (header + payload).
};

class Broadcaster {
 public:
  explicit Broadcaster(ConnectionManager& manager, BroadcasterOptions options = {});
  Broadcaster(const Broadcaster&) = delete;
  Broadcaster& operator=(const Broadcaster&) = delete;

  // Publishes `payload` to every subscriber of `channel` except `exclude`
  // (pass ConnectionId::Invalid() to exclude nobody). `opcode` must be kText
  // or kBinary. A live channel with no subscribers cannot exist (it is
  // dropped), so by name an unknown channel simply delivers to nobody.
  // Errors: InvalidArgument for another opcode or a payload over
  // max_payload; NotFound (by id) for a stale ChannelId.
  absl::StatusOr<PublishResult> Publish(ChannelId channel, std::string_view payload,
                                        Opcode opcode = Opcode::kText,
                                        ConnectionId exclude = ConnectionId::Invalid());
  absl::StatusOr<PublishResult> Publish(std::string_view channel, std::string_view payload,
                                        Opcode opcode = Opcode::kText,
                                        ConnectionId exclude = ConnectionId::Invalid());

  // Connections marked for close since the last call (the server closes
  // them); moves them into `out` (cleared first).
  void TakeConnectionsToClose(std::vector<ConnectionId>& out);

  // Counters since construction.
  uint64_t publishes() const { return publishes_; }
  uint64_t deliveries() const { return deliveries_; }
  uint64_t dropped() const { return dropped_; }
  uint64_t close_marked() const { return close_marked_; }
  uint64_t bytes_encoded() const { return bytes_encoded_; }

  const BroadcasterOptions& options() const { return options_; }
  void set_overflow_policy(OverflowPolicy policy) { options_.overflow = policy; }

 private:
  absl::StatusOr<PublishResult> PublishTo(uint32_t channel_index,
                                          std::span<const ConnIndex> subscribers,
                                          std::string_view payload, Opcode opcode,
                                          ConnectionId exclude);
  // Handles a refused push; returns true if the frame was queued after all.
  bool SlowPush(OutboundQueue& queue, ConnIndex conn, SharedFrame* frame,
                PublishResult& result);

  ConnectionManager& manager_;
  BroadcasterOptions options_;
  std::vector<ConnectionId> to_close_;
  uint64_t publishes_ = 0;
  uint64_t deliveries_ = 0;
  uint64_t dropped_ = 0;
  uint64_t close_marked_ = 0;
  uint64_t bytes_encoded_ = 0;
};

}  // namespace wsbench

#endif  // WSBENCH_BROADCASTER_H_

// ConnectionManager: the server's table of open connections, their
// per-connection state (user, roles, subscriptions, outbound queue) and the
// gauges a server exports.
//
// Layout (struct of arrays indexed by slot, see ConnectionId):
//   generations_  uint32 per slot, dense: every id check reads only this
//   roles_        RoleSet (16 bytes) per slot, dense: a permission check
//                 reads this and the generation, nothing else
//   users_        std::string (inline up to 15 bytes) read on open and lookup
//   queues_       OutboundQueue, one 64-byte line     hot for fan-out
//   subscriptions SubscriptionTable's per-connection channel list
// plus the set of closed slots. Open takes the LOWEST free slot (or appends
// one), as a kernel hands out the lowest free file descriptor: live slots stay
// packed at the front of the arrays and a wave of opens walks them in order
// (cache- and prefetch-friendly at 100K connections) instead of revisiting
// slots in the random order their connections closed. The free set is a
// two-level bitmap (64 x 64 slots per summary word, plus a scan hint), so
// taking and returning a slot is O(1) but for a rare summary scan. Close
// releases the queue, removes the subscriptions, bumps the generation and
// pushes the slot back: both O(1) (Close is O(k) in the connection's k
// subscriptions) and allocation-free once the arrays have grown (call Reserve()
// to pre-size; a reused slot reuses its user buffer). The manager owns the
// SubscriptionTable and the FramePool whose frames the queues reference (the
// pool is destroyed after the queues).
//
// Thread safety: single-threaded (thread-compatible); no internal locking.
//
//   ConnectionManager manager;
//   absl::StatusOr<ConnectionId> id = manager.Open("alice", roles);
//   manager.Subscribe(*id, "orders.eu");
//   manager.Close(*id);              // drops alice's subscriptions too
//   manager.Close(*id);              // NotFound: stale id
#ifndef WSBENCH_CONNECTION_MANAGER_H_
#define WSBENCH_CONNECTION_MANAGER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wsbench/connection_id.h"
#include "wsbench/outbound_queue.h"
#include "wsbench/role_set.h"
#include "wsbench/subscription_table.h"

namespace wsbench {

struct ConnectionManagerOptions {
  // Most connections open at once (0 = no limit below 2^32 - 1); Open beyond
  // it gives ResourceExhausted.
  uint32_t max_connections = 0;
  // Longest accepted user name in bytes; longer (or empty) gives InvalidArgument.
  size_t max_user_size = 256;
  // Byte limit of each new connection's outbound queue.
  uint32_t queue_byte_limit = OutboundQueue::kDefaultByteLimit;
  SubscriptionTableOptions subscriptions;
};

// A read-only view of one open connection; valid until the next mutation.
struct ConnectionView {
  ConnectionId id;
  std::string_view user;
  RoleSet roles;
  size_t channel_count;
  const OutboundQueue* queue;
};

class ConnectionManager {
 public:
  explicit ConnectionManager(ConnectionManagerOptions options = {});
  ConnectionManager(const ConnectionManager&) = delete;
  ConnectionManager& operator=(const ConnectionManager&) = delete;
  ~ConnectionManager();

  // Pre-sizes the slot arrays for n connections.
  void Reserve(uint32_t n);

  // Opens a connection for `user` holding `roles`.
  // Errors: InvalidArgument for an empty or too long user; ResourceExhausted
  // at max_connections.
  absl::StatusOr<ConnectionId> Open(std::string_view user, RoleSet roles);
  // Closes `id`: releases its queued frames and removes all its
  // subscriptions. Errors: NotFound for an unknown or stale (already closed)
  // id.
  absl::Status Close(ConnectionId id);

  bool IsOpen(ConnectionId id) const {
    return id.index < generations_.size() && generations_[id.index] == id.generation &&
           (id.generation & 1) != 0;
  }
  // The connection's state. Errors: NotFound for an unknown or stale id.
  absl::StatusOr<ConnectionView> Lookup(ConnectionId id) const;
  // Replaces the connection's roles (effective at once). NotFound as above.
  absl::Status SetRoles(ConnectionId id, RoleSet roles);
  // The roles of an open connection, or an empty set for a stale id.
  RoleSet roles(ConnectionId id) const {
    return IsOpen(id) ? roles_[id.index] : RoleSet();
  }
  // The connection's outbound queue, or nullptr for a stale id.
  OutboundQueue* queue(ConnectionId id) {
    return IsOpen(id) ? &queues_[id.index] : nullptr;
  }
  // The id of the connection now open in slot `index` (Invalid() if none).
  ConnectionId IdAt(ConnIndex index) const {
    if (index >= generations_.size() || (generations_[index] & 1) == 0) {
      return ConnectionId::Invalid();
    }
    return ConnectionId{index, generations_[index]};
  }

  // Subscriptions of a connection (see SubscriptionTable for results and
  // errors). All give NotFound for an unknown or stale connection id.
  absl::StatusOr<SubscribeResult> Subscribe(ConnectionId id, std::string_view channel);
  absl::StatusOr<SubscribeResult> Subscribe(ConnectionId id, ChannelId channel);
  absl::StatusOr<UnsubscribeResult> Unsubscribe(ConnectionId id, std::string_view channel);
  absl::StatusOr<UnsubscribeResult> Unsubscribe(ConnectionId id, ChannelId channel);
  // Channels `id` is subscribed to (cleared first; empty for a stale id).
  void ChannelsOf(ConnectionId id, std::vector<ChannelId>& out) const;

  const SubscriptionTable& subscriptions() const { return subscriptions_; }
  FramePool& frame_pool() { return frame_pool_; }
  // Every slot's queue by slot index, for fan-out over subscriber indices
  // (slots of closed connections hold empty, closed-for-push queues).
  std::span<OutboundQueue> queues_by_index() { return queues_; }

  // Calls fn(ConnectionId) for every open connection.
  template <typename Fn>
  void ForEachOpen(Fn&& fn) const {
    for (uint32_t i = 0; i < generations_.size(); ++i) {
      if ((generations_[i] & 1) != 0) fn(ConnectionId{i, generations_[i]});
    }
  }

  // Gauges.
  uint32_t active() const { return active_; }
  uint64_t opened_total() const { return opened_total_; }
  uint64_t closed_total() const { return closed_total_; }

  // Heap and inline bytes held by the manager: slot arrays (at capacity),
  // out-of-line user names, queue rings, the subscription table and the
  // frame pool. MemoryUsage() / active() is the per-connection overhead.
  size_t MemoryUsage() const;

 private:
  ConnectionManagerOptions options_;
  // Declared first so it is destroyed last: queues_ reference its frames.
  FramePool frame_pool_;
  std::vector<uint32_t> generations_;  // Odd while open.
  std::vector<RoleSet> roles_;
  std::vector<std::string> users_;
  std::vector<OutboundQueue> queues_;
  // Closed slots as a two-level bitmap: bit i of free_bits_ is set while
  // slot i is free; bit w of free_summary_ while free_bits_[w] != 0. Every
  // summary word below free_hint_ is zero.
  std::vector<uint64_t> free_bits_;
  std::vector<uint64_t> free_summary_;
  size_t free_hint_ = 0;
  uint32_t free_count_ = 0;
  SubscriptionTable subscriptions_;
  uint32_t active_ = 0;
  uint64_t opened_total_ = 0;
  uint64_t closed_total_ = 0;
};

}  // namespace wsbench

#endif  // WSBENCH_CONNECTION_MANAGER_H_

// ConnectionManager: generational slots, lowest free slot first.
#include "wsbench/connection_manager.h"

#include <limits>

#include <fmt/format.h>

namespace wsbench {
namespace {

absl::Status StaleId(ConnectionId id) {
  return absl::NotFoundError(fmt::format(
      "connection {}/{} is not open (unknown, closed, or its slot was reused)", id.index,
      id.generation));
}

}  // namespace

ConnectionManager::ConnectionManager(ConnectionManagerOptions options)
    : options_(options), subscriptions_(options.subscriptions) {}

ConnectionManager::~ConnectionManager() {
  // Release every queued frame while the pool is alive.
  queues_.clear();
}

void ConnectionManager::Reserve(uint32_t n) {
  generations_.reserve(n);
  roles_.reserve(n);
  users_.reserve(n);
  queues_.reserve(n);
  free_bits_.reserve((size_t{n} + 63) / 64);
  free_summary_.reserve((size_t{n} + 4095) / 4096);
  subscriptions_.ResizeConnections(n);
}

absl::StatusOr<ConnectionId> ConnectionManager::Open(std::string_view user, RoleSet roles) {
  if (user.empty()) return absl::InvalidArgumentError("user name is empty");
  if (user.size() > options_.max_user_size) {
    return absl::InvalidArgumentError(
        fmt::format("user name of {} bytes exceeds the limit of {} bytes", user.size(),
                    options_.max_user_size));
  }
  const uint32_t limit = options_.max_connections != 0
                             ? options_.max_connections
                             : std::numeric_limits<uint32_t>::max() - 1;
  if (active_ >= limit) {
    return absl::ResourceExhaustedError(
        fmt::format("cannot open a connection for '{}': {} connections are open (the limit)",
                    user, active_));
  }
  uint32_t index;
  if (free_count_ != 0) {
    size_t sw = free_hint_;
    while (free_summary_[sw] == 0) ++sw;
    free_hint_ = sw;
    const size_t w = sw * 64 + static_cast<size_t>(__builtin_ctzll(free_summary_[sw]));
    uint64_t& bits = free_bits_[w];
    index = static_cast<uint32_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(bits)));
    bits &= bits - 1;
    if (bits == 0) free_summary_[sw] &= ~(uint64_t{1} << (w & 63));
    --free_count_;
    queues_[index].Reset(options_.queue_byte_limit);
  } else {
    index = static_cast<uint32_t>(roles_.size());
    if (index % 64 == 0) {
      free_bits_.push_back(0);
      if (index % 4096 == 0) free_summary_.push_back(0);
    }
    generations_.push_back(0);
    roles_.emplace_back();
    users_.emplace_back();
    queues_.emplace_back(options_.queue_byte_limit);
    subscriptions_.ResizeConnections(index + 1);
  }
  const uint32_t generation = ++generations_[index];  // Now odd: open.
  roles_[index] = roles;
  users_[index].assign(user);  // Reuses the slot's buffer if large enough.
  ++active_;
  ++opened_total_;
  return ConnectionId{index, generation};
}

absl::Status ConnectionManager::Close(ConnectionId id) {
  if (!IsOpen(id)) return StaleId(id);
  subscriptions_.RemoveConnection(id.index);
  OutboundQueue& queue = queues_[id.index];
  queue.Clear();
  queue.RequestClose();
  ++generations_[id.index];  // Now even: closed; every copy of `id` is stale.
  const size_t w = id.index / 64;
  if (free_bits_[w] == 0) free_summary_[w / 64] |= uint64_t{1} << (w & 63);
  free_bits_[w] |= uint64_t{1} << (id.index & 63);
  if (w / 64 < free_hint_) free_hint_ = w / 64;
  ++free_count_;
  --active_;
  ++closed_total_;
  return absl::OkStatus();
}

absl::StatusOr<ConnectionView> ConnectionManager::Lookup(ConnectionId id) const {
  if (!IsOpen(id)) return StaleId(id);
  return ConnectionView{id, users_[id.index], roles_[id.index],
                        subscriptions_.channel_count_of(id.index),
                        &queues_[id.index]};
}

absl::Status ConnectionManager::SetRoles(ConnectionId id, RoleSet roles) {
  if (!IsOpen(id)) return StaleId(id);
  roles_[id.index] = roles;
  return absl::OkStatus();
}

absl::StatusOr<SubscribeResult> ConnectionManager::Subscribe(ConnectionId id,
                                                             std::string_view channel) {
  if (!IsOpen(id)) return StaleId(id);
  return subscriptions_.Subscribe(id.index, channel);
}

absl::StatusOr<SubscribeResult> ConnectionManager::Subscribe(ConnectionId id,
                                                             ChannelId channel) {
  if (!IsOpen(id)) return StaleId(id);
  return subscriptions_.Subscribe(id.index, channel);
}

absl::StatusOr<UnsubscribeResult> ConnectionManager::Unsubscribe(ConnectionId id,
                                                                 std::string_view channel) {
  if (!IsOpen(id)) return StaleId(id);
  return subscriptions_.Unsubscribe(id.index, channel);
}

absl::StatusOr<UnsubscribeResult> ConnectionManager::Unsubscribe(ConnectionId id,
                                                                 ChannelId channel) {
  if (!IsOpen(id)) return StaleId(id);
  return subscriptions_.Unsubscribe(id.index, channel);
}

void ConnectionManager::ChannelsOf(ConnectionId id, std::vector<ChannelId>& out) const {
  if (!IsOpen(id)) {
    out.clear();
    return;
  }
  subscriptions_.ChannelsOf(id.index, out);
}

size_t ConnectionManager::MemoryUsage() const {
  size_t bytes =
      sizeof(*this) + generations_.capacity() * sizeof(uint32_t) +
      roles_.capacity() * sizeof(RoleSet) +
      users_.capacity() * sizeof(std::string) +
      queues_.capacity() * sizeof(OutboundQueue) +
      (free_bits_.capacity() + free_summary_.capacity()) * sizeof(uint64_t) +
      subscriptions_.MemoryUsage() + frame_pool_.MemoryUsage();
  for (size_t i = 0; i < users_.size(); ++i) {
    if (users_[i].capacity() > 15) bytes += users_[i].capacity() + 1;
    bytes += queues_[i].MemoryUsage();
  }
  return bytes;
}

}  // namespace wsbench

// SubscriptionTable: dense two-way membership arrays with swap-remove.
#include "wsbench/subscription_table.h"

#include <cassert>
#include <cstring>

#include <fmt/format.h>

namespace wsbench {
namespace {

uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

uint32_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

uint64_t Mix(uint64_t a, uint64_t b) {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

constexpr uint64_t kK0 = 0xa0761d6478bd642full;
constexpr uint64_t kK1 = 0xe7037ed1a0b428dbull;

}  // namespace

// Inlined into every lookup (only this file calls it).
[[gnu::always_inline]] inline uint64_t SubscriptionTable::HashName(std::string_view name) {
  const char* p = name.data();
  const size_t n = name.size();
  uint64_t seed = kK0 ^ n;
  uint64_t a, b;
  if (n <= 16) {
    if (n >= 8) {
      a = Load64(p);
      b = Load64(p + n - 8);
    } else if (n >= 4) {
      a = Load32(p);
      b = Load32(p + n - 4);
    } else if (n > 0) {
      a = (uint64_t{static_cast<uint8_t>(p[0])} << 16) |
          (uint64_t{static_cast<uint8_t>(p[n >> 1])} << 8) | static_cast<uint8_t>(p[n - 1]);
      b = 0;
    } else {
      a = b = 0;
    }
  } else {
    size_t i = n;
    while (i > 16) {
      seed = Mix(Load64(p) ^ kK1, Load64(p + 8) ^ seed);
      p += 16;
      i -= 16;
    }
    a = Load64(p + i - 16);
    b = Load64(p + i - 8);
  }
  return Mix(kK1 ^ n, Mix(a ^ kK1, b ^ seed));
}

[[gnu::always_inline]] inline uint32_t SubscriptionTable::IndexFind(std::string_view name,
                                                                       uint64_t hash) const {
  if (index_.empty()) return kEmpty;
  const size_t mask = index_.size() - 1;
  const uint32_t tag = static_cast<uint32_t>(hash >> 32);
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const IndexSlot slot = index_[i];
    if (slot.channel == kEmpty) return kEmpty;
    if (slot.tag == tag) {
      const std::string& candidate = channels_[slot.channel]->name;
      if (candidate.size() == name.size() &&
          std::memcmp(candidate.data(), name.data(), name.size()) == 0) {
        return slot.channel;
      }
    }
  }
}

void SubscriptionTable::IndexGrow() {
  std::vector<IndexSlot> old = std::move(index_);
  index_.assign(old.empty() ? 64 : old.size() * 2, IndexSlot{0, kEmpty});
  const size_t mask = index_.size() - 1;
  for (const IndexSlot slot : old) {
    if (slot.channel == kEmpty) continue;
    const uint64_t hash = HashName(channels_[slot.channel]->name);
    size_t i = hash & mask;
    while (index_[i].channel != kEmpty) i = (i + 1) & mask;
    index_[i] = slot;
  }
}

void SubscriptionTable::IndexInsert(uint64_t hash, uint32_t channel) {
  if ((index_used_ + 1) * 2 > index_.size()) IndexGrow();
  const size_t mask = index_.size() - 1;
  size_t i = hash & mask;
  while (index_[i].channel != kEmpty) i = (i + 1) & mask;
  index_[i] = IndexSlot{static_cast<uint32_t>(hash >> 32), channel};
  ++index_used_;
}

void SubscriptionTable::IndexErase(std::string_view name, uint64_t hash) {
  const uint32_t channel = IndexFind(name, hash);
  if (channel == kEmpty) return;
  const size_t mask = index_.size() - 1;
  size_t hole = hash & mask;
  while (index_[hole].channel != channel) hole = (hole + 1) & mask;
  // Backward-shift deletion: move later entries of the probe run into the
  // hole when their home slot does not lie cyclically in (hole, j].
  for (size_t j = (hole + 1) & mask;; j = (j + 1) & mask) {
    const IndexSlot slot = index_[j];
    if (slot.channel == kEmpty) break;
    const size_t home = HashName(channels_[slot.channel]->name) & mask;
    const bool home_in_range = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!home_in_range) {
      index_[hole] = slot;
      hole = j;
    }
  }
  index_[hole] = IndexSlot{0, kEmpty};
  --index_used_;
}

SubscriptionTable::SubscriptionTable(SubscriptionTableOptions options)
    : options_(options) {}

SubscriptionTable::~SubscriptionTable() = default;

void SubscriptionTable::ResizeConnections(uint32_t n) {
  if (n > connections_.size()) {
    connections_.resize(n);
    listed_.resize((size_t{n} + 63) / 64, 0);
  }
}

absl::Status SubscriptionTable::ValidateName(std::string_view name) const {
  if (name.empty()) return absl::InvalidArgumentError("channel name is empty");
  if (name.size() > options_.max_channel_name) {
    return absl::InvalidArgumentError(
        fmt::format("channel name of {} bytes exceeds the limit of {} bytes", name.size(),
                    options_.max_channel_name));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> SubscriptionTable::InternForSubscribe(std::string_view name,
                                                                uint64_t hash) {
  if (uint32_t found = IndexFind(name, hash); found != kEmpty) return found;
  if (absl::Status s = ValidateName(name); !s.ok()) return s;
  if (options_.max_channels != 0 && live_channels_ >= options_.max_channels) {
    return absl::ResourceExhaustedError(
        fmt::format("cannot create channel '{}': the table holds its limit of {} channels",
                    name, options_.max_channels));
  }
  uint32_t index;
  if (!free_channels_.empty()) {
    index = free_channels_.back();
    free_channels_.pop_back();
  } else {
    index = static_cast<uint32_t>(channels_.size());
    channels_.push_back(std::make_unique<Channel>());
  }
  Channel& c = *channels_[index];
  ++c.generation;  // Now odd: live.
  c.name.assign(name);
  IndexInsert(hash, index);
  ++live_channels_;
  ++channels_created_;
  return index;
}

void SubscriptionTable::DropChannel(uint32_t index) {
  Channel& c = *channels_[index];
  IndexErase(c.name, HashName(c.name));
  ++c.generation;  // Now even: stale.
  free_channels_.push_back(index);
  --live_channels_;
  ++channels_dropped_;
}

SubscribeResult SubscriptionTable::AddMember(ConnIndex conn, uint32_t channel) {
  ConnChannels& list = connections_[conn];
  Channel& c = *channels_[channel];
  list.push_back(Membership{channel, static_cast<uint32_t>(c.subscribers.size())});
  if (list.size() == 1) listed_[conn / 64] |= uint64_t{1} << (conn % 64);
  c.subscribers.push_back(conn);
  c.back.push_back(static_cast<uint32_t>(list.size() - 1));
  ++subscriptions_;
  return SubscribeResult::kSubscribed;
}

absl::StatusOr<SubscribeResult> SubscriptionTable::Subscribe(ConnIndex conn,
                                                             std::string_view name) {
  assert(conn < connections_.size());
  // Membership is decided before interning so that a re-subscribe by name
  // costs one hash lookup and one scan.
  const uint64_t hash = HashName(name);
  if (const uint32_t found = IndexFind(name, hash); found != kEmpty) {
    const ConnChannels& list = connections_[conn];
    for (const Membership& m : list) {
      if (m.channel == found) return SubscribeResult::kAlreadySubscribed;
    }
    if (list.size() >= options_.max_channels_per_connection) [[unlikely]] {
      return absl::ResourceExhaustedError(fmt::format(
          "connection {} is already subscribed to its limit of {} channels; cannot add '{}'",
          conn, options_.max_channels_per_connection, name));
    }
    return AddMember(conn, found);
  }
  const ConnChannels& list = connections_[conn];
  if (list.size() >= options_.max_channels_per_connection) {
    return absl::ResourceExhaustedError(fmt::format(
        "connection {} is already subscribed to its limit of {} channels; cannot add '{}'",
        conn, options_.max_channels_per_connection, name));
  }
  absl::StatusOr<uint32_t> index = InternForSubscribe(name, hash);
  if (!index.ok()) return index.status();
  return AddMember(conn, *index);
}

absl::StatusOr<SubscribeResult> SubscriptionTable::Subscribe(ConnIndex conn,
                                                             ChannelId channel) {
  assert(conn < connections_.size());
  if (!IsLive(channel)) {
    return absl::NotFoundError(fmt::format(
        "channel id {}/{} is not live (dropped or never interned)", channel.index,
        channel.generation));
  }
  const ConnChannels& list = connections_[conn];
  for (const Membership& m : list) {
    if (m.channel == channel.index) return SubscribeResult::kAlreadySubscribed;
  }
  if (list.size() >= options_.max_channels_per_connection) {
    return absl::ResourceExhaustedError(fmt::format(
        "connection {} is already subscribed to its limit of {} channels; cannot add '{}'",
        conn, options_.max_channels_per_connection, channels_[channel.index]->name));
  }
  return AddMember(conn, channel.index);
}

void SubscriptionTable::RemoveAt(ConnIndex conn, size_t conn_pos) {
  ConnChannels& list = connections_[conn];
  const Membership m = list[conn_pos];
  Channel& c = *channels_[m.channel];
  // Swap-remove from the channel's subscribers; fix the moved subscriber's
  // back-reference into its own list.
  const uint32_t last = static_cast<uint32_t>(c.subscribers.size() - 1);
  if (m.position != last) {
    const ConnIndex moved = c.subscribers[last];
    const uint32_t moved_back = c.back[last];
    c.subscribers[m.position] = moved;
    c.back[m.position] = moved_back;
    connections_[moved][moved_back].position = m.position;
  }
  c.subscribers.pop_back();
  c.back.pop_back();
  // Swap-remove from the connection's list; fix the moved channel's back-index.
  const size_t list_last = list.size() - 1;
  if (conn_pos != list_last) {
    const Membership moved = list[list_last];
    list[conn_pos] = moved;
    channels_[moved.channel]->back[moved.position] = static_cast<uint32_t>(conn_pos);
  }
  list.pop_back();
  if (list.empty()) listed_[conn / 64] &= ~(uint64_t{1} << (conn % 64));
  --subscriptions_;
  if (c.subscribers.empty()) DropChannel(m.channel);
}

bool SubscriptionTable::RemoveMember(ConnIndex conn, uint32_t channel) {
  const ConnChannels& list = connections_[conn];
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].channel == channel) {
      RemoveAt(conn, i);
      return true;
    }
  }
  return false;
}

absl::StatusOr<UnsubscribeResult> SubscriptionTable::Unsubscribe(ConnIndex conn,
                                                                 std::string_view name) {
  assert(conn < connections_.size());
  const uint32_t found = IndexFind(name, HashName(name));
  if (found == kEmpty) {
    if (absl::Status s = ValidateName(name); !s.ok()) return s;
    return UnsubscribeResult::kNotSubscribed;
  }
  return RemoveMember(conn, found) ? UnsubscribeResult::kUnsubscribed
                                        : UnsubscribeResult::kNotSubscribed;
}

UnsubscribeResult SubscriptionTable::Unsubscribe(ConnIndex conn, ChannelId channel) {
  assert(conn < connections_.size());
  if (!IsLive(channel)) return UnsubscribeResult::kNotSubscribed;
  return RemoveMember(conn, channel.index) ? UnsubscribeResult::kUnsubscribed
                                           : UnsubscribeResult::kNotSubscribed;
}

size_t SubscriptionTable::RemoveConnection(ConnIndex conn) {
  if (conn >= connections_.size() || !Listed(conn)) return 0;
  ConnChannels& list = connections_[conn];
  const size_t n = list.size();
  // Removing from the back never moves another entry of this list.
  while (!list.empty()) RemoveAt(conn, list.size() - 1);
  return n;
}

std::optional<ChannelId> SubscriptionTable::Find(std::string_view name) const {
  const uint32_t found = IndexFind(name, HashName(name));
  if (found == kEmpty) return std::nullopt;
  return ChannelId{found, channels_[found]->generation};
}

bool SubscriptionTable::IsSubscribed(ConnIndex conn, ChannelId channel) const {
  if (conn >= connections_.size() || !IsLive(channel)) return false;
  for (const Membership& m : connections_[conn]) {
    if (m.channel == channel.index) return true;
  }
  return false;
}

std::string_view SubscriptionTable::name(ChannelId channel) const {
  if (!IsLive(channel)) return {};
  return channels_[channel.index]->name;
}

void SubscriptionTable::ChannelsOf(ConnIndex conn, std::vector<ChannelId>& out) const {
  out.clear();
  if (conn >= connections_.size()) return;
  for (const Membership& m : connections_[conn]) {
    out.push_back(ChannelId{m.channel, channels_[m.channel]->generation});
  }
}

size_t SubscriptionTable::MemoryUsage() const {
  size_t bytes = channels_.capacity() * sizeof(channels_[0]) +
                 free_channels_.capacity() * sizeof(uint32_t) +
                 connections_.capacity() * sizeof(ConnChannels) +
                 index_.capacity() * sizeof(IndexSlot) +
                 listed_.capacity() * sizeof(uint64_t);
  for (const auto& c : channels_) {
    bytes += sizeof(Channel) + c->subscribers.capacity() * sizeof(ConnIndex) +
             c->back.capacity() * sizeof(uint32_t);
    if (c->name.capacity() > 15) bytes += c->name.capacity() + 1;
  }
  for (const ConnChannels& list : connections_) {
    bytes += list.heap_capacity() * sizeof(Membership);
  }
  return bytes;
}

absl::Status SubscriptionTable::CheckConsistency() const {
  size_t live = 0, subs = 0;
  for (uint32_t i = 0; i < channels_.size(); ++i) {
    const Channel& c = *channels_[i];
    const bool is_live = (c.generation & 1) != 0;
    if (!is_live) {
      if (!c.subscribers.empty()) {
        return absl::InternalError(fmt::format("dropped channel {} has subscribers", i));
      }
      continue;
    }
    ++live;
    if (c.subscribers.empty()) {
      return absl::InternalError(fmt::format("live channel '{}' is empty", c.name));
    }
    if (c.subscribers.size() != c.back.size()) {
      return absl::InternalError(fmt::format("channel '{}' arrays differ in size", c.name));
    }
    if (IndexFind(c.name, HashName(c.name)) != i) {
      return absl::InternalError(fmt::format("channel '{}' missing from name index", c.name));
    }
    for (size_t p = 0; p < c.subscribers.size(); ++p) {
      const ConnIndex conn = c.subscribers[p];
      if (conn >= connections_.size() || c.back[p] >= connections_[conn].size()) {
        return absl::InternalError(fmt::format("channel '{}' entry {} out of range", c.name, p));
      }
      const Membership& m = connections_[conn][c.back[p]];
      if (m.channel != i || m.position != p) {
        return absl::InternalError(
            fmt::format("channel '{}' entry {} back-index mismatch", c.name, p));
      }
    }
  }
  for (ConnIndex conn = 0; conn < connections_.size(); ++conn) {
    const ConnChannels& list = connections_[conn];
    subs += list.size();
    if (Listed(conn) == list.empty()) {
      return absl::InternalError(fmt::format(
          "connection {}: listed bit disagrees with its {} channels", conn,
          list.size()));
    }
    for (size_t k = 0; k < list.size(); ++k) {
      const Membership& m = list[k];
      if (m.channel >= channels_.size() || (channels_[m.channel]->generation & 1) == 0) {
        return absl::InternalError(fmt::format("connection {} lists a dead channel", conn));
      }
      const Channel& c = *channels_[m.channel];
      if (m.position >= c.subscribers.size() || c.subscribers[m.position] != conn ||
          c.back[m.position] != k) {
        return absl::InternalError(
            fmt::format("connection {} entry {} position mismatch", conn, k));
      }
      for (size_t j = 0; j < k; ++j) {
        if (list[j].channel == m.channel) {
          return absl::InternalError(fmt::format("connection {} lists a channel twice", conn));
        }
      }
    }
  }
  if (live != live_channels_ || live != index_used_) {
    return absl::InternalError(fmt::format("live channel count {} vs gauge {} vs index {}",
                                           live, live_channels_, index_used_));
  }
  if (subs != subscriptions_) {
    return absl::InternalError(
        fmt::format("subscription count {} vs gauge {}", subs, subscriptions_));
  }
  return absl::OkStatus();
}

}  // namespace wsbench

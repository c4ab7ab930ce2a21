// SubscriptionTable: who is subscribed to which channel, in both directions.
//
// Channel names are interned to ChannelIds. The table keeps
//   channel -> subscribers   a dense uint32 array of connection slot indices
//                            (the span Broadcaster fans out over), plus a
//                            parallel array of back-indices into each
//                            subscriber's own channel list;
//   connection -> channels   a dense array of {channel index, position in that
//                            channel's subscriber array}, the first 7 inline
//                            in the connection's own 64-byte entry;
//   name -> channel          an inlined open-addressing hash index (no
//                            string copies: it keys on the channels' names).
// Unsubscribe swap-removes from both arrays and fixes the two moved entries
// through the back-indices, so both sides stay dense and consistent.
//
// Complexity: Subscribe/Unsubscribe are O(1) amortized plus one scan of the
// connection's own channel list (k entries, contiguous; k <= the per
// connection limit, typically < 16) to test membership; by name they add one
// hash lookup. RemoveConnection is O(k). subscribers() is O(1).
//
// Channels: a channel exists while it has at least one subscriber. When its
// last subscriber leaves it is dropped: its name is un-interned and its slot
// recycled with a bumped generation, so a ChannelId held across the drop goes
// stale (IsLive() is false, by-id Subscribe reports NotFound, by-id
// Unsubscribe reports kNotSubscribed). Names are the stable handle: resolve a
// name again with Find() or use the by-name overloads. Slots, name buffers
// and arrays are reused, so steady-state subscribe/unsubscribe do not allocate.
//
// Connections are identified by their slot index in the ConnectionManager
// (ConnIndex); the manager validates ConnectionIds and calls in here. The
// table trusts indices below connection_capacity().
//
// Thread safety: single-threaded (thread-compatible); no internal locking.
//
//   SubscriptionTable table;
//   table.ResizeConnections(2);
//   table.Subscribe(0, "orders.eu");      // kSubscribed
//   table.Subscribe(0, "orders.eu");      // kAlreadySubscribed
//   ChannelId ch = *table.Find("orders.eu");
//   for (uint32_t conn : table.subscribers(ch)) { ... }
//   table.Unsubscribe(1, "orders.eu");    // kNotSubscribed
#ifndef WSBENCH_SUBSCRIPTION_TABLE_H_
#define WSBENCH_SUBSCRIPTION_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace wsbench {

// A connection's slot index in the ConnectionManager (ConnectionId::index).
using ConnIndex = uint32_t;

// Generational handle to an interned channel (see the file comment on drops).
struct ChannelId {
  uint32_t index = std::numeric_limits<uint32_t>::max();
  uint32_t generation = 0;

  static constexpr ChannelId Invalid() { return ChannelId{}; }
  friend constexpr bool operator==(ChannelId a, ChannelId b) = default;
  template <typename H>
  friend H AbslHashValue(H h, ChannelId id) {
    return H::combine(std::move(h), id.index, id.generation);
  }
};

enum class SubscribeResult : uint8_t {
  kSubscribed,         // Newly added.
  kAlreadySubscribed,  // Was a member; nothing changed (subscribe is idempotent).
};

enum class UnsubscribeResult : uint8_t {
  kUnsubscribed,   // Removed.
  kNotSubscribed,  // Was not a member (or the channel does not exist); no-op.
};

struct SubscriptionTableOptions {
  // Longest accepted channel name in bytes; longer gives InvalidArgument.
  size_t max_channel_name = 256;
  // Most channels one connection may join; one more gives ResourceExhausted.
  uint32_t max_channels_per_connection = 1024;
  // Most live channels in the table (0 = unlimited); ResourceExhausted.
  uint32_t max_channels = 0;
};

class SubscriptionTable {
 public:
  explicit SubscriptionTable(SubscriptionTableOptions options = {});
  SubscriptionTable(const SubscriptionTable&) = delete;
  SubscriptionTable& operator=(const SubscriptionTable&) = delete;
  ~SubscriptionTable();

  // Makes connection indices [0, n) valid. Never shrinks.
  void ResizeConnections(uint32_t n);
  uint32_t connection_capacity() const {
    return static_cast<uint32_t>(connections_.size());
  }

  // Subscribes `conn` to the channel called `name`, creating it if needed.
  // Errors: InvalidArgument for an empty or too long name; ResourceExhausted
  // when the connection or table limit is reached.
  absl::StatusOr<SubscribeResult> Subscribe(ConnIndex conn, std::string_view name);
  // Fast path for a live channel. Errors: NotFound for a stale/unknown id,
  // ResourceExhausted as above.
  absl::StatusOr<SubscribeResult> Subscribe(ConnIndex conn, ChannelId channel);

  // Unsubscribes; a non-member (or unknown channel, or stale id) gives
  // kNotSubscribed. Errors (by name only): InvalidArgument for an empty or too
  // long name. Drops the channel when its last subscriber leaves.
  absl::StatusOr<UnsubscribeResult> Unsubscribe(ConnIndex conn, std::string_view name);
  UnsubscribeResult Unsubscribe(ConnIndex conn, ChannelId channel);

  // Removes every subscription of `conn` (on close); returns how many. For a
  // connection on no channel it reads one bit of a dense bitmap, not the
  // connection's list.
  size_t RemoveConnection(ConnIndex conn);

  // The live channel called `name`, if any.
  std::optional<ChannelId> Find(std::string_view name) const;
  bool IsLive(ChannelId channel) const {
    return channel.index < channels_.size() &&
           channels_[channel.index]->generation == channel.generation &&
           (channel.generation & 1) != 0;
  }
  bool IsSubscribed(ConnIndex conn, ChannelId channel) const;

  // The subscribers of a live channel as a contiguous span of connection slot
  // indices (order unspecified; changes on unsubscribe). Empty if stale.
  // Valid until the next mutation of the table.
  std::span<const ConnIndex> subscribers(ChannelId channel) const {
    if (!IsLive(channel)) return {};
    return channels_[channel.index]->subscribers;
  }
  // The name of a live channel ("" if stale).
  std::string_view name(ChannelId channel) const;

  // Channels `conn` is subscribed to, as ChannelIds appended to `out`
  // (cleared first). Order unspecified.
  void ChannelsOf(ConnIndex conn, std::vector<ChannelId>& out) const;
  size_t channel_count_of(ConnIndex conn) const {
    return conn < connections_.size() ? connections_[conn].size() : 0;
  }

  // Calls fn(ChannelId, std::string_view name, std::span<const ConnIndex>) for
  // every live channel.
  template <typename Fn>
  void ForEachChannel(Fn&& fn) const {
    for (uint32_t i = 0; i < channels_.size(); ++i) {
      const Channel& c = *channels_[i];
      if ((c.generation & 1) == 0) continue;
      fn(ChannelId{i, c.generation}, std::string_view(c.name),
         std::span<const ConnIndex>(c.subscribers));
    }
  }

  // Gauges and counters.
  size_t channel_count() const { return live_channels_; }
  size_t subscription_count() const { return subscriptions_; }
  uint64_t channels_created() const { return channels_created_; }
  uint64_t channels_dropped() const { return channels_dropped_; }

  // Heap bytes held by the table (arrays, channel slots, names, hash index).
  size_t MemoryUsage() const;

  // Checks every internal invariant (both directions agree, back-indices,
  // counts, name index); for tests. Returns Internal on the first violation.
  absl::Status CheckConsistency() const;

 private:
  struct Channel {
    uint32_t generation = 0;  // Odd while live.
    std::string name;
    std::vector<ConnIndex> subscribers;
    std::vector<uint32_t> back;  // back[i]: position in subscribers[i]'s list.
  };
  struct Membership {
    uint32_t channel;   // Channel slot index.
    uint32_t position;  // Position in that channel's subscribers.
  };
  // A connection's memberships: up to kInline of them inside the list itself
  // (header + entries = one 64-byte line per connection, so the common case,
  // a connection on a few channels, touches no second line), more in a heap
  // array that doubles. Only what the table needs of a vector.
  class alignas(64) ConnChannels {
   public:
    static constexpr uint32_t kInline = 7;
    ConnChannels() = default;
    ConnChannels(const ConnChannels&) = delete;
    ConnChannels& operator=(const ConnChannels&) = delete;
    ConnChannels(ConnChannels&& other) noexcept
        : size_(other.size_), capacity_(other.capacity_), u_(other.u_) {
      other.size_ = 0;
      other.capacity_ = kInline;
    }
    ~ConnChannels() {
      if (capacity_ > kInline) delete[] u_.heap;
    }
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    // Heap entries held (0 while inline).
    size_t heap_capacity() const { return capacity_ > kInline ? capacity_ : 0; }
    Membership* data() { return capacity_ > kInline ? u_.heap : u_.items; }
    const Membership* data() const { return capacity_ > kInline ? u_.heap : u_.items; }
    Membership& operator[](size_t i) { return data()[i]; }
    const Membership& operator[](size_t i) const { return data()[i]; }
    Membership* begin() { return data(); }
    Membership* end() { return data() + size_; }
    const Membership* begin() const { return data(); }
    const Membership* end() const { return data() + size_; }
    void push_back(Membership m) {
      if (size_ == capacity_) [[unlikely]] Grow();
      data()[size_++] = m;
    }
    void pop_back() { --size_; }

   private:
    void Grow() {
      const uint32_t capacity = capacity_ * 2;
      Membership* heap = new Membership[capacity];
      for (uint32_t i = 0; i < size_; ++i) heap[i] = data()[i];
      if (capacity_ > kInline) delete[] u_.heap;
      u_.heap = heap;
      capacity_ = capacity;
    }
    uint32_t size_ = 0;
    uint32_t capacity_ = kInline;
    union Storage {
      Membership items[kInline];
      Membership* heap;
    } u_;
  };
  static_assert(sizeof(ConnChannels) == 64, "one cache line per connection");

  // The name index: open addressing with linear probing over slots of
  // {32-bit hash tag, channel index}, at most half full, keyed by the
  // channels' own names (no copies). The hash is inlined (a wyhash-style
  // multiply-mix over 8-byte words) so a by-name lookup is a few
  // instructions, one slot line and one name compare, with no call into a
  // shared library. Erase uses backward-shift deletion (no tombstones).
  struct IndexSlot {
    uint32_t tag;      // Upper 32 bits of the name's hash.
    uint32_t channel;  // kEmpty when the slot is free.
  };
  static constexpr uint32_t kEmpty = std::numeric_limits<uint32_t>::max();
  static uint64_t HashName(std::string_view name);
  // The channel index for `name`, or kEmpty.
  uint32_t IndexFind(std::string_view name, uint64_t hash) const;
  void IndexInsert(uint64_t hash, uint32_t channel);
  void IndexErase(std::string_view name, uint64_t hash);
  void IndexGrow();
  // Whether connection `conn` holds at least one channel (its listed_ bit).
  bool Listed(ConnIndex conn) const {
    return (listed_[conn / 64] >> (conn % 64) & 1) != 0;
  }

  absl::Status ValidateName(std::string_view name) const;
  // Returns the live channel index for `name`, creating it; or an error.
  absl::StatusOr<uint32_t> InternForSubscribe(std::string_view name, uint64_t hash);
  SubscribeResult AddMember(ConnIndex conn, uint32_t channel);
  bool RemoveMember(ConnIndex conn, uint32_t channel);
  void RemoveAt(ConnIndex conn, size_t conn_pos);
  void DropChannel(uint32_t channel);

  SubscriptionTableOptions options_;
  // Channels live in stable heap slots so the name index can key on views of
  // their names; slots are recycled through free_channels_.
  std::vector<std::unique_ptr<Channel>> channels_;
  std::vector<uint32_t> free_channels_;
  std::vector<IndexSlot> index_;  // Power-of-two size (or empty).
  size_t index_used_ = 0;
  std::vector<ConnChannels> connections_;
  // Bit c set while connection c holds at least one channel: a dense bitmap
  // (12 KiB per 100K connections) so RemoveConnection of a connection on no
  // channel, the common close, does not touch its 64-byte list line.
  std::vector<uint64_t> listed_;
  size_t live_channels_ = 0;
  size_t subscriptions_ = 0;
  uint64_t channels_created_ = 0;
  uint64_t channels_dropped_ = 0;
};

}  // namespace wsbench

#endif  // WSBENCH_SUBSCRIPTION_TABLE_H_

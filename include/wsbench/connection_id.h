// ConnectionId: a generational handle to one connection's slot in the
// ConnectionManager.
//
// Layout: {index, generation}, 8 bytes. `index` picks a slot in the manager's
// dense arrays; `generation` is the slot's generation when the connection was
// opened. A slot's generation is odd while a connection lives in it and is
// bumped on every open and close, so an id kept after Close() never matches a
// later connection that reuses the slot (until the 32-bit generation wraps,
// i.e. after 2^31 reuses of that one slot). Value type, trivially copyable,
// thread-compatible.
//
//   absl::flat_hash_set<wsbench::ConnectionId> ids;
//   ids.insert(*manager.Open("alice", roles));
#ifndef WSBENCH_CONNECTION_ID_H_
#define WSBENCH_CONNECTION_ID_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <utility>

namespace wsbench {

struct ConnectionId {
  uint32_t index = std::numeric_limits<uint32_t>::max();
  uint32_t generation = 0;

  // An id no connection ever has (generation 0 is never live: live ones are odd).
  static constexpr ConnectionId Invalid() { return ConnectionId{}; }
  constexpr bool valid() const { return (generation & 1) != 0; }

  friend constexpr bool operator==(ConnectionId a, ConnectionId b) = default;

  template <typename H>
  friend H AbslHashValue(H h, ConnectionId id) {
    return H::combine(std::move(h), id.index, id.generation);
  }
};

}  // namespace wsbench

template <>
struct std::hash<wsbench::ConnectionId> {
  size_t operator()(wsbench::ConnectionId id) const noexcept {
    return std::hash<uint64_t>{}((uint64_t{id.generation} << 32) | id.index);
  }
};

#endif  // WSBENCH_CONNECTION_ID_H_

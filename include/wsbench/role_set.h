// RoleSet: the roles a user (and so each of its connections) holds, as a
// fixed 128-bit set of RoleIds. Shared by the connection manager (which keeps
// a connection's roles) and RBAC (which answers checks for a role set).
//
// Layout: two 64-bit words; Add/Remove/Contains are O(1), copying is two
// words, no allocation. Value type, thread-compatible.
//
//   wsbench::RoleSet roles;
//   roles.Add(kViewer);
//   if (roles.Contains(kViewer)) { ... }
#ifndef WSBENCH_ROLE_SET_H_
#define WSBENCH_ROLE_SET_H_

#include <bit>
#include <cassert>
#include <cstdint>

namespace wsbench {

using RoleId = uint16_t;

class RoleSet {
 public:
  static constexpr RoleId kMaxRoles = 128;

  constexpr RoleSet() = default;

  constexpr void Add(RoleId role) {
    assert(role < kMaxRoles);
    words_[role >> 6] |= uint64_t{1} << (role & 63);
  }
  constexpr void Remove(RoleId role) {
    assert(role < kMaxRoles);
    words_[role >> 6] &= ~(uint64_t{1} << (role & 63));
  }
  constexpr bool Contains(RoleId role) const {
    return role < kMaxRoles && ((words_[role >> 6] >> (role & 63)) & 1) != 0;
  }
  constexpr bool empty() const { return (words_[0] | words_[1]) == 0; }
  constexpr int size() const {
    return std::popcount(words_[0]) + std::popcount(words_[1]);
  }
  constexpr uint64_t word(int i) const { return words_[i]; }

  // Calls fn(RoleId) for each member in increasing order.
  template <typename Fn>
  constexpr void ForEach(Fn&& fn) const {
    for (int w = 0; w < 2; ++w) {
      for (uint64_t bits = words_[w]; bits != 0; bits &= bits - 1) {
        fn(static_cast<RoleId>(w * 64 + std::countr_zero(bits)));
      }
    }
  }

  friend constexpr bool operator==(const RoleSet&, const RoleSet&) = default;

 private:
  uint64_t words_[2] = {0, 0};
};

}  // namespace wsbench

#endif  // WSBENCH_ROLE_SET_H_

// Rbac: role-based access control for channel actions.
//
// Roles (RoleId, at most RoleSet::kMaxRoles = 128) allow or deny actions
// (subscribe, publish, presence, admin) on channel patterns:
//   "orders.eu.1"   exact channel name;
//   "orders.*"      prefix: every channel that starts with "orders." (glob
//                   semantics, so "orders." itself matches too);
//   "*"             every channel.
// A '*' anywhere but at the end ("a*b", "**") is a policy error. A check asks
// whether a set of roles (a user's, or a connection's) may do an action on a
// channel: it is denied if ANY of the roles has a matching deny rule
// (explicit deny beats allow), else allowed if any role has a matching allow
// rule, else denied (no roles, unknown channel, no rule: deny by default).
//
// Data layout. The rules are the source of truth (per role, per action, a
// list of patterns). They are compiled once, lazily, on the first Check after
// a change, into:
//   - a channel table: open addressing with linear probing (at most half
//     full), 16-byte slots {hash tag, masks index, name offset, name size},
//     names back to back in one string. Exact channels are fully resolved
//     (their exact rules' roles OR those of every prefix rule matching them);
//   - a byte trie of prefixes whose nodes carry the prefix rules' masks
//     ("*" is the root), walked for channels that have no exact rule; the
//     result is memoized in the same table (bounded, see kMaxMemoChannels),
//     so a channel is resolved once, not once per check;
//   - the distinct ChannelMasks, each stored once and shared by every
//     channel that resolves to it (a handful per policy, so they stay in L1).
// ChannelMasks holds, per action, two 128-bit role masks (allow, deny). A
// check hashes the channel once (seeded 8-bytes-at-a-time hash, inline),
// probes the table, finds its masks and ANDs them with the
// RoleSet's two words: allowed = (roles & deny) == 0 && (roles & allow) != 0.
// Every policy change (role defined, rule added or removed) bumps a
// generation counter; the compiled tables record the generation they
// were built from and are rebuilt when it differs, so no stale decision
// survives a change. Memory: O(rules + exact channels + memo) with the memo
// capped at kMaxMemoChannels entries (cleared when full).
//
// Complexity: Check is O(|channel|) for the hash plus one expected-O(1) hash
// lookup; the first check of a channel without an exact rule also walks the
// trie (O(|channel|)). Changes are O(1) plus an O(rules x |pattern| + exact
// channels x |channel|) recompile on the next Check (or Compile()).
//
// Thread safety: single-threaded. Check may rebuild the compiled tables and
// fills the memo, so even concurrent Checks need external synchronization.
//
// Example:
//   wsbench::Rbac rbac;
//   WSBENCH_ASSIGN_OR_RETURN(wsbench::RoleId trader, rbac.DefineRole("trader"));
//   WSBENCH_RETURN_IF_ERROR(rbac.Allow(trader, Action::kPublish, "orders.*"));
//   WSBENCH_RETURN_IF_ERROR(rbac.Deny(trader, Action::kPublish, "orders.audit"));
//   wsbench::RoleSet roles;
//   roles.Add(trader);
//   rbac.Check(roles, Action::kPublish, "orders.eu.1");   // true
//   rbac.Check(roles, Action::kPublish, "orders.audit");  // false (deny)
//   rbac.AssignRoles("alice", roles);
//   rbac.Check("alice", Action::kPublish, "orders.eu.1"); // true
#ifndef WSBENCH_RBAC_H_
#define WSBENCH_RBAC_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wsbench/role_set.h"

namespace wsbench {

enum class Action : uint8_t { kSubscribe = 0, kPublish = 1, kPresence = 2, kAdmin = 3 };
inline constexpr int kNumActions = 4;

// "subscribe", "publish", "presence", "admin".
std::string_view ActionName(Action action);
// The action called `name` (the names above), or InvalidArgument naming it.
absl::StatusOr<Action> ParseAction(std::string_view name);

enum class Effect : uint8_t { kAllow, kDeny };

// Checks that `pattern` is an exact name, "<prefix>*" or "*": non-empty, at
// most Rbac::kMaxPatternLength bytes, '*' only as the last byte, no ASCII
// control bytes or spaces. InvalidArgument says which rule was broken and at
// which byte.
absl::Status ValidatePattern(std::string_view pattern);

// The naive meaning of a pattern (for reference evaluators and tests):
// exact equality, or prefix match for a trailing '*'.
bool PatternMatches(std::string_view pattern, std::string_view channel);

class Rbac {
 public:
  static constexpr size_t kMaxPatternLength = 256;
  static constexpr size_t kMaxRoleNameLength = 64;
  // Trie results remembered before the memo is cleared.
  static constexpr size_t kMaxMemoChannels = 1 << 16;

  // The channel hash is seeded per instance so that clients cannot choose
  // names that collide (hash flooding). The default seed mixes the address
  // and the clock; pass a fixed seed where runs must repeat exactly (the
  // benchmark harness, whose instruction counts are gated).
  Rbac();
  explicit Rbac(uint64_t hash_seed);
  ~Rbac();
  Rbac(Rbac&&) noexcept;
  Rbac& operator=(Rbac&&) noexcept;
  Rbac(const Rbac&) = delete;
  Rbac& operator=(const Rbac&) = delete;

  // Defines a role and returns its id (ids are dense: 0, 1, 2, ...).
  // Errors: InvalidArgument for an empty or over-long name, AlreadyExists
  // for a name already defined, ResourceExhausted past 128 roles.
  absl::StatusOr<RoleId> DefineRole(std::string_view name);
  // The id of the role called `name`, or NotFound.
  absl::StatusOr<RoleId> FindRole(std::string_view name) const;
  const std::string& role_name(RoleId role) const { return roles_[role].name; }
  int role_count() const { return static_cast<int>(roles_.size()); }

  // Adds a rule: `role` may (Allow) or may not (Deny) do `action` on the
  // channels `pattern` matches. Adding a rule twice is a no-op. Errors:
  // NotFound for an undefined role, InvalidArgument for a bad pattern.
  absl::Status Allow(RoleId role, Action action, std::string_view pattern);
  absl::Status Deny(RoleId role, Action action, std::string_view pattern);
  absl::Status AddRule(RoleId role, Effect effect, Action action,
                       std::string_view pattern);
  // Removes a rule added by Allow/Deny; NotFound when there is no such rule.
  absl::Status RemoveRule(RoleId role, Effect effect, Action action,
                          std::string_view pattern);
  // Removes every rule of `role` (the role stays defined); NotFound for an
  // undefined role.
  absl::Status ClearRole(RoleId role);

  // Adds rules from text, one per line: "<role> <allow|deny> <action>
  // <pattern>", '#' starts a comment, blank lines are skipped; roles are
  // defined on first use. On error nothing after the bad line is applied
  // and the Status names the line number and what was wrong.
  absl::Status LoadPolicy(std::string_view text);

  // Sets (replaces) the roles of `user`. Roles not defined are allowed (they
  // simply grant nothing until rules are added for them).
  void AssignRoles(std::string_view user, RoleSet roles);
  // Forgets `user`; false when the user was not known.
  bool RemoveUser(std::string_view user);
  // The roles of `user`; empty for an unknown user.
  RoleSet UserRoles(std::string_view user) const;

  // Whether `roles` (e.g. a connection's roles) may do `action` on `channel`.
  // Deny by default; explicit deny from any role beats every allow.
  bool Check(const RoleSet& roles, Action action, std::string_view channel) {
    if (compiled_generation_ != generation_) [[unlikely]] Rebuild();
    const Masks& a = Lookup(channel).action[static_cast<int>(action)];
    const uint64_t r0 = roles.word(0), r1 = roles.word(1);
    return ((r0 & a.deny[0]) | (r1 & a.deny[1])) == 0 &&
           ((r0 & a.allow[0]) | (r1 & a.allow[1])) != 0;
  }
  // Same for the roles assigned to `user` (an unknown user holds no roles,
  // so is denied).
  bool Check(std::string_view user, Action action, std::string_view channel);

  // Rebuilds the compiled tables now if a change made them stale (Check does
  // it otherwise on its first call after the change).
  void Compile();

  // Bumped by every policy change; the compiled tables are valid for one
  // value. (User role assignments are read at check time, never cached.)
  uint64_t generation() const { return generation_; }
  size_t rule_count() const;
  size_t memo_size() const { return memo_count_; }
  // Channels in the compiled table (exact + memo) and distinct mask sets.
  size_t channel_count() const { return channel_count_; }
  size_t distinct_masks() const { return masks_.size(); }

 private:
  struct Masks {
    uint64_t allow[2] = {0, 0};
    uint64_t deny[2] = {0, 0};
  };
  struct ChannelMasks {
    std::array<Masks, kNumActions> action{};
  };
  struct Role {
    std::string name;
    // rules[effect][action] -> patterns.
    std::vector<std::string> rules[2][kNumActions];
  };
  struct TrieNode;

  // Open-addressing slot of the channel table: the hash's upper 32 bits as a
  // tag, the index of the channel's masks in masks_, and the name's place in
  // keys_.
  struct Slot {
    uint32_t tag;
    uint32_t masks;  // kEmptySlot when free
    uint32_t key_offset;
    uint32_t key_size;
  };
  static constexpr uint32_t kEmptySlot = 0xffffffff;

  static uint64_t Load64(const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }
  static uint32_t Load32(const char* p) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    return w;
  }
  static uint64_t Mix(uint64_t h, uint64_t w) {
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 31);
  }
  // Eight bytes at a time with multiply-xorshift mixing (splitmix64's
  // constants), the tail read as one overlapping word; seeded per Rbac so
  // clients cannot aim collisions at the table.
  static uint64_t Hash(std::string_view s, uint64_t seed) {
    const char* p = s.data();
    const size_t n = s.size();
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
    if (n >= 8) {
      size_t i = 0;
      for (; i + 8 < n; i += 8) h = Mix(h, Load64(p + i));
      h = Mix(h, Load64(p + n - 8));
    } else if (n >= 4) {
      h = Mix(h, (uint64_t{Load32(p)} << 32) | Load32(p + n - 4));
    } else if (n > 0) {
      h = Mix(h, (uint64_t{static_cast<unsigned char>(p[0])} << 16) |
                     (uint64_t{static_cast<unsigned char>(p[n / 2])} << 8) |
                     static_cast<unsigned char>(p[n - 1]));
    }
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 29);
  }
  static bool SameBytes(const char* a, const char* b, size_t n) {
    if (n >= 8) {
      for (size_t i = 0; i + 8 < n; i += 8) {
        if (Load64(a + i) != Load64(b + i)) return false;
      }
      return Load64(a + n - 8) == Load64(b + n - 8);
    }
    if (n >= 4) {
      return Load32(a) == Load32(b) && Load32(a + n - 4) == Load32(b + n - 4);
    }
    for (size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }

  const ChannelMasks& Lookup(std::string_view channel) {
    const uint64_t h = Hash(channel, hash_seed_);
    const uint32_t tag = static_cast<uint32_t>(h >> 32);
    for (size_t i = h & slot_mask_;; i = (i + 1) & slot_mask_) {
      const Slot& s = slots_[i];
      if (s.masks == kEmptySlot) return ResolveSlow(channel, h);
      if (s.tag == tag && s.key_size == channel.size() &&
          SameBytes(keys_.data() + s.key_offset, channel.data(),
                    channel.size())) {
        return masks_[s.masks];
      }
    }
  }
  const ChannelMasks& ResolveSlow(std::string_view channel, uint64_t hash);
  // Adds `channel` (not present) pointing at masks_[masks].
  void InsertSlot(std::string_view channel, uint64_t hash, uint32_t masks);
  // The slot of `channel`, or nullptr.
  Slot* FindSlot(std::string_view channel);
  // The index of `masks` in masks_ (added when new).
  uint32_t InternMasks(const ChannelMasks& masks);
  void Rebuild();
  ChannelMasks WalkTrie(std::string_view channel) const;

  std::vector<Role> roles_;
  absl::flat_hash_map<std::string, RoleId> role_ids_;
  absl::flat_hash_map<std::string, RoleSet> users_;
  uint64_t generation_ = 1;

  // Compiled state (valid when compiled_generation_ == generation_).
  uint64_t compiled_generation_ = 0;
  // Channel table (exact channels, then memoized trie results): slots_
  // (power of two, at most half full, linear probing) -> masks_, which holds
  // each distinct ChannelMasks once (channels under the same rules share
  // one, so the masks stay in L1 however many channels there are).
  std::vector<Slot> slots_;
  size_t slot_mask_ = 0;
  size_t channel_count_ = 0;
  std::string keys_;                 // channel names, back to back
  std::vector<ChannelMasks> masks_;  // distinct per-action masks
  absl::flat_hash_map<std::string, uint32_t> masks_ids_;  // bytes -> index
  uint64_t hash_seed_;
  size_t exact_count_ = 0;
  size_t memo_count_ = 0;
  std::vector<TrieNode> trie_;  // trie_[0] is the root ("*")
  bool trie_has_rules_ = false;
  ChannelMasks no_rules_{};  // all zero: deny
  ChannelMasks scratch_{};   // result for channels too long to memoize
};

}  // namespace wsbench

#endif  // WSBENCH_RBAC_H_

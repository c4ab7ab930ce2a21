#include "wsbench/rbac.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/string_view.h"
#include "fmt/format.h"

namespace wsbench {
namespace {

constexpr std::string_view kActionNames[kNumActions] = {"subscribe", "publish",
                                                         "presence", "admin"};

absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// Splits `line` at ASCII whitespace.
std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

}  // namespace

std::string_view ActionName(Action action) {
  return kActionNames[static_cast<int>(action)];
}

absl::StatusOr<Action> ParseAction(std::string_view name) {
  for (int i = 0; i < kNumActions; ++i) {
    if (kActionNames[i] == name) return static_cast<Action>(i);
  }
  return absl::InvalidArgumentError(fmt::format(
      "unknown action '{}' (valid: subscribe, publish, presence, admin)",
      name));
}

absl::Status ValidatePattern(std::string_view pattern) {
  if (pattern.empty()) {
    return absl::InvalidArgumentError("empty channel pattern");
  }
  if (pattern.size() > Rbac::kMaxPatternLength) {
    return absl::InvalidArgumentError(
        fmt::format("channel pattern of {} bytes exceeds the limit of {}",
                    pattern.size(), Rbac::kMaxPatternLength));
  }
  for (size_t i = 0; i < pattern.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(pattern[i]);
    if (c == '*' && i + 1 != pattern.size()) {
      return absl::InvalidArgumentError(fmt::format(
          "bad channel pattern '{}': '*' at byte {} is not the last byte "
          "(only exact names, '<prefix>*' and '*' are supported)",
          pattern, i));
    }
    if (c <= 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(fmt::format(
          "bad channel pattern '{}': control byte or space 0x{:02x} at byte {}",
          pattern, c, i));
    }
  }
  return absl::OkStatus();
}

bool PatternMatches(std::string_view pattern, std::string_view channel) {
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return channel.substr(0, pattern.size()) == pattern;
  }
  return pattern == channel;
}

// A trie node: the masks of the prefix rules whose prefix ends here, and the
// children sorted by byte (policies have few distinct prefixes, so a sorted
// vector beats a 256-way table in memory and is fast enough for the
// memoized slow path).
struct Rbac::TrieNode {
  ChannelMasks masks;
  bool has_rules = false;
  std::vector<std::pair<unsigned char, uint32_t>> children;
};

Rbac::Rbac()
    : hash_seed_(0x243f6a8885a308d3ULL ^
                 static_cast<uint64_t>(reinterpret_cast<uintptr_t>(this)) ^
                 static_cast<uint64_t>(
                     std::chrono::steady_clock::now().time_since_epoch().count())) {}
Rbac::Rbac(uint64_t hash_seed) : hash_seed_(hash_seed) {}
Rbac::~Rbac() = default;
Rbac::Rbac(Rbac&&) noexcept = default;
Rbac& Rbac::operator=(Rbac&&) noexcept = default;

absl::StatusOr<RoleId> Rbac::DefineRole(std::string_view name) {
  if (name.empty() || name.size() > kMaxRoleNameLength) {
    return absl::InvalidArgumentError(fmt::format(
        "role name must be 1 to {} bytes, got {}", kMaxRoleNameLength,
        name.size()));
  }
  if (role_ids_.contains(ToAbsl(name))) {
    return absl::AlreadyExistsError(
        fmt::format("role '{}' is already defined", name));
  }
  if (roles_.size() >= RoleSet::kMaxRoles) {
    return absl::ResourceExhaustedError(
        fmt::format("cannot define role '{}': too many roles (limit {})", name,
                    RoleSet::kMaxRoles));
  }
  const RoleId id = static_cast<RoleId>(roles_.size());
  roles_.emplace_back();
  roles_.back().name = std::string(name);
  role_ids_.emplace(std::string(name), id);
  ++generation_;
  return id;
}

absl::StatusOr<RoleId> Rbac::FindRole(std::string_view name) const {
  auto it = role_ids_.find(ToAbsl(name));
  if (it == role_ids_.end()) {
    return absl::NotFoundError(fmt::format("unknown role '{}'", name));
  }
  return it->second;
}

absl::Status Rbac::Allow(RoleId role, Action action, std::string_view pattern) {
  return AddRule(role, Effect::kAllow, action, pattern);
}

absl::Status Rbac::Deny(RoleId role, Action action, std::string_view pattern) {
  return AddRule(role, Effect::kDeny, action, pattern);
}

absl::Status Rbac::AddRule(RoleId role, Effect effect, Action action,
                           std::string_view pattern) {
  if (role >= roles_.size()) {
    return absl::NotFoundError(fmt::format("unknown role id {}", role));
  }
  if (static_cast<int>(action) >= kNumActions) {
    return absl::InvalidArgumentError(
        fmt::format("unknown action {}", static_cast<int>(action)));
  }
  if (absl::Status s = ValidatePattern(pattern); !s.ok()) return s;
  auto& patterns =
      roles_[role].rules[static_cast<int>(effect)][static_cast<int>(action)];
  if (std::find(patterns.begin(), patterns.end(), pattern) != patterns.end()) {
    return absl::OkStatus();
  }
  patterns.emplace_back(pattern);
  ++generation_;
  return absl::OkStatus();
}

absl::Status Rbac::RemoveRule(RoleId role, Effect effect, Action action,
                              std::string_view pattern) {
  if (role >= roles_.size()) {
    return absl::NotFoundError(fmt::format("unknown role id {}", role));
  }
  if (static_cast<int>(action) >= kNumActions) {
    return absl::InvalidArgumentError(
        fmt::format("unknown action {}", static_cast<int>(action)));
  }
  auto& patterns =
      roles_[role].rules[static_cast<int>(effect)][static_cast<int>(action)];
  auto it = std::find(patterns.begin(), patterns.end(), pattern);
  if (it == patterns.end()) {
    return absl::NotFoundError(fmt::format(
        "role '{}' has no {} rule for {} on '{}'", roles_[role].name,
        effect == Effect::kAllow ? "allow" : "deny", ActionName(action),
        pattern));
  }
  patterns.erase(it);
  ++generation_;
  return absl::OkStatus();
}

absl::Status Rbac::ClearRole(RoleId role) {
  if (role >= roles_.size()) {
    return absl::NotFoundError(fmt::format("unknown role id {}", role));
  }
  for (auto& by_action : roles_[role].rules) {
    for (auto& patterns : by_action) patterns.clear();
  }
  ++generation_;
  return absl::OkStatus();
}

absl::Status Rbac::LoadPolicy(std::string_view text) {
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view()
                                         : text.substr(eol + 1);
    if (size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::vector<std::string_view> f = SplitFields(line);
    if (f.empty()) continue;
    auto error = [&](const std::string& what) {
      return absl::InvalidArgumentError(
          fmt::format("policy line {}: {}", line_number, what));
    };
    if (f.size() != 4) {
      return error(fmt::format(
          "expected '<role> <allow|deny> <action> <pattern>', got {} fields",
          f.size()));
    }
    Effect effect;
    if (f[1] == "allow") {
      effect = Effect::kAllow;
    } else if (f[1] == "deny") {
      effect = Effect::kDeny;
    } else {
      return error(fmt::format("unknown effect '{}' (valid: allow, deny)", f[1]));
    }
    absl::StatusOr<Action> action = ParseAction(f[2]);
    if (!action.ok()) return error(std::string(action.status().message()));
    if (absl::Status s = ValidatePattern(f[3]); !s.ok()) {
      return error(std::string(s.message()));
    }
    absl::StatusOr<RoleId> role = FindRole(f[0]);
    if (!role.ok()) {
      role = DefineRole(f[0]);
      if (!role.ok()) return error(std::string(role.status().message()));
    }
    if (absl::Status s = AddRule(*role, effect, *action, f[3]); !s.ok()) {
      return error(std::string(s.message()));
    }
  }
  return absl::OkStatus();
}

void Rbac::AssignRoles(std::string_view user, RoleSet roles) {
  // Users are looked up at check time, never compiled or cached, so this
  // takes effect at once without a rebuild.
  users_[ToAbsl(user)] = roles;
}

bool Rbac::RemoveUser(std::string_view user) {
  return users_.erase(ToAbsl(user)) != 0;
}

RoleSet Rbac::UserRoles(std::string_view user) const {
  auto it = users_.find(ToAbsl(user));
  return it == users_.end() ? RoleSet() : it->second;
}

bool Rbac::Check(std::string_view user, Action action,
                 std::string_view channel) {
  auto it = users_.find(ToAbsl(user));
  if (it == users_.end()) return false;
  return Check(it->second, action, channel);
}

size_t Rbac::rule_count() const {
  size_t n = 0;
  for (const Role& role : roles_) {
    for (const auto& by_action : role.rules) {
      for (const auto& patterns : by_action) n += patterns.size();
    }
  }
  return n;
}

void Rbac::Compile() {
  if (compiled_generation_ != generation_) Rebuild();
}

const Rbac::ChannelMasks& Rbac::ResolveSlow(std::string_view channel,
                                            uint64_t hash) {
  if (!trie_has_rules_) return no_rules_;
  if (channel.size() > kMaxPatternLength) {
    // Not memoized: a client could otherwise fill memory with long names.
    scratch_ = WalkTrie(channel);
    return scratch_;
  }
  if (memo_count_ >= kMaxMemoChannels) Rebuild();  // drops the memo
  ++memo_count_;
  const uint32_t masks = InternMasks(WalkTrie(channel));
  InsertSlot(channel, hash, masks);
  return masks_[masks];
}

uint32_t Rbac::InternMasks(const ChannelMasks& masks) {
  static_assert(sizeof(ChannelMasks) == kNumActions * 4 * sizeof(uint64_t),
                "ChannelMasks must have no padding to be hashed as bytes");
  std::string bytes(reinterpret_cast<const char*>(&masks), sizeof(masks));
  auto [it, inserted] =
      masks_ids_.emplace(std::move(bytes), static_cast<uint32_t>(masks_.size()));
  if (inserted) masks_.push_back(masks);
  return it->second;
}

void Rbac::InsertSlot(std::string_view channel, uint64_t hash,
                      uint32_t masks) {
  if ((channel_count_ + 1) * 2 > slots_.size()) {
    // Grow: double the slots and re-place every channel.
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<size_t>(16, old.size() * 2),
                  Slot{0, kEmptySlot, 0, 0});
    slot_mask_ = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.masks == kEmptySlot) continue;
      const uint64_t h =
          Hash(std::string_view(keys_.data() + s.key_offset, s.key_size),
               hash_seed_);
      size_t i = h & slot_mask_;
      while (slots_[i].masks != kEmptySlot) i = (i + 1) & slot_mask_;
      slots_[i] = s;
    }
  }
  size_t i = hash & slot_mask_;
  while (slots_[i].masks != kEmptySlot) i = (i + 1) & slot_mask_;
  slots_[i] = Slot{static_cast<uint32_t>(hash >> 32), masks,
                   static_cast<uint32_t>(keys_.size()),
                   static_cast<uint32_t>(channel.size())};
  keys_.append(channel.data(), channel.size());
  ++channel_count_;
}

Rbac::Slot* Rbac::FindSlot(std::string_view channel) {
  const uint64_t h = Hash(channel, hash_seed_);
  for (size_t i = h & slot_mask_;; i = (i + 1) & slot_mask_) {
    Slot& s = slots_[i];
    if (s.masks == kEmptySlot) return nullptr;
    if (s.tag == static_cast<uint32_t>(h >> 32) &&
        std::string_view(keys_.data() + s.key_offset, s.key_size) == channel) {
      return &s;
    }
  }
}

namespace {

void OrInto(uint64_t dst[2], const uint64_t src[2]) {
  dst[0] |= src[0];
  dst[1] |= src[1];
}

}  // namespace

Rbac::ChannelMasks Rbac::WalkTrie(std::string_view channel) const {
  ChannelMasks acc;
  auto add = [&acc](const TrieNode& node) {
    if (!node.has_rules) return;
    for (int a = 0; a < kNumActions; ++a) {
      OrInto(acc.action[a].allow, node.masks.action[a].allow);
      OrInto(acc.action[a].deny, node.masks.action[a].deny);
    }
  };
  uint32_t node = 0;
  add(trie_[0]);
  for (char ch : channel) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const auto& children = trie_[node].children;
    auto it = std::lower_bound(
        children.begin(), children.end(), c,
        [](const std::pair<unsigned char, uint32_t>& e, unsigned char v) {
          return e.first < v;
        });
    if (it == children.end() || it->first != c) break;
    node = it->second;
    add(trie_[node]);
  }
  return acc;
}

void Rbac::Rebuild() {
  slots_.assign(16, Slot{0, kEmptySlot, 0, 0});
  slot_mask_ = slots_.size() - 1;
  channel_count_ = 0;
  keys_.clear();
  masks_.clear();
  masks_ids_.clear();
  // While building, a slot's `masks` indexes `exact` (one per channel);
  // at the end each is replaced by its interned index in masks_.
  std::vector<ChannelMasks> exact;
  trie_.clear();
  trie_.emplace_back();
  trie_has_rules_ = false;
  memo_count_ = 0;
  for (size_t r = 0; r < roles_.size(); ++r) {
    const uint64_t bit = uint64_t{1} << (r & 63);
    const int word = static_cast<int>(r >> 6);
    for (int e = 0; e < 2; ++e) {
      for (int a = 0; a < kNumActions; ++a) {
        for (const std::string& pattern : roles_[r].rules[e][a]) {
          ChannelMasks* masks;
          if (pattern.back() == '*') {
            uint32_t node = 0;
            for (size_t i = 0; i + 1 < pattern.size(); ++i) {
              const unsigned char c = static_cast<unsigned char>(pattern[i]);
              auto& children = trie_[node].children;
              auto it = std::lower_bound(
                  children.begin(), children.end(), c,
                  [](const std::pair<unsigned char, uint32_t>& x,
                     unsigned char v) { return x.first < v; });
              if (it != children.end() && it->first == c) {
                node = it->second;
              } else {
                const uint32_t child = static_cast<uint32_t>(trie_.size());
                children.insert(it, {c, child});
                trie_.emplace_back();  // may move `children`; not used after
                node = child;
              }
            }
            trie_[node].has_rules = true;
            trie_has_rules_ = true;
            masks = &trie_[node].masks;
          } else {
            uint32_t entry;
            if (Slot* slot = FindSlot(pattern); slot != nullptr) {
              entry = slot->masks;
            } else {
              entry = static_cast<uint32_t>(exact.size());
              exact.emplace_back();
              InsertSlot(pattern, Hash(pattern, hash_seed_), entry);
            }
            masks = &exact[entry];
          }
          Masks& m = masks->action[a];
          (e == static_cast<int>(Effect::kAllow) ? m.allow : m.deny)[word] |=
              bit;
        }
      }
    }
  }
  for (Slot& slot : slots_) {
    if (slot.masks == kEmptySlot) continue;
    ChannelMasks& masks = exact[slot.masks];
    if (trie_has_rules_) {
      const ChannelMasks from_prefixes = WalkTrie(
          std::string_view(keys_.data() + slot.key_offset, slot.key_size));
      for (int a = 0; a < kNumActions; ++a) {
        OrInto(masks.action[a].allow, from_prefixes.action[a].allow);
        OrInto(masks.action[a].deny, from_prefixes.action[a].deny);
      }
    }
    slot.masks = InternMasks(masks);
  }
  exact_count_ = channel_count_;
  compiled_generation_ = generation_;
}

}  // namespace wsbench

// The `permissions` dimension: RBAC checks by the level's connections.
//
// Setup builds a realistic policy (about 40 roles: regional viewers and
// traders, chat users and moderators, support, premium, ops, per-team roles,
// admin, read-only and banned; exact, prefix and wildcard rules, with denies)
// and a fixed population of 4,096 channels over the same namespaces (some
// named by exact rules, some matched only by prefixes, some by nothing). The
// level's connections are opened in a ConnectionManager, each with the roles
// of one of 512 personas (1 to 4 roles each, drawn from the seed). The op
// sequence (connection x action x channel) is drawn from the seed and packed
// into 4 bytes per op. Run asks Rbac::Check with the connection's roles as
// the manager holds them, so the measured path is the server's: roles of a
// connection, then the check.
//
// Verify compares the pass's allowed count and an order-sensitive checksum
// of the answers with those a naive reference evaluator (scan every rule of
// every held role) computed in Setup.
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "wsbench/connection_manager.h"
#include "wsbench/rbac.h"
#include "wsbench/status_macros.h"
#include "workload.h"

namespace wsbench::bench {
namespace {

constexpr int kChannels = 4096;  // 12 bits in a packed op
constexpr int kPersonas = 512;
constexpr int kChannelBits = 12;
constexpr const char* kRegions[] = {"eu", "us", "asia", "latam"};
constexpr int kSymbols = 48;
constexpr int kTeams = 10;
constexpr int kRooms = 200;

std::string Symbol(int i) { return fmt::format("sym{}-usd", i); }

// The policy text (Rbac::LoadPolicy format).
std::string PolicyText() {
  std::string p;
  auto rule = [&p](std::string_view role, std::string_view effect,
                   std::string_view action, const std::string& pattern) {
    p += fmt::format("{} {} {} {}\n", role, effect, action, pattern);
  };
  // Every signed-in user's baseline.
  rule("member", "allow", "subscribe", "news.*");
  rule("member", "deny", "subscribe", "news.premium.*");
  rule("member", "allow", "subscribe", "trades.*");
  rule("member", "allow", "subscribe", "book.*");
  rule("member", "allow", "subscribe", "chat.room.*");
  rule("member", "allow", "presence", "chat.*");
  rule("member", "allow", "presence", "presence.*");
  rule("member", "allow", "subscribe", "system.status");
  rule("member", "allow", "publish", "chat.dm.*");
  rule("guest", "allow", "subscribe", "news.*");
  rule("guest", "deny", "subscribe", "news.premium.*");
  rule("guest", "allow", "subscribe", "system.status");
  for (const char* r : kRegions) {
    const std::string viewer = fmt::format("viewer_{}", r);
    rule(viewer, "allow", "subscribe", fmt::format("orders.{}.*", r));
    rule(viewer, "allow", "subscribe", "trades.*");
    rule(viewer, "allow", "subscribe", "book.*");
    rule(viewer, "allow", "presence", "chat.room.*");
    const std::string trader = fmt::format("trader_{}", r);
    rule(trader, "allow", "subscribe", fmt::format("orders.{}.*", r));
    rule(trader, "allow", "publish", fmt::format("orders.{}.*", r));
    rule(trader, "deny", "publish", fmt::format("orders.{}.halted.*", r));
    rule(trader, "allow", "subscribe", "book.*");
    rule(trader, "allow", "presence", fmt::format("orders.{}.*", r));
  }
  rule("chat_user", "allow", "subscribe", "chat.room.*");
  rule("chat_user", "allow", "publish", "chat.room.*");
  rule("chat_user", "allow", "presence", "chat.room.*");
  rule("chat_user", "deny", "publish", "chat.room.announcements");
  rule("chat_user", "allow", "subscribe", "chat.room.announcements");
  rule("moderator", "allow", "publish", "chat.room.announcements");
  rule("moderator", "allow", "admin", "chat.room.*");
  rule("moderator", "allow", "subscribe", "chat.*");
  rule("dm_user", "allow", "subscribe", "chat.dm.*");
  rule("dm_user", "allow", "publish", "chat.dm.*");
  rule("support", "allow", "subscribe", "user.*");
  rule("support", "deny", "subscribe", "user.vip.*");
  rule("support", "allow", "presence", "user.*");
  rule("premium", "allow", "subscribe", "news.premium.*");
  rule("premium", "allow", "subscribe", "news.*");
  rule("ops", "allow", "subscribe", "system.*");
  rule("ops", "allow", "subscribe", "alerts.*");
  rule("ops", "allow", "admin", "system.*");
  rule("ops", "deny", "admin", "system.billing");
  for (int t = 0; t < kTeams; ++t) {
    const std::string team = fmt::format("team_{}", t);
    rule(team, "allow", "subscribe", fmt::format("alerts.team{}", t));
    rule(team, "allow", "publish", fmt::format("alerts.team{}", t));
    rule(team, "allow", "subscribe", fmt::format("book.{}", Symbol(t * 3)));
  }
  for (int a = 0; a < 8; ++a) {
    // Analysts see a handful of named books and their trades.
    const std::string analyst = fmt::format("analyst_{}", a);
    for (int k = 0; k < 4; ++k) {
      const int s = (a * 5 + k * 7) % kSymbols;
      rule(analyst, "allow", "subscribe", fmt::format("book.{}", Symbol(s)));
      rule(analyst, "allow", "subscribe", fmt::format("trades.{}", Symbol(s)));
    }
  }
  rule("admin", "allow", "admin", "*");
  rule("admin", "allow", "subscribe", "*");
  rule("admin", "allow", "publish", "*");
  rule("admin", "allow", "presence", "*");
  rule("admin", "deny", "publish", "system.status");
  rule("readonly", "deny", "publish", "*");
  rule("banned", "deny", "subscribe", "*");
  rule("banned", "deny", "publish", "*");
  rule("banned", "deny", "presence", "*");
  return p;
}

// A channel from the namespaces the policy speaks of (plus a few it does not).
std::string RandomChannel(std::mt19937_64& rng) {
  const char* region = kRegions[rng() % 4];
  const std::string sym = Symbol(static_cast<int>(rng() % kSymbols));
  switch (rng() % 16) {
    case 0:
    case 1:
      return fmt::format("orders.{}.{}", region, sym);
    case 2:
      return fmt::format("orders.{}.halted.{}", region, sym);
    case 3:
      return fmt::format("trades.{}", sym);
    case 4:
      return fmt::format("book.{}", sym);
    case 5:
    case 6:
      return fmt::format("chat.room.{}", rng() % kRooms);
    case 7:
      return rng() % 4 == 0 ? std::string("chat.room.announcements")
                            : fmt::format("chat.dm.{}", rng() % 100000);
    case 8:
      return fmt::format("news.{}", rng() % 2 ? "sports" : "markets");
    case 9:
      return fmt::format("news.premium.{}", rng() % 30);
    case 10:
      return fmt::format("user.{}.notifications", rng() % 100000);
    case 11:
      return fmt::format("user.vip.{}", rng() % 1000);
    case 12:
      return fmt::format("alerts.team{}", rng() % (kTeams + 2));
    case 13: {
      constexpr const char* kSystem[] = {"system.status", "system.billing",
                                         "system.deploys"};
      return kSystem[rng() % 3];
    }
    case 14:
      return fmt::format("presence.lobby.{}", rng() % 50);  // no rule at all
    default:
      return fmt::format("metrics.{}.{}", region, rng() % 500);  // no rule
  }
}

struct ReferenceRule {
  RoleId role;
  Effect effect;
  Action action;
  std::string pattern;
};

// The naive meaning of the policy: every rule of every held role.
bool ReferenceCheck(const std::vector<ReferenceRule>& rules,
                    const RoleSet& roles, Action action,
                    std::string_view channel) {
  bool allowed = false;
  for (const ReferenceRule& r : rules) {
    if (r.action != action || !roles.Contains(r.role)) continue;
    bool match;
    if (r.pattern.back() == '*') {
      const std::string_view prefix(r.pattern.data(), r.pattern.size() - 1);
      match = channel.substr(0, prefix.size()) == prefix;
    } else {
      match = channel == r.pattern;
    }
    if (!match) continue;
    if (r.effect == Effect::kDeny) return false;
    allowed = true;
  }
  return allowed;
}

class PermissionsWorkload : public Workload {
 public:
  absl::Status Setup(const LoadLevel& level,
                     const WorkloadOptions& options) override {
    std::mt19937_64 rng(options.seed ^ 0x7065726d);  // "perm"
    if (level.connections >= (1 << (32 - kChannelBits - 2))) {
      return absl::InvalidArgumentError(fmt::format(
          "permissions: {} connections do not fit a packed op",
          level.connections));
    }
    // A fixed hash seed (drawn from the run's seed): probe lengths, and so
    // callgrind's instructions/op, then repeat exactly run to run.
    rbac_ = Rbac(rng());
    const std::string policy = PolicyText();
    WSBENCH_RETURN_IF_ERROR(rbac_.LoadPolicy(policy));

    // The reference evaluator reads the same text on its own.
    std::vector<ReferenceRule> rules;
    for (size_t pos = 0; pos < policy.size();) {
      size_t eol = policy.find('\n', pos);
      std::string_view line(policy.data() + pos, eol - pos);
      pos = eol + 1;
      size_t a = line.find(' '), b = line.find(' ', a + 1),
             c = line.find(' ', b + 1);
      WSBENCH_ASSIGN_OR_RETURN(RoleId role, rbac_.FindRole(line.substr(0, a)));
      WSBENCH_ASSIGN_OR_RETURN(Action action,
                               ParseAction(line.substr(b + 1, c - b - 1)));
      rules.push_back({role,
                       line.substr(a + 1, b - a - 1) == "deny" ? Effect::kDeny
                                                               : Effect::kAllow,
                       action, std::string(line.substr(c + 1))});
    }

    // Channels: one arena, views into it.
    std::vector<std::string> names;
    names.reserve(kChannels);
    for (int i = 0; i < kChannels; ++i) names.push_back(RandomChannel(rng));
    size_t bytes = 0;
    for (const std::string& n : names) bytes += n.size();
    arena_.clear();
    arena_.reserve(bytes);
    channels_.clear();
    for (const std::string& n : names) {
      const size_t at = arena_.size();
      arena_ += n;
      channels_.emplace_back(arena_.data() + at, n.size());
    }

    // Personas: 1..4 roles each; most hold the baseline `member` role plus
    // a few others, rarely admin or banned.
    const int roles = rbac_.role_count();
    WSBENCH_ASSIGN_OR_RETURN(RoleId member, rbac_.FindRole("member"));
    WSBENCH_ASSIGN_OR_RETURN(RoleId admin, rbac_.FindRole("admin"));
    WSBENCH_ASSIGN_OR_RETURN(RoleId banned, rbac_.FindRole("banned"));
    std::vector<RoleSet> personas(kPersonas);
    for (RoleSet& p : personas) {
      const int n = 1 + static_cast<int>(rng() % 4);
      if (rng() % 5 != 0) p.Add(member);
      while (p.size() < n) {
        RoleId r = static_cast<RoleId>(rng() % roles);
        if ((r == admin || r == banned) && rng() % 8 != 0) continue;
        p.Add(r);
      }
    }

    // Connections in the manager, each with a persona's roles.
    manager_ = std::make_unique<ConnectionManager>();
    manager_->Reserve(static_cast<uint32_t>(level.connections));
    ids_.clear();
    std::vector<uint16_t> persona_of(level.connections);
    for (int32_t c = 0; c < level.connections; ++c) {
      if ((c & 0x3FFF) == 0 && StopRequested()) return StopStatus();
      persona_of[c] = static_cast<uint16_t>(rng() % kPersonas);
      WSBENCH_ASSIGN_OR_RETURN(
          ConnectionId id,
          manager_->Open(fmt::format("user{}", c), personas[persona_of[c]]));
      ids_.push_back(id);
    }

    // Ops: connection (upper bits) x channel (12 bits) x action (2 bits),
    // actions weighted like a server's traffic (mostly subscribes).
    ops_.resize(static_cast<size_t>(level.ops));
    std::vector<int8_t> reference(size_t{kPersonas} * kNumActions * kChannels,
                                  -1);
    expected_allowed_ = 0;
    expected_checksum_ = 0;
    for (int64_t i = 0; i < level.ops; ++i) {
      if ((i & 0x3FFF) == 0 && StopRequested()) return StopStatus();
      const uint32_t conn = static_cast<uint32_t>(rng() % level.connections);
      const uint32_t channel = static_cast<uint32_t>(rng() % kChannels);
      // subscribe 55%, presence 20%, publish 20%, admin 5%.
      const uint32_t pick = static_cast<uint32_t>(rng() % 20);
      const uint32_t action = pick < 11 ? 0 : pick < 15 ? 2 : pick < 19 ? 1 : 3;
      ops_[i] = (conn << (kChannelBits + 2)) | (channel << 2) | action;
      const size_t key =
          (size_t{persona_of[conn]} * kNumActions + action) * kChannels +
          channel;
      if (reference[key] < 0) {
        reference[key] = ReferenceCheck(rules, personas[persona_of[conn]],
                                        static_cast<Action>(action),
                                        channels_[channel]);
      }
      if (reference[key] != 0) {
        ++expected_allowed_;
        expected_checksum_ += static_cast<uint64_t>(i) + 1;
      }
    }
    ops_count_ = level.ops;
    rule_count_ = rules.size();
    // Steady state: compiled tables built and the channels resolved once,
    // as on a server that has been up for a while.
    rbac_.Compile();
    for (std::string_view ch : channels_) {
      benchmark_sink_ += rbac_.Check(personas[0], Action::kSubscribe, ch);
    }
    distinct_masks_ = rbac_.distinct_masks();
    return Reset();
  }

  int64_t ops() const override { return ops_count_; }

  absl::Status Reset() override {
    allowed_ = 0;
    checksum_ = 0;
    done_ = 0;
    return absl::OkStatus();
  }

  void Run(int64_t begin, int64_t end) override {
    uint64_t allowed = 0, checksum = 0;
    for (int64_t i = begin; i < end; ++i) {
      const uint32_t op = ops_[i];
      const ConnectionId id = ids_[op >> (kChannelBits + 2)];
      const bool ok =
          rbac_.Check(manager_->roles(id), static_cast<Action>(op & 3),
                      channels_[(op >> 2) & (kChannels - 1)]);
      allowed += ok;
      checksum += ok ? static_cast<uint64_t>(i) + 1 : 0;
    }
    allowed_ += allowed;
    checksum_ += checksum;
    done_ += end - begin;
  }

  absl::Status Verify() override {
    if (done_ != ops_count_) {
      return absl::InternalError(fmt::format(
          "permissions: pass ran {} of {} checks", done_, ops_count_));
    }
    if (allowed_ != expected_allowed_ || checksum_ != expected_checksum_) {
      return absl::InternalError(fmt::format(
          "permissions: {} allowed (checksum {}) but the reference evaluator "
          "allows {} (checksum {}) of {} checks",
          allowed_, checksum_, expected_allowed_, expected_checksum_,
          ops_count_));
    }
    return absl::OkStatus();
  }

  void AddCounters(std::map<std::string, double>& counters) const override {
    counters["allowed_pct"] =
        ops_count_ == 0 ? 0.0
                        : 100.0 * static_cast<double>(expected_allowed_) /
                              static_cast<double>(ops_count_);
    counters["roles"] = rbac_.role_count();
    counters["rules"] = static_cast<double>(rule_count_);
    counters["channels"] = kChannels;
    counters["distinct_masks"] = static_cast<double>(distinct_masks_);
  }

 private:
  Rbac rbac_;
  std::unique_ptr<ConnectionManager> manager_;
  std::vector<ConnectionId> ids_;
  std::string arena_;
  std::vector<std::string_view> channels_;
  std::vector<uint32_t> ops_;
  int64_t ops_count_ = 0;
  size_t rule_count_ = 0;
  uint64_t expected_allowed_ = 0;
  uint64_t expected_checksum_ = 0;
  uint64_t allowed_ = 0;
  uint64_t checksum_ = 0;
  int64_t done_ = 0;
  uint64_t benchmark_sink_ = 0;
  size_t distinct_masks_ = 0;
};

std::unique_ptr<Workload> MakePermissionsWorkload() {
  return std::make_unique<PermissionsWorkload>();
}

}  // namespace

WSBENCH_REGISTER_DIMENSION(permissions, "", MakePermissionsWorkload);

}  // namespace wsbench::bench

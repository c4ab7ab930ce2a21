#include "wsbench/rbac.h"

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace wsbench {
namespace {

constexpr Action kAllActions[] = {Action::kSubscribe, Action::kPublish,
                                  Action::kPresence, Action::kAdmin};

RoleSet Roles(std::initializer_list<RoleId> ids) {
  RoleSet set;
  for (RoleId id : ids) set.Add(id);
  return set;
}

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(WSBENCH_TESTDATA_DIR) + "/" + name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class RbacTest : public ::testing::Test {
 protected:
  RoleId Define(std::string_view name) {
    absl::StatusOr<RoleId> id = rbac_.DefineRole(name);
    EXPECT_TRUE(id.ok()) << id.status();
    return *id;
  }
  Rbac rbac_;
};

TEST_F(RbacTest, ExactPatternMatchesOnlyThatChannel) {
  RoleId r = Define("r");
  ASSERT_TRUE(rbac_.Allow(r, Action::kSubscribe, "orders.eu").ok());
  EXPECT_TRUE(rbac_.Check(Roles({r}), Action::kSubscribe, "orders.eu"));
  EXPECT_FALSE(rbac_.Check(Roles({r}), Action::kSubscribe, "orders.eu.1"));
  EXPECT_FALSE(rbac_.Check(Roles({r}), Action::kSubscribe, "orders.e"));
  EXPECT_FALSE(rbac_.Check(Roles({r}), Action::kSubscribe, "Orders.eu"));
}

TEST_F(RbacTest, PrefixPatternMatchesChannelsStartingWithPrefix) {
  RoleId r = Define("r");
  ASSERT_TRUE(rbac_.Allow(r, Action::kPublish, "orders.*").ok());
  const RoleSet roles = Roles({r});
  EXPECT_TRUE(rbac_.Check(roles, Action::kPublish, "orders.eu"));
  EXPECT_TRUE(rbac_.Check(roles, Action::kPublish, "orders.eu.1.deep"));
  EXPECT_TRUE(rbac_.Check(roles, Action::kPublish, "orders."));
  EXPECT_FALSE(rbac_.Check(roles, Action::kPublish, "orders"));
  EXPECT_FALSE(rbac_.Check(roles, Action::kPublish, "ordersx"));
  EXPECT_FALSE(rbac_.Check(roles, Action::kPublish, "trades.eu"));
}

TEST_F(RbacTest, WildcardMatchesEveryChannel) {
  RoleId r = Define("r");
  ASSERT_TRUE(rbac_.Allow(r, Action::kAdmin, "*").ok());
  for (std::string_view ch : {"a", "orders.eu", "", "x.y.z"}) {
    EXPECT_TRUE(rbac_.Check(Roles({r}), Action::kAdmin, ch)) << ch;
  }
}

TEST_F(RbacTest, NestedPrefixesAllContribute) {
  RoleId a = Define("a");
  RoleId b = Define("b");
  ASSERT_TRUE(rbac_.Allow(a, Action::kSubscribe, "orders.*").ok());
  ASSERT_TRUE(rbac_.Deny(b, Action::kSubscribe, "orders.eu.*").ok());
  ASSERT_TRUE(rbac_.Allow(b, Action::kSubscribe, "orders.*").ok());
  EXPECT_TRUE(rbac_.Check(Roles({b}), Action::kSubscribe, "orders.us.1"));
  EXPECT_FALSE(rbac_.Check(Roles({b}), Action::kSubscribe, "orders.eu.1"));
  EXPECT_TRUE(rbac_.Check(Roles({a}), Action::kSubscribe, "orders.eu.1"));
  EXPECT_FALSE(rbac_.Check(Roles({a, b}), Action::kSubscribe, "orders.eu.1"));
}

TEST_F(RbacTest, DenyBeatsAllowInTheSameRole) {
  RoleId r = Define("r");
  ASSERT_TRUE(rbac_.Allow(r, Action::kPublish, "orders.*").ok());
  ASSERT_TRUE(rbac_.Deny(r, Action::kPublish, "orders.audit").ok());
  EXPECT_TRUE(rbac_.Check(Roles({r}), Action::kPublish, "orders.eu"));
  EXPECT_FALSE(rbac_.Check(Roles({r}), Action::kPublish, "orders.audit"));
}

TEST_F(RbacTest, DenyFromAnyRoleBeatsAllowFromAnother) {
  RoleId allow = Define("allow");
  RoleId deny = Define("deny");
  ASSERT_TRUE(rbac_.Allow(allow, Action::kSubscribe, "chat.lobby").ok());
  ASSERT_TRUE(rbac_.Deny(deny, Action::kSubscribe, "*").ok());
  EXPECT_TRUE(rbac_.Check(Roles({allow}), Action::kSubscribe, "chat.lobby"));
  EXPECT_FALSE(
      rbac_.Check(Roles({allow, deny}), Action::kSubscribe, "chat.lobby"));
  // A deny alone never allows.
  EXPECT_FALSE(rbac_.Check(Roles({deny}), Action::kSubscribe, "chat.lobby"));
}

TEST_F(RbacTest, ExactDenyBeatsWildcardAllow) {
  RoleId r = Define("r");
  ASSERT_TRUE(rbac_.Allow(r, Action::kSubscribe, "*").ok());
  ASSERT_TRUE(rbac_.Deny(r, Action::kSubscribe, "secret").ok());
  EXPECT_FALSE(rbac_.Check(Roles({r}), Action::kSubscribe, "secret"));
  EXPECT_TRUE(rbac_.Check(Roles({r}), Action::kSubscribe, "secret2"));
}

TEST_F(RbacTest, MultipleRolesGrantTheUnion) {
  RoleId a = Define("a");
  RoleId b = Define("b");
  ASSERT_TRUE(rbac_.Allow(a, Action::kSubscribe, "news.*").ok());
  ASSERT_TRUE(rbac_.Allow(b, Action::kSubscribe, "sports.*").ok());
  const RoleSet both = Roles({a, b});
  EXPECT_TRUE(rbac_.Check(both, Action::kSubscribe, "news.x"));
  EXPECT_TRUE(rbac_.Check(both, Action::kSubscribe, "sports.x"));
  EXPECT_FALSE(rbac_.Check(Roles({a}), Action::kSubscribe, "sports.x"));
  EXPECT_FALSE(rbac_.Check(both, Action::kSubscribe, "weather.x"));
}

TEST_F(RbacTest, NoRolesAndUnknownChannelsAreDenied) {
  RoleId r = Define("r");
  ASSERT_TRUE(rbac_.Allow(r, Action::kSubscribe, "known").ok());
  EXPECT_FALSE(rbac_.Check(RoleSet(), Action::kSubscribe, "known"));
  EXPECT_FALSE(rbac_.Check(Roles({r}), Action::kSubscribe, "unknown"));
  // A role with no rules at all grants nothing.
  RoleId empty = Define("empty");
  EXPECT_FALSE(rbac_.Check(Roles({empty}), Action::kSubscribe, "known"));
  // A policy without any rule denies everything.
  Rbac none;
  EXPECT_FALSE(none.Check(Roles({0}), Action::kSubscribe, "known"));
}

TEST_F(RbacTest, EachActionIsGrantedSeparately) {
  RoleId r = Define("r");
  for (Action granted : kAllActions) {
    ASSERT_TRUE(rbac_.ClearRole(r).ok());
    ASSERT_TRUE(rbac_.Allow(r, granted, "ch").ok());
    for (Action asked : kAllActions) {
      EXPECT_EQ(rbac_.Check(Roles({r}), asked, "ch"), asked == granted)
          << ActionName(granted) << " granted, " << ActionName(asked)
          << " asked";
    }
  }
}

TEST_F(RbacTest, RolesInTheSecondWordWork) {
  std::vector<RoleId> ids;
  for (int i = 0; i < 128; ++i) ids.push_back(Define("role" + std::to_string(i)));
  ASSERT_TRUE(rbac_.Allow(ids[100], Action::kPublish, "hi.*").ok());
  ASSERT_TRUE(rbac_.Deny(ids[127], Action::kPublish, "hi.there").ok());
  EXPECT_TRUE(rbac_.Check(Roles({ids[100]}), Action::kPublish, "hi.x"));
  EXPECT_FALSE(rbac_.Check(Roles({ids[99]}), Action::kPublish, "hi.x"));
  EXPECT_FALSE(
      rbac_.Check(Roles({ids[100], ids[127]}), Action::kPublish, "hi.there"));
  EXPECT_TRUE(
      rbac_.Check(Roles({ids[100], ids[127]}), Action::kPublish, "hi.x"));
}

TEST(PatternTest, ValidPatterns) {
  for (std::string_view p : {"a", "orders.eu.1", "orders.*", "*", "x*"}) {
    EXPECT_TRUE(ValidatePattern(p).ok()) << p;
  }
}

TEST(PatternTest, BadPatternsSayWhatIsWrong) {
  absl::Status s = ValidatePattern("a*b");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'*' at byte 1"), absl::string_view::npos) << s;
  EXPECT_FALSE(ValidatePattern("**").ok());
  EXPECT_FALSE(ValidatePattern("*.orders").ok());
  EXPECT_NE(ValidatePattern("").message().find("empty"),
            absl::string_view::npos);
  s = ValidatePattern("a b");
  EXPECT_NE(s.message().find("byte 1"), absl::string_view::npos) << s;
  EXPECT_FALSE(ValidatePattern(std::string(Rbac::kMaxPatternLength + 1, 'a')).ok());
  EXPECT_TRUE(ValidatePattern(std::string(Rbac::kMaxPatternLength, 'a')).ok());
}

TEST(ActionTest, NamesRoundTripAndUnknownNamesFail) {
  for (Action a : kAllActions) {
    absl::StatusOr<Action> parsed = ParseAction(ActionName(a));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, a);
  }
  absl::StatusOr<Action> bad = ParseAction("read");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'read'"), absl::string_view::npos);
}

TEST_F(RbacTest, PolicyDefinitionErrors) {
  RoleId r = Define("r");
  absl::Status s = rbac_.Allow(r, Action::kSubscribe, "a*b");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(rbac_.rule_count(), 0u);
  EXPECT_EQ(rbac_.Allow(77, Action::kSubscribe, "x").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(rbac_.DefineRole("r").status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(rbac_.DefineRole("").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(rbac_.FindRole("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(rbac_.RemoveRule(r, Effect::kAllow, Action::kSubscribe, "x").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(rbac_.ClearRole(200).code(), absl::StatusCode::kNotFound);
}

TEST_F(RbacTest, TooManyRoles) {
  for (int i = 0; i < RoleSet::kMaxRoles; ++i) Define("r" + std::to_string(i));
  absl::StatusOr<RoleId> extra = rbac_.DefineRole("one_too_many");
  EXPECT_EQ(extra.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(extra.status().message().find("too many roles"),
            absl::string_view::npos);
  EXPECT_EQ(rbac_.role_count(), 128);
}

TEST_F(RbacTest, DuplicateRuleIsANoOp) {
  RoleId r = Define("r");
  ASSERT_TRUE(rbac_.Allow(r, Action::kSubscribe, "x").ok());
  ASSERT_TRUE(rbac_.Allow(r, Action::kSubscribe, "x").ok());
  EXPECT_EQ(rbac_.rule_count(), 1u);
  ASSERT_TRUE(rbac_.RemoveRule(r, Effect::kAllow, Action::kSubscribe, "x").ok());
  EXPECT_FALSE(rbac_.Check(Roles({r}), Action::kSubscribe, "x"));
}

TEST_F(RbacTest, LoadPolicyFromTestdata) {
  ASSERT_TRUE(rbac_.LoadPolicy(ReadTestdata("rbac/policy.txt")).ok());
  EXPECT_EQ(rbac_.role_count(), 5);
  EXPECT_EQ(rbac_.rule_count(), 9u);
  auto id = [&](std::string_view n) { return *rbac_.FindRole(n); };
  const RoleSet trader = Roles({id("trader")});
  EXPECT_TRUE(rbac_.Check(trader, Action::kPublish, "orders.eu"));
  EXPECT_FALSE(rbac_.Check(trader, Action::kPublish, "orders.audit"));
  EXPECT_TRUE(rbac_.Check(trader, Action::kSubscribe, "orders.audit"));
  EXPECT_TRUE(rbac_.Check(Roles({id("viewer")}), Action::kPresence, "lobby"));
  EXPECT_FALSE(rbac_.Check(Roles({id("viewer")}), Action::kPublish, "market.x"));
  EXPECT_TRUE(rbac_.Check(Roles({id("admin")}), Action::kAdmin, "anything"));
  EXPECT_FALSE(
      rbac_.Check(Roles({id("admin"), id("banned")}), Action::kSubscribe, "x"));
  EXPECT_TRUE(rbac_.Check(Roles({id("admin"), id("banned")}), Action::kAdmin, "x"));
}

TEST_F(RbacTest, LoadPolicyErrorsNameTheLine) {
  absl::Status s = rbac_.LoadPolicy(ReadTestdata("rbac/bad_policy.txt"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("line 3"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("unknown action 'read'"), absl::string_view::npos)
      << s;
  // Lines before the bad one were applied.
  EXPECT_EQ(rbac_.rule_count(), 1u);

  Rbac other;
  s = other.LoadPolicy("a allow subscribe x\n\nb allow subscribe a*b\n");
  EXPECT_NE(s.message().find("line 3"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("'*' at byte 1"), absl::string_view::npos) << s;
  s = other.LoadPolicy("a permit subscribe x\n");
  EXPECT_NE(s.message().find("unknown effect 'permit'"), absl::string_view::npos)
      << s;
  s = other.LoadPolicy("a allow subscribe\n");
  EXPECT_NE(s.message().find("got 3 fields"), absl::string_view::npos) << s;
}

TEST_F(RbacTest, GrantChangesTakeEffectAtOnce) {
  RoleId r = Define("r");
  const RoleSet roles = Roles({r});
  ASSERT_TRUE(rbac_.Allow(r, Action::kSubscribe, "news.*").ok());
  // Both an exact-table channel and a memoized trie channel are checked
  // repeatedly so any cache holds the answer before each change.
  ASSERT_TRUE(rbac_.Allow(r, Action::kSubscribe, "news.exact").ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(rbac_.Check(roles, Action::kSubscribe, "news.memo"));
    EXPECT_TRUE(rbac_.Check(roles, Action::kSubscribe, "news.exact"));
  }
  ASSERT_TRUE(rbac_.Deny(r, Action::kSubscribe, "news.memo").ok());
  EXPECT_FALSE(rbac_.Check(roles, Action::kSubscribe, "news.memo"));
  EXPECT_TRUE(rbac_.Check(roles, Action::kSubscribe, "news.exact"));

  ASSERT_TRUE(rbac_.Deny(r, Action::kSubscribe, "news.*").ok());
  EXPECT_FALSE(rbac_.Check(roles, Action::kSubscribe, "news.exact"));
  EXPECT_FALSE(rbac_.Check(roles, Action::kSubscribe, "news.other"));

  ASSERT_TRUE(
      rbac_.RemoveRule(r, Effect::kDeny, Action::kSubscribe, "news.*").ok());
  EXPECT_TRUE(rbac_.Check(roles, Action::kSubscribe, "news.exact"));
  EXPECT_TRUE(rbac_.Check(roles, Action::kSubscribe, "news.other"));

  ASSERT_TRUE(rbac_.ClearRole(r).ok());
  EXPECT_FALSE(rbac_.Check(roles, Action::kSubscribe, "news.exact"));
  EXPECT_FALSE(rbac_.Check(roles, Action::kSubscribe, "news.other"));

  // A role defined later and granted later works at once too.
  RoleId late = Define("late");
  EXPECT_FALSE(rbac_.Check(Roles({late}), Action::kSubscribe, "news.other"));
  ASSERT_TRUE(rbac_.Allow(late, Action::kSubscribe, "*").ok());
  EXPECT_TRUE(rbac_.Check(Roles({late}), Action::kSubscribe, "news.other"));
}

TEST_F(RbacTest, UserRoleAssignmentsTakeEffectAtOnce) {
  RoleId reader = Define("reader");
  RoleId blocked = Define("blocked");
  ASSERT_TRUE(rbac_.Allow(reader, Action::kSubscribe, "*").ok());
  ASSERT_TRUE(rbac_.Deny(blocked, Action::kSubscribe, "*").ok());
  EXPECT_FALSE(rbac_.Check("alice", Action::kSubscribe, "news"));  // unknown
  rbac_.AssignRoles("alice", Roles({reader}));
  EXPECT_TRUE(rbac_.Check("alice", Action::kSubscribe, "news"));
  EXPECT_EQ(rbac_.UserRoles("alice"), Roles({reader}));
  rbac_.AssignRoles("alice", Roles({reader, blocked}));
  EXPECT_FALSE(rbac_.Check("alice", Action::kSubscribe, "news"));
  rbac_.AssignRoles("alice", Roles({reader}));
  EXPECT_TRUE(rbac_.Check("alice", Action::kSubscribe, "news"));
  EXPECT_TRUE(rbac_.RemoveUser("alice"));
  EXPECT_FALSE(rbac_.RemoveUser("alice"));
  EXPECT_FALSE(rbac_.Check("alice", Action::kSubscribe, "news"));
  EXPECT_TRUE(rbac_.UserRoles("alice").empty());
}

TEST_F(RbacTest, MemoStaysBoundedAndCorrect) {
  RoleId r = Define("r");
  ASSERT_TRUE(rbac_.Allow(r, Action::kSubscribe, "c.*").ok());
  ASSERT_TRUE(rbac_.Deny(r, Action::kSubscribe, "c.7*").ok());
  const int n = static_cast<int>(Rbac::kMaxMemoChannels) + 1000;
  int allowed = 0;
  for (int i = 0; i < n; ++i) {
    const std::string ch = "c." + std::to_string(i);
    const bool expect = ch.rfind("c.7", 0) != 0;
    ASSERT_EQ(rbac_.Check(Roles({r}), Action::kSubscribe, ch), expect) << ch;
    allowed += expect;
    ASSERT_LE(rbac_.memo_size(), Rbac::kMaxMemoChannels);
  }
  EXPECT_GT(allowed, 0);
  // Thousands of memoized channels share the two distinct mask sets (allowed
  // by c.*, denied by c.7*) plus at most the empty one.
  EXPECT_GE(rbac_.channel_count(), 1000u);  // the memo restarted once
  EXPECT_LE(rbac_.distinct_masks(), 3u);
  // Channels longer than any memoizable name are answered without the memo.
  const std::string long_name = "c." + std::string(400, 'x');
  const size_t before = rbac_.memo_size();
  EXPECT_TRUE(rbac_.Check(Roles({r}), Action::kSubscribe, long_name));
  EXPECT_EQ(rbac_.memo_size(), before);
}

// The naive meaning of the policy: scan every rule of every held role.
struct ReferenceRule {
  RoleId role;
  Effect effect;
  Action action;
  std::string pattern;
};

bool ReferenceMatch(const std::string& pattern, std::string_view channel) {
  if (pattern.back() == '*') {
    const std::string prefix = pattern.substr(0, pattern.size() - 1);
    return channel.size() >= prefix.size() &&
           channel.compare(0, prefix.size(), prefix) == 0;
  }
  return channel == pattern;
}

bool ReferenceCheck(const std::vector<ReferenceRule>& rules,
                    const RoleSet& roles, Action action,
                    std::string_view channel) {
  bool allowed = false;
  for (const ReferenceRule& rule : rules) {
    if (!roles.Contains(rule.role) || rule.action != action ||
        !ReferenceMatch(rule.pattern, channel)) {
      continue;
    }
    if (rule.effect == Effect::kDeny) return false;
    allowed = true;
  }
  return allowed;
}

// Every hash seed must give the same answers: fixed seeds (as the benchmark
// uses) including the degenerate 0 and all-ones, and the default random one.
class RbacRandomizedTest : public ::testing::TestWithParam<int> {
 protected:
  static Rbac MakeRbac(int which) {
    switch (which) {
      case 0: return Rbac();
      case 1: return Rbac(0);
      case 2: return Rbac(~uint64_t{0});
      default: return Rbac(0x9e3779b97f4a7c15ULL);
    }
  }
};

INSTANTIATE_TEST_SUITE_P(Seeds, RbacRandomizedTest, ::testing::Range(0, 4));

TEST_P(RbacRandomizedTest, MatchesNaiveReferenceThroughChanges) {
  std::mt19937_64 rng(20261122);
  const std::vector<std::string> segments = {"orders", "trades", "chat",
                                             "news", "eu", "us", "1", "2",
                                             "audit", "o"};
  auto random_channel = [&] {
    std::string ch = segments[rng() % segments.size()];
    const int depth = static_cast<int>(rng() % 3);
    for (int i = 0; i < depth; ++i) {
      ch += '.';
      ch += segments[rng() % segments.size()];
    }
    return ch;
  };
  auto random_pattern = [&] {
    const int kind = static_cast<int>(rng() % 10);
    if (kind == 0) return std::string("*");
    std::string ch = random_channel();
    if (kind < 5) {
      // Prefix: cut at a random point (sometimes mid-segment) and add '*'.
      ch.resize(rng() % (ch.size() + 1));
      return ch + "*";
    }
    return ch;
  };

  Rbac rbac = MakeRbac(GetParam());
  const int kRoles = 70;  // spans both RoleSet words
  for (int i = 0; i < kRoles; ++i) {
    ASSERT_TRUE(rbac.DefineRole("role" + std::to_string(i)).ok());
  }
  std::vector<ReferenceRule> rules;
  auto add_random_rule = [&] {
    ReferenceRule rule{static_cast<RoleId>(rng() % kRoles),
                       rng() % 4 == 0 ? Effect::kDeny : Effect::kAllow,
                       kAllActions[rng() % 4], random_pattern()};
    for (const ReferenceRule& r : rules) {
      if (r.role == rule.role && r.effect == rule.effect &&
          r.action == rule.action && r.pattern == rule.pattern) {
        return;
      }
    }
    ASSERT_TRUE(
        rbac.AddRule(rule.role, rule.effect, rule.action, rule.pattern).ok());
    rules.push_back(rule);
  };
  for (int i = 0; i < 300; ++i) add_random_rule();

  int allowed = 0, denied = 0;
  for (int i = 0; i < 200'000; ++i) {
    if (i % 5000 == 4999) {
      // Mutate: remove a random rule and add another; answers must follow.
      const size_t victim = rng() % rules.size();
      const ReferenceRule& r = rules[victim];
      ASSERT_TRUE(rbac.RemoveRule(r.role, r.effect, r.action, r.pattern).ok());
      rules.erase(rules.begin() + static_cast<std::ptrdiff_t>(victim));
      add_random_rule();
    }
    RoleSet roles;
    const int n = static_cast<int>(rng() % 5);  // 0..4 roles
    for (int k = 0; k < n; ++k) roles.Add(static_cast<RoleId>(rng() % kRoles));
    const Action action = kAllActions[rng() % 4];
    const std::string channel = random_channel();
    const bool expect = ReferenceCheck(rules, roles, action, channel);
    ASSERT_EQ(rbac.Check(roles, action, channel), expect)
        << "check " << i << ": " << ActionName(action) << " " << channel;
    (expect ? allowed : denied)++;
  }
  // The policy must produce a real mix or the comparison proves little.
  EXPECT_GT(allowed, 20'000);
  EXPECT_GT(denied, 20'000);
}

}  // namespace
}  // namespace wsbench

#include "wsbench/server_policy.h"

#include <string>

#include "gtest/gtest.h"

namespace wsbench {
namespace {

TEST(ServerPolicyTest, DefaultLetsEveryoneSubscribeAndPublishButSystem) {
  Rbac rbac;
  RoleSet everyone;
  ASSERT_TRUE(LoadServerPolicy(kDefaultServerPolicy, rbac, everyone).ok());
  const RoleSet roles = RolesOf(rbac, everyone, "anyone");
  EXPECT_FALSE(roles.empty());
  EXPECT_TRUE(rbac.Check(roles, Action::kSubscribe, "chat"));
  EXPECT_TRUE(rbac.Check(roles, Action::kSubscribe, "system.alerts"));
  EXPECT_TRUE(rbac.Check(roles, Action::kPublish, "chat"));
  EXPECT_FALSE(rbac.Check(roles, Action::kPublish, "system.alerts"));
  EXPECT_FALSE(rbac.Check(roles, Action::kAdmin, "chat"));
}

TEST(ServerPolicyTest, UserLinesAssignRolesAndStarIsTheDefault) {
  Rbac rbac;
  RoleSet everyone;
  ASSERT_TRUE(LoadServerPolicy("trader allow publish orders.*   # comment\n"
                               "viewer allow subscribe *\n"
                               "\n"
                               "user alice trader viewer\n"
                               "user * viewer\n",
                               rbac, everyone)
                  .ok());
  const RoleSet alice = RolesOf(rbac, everyone, "alice");
  const RoleSet bob = RolesOf(rbac, everyone, "bob");
  EXPECT_EQ(alice.size(), 2);
  EXPECT_TRUE(rbac.Check(alice, Action::kPublish, "orders.eu"));
  EXPECT_TRUE(rbac.Check(alice, Action::kSubscribe, "x"));
  EXPECT_FALSE(rbac.Check(bob, Action::kPublish, "orders.eu"));
  EXPECT_TRUE(rbac.Check(bob, Action::kSubscribe, "x"));
}

TEST(ServerPolicyTest, WithoutStarUnknownUsersHoldNothing) {
  Rbac rbac;
  RoleSet everyone;
  ASSERT_TRUE(LoadServerPolicy("admin allow subscribe *\nuser root admin\n",
                               rbac, everyone)
                  .ok());
  EXPECT_TRUE(everyone.empty());
  EXPECT_FALSE(
      rbac.Check(RolesOf(rbac, everyone, "guest"), Action::kSubscribe, "a"));
  EXPECT_TRUE(
      rbac.Check(RolesOf(rbac, everyone, "root"), Action::kSubscribe, "a"));
}

TEST(ServerPolicyTest, RoleCalledUserIsStillARule) {
  Rbac rbac;
  RoleSet everyone;
  ASSERT_TRUE(
      LoadServerPolicy("user allow subscribe a\nuser * user\n", rbac, everyone)
          .ok());
  EXPECT_TRUE(
      rbac.Check(RolesOf(rbac, everyone, "x"), Action::kSubscribe, "a"));
}

TEST(ServerPolicyTest, ErrorsNameTheLine) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {
           Case{"a allow subscribe x\nuser bob\n", "policy line 2: expected"},
           Case{"a allow subscribe x\nuser bob nosuch\n",
                "policy line 2: role 'nosuch'"},
           Case{"a allow subscribe x\nuser bob a\nuser bob a\n",
                "policy line 3: user 'bob' is named twice"},
           Case{"# c\na allow dance x\n", "policy line 2"},
           Case{"a allow subscribe x*y\n", "policy line 1"},
       }) {
    Rbac rbac;
    RoleSet everyone;
    const absl::Status s = LoadServerPolicy(c.text, rbac, everyone);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(std::string(s.message()).find(c.message), std::string::npos)
        << s.message();
  }
}

}  // namespace
}  // namespace wsbench

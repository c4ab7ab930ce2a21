// ServerPolicy: who may subscribe and publish where on a running server: the
// RBAC rules (Rbac::LoadPolicy's text format) plus which roles each user
// holds, loaded from one text file or the built-in default.
//
// Format, one statement per line ('#' starts a comment, blank lines skipped):
//   <role> <allow|deny> <action> <pattern>   a rule, as Rbac::LoadPolicy
//   user <name> <role> [<role>...]           roles of the user <name>
//   user * <role> [<role>...]                roles of every user not named
// A line whose first field is "user" and whose second is not allow/deny is a
// user line (so a role may still be called "user"). The user is the one the
// client names in its handshake (see server.h); an unknown user without a
// "user *" line holds no roles and is denied everything.
//
// The built-in default (kDefaultServerPolicy) lets every user subscribe and
// publish on every channel except publishing on "system.*".
//
// Thread safety: an Rbac is single-threaded; each event loop loads its own.
//
//   wsbench::Rbac rbac;
//   wsbench::RoleSet everyone;
//   WSBENCH_RETURN_IF_ERROR(
//       wsbench::LoadServerPolicy(text, rbac, everyone));
//   wsbench::RoleSet roles = wsbench::RolesOf(rbac, everyone, "alice");
#ifndef WSBENCH_SERVER_POLICY_H_
#define WSBENCH_SERVER_POLICY_H_

#include <string_view>

#include "absl/status/status.h"
#include "wsbench/rbac.h"
#include "wsbench/role_set.h"

namespace wsbench {

inline constexpr std::string_view kDefaultServerPolicy =
    "member allow subscribe *\n"
    "member allow publish *\n"
    "member deny publish system.*\n"
    "user * member\n";

// Loads `text` into `rbac` (rules and user role assignments) and sets
// `default_roles` from the "user *" line (empty without one). InvalidArgument
// naming the line number and what was wrong: a malformed rule (Rbac's
// message), a user line without roles, an undefined role on a user line, a
// user named twice.
absl::Status LoadServerPolicy(std::string_view text, Rbac& rbac,
                              RoleSet& default_roles);

// The roles of `user`: its own if the policy names it, else `default_roles`.
RoleSet RolesOf(const Rbac& rbac, const RoleSet& default_roles,
                std::string_view user);

}  // namespace wsbench

#endif  // WSBENCH_SERVER_POLICY_H_

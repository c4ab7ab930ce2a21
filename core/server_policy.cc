// ServerPolicy: RBAC rules plus user lines.
#include "wsbench/server_policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace wsbench {
namespace {

// Fields of `line` separated by spaces, tabs or carriage returns.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    const size_t start = line.find_first_not_of(" \t\r", i);
    if (start == std::string_view::npos) break;
    const size_t end =
        std::min(line.find_first_of(" \t\r", start), line.size());
    fields.push_back(line.substr(start, end - start));
    i = end;
  }
  return fields;
}

}  // namespace

absl::Status LoadServerPolicy(std::string_view text, Rbac& rbac,
                              RoleSet& default_roles) {
  default_roles = RoleSet();
  // Rules go to Rbac::LoadPolicy with user lines blanked, so its line numbers
  // stay those of the file; user lines are applied after the rules have
  // defined the roles.
  std::string rules;
  rules.reserve(text.size());
  struct UserLine {
    int line;
    std::vector<std::string_view> fields;
  };
  std::vector<UserLine> users;
  int line_number = 0;
  for (size_t pos = 0; pos <= text.size();) {
    const size_t eol = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_number;
    std::vector<std::string_view> f = Fields(line.substr(0, line.find('#')));
    if (!f.empty() && f[0] == "user" &&
        (f.size() < 2 || (f[1] != "allow" && f[1] != "deny"))) {
      users.push_back({line_number, std::move(f)});
      rules += '\n';
      continue;
    }
    rules.append(line);
    rules += '\n';
  }
  if (absl::Status s = rbac.LoadPolicy(rules); !s.ok()) return s;
  absl::flat_hash_set<std::string_view> seen;
  for (const UserLine& u : users) {
    auto error = [&](const std::string& what) {
      return absl::InvalidArgumentError(
          fmt::format("policy line {}: {}", u.line, what));
    };
    if (u.fields.size() < 3) {
      return error("expected 'user <name> <role> [<role>...]'");
    }
    const std::string_view name = u.fields[1];
    if (!seen.insert(name).second) {
      return error(fmt::format("user '{}' is named twice", name));
    }
    RoleSet roles;
    for (size_t i = 2; i < u.fields.size(); ++i) {
      absl::StatusOr<RoleId> role = rbac.FindRole(u.fields[i]);
      if (!role.ok()) {
        return error(fmt::format(
            "role '{}' has no rule (define it with a rule line first)",
            u.fields[i]));
      }
      roles.Add(*role);
    }
    if (name == "*") {
      default_roles = roles;
    } else {
      rbac.AssignRoles(name, roles);
    }
  }
  return absl::OkStatus();
}

RoleSet RolesOf(const Rbac& rbac, const RoleSet& default_roles,
                std::string_view user) {
  RoleSet roles = rbac.UserRoles(user);
  return roles.empty() ? default_roles : roles;
}

}  // namespace wsbench

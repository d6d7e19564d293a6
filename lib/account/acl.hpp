// SPDX-License-Identifier: MIT
// account: ACL evaluation and account rules (profile, registration, groups). Pure logic over
// model types; never an HTTP, store or config type.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/user.hpp"

namespace canaille::account {

/// The permissions of reference §6.
enum class Permission {
    edit_self,
    use_oidc,
    manage_oidc,
    manage_users,
    manage_all_groups,
    manage_own_groups,
    delete_account,
    impersonate_users,
};

std::optional<Permission> parse_permission(std::string_view name);
std::string_view to_string(Permission p);

/// One ACL entry. `filter` empty = matches everyone; otherwise any of the maps matches when
/// all its pairs match the user.
struct AclRule {
    std::string name;
    std::set<Permission> permissions;
    std::set<std::string> read;
    std::set<std::string> write;
    std::vector<std::map<std::string, std::string>> filter;
};

/// What one user may do and see: the union over every matching rule.
struct Grants {
    std::set<Permission> permissions;
    std::set<std::string> read;
    std::set<std::string> write;
    bool can(Permission p) const { return permissions.count(p) > 0; }
    bool can_read(const std::string& attr) const {
        return read.count(attr) > 0 || write.count(attr) > 0;
    }
    bool can_write(const std::string& attr) const { return write.count(attr) > 0; }
};

/// Whether `rule` applies to `user`, whose group display names are `group_names`.
/// A pair matches when the user's attribute equals the value (lists: membership). Unlike
/// Canaille, a plain string attribute must match exactly, not as a substring (§6 quirk).
bool matches(const AclRule& rule, const model::User& user,
             const std::vector<std::string>& group_names);

Grants evaluate(const std::vector<AclRule>& rules, const model::User& user,
                const std::vector<std::string>& group_names);

}  // namespace canaille::account

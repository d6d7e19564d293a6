// SPDX-License-Identifier: MIT
#include "account/acl.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace canaille::account {
namespace {

constexpr std::array<std::pair<Permission, std::string_view>, 8> kPermissions{{
    {Permission::edit_self, "edit_self"},
    {Permission::use_oidc, "use_oidc"},
    {Permission::manage_oidc, "manage_oidc"},
    {Permission::manage_users, "manage_users"},
    {Permission::manage_all_groups, "manage_all_groups"},
    {Permission::manage_own_groups, "manage_own_groups"},
    {Permission::delete_account, "delete_account"},
    {Permission::impersonate_users, "impersonate_users"},
}};

/// The values of a user attribute as strings, for filter matching.
std::vector<std::string> attribute_values(const model::User& u, std::string_view attr,
                                          const std::vector<std::string>& group_names) {
    const auto one = [](const std::optional<std::string>& v) {
        return v ? std::vector<std::string>{*v} : std::vector<std::string>{};
    };
    if (attr == "user_name") return {u.user_name};
    if (attr == "groups") return group_names;
    if (attr == "emails") return u.emails;
    if (attr == "phone_numbers") return u.phone_numbers;
    if (attr == "family_name") return one(u.family_name);
    if (attr == "given_name") return one(u.given_name);
    if (attr == "formatted_name") return one(u.formatted_name);
    if (attr == "display_name") return one(u.display_name);
    if (attr == "preferred_language") return one(u.preferred_language);
    if (attr == "title") return one(u.title);
    if (attr == "organization") return one(u.organization);
    if (attr == "employee_number") return one(u.employee_number);
    if (attr == "department") return one(u.department);
    if (attr == "locality") return one(u.locality);
    if (attr == "region") return one(u.region);
    return {};
}

}  // namespace

std::optional<Permission> parse_permission(std::string_view name) {
    for (const auto& [p, n] : kPermissions) {
        if (n == name) return p;
    }
    return std::nullopt;
}

std::string_view to_string(Permission p) {
    for (const auto& [q, n] : kPermissions) {
        if (q == p) return n;
    }
    return "?";
}

bool matches(const AclRule& rule, const model::User& user,
             const std::vector<std::string>& group_names) {
    if (rule.filter.empty()) return true;
    return std::any_of(rule.filter.begin(), rule.filter.end(), [&](const auto& pairs) {
        return std::all_of(pairs.begin(), pairs.end(), [&](const auto& kv) {
            const auto values = attribute_values(user, kv.first, group_names);
            return std::find(values.begin(), values.end(), kv.second) != values.end();
        });
    });
}

Grants evaluate(const std::vector<AclRule>& rules, const model::User& user,
                const std::vector<std::string>& group_names) {
    Grants g;
    for (const auto& rule : rules) {
        if (!matches(rule, user, group_names)) continue;
        g.permissions.insert(rule.permissions.begin(), rule.permissions.end());
        g.read.insert(rule.read.begin(), rule.read.end());
        g.write.insert(rule.write.begin(), rule.write.end());
    }
    return g;
}

}  // namespace canaille::account

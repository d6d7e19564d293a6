// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "account/acl.hpp"

using namespace canaille;
using account::AclRule;
using account::Permission;

namespace {

std::vector<AclRule> canaille_defaults() {
    AclRule def;
    def.name = "DEFAULT";
    def.permissions = {Permission::edit_self, Permission::use_oidc, Permission::manage_own_groups};
    def.read = {"user_name", "groups", "lock_date"};
    def.write = {"given_name", "emails"};
    AclRule admin;
    admin.name = "ADMIN";
    admin.permissions = {Permission::manage_oidc, Permission::manage_users};
    admin.write = {"groups", "lock_date"};
    admin.filter = {{{"user_name", "admin"}}, {{"groups", "admin"}}};
    return {def, admin};
}

}  // namespace

TEST_CASE("permission names round trip", "[account][acl]") {
    for (const auto* name :
         {"edit_self", "use_oidc", "manage_oidc", "manage_users", "manage_all_groups",
          "manage_own_groups", "delete_account", "impersonate_users"}) {
        const auto p = account::parse_permission(name);
        REQUIRE(p.has_value());
        CHECK(account::to_string(*p) == name);
    }
    CHECK_FALSE(account::parse_permission("root").has_value());
}

TEST_CASE("ACL union over matching rules (reference §6)", "[account][acl]") {
    const auto rules = canaille_defaults();
    model::User alice;
    alice.user_name = "alice";

    const auto plain = account::evaluate(rules, alice, {});
    CHECK(plain.can(Permission::edit_self));
    CHECK_FALSE(plain.can(Permission::manage_users));
    CHECK(plain.can_read("user_name"));
    CHECK(plain.can_read("emails"));  // writable implies readable
    CHECK_FALSE(plain.can_write("groups"));

    const auto member = account::evaluate(rules, alice, {"admin"});
    CHECK(member.can(Permission::manage_users));
    CHECK(member.can_write("groups"));

    model::User admin;
    admin.user_name = "admin";
    CHECK(account::evaluate(rules, admin, {}).can(Permission::manage_oidc));
}

TEST_CASE("ACL filters match whole values, not substrings", "[account][acl]") {
    // Canaille matches plain strings as substrings (a quirk listed as a defect): "badmin"
    // must not get the admin rule.
    const auto rules = canaille_defaults();
    model::User u;
    u.user_name = "badmin";
    CHECK_FALSE(account::evaluate(rules, u, {"administrators"}).can(Permission::manage_users));
}

TEST_CASE("a filter with several pairs needs all of them", "[account][acl]") {
    AclRule r;
    r.permissions = {Permission::delete_account};
    r.filter = {{{"user_name", "bob"}, {"groups", "staff"}}};
    model::User bob;
    bob.user_name = "bob";
    CHECK_FALSE(account::evaluate({r}, bob, {}).can(Permission::delete_account));
    CHECK(account::evaluate({r}, bob, {"staff"}).can(Permission::delete_account));
    bob.emails = {"bob@example.org"};
    r.filter = {{{"emails", "bob@example.org"}}};
    CHECK(account::evaluate({r}, bob, {}).can(Permission::delete_account));
}

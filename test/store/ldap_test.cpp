// SPDX-License-Identifier: MIT
// What only the LDAP backend has: surviving a slapd restart, loading its schemas into
// cn=config, names that need RFC 4514 / RFC 4515 escaping, the placeholder member of empty
// groups, and passwords checked and set by the directory (ppolicy binds, RFC 3062).
#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "conformance/helpers.hpp"
#include "fixtures/slapd_server.hpp"
#include "store/ldap/ldap_store.hpp"
#include "util/base64.hpp"

using namespace canaille;
using namespace canaille::store;
using namespace canaille::store::testing;
using canaille::fixtures::SlapdServer;

namespace Catch {
template <>
struct StringMaker<canaille::store::PasswordVerdict> {
    static std::string convert(canaille::store::PasswordVerdict v) {
        switch (v) {
            case canaille::store::PasswordVerdict::ok:
                return "ok";
            case canaille::store::PasswordVerdict::mismatch:
                return "mismatch";
            case canaille::store::PasswordVerdict::locked:
                return "locked";
            case canaille::store::PasswordVerdict::expired:
                return "expired";
            case canaille::store::PasswordVerdict::must_change:
                return "must_change";
        }
        return "?";
    }
};
}  // namespace Catch

namespace {

/// Options for a store rooted at `root_dn` (under dc=test) on `server`.
LdapOptions options_on(const SlapdServer& server, const std::string& root_dn) {
    LdapOptions options;
    options.uri = server.uri();
    options.root_dn = root_dn;
    options.bind_dn = server.admin_dn();
    options.bind_pw = Secret(server.admin_password());
    options.timeout = 10;
    options.user_base = "ou=users," + root_dn;
    options.group_base = "ou=groups," + root_dn;
    options.config_uri = server.ldapi_uri();
    options.schema_dir = CANAILLE_LDAP_SCHEMA_DIR;
    return options;
}

LdapStore& as_ldap(Store& store) { return dynamic_cast<LdapStore&>(store); }

/// The values of `attr` in ldapsearch -LLL output, base64 ("attr:: ...") decoded.
std::vector<std::string> values_of(const std::string& ldif, const std::string& attr) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < ldif.size()) {
        auto end = ldif.find('\n', pos);
        if (end == std::string::npos) end = ldif.size();
        const std::string line = ldif.substr(pos, end - pos);
        pos = end + 1;
        if (line.size() <= attr.size() + 1 || line.compare(0, attr.size(), attr) != 0 ||
            line[attr.size()] != ':') {
            continue;
        }
        if (line[attr.size() + 1] == ':') {
            auto decoded = base64_decode(line.substr(attr.size() + 3));
            out.push_back(decoded.value_or("<bad base64>"));
        } else {
            out.push_back(line.substr(attr.size() + 2));
        }
    }
    return out;
}

/// The DN of the user named `user_name` in `store`, read straight from the directory.
std::string user_dn_of(Store& store, const std::string& user_name) {
    const auto& options = as_ldap(store).options();
    const auto out = SlapdServer::instance().search(options.user_base, "one",
                                                    "(uid=" + user_name + ")", {"1.1"});
    auto dns = values_of(out, "dn");
    REQUIRE(dns.size() == 1);
    return dns.front();
}

/// Binds as `dn` with `password` using ldapwhoami; true on success.
bool can_bind(const std::string& dn, const std::string& password) {
    const auto& server = SlapdServer::instance();
    auto result = fixtures::run_command(
        {"/usr/bin/ldapwhoami", "-x", "-H", server.uri(), "-D", dn, "-w", password},
        {{"LDAPNOINIT", "1"}}, server.dir(), "whoami");
    return result.exit_code == 0;
}

}  // namespace

TEST_CASE("ldap: a store survives a slapd restart between operations", "[ldap]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    REQUIRE(store->get_user_by_name("alice"));

    SlapdServer::instance().restart();
    // The connection was cut: the next operations reconnect.
    auto found = store->get_user_by_name("alice");
    REQUIRE(found);
    CHECK(found->id == alice.id);
    auto bob = add_user(*store, "bob");
    CHECK(store->count_users("") == 2);

    SlapdServer::instance().restart();
    CHECK(store->delete_user(bob.id) == Status::ok);
    CHECK(store->count_users("") == 1);
    CHECK_NOTHROW(store->check());
}

TEST_CASE("ldap: install loads the project schemas into cn=config, once", "[ldap]") {
    fixtures::SlapdOptions bare;
    bare.project_schemas = false;
    SlapdServer server(bare);

    const auto subschema = [&] {
        return server.search("cn=subschema", "base", "(objectClass=*)",
                             {"objectClasses", "attributeTypes"});
    };
    const auto schema_entries = [&] {
        return values_of(server
                             .root_tool("ldapsearch", {"-LLL", "-o", "ldif-wrap=no", "-b",
                                                       "cn=schema,cn=config", "-s", "one", "1.1"})
                             .out,
                         "dn");
    };
    const auto count_named = [](const std::vector<std::string>& dns, const std::string& name) {
        return std::count_if(dns.begin(), dns.end(), [&](const std::string& dn) {
            return dn.find(name) != std::string::npos;
        });
    };
    REQUIRE(subschema().find("'oauthClient'") == std::string::npos);
    REQUIRE(subschema().find("'ccppSession'") == std::string::npos);

    FakeClock clock(t0());
    LdapStore store(options_on(server, "ou=bare,dc=test"), clock);
    CHECK(store.schema_version() == 0);
    store.install();
    CHECK(store.schema_version() == LdapStore::kSchemaVersion);
    CHECK_NOTHROW(store.check());

    const auto loaded = subschema();
    CHECK(loaded.find("'oauthClient'") != std::string::npos);
    CHECK(loaded.find("'oauthToken'") != std::string::npos);
    CHECK(loaded.find("'ccppSession'") != std::string::npos);
    CHECK(loaded.find("'ccppReplayRecord'") != std::string::npos);
    const auto before = schema_entries();
    CHECK(count_named(before, "oauth2-openldap") == 1);
    CHECK(count_named(before, "canaille-cpp") == 1);

    // Again, on the same connection and on a new one: nothing changes.
    store.install();
    LdapStore again(options_on(server, "ou=bare,dc=test"), clock);
    again.install();
    CHECK(again.schema_version() == LdapStore::kSchemaVersion);
    CHECK(schema_entries() == before);

    // The loaded schemas are usable: users, groups and sessions go in.
    auto alice = add_user(store, "alice");
    add_group(store, "staff", {alice.id});
    CHECK(store.create_session(make_session("s1", alice.id, t0())) == Status::ok);
    CHECK(again.get_session("s1", t0()));
}

TEST_CASE("ldap: names needing DN and filter escaping are stored and found exactly", "[ldap]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    const std::vector<std::string> names = {"*)(uid=*",    "x,cn=admin", "a+b",        "#lead",
                                            " lead space", "ünïcödé",    "back\\sl",   "q\"uote",
                                            "semi;colon",  "angle<b>",   "nul-free=eq"};
    add_user(*store, "plain");
    add_user(*store, "admin");
    for (std::size_t i = 0; i < names.size(); ++i) {
        auto u = make_user(names[i]);
        // mail is an IA5String: keep the address ASCII whatever the name.
        u.emails = {"user" + std::to_string(i) + "@example.org"};
        u.family_name = names[i];
        INFO("creating " << names[i]);
        REQUIRE(store->create_user(u) == Status::ok);
        auto again = make_user(names[i]);
        again.emails = {"other" + std::to_string(i) + "@example.org"};
        CHECK(store->create_user(again) == Status::already_exists);
    }
    CHECK(store->count_users("") == names.size() + 2);

    for (const auto& name : names) {
        INFO("name: [" << name << "]");
        auto by_name = store->get_user_by_name(name);
        REQUIRE(by_name);
        CHECK(by_name->user_name == name);
        CHECK(by_name->family_name == name);
        auto by_id = store->get_user(by_name->id);
        REQUIRE(by_id);
        CHECK(by_id->user_name == name);
        // A substring search for the whole name finds that user and no other.
        CHECK(names_of(store->list_users(name, Page{})) == std::vector<std::string>{name});
        CHECK(store->count_users(name) == 1);
    }

    // Filter metacharacters are literals, not wildcards or filter syntax.
    CHECK_FALSE(store->get_user_by_name("*"));
    CHECK_FALSE(store->get_user_by_name("x"));
    CHECK_FALSE(store->get_user_by_name("a"));
    CHECK_FALSE(store->get_user_by_name("*)(uid=plain"));
    CHECK(names_of(store->list_users("*", Page{})) == std::vector<std::string>{"*)(uid=*"});
    CHECK(names_of(store->list_users(")(", Page{})) == std::vector<std::string>{"*)(uid=*"});
    CHECK(names_of(store->list_users("\\", Page{})) == std::vector<std::string>{"back\\sl"});
    CHECK(store->get_user_by_name("admin")->user_name == "admin");
    CHECK(store->get_user_by_name("x,cn=admin")->user_name == "x,cn=admin");

    // Groups with such names too.
    for (const std::string name : {"g*)(cn=*", "g,ou=x", "g+h", "#g", "grüppe"}) {
        INFO("group: [" << name << "]");
        auto g = add_group(*store, name);
        auto found = store->get_group_by_name(name);
        REQUIRE(found);
        CHECK(found->id == g.id);
        CHECK(found->display_name == name);
    }
    CHECK_FALSE(store->get_group_by_name("g*"));
}

TEST_CASE("ldap: an empty group never shows its placeholder member", "[ldap]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    auto bob = add_user(*store, "bob");

    auto empty = add_group(*store, "empty");
    CHECK(empty.members.empty());
    auto read = store->get_group(empty.id);
    REQUIRE(read);
    CHECK(read->members.empty());
    CHECK(names_of(store->list_groups("", Page{})) == std::vector<std::string>{"empty"});

    REQUIRE(store->add_member(empty.id, alice.id) == Status::ok);
    read = store->get_group(empty.id);
    REQUIRE(read);
    CHECK(read->members == std::vector<std::string>{alice.id});
    CHECK(store->get_user(alice.id)->groups == std::vector<std::string>{empty.id});

    REQUIRE(store->remove_member(empty.id, alice.id) == Status::ok);
    read = store->get_group(empty.id);
    REQUIRE(read);
    CHECK(read->members.empty());
    CHECK(store->get_user(alice.id)->groups.empty());

    // Emptied by update_group and by deleting the last member.
    read->members = {bob.id};
    REQUIRE(store->update_group(*read) == Status::ok);
    CHECK(store->get_group(empty.id)->members == std::vector<std::string>{bob.id});
    REQUIRE(store->delete_user(bob.id) == Status::ok);
    CHECK(store->get_group(empty.id)->members.empty());
    read = store->get_group(empty.id);
    read->members = {};
    CHECK(store->update_group(*read) == Status::ok);
    CHECK(store->get_group(empty.id)->members.empty());

    // The placeholder is no user.
    CHECK(names_of(store->list_users("", Page{})) == std::vector<std::string>{"alice"});
    CHECK(store->count_users("nobody") == 0);
    CHECK_FALSE(store->get_user_by_name("nobody"));
    CHECK(store->delete_group(empty.id) == Status::ok);
}

TEST_CASE("ldap: check_password binds with the password policy", "[ldap]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");

    // No password yet.
    CHECK(store->check_password(alice, "anything") == PasswordVerdict::mismatch);

    auto set = store->set_password(alice, Secret("correct horse"));
    REQUIRE(set);
    REQUIRE(*set == Status::ok);
    CHECK(store->check_password(alice, "correct horse") == PasswordVerdict::ok);
    CHECK(store->check_password(alice, "wrong") == PasswordVerdict::mismatch);
    CHECK(store->check_password(alice, "") == PasswordVerdict::mismatch);
    // A success resets the failure count (ppolicy), so the lockout below starts from 0.
    CHECK(store->check_password(alice, "correct horse") == PasswordVerdict::ok);

    SECTION("locked after pwdMaxFailure failures") {
        for (int i = 0; i < SlapdServer::kMaxFailure; ++i) {
            CHECK(store->check_password(alice, "wrong") == PasswordVerdict::mismatch);
        }
        CHECK(store->check_password(alice, "correct horse") == PasswordVerdict::locked);
        CHECK(store->check_password(alice, "wrong") != PasswordVerdict::ok);
    }

    SECTION("must change after an administrative reset") {
        const auto dn = user_dn_of(*store, "alice");
        SlapdServer::instance().modify("dn: " + dn +
                                       "\n"
                                       "changetype: modify\n"
                                       "replace: pwdPolicySubentry\n"
                                       "pwdPolicySubentry: " +
                                       std::string(SlapdServer::kMustChangePolicy) +
                                       "\n"
                                       "-\n"
                                       "replace: pwdReset\n"
                                       "pwdReset: TRUE\n");
        CHECK(store->check_password(alice, "correct horse") == PasswordVerdict::must_change);
        CHECK(store->check_password(alice, "wrong") == PasswordVerdict::mismatch);
    }

    SECTION("an unknown user is a mismatch") {
        auto ghost = make_user("ghost");
        ghost.id = "00000000-0000-0000-0000-000000000000";
        CHECK(store->check_password(ghost, "correct horse") == PasswordVerdict::mismatch);
    }
}

TEST_CASE("ldap: set_password goes through Password Modify and is hashed", "[ldap]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto bob = add_user(*store, "bob");
    const auto dn = user_dn_of(*store, "bob");

    auto set = store->set_password(bob, Secret("s3cret-Passw0rd"));
    REQUIRE(set);
    REQUIRE(*set == Status::ok);
    CHECK(can_bind(dn, "s3cret-Passw0rd"));
    CHECK_FALSE(can_bind(dn, "s3cret-passw0rd"));

    const auto stored =
        values_of(SlapdServer::instance().search(dn, "base", "(objectClass=*)", {"userPassword"}),
                  "userPassword");
    REQUIRE(stored.size() == 1);
    CHECK(stored.front().rfind("{SSHA}", 0) == 0);
    CHECK(stored.front().find("s3cret-Passw0rd") == std::string::npos);
    // The store never reads the directory's hash back into the model as a usable hash.
    auto read = store->get_user(bob.id);
    REQUIRE(read);
    CHECK(read->password != std::optional<std::string>("s3cret-Passw0rd"));

    // A new password replaces the old one.
    set = store->set_password(bob, Secret("another one"));
    REQUIRE(set);
    CHECK(*set == Status::ok);
    CHECK(can_bind(dn, "another one"));
    CHECK_FALSE(can_bind(dn, "s3cret-Passw0rd"));
    CHECK(store->check_password(bob, "another one") == PasswordVerdict::ok);

    auto ghost = make_user("ghost");
    ghost.id = "00000000-0000-0000-0000-000000000000";
    set = store->set_password(ghost, Secret("whatever"));
    REQUIRE(set);
    CHECK(*set == Status::not_found);
}

// SPDX-License-Identifier: MIT
// LDAP store behaviour under directory limits and concurrency: a bind identity with a small
// server-side size limit (olcLimits) must still see whole lists, or get an error, never a
// short list; two workers racing for one email address get one winner.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "conformance/helpers.hpp"
#include "fixtures/slapd_server.hpp"
#include "store/ldap/ldap_store.hpp"

using namespace canaille;
using namespace canaille::store;
using namespace canaille::store::testing;
using canaille::fixtures::SlapdServer;

namespace {

/// Creates `cn=<name>,<parent>`, a simple bind identity with `password`, and gives it the
/// slapd limits `limits` on the test database (cn=config, through the root ldapi access).
std::string add_service_account(const std::string& parent, const std::string& name,
                                const std::string& password, const std::string& limits) {
    const auto& server = SlapdServer::instance();
    const std::string dn = "cn=" + name + "," + parent;
    server.modify("dn: " + dn +
                  "\n"
                  "changetype: add\n"
                  "objectClass: organizationalRole\n"
                  "objectClass: simpleSecurityObject\n"
                  "cn: " +
                  name +
                  "\n"
                  "userPassword: " +
                  password + "\n");
    server.root_tool("ldapmodify", {},
                     "dn: olcDatabase={1}mdb,cn=config\n"
                     "changetype: modify\n"
                     "add: olcLimits\n"
                     "olcLimits: dn.exact=\"" +
                         dn + "\" " + limits + "\n");
    return dn;
}

/// A second store on the same directory subtree as `admin`, bound as `dn`.
std::unique_ptr<LdapStore> store_bound_as(Store& admin, const std::string& dn,
                                          const std::string& password, const Clock& clock) {
    LdapOptions options = dynamic_cast<LdapStore&>(admin).options();
    options.bind_dn = dn;
    options.bind_pw = Secret(password);
    options.config_uri.clear();
    return std::make_unique<LdapStore>(options, clock);
}

/// Runs `a` and `b` on two threads at once and says whether exactly one succeeded while the
/// other got `conflict`; `a_won` tells which.
template <typename A, typename B>
bool one_winner(A&& a, B&& b, bool& a_won) {
    Status sa = Status::invalid;
    Status sb = Status::invalid;
    std::thread ta([&] { sa = a(); });
    std::thread tb([&] { sb = b(); });
    ta.join();
    tb.join();
    CAPTURE(sa, sb);
    a_won = sa == Status::ok;
    return (sa == Status::ok && sb == Status::conflict) ||
           (sb == Status::ok && sa == Status::conflict);
}

/// A store with users user00..user11, and the ROOT_DN it lives in.
struct TwelveUsers {
    FakeClock clock{t0()};
    std::unique_ptr<Store> admin = make_empty_store(clock);
    std::string root = dynamic_cast<LdapStore&>(*admin).options().root_dn;
    TwelveUsers();
};

std::string name_of(int i) { return std::string("user") + (i < 10 ? "0" : "") + std::to_string(i); }

TwelveUsers::TwelveUsers() {
    for (int i = 0; i < 12; ++i) add_user(*admin, name_of(i));
}

}  // namespace

TEST_CASE("ldap: a bind identity with a small size limit still lists and counts everything",
          "[ldap][limits]") {
    TwelveUsers dir;
    auto& clock = dir.clock;
    auto& admin = dir.admin;
    const auto& root = dir.root;
    // Five entries per search, but paged results (RFC 2696) are not capped in total.
    const auto dn = add_service_account(root, "svc-paged", "svc-paged-pw",
                                        "size.soft=5 size.hard=5 size.prtotal=unlimited");
    auto svc = store_bound_as(*admin, dn, "svc-paged-pw", clock);

    for (int page_size : {0, 4, 5, 12}) {
        CAPTURE(page_size);
        svc->connection().set_page_size(page_size);
        CHECK(svc->count_users("") == 12);
        CHECK(svc->count_users("user0") == 10);
        CHECK(svc->list_users("user0", Page{0, 100}).size() == 10);
        auto all = svc->list_users("", Page{0, 100});
        REQUIRE(all.size() == 12);
        for (int i = 0; i < 12; ++i)
            CHECK(all[static_cast<std::size_t>(i)].user_name == name_of(i));
        auto last = svc->list_users("", Page{10, 25});
        REQUIRE(last.size() == 2);
        CHECK(last[0].user_name == "user10");
        CHECK(last[1].user_name == "user11");
        // Bounded lookups are unaffected.
        CHECK(svc->get_user_by_name("user07"));
    }
}

TEST_CASE("ldap: a size limit that would cut a list short is an error, not a short list",
          "[ldap][limits]") {
    TwelveUsers dir;
    auto& clock = dir.clock;
    auto& admin = dir.admin;
    const auto& root = dir.root;
    // Without size.prtotal the hard limit also caps paged results (slapd-config(5)).
    const auto dn =
        add_service_account(root, "svc-capped", "svc-capped-pw", "size.soft=5 size.hard=5");
    auto svc = store_bound_as(*admin, dn, "svc-capped-pw", clock);

    CHECK_THROWS_AS(svc->count_users(""), StoreError);
    CHECK_THROWS_AS(svc->list_users("", Page{0, 100}), StoreError);
    CHECK_THROWS_AS(svc->count_users("user0"), StoreError);
    // Within the limit everything works.
    CHECK(svc->count_users("user1") == 2);
    CHECK(svc->list_users("user1", Page{0, 100}).size() == 2);
    CHECK(svc->get_user_by_name("user07"));
}

TEST_CASE("ldap: racing connections on one email, one winner", "[ldap][race]") {
    SystemClock clock;
    auto first = make_empty_store(clock);
    auto second = connect_again(*first, clock);

    constexpr int kRounds = 15;
    for (int round = 0; round < kRounds; ++round) {
        CAPTURE(round);
        const std::string r = std::to_string(round);
        // The same address, in two spellings: emails are unique ignoring case.
        auto ua = make_user("a" + r);
        ua.emails = {"shared" + r + "@example.org"};
        auto ub = make_user("b" + r);
        ub.emails = {"other" + r + "@example.org", "SHARED" + r + "@Example.org"};
        bool a_won = false;
        CHECK(one_winner([&] { return first->create_user(ua); },
                         [&] { return second->create_user(ub); }, a_won));
        // The loser claimed nothing: its other address stays free.
        if (a_won) {
            auto uc = make_user("c" + r);
            uc.emails = {"other" + r + "@example.org"};
            CHECK(first->create_user(uc) == Status::ok);
        }
    }

    // Two existing users adding the same address at once.
    for (int round = 0; round < kRounds; ++round) {
        CAPTURE(round);
        const std::string r = std::to_string(round);
        auto ux = add_user(*first, "x" + r);
        auto uy = add_user(*first, "y" + r);
        ux.emails.push_back("new" + r + "@example.org");
        uy.emails.push_back("NEW" + r + "@example.org");
        bool x_won = false;
        CHECK(one_winner([&] { return first->update_user(ux); },
                         [&] { return second->update_user(uy); }, x_won));
        auto holder = first->get_user_by_email("new" + r + "@example.org");
        REQUIRE(holder);
        CHECK(holder->id == (x_won ? ux.id : uy.id));
    }
}

TEST_CASE("ldap: email claims follow renames, deletes and edits by other tools", "[ldap]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");  // alice@example.org

    // A rename keeps the address hers: the claim follows the entry.
    const auto& server = SlapdServer::instance();
    const auto& options = dynamic_cast<LdapStore&>(*store).options();
    auto claims_of = [&](const std::string& user_name) {
        const auto out = server.search(
            "ou=emails," + options.root_dn, "one",
            "(roleOccupant=uid=" + user_name + "," + options.user_base + ")", {"1.1"});
        std::size_t n = 0;
        for (std::size_t pos = 0; (pos = out.find("dn: ", pos)) != std::string::npos; ++pos) ++n;
        return n;
    };
    CHECK(claims_of("alice") == 1);
    alice.user_name = "alicia";
    REQUIRE(store->update_user(alice) == Status::ok);
    CHECK(claims_of("alice") == 0);
    CHECK(claims_of("alicia") == 1);
    auto other = make_user("bob");
    other.emails = {"alice@example.org"};
    CHECK(store->create_user(other) == Status::conflict);
    other.emails = {"bob@example.org"};
    REQUIRE(store->create_user(other) == Status::ok);

    // Dropped by an update, deleted with the user: free at once.
    alice.emails = {"alicia@example.org"};
    REQUIRE(store->update_user(alice) == Status::ok);
    other.emails = {"bob@example.org", "alice@example.org"};
    CHECK(store->update_user(other) == Status::ok);
    REQUIRE(store->delete_user(other.id) == Status::ok);
    auto carol = make_user("carol");
    carol.emails = {"bob@example.org", "alice@example.org"};
    CHECK(store->create_user(carol) == Status::ok);
    CHECK(claims_of("bob") == 0);
    CHECK(claims_of("carol") == 2);

    // Another tool removes the address from carol's entry: the claim is stale, and taken
    // over once it is older than the grace period of a worker's write.
    server.modify("dn: uid=carol," + options.user_base +
                  "\nchangetype: modify\ndelete: mail\nmail: alice@example.org\n");
    auto dave = make_user("dave");
    dave.emails = {"alice@example.org"};
    CHECK(store->create_user(dave) == Status::conflict);
    clock.advance(std::chrono::minutes(2));
    CHECK(store->create_user(dave) == Status::ok);

    // Another tool adds a user with an address and no claim: the search still sees it.
    server.modify("dn: uid=erin," + options.user_base +
                  "\nchangetype: add\nobjectClass: inetOrgPerson\nuid: erin\ncn: erin\nsn: erin\n"
                  "mail: erin@example.org\n");
    auto frank = make_user("frank");
    frank.emails = {"ERIN@example.org"};
    CHECK(store->create_user(frank) == Status::conflict);
    frank.emails = {"frank@example.org"};
    CHECK(store->create_user(frank) == Status::ok);
}

TEST_CASE("ldap: a server that refuses paged results gets plain searches, still checked",
          "[ldap][limits]") {
    TwelveUsers dir;
    auto& clock = dir.clock;
    auto& admin = dir.admin;
    const auto& root = dir.root;
    // slapd answers adminLimitExceeded to the control itself in both cases.
    for (const std::string limits : {"size.soft=20 size.hard=20 size.prtotal=disabled",
                                     "size.soft=20 size.hard=20 size.pr=3"}) {
        CAPTURE(limits);
        const std::string name =
            limits.find("disabled") != std::string::npos ? "svc-nopr" : "svc-pr3";
        const auto dn = add_service_account(root, name, name + "-pw", limits);
        auto svc = store_bound_as(*admin, dn, name + "-pw", clock);
        CHECK(svc->count_users("") == 12);
        CHECK(svc->list_users("", Page{0, 100}).size() == 12);
    }
    const auto dn = add_service_account(root, "svc-nopr-small", "svc-nopr-small-pw",
                                        "size.soft=5 size.hard=5 size.prtotal=disabled");
    auto svc = store_bound_as(*admin, dn, "svc-nopr-small-pw", clock);
    CHECK_THROWS_AS(svc->count_users(""), StoreError);
}

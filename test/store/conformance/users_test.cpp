// SPDX-License-Identifier: MIT
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "conformance/helpers.hpp"

using namespace canaille;
using namespace canaille::store;
using namespace canaille::store::testing;
using namespace std::chrono_literals;

namespace {

model::User full_user() {
    model::User u;
    u.user_name = "alice";
    u.password = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g";
    u.password_last_update = t0() - 24h;
    u.password_failure_timestamps = {t0() - 2h, t0() - 1h, t0() - 30min};
    u.preferred_language = "fr";
    u.family_name = "Liddell";
    u.given_name = "Alice";
    u.formatted_name = "Alice Liddell";
    u.display_name = "Ali";
    u.emails = {"zeta@example.org", "alice@example.org", "Alpha@Example.org"};
    u.phone_numbers = {"+33 6 12 34 56 78", "555-0100"};
    u.formatted_address = "1 Rabbit Hole\nWonderland";
    u.street = "1 Rabbit Hole";
    u.postal_code = "75001";
    u.locality = "Wonderland";
    u.region = "Looking-Glass";
    u.photo = std::string("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x00\x00\xff\xd9", 17);
    u.profile_url = "https://alice.example.org/";
    u.title = "Explorer";
    u.organization = "Tea Party";
    u.employee_number = "0042";
    u.department = "Croquet";
    u.lock_date = t0() + 48h;
    u.last_otp_login = t0() - 3h;
    u.secret_token = "JBSWY3DPEHPK3PXP";
    u.hotp_counter = 7;
    u.one_time_password = "123456";
    u.one_time_password_emission_date = t0() - 5min;
    return u;
}

}  // namespace

TEST_CASE("users: every attribute round-trips", "[users]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);

    auto u = full_user();
    REQUIRE(store->create_user(u) == Status::ok);
    CHECK_FALSE(u.id.empty());
    REQUIRE(u.created.has_value());
    REQUIRE(u.last_modified.has_value());
    CHECK(*u.created == t0());

    auto got = store->get_user(u.id);
    REQUIRE(got.has_value());
    const auto expected = full_user();
    CHECK(got->id == u.id);
    CHECK(got->created == u.created);
    CHECK(got->last_modified == u.last_modified);
    CHECK(got->user_name == expected.user_name);
    CHECK(got->password == expected.password);
    CHECK(got->password_last_update == expected.password_last_update);
    CHECK(got->password_failure_timestamps == expected.password_failure_timestamps);
    CHECK(got->preferred_language == expected.preferred_language);
    CHECK(got->family_name == expected.family_name);
    CHECK(got->given_name == expected.given_name);
    CHECK(got->formatted_name == expected.formatted_name);
    CHECK(got->display_name == expected.display_name);
    CHECK(got->emails == expected.emails);  // order kept: the first is the preferred one
    CHECK(got->preferred_email() == std::optional<std::string>("zeta@example.org"));
    CHECK(got->phone_numbers == expected.phone_numbers);
    CHECK(got->formatted_address == expected.formatted_address);
    CHECK(got->street == expected.street);
    CHECK(got->postal_code == expected.postal_code);
    CHECK(got->locality == expected.locality);
    CHECK(got->region == expected.region);
    REQUIRE(got->photo.has_value());
    CHECK(got->photo->size() == 17);
    CHECK(got->photo == expected.photo);
    CHECK(got->profile_url == expected.profile_url);
    CHECK(got->title == expected.title);
    CHECK(got->organization == expected.organization);
    CHECK(got->employee_number == expected.employee_number);
    CHECK(got->department == expected.department);
    CHECK(got->lock_date == expected.lock_date);
    CHECK_FALSE(got->locked(t0()));
    CHECK(got->locked(t0() + 48h));
    CHECK(got->last_otp_login == expected.last_otp_login);
    CHECK(got->secret_token == expected.secret_token);
    CHECK(got->hotp_counter == expected.hotp_counter);
    CHECK(got->one_time_password == expected.one_time_password);
    CHECK(got->one_time_password_emission_date == expected.one_time_password_emission_date);
    CHECK(got->groups.empty());
    CHECK(*got == u);

    CHECK(store->get_user_by_name("alice") == got);
    CHECK(store->get_user_by_email("alice@example.org") == got);
}

TEST_CASE("users: unset optionals stay unset, empty strings stay empty", "[users]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);

    model::User bare;
    bare.user_name = "bare";
    REQUIRE(store->create_user(bare) == Status::ok);
    auto got = store->get_user(bare.id);
    REQUIRE(got.has_value());
    CHECK_FALSE(got->password.has_value());
    CHECK_FALSE(got->given_name.has_value());
    CHECK_FALSE(got->photo.has_value());
    CHECK_FALSE(got->lock_date.has_value());
    CHECK_FALSE(got->hotp_counter.has_value());
    CHECK(got->emails.empty());
    CHECK(got->phone_numbers.empty());
    CHECK(got->password_failure_timestamps.empty());
    CHECK(*got == bare);

    model::User empty = make_user("empty");
    empty.given_name = "";
    empty.photo = "";
    empty.hotp_counter = 0;
    REQUIRE(store->create_user(empty) == Status::ok);
    got = store->get_user(empty.id);
    REQUIRE(got.has_value());
    CHECK(got->given_name == std::optional<std::string>(""));
    CHECK(got->photo == std::optional<std::string>(""));
    CHECK(got->hotp_counter == std::optional<std::int64_t>(0));
    CHECK_FALSE(got->family_name.has_value());
}

TEST_CASE("users: caller-chosen id is kept, unknown lookups are empty", "[users]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto u = make_user("chosen");
    u.id = "6f1c1f7e-2d2a-4a53-9c57-1d4a3e1b8f00";
    REQUIRE(store->create_user(u) == Status::ok);
    CHECK(u.id == "6f1c1f7e-2d2a-4a53-9c57-1d4a3e1b8f00");
    CHECK(store->get_user(u.id).has_value());

    auto same_id = make_user("other");
    same_id.id = u.id;
    CHECK(store->create_user(same_id) == Status::already_exists);

    CHECK_FALSE(store->get_user("no-such-id").has_value());
    CHECK_FALSE(store->get_user_by_name("nobody").has_value());
    CHECK_FALSE(store->get_user_by_email("nobody@example.org").has_value());
    CHECK_FALSE(store->get_user_by_email("").has_value());
}

TEST_CASE("users: user_name is unique", "[users]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    add_user(*store, "alice");

    auto dup = make_user("alice");
    dup.emails = {"other@example.org"};
    CHECK(store->create_user(dup) == Status::already_exists);
    CHECK(dup.id.empty());  // the caller's object is untouched on failure

    // Like an LDAP uid, the identifier is unique regardless of ASCII case.
    auto upper = make_user("ALICE");
    upper.emails = {"upper@example.org"};
    CHECK(store->create_user(upper) == Status::already_exists);
    CHECK(store->get_user_by_name("Alice").has_value());

    CHECK(store->count_users("") == 1);
    CHECK_FALSE(store->get_user_by_email("other@example.org").has_value());

    // Renaming onto a taken name fails too; keeping one's own name is fine.
    auto bob = add_user(*store, "bob");
    bob.user_name = "alice";
    CHECK(store->update_user(bob) == Status::already_exists);
    CHECK(store->get_user(bob.id)->user_name == "bob");
    bob.user_name = "bob";
    bob.given_name = "Bob";
    CHECK(store->update_user(bob) == Status::ok);
}

TEST_CASE("users: an email used by another user is a conflict and nothing is written", "[users]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");

    auto bob = make_user("bob");
    bob.emails = {"bob@example.org", "ALICE@example.org"};
    bob.phone_numbers = {"555-0101"};
    CHECK(store->create_user(bob) == Status::conflict);
    CHECK_FALSE(store->get_user_by_name("bob").has_value());
    CHECK_FALSE(store->get_user_by_email("bob@example.org").has_value());
    CHECK(store->count_users("") == 1);
    CHECK(store->count_users("555-0101") == 0);
    CHECK(store->get_user_by_email("alice@example.org")->id == alice.id);

    // The same through an update: the user stays as it was.
    bob.emails = {"bob@example.org"};
    REQUIRE(store->create_user(bob) == Status::ok);
    auto before = store->get_user(bob.id);
    auto changed = bob;
    changed.given_name = "Robert";
    changed.emails = {"robert@example.org", "alice@example.org"};
    CHECK(store->update_user(changed) == Status::conflict);
    CHECK(store->get_user(bob.id) == before);
    CHECK_FALSE(store->get_user_by_email("robert@example.org").has_value());

    // One user cannot list the same address twice.
    auto twice = make_user("carol");
    twice.emails = {"carol@example.org", "Carol@Example.org"};
    CHECK(store->create_user(twice) == Status::invalid);
    CHECK_FALSE(store->get_user_by_name("carol").has_value());

    // Once freed by its owner, the address can be taken.
    alice.emails = {"alice2@example.org"};
    REQUIRE(store->update_user(alice) == Status::ok);
    auto carol = make_user("carol");
    carol.emails = {"alice@example.org"};
    CHECK(store->create_user(carol) == Status::ok);
}

TEST_CASE("users: get_user_by_email is exact and case-insensitive", "[users]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto u = make_user("alice");
    u.emails = {"Alice.Liddell@Example.org", "second@example.org"};
    REQUIRE(store->create_user(u) == Status::ok);

    CHECK(store->get_user_by_email("alice.liddell@example.org")->id == u.id);
    CHECK(store->get_user_by_email("ALICE.LIDDELL@EXAMPLE.ORG")->id == u.id);
    CHECK(store->get_user_by_email("second@example.org")->id == u.id);
    CHECK_FALSE(store->get_user_by_email("alice.liddell@example").has_value());
    CHECK_FALSE(store->get_user_by_email("liddell@example.org").has_value());
    CHECK_FALSE(store->get_user_by_email("%@example.org").has_value());
}

TEST_CASE("users: update replaces every attribute and list", "[users]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto u = full_user();
    REQUIRE(store->create_user(u) == Status::ok);
    const auto created = u.created;

    clock.advance(90s);
    u.emails = {"alpha@example.org", "new@example.org"};
    u.phone_numbers.clear();
    u.password_failure_timestamps = {t0() + 10s};
    u.given_name.reset();
    u.photo.reset();
    u.lock_date.reset();
    u.hotp_counter = 8;
    u.title = "Queen";
    REQUIRE(store->update_user(u) == Status::ok);
    CHECK(u.created == created);
    CHECK(u.last_modified > created);

    auto got = store->get_user(u.id);
    REQUIRE(got.has_value());
    CHECK(got->emails == std::vector<std::string>{"alpha@example.org", "new@example.org"});
    CHECK(got->phone_numbers.empty());
    CHECK(got->password_failure_timestamps == std::vector<TimePoint>{t0() + 10s});
    CHECK_FALSE(got->given_name.has_value());
    CHECK_FALSE(got->photo.has_value());
    CHECK_FALSE(got->lock_date.has_value());
    CHECK(got->hotp_counter == std::optional<std::int64_t>(8));
    CHECK(got->title == std::optional<std::string>("Queen"));
    CHECK(got->family_name == std::optional<std::string>("Liddell"));
    CHECK(*got == u);

    // Dropped addresses are free again; the old ones no longer find the user.
    CHECK_FALSE(store->get_user_by_email("zeta@example.org").has_value());
    CHECK(store->get_user_by_email("new@example.org")->id == u.id);

    auto ghost = make_user("ghost");
    ghost.id = "no-such-id";
    CHECK(store->update_user(ghost) == Status::not_found);
    CHECK_FALSE(store->get_user_by_name("ghost").has_value());
}

TEST_CASE("users: delete cascades to memberships, sessions and ownership", "[users]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    auto bob = add_user(*store, "bob");
    auto team = add_group(*store, "team", {alice.id, bob.id});
    auto owned = make_group("owned");
    owned.owner = alice.id;
    REQUIRE(store->create_group(owned) == Status::ok);
    REQUIRE(store->create_session(make_session("s-alice", alice.id, t0())) == Status::ok);
    REQUIRE(store->create_session(make_session("s-bob", bob.id, t0())) == Status::ok);

    REQUIRE(store->delete_user(alice.id) == Status::ok);
    CHECK_FALSE(store->get_user(alice.id).has_value());
    CHECK_FALSE(store->get_user_by_email("alice@example.org").has_value());
    CHECK(store->get_group(team.id)->members == std::vector<std::string>{bob.id});
    auto owned_now = store->get_group(owned.id);
    REQUIRE(owned_now.has_value());
    CHECK_FALSE(owned_now->owner.has_value());
    CHECK_FALSE(store->get_session("s-alice", t0()).has_value());
    CHECK(store->get_session("s-bob", t0()).has_value());

    CHECK(store->delete_user(alice.id) == Status::not_found);
    CHECK(store->delete_user("no-such-id") == Status::not_found);

    // Her address and name are free again.
    auto again = make_user("alice");
    CHECK(store->create_user(again) == Status::ok);
}

TEST_CASE("users: fuzzy search", "[users][search]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);

    auto alice = make_user("alice");
    alice.given_name = "Alice";
    alice.family_name = "Liddell";
    REQUIRE(store->create_user(alice) == Status::ok);

    auto bob = make_user("bob");
    bob.formatted_name = "Bob Builder";
    bob.phone_numbers = {"+33 6 12 34 56 78"};
    REQUIRE(store->create_user(bob) == Status::ok);

    auto percent = make_user("percent");
    percent.display_name = "100% sure";
    REQUIRE(store->create_user(percent) == Status::ok);

    auto under = make_user("under");
    under.display_name = "snake_case";
    REQUIRE(store->create_user(under) == Status::ok);

    auto slash = make_user("slash");
    slash.display_name = "back\\slash";
    REQUIRE(store->create_user(slash) == Status::ok);

    model::User inject;
    inject.user_name = "*)(uid=*";
    inject.emails = {"inject@example.net"};
    REQUIRE(store->create_user(inject) == Status::ok);

    auto jose = make_user("jose");
    jose.given_name = "José";
    jose.family_name = "Müller";
    jose.emails = {"jose@example.com"};
    REQUIRE(store->create_user(jose) == Status::ok);

    auto ivan = make_user("ivan");
    ivan.given_name = "Иван";
    ivan.display_name = "Σωκράτης";
    REQUIRE(store->create_user(ivan) == Status::ok);

    auto find = [&](std::string_view q) {
        auto names = names_of(store->list_users(q, Page{0, 100}));
        std::sort(names.begin(), names.end());
        CHECK(store->count_users(q) == names.size());
        return names;
    };
    using V = std::vector<std::string>;

    CHECK(find("lid") == V{"alice"});         // family name
    CHECK(find("LIDDELL") == V{"alice"});     // case-insensitive
    CHECK(find("ALI") == V{"alice"});         // user_name and given name
    CHECK(find("builder") == V{"bob"});       // formatted name
    CHECK(find("12 34") == V{"bob"});         // phone number
    CHECK(find("100%") == V{"percent"});      // display name
    CHECK(find("example.com") == V{"jose"});  // email
    CHECK(find("EXAMPLE.NET") == V{"*)(uid=*"});

    // Wildcards and escapes of the query language match themselves.
    CHECK(find("%") == V{"percent"});
    CHECK(find("_") == V{"under"});
    CHECK(find("\\") == V{"slash"});
    CHECK(find("e_c") == V{"under"});
    CHECK(find("0%_") == V{});
    CHECK(find("*") == V{"*)(uid=*"});
    CHECK(find("*)(uid=*") == V{"*)(uid=*"});
    CHECK(find(")(") == V{"*)(uid=*"});
    CHECK(find("'") == V{});
    CHECK(find("\"; DROP TABLE users; --") == V{});

    // Non-ASCII text is found as typed and, for Latin, Greek and Cyrillic, in any case.
    CHECK(find("José") == V{"jose"});
    CHECK(find("Müller") == V{"jose"});
    CHECK(find("JOS") == V{"jose"});
    CHECK(find("ü") == V{"jose"});
    CHECK(find("JOSÉ") == V{"jose"});
    CHECK(find("MÜLLER") == V{"jose"});
    CHECK(find("ИВАН") == V{"ivan"});
    CHECK(find("иван") == V{"ivan"});
    CHECK(find("ΣΩΚΡΆΤΗΣ") == V{"ivan"});

    CHECK(find("nothing-matches-this") == V{});
    CHECK(store->count_users("") == 8);
    CHECK(find("").size() == 8);
}

TEST_CASE("users: listing is ordered by user_name and paged", "[users][search]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    // Created out of order on purpose.
    for (int i : {7, 2, 10, 0, 5, 11, 1, 9, 3, 8, 4, 6}) {
        char name[16];
        std::snprintf(name, sizeof name, "user%02d", i);
        add_user(*store, name);
    }
    auto page = [&](std::size_t offset, std::size_t limit, std::string_view q = "") {
        return names_of(store->list_users(q, Page{offset, limit}));
    };
    using V = std::vector<std::string>;
    CHECK(page(0, 3) == V{"user00", "user01", "user02"});
    CHECK(page(3, 3) == V{"user03", "user04", "user05"});
    CHECK(page(10, 5) == V{"user10", "user11"});
    CHECK(page(12, 5).empty());
    CHECK(page(100, 5).empty());
    CHECK(page(0, 0).empty());
    CHECK(page(0, 100).size() == 12);
    CHECK(page(1, 2, "user1") == V{"user11"});
    CHECK(store->count_users("") == 12);
    CHECK(store->count_users("user1") == 2);  // user10, user11

    // A page of users carries their lists too.
    auto first = store->list_users("", Page{0, 1});
    REQUIRE(first.size() == 1);
    CHECK(first[0].emails == std::vector<std::string>{"user00@example.org"});
}

TEST_CASE("users: invalid users are refused", "[users]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    model::User nameless;
    CHECK(store->create_user(nameless) == Status::invalid);
    auto empty_mail = make_user("x");
    empty_mail.emails = {""};
    CHECK(store->create_user(empty_mail) == Status::invalid);
    CHECK(store->count_users("") == 0);

    // A membership in a group that does not exist is refused, and nothing is written.
    auto lost = make_user("lost");
    lost.groups = {"no-such-group"};
    CHECK(store->create_user(lost) != Status::ok);
    CHECK_FALSE(store->get_user_by_name("lost").has_value());
}

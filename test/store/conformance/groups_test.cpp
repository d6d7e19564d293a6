// SPDX-License-Identifier: MIT
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "conformance/helpers.hpp"

using namespace canaille;
using namespace canaille::store;
using namespace canaille::store::testing;
using namespace std::chrono_literals;
using V = std::vector<std::string>;

TEST_CASE("groups: members, owner and description round-trip", "[groups]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    auto bob = add_user(*store, "bob");
    auto carol = add_user(*store, "carol");

    auto g = make_group("Tea party");
    g.members = {bob.id, alice.id};
    g.owner = carol.id;
    g.description = "Mad hatters";
    REQUIRE(store->create_group(g) == Status::ok);
    CHECK_FALSE(g.id.empty());
    CHECK(g.created.has_value());

    auto got = store->get_group(g.id);
    REQUIRE(got.has_value());
    CHECK(got->display_name == "Tea party");
    CHECK(got->members == V{bob.id, alice.id});  // membership order is kept
    CHECK(got->owner == std::optional<std::string>(carol.id));
    CHECK(got->description == std::optional<std::string>("Mad hatters"));
    CHECK(*got == g);
    CHECK(store->get_group_by_name("Tea party") == got);
    CHECK(store->get_group_by_name("tea PARTY") == got);
    CHECK_FALSE(store->get_group_by_name("Tea").has_value());
    CHECK_FALSE(store->get_group("no-such-id").has_value());

    // The read side of membership: user.groups.
    CHECK(store->get_user(alice.id)->groups == V{g.id});
    CHECK(store->get_user(bob.id)->groups == V{g.id});
    CHECK(store->get_user(carol.id)->groups.empty());  // owning is not membership
}

TEST_CASE("groups: an empty group is allowed", "[groups]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto g = make_group("empty");
    REQUIRE(store->create_group(g) == Status::ok);
    auto got = store->get_group(g.id);
    REQUIRE(got.has_value());
    CHECK(got->members.empty());
    CHECK_FALSE(got->owner.has_value());
    CHECK_FALSE(got->description.has_value());
}

TEST_CASE("groups: display_name is unique and required", "[groups]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto admins = add_group(*store, "admins");
    auto dup = make_group("admins");
    CHECK(store->create_group(dup) == Status::already_exists);
    auto upper = make_group("ADMINS");
    CHECK(store->create_group(upper) == Status::already_exists);
    auto nameless = make_group("");
    CHECK(store->create_group(nameless) == Status::invalid);
    CHECK(store->count_groups("") == 1);

    auto staff = add_group(*store, "staff");
    staff.display_name = "admins";
    CHECK(store->update_group(staff) == Status::already_exists);
    CHECK(store->get_group(staff.id)->display_name == "staff");
}

TEST_CASE("groups: unknown members or owner are refused, nothing written", "[groups]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    auto g = make_group("ghosts");
    g.members = {alice.id, "no-such-user"};
    CHECK(store->create_group(g) != Status::ok);
    CHECK_FALSE(store->get_group_by_name("ghosts").has_value());
    CHECK(store->get_user(alice.id)->groups.empty());

    auto owned = make_group("owned");
    owned.owner = "no-such-user";
    CHECK(store->create_group(owned) != Status::ok);
    CHECK(store->count_groups("") == 0);
}

TEST_CASE("groups: add_member and remove_member are idempotent", "[groups]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    auto bob = add_user(*store, "bob");
    auto g = add_group(*store, "team");

    CHECK(store->add_member(g.id, alice.id) == Status::ok);
    clock.advance(1s);
    CHECK(store->add_member(g.id, bob.id) == Status::ok);
    CHECK(store->add_member(g.id, alice.id) == Status::ok);
    CHECK(store->get_group(g.id)->members == V{alice.id, bob.id});
    CHECK(store->get_user(alice.id)->groups == V{g.id});

    CHECK(store->remove_member(g.id, alice.id) == Status::ok);
    CHECK(store->remove_member(g.id, alice.id) == Status::ok);
    CHECK(store->get_group(g.id)->members == V{bob.id});
    CHECK(store->get_user(alice.id)->groups.empty());

    CHECK(store->add_member("no-such-group", alice.id) == Status::not_found);
    CHECK(store->add_member(g.id, "no-such-user") == Status::not_found);
    CHECK(store->remove_member("no-such-group", alice.id) == Status::not_found);
    CHECK(store->remove_member(g.id, "no-such-user") == Status::not_found);
    CHECK(store->get_group(g.id)->members == V{bob.id});
}

TEST_CASE("groups: user.groups follows membership order", "[groups]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    auto first = add_group(*store, "zz-first");
    auto second = add_group(*store, "aa-second");
    REQUIRE(store->add_member(first.id, alice.id) == Status::ok);
    clock.advance(1s);
    REQUIRE(store->add_member(second.id, alice.id) == Status::ok);
    CHECK(store->get_user(alice.id)->groups == V{first.id, second.id});
}

TEST_CASE("groups: memberships written from the user side", "[groups]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto g1 = add_group(*store, "one");
    auto g2 = add_group(*store, "two");
    auto bob = add_user(*store, "bob");

    auto alice = make_user("alice");
    alice.groups = {g1.id};
    REQUIRE(store->create_user(alice) == Status::ok);
    CHECK(store->get_group(g1.id)->members == V{alice.id});

    // Joining adds at the end of the group's member list.
    REQUIRE(store->add_member(g2.id, bob.id) == Status::ok);
    clock.advance(1s);
    alice.groups = {g1.id, g2.id};
    REQUIRE(store->update_user(alice) == Status::ok);
    CHECK(store->get_group(g2.id)->members == V{bob.id, alice.id});
    CHECK(store->get_user(alice.id)->groups == V{g1.id, g2.id});

    alice.groups = {g2.id};
    REQUIRE(store->update_user(alice) == Status::ok);
    CHECK(store->get_group(g1.id)->members.empty());
    CHECK(store->get_user(alice.id)->groups == V{g2.id});

    alice.groups.clear();
    REQUIRE(store->update_user(alice) == Status::ok);
    CHECK(store->get_group(g2.id)->members == V{bob.id});
}

TEST_CASE("groups: update replaces members, owner and description", "[groups]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    auto bob = add_user(*store, "bob");
    auto carol = add_user(*store, "carol");

    auto g = make_group("team");
    g.members = {alice.id, bob.id};
    g.owner = alice.id;
    g.description = "the team";
    REQUIRE(store->create_group(g) == Status::ok);

    clock.advance(60s);
    g.members = {carol.id, alice.id};
    g.owner.reset();
    g.description.reset();
    g.display_name = "renamed";
    REQUIRE(store->update_group(g) == Status::ok);
    CHECK(g.last_modified > g.created);

    auto got = store->get_group(g.id);
    REQUIRE(got.has_value());
    CHECK(got->display_name == "renamed");
    CHECK(got->members == V{carol.id, alice.id});
    CHECK_FALSE(got->owner.has_value());
    CHECK_FALSE(got->description.has_value());
    CHECK(*got == g);
    CHECK(store->get_user(bob.id)->groups.empty());
    CHECK(store->get_user(carol.id)->groups == V{g.id});
    CHECK_FALSE(store->get_group_by_name("team").has_value());

    g.members.clear();
    REQUIRE(store->update_group(g) == Status::ok);
    CHECK(store->get_group(g.id)->members.empty());

    auto ghost = make_group("ghost");
    ghost.id = "no-such-id";
    CHECK(store->update_group(ghost) == Status::not_found);
}

TEST_CASE("groups: delete removes memberships", "[groups]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    auto g = add_group(*store, "team", {alice.id});
    auto keep = add_group(*store, "keep", {alice.id});
    REQUIRE(store->delete_group(g.id) == Status::ok);
    CHECK_FALSE(store->get_group(g.id).has_value());
    CHECK(store->get_user(alice.id)->groups == V{keep.id});
    CHECK(store->delete_group(g.id) == Status::not_found);
    // Deleting a group never deletes its members.
    CHECK(store->get_user(alice.id).has_value());
}

TEST_CASE("groups: fuzzy search, paging and counts", "[groups][search]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto admins = make_group("Admins");
    admins.description = "People who administer things";
    REQUIRE(store->create_group(admins) == Status::ok);
    add_group(*store, "developers");
    add_group(*store, "100% pure");
    add_group(*store, "snake_case");
    add_group(*store, "*)(cn=*");
    auto ops = make_group("ops");
    ops.description = "Opérations";
    REQUIRE(store->create_group(ops) == Status::ok);

    auto find = [&](std::string_view q) {
        auto names = names_of(store->list_groups(q, Page{0, 100}));
        std::sort(names.begin(), names.end());
        CHECK(store->count_groups(q) == names.size());
        return names;
    };
    CHECK(find("admin") == V{"Admins"});
    CHECK(find("ADMINISTER") == V{"Admins"});  // description
    CHECK(find("dev") == V{"developers"});
    CHECK(find("%") == V{"100% pure"});
    CHECK(find("_") == V{"snake_case"});
    CHECK(find("*") == V{"*)(cn=*"});
    CHECK(find("é") == V{"ops"});
    CHECK(find("OPÉRATIONS") == V{"ops"});
    CHECK(find("zzz").empty());
    CHECK(find("").size() == 6);

    for (int i = 0; i < 5; ++i) add_group(*store, "team" + std::to_string(i));
    auto page = names_of(store->list_groups("team", Page{1, 2}));
    CHECK(page == V{"team1", "team2"});
    CHECK(names_of(store->list_groups("team", Page{4, 10})) == V{"team4"});
    CHECK(store->list_groups("team", Page{5, 10}).empty());
    CHECK(store->count_groups("team") == 5);

    // A page of groups carries their members.
    auto alice = add_user(*store, "alice");
    REQUIRE(store->add_member(admins.id, alice.id) == Status::ok);
    auto listed = store->list_groups("Admins", Page{0, 10});
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].members == V{alice.id});
}

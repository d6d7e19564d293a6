// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "conformance/oidc_helpers.hpp"

using namespace canaille;
using namespace canaille::store;
using namespace canaille::store::testing;
using namespace std::chrono_literals;

TEST_CASE("consents: round-trip, lookups and uniqueness", "[oidc][consents]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    auto bob = add_user(*store, "bob");
    add_client(*store, "app");
    add_client(*store, "other");

    auto c = make_consent("k1", alice.id, "app", t0());
    c.revokation_date = t0() + 7s;
    REQUIRE(store->create_consent(c) == Status::ok);
    CHECK_FALSE(c.id.empty());
    CHECK(store->get_consent("k1") == std::optional<model::Consent>(c));
    CHECK(store->get_consent_for(alice.id, "app") == std::optional<model::Consent>(c));
    CHECK_FALSE(store->get_consent_for(alice.id, "other").has_value());
    CHECK_FALSE(store->get_consent_for(bob.id, "app").has_value());
    CHECK_FALSE(store->get_consent("nothing").has_value());

    auto same_id = make_consent("k1", bob.id, "app", t0());
    CHECK(store->create_consent(same_id) == Status::already_exists);
    auto second_for_pair = make_consent("k2", alice.id, "app", t0());
    CHECK(store->create_consent(second_for_pair) == Status::conflict);
    auto no_client = make_consent("k3", alice.id, "ghost", t0());
    CHECK(store->create_consent(no_client) == Status::invalid);
    auto no_user = make_consent("k4", "ghost-user", "app", t0());
    CHECK(store->create_consent(no_user) == Status::invalid);
    auto no_id = make_consent("", alice.id, "other", t0());
    CHECK(store->create_consent(no_id) == Status::invalid);

    auto empty_scope = make_consent("k5", bob.id, "app", t0());
    empty_scope.scope = {};
    REQUIRE(store->create_consent(empty_scope) == Status::ok);
    CHECK(*store->get_consent("k5") == empty_scope);
}

TEST_CASE("consents: update, list and delete", "[oidc][consents]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    add_client(*store, "app");
    add_client(*store, "other");
    add_client(*store, "third");

    auto a = make_consent("k-app", alice.id, "app", t0() + 20s);
    REQUIRE(store->create_consent(a) == Status::ok);
    auto b = make_consent("k-other", alice.id, "other", t0() + 10s);
    b.revokation_date = t0() + 15s;
    REQUIRE(store->create_consent(b) == Status::ok);

    // Accepting again: new scopes and date, revocation cleared.
    b.scope = {"openid", "profile", "email"};
    b.issue_date = t0() + 30s;
    b.revokation_date.reset();
    REQUIRE(store->update_consent(b) == Status::ok);
    CHECK(*store->get_consent("k-other") == b);

    auto moved = b;
    moved.client_id = "third";
    CHECK(store->update_consent(moved) == Status::invalid);
    auto renamed = b;
    renamed.consent_id = "renamed";
    CHECK(store->update_consent(renamed) == Status::invalid);
    auto ghost = b;
    ghost.id = "no-such-id";
    CHECK(store->update_consent(ghost) == Status::not_found);
    CHECK(*store->get_consent("k-other") == b);

    auto listed = store->list_consents_of(alice.id);
    REQUIRE(listed.size() == 2);
    CHECK(listed[0].consent_id == "k-app");  // ordered by issue_date
    CHECK(listed[1].consent_id == "k-other");
    CHECK(store->list_consents_of("nobody").empty());

    CHECK(store->delete_consent("k-app") == Status::ok);
    CHECK(store->delete_consent("k-app") == Status::not_found);
    CHECK(store->list_consents_of(alice.id).size() == 1);
    // The pair is free again.
    auto again = make_consent("k-app-2", alice.id, "app", t0() + 40s);
    CHECK(store->create_consent(again) == Status::ok);
}

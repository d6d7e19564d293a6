// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "conformance/helpers.hpp"

using namespace canaille;
using namespace canaille::store;
using namespace canaille::store::testing;
using namespace std::chrono_literals;

TEST_CASE("sessions: every field round-trips", "[sessions]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");

    model::Session s;
    s.id_hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    s.user_id = alice.id;
    s.created = t0() - 10min;
    s.last_seen = t0() - 1min;
    s.expires = t0() + 30min;
    s.auth_time = t0() - 9min;
    s.amr = {"pwd", "otp"};
    s.csrf_secret = "c3JmLXNlY3JldA";
    s.remember = false;
    s.data = R"({"next":"/oauth/authorize?client_id=x&scope=openid","name":"Jos\u00e9 ✓"})";
    REQUIRE(store->create_session(s) == Status::ok);

    auto got = store->get_session(s.id_hash, t0());
    REQUIRE(got.has_value());
    CHECK(got->id_hash == s.id_hash);
    CHECK(got->user_id == s.user_id);
    CHECK(got->created == s.created);
    CHECK(got->last_seen == s.last_seen);
    CHECK(got->expires == s.expires);
    CHECK(got->auth_time == s.auth_time);
    CHECK(got->amr == s.amr);
    CHECK(got->csrf_secret == s.csrf_secret);
    CHECK(got->remember == false);
    CHECK(got->data == s.data);
    CHECK(*got == s);

    auto empty = make_session("empty", alice.id, t0());
    empty.amr.clear();
    empty.data.clear();
    REQUIRE(store->create_session(empty) == Status::ok);
    CHECK(*store->get_session("empty", t0()) == empty);

    CHECK_FALSE(store->get_session("no-such-session", t0()).has_value());
}

TEST_CASE("sessions: an expired session is not returned", "[sessions]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    auto s = make_session("s1", alice.id, t0());
    s.expires = t0() + 60s;
    REQUIRE(store->create_session(s) == Status::ok);
    CHECK(store->get_session("s1", t0() + 59s).has_value());
    CHECK_FALSE(store->get_session("s1", t0() + 60s).has_value());  // expires <= now
    CHECK_FALSE(store->get_session("s1", t0() + 1h).has_value());
}

TEST_CASE("sessions: create refuses duplicates and unknown users", "[sessions]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    REQUIRE(store->create_session(make_session("s1", alice.id, t0())) == Status::ok);
    auto again = make_session("s1", alice.id, t0() + 5s);
    CHECK(store->create_session(again) == Status::already_exists);
    CHECK(store->get_session("s1", t0())->created == t0());
    CHECK(store->create_session(make_session("s2", "no-such-user", t0())) != Status::ok);
    CHECK_FALSE(store->get_session("s2", t0()).has_value());
}

TEST_CASE("sessions: update and delete", "[sessions]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    auto s = make_session("s1", alice.id, t0());
    REQUIRE(store->create_session(s) == Status::ok);

    s.last_seen = t0() + 5min;
    s.expires = t0() + 2h;
    s.auth_time = t0() + 4min;
    s.amr = {"pwd", "otp"};
    s.data = R"({"mfa":"done"})";
    s.remember = false;
    REQUIRE(store->update_session(s) == Status::ok);
    CHECK(*store->get_session("s1", t0() + 90min) == s);

    auto ghost = make_session("ghost", alice.id, t0());
    CHECK(store->update_session(ghost) == Status::not_found);
    CHECK_FALSE(store->get_session("ghost", t0()).has_value());

    CHECK(store->delete_session("s1") == Status::ok);
    CHECK_FALSE(store->get_session("s1", t0()).has_value());
    CHECK(store->delete_session("s1") == Status::not_found);
}

TEST_CASE("sessions: delete_user_sessions and purge_expired", "[sessions]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    auto bob = add_user(*store, "bob");
    REQUIRE(store->create_session(make_session("a1", alice.id, t0())) == Status::ok);
    REQUIRE(store->create_session(make_session("a2", alice.id, t0())) == Status::ok);
    REQUIRE(store->create_session(make_session("b1", bob.id, t0())) == Status::ok);

    CHECK(store->delete_user_sessions(alice.id) == 2);
    CHECK(store->delete_user_sessions(alice.id) == 0);
    CHECK_FALSE(store->get_session("a1", t0()).has_value());
    CHECK(store->get_session("b1", t0()).has_value());

    auto old1 = make_session("old1", alice.id, t0());
    old1.expires = t0() + 10s;
    auto old2 = make_session("old2", bob.id, t0());
    old2.expires = t0() + 20s;
    REQUIRE(store->create_session(old1) == Status::ok);
    REQUIRE(store->create_session(old2) == Status::ok);

    CHECK(store->purge_expired(t0()).sessions == 0);
    CHECK(store->purge_expired(t0() + 20s).sessions == 2);  // expires <= now is expired
    CHECK(store->purge_expired(t0() + 20s).total() == 0);
    CHECK(store->get_session("b1", t0() + 20s).has_value());
}

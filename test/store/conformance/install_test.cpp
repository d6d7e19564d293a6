// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "conformance/helpers.hpp"

using namespace canaille;
using namespace canaille::store;
using namespace canaille::store::testing;
using namespace std::chrono_literals;

TEST_CASE("install: a blank store is not installed", "[install]") {
    FakeClock clock(t0());
    auto store = make_blank_store(clock);
    CHECK(store->schema_version() == 0);
    CHECK_THROWS_AS(store->check(), StoreError);

    store->install();
    const int version = store->schema_version();
    CHECK(version > 0);
    CHECK_NOTHROW(store->check());
}

TEST_CASE("install: is idempotent and keeps data", "[install]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    const int version = store->schema_version();
    REQUIRE(version > 0);
    auto alice = add_user(*store, "alice");
    add_group(*store, "team", {alice.id});

    store->install();
    store->install();
    CHECK(store->schema_version() == version);
    CHECK_NOTHROW(store->check());
    CHECK(store->get_user(alice.id).has_value());
    CHECK(store->get_group_by_name("team")->members == std::vector<std::string>{alice.id});
}

TEST_CASE("connections: two stores on the same data see each other's writes", "[connections]") {
    FakeClock clock(t0());
    auto first = make_empty_store(clock);
    auto second = connect_again(*first, clock);
    CHECK(second->schema_version() == first->schema_version());
    CHECK_NOTHROW(second->check());

    auto alice = add_user(*first, "alice");
    auto seen = second->get_user(alice.id);
    REQUIRE(seen.has_value());
    CHECK(*seen == alice);

    seen->given_name = "Alice";
    REQUIRE(second->update_user(*seen) == Status::ok);
    CHECK(first->get_user(alice.id)->given_name == std::optional<std::string>("Alice"));

    // Uniqueness holds across connections.
    auto dup = make_user("alice");
    dup.emails = {"dup@example.org"};
    CHECK(second->create_user(dup) == Status::already_exists);

    REQUIRE(first->create_session(make_session("s1", alice.id, t0())) == Status::ok);
    CHECK(second->get_session("s1", t0()).has_value());
    REQUIRE(second->delete_user(alice.id) == Status::ok);
    CHECK_FALSE(first->get_user(alice.id).has_value());
    CHECK_FALSE(first->get_session("s1", t0()).has_value());
}

TEST_CASE("connections: concurrent writers all succeed", "[connections]") {
    // Workers are separate processes with their own connection; threads with one store each
    // model that. A writer must wait for the other, never fail on a busy database.
    SystemClock clock;
    auto first = make_empty_store(clock);
    auto second = connect_again(*first, clock);
    constexpr int kPerWriter = 40;
    auto writer = [&](Store* store, const std::string& prefix, std::vector<Status>* out) {
        for (int i = 0; i < kPerWriter; ++i) {
            auto u = make_user(prefix + std::to_string(i));
            Status st = store->create_user(u);
            if (st != Status::ok) out->push_back(st);
            if (store->count_users("") == 0) out->push_back(Status::invalid);
        }
    };
    std::vector<Status> f1;
    std::vector<Status> f2;
    std::thread t1(writer, first.get(), "one-", &f1);
    std::thread t2(writer, second.get(), "two-", &f2);
    t1.join();
    t2.join();
    CHECK(f1.empty());
    CHECK(f2.empty());
    CHECK(first->count_users("") == 2 * kPerWriter);
    CHECK(second->count_users("two-") == kPerWriter);
}

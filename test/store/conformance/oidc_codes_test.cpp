// SPDX-License-Identifier: MIT
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "conformance/oidc_helpers.hpp"

using namespace canaille;
using namespace canaille::store;
using namespace canaille::store::testing;
using namespace std::chrono_literals;

TEST_CASE("codes: every attribute round-trips", "[oidc][codes]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    add_client(*store, "app");

    model::AuthorizationCode c;
    c.authorization_code_id = "code-1";
    c.code_hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    c.client_id = "app";
    c.subject = alice.id;
    c.redirect_uri = "https://app.example/cb";
    c.response_type = "code id_token";
    c.scope = {"openid", "profile", "email"};
    c.nonce = "n-0S6_WzA2Mj";
    c.issue_date = t0();
    c.lifetime = 600;
    c.challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    c.challenge_method = "S256";
    c.revokation_date = t0() + 5s;
    c.auth_time = t0() - 60s;
    c.acr = "urn:acr:mfa";
    c.amr = {"pwd", "otp", "mfa"};
    c.sid = "session-7";
    c.consumed_at = t0() + 1s;
    REQUIRE(store->create_code(c) == Status::ok);
    CHECK_FALSE(c.id.empty());

    auto got = store->get_code("code-1");
    REQUIRE(got.has_value());
    CHECK(*got == c);
    CHECK(store->get_code_by_hash(c.code_hash) == got);
    CHECK(got->expires() == t0() + 600s);

    // Optional attributes absent stay absent.
    auto bare = make_code("bare", "app", alice.id, t0());
    bare.redirect_uri.reset();
    bare.scope = {};
    REQUIRE(store->create_code(bare) == Status::ok);
    CHECK(*store->get_code("code-bare") == bare);
}

TEST_CASE("codes: uniqueness and references", "[oidc][codes]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    add_client(*store, "app");
    auto c = add_code(*store, "one", "app", alice.id, t0());

    auto same_id = make_code("two", "app", alice.id, t0());
    same_id.authorization_code_id = c.authorization_code_id;
    CHECK(store->create_code(same_id) == Status::already_exists);
    auto same_hash = make_code("three", "app", alice.id, t0());
    same_hash.code_hash = c.code_hash;
    CHECK(store->create_code(same_hash) == Status::conflict);

    auto no_client = make_code("four", "ghost", alice.id, t0());
    CHECK(store->create_code(no_client) == Status::invalid);
    auto no_user = make_code("five", "app", "ghost-user", t0());
    CHECK(store->create_code(no_user) == Status::invalid);
    auto no_hash = make_code("six", "app", alice.id, t0());
    no_hash.code_hash.clear();
    CHECK(store->create_code(no_hash) == Status::invalid);
    auto no_id = make_code("seven", "app", alice.id, t0());
    no_id.authorization_code_id.clear();
    CHECK(store->create_code(no_id) == Status::invalid);

    CHECK(store->delete_code("code-one") == Status::ok);
    CHECK(store->delete_code("code-one") == Status::not_found);
    CHECK_FALSE(store->get_code_by_hash("hash-one").has_value());
}

TEST_CASE("codes: consume_code returns a code exactly once", "[oidc][codes]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    add_client(*store, "app");
    auto c = add_code(*store, "one", "app", alice.id, t0());

    auto won = store->consume_code("hash-one", t0() + 10s);
    REQUIRE(won.has_value());
    CHECK(won->consumed_at == std::optional<TimePoint>(t0() + 10s));
    auto expected = c;
    expected.consumed_at = t0() + 10s;
    CHECK(*won == expected);

    // RFC 6749 §4.1.2: a second use fails, and the caller can see it was a replay.
    CHECK_FALSE(store->consume_code("hash-one", t0() + 11s).has_value());
    auto seen = store->get_code_by_hash("hash-one");
    REQUIRE(seen.has_value());
    CHECK(seen->consumed_at == std::optional<TimePoint>(t0() + 10s));

    CHECK_FALSE(store->consume_code("no-such-hash", t0()).has_value());
    CHECK_FALSE(store->get_code_by_hash("no-such-hash").has_value());
}

TEST_CASE("codes: list_codes pages every code in any state, oldest first", "[oidc][codes]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    add_client(*store, "app");
    add_code(*store, "b", "app", alice.id, t0() + 2s);
    add_code(*store, "a", "app", alice.id, t0() + 1s);
    add_code(*store, "c", "app", alice.id, t0() + 2s);
    REQUIRE(store->consume_code("hash-a", t0() + 3s).has_value());

    const auto all = store->list_codes({0, 10});
    REQUIRE(all.size() == 3);
    CHECK(all[0].authorization_code_id == "code-a");
    CHECK(all[0].consumed_at.has_value());
    CHECK(all[1].authorization_code_id == "code-b");
    CHECK(all[2].authorization_code_id == "code-c");
    const auto second_page = store->list_codes({1, 1});
    REQUIRE(second_page.size() == 1);
    CHECK(second_page[0].authorization_code_id == "code-b");
    CHECK(store->list_codes({3, 10}).empty());
}

TEST_CASE("codes: expired and revoked codes cannot be consumed", "[oidc][codes]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    add_client(*store, "app");
    add_code(*store, "old", "app", alice.id, t0());  // 300 s
    auto revoked = make_code("revoked", "app", alice.id, t0());
    revoked.revokation_date = t0();
    REQUIRE(store->create_code(revoked) == Status::ok);

    CHECK_FALSE(store->consume_code("hash-old", t0() + 300s).has_value());  // expires <= now
    CHECK_FALSE(store->get_code_by_hash("hash-old")->consumed_at.has_value());
    CHECK(store->consume_code("hash-old", t0() + 299s).has_value());

    CHECK_FALSE(store->consume_code("hash-revoked", t0() + 1s).has_value());
    CHECK_FALSE(store->get_code_by_hash("hash-revoked")->consumed_at.has_value());
}

TEST_CASE("codes: two connections racing on the same codes, one winner each",
          "[oidc][codes][connections]") {
    // Two workers receive the same code (a replayed request); exactly one may exchange it.
    FakeClock clock(t0());
    auto first = make_empty_store(clock);
    auto alice = add_user(*first, "alice");
    add_client(*first, "app");
    constexpr int kCodes = 200;
    for (int i = 0; i < kCodes; ++i) add_code(*first, std::to_string(i), "app", alice.id, t0());
    auto second = connect_again(*first, clock);

    // Catch2 assertions are not thread-safe: threads only record, the test checks after.
    std::latch start(2);  // both threads begin together, so they really race
    auto racer = [&](Store* store, std::vector<int>* wins) {
        start.arrive_and_wait();
        for (int i = 0; i < kCodes; ++i) {
            if (store->consume_code("hash-" + std::to_string(i), t0() + 1s)) wins->push_back(i);
        }
    };
    std::vector<int> w1;
    std::vector<int> w2;
    std::thread t1(racer, first.get(), &w1);
    std::thread t2(racer, second.get(), &w2);
    t1.join();
    t2.join();

    std::vector<int> per_code(kCodes, 0);
    for (int i : w1) ++per_code[i];
    for (int i : w2) ++per_code[i];
    CHECK(w1.size() + w2.size() == kCodes);
    CHECK(std::count(per_code.begin(), per_code.end(), 1) == kCodes);
}

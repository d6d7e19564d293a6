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

TEST_CASE("tokens: every attribute round-trips", "[oidc][tokens]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    add_client(*store, "app");
    add_client(*store, "api");

    model::Token t;
    t.token_id = "jti-1";
    t.access_token_hash = "at-hash-1";
    t.refresh_token_hash = "rt-hash-1";
    t.client_id = "app";
    t.subject = alice.id;
    t.type = "access_token";
    t.scope = {"openid", "groups"};
    t.issue_date = t0();
    t.lifetime = 864000;
    t.revokation_date = t0() + 2s;
    t.audience = {"app", "api"};
    t.authorization_code_id = "code-gone";  // may name a code that no longer exists
    t.refresh_token_consumed_at = t0() + 1s;
    t.parent_token_id = "jti-0";
    REQUIRE(store->create_token(t) == Status::ok);
    CHECK_FALSE(t.id.empty());

    auto got = store->get_token("jti-1");
    REQUIRE(got.has_value());
    CHECK(*got == t);
    CHECK(store->get_token_by_access_hash("at-hash-1") == got);
    CHECK(store->get_token_by_refresh_hash("rt-hash-1") == got);
    CHECK_FALSE(store->get_token_by_access_hash("rt-hash-1").has_value());
    CHECK_FALSE(store->get_token("jti-0").has_value());

    // A client token: no subject, no refresh token, no audience.
    model::Token client_token;
    client_token.token_id = "jti-cc";
    client_token.access_token_hash = "at-cc";
    client_token.client_id = "api";
    client_token.issue_date = t0();
    REQUIRE(store->create_token(client_token) == Status::ok);
    CHECK(*store->get_token("jti-cc") == client_token);
    CHECK_FALSE(store->get_token("jti-cc")->subject.has_value());
}

TEST_CASE("tokens: uniqueness and references", "[oidc][tokens]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    add_client(*store, "app");
    auto t = add_token(*store, "one", "app", alice.id, t0());

    auto same_id = make_token("two", "app", alice.id, t0());
    same_id.token_id = t.token_id;
    CHECK(store->create_token(same_id) == Status::already_exists);
    auto same_access = make_token("three", "app", alice.id, t0());
    same_access.access_token_hash = t.access_token_hash;
    CHECK(store->create_token(same_access) == Status::conflict);
    auto same_refresh = make_token("four", "app", alice.id, t0());
    same_refresh.refresh_token_hash = t.refresh_token_hash;
    CHECK(store->create_token(same_refresh) == Status::conflict);

    auto no_client = make_token("five", "ghost", alice.id, t0());
    CHECK(store->create_token(no_client) == Status::invalid);
    auto r = make_token("six", "app", std::string("ghost-user"), t0());
    CHECK(store->create_token(r) == Status::invalid);
    auto bad_aud = make_token("seven", "app", alice.id, t0());
    bad_aud.audience = {"app", "ghost"};
    CHECK(store->create_token(bad_aud) == Status::invalid);
    CHECK_FALSE(store->get_token("tok-seven").has_value());  // nothing half-written
    auto no_hash = make_token("eight", "app", alice.id, t0());
    no_hash.access_token_hash.clear();
    CHECK(store->create_token(no_hash) == Status::invalid);
    CHECK(store->count_tokens("") == 1);
}

TEST_CASE("tokens: rotate_refresh_token returns a token exactly once", "[oidc][tokens]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    add_client(*store, "app");
    auto t = add_token(*store, "one", "app", alice.id, t0());

    auto old = store->rotate_refresh_token("rt-one", t0() + 60s);
    REQUIRE(old.has_value());
    CHECK(old->token_id == "tok-one");
    CHECK(old->refresh_token_consumed_at == std::optional<TimePoint>(t0() + 60s));
    CHECK(old->revokation_date == std::optional<TimePoint>(t0() + 60s));
    CHECK(old->audience == t.audience);
    CHECK(*store->get_token("tok-one") == *old);
    CHECK_FALSE(store->rotate_refresh_token("rt-one", t0() + 61s).has_value());

    // The caller issues the successor, carrying the family's code id.
    auto next = make_token("two", "app", alice.id, t0() + 60s);
    next.parent_token_id = old->token_id;
    next.authorization_code_id = old->authorization_code_id;
    REQUIRE(store->create_token(next) == Status::ok);
    CHECK(store->rotate_refresh_token("rt-two", t0() + 120s).has_value());

    // Revoked and expired refresh tokens cannot be used; an access hash is not a refresh one.
    add_token(*store, "revoked", "app", alice.id, t0());
    REQUIRE(store->revoke_token("tok-revoked", t0() + 1s) == Status::ok);
    CHECK_FALSE(store->rotate_refresh_token("rt-revoked", t0() + 2s).has_value());
    add_token(*store, "old", "app", alice.id, t0());
    CHECK_FALSE(store->rotate_refresh_token("rt-old", t0() + 3600s).has_value());
    CHECK(store->rotate_refresh_token("rt-old", t0() + 3599s).has_value());
    add_token(*store, "access", "app", alice.id, t0());
    CHECK_FALSE(store->rotate_refresh_token("at-access", t0()).has_value());
    CHECK_FALSE(store->rotate_refresh_token("nothing", t0()).has_value());
}

TEST_CASE("tokens: two connections racing on the same refresh tokens, one winner each",
          "[oidc][tokens][connections]") {
    FakeClock clock(t0());
    auto first = make_empty_store(clock);
    auto alice = add_user(*first, "alice");
    add_client(*first, "app");
    constexpr int kTokens = 200;
    for (int i = 0; i < kTokens; ++i) {
        add_token(*first, std::to_string(i), "app", alice.id, t0());
    }
    auto second = connect_again(*first, clock);

    std::latch start(2);  // both threads begin together, so they really race
    auto racer = [&](Store* store, std::vector<int>* wins) {
        start.arrive_and_wait();
        for (int i = 0; i < kTokens; ++i) {
            if (store->rotate_refresh_token("rt-" + std::to_string(i), t0() + 1s)) {
                wins->push_back(i);
            }
        }
    };
    std::vector<int> w1;
    std::vector<int> w2;
    std::thread t1(racer, first.get(), &w1);
    std::thread t2(racer, second.get(), &w2);
    t1.join();
    t2.join();

    std::vector<int> per_token(kTokens, 0);
    for (int i : w1) ++per_token[i];
    for (int i : w2) ++per_token[i];
    CHECK(w1.size() + w2.size() == kTokens);
    CHECK(std::count(per_token.begin(), per_token.end(), 1) == kTokens);
}

TEST_CASE("tokens: revoke one, by code, by subject and client", "[oidc][tokens]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    auto bob = add_user(*store, "bob");
    add_client(*store, "app");
    add_client(*store, "other");

    CHECK(store->revoke_token("nothing", t0()) == Status::not_found);
    add_token(*store, "single", "app", bob.id, t0());
    REQUIRE(store->revoke_token("tok-single", t0() + 5s) == Status::ok);
    REQUIRE(store->revoke_token("tok-single", t0() + 9s) == Status::ok);  // first date kept
    CHECK(store->get_token("tok-single")->revokation_date == std::optional<TimePoint>(t0() + 5s));

    // A replayed code revokes every token of its family (RFC 6749 §4.1.2).
    for (const char* name : {"f1", "f2", "f3"}) {
        auto t = make_token(name, "app", alice.id, t0());
        t.authorization_code_id = "code-x";
        REQUIRE(store->create_token(t) == Status::ok);
    }
    auto already = make_token("f4", "app", alice.id, t0());
    already.authorization_code_id = "code-x";
    already.revokation_date = t0();
    REQUIRE(store->create_token(already) == Status::ok);
    add_token(*store, "unrelated", "app", alice.id, t0());

    CHECK(store->revoke_tokens_by_code("code-x", t0() + 30s) == 3);
    CHECK(store->revoke_tokens_by_code("code-x", t0() + 31s) == 0);
    CHECK(store->get_token("tok-f1")->revokation_date == std::optional<TimePoint>(t0() + 30s));
    CHECK(store->get_token("tok-f4")->revokation_date == std::optional<TimePoint>(t0()));
    CHECK_FALSE(store->get_token("tok-unrelated")->revoked());
    CHECK(store->revoke_tokens_by_code("no-such-code", t0()) == 0);

    // Revoking a consent revokes that user's live tokens for that client only.
    add_token(*store, "a-other", "other", alice.id, t0());
    add_token(*store, "b-app", "app", bob.id, t0());
    add_token(*store, "client-only", "app", std::nullopt, t0());
    CHECK(store->revoke_tokens_of(alice.id, "app", t0() + 40s) == 1);  // "unrelated"
    CHECK(store->get_token("tok-unrelated")->revoked());
    CHECK_FALSE(store->get_token("tok-a-other")->revoked());
    CHECK_FALSE(store->get_token("tok-b-app")->revoked());
    CHECK_FALSE(store->get_token("tok-client-only")->revoked());
    CHECK(store->revoke_tokens_of(bob.id, "app", t0() + 41s) == 1);  // "single" already was
    CHECK(store->revoke_tokens_of(alice.id, "app", t0() + 42s) == 0);
}

TEST_CASE("tokens: search and paging", "[oidc][tokens]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    add_client(*store, "app");
    add_client(*store, "reports");
    add_token(*store, "a", "app", alice.id, t0());
    add_token(*store, "b", "app", alice.id, t0() + 10s);
    add_token(*store, "c", "reports", alice.id, t0() + 20s);
    add_token(*store, "d", "reports", std::nullopt, t0() + 10s);

    CHECK(store->count_tokens("") == 4);
    // Newest first, then token_id.
    CHECK(token_ids_of(store->list_tokens("", {0, 25})) ==
          std::vector<std::string>{"tok-c", "tok-b", "tok-d", "tok-a"});
    CHECK(token_ids_of(store->list_tokens("", {1, 2})) ==
          std::vector<std::string>{"tok-b", "tok-d"});
    CHECK(store->list_tokens("", {4, 2}).empty());

    CHECK(store->count_tokens("REPORTS") == 2);  // client_id
    CHECK(token_ids_of(store->list_tokens("REPORTS", {0, 25})) ==
          std::vector<std::string>{"tok-c", "tok-d"});
    CHECK(store->count_tokens(alice.id) == 3);  // subject
    CHECK(store->count_tokens("tok-a") == 1);   // token_id
    CHECK(store->count_tokens("%") == 0);
    CHECK(store->list_tokens("tok-c", {0, 1}).front().audience ==
          std::vector<std::string>{"reports"});
}

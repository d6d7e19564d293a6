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

TEST_CASE("replay: remember_jti is true once, then false", "[oidc][replay]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    CHECK(store->remember_jti("jti-1", t0() + 3600s));
    CHECK_FALSE(store->remember_jti("jti-1", t0() + 3600s));
    CHECK_FALSE(store->remember_jti("jti-1", t0() + 7200s));
    CHECK(store->remember_jti("jti-2", t0() + 3600s));
    CHECK(store->remember_jti("JTI-1", t0() + 3600s));  // exact match
    CHECK_FALSE(store->remember_jti("", t0() + 3600s));

    // Across connections too.
    auto second = connect_again(*store, clock);
    CHECK_FALSE(second->remember_jti("jti-2", t0() + 3600s));
    CHECK(second->remember_jti("jti-3", t0() + 3600s));
    CHECK_FALSE(store->remember_jti("jti-3", t0() + 3600s));
}

TEST_CASE("replay: two connections racing on the same jtis, one winner each",
          "[oidc][replay][connections]") {
    FakeClock clock(t0());
    auto first = make_empty_store(clock);
    auto second = connect_again(*first, clock);
    constexpr int kJtis = 200;
    std::latch start(2);  // both threads begin together, so they really race
    auto racer = [&](Store* store, std::vector<int>* wins) {
        start.arrive_and_wait();
        for (int i = 0; i < kJtis; ++i) {
            if (store->remember_jti("jti-" + std::to_string(i), t0() + 60s)) wins->push_back(i);
        }
    };
    std::vector<int> w1;
    std::vector<int> w2;
    std::thread t1(racer, first.get(), &w1);
    std::thread t2(racer, second.get(), &w2);
    t1.join();
    t2.join();
    std::vector<int> per_jti(kJtis, 0);
    for (int i : w1) ++per_jti[i];
    for (int i : w2) ++per_jti[i];
    CHECK(w1.size() + w2.size() == kJtis);
    CHECK(std::count(per_jti.begin(), per_jti.end(), 1) == kJtis);
}

TEST_CASE("purge_expired removes expired sessions, codes, tokens and replay records",
          "[oidc][purge]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    add_client(*store, "app");

    REQUIRE(store->create_session(make_session("s1", alice.id, t0())) == Status::ok);  // 1 h
    add_code(*store, "c-old", "app", alice.id, t0());                                  // 300 s
    add_code(*store, "c-new", "app", alice.id, t0() + 3600s);
    add_token(*store, "t-old", "app", alice.id, t0());  // 3600 s
    auto long_lived = make_token("t-long", "app", alice.id, t0());
    long_lived.lifetime = 864000;
    REQUIRE(store->create_token(long_lived) == Status::ok);
    auto revoked_live = make_token("t-revoked", "app", alice.id, t0());
    revoked_live.revokation_date = t0();
    revoked_live.lifetime = 7200;
    REQUIRE(store->create_token(revoked_live) == Status::ok);
    REQUIRE(store->remember_jti("j-old", t0() + 60s));
    REQUIRE(store->remember_jti("j-new", t0() + 86400s));

    CHECK(store->purge_expired(t0()) == PurgeCounts{});
    CHECK(store->purge_expired(t0() + 3600s) ==
          PurgeCounts{.sessions = 1, .codes = 1, .tokens = 1, .replays = 1});
    CHECK_FALSE(store->get_code("code-c-old").has_value());
    CHECK(store->get_code("code-c-new").has_value());
    CHECK_FALSE(store->get_token("tok-t-old").has_value());
    CHECK(store->get_token("tok-t-long").has_value());
    // A revoked token stays (for introspection answers) until it would have expired.
    CHECK(store->get_token("tok-t-revoked").has_value());
    CHECK(store->remember_jti("j-old", t0() + 7200s));  // forgotten once expired
    CHECK_FALSE(store->remember_jti("j-new", t0() + 86400s));

    auto later = store->purge_expired(t0() + 7200s);
    CHECK(later.tokens == 1);
    CHECK(later.codes == 1);
    CHECK(later.replays == 1);
    CHECK(later.total() == 3);
    CHECK(store->purge_expired(t0() + 7200s).total() == 0);
}

TEST_CASE("deleting a user removes its codes, tokens and consents", "[oidc][users]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    auto bob = add_user(*store, "bob");
    auto app = add_client(*store, "app");
    add_code(*store, "a", "app", alice.id, t0());
    add_code(*store, "b", "app", bob.id, t0());
    add_token(*store, "a", "app", alice.id, t0());
    add_token(*store, "b", "app", bob.id, t0());
    add_token(*store, "client", "app", std::nullopt, t0());
    auto ka = make_consent("ka", alice.id, "app", t0());
    auto kb = make_consent("kb", bob.id, "app", t0());
    REQUIRE(store->create_consent(ka) == Status::ok);
    REQUIRE(store->create_consent(kb) == Status::ok);

    REQUIRE(store->delete_user(alice.id) == Status::ok);
    CHECK_FALSE(store->get_code("code-a").has_value());
    CHECK_FALSE(store->get_token("tok-a").has_value());
    CHECK_FALSE(store->get_token_by_refresh_hash("rt-a").has_value());
    CHECK_FALSE(store->get_consent("ka").has_value());
    CHECK(store->list_consents_of(alice.id).empty());

    CHECK(store->get_code("code-b").has_value());
    CHECK(store->get_token("tok-b").has_value());
    CHECK(store->get_token("tok-client").has_value());
    CHECK(store->get_consent("kb").has_value());
    CHECK(store->get_client(app.id).has_value());
}

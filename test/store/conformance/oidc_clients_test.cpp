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

namespace {

/// A client with every attribute set to a distinct, non-default value.
model::Client full_client(const std::string& client_id) {
    model::Client c;
    c.client_id = client_id;
    c.client_secret = "s3cr3t-with-ünïcode";
    c.client_id_issued_at = t0() - 3600s;
    c.client_secret_expires_at = t0() + 86400s;
    c.description = "A test client";
    c.audience = {client_id};
    c.redirect_uris = {"https://app.example/cb", "https://app.example/cb2", "app://native"};
    c.token_endpoint_auth_method = "client_secret_jwt";
    c.token_endpoint_auth_signing_alg = "HS256";
    c.grant_types = {"authorization_code", "client_credentials"};
    c.response_types = {"code", "code id_token"};
    c.client_name = "My App";
    c.client_uri = "https://app.example";
    c.logo_uri = "https://app.example/logo.png";
    c.scope = {"openid", "profile", "email"};
    c.contacts = {"admin@app.example", "ops@app.example"};
    c.tos_uri = "https://app.example/tos";
    c.policy_uri = "https://app.example/policy";
    c.jwks_uri = "https://app.example/jwks.json";
    c.jwks = R"({"keys":[{"kty":"oct","k":"AAAA"}]})";
    c.sector_identifier_uri = "https://app.example/sector.json";
    c.subject_type = "public";
    c.software_id = "sw-1";
    c.software_version = "1.2.3";
    c.post_logout_redirect_uris = {"https://app.example/bye"};
    c.application_type = "native";
    c.id_token_signed_response_alg = "ES256";
    c.id_token_encrypted_response_alg = "RSA-OAEP";
    c.id_token_encrypted_response_enc = "A128GCM";
    c.userinfo_signed_response_alg = "RS256";
    c.userinfo_encrypted_response_alg = "RSA-OAEP-256";
    c.userinfo_encrypted_response_enc = "A256GCM";
    c.default_max_age = 7200;
    c.require_auth_time = true;
    c.default_acr_values = {"urn:acr:1", "urn:acr:2"};
    c.initiate_login_uri = "https://app.example/login";
    c.request_object_signing_alg = "RS256";
    c.request_object_encryption_alg = "RSA1_5";
    c.request_object_encryption_enc = "A128CBC-HS256";
    c.request_uris = {"https://app.example/req.jwt"};
    c.require_signed_request_object = true;
    return c;
}

}  // namespace

TEST_CASE("clients: every attribute round-trips", "[oidc][clients]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto c = full_client("full");
    REQUIRE(store->create_client(c) == Status::ok);
    CHECK_FALSE(c.id.empty());
    CHECK(c.created == std::optional<TimePoint>(t0()));
    CHECK(c.last_modified == std::optional<TimePoint>(t0()));

    auto by_id = store->get_client(c.id);
    REQUIRE(by_id.has_value());
    CHECK(*by_id == c);
    auto by_client_id = store->get_client_by_client_id("full");
    REQUIRE(by_client_id.has_value());
    CHECK(*by_client_id == c);
    // RFC 6749 §2.2: client identifiers are case-sensitive.
    CHECK_FALSE(store->get_client_by_client_id("FULL").has_value());
    CHECK_FALSE(store->get_client("nope").has_value());
}

TEST_CASE("clients: defaults and empty attributes round-trip", "[oidc][clients]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    model::Client c;
    c.client_id = "bare";
    REQUIRE(store->create_client(c) == Status::ok);
    auto got = store->get_client(c.id);
    REQUIRE(got.has_value());
    CHECK(*got == c);
    CHECK(got->grant_types == std::vector<std::string>{"authorization_code", "refresh_token"});
    CHECK(got->response_types == std::vector<std::string>{"code"});
    CHECK(got->application_type == "web");
    CHECK(got->id_token_signed_response_alg == "RS256");
    CHECK_FALSE(got->client_secret.has_value());
    CHECK_FALSE(got->client_secret_expires_at.has_value());
    CHECK(got->audience.empty());

    // Empty strings stay empty strings, not absent values.
    model::Client e;
    e.client_id = "empty-strings";
    e.client_secret = "";
    e.description = "";
    e.grant_types = {};
    REQUIRE(store->create_client(e) == Status::ok);
    CHECK(*store->get_client(e.id) == e);
}

TEST_CASE("clients: uniqueness and references", "[oidc][clients]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto a = add_client(*store, "a");

    auto dup = make_client("a");
    CHECK(store->create_client(dup) == Status::already_exists);
    auto same_id = make_client("other");
    same_id.id = a.id;
    CHECK(store->create_client(same_id) == Status::already_exists);

    auto empty = make_client("");
    CHECK(store->create_client(empty) == Status::invalid);

    auto dangling = make_client("b");
    dangling.audience = {"b", "ghost"};
    CHECK(store->create_client(dangling) == Status::invalid);
    CHECK_FALSE(store->get_client_by_client_id("b").has_value());
    CHECK(store->count_clients("") == 1);

    // Another existing client, and duplicates collapsed in order.
    auto b = make_client("b");
    b.audience = {"b", "a", "b"};
    REQUIRE(store->create_client(b) == Status::ok);
    CHECK(b.audience == std::vector<std::string>{"b", "a"});
    CHECK(store->get_client(b.id)->audience == std::vector<std::string>{"b", "a"});
}

TEST_CASE("clients: update replaces everything, compare-and-swap on last_modified",
          "[oidc][clients]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto c = add_client(*store, "app");
    add_client(*store, "api");

    clock.advance(10s);
    auto full = full_client("app");
    full.id = c.id;
    full.audience = {"app", "api"};
    full.last_modified = c.last_modified;
    REQUIRE(store->update_client(full) == Status::ok);
    CHECK(full.created == c.created);  // kept when not given
    CHECK(full.last_modified == std::optional<TimePoint>(t0() + 10s));
    CHECK(*store->get_client(c.id) == full);

    // A stale copy (the first read) loses; nothing is written.
    auto stale = c;
    stale.client_name = "stale";
    CHECK(store->update_client(stale) == Status::conflict);
    CHECK(store->get_client(c.id)->client_name == full.client_name);

    // Even with a clock that stands still, each update moves last_modified forward.
    auto first = *store->get_client(c.id);
    auto second = first;
    first.description = "first";
    REQUIRE(store->update_client(first) == Status::ok);
    second.description = "second";
    CHECK(store->update_client(second) == Status::conflict);
    CHECK(store->get_client(c.id)->description == std::optional<std::string>("first"));

    // No last_modified given: unconditional replace; optional lists can be emptied.
    model::Client blind = make_client("app");
    blind.id = c.id;
    blind.audience = {};
    blind.redirect_uris = {};
    REQUIRE(store->update_client(blind) == Status::ok);
    auto got = store->get_client(c.id);
    CHECK(got->audience.empty());
    CHECK(got->redirect_uris.empty());
    CHECK_FALSE(got->jwks.has_value());

    // client_id is immutable; unknown ids are not_found; bad audiences change nothing.
    auto renamed = *got;
    renamed.client_id = "renamed";
    CHECK(store->update_client(renamed) == Status::invalid);
    auto ghost = make_client("ghost");
    ghost.id = "no-such-id";
    CHECK(store->update_client(ghost) == Status::not_found);
    auto bad = *store->get_client(c.id);
    bad.audience = {"nobody"};
    bad.client_name = "changed";
    CHECK(store->update_client(bad) == Status::invalid);
    CHECK(*store->get_client(c.id) == *got);
}

TEST_CASE("clients: search and paging", "[oidc][clients]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    for (const char* id : {"delta", "alpha", "charlie", "bravo", "echo"}) add_client(*store, id);
    auto special = make_client("zulu");
    special.client_name = "Ünïcode App 100%";
    special.description = "The reporting dashboard";
    special.client_uri = "https://reports.example";
    REQUIRE(store->create_client(special) == Status::ok);

    CHECK(store->count_clients("") == 6);
    CHECK(client_ids_of(store->list_clients("", {0, 25})) ==
          std::vector<std::string>{"alpha", "bravo", "charlie", "delta", "echo", "zulu"});
    CHECK(client_ids_of(store->list_clients("", {1, 2})) ==
          std::vector<std::string>{"bravo", "charlie"});
    CHECK(client_ids_of(store->list_clients("", {5, 10})) == std::vector<std::string>{"zulu"});
    CHECK(store->list_clients("", {6, 10}).empty());

    CHECK(client_ids_of(store->list_clients("HAR", {0, 25})) ==
          std::vector<std::string>{"charlie"});
    CHECK(store->count_clients("client ") == 5);  // client_name "Client <id>"
    CHECK(store->count_clients("dashboard") == 1);
    CHECK(store->count_clients("reports.example") == 1);
    CHECK(store->count_clients("ÜNÏCODE") == 1);
    CHECK(store->count_clients("100%") == 1);
    CHECK(store->count_clients("_") == 0);  // literal, not a wildcard
    CHECK(store->count_clients("nothing-like-this") == 0);
    // Audience entries are loaded in listings too.
    CHECK(store->list_clients("alpha", {0, 1}).front().audience ==
          std::vector<std::string>{"alpha"});
}

TEST_CASE("clients: delete cascades to consents, codes, tokens and audiences", "[oidc][clients]") {
    FakeClock clock(t0());
    auto store = make_empty_store(clock);
    auto alice = add_user(*store, "alice");
    auto app = add_client(*store, "app");
    auto other = make_client("other");
    other.audience = {"other", "app"};
    REQUIRE(store->create_client(other) == Status::ok);

    add_code(*store, "c1", "app", alice.id, t0());
    add_code(*store, "c2", "other", alice.id, t0());
    add_token(*store, "t1", "app", alice.id, t0());
    auto t2 = make_token("t2", "other", alice.id, t0());
    t2.audience = {"other", "app"};
    REQUIRE(store->create_token(t2) == Status::ok);
    auto consent = make_consent("k1", alice.id, "app", t0());
    REQUIRE(store->create_consent(consent) == Status::ok);

    REQUIRE(store->delete_client(app.id) == Status::ok);
    CHECK(store->delete_client(app.id) == Status::not_found);
    CHECK_FALSE(store->get_client_by_client_id("app").has_value());
    CHECK_FALSE(store->get_code("code-c1").has_value());
    CHECK_FALSE(store->get_code_by_hash("hash-c1").has_value());
    CHECK_FALSE(store->get_token("tok-t1").has_value());
    CHECK_FALSE(store->get_consent("k1").has_value());
    CHECK(store->list_consents_of(alice.id).empty());

    // The other client's records stay; "app" left every audience.
    CHECK(store->get_code("code-c2").has_value());
    CHECK(store->get_client(other.id)->audience == std::vector<std::string>{"other"});
    auto t2_after = store->get_token("tok-t2");
    REQUIRE(t2_after.has_value());
    CHECK(t2_after->audience == std::vector<std::string>{"other"});
    CHECK(store->get_user(alice.id).has_value());
}

// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "fixtures.hpp"
#include "jose/jws.hpp"
#include "oidc/tokens.hpp"

using namespace canaille;
using namespace canaille::oidc;

namespace {

rapidjson::Document parse(const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d.IsObject());
    return d;
}

std::string s(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

}  // namespace

TEST_CASE("OIDC Core §3.1.3.6 / §3.3.2.11: at_hash and c_hash", "[oidc][tokens]") {
    // Expected values cross-checked with python3 hashlib; the c_hash one is the example of
    // OIDC Core Appendix A.4.
    const std::string code = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk";
    const std::string at = "jHkWEdUXMU1BwAsC4vtUsZwnNBqy7Bm1u9Y0ApHlpqM";
    struct Case {
        const std::string* token;
        const char* alg;
        const char* want;
        const char* why;
    };
    const Case cases[] = {
        {&code, "RS256", "LDktKdoQak3Pk0cnXxCltA", "A.4 c_hash, SHA-256 left 128 bits"},
        {&at, "RS256", "aRo8Vobc5t7hDnNkgF4FBg", "RS256 → SHA-256"},
        {&at, "ES256", "aRo8Vobc5t7hDnNkgF4FBg", "ES256 → SHA-256"},
        {&at, "PS256", "aRo8Vobc5t7hDnNkgF4FBg", "PS256 → SHA-256"},
        {&at, "ES384", "bCPs2_FlXHvSVK964Xb68BeU7ODRyNNJ", "ES384 → SHA-384, 192 bits"},
        {&at, "RS512", "giNxpow9LNTeyIkQDYmlII8JabuwG6Ilgen64ByZggc", "RS512 → SHA-512"},
        {&at, "EdDSA", "giNxpow9LNTeyIkQDYmlII8JabuwG6Ilgen64ByZggc", "Ed25519 → SHA-512"},
        {&at, "none", "", "unknown alg"},
        {&at, "XX256", "", "unknown family"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        CHECK(half_hash(*c.token, c.alg) == c.want);
    }
}

TEST_CASE("OIDC Core §2: ID token payload", "[oidc][tokens]") {
    IdTokenInput in;
    in.issuer = "https://auth.example/sso";
    in.subject = "alice";
    in.audience = "app";
    in.auth_time = test::t0() - std::chrono::seconds(30);
    in.nonce = "n-0S6";
    in.acr = "0";
    in.amr = {"pwd", "otp", "mfa"};
    in.sid = "sid-1";
    in.issued_at = test::t0();
    in.lifetime = Seconds(600);
    in.access_token = "jHkWEdUXMU1BwAsC4vtUsZwnNBqy7Bm1u9Y0ApHlpqM";
    in.code = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk";
    in.extra_claims = R"("email":"a@example.org","sub":"mallory","iss":"evil")";
    auto d = parse(id_token_payload(in));
    CHECK(s(d["iss"]) == "https://auth.example/sso");
    CHECK(s(d["sub"]) == "alice");
    CHECK(s(d["aud"]) == "app");
    CHECK(d["iat"].GetInt64() == to_unix(test::t0()));
    CHECK(d["exp"].GetInt64() == to_unix(test::t0()) + 600);
    CHECK(d["auth_time"].GetInt64() == to_unix(test::t0()) - 30);
    CHECK(s(d["nonce"]) == "n-0S6");
    CHECK(s(d["acr"]) == "0");
    CHECK(d["amr"].Size() == 3);
    CHECK(s(d["sid"]) == "sid-1");
    CHECK(s(d["at_hash"]) == "aRo8Vobc5t7hDnNkgF4FBg");
    CHECK(s(d["c_hash"]) == "LDktKdoQak3Pk0cnXxCltA");
    CHECK(s(d["email"]) == "a@example.org");

    IdTokenInput minimal;
    minimal.issuer = "i";
    minimal.subject = "s";
    minimal.audience = "a";
    auto m = parse(id_token_payload(minimal));
    for (auto* k : {"auth_time", "nonce", "acr", "amr", "sid", "at_hash", "c_hash"}) {
        INFO(k);
        CHECK_FALSE(m.HasMember(k));
    }
}

TEST_CASE("RFC 9068 §2.2: access token payload", "[oidc][tokens]") {
    AccessTokenInput in;
    in.issuer = "https://auth.example";
    in.subject = "alice";
    in.client_id = "app";
    in.jti = "tok-1";
    in.issued_at = test::t0();
    in.lifetime = Seconds(3600);
    in.scopes = {"openid", "email"};
    in.auth_time = test::t0();
    auto d = parse(access_token_payload(in));
    CHECK(s(d["iss"]) == "https://auth.example");
    CHECK(d["exp"].GetInt64() == to_unix(test::t0()) + 3600);
    CHECK(s(d["aud"]) == "app");
    CHECK(s(d["sub"]) == "alice");
    CHECK(s(d["client_id"]) == "app");
    CHECK(d["iat"].GetInt64() == to_unix(test::t0()));
    CHECK(s(d["jti"]) == "tok-1");
    CHECK(s(d["scope"]) == "openid email");
    CHECK(d.HasMember("auth_time"));

    in.subject.reset();
    in.audience = {"api1", "api2"};
    in.auth_time.reset();
    auto c = parse(access_token_payload(in));
    CHECK(s(c["sub"]) == "app");
    REQUIRE(c["aud"].IsArray());
    CHECK(c["aud"].Size() == 2);
    CHECK_FALSE(c.HasMember("auth_time"));
    CHECK(kAccessTokenTyp == "at+jwt");
}

TEST_CASE("RFC 8176 amr values (reference §2 ID token)", "[oidc][tokens]") {
    using V = std::vector<std::string>;
    CHECK(amr_values({"password"}) == V{"pwd"});
    CHECK(amr_values({"password", "otp"}) == V{"pwd", "otp", "mfa"});
    CHECK(amr_values({"sms"}) == V{"sms", "mca"});
    CHECK(amr_values({"email", "sms"}) == V{"mca", "sms", "mfa"});
    CHECK(amr_values({"fido2"}) == V{"hwk"});
    CHECK(amr_values({}).empty());
}

TEST_CASE("RFC 6749 §5.1: token response", "[oidc][tokens]") {
    TokenResponse r;
    r.access_token = "at";
    r.expires_in = 3600;
    r.scope = {"openid", "email"};
    auto d = parse(token_response_json(r));
    CHECK(s(d["access_token"]) == "at");
    CHECK(s(d["token_type"]) == "Bearer");
    CHECK(d["expires_in"].GetInt64() == 3600);
    CHECK(s(d["scope"]) == "openid email");
    CHECK_FALSE(d.HasMember("refresh_token"));
    CHECK_FALSE(d.HasMember("id_token"));
    r.refresh_token = "rt";
    r.id_token = "a.b.c";
    r.scope.clear();
    auto e = parse(token_response_json(r));
    CHECK(s(e["refresh_token"]) == "rt");
    CHECK(s(e["id_token"]) == "a.b.c");
    CHECK_FALSE(e.HasMember("scope"));
}

TEST_CASE("signing key choice is deterministic (reference §2 Keys)", "[oidc][tokens]") {
    const auto rsa1 = jose::Jwk::generate_rsa(2048);
    const auto ec = jose::Jwk::generate_ec("P-256");
    const auto ed = jose::Jwk::generate_okp("Ed25519");
    const auto oct = jose::Jwk::generate_oct(256);

    jose::KeySet keys;
    REQUIRE(keys.add(oct, true));
    REQUIRE(keys.add(ec, true));
    REQUIRE(keys.add(rsa1, true));
    REQUIRE(keys.add(ed, false));

    struct Case {
        const char* client_alg;
        std::string want_kid;
        const char* want_alg;
        const char* why;
    };
    const Case cases[] = {
        {"ES256", ec.kid(), "ES256", "the client's alg"},
        {"RS256", rsa1.kid(), "RS256", "default alg"},
        {"EdDSA", rsa1.kid(), "RS256", "inactive keys never sign: fall back to RS256"},
        {"HS256", rsa1.kid(), "RS256", "server HMAC keys never sign ID tokens"},
        {"none", rsa1.kid(), "RS256", "alg none is never honoured"},
        {"PS512", rsa1.kid(), "RS256", "no usable key: RS256"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        auto choice = choose_signing_key(keys, c.client_alg);
        REQUIRE(choice);
        CHECK(choice->key->kid() == c.want_kid);
        CHECK(choice->alg == c.want_alg);
    }

    jose::KeySet ec_only;
    REQUIRE(ec_only.add(ec, true));
    auto c = choose_signing_key(ec_only, "RS256");
    REQUIRE(c);
    CHECK(c->alg == "ES256");

    jose::KeySet none;
    REQUIRE(none.add(oct, true));
    CHECK_FALSE(choose_signing_key(none, "RS256"));

    // the choice signs, and at_hash matches the alg chosen
    auto signed_token = jose::sign(*c->key, c->alg, R"({"sub":"x"})", kIdTokenTyp);
    CHECK(signed_token);
}

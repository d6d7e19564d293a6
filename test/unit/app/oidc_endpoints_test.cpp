// SPDX-License-Identifier: MIT
// Discovery (OIDC Discovery §4, RFC 8414), WebFinger (RFC 7033) and the person's consent
// list (reference §1b "consents.py"), through the whole pipeline.
#include <rapidjson/document.h>

#include "harness.hpp"
#include "oidc/pkce.hpp"

using namespace canaille;
using namespace canaille::test;

namespace {

rapidjson::Document parse_json(const std::string& body) {
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d.IsObject());
    return d;
}

std::string str(const rapidjson::Value& d, const char* key) {
    if (!d.HasMember(key) || !d[key].IsString()) return "";
    return d[key].GetString();
}

bool array_has(const rapidjson::Value& d, const char* key, const std::string& value) {
    if (!d.HasMember(key) || !d[key].IsArray()) return false;
    for (const auto& v : d[key].GetArray()) {
        if (v.IsString() && value == v.GetString()) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("discovery documents advertise what works", "[app][oidc][discovery]") {
    Harness h;
    auto r = h.request("GET", "/.well-known/openid-configuration");
    REQUIRE(r.status == 200);
    auto d = parse_json(r.body);
    CHECK(str(d, "issuer") == "http://localhost");
    CHECK(str(d, "authorization_endpoint") == "http://localhost/oauth/authorize");
    CHECK(str(d, "token_endpoint") == "http://localhost/oauth/token");
    CHECK(str(d, "userinfo_endpoint") == "http://localhost/oauth/userinfo");
    CHECK(str(d, "jwks_uri") == "http://localhost/oauth/jwks.json");
    CHECK(str(d, "introspection_endpoint") == "http://localhost/oauth/introspect");
    CHECK(str(d, "revocation_endpoint") == "http://localhost/oauth/revoke");
    CHECK(array_has(d, "response_types_supported", "code"));
    CHECK_FALSE(array_has(d, "response_types_supported", "token"));
    CHECK(array_has(d, "id_token_signing_alg_values_supported", "RS256"));
    CHECK_FALSE(array_has(d, "id_token_signing_alg_values_supported", "none"));
    CHECK(array_has(d, "code_challenge_methods_supported", "S256"));
    CHECK_FALSE(d.HasMember("registration_endpoint"));
    CHECK_FALSE(d.HasMember("end_session_endpoint"));

    r = h.request("GET", "/.well-known/oauth-authorization-server");
    REQUIRE(r.status == 200);
    d = parse_json(r.body);
    CHECK(str(d, "issuer") == "http://localhost");
    CHECK_FALSE(d.HasMember("userinfo_endpoint"));
}

TEST_CASE("discovery under a prefix and with SERVER_NAME", "[app][oidc][discovery][prefix]") {
    {
        Harness h("", "/auth");
        const auto d = parse_json(h.request("GET", "/.well-known/openid-configuration").body);
        CHECK(str(d, "issuer") == "http://localhost/auth");
        CHECK(str(d, "token_endpoint") == "http://localhost/auth/oauth/token");
    }
    {
        Harness h("SERVER_NAME: 'auth.example.org'\n", "/auth");
        const auto r =
            h.request("GET", "/.well-known/openid-configuration", "", "", "auth.example.org");
        const auto d = parse_json(r.body);
        CHECK(str(d, "issuer") == "https://auth.example.org/auth");
    }
}

TEST_CASE("webfinger points every resource at the issuer", "[app][oidc][webfinger]") {
    Harness h;
    auto r = h.request("GET", "/.well-known/webfinger?resource=acct%3Aalice%40localhost&rel=x");
    REQUIRE(r.status == 200);
    CHECK(r.header("Content-Type") == "application/jrd+json");
    const auto d = parse_json(r.body);
    CHECK(str(d, "subject") == "acct:alice@localhost");
    REQUIRE(d["links"].IsArray());
    CHECK(str(d["links"][0], "href") == "http://localhost");
    CHECK(h.request("GET", "/.well-known/webfinger").status == 400);
}

TEST_CASE("the consent list: revoke ends the tokens, restore, CSRF, ownership",
          "[app][oidc][consents]") {
    Harness h;
    const auto alice = h.add_user("alice", "correct horse");
    h.add_user("bob", "battery staple");
    add_client(h);
    CHECK(h.request("GET", "/consent/").status == 302);
    REQUIRE(h.login("alice", "correct horse").status == 302);

    // Consent and tokens through the password grant would not record a consent: go
    // through the authorize endpoint.
    const std::string verifier(50, 'v');
    const auto query = authorize_query({{"response_type", "code"},
                                        {"client_id", "app"},
                                        {"redirect_uri", kRedirect},
                                        {"scope", "openid email"},
                                        {"nonce", "n"},
                                        {"code_challenge", oidc::s256_challenge(verifier)},
                                        {"code_challenge_method", "S256"}});
    auto r = h.request("GET", "/oauth/authorize?" + query);
    REQUIRE(r.status == 200);
    r = h.request("POST", form_action(r.body, "id=\"consent-form\""),
                  "answer=accept&csrf_token=" + url_encode(Harness::csrf_in(r.body)));
    REQUIRE(r.status == 302);
    const auto code = url_params(std::string(r.header("Location"))).at("code");
    r = h.post("/oauth/token",
               "grant_type=authorization_code&code=" + code +
                   "&redirect_uri=" + url_encode(kRedirect) + "&code_verifier=" + verifier,
               {{"Authorization", basic("app", kSecret)}});
    REQUIRE(r.status == 200);
    const auto consent = h.store().get_consent_for(alice.id, "app");
    REQUIRE(consent);
    const auto token = h.store().list_tokens("", {0, 10});
    REQUIRE(token.size() == 1);

    r = h.request("GET", "/consent/");
    REQUIRE(r.status == 200);
    CHECK(contains(r.body, "The app"));
    CHECK(contains(r.body, "openid email"));
    const auto revoke = form_action(r.body, "consent-entry");
    CHECK(revoke == "/consent/revoke/" + consent->consent_id);
    const auto csrf = Harness::csrf_in(r.body);

    // State changes are POST only, with the CSRF token.
    CHECK(h.request("GET", revoke).status == 405);
    CHECK(h.request("POST", revoke, "csrf_token=forged").status == 400);
    CHECK_FALSE(h.store().get_consent(consent->consent_id)->revoked());

    r = h.request("POST", revoke, "csrf_token=" + url_encode(csrf));
    CHECK(r.status == 303);
    CHECK(h.store().get_consent(consent->consent_id)->revoked());
    CHECK(h.store().get_token(token[0].token_id)->revoked());
    // A revoked consent is asked again.
    CHECK(h.request("GET", "/oauth/authorize?" + query).status == 200);

    r = h.request("GET", "/consent/");
    const auto restore = form_action(r.body, "consent-entry");
    CHECK(restore == "/consent/restore/" + consent->consent_id);
    CHECK(h.request("POST", restore, "csrf_token=" + url_encode(csrf)).status == 303);
    CHECK_FALSE(h.store().get_consent(consent->consent_id)->revoked());

    // Bob cannot touch alice's consent.
    h.request("POST", "/logout");
    REQUIRE(h.login("bob", "battery staple").status == 302);
    const auto bob_csrf = Harness::csrf_in(h.request("GET", "/consent/").body);
    CHECK(h.request("POST", revoke, "csrf_token=" + url_encode(bob_csrf)).status == 404);
    CHECK_FALSE(h.store().get_consent(consent->consent_id)->revoked());
}

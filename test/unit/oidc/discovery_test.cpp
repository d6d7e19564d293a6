// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <algorithm>

#include "oidc/discovery.hpp"

using namespace canaille::oidc;

namespace {

rapidjson::Document parse(const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d.IsObject());
    return d;
}

std::vector<std::string> list(const rapidjson::Value& v) {
    std::vector<std::string> out;
    for (const auto& e : v.GetArray()) out.emplace_back(e.GetString());
    return out;
}

bool contains(const std::vector<std::string>& l, const std::string& v) {
    return std::find(l.begin(), l.end(), v) != l.end();
}

}  // namespace

TEST_CASE("OIDC Discovery §3 metadata", "[oidc][discovery]") {
    auto in = default_discovery("https://auth.example/prefix/", {"RS256", "none", "ES256"});
    auto d = parse(openid_configuration_json(in));
    CHECK(std::string(d["issuer"].GetString()) == "https://auth.example/prefix");
    CHECK(std::string(d["authorization_endpoint"].GetString()) ==
          "https://auth.example/prefix/oauth/authorize");
    CHECK(std::string(d["token_endpoint"].GetString()) ==
          "https://auth.example/prefix/oauth/token");
    CHECK(std::string(d["userinfo_endpoint"].GetString()) ==
          "https://auth.example/prefix/oauth/userinfo");
    CHECK(std::string(d["jwks_uri"].GetString()) == "https://auth.example/prefix/oauth/jwks.json");
    CHECK(std::string(d["introspection_endpoint"].GetString()) ==
          "https://auth.example/prefix/oauth/introspect");
    CHECK(std::string(d["revocation_endpoint"].GetString()) ==
          "https://auth.example/prefix/oauth/revoke");

    CHECK(list(d["response_types_supported"]) == std::vector<std::string>{"code"});
    CHECK(list(d["subject_types_supported"]) == std::vector<std::string>{"public"});
    // "none" must never be advertised (reference §10: alg none was a security fix)
    CHECK(list(d["id_token_signing_alg_values_supported"]) ==
          std::vector<std::string>{"RS256", "ES256"});
    CHECK(list(d["code_challenge_methods_supported"]) == std::vector<std::string>{"plain", "S256"});
    const auto grants = list(d["grant_types_supported"]);
    for (auto* g : {"authorization_code", "refresh_token", "client_credentials", "password"}) {
        CHECK(contains(grants, g));
    }
    CHECK_FALSE(contains(grants, "implicit"));
    const auto methods = list(d["token_endpoint_auth_methods_supported"]);
    CHECK(methods == std::vector<std::string>{"client_secret_basic", "client_secret_post", "none"});
    CHECK_FALSE(contains(list(d["introspection_endpoint_auth_methods_supported"]), "none"));
    CHECK_FALSE(contains(list(d["revocation_endpoint_auth_methods_supported"]), "none"));
    const auto scopes = list(d["scopes_supported"]);
    for (auto* s : {"openid", "profile", "email", "address", "phone", "groups"}) {
        CHECK(contains(scopes, s));
    }
    const auto claims = list(d["claims_supported"]);
    CHECK(contains(claims, "sub"));
    CHECK(contains(claims, "email"));
    CHECK_FALSE(contains(claims, "email_verified"));
    CHECK(d["authorization_response_iss_parameter_supported"].GetBool());
    CHECK_FALSE(d["claims_parameter_supported"].GetBool());
    CHECK_FALSE(d["request_parameter_supported"].GetBool());
    CHECK_FALSE(d["request_uri_parameter_supported"].GetBool());
    CHECK_FALSE(contains(list(d["prompt_values_supported"]), "create"));
    // null / empty keys dropped (reference §1b)
    CHECK_FALSE(d.HasMember("registration_endpoint"));
    CHECK_FALSE(d.HasMember("end_session_endpoint"));
    CHECK_FALSE(d.HasMember("ui_locales_supported"));
    CHECK_FALSE(d.HasMember("service_documentation"));

    auto with_reg = default_discovery("https://a", {"RS256"}, true);
    with_reg.ui_locales_supported = {"en", "fr"};
    auto r = parse(openid_configuration_json(with_reg));
    CHECK(contains(list(r["prompt_values_supported"]), "create"));
    CHECK(list(r["ui_locales_supported"]) == std::vector<std::string>{"en", "fr"});
}

TEST_CASE("RFC 8414 §2 metadata", "[oidc][discovery]") {
    auto d = parse(oauth_authorization_server_json(default_discovery("https://a", {"RS256"})));
    CHECK(std::string(d["issuer"].GetString()) == "https://a");
    CHECK(d.HasMember("token_endpoint"));
    CHECK(d.HasMember("jwks_uri"));
    CHECK(d.HasMember("code_challenge_methods_supported"));
    CHECK(d["authorization_response_iss_parameter_supported"].GetBool());
    for (auto* k : {"userinfo_endpoint", "subject_types_supported",
                    "id_token_signing_alg_values_supported", "claims_supported"}) {
        INFO(k);
        CHECK_FALSE(d.HasMember(k));
    }
}

TEST_CASE("RFC 7033 §4.4 WebFinger for OIDC Discovery §2", "[oidc][discovery]") {
    auto d = parse(webfinger_json("acct:alice@example.org", "https://auth.example"));
    CHECK(std::string(d["subject"].GetString()) == "acct:alice@example.org");
    REQUIRE(d["links"].IsArray());
    REQUIRE(d["links"].Size() == 1);
    CHECK(std::string(d["links"][0]["rel"].GetString()) ==
          "http://openid.net/specs/connect/1.0/issuer");
    CHECK(std::string(d["links"][0]["href"].GetString()) == "https://auth.example");
    auto e = parse(webfinger_json("acct:\"quote\"@x", "https://a"));
    CHECK(std::string(e["subject"].GetString()) == "acct:\"quote\"@x");
}

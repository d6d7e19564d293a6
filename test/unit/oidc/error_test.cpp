// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "oidc/error.hpp"
#include "oidc/params.hpp"

using namespace canaille::oidc;

TEST_CASE("RFC 6749 §5.2 / RFC 6750 §3.1: error codes and statuses", "[oidc][error]") {
    struct Case {
        Errc code;
        const char* name;
        int status;
    };
    const Case cases[] = {
        {Errc::invalid_request, "invalid_request", 400},
        {Errc::invalid_client, "invalid_client", 401},
        {Errc::invalid_grant, "invalid_grant", 400},
        {Errc::unauthorized_client, "unauthorized_client", 400},
        {Errc::unsupported_grant_type, "unsupported_grant_type", 400},
        {Errc::invalid_scope, "invalid_scope", 400},
        {Errc::access_denied, "access_denied", 400},
        {Errc::unsupported_response_type, "unsupported_response_type", 400},
        {Errc::server_error, "server_error", 500},
        {Errc::temporarily_unavailable, "temporarily_unavailable", 503},
        {Errc::login_required, "login_required", 400},
        {Errc::consent_required, "consent_required", 400},
        {Errc::interaction_required, "interaction_required", 400},
        {Errc::account_selection_required, "account_selection_required", 400},
        {Errc::invalid_request_uri, "invalid_request_uri", 400},
        {Errc::invalid_request_object, "invalid_request_object", 400},
        {Errc::request_not_supported, "request_not_supported", 400},
        {Errc::request_uri_not_supported, "request_uri_not_supported", 400},
        {Errc::invalid_token, "invalid_token", 401},
        {Errc::insufficient_scope, "insufficient_scope", 403},
        {Errc::invalid_redirect_uri, "invalid_redirect_uri", 400},
        {Errc::invalid_client_metadata, "invalid_client_metadata", 400},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        CHECK(to_string(c.code) == c.name);
        CHECK(Error{c.code, ""}.http_status() == c.status);
    }
}

TEST_CASE("RFC 6749 §5.2: error JSON", "[oidc][error]") {
    CHECK(to_json(Error{Errc::invalid_grant, "code already used"}) ==
          R"({"error":"invalid_grant","error_description":"code already used"})");
    CHECK(to_json(Error{Errc::invalid_client, ""}) == R"({"error":"invalid_client"})");
    CHECK(to_json(Error{Errc::invalid_request, "a \"b\"\n"}) ==
          R"({"error":"invalid_request","error_description":"a \"b\"\n"})");
}

TEST_CASE("RFC 6750 §3: WWW-Authenticate", "[oidc][error]") {
    CHECK(bearer_challenge("canaille") == R"(Bearer realm="canaille")");
    const Error e{Errc::invalid_token, "token \"expired\""};
    CHECK(bearer_challenge("canaille", &e) ==
          R"(Bearer realm="canaille", error="invalid_token", error_description="token  expired ")");
    const Error scope{Errc::insufficient_scope, ""};
    CHECK(bearer_challenge("", &scope) == R"(Bearer error="insufficient_scope")");
}

TEST_CASE("RFC 6749 §3.1: repeated parameters", "[oidc][error]") {
    const Params p = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
    CHECK(param(p, "a") == "1");
    CHECK_FALSE(param(p, "c"));
    CHECK(param_count(p, "a") == 2);
    auto r = reject_duplicates(p, {"b", "a"});
    REQUIRE_FALSE(r);
    CHECK(r.error() == Error{Errc::invalid_request, "parameter 'a' repeated"});
    CHECK(reject_duplicates(p, {"b", "c"}));
}

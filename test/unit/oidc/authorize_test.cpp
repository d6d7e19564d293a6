// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <algorithm>

#include "fixtures.hpp"
#include "oidc/authorize.hpp"
#include "oidc/pkce.hpp"

using namespace canaille;
using namespace canaille::oidc;

namespace {

const std::string kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

Params base_params() {
    return {{"client_id", "app"},      {"redirect_uri", "https://app.example/cb"},
            {"response_type", "code"}, {"scope", "openid profile"},
            {"state", "st"},           {"nonce", "n-0S6_WzA2Mj"}};
}

Params with(Params p, const std::string& k, const std::string& v) {
    auto it = std::find_if(p.begin(), p.end(), [&](const auto& kv) { return kv.first == k; });
    if (it != p.end()) {
        it->second = v;
    } else {
        p.emplace_back(k, v);
    }
    return p;
}

Params without(Params p, const std::string& k) {
    p.erase(std::remove_if(p.begin(), p.end(), [&](const auto& kv) { return kv.first == k; }),
            p.end());
    return p;
}

Params added(Params p, const std::string& k, const std::string& v) {
    p.emplace_back(k, v);
    return p;
}

}  // namespace

TEST_CASE("a valid code request", "[oidc][authorize]") {
    const auto client = test::confidential_client();
    auto r = validate_authorization_request(base_params(), &client, {});
    REQUIRE(r);
    CHECK(r->client_id == "app");
    CHECK(r->redirect_uri == "https://app.example/cb");
    CHECK(r->redirect_uri_given);
    CHECK(r->response_type == "code");
    CHECK(r->response_mode == ResponseMode::query);
    CHECK(r->scopes == Scopes{"openid", "profile"});
    CHECK(r->is_openid());
    CHECK(r->state == "st");
    CHECK(r->nonce == "n-0S6_WzA2Mj");
    CHECK(r->prompt.empty());
    CHECK_FALSE(r->max_age);
}

TEST_CASE("authorization errors that must not redirect (RFC 6749 §4.1.2.1)", "[oidc][authorize]") {
    auto client = test::confidential_client();
    auto two_uris = client;
    two_uris.redirect_uris.push_back("https://app.example/other");
    auto no_uris = client;
    no_uris.redirect_uris.clear();
    struct Case {
        Params params;
        const model::Client* client;
        const char* why;
    };
    const Case cases[] = {
        {without(base_params(), "client_id"), &client, "§4.1.2.1 client_id missing"},
        {with(base_params(), "client_id", ""), &client, "§4.1.2.1 client_id empty"},
        {base_params(), nullptr, "§4.1.2.1 unknown client"},
        {with(base_params(), "client_id", "other"), &client, "client does not match client_id"},
        {added(base_params(), "client_id", "app"), &client, "§3.1 client_id repeated"},
        {with(base_params(), "redirect_uri", "https://evil.example/cb"), &client,
         "§3.1.2.3 unregistered redirect_uri"},
        {with(base_params(), "redirect_uri", "https://app.example/cb/"), &client,
         "§3.1.2.3 trailing slash mismatch"},
        {with(base_params(), "redirect_uri", "https://app.example/cb?x=1"), &client,
         "§3.1.2.3 extra query mismatch"},
        {added(base_params(), "redirect_uri", "https://app.example/cb"), &client,
         "§3.1 redirect_uri repeated"},
        {without(base_params(), "redirect_uri"), &two_uris,
         "§3.1.2.3 missing with several registered"},
        {without(base_params(), "redirect_uri"), &no_uris, "§3.1.2.3 missing, none registered"},
        {with(base_params(), "state", std::string(kMaxAuthorizeParamBytes + 1, 'x')), &client,
         "parameter too long"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        auto r = validate_authorization_request(c.params, c.client, {});
        REQUIRE_FALSE(r);
        CHECK_FALSE(r.error().redirectable);
        CHECK(r.error().error.code == Errc::invalid_request);
        CHECK(r.error().redirect_uri.empty());
    }
}

TEST_CASE("redirect_uri may be omitted with one registered (RFC 6749 §3.1.2.3)",
          "[oidc][authorize]") {
    const auto client = test::confidential_client();
    auto r = validate_authorization_request(without(base_params(), "redirect_uri"), &client, {});
    REQUIRE(r);
    CHECK(r->redirect_uri == "https://app.example/cb");
    CHECK_FALSE(r->redirect_uri_given);
}

TEST_CASE("authorization errors redirected to the client (RFC 6749 §4.1.2.1)",
          "[oidc][authorize]") {
    const auto client = test::confidential_client();
    const auto pub = test::public_client();
    auto token_only = client;
    token_only.response_types = {"code id_token"};
    auto no_code_grant = client;
    no_code_grant.grant_types = {"client_credentials"};
    AuthorizeOptions hybrid_on;
    hybrid_on.response_types = {"code", "code id_token"};
    auto pub_params = with(base_params(), "client_id", "spa");
    struct Case {
        Params params;
        const model::Client* client;
        AuthorizeOptions options;
        Errc code;
        const char* why;
    };
    const Case cases[] = {
        {without(base_params(), "response_type"),
         &client,
         {},
         Errc::invalid_request,
         "§4.1.1 response_type missing"},
        {with(base_params(), "response_type", "token"),
         &client,
         {},
         Errc::unsupported_response_type,
         "§4.1.2.1 implicit not enabled"},
        {with(base_params(), "response_type", "code id_token"),
         &client,
         {},
         Errc::unsupported_response_type,
         "hybrid not enabled"},
        {with(base_params(), "response_type", "bogus"),
         &client,
         {},
         Errc::unsupported_response_type,
         "unknown response_type"},
        {with(base_params(), "response_type", "code code"),
         &client,
         {},
         Errc::unsupported_response_type,
         "repeated value in response_type"},
        {base_params(),
         &token_only,
         {},
         Errc::unauthorized_client,
         "§4.1.2.1 response_type not registered for the client"},
        {base_params(),
         &no_code_grant,
         {},
         Errc::unauthorized_client,
         "§4.1.2.1 client lacks the authorization_code grant"},
        {added(base_params(), "scope", "email"),
         &client,
         {},
         Errc::invalid_request,
         "§3.1 scope repeated"},
        {added(base_params(), "state", "other"),
         &client,
         {},
         Errc::invalid_request,
         "§3.1 state repeated"},
        {with(base_params(), "scope", "open\"id"),
         &client,
         {},
         Errc::invalid_scope,
         "§3.3 bad scope character"},
        {without(base_params(), "nonce"),
         &client,
         {},
         Errc::invalid_request,
         "REQUIRE_NONCE with openid"},
        {with(base_params(), "prompt", "none login"),
         &client,
         {},
         Errc::invalid_request,
         "OIDC Core §3.1.2.1 prompt=none with another value"},
        {with(base_params(), "prompt", "bogus"),
         &client,
         {},
         Errc::invalid_request,
         "unknown prompt"},
        {with(base_params(), "prompt", "create"),
         &client,
         {},
         Errc::invalid_request,
         "prompt=create while registration is off"},
        {with(base_params(), "max_age", "-1"),
         &client,
         {},
         Errc::invalid_request,
         "OIDC Core §3.1.2.1 negative max_age"},
        {with(base_params(), "max_age", "1e3"),
         &client,
         {},
         Errc::invalid_request,
         "max_age not an integer"},
        {with(base_params(), "max_age", "99999999999999999999"),
         &client,
         {},
         Errc::invalid_request,
         "max_age overflow"},
        {with(with(base_params(), "code_challenge", kChallenge), "code_challenge_method", "S512"),
         &client,
         {},
         Errc::invalid_request,
         "RFC 7636 §4.3 unknown method"},
        {with(base_params(), "code_challenge", "short"),
         &client,
         {},
         Errc::invalid_request,
         "RFC 7636 §4.2 malformed challenge"},
        {with(base_params(), "code_challenge_method", "S256"),
         &client,
         {},
         Errc::invalid_request,
         "RFC 7636 §4.3 method without challenge"},
        {pub_params,
         &pub,
         {},
         Errc::invalid_request,
         "RFC 7636 §4.4.1 public client without challenge"},
        {with(base_params(), "request", "eyJ..."),
         &client,
         {},
         Errc::request_not_supported,
         "OIDC Core §6 request object"},
        {with(base_params(), "request_uri", "https://x/r"),
         &client,
         {},
         Errc::request_uri_not_supported,
         "OIDC Core §6 request_uri"},
        {with(base_params(), "response_mode", "form_post"),
         &client,
         {},
         Errc::invalid_request,
         "unsupported response_mode"},
        {with(with(base_params(), "response_type", "code id_token"), "response_mode", "query"),
         &token_only, hybrid_on, Errc::invalid_request,
         "Multiple Response Types §2.1: no tokens in the query"},
        {with(without(base_params(), "nonce"), "response_type", "code id_token"), &token_only,
         [&] {
             auto o = hybrid_on;
             o.require_nonce = false;
             return o;
         }(),
         Errc::invalid_request, "OIDC Core §3.3.2.11 nonce required for hybrid"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        auto r = validate_authorization_request(c.params, c.client, c.options);
        REQUIRE_FALSE(r);
        CHECK(r.error().redirectable);
        CHECK(r.error().error.code == c.code);
        CHECK(r.error().redirect_uri == "https://app.example/cb");
        CHECK(r.error().state == "st");
    }
}

TEST_CASE("accepted variations", "[oidc][authorize]") {
    auto client = test::confidential_client();
    const auto pub = test::public_client();
    AuthorizeOptions no_nonce;
    no_nonce.require_nonce = false;
    AuthorizeOptions registration;
    registration.registration_enabled = true;

    SECTION("plain OAuth: no openid scope, no nonce needed") {
        auto r = validate_authorization_request(
            without(with(base_params(), "scope", "profile"), "nonce"), &client, {});
        REQUIRE(r);
        CHECK_FALSE(r->is_openid());
    }
    SECTION("REQUIRE_NONCE off") {
        auto r = validate_authorization_request(without(base_params(), "nonce"), &client, no_nonce);
        REQUIRE(r);
        CHECK_FALSE(r->nonce);
    }
    SECTION("openid not registered for the client: treated as plain OAuth") {
        client.scope = {"profile"};
        auto r = validate_authorization_request(without(base_params(), "nonce"), &client, {});
        REQUIRE(r);
        CHECK(r->scopes == Scopes{"profile"});
        CHECK(r->requested_scopes == Scopes{"openid", "profile"});
    }
    SECTION("no scope: the client's scopes (reference §2)") {
        auto r = validate_authorization_request(without(base_params(), "scope"), &client, {});
        REQUIRE(r);
        CHECK(r->scopes == client.scope);
    }
    SECTION("RFC 7636 §4.3: method defaults to plain") {
        auto r = validate_authorization_request(with(base_params(), "code_challenge", kChallenge),
                                                &client, {});
        REQUIRE(r);
        CHECK(r->code_challenge == kChallenge);
        CHECK(r->code_challenge_method == "plain");
    }
    SECTION("public client with S256") {
        auto p = with(with(with(base_params(), "client_id", "spa"), "code_challenge", kChallenge),
                      "code_challenge_method", "S256");
        auto r = validate_authorization_request(p, &pub, {});
        REQUIRE(r);
        CHECK(r->code_challenge_method == "S256");
    }
    SECTION("prompt values") {
        auto r = validate_authorization_request(
            with(base_params(), "prompt", "login consent select_account"), &client, {});
        REQUIRE(r);
        CHECK(r->prompt.has(Prompt::login));
        CHECK(r->prompt.has(Prompt::consent));
        CHECK(r->prompt.has(Prompt::select_account));
        CHECK_FALSE(r->prompt.has(Prompt::none));
        auto c = validate_authorization_request(with(base_params(), "prompt", "create"), &client,
                                                registration);
        REQUIRE(c);
        CHECK(c->prompt.has(Prompt::create));
    }
    SECTION("max_age, and the client's default_max_age (OIDC Registration §2)") {
        auto r = validate_authorization_request(with(base_params(), "max_age", "0"), &client, {});
        REQUIRE(r);
        CHECK(r->max_age == 0);
        client.default_max_age = 600;
        auto d = validate_authorization_request(base_params(), &client, {});
        REQUIRE(d);
        CHECK(d->max_age == 600);
    }
    SECTION("hints and lists") {
        auto p = with(with(with(base_params(), "ui_locales", "fr-CA  en"), "acr_values", "a b"),
                      "login_hint", "alice");
        auto r = validate_authorization_request(p, &client, {});
        REQUIRE(r);
        CHECK(r->ui_locales == std::vector<std::string>{"fr-CA", "en"});
        CHECK(r->acr_values == std::vector<std::string>{"a", "b"});
        CHECK(r->login_hint == "alice");
    }
    SECTION("unknown parameters are ignored, even repeated (RFC 6749 §3.1)") {
        auto r = validate_authorization_request(added(added(base_params(), "x", "1"), "x", "2"),
                                                &client, {});
        CHECK(r);
    }
    SECTION("response_mode=fragment for code") {
        auto r = validate_authorization_request(with(base_params(), "response_mode", "fragment"),
                                                &client, {});
        REQUIRE(r);
        CHECK(r->response_mode == ResponseMode::fragment);
    }
    SECTION("table-driven: a hybrid type slots in when enabled") {
        client.response_types = {"id_token code"};
        AuthorizeOptions hybrid;
        hybrid.response_types = {"code", "code id_token"};
        auto r = validate_authorization_request(
            with(base_params(), "response_type", "id_token code"), &client, hybrid);
        REQUIRE(r);
        CHECK(r->response_type == "code id_token");
        CHECK(r->response_mode == ResponseMode::fragment);
    }
}

TEST_CASE("RFC 9207 / RFC 6749 §4.1.2: redirects carry state and iss", "[oidc][authorize]") {
    const auto client = test::confidential_client();
    auto r = validate_authorization_request(base_params(), &client, {});
    REQUIRE(r);
    CHECK(code_redirect(*r, "abc", "https://auth.example/sso") ==
          "https://app.example/cb?code=abc&state=st&iss=https%3A%2F%2Fauth.example%2Fsso");
    CHECK(error_redirect(*r, Error{Errc::access_denied, "denied"}, "https://i") ==
          "https://app.example/cb?error=access_denied&error_description=denied&state=st&"
          "iss=https%3A%2F%2Fi");
    auto bad = validate_authorization_request(with(base_params(), "prompt", "x"), &client, {});
    REQUIRE_FALSE(bad);
    CHECK(error_redirect(bad.error(), "https://i") ==
          "https://app.example/cb?error=invalid_request&error_description=unsupported%20prompt%"
          "20value%20%27x%27&state=st&iss=https%3A%2F%2Fi");
}

TEST_CASE("needs_login (OIDC Core §3.1.2.1 prompt and max_age)", "[oidc][authorize]") {
    using std::chrono::seconds;
    const auto now = test::t0();
    AuthorizationRequest plain;
    AuthorizationRequest login;
    login.prompt.add(Prompt::login);
    AuthorizationRequest select;
    select.prompt.add(Prompt::select_account);
    AuthorizationRequest age;
    age.max_age = 60;
    AuthorizationRequest age0;
    age0.max_age = 0;
    struct Case {
        const AuthorizationRequest* req;
        std::optional<TimePoint> auth_time;
        std::optional<TimePoint> first_seen;
        bool want;
        const char* why;
    };
    const Case cases[] = {
        {&plain, std::nullopt, std::nullopt, true, "no session"},
        {&plain, now - seconds(86400), std::nullopt, false, "session, no constraint"},
        {&login, now - seconds(5), std::nullopt, true, "prompt=login forces re-auth"},
        {&login, now - seconds(5), now - seconds(10), false,
         "prompt=login satisfied by a login after the request was first seen"},
        {&login, now - seconds(20), now - seconds(10), true, "login predates the request"},
        {&select, now - seconds(5), std::nullopt, true, "select_account shows the picker"},
        {&age, now - seconds(59), std::nullopt, false, "max_age not elapsed"},
        {&age, now - seconds(60), std::nullopt, true, "max_age elapsed"},
        {&age0, now, std::nullopt, true, "max_age=0 always re-authenticates"},
        {&age0, now, now - seconds(1), false, "max_age=0 satisfied by the fresh login"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        CHECK(needs_login(*c.req, c.auth_time, now, c.first_seen) == c.want);
    }
}

TEST_CASE("consent_needed (reference §2 Consent)", "[oidc][authorize]") {
    using std::chrono::seconds;
    const auto now = test::t0();
    const auto client = test::confidential_client();
    AuthorizationRequest req;
    req.scopes = {"openid", "email"};
    AuthorizationRequest prompt_consent = req;
    prompt_consent.prompt.add(Prompt::consent);
    AuthorizationRequest prompt_none = req;
    prompt_none.prompt.add(Prompt::none);

    model::Consent covering;
    covering.scope = {"openid", "email", "profile"};
    covering.issue_date = now - seconds(3600);
    model::Consent narrow = covering;
    narrow.scope = {"openid"};
    model::Consent revoked = covering;
    revoked.revokation_date = now - seconds(60);
    model::Consent fresh = covering;
    fresh.issue_date = now;

    struct Case {
        const AuthorizationRequest* req;
        const model::Consent* consent;
        bool trusted;
        std::optional<TimePoint> first_seen;
        ConsentDecision want;
        const char* why;
    };
    const Case cases[] = {
        {&req, nullptr, false, {}, ConsentDecision::ask, "no consent yet"},
        {&req, &covering, false, {}, ConsentDecision::skip, "stored scopes cover"},
        {&req, &narrow, false, {}, ConsentDecision::ask, "stored scopes do not cover"},
        {&req, &revoked, false, {}, ConsentDecision::ask, "revoked consent"},
        {&req, &revoked, true, {}, ConsentDecision::ask, "revoked beats trusted (revoke-trusted)"},
        {&req, nullptr, true, {}, ConsentDecision::skip, "trusted client skips consent"},
        {&req, &narrow, true, {}, ConsentDecision::skip, "trusted ignores stored scopes"},
        {&prompt_consent, &covering, false, now - seconds(5), ConsentDecision::ask,
         "prompt=consent on an older consent"},
        {&prompt_consent, &fresh, false, now - seconds(5), ConsentDecision::skip,
         "prompt=consent answered during this request"},
        {&prompt_consent, nullptr, true, {}, ConsentDecision::ask, "prompt=consent, trusted"},
        {&prompt_none,
         nullptr,
         false,
         {},
         ConsentDecision::consent_required,
         "OIDC Core §3.1.2.6 prompt=none needing consent"},
        {&prompt_none, &covering, false, {}, ConsentDecision::skip, "prompt=none, covered"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        CHECK(consent_needed(*c.req, client, c.consent, c.trusted, c.first_seen) == c.want);
    }
}

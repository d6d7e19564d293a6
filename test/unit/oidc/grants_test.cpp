// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "oidc/grants.hpp"
#include "oidc/pkce.hpp"

using namespace canaille;
using namespace canaille::oidc;
using std::chrono::seconds;

namespace {

const std::string kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const std::string kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

model::AuthorizationCode make_code() {
    model::AuthorizationCode c;
    c.authorization_code_id = "code-1";
    c.code_hash = "00";
    c.client_id = "app";
    c.subject = "user-1";
    c.redirect_uri = "https://app.example/cb";
    c.scope = {"openid"};
    c.issue_date = test::t0();
    c.lifetime = 300;
    return c;
}

}  // namespace

TEST_CASE("RFC 6749 §5.2: grant type allowed", "[oidc][grants]") {
    auto client = test::confidential_client();
    struct Case {
        const char* grant;
        bool ok;
        Errc code;
        const char* why;
    };
    const Case cases[] = {
        {"authorization_code", true, {}, "§4.1 registered"},
        {"refresh_token", true, {}, "§6 registered"},
        {"client_credentials", false, Errc::unauthorized_client, "§4.4 not registered"},
        {"password", false, Errc::unauthorized_client, "§4.3 not registered"},
        {"urn:ietf:params:oauth:grant-type:jwt-bearer", false, Errc::unsupported_grant_type,
         "RFC 7523 not implemented"},
        {"implicit", false, Errc::unsupported_grant_type, "not a token endpoint grant"},
        {"bogus", false, Errc::unsupported_grant_type, "unknown"},
        {"", false, Errc::invalid_request, "missing"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        auto r = check_grant_allowed(client, c.grant);
        REQUIRE(r.has_value() == c.ok);
        if (!c.ok) CHECK(r.error().code == c.code);
    }
}

TEST_CASE("RFC 6749 §4.1.3 / RFC 7636 §4.6: code exchange", "[oidc][grants]") {
    const auto now = test::t0() + seconds(10);
    const auto client = test::confidential_client();
    auto other = client;
    other.client_id = "other";

    const auto code = make_code();
    auto expired = code;
    expired.issue_date = test::t0() - seconds(300);
    auto used = code;
    used.consumed_at = test::t0();
    auto revoked = code;
    revoked.revokation_date = test::t0();
    auto no_uri = code;
    no_uri.redirect_uri.reset();
    auto s256 = code;
    s256.challenge = kChallenge;
    s256.challenge_method = "S256";
    auto plain = code;
    plain.challenge = kVerifier;
    plain.challenge_method = "plain";

    const std::optional<std::string_view> uri = "https://app.example/cb";
    const std::optional<std::string_view> none;
    const std::optional<std::string_view> verifier = kVerifier;
    const std::string wrong_v = std::string(43, 'x');
    const std::optional<std::string_view> wrong_verifier = wrong_v;

    struct Case {
        const model::AuthorizationCode* code;
        const model::Client* client;
        std::optional<std::string_view> redirect_uri;
        std::optional<std::string_view> verifier;
        bool ok;
        Errc err;
        const char* why;
    };
    const Case cases[] = {
        {&code, &client, uri, none, true, {}, "valid"},
        {&code, &other, uri, none, false, Errc::invalid_grant, "§4.1.3 issued to another client"},
        {&expired, &client, uri, none, false, Errc::invalid_grant, "§4.1.2 expired"},
        {&used, &client, uri, none, false, Errc::invalid_grant, "§4.1.2 single use"},
        {&revoked, &client, uri, none, false, Errc::invalid_grant, "revoked"},
        {&code, &client, none, none, false, Errc::invalid_request,
         "§4.1.3 redirect_uri required when it was in the request"},
        {&code, &client, std::optional<std::string_view>("https://app.example/cb/"), none, false,
         Errc::invalid_grant, "§4.1.3 redirect_uri must be identical"},
        {&no_uri, &client, none, none, true, {}, "redirect_uri not in the request, not here"},
        {&no_uri, &client, uri, none, true, {}, "redirect_uri given, registered"},
        {&no_uri, &client, std::optional<std::string_view>("https://evil/cb"), none, false,
         Errc::invalid_grant, "redirect_uri given, unregistered"},
        {&s256, &client, uri, verifier, true, {}, "RFC 7636 §4.6 S256 verified"},
        {&s256, &client, uri, wrong_verifier, false, Errc::invalid_grant, "RFC 7636 §4.6 mismatch"},
        {&s256, &client, uri, none, false, Errc::invalid_request, "RFC 7636 §4.5 missing"},
        {&s256, &client, uri, std::optional<std::string_view>("short"), false,
         Errc::invalid_request, "RFC 7636 §4.1 malformed verifier"},
        {&plain, &client, uri, verifier, true, {}, "plain verified"},
        {&plain, &client, uri, wrong_verifier, false, Errc::invalid_grant, "plain mismatch"},
        {&code, &client, uri, verifier, false, Errc::invalid_grant,
         "verifier without a challenge (downgrade)"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        auto r = check_code_exchange(*c.code, *c.client, c.redirect_uri, c.verifier, now);
        REQUIRE(r.has_value() == c.ok);
        if (!c.ok) CHECK(r.error().code == c.err);
    }
    // expiry is exclusive: the code dies at issue_date + lifetime
    CHECK_FALSE(check_code_exchange(code, client, uri, none, test::t0() + seconds(300)));
    CHECK(check_code_exchange(code, client, uri, none, test::t0() + seconds(299)));
}

TEST_CASE("RFC 6749 §6: refresh", "[oidc][grants]") {
    const auto now = test::t0() + seconds(10);
    const auto client = test::confidential_client();
    auto other = client;
    other.client_id = "other";
    model::Token tok;
    tok.token_id = "t1";
    tok.client_id = "app";
    tok.refresh_token_hash = "aa";
    tok.scope = {"openid", "email", "profile"};
    tok.issue_date = test::t0();
    tok.lifetime = 3600;
    auto no_refresh = tok;
    no_refresh.refresh_token_hash.reset();
    auto revoked = tok;
    revoked.revokation_date = test::t0();
    auto rotated = tok;
    rotated.refresh_token_consumed_at = test::t0();
    auto expired = tok;
    expired.lifetime = 5;

    struct Case {
        const model::Token* token;
        const model::Client* client;
        std::optional<Scopes> requested;
        bool ok;
        Scopes want;
        Errc err;
        const char* why;
    };
    const Case cases[] = {
        {&tok, &client, std::nullopt, true, tok.scope, {}, "§6 omitted scope: same as original"},
        {&tok, &client, Scopes{}, true, tok.scope, {}, "empty scope: same as original"},
        {&tok, &client, Scopes{"email"}, true, {"email"}, {}, "§6 narrowing allowed"},
        {&tok,
         &client,
         Scopes{"email", "admin"},
         false,
         {},
         Errc::invalid_scope,
         "§6 widening refused"},
        {&tok, &other, std::nullopt, false, {}, Errc::invalid_grant, "§6 another client"},
        {&no_refresh, &client, std::nullopt, false, {}, Errc::invalid_grant, "no refresh token"},
        {&revoked, &client, std::nullopt, false, {}, Errc::invalid_grant, "revoked"},
        {&rotated,
         &client,
         std::nullopt,
         false,
         {},
         Errc::invalid_grant,
         "already rotated (RFC 9700 §4.14.2)"},
        {&expired, &client, std::nullopt, false, {}, Errc::invalid_grant, "expired"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        auto r = check_refresh(*c.token, *c.client, c.requested, now);
        REQUIRE(r.has_value() == c.ok);
        if (c.ok) {
            CHECK(*r == c.want);
        } else {
            CHECK(r.error().code == c.err);
        }
    }
}

TEST_CASE("locked subjects get no grant (reference §2 Misc)", "[oidc][grants]") {
    const auto now = test::t0();
    model::User u;
    CHECK(check_subject_active(&u, now));
    u.lock_date = now + seconds(10);
    CHECK(check_subject_active(&u, now));
    u.lock_date = now;
    CHECK_FALSE(check_subject_active(&u, now));
    CHECK_FALSE(check_subject_active(nullptr, now));
}

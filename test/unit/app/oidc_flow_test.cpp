// SPDX-License-Identifier: MIT
// The authorization-code flow through the whole pipeline, in process: authorize, login,
// consent, code, token, userinfo, refresh, introspection, revocation, and the ways each
// step must refuse (RFC 6749, RFC 7636, RFC 6750, RFC 7662, RFC 7009, OIDC Core).
#include <rapidjson/document.h>

#include "harness.hpp"
#include "jose/jws.hpp"
#include "oidc/pkce.hpp"
#include "util/base64.hpp"
#include "util/hash.hpp"
#include "util/random.hpp"

using namespace canaille;
using namespace canaille::test;

namespace {

constexpr const char* kVerifier = "dBjftJeZ4CVP-mJ0kbcFE7zsw8aTsZVmbWbMwhxpMqE-extra-length";

rapidjson::Document parse_json(const std::string& body) {
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    REQUIRE_FALSE(d.HasParseError());
    return d;
}

std::string str(const rapidjson::Document& d, const char* key) {
    REQUIRE(d.IsObject());
    if (!d.HasMember(key) || !d[key].IsString()) return "";
    return d[key].GetString();
}

/// The payload of a compact JWS, decoded but not verified.
rapidjson::Document jwt_payload(const std::string& jwt) {
    const auto first = jwt.find('.');
    const auto second = jwt.find('.', first + 1);
    const auto payload = base64url_decode(jwt.substr(first + 1, second - first - 1));
    REQUIRE(payload);
    return parse_json(*payload);
}

rapidjson::Document jwt_header(const std::string& jwt) {
    const auto header = base64url_decode(jwt.substr(0, jwt.find('.')));
    REQUIRE(header);
    return parse_json(*header);
}

std::map<std::string, std::string> code_request(const std::string& client_id = "app") {
    return {{"response_type", "code"},
            {"client_id", client_id},
            {"redirect_uri", kRedirect},
            {"scope", "openid profile email groups"},
            {"state", "st4te"},
            {"nonce", "n0nce-" + random_token(8)},
            {"code_challenge", oidc::s256_challenge(kVerifier)},
            {"code_challenge_method", "S256"}};
}

/// Authorize as the signed-in browser, accepting consent when asked; returns the redirect.
std::string authorize(Harness& h, const std::map<std::string, std::string>& params) {
    auto r = h.request("GET", "/oauth/authorize?" + authorize_query(params));
    if (r.status == 200) {
        REQUIRE(contains(r.body, "value=\"accept\""));
        const auto action = form_action(r.body, "id=\"consent-form\"");
        r = h.request("POST", action,
                      "answer=accept&csrf_token=" + url_encode(Harness::csrf_in(r.body)));
    }
    REQUIRE(r.status == 302);
    return std::string(r.header("Location"));
}

http::Response exchange_code(Harness& h, const std::string& code,
                             const std::string& verifier = kVerifier,
                             const std::string& secret = kSecret) {
    return h.post("/oauth/token",
                  "grant_type=authorization_code&code=" + url_encode(code) + "&redirect_uri=" +
                      url_encode(kRedirect) + "&code_verifier=" + url_encode(verifier),
                  {{"Authorization", basic("app", secret)}});
}

http::Response userinfo(Harness& h, const std::string& access_token) {
    return h.request("GET", "/oauth/userinfo", "", "", "",
                     {{"Authorization", "Bearer " + access_token}});
}

http::Response introspect(Harness& h, const std::string& token, const std::string& client_id,
                          const std::string& hint = "") {
    std::string body = "token=" + url_encode(token);
    if (!hint.empty()) body += "&token_type_hint=" + hint;
    return h.post("/oauth/introspect", body, {{"Authorization", basic(client_id, kSecret)}});
}

/// A signed-in alice, a client "app", and a code issued after consent.
struct Signed {
    Harness h;
    model::User alice;
    explicit Signed(const std::string& yaml = "", const std::string& prefix = "")
        : h(yaml, prefix) {
        alice = h.add_user("alice", "correct horse", {"alice@example.org"});
        add_client(h);
        REQUIRE(h.login("alice", "correct horse").status == 302);
    }
    std::string code() {
        const auto location = authorize(h, code_request());
        const auto params = url_params(location);
        REQUIRE(params.count("code") == 1);
        return params.at("code");
    }
};

}  // namespace

TEST_CASE("the whole code flow with PKCE, refresh rotation, introspection and revocation",
          "[app][oidc][flow]") {
    Harness h;
    h.add_user("alice", "correct horse", {"alice@example.org"});
    add_client(h);
    add_client(h, "other");
    const auto request = code_request();

    // Anonymous: to the login page, which brings the browser back to the same request.
    auto r = h.request("GET", "/oauth/authorize?" + authorize_query(request));
    REQUIRE(r.status == 302);
    const auto login_url = std::string(r.header("Location"));
    REQUIRE(starts_with(login_url, "/login?next="));
    const auto next = url_params(login_url).at("next");
    CHECK(starts_with(next, "/oauth/authorize?"));
    r = h.login("alice", "correct horse", "?next=" + url_encode(next));
    REQUIRE(r.status == 302);
    CHECK(r.header("Location") == next);

    // Consent page: the client, its links, each scope, the three answers.
    r = h.request("GET", next);
    REQUIRE(r.status == 200);
    CHECK(contains(r.body, "The app"));
    CHECK(contains(r.body, "https://app.example/tos"));
    CHECK(contains(r.body, "data-scope=\"email\""));
    CHECK(contains(r.body, "value=\"deny\""));
    CHECK(contains(r.body, "value=\"logout\""));
    const auto action = form_action(r.body, "id=\"consent-form\"");
    r = h.request("POST", action,
                  "answer=accept&csrf_token=" + url_encode(Harness::csrf_in(r.body)));
    REQUIRE(r.status == 302);
    const auto location = std::string(r.header("Location"));
    REQUIRE(starts_with(location, std::string(kRedirect) + "?"));
    auto params = url_params(location);
    CHECK(params["state"] == "st4te");
    CHECK(params["iss"] == "http://localhost");  // RFC 9207
    const auto code = params["code"];
    REQUIRE(code.size() >= 43);
    // Only the hash is stored.
    CHECK_FALSE(h.store().get_code_by_hash(code));

    // Token.
    r = exchange_code(h, code);
    REQUIRE(r.status == 200);
    CHECK(r.header("Cache-Control") == "no-store");
    CHECK(r.header("Pragma") == "no-cache");
    auto tokens = parse_json(r.body);
    const auto access = str(tokens, "access_token");
    const auto refresh = str(tokens, "refresh_token");
    const auto id_token = str(tokens, "id_token");
    CHECK(str(tokens, "token_type") == "Bearer");
    REQUIRE_FALSE(access.empty());
    REQUIRE_FALSE(refresh.empty());
    REQUIRE_FALSE(id_token.empty());

    // The access token: RFC 9068, signed by the server's key.
    CHECK(str(jwt_header(access), "typ") == "at+jwt");
    CHECK_FALSE(str(jwt_header(access), "kid").empty());
    CHECK(jose::verify(access, h.services().keys, {"RS256"}));
    const auto at = jwt_payload(access);
    CHECK(str(at, "client_id") == "app");
    CHECK(str(at, "sub") == "alice");
    CHECK(str(at, "iss") == "http://localhost");
    CHECK_FALSE(str(at, "jti").empty());
    // The ID token.
    CHECK(jose::verify(id_token, h.services().keys, {"RS256"}));
    const auto idt = jwt_payload(id_token);
    CHECK(str(idt, "aud") == "app");
    CHECK(str(idt, "nonce") == request.at("nonce"));
    CHECK_FALSE(str(idt, "at_hash").empty());
    CHECK_FALSE(str(idt, "sid").empty());
    CHECK(idt.HasMember("auth_time"));
    CHECK(idt.HasMember("amr"));

    // Userinfo, GET and POST (form body).
    r = userinfo(h, access);
    REQUIRE(r.status == 200);
    auto claims = parse_json(r.body);
    CHECK(str(claims, "sub") == "alice");
    CHECK(str(claims, "email") == "alice@example.org");
    r = h.post("/oauth/userinfo", "access_token=" + url_encode(access));
    CHECK(r.status == 200);

    // Introspection by the token's client; a foreign client learns nothing.
    r = introspect(h, access, "app");
    REQUIRE(r.status == 200);
    auto intro = parse_json(r.body);
    CHECK(intro["active"].GetBool());
    CHECK(str(intro, "client_id") == "app");
    CHECK(str(intro, "username") == "alice");
    r = introspect(h, access, "other");
    CHECK(r.body == R"({"active":false})");

    // Refresh: a new pair; the old refresh token dies.
    r = h.post("/oauth/token", "grant_type=refresh_token&refresh_token=" + url_encode(refresh),
               {{"Authorization", basic("app", kSecret)}});
    REQUIRE(r.status == 200);
    tokens = parse_json(r.body);
    const auto access2 = str(tokens, "access_token");
    const auto refresh2 = str(tokens, "refresh_token");
    CHECK(access2 != access);
    CHECK(refresh2 != refresh);
    CHECK(userinfo(h, access2).status == 200);
    r = h.post("/oauth/token", "grant_type=refresh_token&refresh_token=" + url_encode(refresh),
               {{"Authorization", basic("app", kSecret)}});
    CHECK(r.status == 400);
    CHECK(str(parse_json(r.body), "error") == "invalid_grant");
    // The rotated token inherits the code it descends from.
    const auto rec = h.store().get_token_by_access_hash(sha256_hex(access2));
    REQUIRE(rec);
    CHECK(rec->authorization_code_id);
    CHECK(rec->parent_token_id);

    // Revocation: unknown tokens are fine; a revoked token no longer works.
    CHECK(h.post("/oauth/revoke", "token=nonsense", {{"Authorization", basic("app", kSecret)}})
              .status == 200);
    // Another client cannot revoke it.
    CHECK(h.post("/oauth/revoke", "token=" + url_encode(access2),
                 {{"Authorization", basic("other", kSecret)}})
              .status == 200);
    CHECK(userinfo(h, access2).status == 200);
    r = h.post("/oauth/revoke", "token=" + url_encode(refresh2) + "&token_type_hint=refresh_token",
               {{"Authorization", basic("app", kSecret)}});
    CHECK(r.status == 200);
    r = userinfo(h, access2);
    CHECK(r.status == 401);
    CHECK(contains(std::string(r.header("WWW-Authenticate")), "invalid_token"));
    CHECK(introspect(h, access2, "app").body == R"({"active":false})");
}

TEST_CASE("a second consent-free authorization reuses the recorded consent", "[app][oidc]") {
    Signed s;
    s.code();
    // Consent is recorded: the next request redirects at once.
    const auto r = s.h.request("GET", "/oauth/authorize?" + authorize_query(code_request()));
    CHECK(r.status == 302);
    CHECK(url_params(std::string(r.header("Location"))).count("code") == 1);
}

TEST_CASE("prompt=none without a session answers login_required", "[app][oidc][prompt]") {
    Harness h;
    add_client(h);
    auto request = code_request();
    request["prompt"] = "none";
    const auto r = h.request("GET", "/oauth/authorize?" + authorize_query(request));
    REQUIRE(r.status == 302);
    const auto params = url_params(std::string(r.header("Location")));
    CHECK(starts_with(std::string(r.header("Location")), kRedirect));
    CHECK(params.at("error") == "login_required");
    CHECK(params.at("state") == "st4te");
}

TEST_CASE("prompt=none when consent is needed answers consent_required", "[app][oidc][prompt]") {
    Signed s;
    auto request = code_request();
    request["prompt"] = "none";
    const auto r = s.h.request("GET", "/oauth/authorize?" + authorize_query(request));
    REQUIRE(r.status == 302);
    CHECK(url_params(std::string(r.header("Location"))).at("error") == "consent_required");
}

TEST_CASE("prompt=login asks to sign in again, once", "[app][oidc][prompt]") {
    Signed s;
    s.code();  // consent given
    auto request = code_request();
    request["prompt"] = "login";
    auto r = s.h.request("GET", "/oauth/authorize?" + authorize_query(request));
    REQUIRE(r.status == 302);
    const auto next = url_params(std::string(r.header("Location"))).at("next");
    CHECK(s.h.jar().count("canaille") == 0);  // the old session ended
    r = s.h.login("alice", "correct horse", "?next=" + url_encode(next));
    REQUIRE(r.header("Location") == next);
    r = s.h.request("GET", next);
    REQUIRE(r.status == 302);
    CHECK(url_params(std::string(r.header("Location"))).count("code") == 1);
    // The marker cannot be forged to skip the login.
    auto forged = code_request();
    forged["prompt"] = "login";
    forged["canaille_seen"] = "1.00";
    r = s.h.request("GET", "/oauth/authorize?" + authorize_query(forged));
    CHECK(starts_with(std::string(r.header("Location")), "/login"));
}

TEST_CASE("an unregistered redirect_uri gets an error page, never a redirect",
          "[app][oidc][authorize]") {
    Signed s;
    auto request = code_request();
    request["redirect_uri"] = "https://evil.example/cb";
    auto r = s.h.request("GET", "/oauth/authorize?" + authorize_query(request));
    CHECK(r.status == 400);
    CHECK_FALSE(r.has_header("Location"));
    CHECK(contains(std::string(r.header("Content-Type")), "text/html"));
    request = code_request("nobody");
    r = s.h.request("GET", "/oauth/authorize?" + authorize_query(request));
    CHECK(r.status == 400);
    CHECK_FALSE(r.has_header("Location"));
}

TEST_CASE("errors after validation redirect to the client", "[app][oidc][authorize]") {
    Signed s;
    auto request = code_request();
    request["response_type"] = "token";
    auto r = s.h.request("GET", "/oauth/authorize?" + authorize_query(request));
    REQUIRE(r.status == 302);
    CHECK(url_params(std::string(r.header("Location"))).at("error") == "unsupported_response_type");
}

TEST_CASE("a replayed code fails and revokes what the first use issued", "[app][oidc][token]") {
    Signed s;
    const auto code = s.code();
    auto r = exchange_code(s.h, code);
    REQUIRE(r.status == 200);
    const auto access = str(parse_json(r.body), "access_token");
    CHECK(userinfo(s.h, access).status == 200);
    r = exchange_code(s.h, code);
    CHECK(r.status == 400);
    CHECK(str(parse_json(r.body), "error") == "invalid_grant");
    CHECK(userinfo(s.h, access).status == 401);
}

TEST_CASE("a PKCE mismatch is invalid_grant and leaves the code usable", "[app][oidc][token]") {
    Signed s;
    const auto code = s.code();
    auto r = exchange_code(s.h, code, "wrong-verifier-wrong-verifier-wrong-verifier-000");
    CHECK(r.status == 400);
    CHECK(str(parse_json(r.body), "error") == "invalid_grant");
    CHECK(exchange_code(s.h, code).status == 200);
}

TEST_CASE("client authentication failures are 401 invalid_client", "[app][oidc][token]") {
    Signed s;
    const auto code = s.code();
    auto r = exchange_code(s.h, code, kVerifier, "wrong secret");
    CHECK(r.status == 401);
    CHECK(str(parse_json(r.body), "error") == "invalid_client");
    CHECK(contains(std::string(r.header("WWW-Authenticate")), "Basic"));
    // client_secret_post for a client registered with client_secret_basic.
    r = s.h.post("/oauth/token", "grant_type=authorization_code&code=" + url_encode(code) +
                                     "&redirect_uri=" + url_encode(kRedirect) + "&code_verifier=" +
                                     kVerifier + "&client_id=app&client_secret=" + kSecret);
    CHECK(r.status == 401);
    CHECK(str(parse_json(r.body), "error") == "invalid_client");
    // Unknown client.
    r = s.h.post("/oauth/token", "grant_type=client_credentials",
                 {{"Authorization", basic("ghost", kSecret)}});
    CHECK(r.status == 401);
    // The code was not burnt by the failures.
    CHECK(exchange_code(s.h, code).status == 200);
}

TEST_CASE("an expired secret is refused", "[app][oidc][token]") {
    Harness h;
    auto c = add_client(h);
    c.client_secret_expires_at = std::chrono::system_clock::now() - std::chrono::seconds(10);
    REQUIRE(h.store().update_client(c) == store::Status::ok);
    const auto r = h.post("/oauth/token", "grant_type=client_credentials",
                          {{"Authorization", basic("app", kSecret)}});
    CHECK(r.status == 401);
}

TEST_CASE("an expired access token is refused at userinfo", "[app][oidc][userinfo]") {
    Signed s;
    auto& clock = s.h.fake_clock();
    auto r = exchange_code(s.h, s.code());
    REQUIRE(r.status == 200);
    const auto access = str(parse_json(r.body), "access_token");
    CHECK(userinfo(s.h, access).status == 200);
    clock.advance(std::chrono::seconds(3601));
    r = userinfo(s.h, access);
    CHECK(r.status == 401);
    CHECK(contains(std::string(r.header("WWW-Authenticate")), "error=\"invalid_token\""));
}

TEST_CASE("an expired code is refused", "[app][oidc][token]") {
    Signed s;
    auto& clock = s.h.fake_clock();
    const auto code = s.code();
    clock.advance(std::chrono::seconds(301));
    const auto r = exchange_code(s.h, code);
    CHECK(r.status == 400);
    CHECK(str(parse_json(r.body), "error") == "invalid_grant");
}

TEST_CASE("userinfo refuses tampered, missing and doubled tokens", "[app][oidc][userinfo]") {
    Signed s;
    auto r = exchange_code(s.h, s.code());
    REQUIRE(r.status == 200);
    const auto access = str(parse_json(r.body), "access_token");
    // Tampered signature and payload.
    auto tampered = access;
    tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
    r = userinfo(s.h, tampered);
    CHECK(r.status == 401);
    CHECK(contains(std::string(r.header("WWW-Authenticate")), "invalid_token"));
    tampered = access;
    tampered[tampered.find('.') + 5] ^= 1;
    CHECK(userinfo(s.h, tampered).status == 401);
    // No token: a challenge without an error code (RFC 6750 §3.1).
    r = s.h.request("GET", "/oauth/userinfo");
    CHECK(r.status == 401);
    CHECK(r.header("WWW-Authenticate") == "Bearer realm=\"canaille\"");
    // Header and body at once.
    r = s.h.post("/oauth/userinfo", "access_token=" + url_encode(access),
                 {{"Authorization", "Bearer " + access}});
    CHECK(r.status == 400);
    CHECK(str(parse_json(r.body), "error") == "invalid_request");
}

TEST_CASE("userinfo needs the openid scope", "[app][oidc][userinfo]") {
    Signed s;
    auto request = code_request();
    request["scope"] = "profile";
    const auto code = url_params(authorize(s.h, request)).at("code");
    auto r = exchange_code(s.h, code);
    REQUIRE(r.status == 200);
    const auto tokens = parse_json(r.body);
    CHECK_FALSE(tokens.HasMember("id_token"));
    r = userinfo(s.h, str(tokens, "access_token"));
    CHECK(r.status == 403);
    CHECK(contains(std::string(r.header("WWW-Authenticate")), "insufficient_scope"));
}

TEST_CASE("a locked user gets no tokens", "[app][oidc][token]") {
    Signed s;
    const auto code = s.code();
    auto u = *s.h.store().get_user(s.alice.id);
    u.lock_date = std::chrono::system_clock::now() - std::chrono::seconds(1);
    REQUIRE(s.h.store().update_user(u) == store::Status::ok);
    const auto r = exchange_code(s.h, code);
    CHECK(r.status == 400);
    CHECK(str(parse_json(r.body), "error") == "invalid_grant");
}

TEST_CASE("the consent form is CSRF-checked; deny and logout", "[app][oidc][consent]") {
    Signed s;
    auto r = s.h.request("GET", "/oauth/authorize?" + authorize_query(code_request()));
    REQUIRE(r.status == 200);
    const auto action = form_action(r.body, "id=\"consent-form\"");
    const auto csrf = Harness::csrf_in(r.body);
    // A cross-site POST carries no valid token: refused, no code, no consent recorded.
    r = s.h.request("POST", action, "answer=accept");
    CHECK(r.status == 400);
    CHECK_FALSE(r.has_header("Location"));
    r = s.h.request("POST", action, "answer=accept&csrf_token=forged");
    CHECK(r.status == 400);
    CHECK_FALSE(s.h.store().get_consent_for(s.alice.id, "app"));
    // Deny.
    r = s.h.request("POST", action, "answer=deny&csrf_token=" + url_encode(csrf));
    REQUIRE(r.status == 302);
    CHECK(url_params(std::string(r.header("Location"))).at("error") == "access_denied");
    // "Not you": signed out and sent to the login page for the same request.
    r = s.h.request("POST", action, "answer=logout&csrf_token=" + url_encode(csrf));
    REQUIRE(r.status == 302);
    CHECK(s.h.jar().count("canaille") == 0);
    r = s.h.request("GET", std::string(r.header("Location")));
    CHECK(starts_with(std::string(r.header("Location")), "/login?next="));
}

TEST_CASE("a trusted client skips the consent page", "[app][oidc][consent]") {
    Harness h;
    h.add_user("alice", "correct horse");
    auto c = add_client(h, "local", "client_secret_basic", {"http://app.localhost/cb"});
    c.client_uri = "http://app.localhost/";
    REQUIRE(h.store().update_client(c) == store::Status::ok);
    REQUIRE(h.login("alice", "correct horse").status == 302);
    auto request = code_request("local");
    request["redirect_uri"] = "http://app.localhost/cb";
    const auto r = h.request("GET", "/oauth/authorize?" + authorize_query(request));
    REQUIRE(r.status == 302);
    CHECK(url_params(std::string(r.header("Location"))).count("code") == 1);
}

TEST_CASE("a user without use_oidc gets a 403 page", "[app][oidc][acl]") {
    Signed s(
        "CANAILLE:\n  ACL:\n    DEFAULT:\n      PERMISSIONS: [edit_self]\n      READ: "
        "[user_name]\n");
    const auto r = s.h.request("GET", "/oauth/authorize?" + authorize_query(code_request()));
    CHECK(r.status == 403);
    CHECK(contains(std::string(r.header("Content-Type")), "text/html"));
}

TEST_CASE("a public client must use PKCE and authenticates with none", "[app][oidc][public]") {
    Harness h;
    h.add_user("alice", "correct horse");
    add_client(h, "spa", "none");
    REQUIRE(h.login("alice", "correct horse").status == 302);
    auto request = code_request("spa");
    request.erase("code_challenge");
    request.erase("code_challenge_method");
    auto r = h.request("GET", "/oauth/authorize?" + authorize_query(request));
    REQUIRE(r.status == 302);
    CHECK(url_params(std::string(r.header("Location"))).at("error") == "invalid_request");
    const auto code = url_params(authorize(h, code_request("spa"))).at("code");
    r = h.post("/oauth/token",
               "grant_type=authorization_code&client_id=spa&code=" + url_encode(code) +
                   "&redirect_uri=" + url_encode(kRedirect) + "&code_verifier=" + kVerifier);
    CHECK(r.status == 200);
    // A public client may not introspect.
    r = h.post("/oauth/introspect", "client_id=spa&token=x");
    CHECK(r.status == 401);
}

TEST_CASE("client_credentials and password grants", "[app][oidc][grants]") {
    Signed s;
    auto r = s.h.post("/oauth/token", "grant_type=client_credentials&scope=profile",
                      {{"Authorization", basic("app", kSecret)}});
    REQUIRE(r.status == 200);
    auto tokens = parse_json(r.body);
    CHECK_FALSE(tokens.HasMember("refresh_token"));
    CHECK_FALSE(tokens.HasMember("id_token"));
    const auto client_token = str(tokens, "access_token");
    CHECK(str(jwt_payload(client_token), "sub") == "app");
    CHECK(userinfo(s.h, client_token).status == 401);  // no person behind it
    auto intro = parse_json(introspect(s.h, client_token, "app").body);
    CHECK(intro["active"].GetBool());

    r = s.h.post("/oauth/token",
                 "grant_type=password&username=alice%40example.org&password=correct+horse&scope="
                 "openid+email",
                 {{"Authorization", basic("app", kSecret)}});
    REQUIRE(r.status == 200);
    tokens = parse_json(r.body);
    CHECK(tokens.HasMember("id_token"));
    CHECK(tokens.HasMember("refresh_token"));
    r = userinfo(s.h, str(tokens, "access_token"));
    CHECK(str(parse_json(r.body), "email") == "alice@example.org");
    r = s.h.post("/oauth/token", "grant_type=password&username=alice&password=wrong",
                 {{"Authorization", basic("app", kSecret)}});
    CHECK(r.status == 400);
    CHECK(str(parse_json(r.body), "error") == "invalid_grant");
    r = s.h.post("/oauth/token", "grant_type=urn:ietf:params:oauth:grant-type:device_code",
                 {{"Authorization", basic("app", kSecret)}});
    CHECK(r.status == 400);
    CHECK(str(parse_json(r.body), "error") == "unsupported_grant_type");
}

TEST_CASE("the flow works under the /auth prefix", "[app][oidc][prefix]") {
    Signed s("", "/auth");
    auto r = s.h.request("GET", "/oauth/authorize?" + authorize_query(code_request()));
    REQUIRE(r.status == 200);
    const auto action = form_action(r.body, "id=\"consent-form\"");
    CHECK(starts_with(action, "/auth/oauth/authorize?"));
    // The harness addresses paths below the prefix, as the front door does.
    r = s.h.request("POST", action.substr(5),
                    "answer=accept&csrf_token=" + url_encode(Harness::csrf_in(r.body)));
    REQUIRE(r.status == 302);
    const auto params = url_params(std::string(r.header("Location")));
    CHECK(params.at("iss") == "http://localhost/auth");
    r = exchange_code(s.h, params.at("code"));
    REQUIRE(r.status == 200);
    const auto tokens = parse_json(r.body);
    CHECK(str(jwt_payload(str(tokens, "id_token")), "iss") == "http://localhost/auth");
    CHECK(userinfo(s.h, str(tokens, "access_token")).status == 200);
    // Anonymous requests go to the prefixed login page.
    s.h.request("POST", "/logout");
    r = s.h.request("GET", "/oauth/authorize?" + authorize_query(code_request()));
    CHECK(starts_with(std::string(r.header("Location")), "/auth/login?next=%2Fauth%2Foauth"));
}

TEST_CASE("an authorization request sent as a form POST", "[app][oidc][authorize]") {
    Signed s;
    s.code();  // consent recorded
    const auto r = s.h.request("POST", "/oauth/authorize", authorize_query(code_request()));
    REQUIRE(r.status == 302);
    CHECK(url_params(std::string(r.header("Location"))).count("code") == 1);
}

TEST_CASE("a nonce is accepted once per client", "[app][oidc][nonce]") {
    Signed s;
    auto request = code_request();
    CHECK(url_params(authorize(s.h, request)).count("code") == 1);
    const auto params = url_params(authorize(s.h, request));
    CHECK(params.count("code") == 0);
    CHECK(params.at("error") == "invalid_request");
}

TEST_CASE("a replayed code also revokes the tokens refreshed from it", "[app][oidc][token]") {
    Signed s;
    const auto code = s.code();
    auto r = exchange_code(s.h, code);
    REQUIRE(r.status == 200);
    r = s.h.post("/oauth/token",
                 "grant_type=refresh_token&refresh_token=" +
                     url_encode(str(parse_json(r.body), "refresh_token")),
                 {{"Authorization", basic("app", kSecret)}});
    REQUIRE(r.status == 200);
    const auto tokens = parse_json(r.body);
    const auto access = str(tokens, "access_token");
    CHECK(userinfo(s.h, access).status == 200);
    CHECK(exchange_code(s.h, code).status == 400);
    CHECK(userinfo(s.h, access).status == 401);
    r = s.h.post(
        "/oauth/token",
        "grant_type=refresh_token&refresh_token=" + url_encode(str(tokens, "refresh_token")),
        {{"Authorization", basic("app", kSecret)}});
    CHECK(r.status == 400);
}

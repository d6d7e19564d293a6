// SPDX-License-Identifier: MIT
// The sign-in slice through the whole request pipeline (router, session, CSRF, views, a
// real SQLite store in a temp dir), without a front door: fast and deterministic.
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace canaille;
using canaille::test::contains;
using canaille::test::Harness;

namespace {

constexpr const char* kLegacyHash =
    "$pbkdf2-sha512$1000$MDEyMzQ1Njc4OWFiY2RlZg$cpXtPF38PZN1ygBLaN6dJYTOdfIZ4oRlu0f5hAyvXmBm."
    "755p9ijfi22ry2TP.DTY.dE8BQ5u0yqKz7p9U7MqQ";

}  // namespace

TEST_CASE("anonymous visitors are sent to the login page", "[app][login]") {
    Harness h;
    auto r = h.request("GET", "/");
    CHECK(r.status == 302);
    CHECK(r.header("Location") == "/login");
    r = h.request("GET", "/login");
    CHECK(r.status == 200);
    CHECK(contains(r.body, "name=\"csrf_token\""));
    CHECK(r.header("Cache-Control") == "no-store");
    CHECK(h.jar().count("canaille") == 1);
}

TEST_CASE("sign in, rotate the session, sign out, and a copied cookie is dead", "[app][login]") {
    Harness h;
    h.add_user("alice", "correct horse", {"alice@example.org"});
    h.add_user("bob", "battery staple");

    const auto token = h.csrf();
    const auto anonymous_cookie = h.jar()["canaille"];
    auto r = h.request("POST", "/login",
                       "csrf_token=" + url_encode(token) + "&login=alice&password=correct+horse");
    REQUIRE(r.status == 302);
    CHECK(r.header("Location") == "/");
    const auto session_cookie = h.jar()["canaille"];
    CHECK(session_cookie != anonymous_cookie);  // rotated at login
    CHECK(contains(std::string(r.header("Set-Cookie")), "HttpOnly"));
    CHECK(contains(std::string(r.header("Set-Cookie")), "SameSite=Lax"));

    r = h.request("GET", "/");
    CHECK(r.header("Location") == "/profile/alice");
    r = h.request("GET", "/profile/alice");
    CHECK(r.status == 200);
    CHECK(contains(r.body, "alice@example.org"));
    // Another user's profile is not even acknowledged without manage_users.
    CHECK(h.request("GET", "/profile/bob").status == 404);

    r = h.request("GET", "/logout");
    CHECK(r.status == 302);
    CHECK(r.header("Location") == "/login");
    CHECK(h.jar().count("canaille") == 0);

    h.jar()["canaille"] = session_cookie;  // replay the stolen cookie
    CHECK(h.request("GET", "/").header("Location") == "/login");
}

TEST_CASE("unknown user and wrong password look the same", "[app][login]") {
    Harness h;
    h.add_user("alice", "correct horse");
    const auto wrong = h.login("alice", "nope");
    const auto unknown = h.login("mallory", "nope");
    CHECK(wrong.status == 200);
    CHECK(unknown.status == 200);
    CHECK(contains(wrong.body, "Login failed, please check your credentials."));
    CHECK(contains(unknown.body, "Login failed, please check your credentials."));
    CHECK(h.request("GET", "/").header("Location") == "/login");
}

TEST_CASE("a missing or forged CSRF token is refused", "[app][login][csrf]") {
    Harness h;
    h.add_user("alice", "correct horse");
    h.request("GET", "/login");
    CHECK(h.request("POST", "/login", "login=alice&password=correct+horse").status == 400);
    CHECK(h.request("POST", "/login", "csrf_token=forged&login=alice&password=correct+horse")
              .status == 400);
    // A token minted for another browser does not work with this cookie.
    const auto token = h.csrf();
    h.jar()["canaille"] = "someone-else";
    CHECK(h.request("POST", "/login",
                    "csrf_token=" + url_encode(token) + "&login=alice&password=correct+horse")
              .status == 400);
}

TEST_CASE("login by email, case-insensitively", "[app][login]") {
    Harness h;
    h.add_user("alice", "correct horse", {"Alice@Example.org"});
    const auto r = h.login("alice@example.org", "correct horse");
    CHECK(r.status == 302);
}

TEST_CASE("a passlib pbkdf2-sha512 hash is accepted and upgraded", "[app][login]") {
    Harness h;
    model::User u;
    u.user_name = "legacy";
    u.password = kLegacyHash;
    REQUIRE(h.store().create_user(u) == store::Status::ok);
    CHECK(h.login("legacy", "legacy pass").status == 302);
    const auto stored = h.store().get_user_by_name("legacy");
    REQUIRE(stored);
    CHECK(starts_with(*stored->password, "$argon2id$"));
    h.request("GET", "/logout");
    CHECK(h.login("legacy", "legacy pass").status == 302);
}

TEST_CASE("a locked account cannot sign in and loses its sessions", "[app][login]") {
    Harness h;
    auto u = h.add_user("alice", "correct horse");
    REQUIRE(h.login("alice", "correct horse").status == 302);
    u = *h.store().get_user(u.id);
    u.lock_date = std::chrono::system_clock::now() - std::chrono::seconds(1);
    REQUIRE(h.store().update_user(u) == store::Status::ok);
    CHECK(h.request("GET", "/").header("Location") == "/login");
    CHECK(contains(h.login("alice", "correct horse").body, "locked"));
    // A wrong password tells nothing about the lock.
    CHECK_FALSE(contains(h.login("alice", "wrong").body, "locked"));
}

TEST_CASE("next is followed only when it is a local path", "[app][login]") {
    Harness h;
    h.add_user("alice", "correct horse");
    CHECK(h.login("alice", "correct horse", "?next=%2Fabout").header("Location") == "/about");
    h.request("GET", "/logout");
    for (const auto* evil : {"%2F%2Fevil.example", "https%3A%2F%2Fevil.example", "%2F%5Cevil",
                             "javascript%3Aalert(1)"}) {
        CHECK(h.login("alice", "correct horse", std::string("?next=") + evil).header("Location") ==
              "/");
        h.request("GET", "/logout");
    }
}

TEST_CASE("under a prefix every redirect and cookie carries it", "[app][prefix]") {
    Harness h("", "/auth");
    h.add_user("alice", "correct horse");
    CHECK(h.request("GET", "/").header("Location") == "/auth/login");
    const auto page = h.request("GET", "/login");
    CHECK(contains(page.body, "action=\"/auth/login\""));
    CHECK(contains(page.body, "/auth/static/css/canaille.css"));
    CHECK(contains(std::string(page.header("Set-Cookie")), "Path=/auth/"));
    auto r = h.login("alice", "correct horse");
    CHECK(r.header("Location") == "/auth/");
    CHECK(h.request("GET", "/").header("Location") == "/auth/profile/alice");
    CHECK(h.request("GET", "/logout").header("Location") == "/auth/login");
}

TEST_CASE("intruder lockout delays the next attempt", "[app][login][lockout]") {
    Harness h("CANAILLE:\n  ENABLE_INTRUDER_LOCKOUT: true\n");
    h.add_user("alice", "correct horse");
    CHECK(contains(h.login("alice", "wrong").body, "Login failed"));
    const auto r = h.login("alice", "correct horse");
    CHECK(r.status == 200);
    CHECK(contains(r.body, "Too many attempts"));
}

TEST_CASE("requests for another host go to SERVER_NAME", "[app][host]") {
    Harness h("SERVER_NAME: 'auth.example.org'\n");
    auto r = h.request("GET", "/login?x=1", "", "", "evil.example");
    CHECK(r.status == 302);
    CHECK(r.header("Location") == "http://auth.example.org/login?x=1");
    r = h.request("POST", "/login", "a=b", "application/x-www-form-urlencoded", "evil.example");
    CHECK(r.status == 400);
    CHECK(h.request("GET", "/login", "", "", "auth.example.org").status == 200);
}

TEST_CASE("bad input gets a clear 4xx", "[app][input]") {
    Harness h;
    h.request("GET", "/login");
    CHECK(h.request("POST", "/login", "login=%ff%fe&password=x").status == 400);
    CHECK(h.request("POST", "/login", "login=%zz").status == 400);
    CHECK(h.request("POST", "/login", "--x\r\nbroken", "multipart/form-data; boundary=x").status ==
          400);
    CHECK(h.request("POST", "/login", std::string(11 * 1024 * 1024, 'a')).status == 413);
    const auto r = h.request("DELETE", "/login");
    CHECK(r.status == 405);
    CHECK(contains(std::string(r.header("Allow")), "POST"));
}

TEST_CASE("errors are HTML for pages and JSON for API paths", "[app][errors]") {
    Harness h;
    auto r = h.request("GET", "/nowhere");
    CHECK(r.status == 404);
    CHECK(contains(std::string(r.header("Content-Type")), "text/html"));
    r = h.request("GET", "/oauth/nowhere");
    CHECK(r.status == 404);
    CHECK(contains(std::string(r.header("Content-Type")), "application/json"));
    CHECK(contains(r.body, "\"error\""));
    r = h.request("GET", "/health");
    CHECK(r.status == 200);
    CHECK(r.body == R"({"status":"ok"})");
}

TEST_CASE("every response carries the security headers", "[app][headers]") {
    Harness h;
    const auto r = h.request("GET", "/login");
    CHECK(contains(std::string(r.header("Content-Security-Policy")), "default-src 'self'"));
    CHECK(r.header("X-Frame-Options") == "SAMEORIGIN");
    CHECK(r.header("X-Content-Type-Options") == "nosniff");
    CHECK_FALSE(r.header("X-Request-Id").empty());
}

TEST_CASE("a session whose user was deleted is anonymous", "[app][login]") {
    Harness h;
    const auto u = h.add_user("alice", "correct horse");
    REQUIRE(h.login("alice", "correct horse").status == 302);
    REQUIRE(h.store().delete_user(u.id) == store::Status::ok);
    CHECK(h.request("GET", "/").header("Location") == "/login");
}

TEST_CASE("safe_next accepts only local paths under the prefix", "[app][next]") {
    http::Request root;
    CHECK(app::safe_next(root, "/profile/alice") == "/profile/alice");
    CHECK(app::safe_next(root, "//evil").empty());
    CHECK(app::safe_next(root, "/\\evil").empty());
    CHECK(app::safe_next(root, "https://evil").empty());
    CHECK(app::safe_next(root, "").empty());
    CHECK(app::safe_next(root, "/a\nb").empty());
    http::Request prefixed;
    prefixed.script_name = "/auth";
    CHECK(app::safe_next(prefixed, "/auth/about") == "/auth/about");
    CHECK(app::safe_next(prefixed, "/authx").empty());
    CHECK(app::safe_next(prefixed, "/other").empty());
}

TEST_CASE("every template declares its auto-escaping context", "[app][views]") {
    view::Renderer views(app::views_dir());
    const auto problems = views.check_all();
    for (const auto& p : problems) UNSCOPED_INFO(p);
    CHECK(problems.empty());
}

TEST_CASE("the JWKS endpoint publishes public keys only", "[app][oidc][keys]") {
    Harness h;
    const auto r = h.request("GET", "/oauth/jwks.json");
    CHECK(r.status == 200);
    CHECK(r.header("Content-Type") == "application/jwk-set+json");
    CHECK(contains(r.body, "\"keys\""));
    CHECK(contains(r.body, "\"kid\""));
    CHECK_FALSE(contains(r.body, "\"d\""));
    CHECK_FALSE(contains(r.body, "\"p\""));
}

TEST_CASE("serving without signing keys is refused with the missing key named", "[app][keys]") {
    auto settings = config::load_string("SECRET_KEY: 'test-secret-key-0123456789abcdef'\n", {});
    REQUIRE(settings);
    const auto keys = app::load_signing_keys(*settings, app::KeyPolicy::require);
    REQUIRE_FALSE(keys.has_value());
    CHECK(contains(keys.error(), "CANAILLE_OIDC.ACTIVE_JWKS"));
    settings->oidc.enable_oidc = false;
    CHECK(app::load_signing_keys(*settings, app::KeyPolicy::require).has_value());
}

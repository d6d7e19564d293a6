// SPDX-License-Identifier: MIT
#include "http/response.hpp"

#include <catch2/catch.hpp>

#include "http/request.hpp"

using canaille::http::Cookie;
using canaille::http::Request;
using canaille::http::Response;
using canaille::http::SameSite;

TEST_CASE("response headers", "[http][response]") {
    Response r;
    r.set_header("X-Frame-Options", "DENY");
    r.add_header("Set-Cookie", "a=1");
    r.add_header("Set-Cookie", "b=2");
    r.set_header("x-frame-options", "SAMEORIGIN");
    CHECK(r.header("X-FRAME-OPTIONS") == "SAMEORIGIN");
    CHECK(r.has_header("set-cookie"));
    CHECK_FALSE(r.has_header("Location"));
    CHECK(r.header("Location").empty());
    std::size_t frames = 0;
    std::size_t cookies = 0;
    for (const auto& [name, value] : r.headers) {
        if (name == "X-Frame-Options" || name == "x-frame-options") ++frames;
        if (name == "Set-Cookie") ++cookies;
    }
    CHECK(frames == 1);
    CHECK(cookies == 2);
    r.set_header("Set-Cookie", "c=3");
    CHECK(r.headers.size() == 2);
}

TEST_CASE("response factories", "[http][response]") {
    CHECK(Response::html("<p>").header("Content-Type") == "text/html; charset=utf-8");
    CHECK(Response::text("x", 404).status == 404);
    CHECK(Response::text("x").header("content-type") == "text/plain; charset=utf-8");
    CHECK(Response::json("{}").header("Content-Type") == "application/json");
    const auto redirect = Response::redirect("/auth/login");
    CHECK(redirect.status == 302);
    CHECK(redirect.header("Location") == "/auth/login");
    CHECK(Response::redirect("/x", 303).status == 303);
}

TEST_CASE("status reasons", "[http][response]") {
    CHECK(canaille::http::status_reason(200) == "OK");
    CHECK(canaille::http::status_reason(404) == "Not Found");
    CHECK(canaille::http::status_reason(405) == "Method Not Allowed");
    CHECK(canaille::http::status_reason(413) == "Content Too Large");
    CHECK(canaille::http::status_reason(431) == "Request Header Fields Too Large");
    CHECK(canaille::http::status_reason(599) == "Server Error");
}

TEST_CASE("Set-Cookie formatting", "[http][response]") {
    Cookie c;
    c.name = "session";
    c.value = "abc";
    CHECK(canaille::http::format_set_cookie(c) == "session=abc; Path=/; HttpOnly; SameSite=Lax");
    c.secure = true;
    c.max_age = 3600;
    c.same_site = SameSite::strict;
    c.path = "/auth";
    CHECK(canaille::http::format_set_cookie(c) ==
          "session=abc; Path=/auth; Max-Age=3600; Secure; HttpOnly; SameSite=Strict");
    c.max_age = 0;
    c.value = "";
    c.http_only = false;
    c.secure = false;
    c.same_site = SameSite::none;
    CHECK(canaille::http::format_set_cookie(c) ==
          "session=; Path=/auth; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; "
          "SameSite=None");

    Response r;
    r.set_cookie(Cookie{"a", "1"});
    r.set_cookie(Cookie{"b", "2"});
    CHECK(r.headers.size() == 2);

    CHECK_THROWS_AS(canaille::http::format_set_cookie(Cookie{"a;b", "1"}), std::invalid_argument);
    CHECK_THROWS_AS(canaille::http::format_set_cookie(Cookie{"a", "1; Domain=evil"}),
                    std::invalid_argument);
    CHECK_THROWS_AS(canaille::http::format_set_cookie(Cookie{"", "1"}), std::invalid_argument);
    Cookie bad_path{"a", "1"};
    bad_path.path = "/; Domain=x";
    CHECK_THROWS_AS(canaille::http::format_set_cookie(bad_path), std::invalid_argument);
}

TEST_CASE("request helpers", "[http][request]") {
    Request r;
    r.scheme = "https";
    r.host = "auth.example.org";
    r.script_name = "/auth";
    r.headers["content-type"] = "text/plain";
    r.cookies["session"] = "s";
    CHECK(r.url_for("/login") == "/auth/login");
    CHECK(r.url_for("login") == "/auth/login");
    CHECK(r.url_for("") == "/auth/");
    CHECK(r.external_url("/oauth/token") == "https://auth.example.org/auth/oauth/token");
    CHECK(r.header("content-type") == "text/plain");
    CHECK(r.header("Content-Type") == "text/plain");
    CHECK_FALSE(r.header("accept"));
    CHECK(r.cookie("session") == "s");
    CHECK_FALSE(r.cookie("other"));
    CHECK(r.is_secure());
    r.script_name = "";
    CHECK(r.url_for("/") == "/");
}

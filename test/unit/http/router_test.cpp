// SPDX-License-Identifier: MIT
#include "http/router.hpp"

#include <catch2/catch.hpp>

using canaille::http::Request;
using canaille::http::Response;
using canaille::http::Router;

namespace {

canaille::http::Handler answer(std::string name) {
    return [name](Request&) { return Response::text(name); };
}

Request make(std::string method, std::string path) {
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    return r;
}

std::string run(const Router& router, Request& req) {
    const auto m = router.match(req);
    REQUIRE(m.outcome == Router::Outcome::found);
    return (*m.handler)(req).body;
}

}  // namespace

TEST_CASE("router: literal and captured segments", "[http][router]") {
    Router router;
    router.get("/", answer("index"));
    router.get("/groups", answer("groups"));
    router.get("/groups/", answer("groups-slash"));
    router.get("/groups/<group>", answer("group"));
    router.post("/groups/<group>", answer("group-edit"));
    router.get("/groups/add", answer("group-add"));
    router.get("/profile/<user>/settings", answer("settings"));

    auto r = make("GET", "/");
    CHECK(run(router, r) == "index");
    r = make("GET", "/groups");
    CHECK(run(router, r) == "groups");
    r = make("GET", "/groups/");
    CHECK(run(router, r) == "groups-slash");
    r = make("GET", "/groups/admins");
    CHECK(run(router, r) == "group");
    CHECK(r.route_param("group") == "admins");
    r = make("POST", "/groups/admins");
    CHECK(run(router, r) == "group-edit");
    r = make("GET", "/groups/add");
    CHECK(run(router, r) == "group-add");  // literal beats capture
    r = make("GET", "/profile/jos\xc3\xa9/settings");
    CHECK(run(router, r) == "settings");
    CHECK(r.route_param("user") == "jos\xc3\xa9");
    CHECK(r.route_param("missing").empty());
}

TEST_CASE("router: 404 and 405 with Allow", "[http][router]") {
    Router router;
    router.get("/login", answer("login-form"));
    router.post("/login", answer("login"));
    router.add("DELETE", "/items/<id>", answer("delete"));
    router.get("/groups", answer("groups"));

    const std::vector<std::string> not_found = {"/nope",      "/login/",  "/items/",  "/items",
                                                "/items/1/x", "/groups/", "//groups", ""};
    for (const auto& path : not_found) {
        CAPTURE(path);
        auto r = make("GET", path);
        CHECK(router.match(r).outcome == Router::Outcome::not_found);
    }

    auto put = make("PUT", "/login");
    auto m = router.match(put);
    CHECK(m.outcome == Router::Outcome::method_not_allowed);
    CHECK(m.allow == "GET, HEAD, POST");
    CHECK(m.handler == nullptr);

    auto get_item = make("GET", "/items/3");
    m = router.match(get_item);
    CHECK(m.outcome == Router::Outcome::method_not_allowed);
    CHECK(m.allow == "DELETE");
}

TEST_CASE("router: HEAD is served by GET routes", "[http][router]") {
    Router router;
    router.get("/page", answer("get"));
    router.post("/form", answer("post"));
    auto head = make("HEAD", "/page");
    CHECK(run(router, head) == "get");
    auto head_form = make("HEAD", "/form");
    const auto m = router.match(head_form);
    CHECK(m.outcome == Router::Outcome::method_not_allowed);
    CHECK(m.allow == "POST");

    router.add("HEAD", "/page", answer("head"));
    auto explicit_head = make("HEAD", "/page");
    CHECK(run(router, explicit_head) == "head");
}

TEST_CASE("router: invalid patterns are rejected", "[http][router]") {
    Router router;
    CHECK_THROWS_AS(router.get("no-slash", answer("x")), std::invalid_argument);
}

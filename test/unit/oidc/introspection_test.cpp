// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "fixtures.hpp"
#include "oidc/introspection.hpp"

using namespace canaille;
using namespace canaille::oidc;
using std::chrono::seconds;

namespace {

rapidjson::Document parse(const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d.IsObject());
    return d;
}

model::Token make_token() {
    model::Token t;
    t.token_id = "tok-1";
    t.access_token_hash = "ab";
    t.refresh_token_hash = "cd";
    t.client_id = "app";
    t.subject = "user-uuid";
    t.scope = {"openid", "email"};
    t.issue_date = test::t0();
    t.lifetime = 3600;
    t.audience = {"app", "api"};
    return t;
}

}  // namespace

TEST_CASE("RFC 7662 §2.2 and the audience rule (reference §1b)", "[oidc][introspection]") {
    const auto now = test::t0() + seconds(10);
    const auto tok = make_token();
    auto app = test::confidential_client();
    auto api = app;
    api.client_id = "api";
    auto stranger = app;
    stranger.client_id = "stranger";
    auto expired = tok;
    expired.lifetime = 5;
    auto revoked = tok;
    revoked.revokation_date = test::t0();
    auto no_aud = tok;
    no_aud.audience.clear();
    auto rotated = tok;
    rotated.refresh_token_consumed_at = test::t0();

    const IntrospectionContext ctx{"https://auth.example", "alice", false};
    const IntrospectionContext refresh_ctx{"https://auth.example", "alice", true};

    struct Case {
        const model::Token* token;
        const model::Client* caller;
        const IntrospectionContext* ctx;
        bool active;
        const char* why;
    };
    const Case cases[] = {
        {&tok, &app, &ctx, true, "the token's client"},
        {&tok, &api, &ctx, true, "a client in the audience"},
        {&tok, &stranger, &ctx, false, "a foreign client learns nothing"},
        {&no_aud, &app, &ctx, true, "no audience: its client"},
        {&no_aud, &api, &ctx, false, "no audience: nobody else"},
        {&expired, &app, &ctx, false, "§2.2 expired"},
        {&revoked, &app, &ctx, false, "§2.2 revoked"},
        {nullptr, &app, &ctx, false, "§2.2 unknown"},
        {&rotated, &app, &ctx, true, "access token still live after rotation? revoke does that"},
        {&rotated, &app, &refresh_ctx, false, "rotated refresh token"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        auto d = parse(introspection_json(c.token, *c.caller, now, *c.ctx));
        CHECK(d["active"].GetBool() == c.active);
        if (!c.active) CHECK(d.MemberCount() == 1);
    }

    auto d = parse(introspection_json(&tok, api, now, ctx));
    CHECK(std::string(d["scope"].GetString()) == "openid email");
    CHECK(std::string(d["client_id"].GetString()) == "app");
    CHECK(std::string(d["username"].GetString()) == "alice");
    CHECK(std::string(d["sub"].GetString()) == "alice");
    CHECK(std::string(d["token_type"].GetString()) == "Bearer");
    CHECK(d["exp"].GetInt64() == to_unix(test::t0()) + 3600);
    CHECK(d["iat"].GetInt64() == to_unix(test::t0()));
    CHECK(d["aud"].Size() == 2);
    CHECK(std::string(d["iss"].GetString()) == "https://auth.example");
    CHECK(std::string(d["jti"].GetString()) == "tok-1");

    auto client_token = tok;
    client_token.subject.reset();
    auto c = parse(introspection_json(&client_token, app, now, {"https://a", std::nullopt, false}));
    CHECK(std::string(c["sub"].GetString()) == "app");
    CHECK_FALSE(c.HasMember("username"));
}

TEST_CASE("RFC 7009 §2.1: only the token's client may revoke", "[oidc][introspection]") {
    const auto tok = make_token();
    auto app = test::confidential_client();
    auto api = app;
    api.client_id = "api";
    CHECK(may_revoke(tok, app));
    CHECK_FALSE(may_revoke(tok, api));
    CHECK(may_introspect(tok, api));
}

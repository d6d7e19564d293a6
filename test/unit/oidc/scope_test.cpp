// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "oidc/scope.hpp"

using namespace canaille::oidc;

TEST_CASE("RFC 6749 §3.3: scope parsing", "[oidc][scope]") {
    struct Case {
        std::string text;
        bool ok;
        Scopes want;
        const char* why;
    };
    const Case cases[] = {
        {"openid profile", true, {"openid", "profile"}, "space separated"},
        {"", true, {}, "empty"},
        {"  openid   email ", true, {"openid", "email"}, "runs of spaces tolerated"},
        {"email openid email", true, {"email", "openid"}, "duplicates dropped, order kept"},
        {"a!#[]~", true, {"a!#[]~"}, "%x21 / %x23-5B / %x5D-7E"},
        {"open\"id", false, {}, "%x22 (quote) is not a scope char"},
        {"open\\id", false, {}, "%x5C (backslash) is not a scope char"},
        {"openid\tprofile", false, {}, "tab is not a delimiter"},
        {"caf\xc3\xa9", false, {}, "non-ASCII refused"},
        {std::string(kMaxScopeBytes + 1, 'a'), false, {}, "length bounded"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        auto r = parse_scope(c.text);
        REQUIRE(r.has_value() == c.ok);
        if (c.ok) {
            CHECK(*r == c.want);
        } else {
            CHECK(r.error().code == Errc::invalid_scope);
        }
    }
}

TEST_CASE("granted scopes (reference §2 Scopes, RFC 6749 §3.3)", "[oidc][scope]") {
    struct Case {
        Scopes requested;
        Scopes client;
        Scopes want;
        const char* why;
    };
    const Case cases[] = {
        {{"openid", "email"}, {"openid", "profile", "email"}, {"openid", "email"}, "intersection"},
        {{"email", "openid"}, {"openid", "email"}, {"email", "openid"}, "request order kept"},
        {{}, {"openid", "profile"}, {"openid", "profile"}, "no request: client's scopes"},
        {{"openid", "admin"}, {}, {"openid", "admin"}, "client without scopes: all allowed"},
        {{"openid", "admin"}, {"openid"}, {"openid"}, "extra dropped silently"},
        {{"admin"}, {"openid"}, {}, "nothing left"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        CHECK(granted_scopes(c.requested, c.client) == c.want);
    }
}

TEST_CASE("scope helpers", "[oidc][scope]") {
    CHECK(join_scope({"openid", "email"}) == "openid email");
    CHECK(join_scope({}).empty());
    CHECK(scopes_cover({"openid", "email", "profile"}, {"email", "openid"}));
    CHECK_FALSE(scopes_cover({"openid"}, {"openid", "email"}));
    CHECK(scopes_cover({"openid"}, {}));
    CHECK(merge_scopes({"openid", "email"}, {"profile", "openid"}) ==
          Scopes{"openid", "email", "profile"});
}

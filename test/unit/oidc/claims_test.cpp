// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "fixtures.hpp"
#include "oidc/claims.hpp"

using namespace canaille;
using namespace canaille::oidc;

namespace {

model::User full_user() {
    model::User u;
    u.user_name = "alice";
    u.formatted_name = "Alice Liddell";
    u.family_name = "Liddell";
    u.given_name = "Alice";
    u.display_name = "Al";
    u.emails = {"alice@example.org", "al@example.org"};
    u.phone_numbers = {"+33123456789", "+33999"};
    u.formatted_address = "1 rue X\n75000 Paris";
    u.street = "1 rue X";
    u.postal_code = "75000";
    u.locality = "Paris";
    u.region = "IdF";
    u.profile_url = "https://alice.example";
    u.preferred_language = "fr";
    u.last_modified = test::t0();
    return u;
}

rapidjson::Document parse(const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d.IsObject());
    return d;
}

}  // namespace

TEST_CASE("OIDC Core §5.4: claims per scope", "[oidc][claims]") {
    const auto u = full_user();
    const ClaimSource src{u, {"admins", "staff"}, "https://auth.example/photo/alice"};
    struct Case {
        Scopes scopes;
        std::vector<const char*> present;
        std::vector<const char*> absent;
        const char* why;
    };
    const Case cases[] = {
        {{"openid"},
         {"sub"},
         {"name", "email", "address", "phone_number", "groups"},
         "openid alone: sub only"},
        {{"openid", "profile"},
         {"sub", "name", "family_name", "given_name", "preferred_username", "picture", "website",
          "locale", "updated_at"},
         {"email", "address", "phone_number", "groups"},
         "§5.4 profile"},
        {{"openid", "email"}, {"sub", "email"}, {"name", "email_verified"}, "§5.4 email"},
        {{"openid", "address"}, {"sub", "address"}, {"email"}, "§5.4 address"},
        {{"openid", "phone"}, {"sub", "phone_number"}, {"phone_number_verified"}, "§5.4 phone"},
        {{"openid", "groups"}, {"sub", "groups"}, {"name"}, "Canaille groups scope"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        auto d = parse(userinfo_json(src, c.scopes));
        for (auto* k : c.present) {
            INFO(k);
            CHECK(d.HasMember(k));
        }
        for (auto* k : c.absent) {
            INFO(k);
            CHECK_FALSE(d.HasMember(k));
        }
    }
}

TEST_CASE("claim values (reference §2 Claim values)", "[oidc][claims]") {
    const auto u = full_user();
    const ClaimSource src{u, {"admins", "staff"}, "https://auth.example/photo/alice"};
    auto d =
        parse(userinfo_json(src, {"openid", "profile", "email", "address", "phone", "groups"}));
    CHECK(std::string(d["sub"].GetString()) == "alice");
    CHECK(std::string(d["name"].GetString()) == "Alice Liddell");
    CHECK(std::string(d["preferred_username"].GetString()) == "Al");
    CHECK(std::string(d["email"].GetString()) == "alice@example.org");
    CHECK(std::string(d["phone_number"].GetString()) == "+33123456789");
    CHECK(std::string(d["website"].GetString()) == "https://alice.example");
    CHECK(std::string(d["picture"].GetString()) == "https://auth.example/photo/alice");
    CHECK(std::string(d["locale"].GetString()) == "fr");
    REQUIRE(d["updated_at"].IsInt64());
    CHECK(d["updated_at"].GetInt64() == to_unix(test::t0()));
    const auto& a = d["address"];
    REQUIRE(a.IsObject());
    CHECK(std::string(a["formatted"].GetString()) == "1 rue X\n75000 Paris");
    CHECK(std::string(a["street_address"].GetString()) == "1 rue X");
    CHECK(std::string(a["locality"].GetString()) == "Paris");
    CHECK(std::string(a["region"].GetString()) == "IdF");
    CHECK(std::string(a["postal_code"].GetString()) == "75000");
    REQUIRE(d["groups"].IsArray());
    CHECK(d["groups"].Size() == 2);
    CHECK(std::string(d["groups"][1].GetString()) == "staff");
}

TEST_CASE("empty claims are omitted (reference §2)", "[oidc][claims]") {
    model::User u;
    u.user_name = "bob";
    u.given_name = "";
    u.locality = "Lyon";
    const ClaimSource src{u, {}, ""};
    auto d =
        parse(userinfo_json(src, {"openid", "profile", "email", "address", "phone", "groups"}));
    CHECK(d.MemberCount() == 2);
    CHECK(std::string(d["sub"].GetString()) == "bob");
    REQUIRE(d["address"].IsObject());
    CHECK(d["address"].MemberCount() == 1);

    model::User empty;
    empty.user_name = "carol";
    auto e = parse(userinfo_json(ClaimSource{empty, {}, ""}, {"openid", "profile", "address"}));
    CHECK(e.MemberCount() == 1);
    CHECK(scope_claims_members(ClaimSource{empty, {}, ""}, {"openid", "profile"}).empty());
}

TEST_CASE("claim members for the ID token, JSON-escaped", "[oidc][claims]") {
    model::User u;
    u.user_name = "dave";
    u.formatted_name = "D \"the\" \\ave";
    u.emails = {"d@example.org"};
    auto members = scope_claims_members(ClaimSource{u, {}, ""}, {"profile", "email"});
    auto d = parse("{" + members + "}");
    CHECK(std::string(d["name"].GetString()) == "D \"the\" \\ave");
    CHECK_FALSE(d.HasMember("sub"));
    CHECK(claims_for_scope("email") == std::vector<std::string>{"email"});
    CHECK(claims_for_scope("unknown").empty());
}

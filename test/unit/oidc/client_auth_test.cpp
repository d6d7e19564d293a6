// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "oidc/client_auth.hpp"
#include "util/base64.hpp"

using namespace canaille;
using namespace canaille::oidc;

namespace {
std::string basic(std::string_view raw) { return "Basic " + base64_encode(raw); }
}  // namespace

TEST_CASE("RFC 6749 §2.3.1: extracting client credentials", "[oidc][client_auth]") {
    struct Case {
        std::optional<std::string> header;
        Params form;
        bool ok;
        std::string method;
        std::string id;
        std::string secret;
        Errc code;
        const char* why;
    };
    const Case cases[] = {
        {basic("app:s3cret"), {}, true, "client_secret_basic", "app", "s3cret", {}, "Basic"},
        {basic("my%3Aclient:p%40ss+word%25"),
         {},
         true,
         "client_secret_basic",
         "my:client",
         "p@ss word%",
         {},
         "§2.3.1 form-urlencoded id and secret"},
        {"basic " + base64_encode("app:x"),
         {},
         true,
         "client_secret_basic",
         "app",
         "x",
         {},
         "scheme is case-insensitive (RFC 7235 §2.1)"},
        {basic("app:"), {}, true, "client_secret_basic", "app", "", {}, "empty secret parsed"},
        {basic("app:s"),
         {{"client_id", "app"}},
         true,
         "client_secret_basic",
         "app",
         "s",
         {},
         "same client_id in the body tolerated"},
        {std::nullopt,
         {{"client_id", "app"}, {"client_secret", "s"}},
         true,
         "client_secret_post",
         "app",
         "s",
         {},
         "§2.3.1 body credentials"},
        {std::nullopt, {{"client_id", "spa"}}, true, "none", "spa", "", {}, "public client"},
        {std::nullopt,
         {{"client_id", "spa"}, {"client_secret", ""}},
         true,
         "none",
         "spa",
         "",
         {},
         "empty client_secret counts as none"},
        {"Bearer abc",
         {{"client_id", "spa"}},
         true,
         "none",
         "spa",
         "",
         {},
         "a non-Basic scheme is not client authentication"},
        {basic("app:s"),
         {{"client_secret", "s"}},
         false,
         "",
         "",
         "",
         Errc::invalid_request,
         "§2.3 Basic and post together"},
        {basic("app:s"),
         {{"client_id", "other"}},
         false,
         "",
         "",
         "",
         Errc::invalid_request,
         "body client_id differs from Basic"},
        {std::nullopt,
         {{"client_id", "a"}, {"client_id", "a"}},
         false,
         "",
         "",
         "",
         Errc::invalid_request,
         "§3.2 client_id repeated"},
        {std::nullopt,
         {{"client_id", "a"}, {"client_secret", "x"}, {"client_secret", "y"}},
         false,
         "",
         "",
         "",
         Errc::invalid_request,
         "§3.2 client_secret repeated"},
        {std::nullopt,
         {{"client_id", "a"},
          {"client_secret", "x"},
          {"client_assertion", "e.y.j"},
          {"client_assertion_type", std::string(kJwtBearerAssertionType)}},
         false,
         "",
         "",
         "",
         Errc::invalid_request,
         "secret and assertion together"},
        {basic("app:s"),
         {{"client_assertion", "e.y.j"},
          {"client_assertion_type", std::string(kJwtBearerAssertionType)}},
         false,
         "",
         "",
         "",
         Errc::invalid_request,
         "Basic and assertion together"},
        {std::nullopt,
         {{"client_assertion", "e.y.j"}, {"client_assertion_type", "x"}},
         false,
         "",
         "",
         "",
         Errc::invalid_request,
         "RFC 7521 §4.2 wrong assertion type"},
        {"Basic !!!", {}, false, "", "", "", Errc::invalid_client, "bad base64"},
        {basic("no-colon"), {}, false, "", "", "", Errc::invalid_client, "no colon"},
        {basic(":s"), {}, false, "", "", "", Errc::invalid_client, "empty id"},
        {basic("a%zz:s"), {}, false, "", "", "", Errc::invalid_client, "bad percent escape"},
        {"Basic " + std::string(5000, 'A'),
         {},
         false,
         "",
         "",
         "",
         Errc::invalid_client,
         "header too long"},
        {std::nullopt, {}, false, "", "", "", Errc::invalid_client, "nothing at all"},
        {std::nullopt,
         {{"client_secret", "s"}},
         false,
         "",
         "",
         "",
         Errc::invalid_client,
         "secret without id"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        auto r = extract_client_credentials(
            c.header ? std::optional<std::string_view>(*c.header) : std::nullopt, c.form);
        REQUIRE(r.has_value() == c.ok);
        if (c.ok) {
            CHECK(r->method == c.method);
            CHECK(r->client_id == c.id);
            CHECK(r->secret == c.secret);
        } else {
            CHECK(r.error().code == c.code);
        }
    }
    auto a = extract_client_credentials(
        std::nullopt, {{"client_id", "a"},
                       {"client_assertion", "e.y.j"},
                       {"client_assertion_type", std::string(kJwtBearerAssertionType)}});
    REQUIRE(a);
    CHECK(a->method == kJwtAssertion);
    CHECK(a->client_assertion == "e.y.j");
}

TEST_CASE("RFC 6749 §2.3 / RFC 7591 §2: authenticating the client", "[oidc][client_auth]") {
    const auto now = test::t0();
    const auto basic_client = test::confidential_client();
    auto post_client = basic_client;
    post_client.token_endpoint_auth_method = "client_secret_post";
    auto expired = basic_client;
    expired.client_secret_expires_at = now - std::chrono::seconds(1);
    auto expires_now = basic_client;
    expires_now.client_secret_expires_at = now;
    auto future = basic_client;
    future.client_secret_expires_at = now + std::chrono::seconds(60);
    auto never = basic_client;
    never.client_secret_expires_at = from_unix(0);
    auto no_secret = basic_client;
    no_secret.client_secret.reset();
    const auto pub = test::public_client();

    const ClientCredentials good{"client_secret_basic", "app", "s3cret-s3cret", {}, {}};
    const ClientCredentials wrong{"client_secret_basic", "app", "s3cret-s3creX", {}, {}};
    const ClientCredentials prefix{"client_secret_basic", "app", "s3cret", {}, {}};
    const ClientCredentials post{"client_secret_post", "app", "s3cret-s3cret", {}, {}};
    const ClientCredentials none_app{"none", "app", "", {}, {}};
    const ClientCredentials none_spa{"none", "spa", "", {}, {}};
    const ClientCredentials basic_spa{"client_secret_basic", "spa", "x", {}, {}};
    const ClientCredentials other_id{"client_secret_basic", "other", "s3cret-s3cret", {}, {}};
    const ClientCredentials jwt{std::string(kJwtAssertion), "app", "", "e.y.j",
                                std::string(kJwtBearerAssertionType)};
    const ClientCredentials empty_secret{"client_secret_basic", "app", "", {}, {}};

    struct Case {
        const ClientCredentials* creds;
        const model::Client* client;
        bool ok;
        const char* why;
    };
    const Case cases[] = {
        {&good, &basic_client, true, "registered method, right secret"},
        {&wrong, &basic_client, false, "wrong secret"},
        {&prefix, &basic_client, false, "prefix of the secret"},
        {&empty_secret, &basic_client, false, "empty secret"},
        {&post, &basic_client, false, "post while basic is registered"},
        {&good, &post_client, false, "basic while post is registered"},
        {&post, &post_client, true, "post registered"},
        {&none_app, &basic_client, false, "none for a confidential client"},
        {&none_spa, &pub, true, "none for a public client"},
        {&basic_spa, &pub, false, "secret for a public client"},
        {&good, &expired, false, "RFC 7591 §3.2.1 expired secret"},
        {&good, &expires_now, false, "expiry instant is already expired"},
        {&good, &future, true, "secret not yet expired"},
        {&good, &never, true, "RFC 7591 §3.2.1 expires_at 0 = never"},
        {&good, &no_secret, false, "client has no secret"},
        {&other_id, &basic_client, false, "credentials for another client"},
        {&jwt, &basic_client, false, "assertions not supported yet"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        auto r = authenticate_client(*c.creds, *c.client, now);
        CHECK(r.has_value() == c.ok);
        if (!r) {
            CHECK(r.error().code == Errc::invalid_client);
            CHECK(r.error().http_status() == 401);
            CHECK(r.error().description.find("s3cret") == std::string::npos);
        }
    }
    auto r = authenticate_client(good, expired, now);
    REQUIRE_FALSE(r);
    CHECK(r.error().description == "client secret expired");
    CHECK(is_public_client(pub));
    CHECK_FALSE(is_public_client(basic_client));
}

// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "oidc/trusted.hpp"

using namespace canaille;
using namespace canaille::oidc;

TEST_CASE("RFC 3986 §3.2.2: host of a URI", "[oidc][trusted]") {
    struct Case {
        const char* uri;
        std::optional<std::string> host;
        const char* why;
    };
    const Case cases[] = {
        {"https://app.example/cb", "app.example", "plain"},
        {"https://APP.Example:8443/cb", "app.example", "uppercase and port"},
        {"https://user:pw@app.example/cb", "app.example", "userinfo"},
        {"https://evil.example@app.example/", "app.example", "userinfo looks like a host"},
        {"https://app.example?x=@evil.example", "app.example", "@ in the query"},
        {"https://app.example#@evil.example", "app.example", "@ in the fragment"},
        {"http://[::1]:8000/cb", "::1", "IPv6 literal"},
        {"http://[::1/cb", std::nullopt, "unterminated IPv6 literal"},
        {"http://127.0.0.1:5000/", "127.0.0.1", "IPv4"},
        {"https://app.example./cb", "app.example", "trailing dot"},
        {"https://app.example:x/", std::nullopt, "bad port"},
        {"https:///cb", std::nullopt, "empty host"},
        {"app.example/cb", std::nullopt, "no scheme"},
        {"mailto:a@b", std::nullopt, "no authority"},
        {"https://a b/", std::nullopt, "space in host"},
        {"https://evil.example\\@app.example/", std::nullopt,
         "backslash: browsers see host evil.example"},
        {"https://u ser@app.example/", std::nullopt, "space in userinfo"},
        {"", std::nullopt, "empty"},
    };
    for (const auto& c : cases) {
        INFO(c.why << ": " << c.uri);
        CHECK(uri_host(c.uri) == c.host);
    }
    CHECK(uri_origin("HTTPS://App.Example:443/cb?x") == "https://app.example");
    CHECK(uri_origin("http://app.example:8080/") == "http://app.example:8080");
    CHECK(uri_origin("http://[::1]:80/") == "http://[::1]");
}

TEST_CASE("TRUSTED_DOMAINS patterns (reference §2 Trusted)", "[oidc][trusted]") {
    struct Case {
        const char* host;
        const char* pattern;
        bool ok;
        const char* why;
    };
    const Case cases[] = {
        {"localhost", ".localhost", true, ".x matches x"},
        {"app.localhost", ".localhost", true, ".x matches subdomains"},
        {"a.b.localhost", ".localhost", true, "deep subdomain"},
        {"evillocalhost", ".localhost", false, "not a label boundary"},
        {"127.0.0.1", "127.0.0.1", true, "exact IP"},
        {"127.0.0.10", "127.0.0.1", false, "exact means exact"},
        {"app.example", "example", false, "no implicit suffix"},
        {"APP.Example", "app.EXAMPLE", true, "case-insensitive"},
        {"::1", "[::1]", true, "bracketed IPv6 pattern"},
        {"app.example", ".", false, "bare dot matches nothing"},
        {"app.example", "", false, "empty pattern"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        CHECK(host_matches(c.host, c.pattern) == c.ok);
    }
}

TEST_CASE("is_trusted: client_uri and every redirect_uri (reference §2 Trusted)",
          "[oidc][trusted]") {
    const std::vector<std::string> domains = {".localhost", "127.0.0.1"};
    auto client = test::confidential_client();
    client.client_uri = "http://app.localhost";
    client.redirect_uris = {"http://app.localhost:5000/cb", "http://127.0.0.1:5000/cb"};
    CHECK(is_trusted(client, domains));

    auto one_foreign = client;
    one_foreign.redirect_uris.push_back("https://evil.example/cb");
    CHECK_FALSE(is_trusted(one_foreign, domains));

    auto foreign_uri = client;
    foreign_uri.client_uri = "https://evil.example";
    CHECK_FALSE(is_trusted(foreign_uri, domains));

    auto userinfo_trick = client;
    userinfo_trick.redirect_uris = {"http://app.localhost@evil.example/cb"};
    CHECK_FALSE(is_trusted(userinfo_trick, domains));

    auto no_client_uri = client;
    no_client_uri.client_uri.reset();
    CHECK(is_trusted(no_client_uri, domains));

    auto backslash = client;
    backslash.redirect_uris = {"https://evil.example\\@app.localhost/cb"};
    CHECK_FALSE(is_trusted(backslash, domains));

    auto nothing = client;
    nothing.client_uri.reset();
    nothing.redirect_uris.clear();
    CHECK_FALSE(is_trusted(nothing, domains));

    auto unparsable = client;
    unparsable.redirect_uris = {"not a uri"};
    CHECK_FALSE(is_trusted(unparsable, domains));

    CHECK_FALSE(is_trusted(client, {}));
}

// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "oidc/redirect.hpp"

using namespace canaille::oidc;

TEST_CASE("RFC 6749 §3.1.2.3: exact redirect_uri matching", "[oidc][redirect]") {
    auto client = test::confidential_client();
    client.redirect_uris = {"https://app.example/cb", "https://app.example/cb?x=1",
                            "http://127.0.0.1:8080/callback"};
    struct Case {
        const char* uri;
        bool ok;
        const char* why;
    };
    const Case cases[] = {
        {"https://app.example/cb", true, "identical"},
        {"https://app.example/cb?x=1", true, "identical, with its registered query"},
        {"http://127.0.0.1:8080/callback", true, "loopback with port"},
        {"https://app.example/cb/", false, "trailing slash"},
        {"https://APP.example/cb", false, "host case differs"},
        {"https://app.example/CB", false, "path case differs"},
        {"https://app.example/cb?x=2", false, "different query"},
        {"https://app.example/cb?evil=1", false, "extra query"},
        {"https://app.example/cb#frag", false, "fragment"},
        {"https://app.example/cb/../cb", false, "no normalisation"},
        {"https://app.example/c", false, "prefix"},
        {"https://app.example/cbx", false, "registered is a prefix"},
        {"http://app.example/cb", false, "scheme differs"},
        {"https://app.example:443/cb", false, "explicit default port"},
        {"http://127.0.0.1:9090/callback", false, "other port"},
        {"", false, "empty"},
    };
    for (const auto& c : cases) {
        INFO(c.why << ": " << c.uri);
        CHECK(redirect_uri_registered(client, c.uri) == c.ok);
    }
}

TEST_CASE("RFC 6749 §3.1.2: building the redirection URI", "[oidc][redirect]") {
    const Params p = {{"code", "a b&c"}, {"state", "x=y"}};
    struct Case {
        const char* uri;
        ResponseMode mode;
        const char* want;
        const char* why;
    };
    const Case cases[] = {
        {"https://a/cb", ResponseMode::query, "https://a/cb?code=a%20b%26c&state=x%3Dy",
         "no query yet"},
        {"https://a/cb?k=v", ResponseMode::query, "https://a/cb?k=v&code=a%20b%26c&state=x%3Dy",
         "§3.1.2: MUST retain the query component"},
        {"https://a/cb?", ResponseMode::query, "https://a/cb?code=a%20b%26c&state=x%3Dy",
         "empty query"},
        {"https://a/cb?k=v&", ResponseMode::query, "https://a/cb?k=v&code=a%20b%26c&state=x%3Dy",
         "query ending with &"},
        {"https://a/cb", ResponseMode::fragment, "https://a/cb#code=a%20b%26c&state=x%3Dy",
         "fragment mode"},
        {"https://a/cb?k=v", ResponseMode::fragment, "https://a/cb?k=v#code=a%20b%26c&state=x%3Dy",
         "fragment keeps the query"},
        {"https://a/cb#old", ResponseMode::query, "https://a/cb?code=a%20b%26c&state=x%3Dy",
         "§3.1.2: a fragment is dropped"},
        {"com.example.app:/cb", ResponseMode::query,
         "com.example.app:/cb?code=a%20b%26c&state=x%3Dy", "private-use scheme (RFC 8252 §7.1)"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        CHECK(build_redirect(c.uri, p, c.mode) == c.want);
    }
    CHECK(build_redirect("https://a/cb?k=v", {}, ResponseMode::query) == "https://a/cb?k=v");
}

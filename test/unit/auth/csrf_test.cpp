// SPDX-License-Identifier: MIT
#include "auth/csrf.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

using canaille::auth::csrf_token;
using canaille::auth::csrf_valid;

TEST_CASE("csrf token known answer", "[auth][csrf]") {
    // base64url(HMAC-SHA256("secret-key", "csrf\0session-123")), computed with Python's hmac.
    CHECK(csrf_token("secret-key", "session-123") == "1UbUnoGSQtUpwrxIiCd_fiE8xL-Ge8072twF1tvbAfs");
}

TEST_CASE("csrf token validates for its key and binding only", "[auth][csrf]") {
    const std::string t = csrf_token("key-1", "session-a");
    CHECK(t.size() == 43);
    CHECK(t == csrf_token("key-1", "session-a"));
    CHECK(csrf_valid("key-1", "session-a", t));
    CHECK_FALSE(csrf_valid("key-1", "session-b", t));
    CHECK_FALSE(csrf_valid("key-2", "session-a", t));
    CHECK_FALSE(csrf_valid("key-1", "", t));
    // An anonymous form (empty binding) still gets a token of its own.
    CHECK(csrf_valid("key-1", "", csrf_token("key-1", "")));
}

TEST_CASE("tampered csrf tokens are rejected", "[auth][csrf]") {
    const std::string t = csrf_token("key-1", "session-a");
    CHECK_FALSE(csrf_valid("key-1", "session-a", ""));
    CHECK_FALSE(csrf_valid("key-1", "session-a", t.substr(0, 42)));
    CHECK_FALSE(csrf_valid("key-1", "session-a", t + "A"));
    CHECK_FALSE(csrf_valid("key-1", "session-a", t + "="));
    CHECK_FALSE(csrf_valid("key-1", "session-a", std::string(43, 'A')));
    CHECK_FALSE(csrf_valid("key-1", "session-a", std::string(43, '\0')));
    for (std::size_t i = 0; i < t.size(); ++i) {
        std::string flipped = t;
        flipped[i] = flipped[i] == 'x' ? 'y' : 'x';
        CHECK_FALSE(csrf_valid("key-1", "session-a", flipped));
    }
}

TEST_CASE("the binding is not confused with its prefix", "[auth][csrf]") {
    CHECK(csrf_token("k", "ab") != csrf_token("k", "a"));
    CHECK(csrf_token("k", std::string("a\0b", 3)) != csrf_token("k", "a"));
}

TEST_CASE("an empty csrf key is a configuration error", "[auth][csrf]") {
    CHECK_THROWS_AS(csrf_token("", "s"), std::invalid_argument);
    CHECK_THROWS_AS(csrf_valid("", "s", "x"), std::invalid_argument);
}

// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <string>

#include "oidc/pkce.hpp"

using namespace canaille::oidc;

namespace {
const std::string kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const std::string kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
}  // namespace

TEST_CASE("RFC 7636 Appendix B: S256 example", "[oidc][pkce]") {
    CHECK(s256_challenge(kVerifier) == kChallenge);
    CHECK(verify_pkce(kChallenge, "S256", kVerifier));
}

TEST_CASE("RFC 7636 §4.1: verifier syntax", "[oidc][pkce]") {
    struct Case {
        std::string verifier;
        bool valid;
        const char* why;
    };
    const Case cases[] = {
        {std::string(43, 'a'), true, "43 chars is the minimum"},
        {std::string(42, 'a'), false, "42 chars is too short"},
        {std::string(128, 'a'), true, "128 chars is the maximum"},
        {std::string(129, 'a'), false, "129 chars is too long"},
        {std::string(40, 'a') + "-._~", true, "unreserved punctuation"},
        {std::string(42, 'a') + "+", false, "'+' is not unreserved"},
        {std::string(42, 'a') + "/", false, "'/' is not unreserved"},
        {std::string(42, 'a') + "=", false, "no base64 padding"},
        {std::string(42, 'a') + " ", false, "no space"},
        {std::string(42, 'a') + "\xc3\xa9", false, "no non-ASCII"},
        {"", false, "empty"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        CHECK(valid_code_verifier(c.verifier) == c.valid);
        CHECK(valid_code_challenge(c.verifier) == c.valid);
    }
}

TEST_CASE("RFC 7636 §4.2/§4.3/§4.6: verification per method", "[oidc][pkce]") {
    struct Case {
        std::string challenge;
        std::string method;
        std::string verifier;
        bool ok;
        const char* why;
    };
    const Case cases[] = {
        {kChallenge, "S256", kVerifier, true, "§4.6 S256 match"},
        {kChallenge, "S256", kVerifier.substr(0, 42) + "X", false, "§4.6 S256 mismatch"},
        {kVerifier, "plain", kVerifier, true, "§4.2 plain: challenge = verifier"},
        {kVerifier, "", kVerifier, true, "§4.3 absent method means plain"},
        {kChallenge, "plain", kVerifier, false, "plain does not hash"},
        {kChallenge, "s256", kVerifier, false, "method names are case-sensitive"},
        {kChallenge, "S512", kVerifier, false, "unknown method"},
        {kVerifier.substr(0, 40), "plain", kVerifier.substr(0, 40), false,
         "§4.1 a too-short verifier never verifies, even when equal"},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        CHECK(verify_pkce(c.challenge, c.method, c.verifier) == c.ok);
    }
    CHECK(valid_challenge_method("plain"));
    CHECK(valid_challenge_method("S256"));
    CHECK_FALSE(valid_challenge_method("none"));
}

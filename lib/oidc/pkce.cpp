// SPDX-License-Identifier: MIT
#include "oidc/pkce.hpp"

#include "util/base64.hpp"
#include "util/hash.hpp"
#include "util/secret.hpp"

namespace canaille::oidc {

namespace {

bool unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

bool pkce_syntax(std::string_view s) {
    if (s.size() < 43 || s.size() > 128) return false;
    for (char c : s) {
        if (!unreserved(c)) return false;
    }
    return true;
}

}  // namespace

bool valid_code_verifier(std::string_view verifier) { return pkce_syntax(verifier); }

bool valid_code_challenge(std::string_view challenge) { return pkce_syntax(challenge); }

bool valid_challenge_method(std::string_view method) {
    return method == "plain" || method == "S256";
}

std::string s256_challenge(std::string_view verifier) { return base64url_encode(sha256(verifier)); }

bool verify_pkce(std::string_view challenge, std::string_view method, std::string_view verifier) {
    if (!valid_code_verifier(verifier) || !valid_code_challenge(challenge)) return false;
    if (method.empty() || method == "plain") return constant_time_equal(challenge, verifier);
    if (method == "S256") return constant_time_equal(challenge, s256_challenge(verifier));
    return false;
}

}  // namespace canaille::oidc

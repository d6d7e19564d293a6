// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace canaille::oidc {

/// RFC 7636 §4.1: 43 to 128 characters of [A-Za-z0-9-._~].
bool valid_code_verifier(std::string_view verifier);

/// RFC 7636 §4.2: the challenge has the same syntax as a verifier (an S256 challenge is
/// always 43 characters).
bool valid_code_challenge(std::string_view challenge);

/// RFC 7636 §4.3: "plain" or "S256" (case-sensitive).
bool valid_challenge_method(std::string_view method);

/// RFC 7636 §4.2: BASE64URL(SHA256(ASCII(verifier))).
std::string s256_challenge(std::string_view verifier);

/// RFC 7636 §4.6: true when `verifier` is well formed and transforms into `challenge` under
/// `method` (an empty method means "plain", §4.3). Compared in constant time.
bool verify_pkce(std::string_view challenge, std::string_view method, std::string_view verifier);

}  // namespace canaille::oidc

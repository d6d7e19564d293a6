// SPDX-License-Identifier: MIT
#include "auth/csrf.hpp"

#include <stdexcept>
#include <string>

#include "util/base64.hpp"
#include "util/hash.hpp"
#include "util/secret.hpp"

namespace canaille::auth {
namespace {

// base64url of a 32-byte HMAC-SHA256, unpadded.
constexpr std::size_t kTokenChars = 43;

std::string mac(std::string_view secret_key, std::string_view binding) {
    // An empty key would make every token forgeable: that is a configuration bug.
    if (secret_key.empty()) throw std::invalid_argument("CSRF secret key is empty");
    // The "csrf\0" label keeps these MACs apart from anything else keyed by SECRET_KEY.
    std::string data("csrf", 4);
    data.push_back('\0');
    data.append(binding);
    return hmac_sha256(secret_key, data);
}

}  // namespace

std::string csrf_token(std::string_view secret_key, std::string_view binding) {
    return base64url_encode(mac(secret_key, binding));
}

bool csrf_valid(std::string_view secret_key, std::string_view binding, std::string_view token) {
    const std::string expected = csrf_token(secret_key, binding);
    // The length is public (always 43), so rejecting other lengths early leaks nothing.
    if (token.size() != kTokenChars) return false;
    return constant_time_equal(expected, token);
}

}  // namespace canaille::auth

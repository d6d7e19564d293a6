// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace canaille::auth {

/// CSRF token bound to `binding` (the session cookie value) and keyed by SECRET_KEY:
/// base64url(HMAC-SHA256(key, "csrf\0" + binding)). Stateless, so an anonymous login
/// form needs no server-side write. Throws std::invalid_argument when `secret_key` is empty.
std::string csrf_token(std::string_view secret_key, std::string_view binding);

/// Constant-time check of a submitted token; any token of the wrong length or alphabet is
/// simply invalid. Throws std::invalid_argument when `secret_key` is empty.
bool csrf_valid(std::string_view secret_key, std::string_view binding, std::string_view token);

}  // namespace canaille::auth

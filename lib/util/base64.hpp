// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace canaille {

/// RFC 4648 §5 base64url, no padding.
std::string base64url_encode(std::string_view bytes);
/// Accepts input with or without padding; nullopt on any invalid character.
std::optional<std::string> base64url_decode(std::string_view text);

/// RFC 4648 §4 base64 with padding.
std::string base64_encode(std::string_view bytes);
/// Accepts missing padding; nullopt on any invalid character.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace canaille

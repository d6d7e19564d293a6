// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace canaille {

/// Raw SHA-256 digest (32 bytes).
std::string sha256(std::string_view data);
/// Lowercase hex SHA-256: how codes, refresh tokens and session ids are stored.
std::string sha256_hex(std::string_view data);
/// Raw HMAC-SHA256(key, data).
std::string hmac_sha256(std::string_view key, std::string_view data);
/// Lowercase hex of arbitrary bytes.
std::string to_hex(std::string_view bytes);

}  // namespace canaille

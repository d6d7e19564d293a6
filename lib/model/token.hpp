// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/clock.hpp"

namespace canaille::model {

/// An issued access token and its optional refresh token (reference §4 "Token"); identifier:
/// token_id, which is also the `jti` of a JWT access token. The token strings themselves
/// are never stored, only their lowercase hex SHA-256, for introspection (RFC 7662) and
/// revocation (RFC 7009) lookups.
struct Token {
    std::string id;  ///< UUID, assigned by the store on create when empty

    std::string token_id;                           ///< = jti, unique
    std::string access_token_hash;                  ///< hex SHA-256 of the access token, unique
    std::optional<std::string> refresh_token_hash;  ///< hex SHA-256 of the refresh token, unique
    std::string client_id;                          ///< Client::client_id
    std::optional<std::string> subject;             ///< User::id; empty = client token
    std::string type = "access_token";
    std::vector<std::string> scope;
    TimePoint issue_date{};
    /// Seconds. The refresh token lives as long as the access token (as in Canaille).
    std::int64_t lifetime = 3600;
    std::optional<TimePoint> revokation_date;  ///< Canaille's spelling
    std::vector<std::string> audience;         ///< client_ids
    /// The code this token was issued from; tokens issued by refreshing carry it too, so
    /// a replayed code revokes the whole family (RFC 6749 §4.1.2).
    std::optional<std::string> authorization_code_id;
    /// When the refresh token was exchanged (rotation); set by rotate_refresh_token.
    std::optional<TimePoint> refresh_token_consumed_at;
    std::optional<std::string> parent_token_id;  ///< the token whose refresh produced this one

    TimePoint expires() const { return issue_date + std::chrono::seconds(lifetime); }
    bool expired(TimePoint now) const { return expires() <= now; }
    bool revoked() const { return revokation_date.has_value(); }

    /// Field-by-field equality (tests and change detection).
    bool operator==(const Token&) const = default;
};

}  // namespace canaille::model

// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/clock.hpp"

namespace canaille::model {

/// An OAuth 2 authorization code (reference §4 "AuthorizationCode"); identifier:
/// authorization_code_id. The code itself is never stored: only `code_hash`, the lowercase
/// hex SHA-256 of the code string, so a leaked database yields no usable code.
struct AuthorizationCode {
    std::string id;  ///< UUID, assigned by the store on create when empty

    std::string authorization_code_id;
    std::string code_hash;  ///< hex SHA-256 of the code, unique
    std::string client_id;  ///< Client::client_id
    std::string subject;    ///< User::id
    std::optional<std::string> redirect_uri;
    std::string response_type = "code";
    std::vector<std::string> scope;
    std::optional<std::string> nonce;
    TimePoint issue_date{};
    std::int64_t lifetime = 300;                  ///< seconds
    std::optional<std::string> challenge;         ///< PKCE code_challenge (RFC 7636)
    std::optional<std::string> challenge_method;  ///< "plain" or "S256"
    std::optional<TimePoint> revokation_date;     ///< Canaille's spelling
    std::optional<TimePoint> auth_time;
    std::optional<std::string> acr;
    std::vector<std::string> amr;
    std::optional<std::string> sid;  ///< session id for the ID token's `sid` claim
    /// When the code was exchanged (RFC 6749 §4.1.2: single use); set by consume_code.
    std::optional<TimePoint> consumed_at;

    TimePoint expires() const { return issue_date + std::chrono::seconds(lifetime); }
    bool expired(TimePoint now) const { return expires() <= now; }

    /// Field-by-field equality (tests and change detection).
    bool operator==(const AuthorizationCode&) const = default;
};

}  // namespace canaille::model

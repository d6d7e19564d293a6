// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/clock.hpp"

namespace canaille::model {

/// A server-side browser session. The cookie holds a random id; the store keeps only
/// its SHA-256 (`id_hash`), so a leaked database yields no usable cookie.
struct Session {
    std::string id_hash;
    std::string user_id;  ///< signed-in user
    TimePoint created;
    TimePoint last_seen;
    TimePoint expires;
    TimePoint auth_time;           ///< last authentication (OIDC auth_time, max_age)
    std::vector<std::string> amr;  ///< RFC 8176 methods used, e.g. {"pwd"}
    std::string csrf_secret;       ///< per-session CSRF key, random
    bool remember = true;          ///< persistent cookie vs browser-session cookie
    std::string data;              ///< JSON for flows in progress (MFA, OIDC resume)

    /// Field-by-field equality (tests and change detection).
    bool operator==(const Session&) const = default;
};

}  // namespace canaille::model

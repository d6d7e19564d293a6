// SPDX-License-Identifier: MIT
// Issuing tokens: the access token (an RFC 9068 JWT), the refresh token and the ID token,
// recorded in the store. Shared by the token endpoint and the admin "new access token"
// action.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/services.hpp"
#include "model/client.hpp"
#include "model/user.hpp"
#include "oidc/scope.hpp"
#include "oidc/tokens.hpp"
#include "util/clock.hpp"

namespace canaille::app {

/// What a grant resolved to: who the tokens are for and what goes in them.
struct Grant {
    std::optional<model::User> user;  ///< empty for client_credentials
    oidc::Scopes scopes;
    bool refresh = false;  ///< issue a refresh token
    std::optional<std::string> authorization_code_id;
    std::optional<std::string> parent_token_id;
    // ID token claims (OIDC Core §2), used when the scopes hold openid and a user is set.
    std::optional<TimePoint> auth_time;
    std::optional<std::string> nonce;
    std::optional<std::string> acr;
    std::vector<std::string> amr;
    std::optional<std::string> sid;
};

/// Signs and records the tokens `grant` calls for, for `client`, at `now`, with issuer
/// `iss`; the access token lives `lifetime` seconds (default ACCESS_TOKEN_LIFETIME). Throws
/// store::StoreError when the token cannot be recorded.
oidc::TokenResponse issue_tokens(Services& s, const model::Client& client, Grant grant,
                                 TimePoint now, const std::string& iss,
                                 std::optional<std::int64_t> lifetime = std::nullopt);

}  // namespace canaille::app

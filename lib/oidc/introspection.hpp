// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/client.hpp"
#include "model/token.hpp"
#include "util/clock.hpp"

namespace canaille::oidc {

/// True when `caller` may learn about `token`: it is the client the token was issued to or
/// one of the token's audience (reference §1b: "the caller must be in the token's
/// audience"; RFC 7662 §4 lets the server limit what a caller sees).
bool may_introspect(const model::Token& token, const model::Client& caller);

/// True when the token is live: not revoked, not expired; for a refresh token, also not
/// already rotated.
bool token_active(const model::Token& token, TimePoint now, bool as_refresh_token = false);

/// What the route resolved around the token.
struct IntrospectionContext {
    std::string issuer;
    std::optional<std::string> username;  ///< the subject's user_name (also "sub")
    bool as_refresh_token = false;        ///< the token was found by its refresh token
};

/// RFC 7662 §2.2 response: {"active": false} when `token` is null, inactive, or the caller
/// may not introspect it (no detail leaks); otherwise active true with scope, client_id,
/// username, token_type ("Bearer", or "refresh_token" when as_refresh_token), exp, iat,
/// sub (username; client_id for a client token), aud (array of client_ids; [client_id]
/// when empty), iss, jti.
std::string introspection_json(const model::Token* token, const model::Client& caller,
                               TimePoint now, const IntrospectionContext& context);

/// RFC 7009 §2.1: a client may revoke only tokens issued to it. The endpoint answers 200
/// whatever this says (§2.2: an invalid token is not an error).
bool may_revoke(const model::Token& token, const model::Client& caller);

}  // namespace canaille::oidc

// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/authorization_code.hpp"
#include "model/client.hpp"
#include "model/token.hpp"
#include "model/user.hpp"
#include "oidc/error.hpp"
#include "oidc/scope.hpp"
#include "util/clock.hpp"
#include "util/result.hpp"

namespace canaille::oidc {

/// Grant types the token endpoint implements (RFC 6749 §4.1, §4.3, §4.4, §6).
/// jwt-bearer (RFC 7523) is not among them yet.
const std::vector<std::string>& supported_grant_types();

/// RFC 6749 §5.2: unsupported_grant_type when the server does not implement `grant_type`
/// (or it is empty: invalid_request), unauthorized_client when the client is not
/// registered for it (RFC 7591 §2 grant_types).
Result<void, Error> check_grant_allowed(const model::Client& client, std::string_view grant_type);

/// RFC 6749 §4.1.3 and RFC 7636 §4.6, for a code already fetched (or consumed) from the
/// store:
/// - invalid_grant: issued to another client, revoked, already used (consumed_at set),
///   expired, redirect_uri differs from the one of the authorization request, PKCE
///   verifier does not match, a verifier sent for a code without challenge;
/// - invalid_request: redirect_uri missing while the authorization request had one, a
///   challenge was stored and no verifier sent, or the verifier is malformed (§4.1).
/// When the code has no redirect_uri, a given redirect_uri must still be registered.
Result<void, Error> check_code_exchange(const model::AuthorizationCode& code,
                                        const model::Client& client,
                                        std::optional<std::string_view> redirect_uri,
                                        std::optional<std::string_view> code_verifier,
                                        TimePoint now);

/// RFC 6749 §6, for a token found by its refresh-token hash: issued to this client
/// (invalid_grant), has a refresh token, not revoked, not already rotated, not expired
/// (invalid_grant). `requested` is the parsed `scope` parameter, if sent: it may only
/// narrow (invalid_scope otherwise). Returns the scopes of the new token.
Result<Scopes, Error> check_refresh(const model::Token& token, const model::Client& client,
                                    const std::optional<Scopes>& requested, TimePoint now);

/// Reference §2 "Misc": a locked subject gets no code, refresh or password grant
/// (invalid_grant); a missing subject too.
Result<void, Error> check_subject_active(const model::User* user, TimePoint now);

}  // namespace canaille::oidc

// SPDX-License-Identifier: MIT
// oidc: the OAuth 2 / OpenID Connect rules as pure functions over model structs and
// parameters (authorize, grants, client authentication, claims, tokens, discovery).
// It must not depend on http/, store/ or config/: no I/O, the clock is passed in.
#pragma once

#include <string>
#include <string_view>

namespace canaille::oidc {

/// Error codes, spelled as on the wire: RFC 6749 §4.1.2.1 and §5.2, OIDC Core §3.1.2.6,
/// RFC 6750 §3.1, RFC 7591 §3.2.2.
enum class Errc {
    invalid_request,
    invalid_client,
    invalid_grant,
    unauthorized_client,
    unsupported_grant_type,
    invalid_scope,
    access_denied,
    unsupported_response_type,
    server_error,
    temporarily_unavailable,
    login_required,
    consent_required,
    interaction_required,
    account_selection_required,
    invalid_request_uri,
    invalid_request_object,
    request_not_supported,
    request_uri_not_supported,
    invalid_token,
    insufficient_scope,
    invalid_redirect_uri,
    invalid_client_metadata,
};

/// The wire spelling ("invalid_grant").
std::string_view to_string(Errc code);

/// A protocol error as a value: `oidc::Error{Errc::invalid_grant, "code already used"}`.
/// The description is for the client developer; never put a secret in it.
struct Error {
    Errc code = Errc::server_error;
    std::string description;

    /// RFC 6749 §5.2: 400, except 401 for invalid_client and invalid_token (RFC 6750 §3.1),
    /// 403 for insufficient_scope, 500 server_error, 503 temporarily_unavailable.
    int http_status() const;

    bool operator==(const Error&) const = default;
};

/// `{"error":"...","error_description":"..."}` (description omitted when empty), RFC 6749 §5.2.
std::string to_json(const Error& error);

/// The value of a `WWW-Authenticate` header for a Bearer-protected resource (RFC 6750 §3):
/// `Bearer realm="...", error="invalid_token", error_description="..."`. Pass no error for
/// a request that carried no token at all (RFC 6750 §3.1: then no error attribute).
std::string bearer_challenge(std::string_view realm, const Error* error = nullptr);

}  // namespace canaille::oidc

// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/client.hpp"
#include "oidc/error.hpp"
#include "oidc/params.hpp"
#include "util/clock.hpp"
#include "util/result.hpp"

namespace canaille::oidc {

inline constexpr std::string_view kClientSecretBasic = "client_secret_basic";
inline constexpr std::string_view kClientSecretPost = "client_secret_post";
inline constexpr std::string_view kAuthNone = "none";
/// A client_assertion was sent (RFC 7523 §2.2). authenticate_client refuses it with
/// invalid_client: client_secret_jwt and private_key_jwt are not offered in discovery.
inline constexpr std::string_view kJwtAssertion = "jwt_assertion";
inline constexpr std::string_view kJwtBearerAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How a client presented itself at the token, introspection or revocation endpoint.
struct ClientCredentials {
    std::string method;  ///< one of the constants above
    std::string client_id;
    std::string secret;  ///< empty unless client_secret_basic / client_secret_post
    std::optional<std::string> client_assertion;
    std::optional<std::string> client_assertion_type;
};

/// RFC 6749 §2.3.1 and RFC 7523 §2.2. `authorization_header` is the raw header value; a
/// scheme other than Basic is ignored. Basic credentials are form-urlencoded before
/// base64 (§2.3.1), so they are url-decoded here. Errors:
/// - invalid_request: more than one method (Basic plus client_secret or client_assertion
///   in the body; client_secret plus client_assertion); a repeated client_id,
///   client_secret or client_assertion; a body client_id different from the Basic one;
///   client_assertion without the jwt-bearer type;
/// - invalid_client: malformed Basic value, or no client identification at all.
/// Without a secret or assertion the method is "none" with the body's client_id.
Result<ClientCredentials, Error> extract_client_credentials(
    std::optional<std::string_view> authorization_header, const Params& form);

/// RFC 6749 §2.3 / RFC 7591 §2: the method must equal the client's registered
/// token_endpoint_auth_method; client_secret_* compare the secret in constant time and
/// refuse an expired secret (client_secret_expires_at past; 0 = never, RFC 7591 §3.2.1);
/// "none" only for clients registered with "none" (public clients); jwt assertions are not
/// supported yet. Every failure is invalid_client (the route answers 401 and, for Basic,
/// `WWW-Authenticate: Basic`).
Result<void, Error> authenticate_client(const ClientCredentials& credentials,
                                        const model::Client& client, TimePoint now);

/// A public client: registered with token_endpoint_auth_method "none".
bool is_public_client(const model::Client& client);

}  // namespace canaille::oidc

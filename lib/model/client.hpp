// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/clock.hpp"

namespace canaille::model {

/// An OAuth 2 / OIDC client (reference §4 "Client"); identifier: client_id. Metadata names
/// follow RFC 7591 §2 and OIDC Dynamic Client Registration §2.
///
/// Other records (codes, tokens, consents, another client's audience) refer to a client by
/// its `client_id`, which is immutable once created.
struct Client {
    std::string id;  ///< UUID, assigned by the store on create when empty
    std::optional<TimePoint> created;
    std::optional<TimePoint> last_modified;

    std::string client_id;  ///< the OAuth client identifier (RFC 6749 §2.2), unique
    /// Kept retrievable, not hashed: the admin UI shows it, and client_secret_jwt (RFC 7523
    /// §2.2, HMAC) needs the clear secret to verify an assertion. Empty = public client.
    std::optional<std::string> client_secret;
    std::optional<TimePoint> client_id_issued_at;
    std::optional<TimePoint> client_secret_expires_at;  ///< empty = never expires
    std::optional<std::string> description;
    std::vector<std::string> audience;  ///< client_ids of the clients the tokens are for

    std::vector<std::string> redirect_uris;
    std::string token_endpoint_auth_method = "client_secret_basic";
    std::optional<std::string> token_endpoint_auth_signing_alg;
    std::vector<std::string> grant_types = {"authorization_code", "refresh_token"};
    std::vector<std::string> response_types = {"code"};
    std::optional<std::string> client_name;
    std::optional<std::string> client_uri;
    std::optional<std::string> logo_uri;
    std::vector<std::string> scope;
    std::vector<std::string> contacts;
    std::optional<std::string> tos_uri;
    std::optional<std::string> policy_uri;
    std::optional<std::string> jwks_uri;
    std::optional<std::string> jwks;  ///< a JWK Set, as JSON text
    std::optional<std::string> sector_identifier_uri;
    std::optional<std::string> subject_type;
    std::optional<std::string> software_id;
    std::optional<std::string> software_version;
    std::vector<std::string> post_logout_redirect_uris;
    std::string application_type = "web";
    std::string id_token_signed_response_alg = "RS256";
    std::optional<std::string> id_token_encrypted_response_alg;
    std::optional<std::string> id_token_encrypted_response_enc;
    std::optional<std::string> userinfo_signed_response_alg;
    std::optional<std::string> userinfo_encrypted_response_alg;
    std::optional<std::string> userinfo_encrypted_response_enc;
    std::optional<std::int64_t> default_max_age;  ///< seconds
    bool require_auth_time = false;
    std::vector<std::string> default_acr_values;
    std::optional<std::string> initiate_login_uri;
    std::optional<std::string> request_object_signing_alg;
    std::optional<std::string> request_object_encryption_alg;
    std::optional<std::string> request_object_encryption_enc;
    std::vector<std::string> request_uris;
    bool require_signed_request_object = false;

    /// True when a secret is set and past its expiry (RFC 7591 §3.2.1).
    bool secret_expired(TimePoint now) const {
        return client_secret_expires_at && *client_secret_expires_at <= now;
    }

    /// Field-by-field equality (tests and change detection).
    bool operator==(const Client&) const = default;
};

}  // namespace canaille::model

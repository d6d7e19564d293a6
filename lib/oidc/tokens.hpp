// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jose/jwk.hpp"
#include "jose/keyset.hpp"
#include "oidc/scope.hpp"
#include "util/clock.hpp"

namespace canaille::oidc {

/// JOSE `typ` of a JWT access token (RFC 9068 §2.1); pass to jose::sign.
inline constexpr std::string_view kAccessTokenTyp = "at+jwt";
/// JOSE `typ` of an ID token.
inline constexpr std::string_view kIdTokenTyp = "JWT";

/// The claims of an ID token (OIDC Core §2, §3.1.3.6, §3.3.2.11).
struct IdTokenInput {
    std::string issuer;
    std::string subject;   ///< user_name
    std::string audience;  ///< the client_id
    std::optional<TimePoint> auth_time;
    std::optional<std::string> nonce;
    std::optional<std::string> acr;
    std::vector<std::string> amr;  ///< RFC 8176 values (amr_values)
    std::optional<std::string> sid;
    TimePoint issued_at{};
    Seconds lifetime{3600};
    std::string alg = "RS256";  ///< the signing alg: picks the at_hash / c_hash function
    std::optional<std::string> access_token;  ///< source of at_hash
    std::optional<std::string> code;          ///< source of c_hash
    std::string extra_claims;  ///< JSON members without braces (scope_claims_members)
};

/// The ID token payload JSON: iss, sub, aud, exp, iat, auth_time, nonce, acr, amr, sid,
/// at_hash, c_hash, then extra_claims (members already present are not repeated).
std::string id_token_payload(const IdTokenInput& input);

/// The claims of a JWT access token (RFC 9068 §2.2).
struct AccessTokenInput {
    std::string issuer;
    std::optional<std::string> subject;  ///< user_name; none for client tokens → client_id
    std::string client_id;
    std::vector<std::string> audience;  ///< client_ids; empty → [client_id]
    std::string jti;                    ///< Token::token_id
    TimePoint issued_at{};
    Seconds lifetime{3600};
    Scopes scopes;
    std::optional<TimePoint> auth_time;
    std::string extra_claims;  ///< JSON members without braces, optional
};

/// iss, exp, aud (string when one, else array), sub, client_id, iat, jti, scope
/// (space-separated), auth_time. Sign with typ kAccessTokenTyp.
std::string access_token_payload(const AccessTokenInput& input);

/// OIDC Core §3.1.3.6 / §3.3.2.11: base64url of the left half of the hash of `token`, the
/// hash being the one of `alg` (SHA-256 for *256, SHA-384 for *384, SHA-512 for *512 and
/// for EdDSA with Ed25519). "" for an unknown alg.
std::string half_hash(std::string_view token, std::string_view alg);

/// RFC 8176 amr values from Canaille's factors (reference §2 "ID token"): password → pwd,
/// otp → otp, sms → sms + mca, email → mca, fido2 → hwk; plus mfa when more than one
/// factor. De-duplicated, in order.
std::vector<std::string> amr_values(const std::vector<std::string>& factors);

/// A successful token response (RFC 6749 §5.1).
struct TokenResponse {
    std::string access_token;
    std::string token_type = "Bearer";
    std::int64_t expires_in = 3600;
    std::optional<std::string> refresh_token;
    std::optional<std::string> id_token;
    Scopes scope;  ///< omitted when empty
};

std::string token_response_json(const TokenResponse& response);

/// A key to sign with and the algorithm to use.
struct SigningChoice {
    const jose::Jwk* key = nullptr;
    std::string alg;
};

/// Reference §2 "Keys", made deterministic: the first active private asymmetric key usable
/// for `client_alg` (the client's id_token_signed_response_alg); else the first usable for
/// RS256; else the first active private asymmetric key with its own alg. "none" and HMAC
/// are never chosen. nullopt when the set has no active private asymmetric key.
std::optional<SigningChoice> choose_signing_key(const jose::KeySet& keys,
                                                std::string_view client_alg);

}  // namespace canaille::oidc

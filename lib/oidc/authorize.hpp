// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/client.hpp"
#include "model/consent.hpp"
#include "oidc/error.hpp"
#include "oidc/params.hpp"
#include "oidc/redirect.hpp"
#include "oidc/scope.hpp"
#include "util/clock.hpp"
#include "util/result.hpp"

namespace canaille::oidc {

/// OIDC Core §3.1.2.1 `prompt` values, plus `create` (OIDC Prompt Create 1.0).
enum class Prompt : unsigned { none = 1, login = 2, consent = 4, select_account = 8, create = 16 };

/// A set of Prompt values.
struct PromptSet {
    unsigned bits = 0;
    bool has(Prompt p) const { return (bits & static_cast<unsigned>(p)) != 0; }
    void add(Prompt p) { bits |= static_cast<unsigned>(p); }
    bool empty() const { return bits == 0; }
    bool operator==(const PromptSet&) const = default;
};

/// One row of the response-type table: what a `response_type` value returns and how.
/// Implicit and hybrid flows slot in as new rows (OAuth 2 Multiple Response Types §3-5).
struct ResponseTypeInfo {
    std::string_view name;  ///< normalised: space-separated values in sorted order
    bool code = false;
    bool id_token = false;
    bool token = false;
    ResponseMode default_mode = ResponseMode::query;
};

/// The table row for `response_type` (values in any order: "id_token code" = "code
/// id_token"), or nullptr when the value is unknown to this implementation.
const ResponseTypeInfo* find_response_type(std::string_view response_type);

/// Server settings for the authorization endpoint (built once from config by app/).
struct AuthorizeOptions {
    /// CANAILLE_OIDC.REQUIRE_NONCE: an OIDC request (scope openid) must carry a nonce.
    bool require_nonce = true;
    /// Response types the server enables (normalised names of find_response_type rows).
    std::vector<std::string> response_types = {"code"};
    /// RFC 7636 §4.4.1 / OAuth 2.0 Security BCP §2.1.1: public clients
    /// (token_endpoint_auth_method "none") must send a code_challenge.
    bool require_pkce_for_public_clients = true;
    /// prompt=create is accepted only when registration is enabled.
    bool registration_enabled = false;
};

/// A validated authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1).
struct AuthorizationRequest {
    std::string client_id;
    /// The effective redirect URI: the one given, or the single registered one.
    std::string redirect_uri;
    /// The request carried redirect_uri: then the token request must repeat it (RFC 6749
    /// §4.1.3). Store it in AuthorizationCode::redirect_uri only in that case.
    bool redirect_uri_given = false;
    std::string response_type;  ///< normalised (find_response_type)
    ResponseMode response_mode = ResponseMode::query;
    Scopes requested_scopes;  ///< as parsed from `scope`
    Scopes scopes;            ///< granted_scopes(requested, client.scope): what to consent to
    std::optional<std::string> state;
    std::optional<std::string> nonce;
    std::optional<std::string> code_challenge;
    std::optional<std::string> code_challenge_method;  ///< "plain" or "S256" when a challenge
    PromptSet prompt;
    /// Seconds; the request's max_age, else the client's default_max_age (OIDC Registration
    /// §2).
    std::optional<std::int64_t> max_age;
    std::optional<std::string> login_hint;
    std::optional<std::string> id_token_hint;
    std::vector<std::string> ui_locales;  ///< BCP 47 tags in preference order
    std::vector<std::string> acr_values;

    /// OpenID Connect request (scope contains openid): an ID token is issued. Otherwise a
    /// plain OAuth 2 request.
    bool is_openid() const { return has_scope(scopes, "openid"); }
};

/// An authorization error and where it may go (RFC 6749 §4.1.2.1). When `redirectable`,
/// send it to `redirect_uri` (error_redirect); otherwise show the person an error page and
/// never redirect: the client or the redirect URI could not be trusted.
struct AuthorizeError {
    Error error;
    bool redirectable = false;
    std::string redirect_uri;  ///< set when redirectable
    std::optional<std::string> state;
    ResponseMode response_mode = ResponseMode::query;
};

/// Largest value accepted for any authorization request parameter.
inline constexpr std::size_t kMaxAuthorizeParamBytes = 8192;

/// Validates an authorization request. `client` is the client found for the `client_id`
/// parameter (nullptr when none). Checks, in order:
///  1. not redirectable: client_id missing, repeated or unknown; redirect_uri repeated,
///     not registered (exact match), or missing while the client has zero or several
///     registered;
///  2. redirectable: repeated parameters (RFC 6749 §3.1), request / request_uri
///     (request_not_supported, request_uri_not_supported), response_type missing
///     (invalid_request), unknown or disabled (unsupported_response_type), not in the
///     client's response_types or authorization_code not in its grant_types
///     (unauthorized_client, RFC 6749 §4.1.2.1), response_mode, scope syntax
///     (invalid_scope), nonce (required with require_nonce and openid, and always for
///     response types returning an ID token from the authorization endpoint), prompt
///     (unknown value, none with another value, create when registration is off),
///     max_age (non-negative integer), PKCE (challenge syntax, method plain/S256, method
///     without challenge, challenge required for public clients); all invalid_request.
Result<AuthorizationRequest, AuthorizeError> validate_authorization_request(
    const Params& params, const model::Client* client, const AuthorizeOptions& options);

/// The redirect URL carrying an error: error, error_description, state, iss (RFC 9207 §2).
/// Precondition: error.redirectable.
std::string error_redirect(const AuthorizeError& error, std::string_view issuer);

/// The same for an error found after validation (access_denied, login_required,
/// consent_required...).
std::string error_redirect(const AuthorizationRequest& request, const Error& error,
                           std::string_view issuer);

/// The successful redirect for the code flow: code, state, iss (RFC 6749 §4.1.2,
/// RFC 9207 §2).
std::string code_redirect(const AuthorizationRequest& request, std::string_view code,
                          std::string_view issuer);

/// True when the person must (re-)authenticate before this request proceeds:
/// no session (`auth_time` empty), prompt=login or prompt=select_account (OIDC Core
/// §3.1.2.1), or max_age elapsed since auth_time. `first_seen` is when the route first saw
/// this request (Canaille caches it 300 s): a login at or after it satisfies prompt=login,
/// select_account and max_age, so the flow does not loop. Without it, prompt=login always
/// answers true. With prompt=none the caller turns true into login_required.
bool needs_login(const AuthorizationRequest& request, std::optional<TimePoint> auth_time,
                 TimePoint now, std::optional<TimePoint> first_seen = std::nullopt);

enum class ConsentDecision {
    skip,              ///< proceed, no page
    ask,               ///< show the consent page
    consent_required,  ///< would ask, but prompt=none: redirect with consent_required
};

/// Reference §2 "Consent", in order: a revoked consent → ask; prompt=consent → ask unless
/// the consent was given at or after `first_seen` (i.e. just now, for this request); a
/// trusted client → skip; no consent, or its scopes do not cover request.scopes → ask.
/// `existing` is the consent of this person for this client, if any.
ConsentDecision consent_needed(const AuthorizationRequest& request, const model::Client& client,
                               const model::Consent* existing, bool trusted,
                               std::optional<TimePoint> first_seen = std::nullopt);

}  // namespace canaille::oidc

// SPDX-License-Identifier: MIT
#include "oidc/grants.hpp"

#include <algorithm>

#include "oidc/pkce.hpp"
#include "oidc/redirect.hpp"

namespace canaille::oidc {

namespace {

Unexpected<Error> fail(Errc code, std::string d) { return unexpected(Error{code, std::move(d)}); }

bool contains(const std::vector<std::string>& list, std::string_view v) {
    return std::find(list.begin(), list.end(), v) != list.end();
}

}  // namespace

const std::vector<std::string>& supported_grant_types() {
    static const std::vector<std::string> kGrants = {"authorization_code", "refresh_token",
                                                     "client_credentials", "password"};
    return kGrants;
}

Result<void, Error> check_grant_allowed(const model::Client& client, std::string_view grant_type) {
    if (grant_type.empty()) return fail(Errc::invalid_request, "grant_type missing");
    if (!contains(supported_grant_types(), grant_type)) {
        return fail(Errc::unsupported_grant_type,
                    "grant_type '" + std::string(grant_type) + "' is not supported");
    }
    if (!contains(client.grant_types, grant_type)) {
        return fail(Errc::unauthorized_client, "the client is not registered for grant_type '" +
                                                   std::string(grant_type) + "'");
    }
    return {};
}

Result<void, Error> check_code_exchange(const model::AuthorizationCode& code,
                                        const model::Client& client,
                                        std::optional<std::string_view> redirect_uri,
                                        std::optional<std::string_view> code_verifier,
                                        TimePoint now) {
    // RFC 6749 §4.1.3: "ensure that the authorization code was issued to the authenticated
    // confidential client, or ... to the public client".
    if (code.client_id != client.client_id) {
        return fail(Errc::invalid_grant, "code was issued to another client");
    }
    if (code.revokation_date) return fail(Errc::invalid_grant, "code revoked");
    if (code.consumed_at) return fail(Errc::invalid_grant, "code already used");
    if (code.expired(now)) return fail(Errc::invalid_grant, "code expired");

    if (code.redirect_uri) {
        if (!redirect_uri) return fail(Errc::invalid_request, "redirect_uri missing");
        if (*redirect_uri != *code.redirect_uri) {
            return fail(Errc::invalid_grant, "redirect_uri differs from the authorization request");
        }
    } else if (redirect_uri && !redirect_uri_registered(client, *redirect_uri)) {
        return fail(Errc::invalid_grant, "redirect_uri not registered for this client");
    }

    // RFC 7636 §4.5-4.6.
    if (code.challenge && !code.challenge->empty()) {
        if (!code_verifier) return fail(Errc::invalid_request, "code_verifier missing");
        if (!valid_code_verifier(*code_verifier)) {
            return fail(Errc::invalid_request, "malformed code_verifier");
        }
        if (!verify_pkce(*code.challenge, code.challenge_method.value_or("plain"),
                         *code_verifier)) {
            return fail(Errc::invalid_grant, "code_verifier does not match the code_challenge");
        }
    } else if (code_verifier) {
        // A verifier for a code without challenge means the request was tampered with or
        // the client is confused; accepting it would hide a PKCE downgrade.
        return fail(Errc::invalid_grant, "code_verifier sent but no code_challenge was");
    }
    return {};
}

Result<Scopes, Error> check_refresh(const model::Token& token, const model::Client& client,
                                    const std::optional<Scopes>& requested, TimePoint now) {
    if (token.client_id != client.client_id) {
        return fail(Errc::invalid_grant, "refresh token was issued to another client");
    }
    if (!token.refresh_token_hash || token.refresh_token_hash->empty()) {
        return fail(Errc::invalid_grant, "not a refresh token");
    }
    if (token.revoked()) return fail(Errc::invalid_grant, "refresh token revoked");
    if (token.refresh_token_consumed_at)
        return fail(Errc::invalid_grant, "refresh token already used");
    if (token.expired(now)) return fail(Errc::invalid_grant, "refresh token expired");
    // RFC 6749 §6: "MUST NOT include any scope not originally granted"; omitted = same.
    if (!requested || requested->empty()) return token.scope;
    if (!scopes_cover(token.scope, *requested)) {
        return fail(Errc::invalid_scope, "requested scope exceeds the original grant");
    }
    return *requested;
}

Result<void, Error> check_subject_active(const model::User* user, TimePoint now) {
    if (user == nullptr) return fail(Errc::invalid_grant, "unknown subject");
    if (user->locked(now)) return fail(Errc::invalid_grant, "account locked");
    return {};
}

}  // namespace canaille::oidc

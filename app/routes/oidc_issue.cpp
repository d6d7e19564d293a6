// SPDX-License-Identifier: MIT
#include "app/routes/oidc_issue.hpp"

#include <stdexcept>

#include "app/routes/oidc_common.hpp"
#include "jose/jws.hpp"
#include "oidc/claims.hpp"
#include "oidc/grants.hpp"
#include "util/hash.hpp"
#include "util/random.hpp"

namespace canaille::app {
namespace {

std::string sign(Services& s, const model::Client& client, const std::string& payload,
                 std::string_view typ, std::string& alg_out) {
    const auto choice = oidc::choose_signing_key(s.keys, client.id_token_signed_response_alg);
    if (!choice) throw std::runtime_error("no active private key can sign tokens");
    auto jws = jose::sign(*choice->key, choice->alg, payload, typ);
    if (!jws) throw std::runtime_error("token signing failed: " + jws.error());
    alg_out = choice->alg;
    return std::move(*jws);
}

std::string id_token(Services& s, const model::Client& client, const Grant& grant,
                     const std::string& iss, TimePoint now, const std::string& access_token) {
    const auto choice = oidc::choose_signing_key(s.keys, client.id_token_signed_response_alg);
    if (!choice) throw std::runtime_error("no active private key can sign tokens");
    const oidc::ClaimSource source{*grant.user, oidc_routes::group_names(*s.store, *grant.user),
                                   ""};
    oidc::IdTokenInput in;
    in.issuer = iss;
    in.subject = grant.user->user_name;
    in.audience = client.client_id;
    in.auth_time = grant.auth_time;
    in.nonce = grant.nonce;
    in.acr = grant.acr;
    in.amr = grant.amr;
    in.sid = grant.sid;
    in.issued_at = now;
    in.lifetime = Seconds(s.settings.oidc.id_token_lifetime);
    in.alg = choice->alg;
    in.access_token = access_token;
    in.extra_claims = oidc::scope_claims_members(source, grant.scopes);
    auto jws = jose::sign(*choice->key, choice->alg, oidc::id_token_payload(in), oidc::kIdTokenTyp);
    if (!jws) throw std::runtime_error("ID token signing failed: " + jws.error());
    return std::move(*jws);
}

}  // namespace

oidc::TokenResponse issue_tokens(Services& s, const model::Client& client, Grant grant,
                                 TimePoint now, const std::string& iss,
                                 std::optional<std::int64_t> lifetime) {
    const auto& oidc_settings = s.settings.oidc;

    model::Token token;
    token.token_id = random_uuid();
    token.client_id = client.client_id;
    if (grant.user) token.subject = grant.user->id;
    token.scope = grant.scopes;
    token.issue_date = now;
    token.lifetime = lifetime.value_or(oidc_settings.access_token_lifetime);
    token.audience = client.audience;
    token.authorization_code_id = grant.authorization_code_id;
    token.parent_token_id = grant.parent_token_id;

    oidc::AccessTokenInput at;
    at.issuer = iss;
    if (grant.user) at.subject = grant.user->user_name;
    at.client_id = client.client_id;
    at.audience = client.audience;
    at.jti = token.token_id;
    at.issued_at = now;
    at.lifetime = Seconds(token.lifetime);
    at.scopes = grant.scopes;
    at.auth_time = grant.auth_time;
    std::string alg;
    oidc::TokenResponse response;
    response.access_token =
        sign(s, client, oidc::access_token_payload(at), oidc::kAccessTokenTyp, alg);
    response.expires_in = token.lifetime;
    response.scope = grant.scopes;
    token.access_token_hash = sha256_hex(response.access_token);
    if (grant.refresh) {
        response.refresh_token = random_token(32);
        token.refresh_token_hash = sha256_hex(*response.refresh_token);
    }
    if (grant.user && oidc::has_scope(grant.scopes, "openid")) {
        response.id_token = id_token(s, client, grant, iss, now, response.access_token);
    }
    if (const auto st = s.store->create_token(token); st != store::Status::ok) {
        throw store::StoreError("could not store the token: " + std::string(store::to_string(st)));
    }
    return response;
}

}  // namespace canaille::app

// SPDX-License-Identifier: MIT
// The token endpoint, POST /oauth/token (RFC 6749 §3.2): client authentication, then the
// authorization_code (§4.1.3), refresh_token (§6), client_credentials (§4.4) and password
// (§4.3) grants. Access tokens are JWTs (RFC 9068) recorded in the store by their hash;
// refresh tokens are random and stored hashed.
#include <chrono>

#include "app/accounts.hpp"
#include "app/routes/oidc_common.hpp"
#include "app/routes/oidc_issue.hpp"
#include "app/web_app.hpp"
#include "oidc/grants.hpp"
#include "oidc/tokens.hpp"
#include "util/hash.hpp"
#include "util/log.hpp"

namespace canaille::app {
namespace {

using oidc::Errc;
using oidc::Error;

bool has_grant(const model::Client& client, std::string_view grant) {
    return std::find(client.grant_types.begin(), client.grant_types.end(), grant) !=
           client.grant_types.end();
}

class TokenEndpoint {
  public:
    explicit TokenEndpoint(Services& s) : s_(s) {}

    http::Response run(Context& ctx) {
        // Steps: parse, authenticate the client, check the grant type, run the grant,
        // issue, respond.
        const auto form = oidc_routes::to_params(ctx.request().form);
        if (auto dup = oidc::reject_duplicates(
                form, {"grant_type", "code", "redirect_uri", "code_verifier", "refresh_token",
                       "scope", "username", "password"});
            !dup) {
            return oidc_routes::json_error(dup.error());
        }
        auto client =
            oidc_routes::authenticate_client(ctx, form, oidc_routes::PublicClients::allowed);
        if (!client) return oidc_routes::json_error(client.error());

        const auto grant_type = oidc::param(form, "grant_type").value_or("");
        if (auto allowed = oidc::check_grant_allowed(*client, grant_type); !allowed) {
            return oidc_routes::json_error(allowed.error());
        }
        Result<Grant, Error> grant = unexpected(Error{Errc::unsupported_grant_type, ""});
        if (grant_type == "authorization_code") {
            grant = code_grant(ctx, *client, form);
        } else if (grant_type == "refresh_token") {
            grant = refresh_grant(ctx, *client, form);
        } else if (grant_type == "client_credentials") {
            grant = client_credentials_grant(*client, form);
        } else if (grant_type == "password") {
            grant = password_grant(ctx, *client, form);
        }
        if (!grant) return oidc_routes::json_error(grant.error());
        return oidc_routes::no_store_json(
            oidc::token_response_json(issue(ctx, *client, std::move(*grant))));
    }

  private:
    /// RFC 6749 §4.1.3. The code is checked before it is consumed, so a wrong verifier or
    /// client does not burn it for the rightful one; consuming is the atomic step that
    /// makes it single-use. A second use revokes what the first issued (§4.1.2).
    Result<Grant, Error> code_grant(Context& ctx, const model::Client& client,
                                    const oidc::Params& form) {
        const auto code_value = oidc::param(form, "code");
        if (!code_value || code_value->empty()) {
            return unexpected(Error{Errc::invalid_request, "code is required"});
        }
        const auto hash = sha256_hex(*code_value);
        const auto now = ctx.now();
        auto code = s_.store->get_code_by_hash(hash);
        if (!code) return unexpected(Error{Errc::invalid_grant, "unknown code"});
        if (code->consumed_at) return replayed(*code, now);
        if (auto ok = oidc::check_code_exchange(*code, client, oidc::param(form, "redirect_uri"),
                                                oidc::param(form, "code_verifier"), now);
            !ok) {
            return unexpected(ok.error());
        }
        if (!s_.store->consume_code(hash, now)) return replayed(*code, now);

        auto user = s_.store->get_user(code->subject);
        if (auto active = oidc::check_subject_active(user ? &*user : nullptr, now); !active) {
            return unexpected(active.error());
        }
        Grant g;
        g.user = std::move(user);
        g.scopes = code->scope;
        g.refresh = has_grant(client, "refresh_token");
        g.authorization_code_id = code->authorization_code_id;
        g.auth_time = code->auth_time;
        g.nonce = code->nonce;
        g.acr = code->acr;
        g.amr = code->amr;
        g.sid = code->sid;
        return g;
    }

    Result<Grant, Error> replayed(const model::AuthorizationCode& code, TimePoint now) {
        const auto revoked = s_.store->revoke_tokens_by_code(code.authorization_code_id, now);
        log::security("authorization code replayed for client " + code.client_id + "; " +
                      std::to_string(revoked) + " token(s) revoked");
        return unexpected(Error{Errc::invalid_grant, "code already used"});
    }

    /// RFC 6749 §6 with rotation: the old refresh token dies as the new one is issued.
    Result<Grant, Error> refresh_grant(Context& ctx, const model::Client& client,
                                       const oidc::Params& form) {
        const auto value = oidc::param(form, "refresh_token");
        if (!value || value->empty()) {
            return unexpected(Error{Errc::invalid_request, "refresh_token is required"});
        }
        std::optional<oidc::Scopes> requested;
        if (const auto scope = oidc::param(form, "scope")) {
            auto parsed = oidc::parse_scope(*scope);
            if (!parsed) return unexpected(parsed.error());
            requested = std::move(*parsed);
        }
        const auto hash = sha256_hex(*value);
        const auto now = ctx.now();
        const auto token = s_.store->get_token_by_refresh_hash(hash);
        if (!token) return unexpected(Error{Errc::invalid_grant, "unknown refresh token"});
        auto scopes = oidc::check_refresh(*token, client, requested, now);
        if (!scopes) return unexpected(scopes.error());
        std::optional<model::User> user;
        if (token->subject) {
            user = s_.store->get_user(*token->subject);
            if (auto active = oidc::check_subject_active(user ? &*user : nullptr, now); !active) {
                return unexpected(active.error());
            }
        }
        if (!s_.store->rotate_refresh_token(hash, now)) {
            return unexpected(Error{Errc::invalid_grant, "refresh token already used"});
        }
        Grant g;
        g.user = std::move(user);
        g.scopes = std::move(*scopes);
        g.refresh = true;
        g.authorization_code_id = token->authorization_code_id;
        g.parent_token_id = token->token_id;
        // OIDC Core §12.2: a refreshed ID token keeps the original authentication facts.
        if (token->authorization_code_id) {
            if (auto code = s_.store->get_code(*token->authorization_code_id)) {
                g.auth_time = code->auth_time;
                g.acr = code->acr;
                g.amr = code->amr;
                g.sid = code->sid;
            }
        }
        return g;
    }

    /// RFC 6749 §4.4: a token for the client itself, no refresh token (§4.4.3).
    static Result<Grant, Error> client_credentials_grant(const model::Client& client,
                                                         const oidc::Params& form) {
        auto requested = oidc::parse_scope(oidc::param(form, "scope").value_or(""));
        if (!requested) return unexpected(requested.error());
        Grant g;
        g.scopes = oidc::granted_scopes(*requested, client.scope);
        // No person is involved: identity scopes make no sense here.
        g.scopes.erase(std::remove(g.scopes.begin(), g.scopes.end(), "openid"), g.scopes.end());
        return g;
    }

    /// RFC 6749 §4.3, the login looked up through LOGIN_ATTRIBUTES like the login form.
    Result<Grant, Error> password_grant(Context& ctx, const model::Client& client,
                                        const oidc::Params& form) {
        const auto login = oidc::param(form, "username").value_or("");
        const auto password = oidc::param(form, "password").value_or("");
        if (login.empty() || password.empty()) {
            return unexpected(Error{Errc::invalid_request, "username and password are required"});
        }
        auto requested = oidc::parse_scope(oidc::param(form, "scope").value_or(""));
        if (!requested) return unexpected(requested.error());
        const Error refused{Errc::invalid_grant, "invalid username or password"};
        if (login.size() > kMaxLoginBytes || password.size() > kMaxPasswordBytes) {
            return unexpected(refused);
        }
        auto user = find_account(s_, login);
        const auto checked = check_account_password(s_, user ? &*user : nullptr, password);
        if (!user || (checked.verdict != store::PasswordVerdict::ok &&
                      checked.verdict != store::PasswordVerdict::must_change)) {
            if (user) {
                log::security("password grant failed for " + user->user_name + " (client " +
                              client.client_id + ")");
            }
            return unexpected(refused);
        }
        if (checked.rehashed && s_.store->update_user(*user) != store::Status::ok) {
            log::warning("could not update the password hash of " + user->user_name);
        }
        const auto now = ctx.now();
        if (auto active = oidc::check_subject_active(&*user, now); !active) {
            return unexpected(active.error());
        }
        Grant g;
        g.user = std::move(user);
        g.scopes = oidc::granted_scopes(*requested, client.scope);
        g.refresh = has_grant(client, "refresh_token");
        g.auth_time = now;
        g.amr = {"pwd"};
        return g;
    }

    /// Issues the access token (and refresh and ID tokens) and records it.
    oidc::TokenResponse issue(Context& ctx, const model::Client& client, Grant grant) {
        return issue_tokens(s_, client, std::move(grant), ctx.now(),
                            oidc_routes::issuer(s_.settings, ctx.request()));
    }

    Services& s_;
};

}  // namespace

void register_oidc_token(WebApp& app, Services& services) {
    if (!services.settings.oidc.enable_oidc) return;
    auto route = std::make_shared<TokenEndpoint>(services);
    app.post("/oauth/token", [route](Context& c) { return route->run(c); });
}

}  // namespace canaille::app

// SPDX-License-Identifier: MIT
// Token introspection, POST /oauth/introspect (RFC 7662). The answer is limited to the
// token's client and audience (reference §1b); anything else is {"active": false}.
#include "app/routes/oidc_common.hpp"
#include "app/web_app.hpp"
#include "oidc/introspection.hpp"
#include "util/hash.hpp"

namespace canaille::app {
namespace {

/// A token found by one of its two secrets.
struct Found {
    std::optional<model::Token> token;
    bool as_refresh_token = false;
};

/// RFC 7662 §2.1 / RFC 7009 §2.1: the hint only orders the lookups; a wrong hint still
/// finds the token.
Found find_token(store::Store& store, std::string_view value, std::string_view hint) {
    const auto hash = sha256_hex(value);
    if (hint == "refresh_token") {
        if (auto t = store.get_token_by_refresh_hash(hash)) return {std::move(t), true};
        return {store.get_token_by_access_hash(hash), false};
    }
    if (auto t = store.get_token_by_access_hash(hash)) return {std::move(t), false};
    if (auto t = store.get_token_by_refresh_hash(hash)) return {std::move(t), true};
    return {};
}

class IntrospectionEndpoint {
  public:
    explicit IntrospectionEndpoint(Services& s) : s_(s) {}

    http::Response run(Context& ctx) {
        // Steps: parse, authenticate the client (public clients may not introspect), find
        // the token, answer what this client may know.
        const auto form = oidc_routes::to_params(ctx.request().form);
        if (auto dup = oidc::reject_duplicates(form, {"token", "token_type_hint"}); !dup) {
            return oidc_routes::json_error(dup.error());
        }
        auto caller =
            oidc_routes::authenticate_client(ctx, form, oidc_routes::PublicClients::refused);
        if (!caller) return oidc_routes::json_error(caller.error());
        const auto value = oidc::param(form, "token");
        if (!value || value->empty()) {
            return oidc_routes::json_error({oidc::Errc::invalid_request, "token is required"});
        }
        const auto found =
            find_token(*s_.store, *value, oidc::param(form, "token_type_hint").value_or(""));
        oidc::IntrospectionContext context;
        context.issuer = oidc_routes::issuer(s_.settings, ctx.request());
        context.as_refresh_token = found.as_refresh_token;
        if (found.token && found.token->subject) {
            if (auto user = s_.store->get_user(*found.token->subject)) {
                context.username = user->user_name;
            }
        }
        return oidc_routes::no_store_json(oidc::introspection_json(
            found.token ? &*found.token : nullptr, *caller, ctx.now(), context));
    }

  private:
    Services& s_;
};

/// Token revocation, POST /oauth/revoke (RFC 7009).
class RevocationEndpoint {
  public:
    explicit RevocationEndpoint(Services& s) : s_(s) {}

    http::Response run(Context& ctx) {
        // Steps: parse, authenticate the client, find the token, revoke it if it is the
        // caller's; answer 200 whatever happened to the token (§2.2).
        const auto form = oidc_routes::to_params(ctx.request().form);
        if (auto dup = oidc::reject_duplicates(form, {"token", "token_type_hint"}); !dup) {
            return oidc_routes::json_error(dup.error());
        }
        // §2.1: public clients may revoke their own tokens, identified by client_id.
        auto caller =
            oidc_routes::authenticate_client(ctx, form, oidc_routes::PublicClients::allowed);
        if (!caller) return oidc_routes::json_error(caller.error());
        const auto value = oidc::param(form, "token");
        if (!value || value->empty()) {
            return oidc_routes::json_error({oidc::Errc::invalid_request, "token is required"});
        }
        const auto found =
            find_token(*s_.store, *value, oidc::param(form, "token_type_hint").value_or(""));
        // One record holds the access token and its refresh token, so revoking either ends
        // both, as §2.1 recommends for a refresh token.
        if (found.token && oidc::may_revoke(*found.token, *caller)) {
            (void)s_.store->revoke_token(found.token->token_id, ctx.now());
        }
        return oidc_routes::no_store_json("", 200);
    }

  private:
    Services& s_;
};

}  // namespace

void register_oidc_introspect(WebApp& app, Services& services) {
    if (!services.settings.oidc.enable_oidc) return;
    auto introspect = std::make_shared<IntrospectionEndpoint>(services);
    auto revoke = std::make_shared<RevocationEndpoint>(services);
    app.post("/oauth/introspect", [introspect](Context& c) { return introspect->run(c); });
    app.post("/oauth/revoke", [revoke](Context& c) { return revoke->run(c); });
}

}  // namespace canaille::app

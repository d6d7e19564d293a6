// SPDX-License-Identifier: MIT
// The UserInfo endpoint, GET and POST /oauth/userinfo (OIDC Core §5.3), a Bearer-protected
// resource (RFC 6750).
//
// The access token is looked up by the SHA-256 of the whole JWT, signature included: a
// token whose header, payload or signature was altered matches no record and is refused,
// and the record says whether it was revoked. Re-verifying the signature would add a
// public-key operation per request and catch nothing more (doc/oidc-endpoints.md).
#include "app/routes/oidc_common.hpp"
#include "app/web_app.hpp"
#include "oidc/claims.hpp"
#include "oidc/introspection.hpp"
#include "util/hash.hpp"
#include "util/strings.hpp"

namespace canaille::app {
namespace {

using oidc::Errc;
using oidc::Error;

constexpr std::string_view kRealm = "canaille";
constexpr std::size_t kMaxTokenBytes = 16 * 1024;

/// RFC 6750 §3: every 401 and 403 names the scheme and, when a token was sent, the error.
http::Response bearer_error(const Error& error) {
    auto r = oidc_routes::no_store_json(oidc::to_json(error), error.http_status());
    r.set_header("WWW-Authenticate", oidc::bearer_challenge(kRealm, &error));
    return r;
}

class UserinfoEndpoint {
  public:
    explicit UserinfoEndpoint(Services& s) : s_(s) {}

    http::Response run(Context& ctx) {
        // Steps: read the bearer token, find its record, check it, answer the claims.
        auto presented = bearer_token(ctx.request());
        if (!presented) return bearer_error(presented.error());
        if (presented->empty()) {
            // RFC 6750 §3.1: no token at all gets a challenge without an error code.
            auto r = oidc_routes::no_store_json(
                oidc::to_json(Error{Errc::invalid_token, "a bearer token is required"}), 401);
            r.set_header("WWW-Authenticate", oidc::bearer_challenge(kRealm));
            return r;
        }
        const Error invalid{Errc::invalid_token, "the access token is invalid or expired"};
        const auto now = ctx.now();
        const auto token = s_.store->get_token_by_access_hash(sha256_hex(*presented));
        if (!token || !oidc::token_active(*token, now) || !token->subject) {
            return bearer_error(invalid);
        }
        if (!oidc::has_scope(token->scope, "openid")) {
            return bearer_error(Error{Errc::insufficient_scope, "the openid scope is required"});
        }
        const auto user = s_.store->get_user(*token->subject);
        if (!user || user->locked(now)) return bearer_error(invalid);
        // Group names cost a store read per group: only the groups scope shows them.
        const oidc::ClaimSource source{*user,
                                       oidc::has_scope(token->scope, "groups")
                                           ? oidc_routes::group_names(*s_.store, *user)
                                           : std::vector<std::string>{},
                                       ""};
        return oidc_routes::no_store_json(oidc::userinfo_json(source, token->scope));
    }

  private:
    /// RFC 6750 §2.1 (header) and §2.2 (form body of a POST); "" when neither is present.
    /// Two methods at once is invalid_request (§2). The query form (§2.3) is not accepted.
    static Result<std::string, Error> bearer_token(const http::Request& req) {
        std::optional<std::string> from_header;
        if (const auto h = req.header("authorization")) {
            const auto value = trim(*h);
            if (value.size() > 7 && iequals(value.substr(0, 7), "bearer ")) {
                from_header = std::string(trim(value.substr(7)));
            } else {
                return unexpected(Error{Errc::invalid_request, "expected a Bearer token"});
            }
        }
        const auto in_body =
            req.method == "POST" ? req.form.all("access_token") : std::vector<std::string_view>{};
        if (in_body.size() > 1 || (from_header && !in_body.empty())) {
            return unexpected(Error{Errc::invalid_request, "more than one access token"});
        }
        auto token = from_header ? *from_header
                                 : (in_body.empty() ? std::string() : std::string(in_body[0]));
        if (token.size() > kMaxTokenBytes) {
            return unexpected(Error{Errc::invalid_token, "the access token is too long"});
        }
        if (token.empty() && (from_header || !in_body.empty())) {
            return unexpected(Error{Errc::invalid_request, "empty access token"});
        }
        return token;
    }

    Services& s_;
};

}  // namespace

void register_oidc_userinfo(WebApp& app, Services& services) {
    if (!services.settings.oidc.enable_oidc) return;
    auto route = std::make_shared<UserinfoEndpoint>(services);
    app.get("/oauth/userinfo", [route](Context& c) { return route->run(c); });
    app.post("/oauth/userinfo", [route](Context& c) { return route->run(c); });
}

}  // namespace canaille::app

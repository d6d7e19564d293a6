// SPDX-License-Identifier: MIT
// Metadata (reference §1b "well_known.py"): GET /.well-known/openid-configuration (OIDC
// Discovery §4), /.well-known/oauth-authorization-server (RFC 8414 §3) and WebFinger
// (RFC 7033 §4, OIDC Discovery §2).
#include "app/routes/oidc_common.hpp"
#include "app/web_app.hpp"
#include "oidc/discovery.hpp"

namespace canaille::app {
namespace {

constexpr std::size_t kMaxResourceBytes = 2048;

/// The documents depend only on the issuer and the keys, which change with a reload: the
/// last one built is kept, so a worker behind one host name builds each once.
class DiscoveryRoute {
  public:
    explicit DiscoveryRoute(Services& s) : s_(s) {}

    http::Response openid_configuration(Context& ctx) {
        return cached(ctx, openid_, [](const oidc::DiscoveryInput& in) {
            return oidc::openid_configuration_json(in);
        });
    }

    http::Response authorization_server(Context& ctx) {
        return cached(ctx, oauth_, [](const oidc::DiscoveryInput& in) {
            return oidc::oauth_authorization_server_json(in);
        });
    }

    /// RFC 7033 §4.2: resource is required (400 without); the issuer link is the same for
    /// every account (reference §1b), so nothing about accounts is revealed.
    http::Response webfinger(Context& ctx) {
        const auto& query = ctx.request().query;
        const auto resource = query.get("resource");
        if (!resource || resource->empty() || resource->size() > kMaxResourceBytes ||
            query.all("resource").size() != 1) {
            return ctx.error(400, "the resource parameter is required, once");
        }
        auto r = http::Response::json(
            oidc::webfinger_json(*resource, oidc_routes::issuer(s_.settings, ctx.request())));
        r.set_header("Content-Type", "application/jrd+json");
        return r;
    }

  private:
    struct Cache {
        std::string issuer;
        std::string body;
    };

    template <class Build>
    http::Response cached(Context& ctx, Cache& cache, Build build) {
        auto issuer = oidc_routes::issuer(s_.settings, ctx.request());
        if (cache.body.empty() || cache.issuer != issuer) {
            const auto input = oidc::default_discovery(issuer, s_.keys.signing_algs(),
                                                       /*registration_enabled=*/false);
            cache.body = build(input);
            cache.issuer = std::move(issuer);
        }
        auto r = http::Response::json(cache.body);
        r.set_header("Cache-Control", "public, max-age=300");
        return r;
    }

    Services& s_;
    Cache openid_;
    Cache oauth_;
};

}  // namespace

void register_oidc_discovery(WebApp& app, Services& services) {
    if (!services.settings.oidc.enable_oidc) return;
    auto route = std::make_shared<DiscoveryRoute>(services);
    app.get("/.well-known/openid-configuration",
            [route](Context& c) { return route->openid_configuration(c); });
    app.get("/.well-known/oauth-authorization-server",
            [route](Context& c) { return route->authorization_server(c); });
    app.get("/.well-known/webfinger", [route](Context& c) { return route->webfinger(c); });
}

}  // namespace canaille::app

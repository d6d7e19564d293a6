// SPDX-License-Identifier: MIT
// GET /oauth/jwks.json: the public parts of the active and inactive signing keys
// (reference §1b), so relying parties verify tokens signed before and after a rotation.
#include "app/web_app.hpp"

namespace canaille::app {

void register_oidc_keys(WebApp& app, Services& services) {
    if (!services.settings.oidc.enable_oidc) return;
    // Built once per worker: keys only change with a configuration reload (SIGHUP).
    auto body = std::make_shared<const std::string>(services.keys.public_jwks_json());
    app.get("/oauth/jwks.json", [body](Context&) {
        auto r = http::Response::json(*body);
        r.set_header("Content-Type", "application/jwk-set+json");
        r.set_header("Cache-Control", "public, max-age=300");
        return r;
    });
}

}  // namespace canaille::app

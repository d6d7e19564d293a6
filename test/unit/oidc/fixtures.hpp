// SPDX-License-Identifier: MIT
// Shared fixtures of the oidc unit tests: a fixed clock and typical clients.
#pragma once

#include "model/client.hpp"
#include "oidc/params.hpp"
#include "util/clock.hpp"

namespace canaille::oidc::test {

/// 2026-01-01T00:00:00Z: every test runs at the same instant.
inline TimePoint t0() { return from_unix(1767225600); }

inline model::Client confidential_client() {
    model::Client c;
    c.client_id = "app";
    c.client_secret = "s3cret-s3cret";
    c.redirect_uris = {"https://app.example/cb"};
    c.token_endpoint_auth_method = "client_secret_basic";
    c.grant_types = {"authorization_code", "refresh_token"};
    c.response_types = {"code"};
    c.scope = {"openid", "profile", "email"};
    return c;
}

inline model::Client public_client() {
    model::Client c = confidential_client();
    c.client_id = "spa";
    c.client_secret.reset();
    c.token_endpoint_auth_method = "none";
    return c;
}

}  // namespace canaille::oidc::test

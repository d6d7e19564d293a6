// SPDX-License-Identifier: MIT
// What the OIDC route files share: the issuer of a request, parameter copies for lib/oidc,
// JSON error answers, and client authentication at the token, introspection and revocation
// endpoints. The protocol rules themselves live in lib/oidc.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "app/web.hpp"
#include "model/client.hpp"
#include "model/user.hpp"
#include "oidc/claims.hpp"
#include "oidc/error.hpp"
#include "oidc/params.hpp"
#include "util/result.hpp"

namespace canaille::app::oidc_routes {

/// The issuer identifier (OIDC Discovery §3, RFC 8414 §2): PREFERRED_URL_SCHEME://SERVER_NAME
/// plus the mount prefix when SERVER_NAME is set, otherwise the request's scheme://host plus
/// the prefix. Never a trailing slash.
std::string issuer(const config::Settings& settings, const http::Request& request);

/// http::Params copied into the pure library's parameter list, arrival order kept.
oidc::Params to_params(const http::Params& params);

/// `name=value&...`, every part percent-encoded.
std::string encode_params(const oidc::Params& params);

/// A JSON response that no cache may keep (RFC 6749 §5.1: Cache-Control no-store, Pragma
/// no-cache).
http::Response no_store_json(std::string body, int status = 200);

/// An RFC 6749 §5.2 error answer. invalid_client carries `WWW-Authenticate: Basic` since
/// every 401 must name a scheme (RFC 7235 §3.1).
http::Response json_error(const oidc::Error& error);

/// Who may call an endpoint that authenticates clients.
enum class PublicClients { allowed, refused };

/// RFC 6749 §2.3: reads the credentials (Basic header or form), finds the client and
/// checks them. Every failure is invalid_client (or invalid_request for ambiguous input).
Result<model::Client, oidc::Error> authenticate_client(Context& ctx, const oidc::Params& form,
                                                       PublicClients public_clients);

/// Group display names of `user`, for the groups claim.
std::vector<std::string> group_names(store::Store& store, const model::User& user);

}  // namespace canaille::app::oidc_routes

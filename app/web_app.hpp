// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "app/web.hpp"
#include "http/router.hpp"

namespace canaille::app {

using RouteFn = std::function<http::Response(Context&)>;

/// The router plus the pipeline every request goes through.
class WebApp {
  public:
    explicit WebApp(Services& services) : services_(services) {}

    void add(std::string_view method, std::string pattern, RouteFn fn);
    void get(std::string pattern, RouteFn fn) { add("GET", std::move(pattern), std::move(fn)); }
    void post(std::string pattern, RouteFn fn) { add("POST", std::move(pattern), std::move(fn)); }

    /// One request, start to end; never throws.
    http::Response handle(http::Request& request);

  private:
    http::Response dispatch(Context& ctx);

    /// A log-correlation id, unique per process: a random start and a counter. Not a
    /// secret, so no random bytes per request (RAND_bytes cost ~10% of a small request).
    std::string next_request_id();

    Services& services_;
    http::Router router_;
    std::uint64_t request_ids_ = 0;
    /// The request being served; routes receive it through their router handler.
    /// Workers are single-threaded, so one slot suffices.
    Context* current_ = nullptr;
};

// Route groups, one file each under app/routes/.
void register_core_auth(WebApp& app, Services& services);
void register_core_pages(WebApp& app, Services& services);
void register_oidc_keys(WebApp& app, Services& services);
void register_oidc_discovery(WebApp& app, Services& services);
void register_oidc_authorize(WebApp& app, Services& services);
void register_oidc_token(WebApp& app, Services& services);
void register_oidc_userinfo(WebApp& app, Services& services);
/// Introspection (RFC 7662) and revocation (RFC 7009).
void register_oidc_introspect(WebApp& app, Services& services);
void register_oidc_consents(WebApp& app, Services& services);
/// OIDC admin pages (manage_oidc): clients and tokens.
void register_admin_clients(WebApp& app, Services& services);
void register_admin_tokens(WebApp& app, Services& services);

}  // namespace canaille::app

// SPDX-License-Identifier: MIT
// The request pipeline shared by every route: request id, host check, parsing with limits,
// session load, CSRF, security headers and the one error boundary per request.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "account/acl.hpp"
#include "app/services.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "model/session.hpp"
#include "model/user.hpp"
#include "view/view.hpp"

namespace canaille::app {

inline constexpr std::string_view kSessionCookie = "canaille";

/// Per-request state handed to routes: the signed-in user (if any) and session helpers.
class Context {
  public:
    Context(Services& services, http::Request& request);

    Services& services() { return services_; }
    http::Request& request() { return request_; }
    const config::Settings& settings() const { return services_.settings; }
    TimePoint now() const { return services_.clock->now(); }

    /// Loads the session named by the cookie; drops it when expired, its user is gone or
    /// locked.
    void load_session();

    const std::optional<model::User>& user() const { return user_; }
    const std::optional<model::Session>& session() const { return session_; }
    const account::Grants& grants() const { return grants_; }
    bool can(account::Permission p) const { return user_ && grants_.can(p); }

    /// The CSRF token for forms on this page (sets an anonymous cookie when needed).
    std::string csrf_token();
    /// Whether the submitted `csrf_token` field matches this browser's cookie.
    bool csrf_ok() const;

    /// Starts a fresh session for `user`: a new random id (rotation), the old one destroyed.
    void sign_in(const model::User& user, std::vector<std::string> amr, bool remember);
    /// Destroys the server-side session and clears the cookie.
    void sign_out();

    /// Cookies to add to the response (set by sign_in / sign_out / csrf_token).
    void apply_cookies(http::Response& response) const;

    /// Renders views/<name> inside the base layout with the common values (site name,
    /// prefix, signed-in user, CSRF token).
    http::Response page(const std::string& name, view::Dict dict, int status = 200);
    /// An error page (HTML) or JSON body for API paths.
    http::Response error(int status, std::string_view message);
    /// Redirect to an application path (the prefix is added).
    http::Response redirect(std::string_view app_path, int status = 302) const;

  private:
    void set_session_cookie(const std::string& value, long max_age);

    Services& services_;
    http::Request& request_;
    std::optional<model::Session> session_;
    std::optional<model::User> user_;
    account::Grants grants_;
    std::string cookie_value_;  ///< value of the browser's session cookie, new or old
    std::optional<http::Cookie> pending_cookie_;
};

/// True for paths answered in JSON (OAuth, SCIM, well-known, health).
bool is_api_path(std::string_view path);

/// A local redirect target from a `next` parameter: an absolute path under the prefix,
/// never a scheme-relative or absolute URL. Returns "" when unsafe.
std::string safe_next(const http::Request& request, std::string_view next);

/// Applies the security headers every response carries.
void add_security_headers(const http::Request& request, http::Response& response);

}  // namespace canaille::app

// SPDX-License-Identifier: MIT
#include "app/web.hpp"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "auth/csrf.hpp"
#include "util/hash.hpp"
#include "util/log.hpp"
#include "util/random.hpp"
#include "util/strings.hpp"

namespace canaille::app {

Context::Context(Services& services, http::Request& request)
    : services_(services), request_(request) {}

void Context::load_session() {
    const auto cookie = request_.cookie(kSessionCookie);
    if (!cookie || cookie->empty() || cookie->size() > 128) return;
    cookie_value_ = std::string(*cookie);
    auto session = services_.store->get_session(sha256_hex(cookie_value_), now());
    if (!session) return;
    auto user = services_.store->get_user(session->user_id);
    if (!user || user->locked(now())) {
        // A locked account loses its sessions (reference §7 "Lock").
        (void)services_.store->delete_session(session->id_hash);
        return;
    }
    std::vector<std::string> group_names;
    for (const auto& gid : user->groups) {
        if (auto g = services_.store->get_group(gid)) group_names.push_back(g->display_name);
    }
    grants_ = account::evaluate(services_.acl, *user, group_names);
    session_ = std::move(session);
    user_ = std::move(user);
}

std::string Context::csrf_token() {
    if (cookie_value_.empty()) {
        // Anonymous visitor: bind the token to a fresh random cookie that is not stored
        // server-side, so showing a form costs no write.
        cookie_value_ = random_token(32);
        set_session_cookie(cookie_value_, -1);
    }
    return auth::csrf_token(services_.settings.secret_key.reveal(), cookie_value_);
}

bool Context::csrf_ok() const {
    if (cookie_value_.empty()) return false;
    const auto token = request_.form.get("csrf_token");
    if (!token) return false;
    return auth::csrf_valid(services_.settings.secret_key.reveal(), cookie_value_, *token);
}

void Context::sign_in(const model::User& user, std::vector<std::string> amr, bool remember) {
    if (session_) (void)services_.store->delete_session(session_->id_hash);
    if (!cookie_value_.empty()) (void)services_.store->delete_session(sha256_hex(cookie_value_));

    const auto lifetime = std::chrono::seconds(services_.settings.permanent_session_lifetime);
    model::Session s;
    cookie_value_ = random_token(32);
    s.id_hash = sha256_hex(cookie_value_);
    s.user_id = user.id;
    s.created = now();
    s.last_seen = s.created;
    s.expires = s.created + lifetime;
    s.auth_time = s.created;
    s.amr = std::move(amr);
    s.csrf_secret = random_token(16);
    s.remember = remember;
    if (services_.store->create_session(s) != store::Status::ok) {
        throw store::StoreError("could not create the session");
    }
    set_session_cookie(cookie_value_, remember ? static_cast<long>(lifetime.count()) : -1);
    session_ = std::move(s);
    user_ = user;
}

void Context::sign_out() {
    if (session_) (void)services_.store->delete_session(session_->id_hash);
    session_.reset();
    user_.reset();
    grants_ = {};
    cookie_value_.clear();
    set_session_cookie("", 0);
}

void Context::set_session_cookie(const std::string& value, long max_age) {
    http::Cookie c;
    c.name = std::string(kSessionCookie);
    c.value = value;
    c.path = request_.script_name.empty() ? "/" : request_.script_name + "/";
    c.max_age = max_age;
    c.http_only = true;
    c.secure = request_.is_secure();
    c.same_site = http::SameSite::lax;
    pending_cookie_ = std::move(c);
}

void Context::apply_cookies(http::Response& response) const {
    if (pending_cookie_) response.set_cookie(*pending_cookie_);
}

http::Response Context::page(const std::string& name, view::Dict dict, int status) {
    const auto& s = services_.settings;
    dict.set("SITE_NAME", s.canaille.name);
    dict.set("PREFIX", request_.script_name);
    dict.set("STATIC", request_.url_for("/static"));
    dict.set("LOGO", s.canaille.logo);
    // Anonymous pages without a form get no cookie; forms set CSRF_TOKEN themselves.
    if (user_ && dict.values().count("CSRF_TOKEN") == 0) dict.set("CSRF_TOKEN", csrf_token());
    if (user_) {
        view::Dict u;
        u.set("USER_NAME", user_->user_name);
        u.set("PROFILE_URL", request_.url_for("/profile/" + url_encode(user_->user_name)));
        u.set("LOGOUT_URL", request_.url_for("/logout"));
        if (can(account::Permission::manage_oidc)) {
            view::Dict a;
            a.set("URL", request_.url_for("/admin/client/"));
            u.add_section("CAN_MANAGE_OIDC", std::move(a));
        }
        dict.add_section("SIGNED_IN", std::move(u));
    } else {
        dict.show("ANONYMOUS");
    }
    auto response = http::Response::html(services_.views->render_page(name, dict), status);
    response.set_header("Cache-Control", "no-store");
    return response;
}

http::Response Context::error(int status, std::string_view message) {
    if (is_api_path(request_.path)) {
        std::string body = R"({"error":")";
        body += status >= 500 ? "server_error" : "invalid_request";
        body += R"(","error_description":")" + json_escape(message) + "\"}";
        return http::Response::json(std::move(body), status);
    }
    view::Dict d;
    d.set("TITLE", std::string(http::status_reason(status)));
    d.set("STATUS", std::to_string(status));
    d.set("MESSAGE", std::string(message));
    try {
        return page("error.html", std::move(d), status);
    } catch (const std::exception&) {
        // The error page itself failed (e.g. a broken template): plain text still answers.
        return http::Response::text(std::string(message), status);
    }
}

http::Response Context::redirect(std::string_view app_path, int status) const {
    return http::Response::redirect(request_.url_for(app_path), status);
}

bool is_api_path(std::string_view path) {
    return starts_with(path, "/oauth/") || starts_with(path, "/scim/") ||
           starts_with(path, "/.well-known/") || path == "/health";
}

std::string safe_next(const http::Request& request, std::string_view next) {
    // Only "/x..." under our prefix; "//host" and "/\host" are scheme-relative in browsers.
    if (next.empty() || next.size() > 2048 || next.front() != '/') return "";
    if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return "";
    for (const char c : next) {
        if (static_cast<unsigned char>(c) < 0x20 || c == '\\') return "";
    }
    const auto& prefix = request.script_name;
    if (!prefix.empty()) {
        if (!starts_with(next, prefix)) return "";
        const auto rest = next.substr(prefix.size());
        if (!rest.empty() && rest.front() != '/' && rest.front() != '?') return "";
    }
    return std::string(next);
}

namespace {

using HeaderPair = std::pair<std::string, std::string>;

// Built once: every response carries them, and building them per request cost a string
// construction and a full header scan apiece.
const HeaderPair& csp_header() {
    static const HeaderPair header{"Content-Security-Policy",
                                   "default-src 'self'; img-src 'self' data: https:; "
                                   "font-src 'self' data:; object-src 'none'; base-uri 'self'; "
                                   "frame-ancestors 'self'"};
    return header;
}

const std::vector<HeaderPair>& fixed_headers() {
    static const std::vector<HeaderPair> headers{
        {"X-Frame-Options", "SAMEORIGIN"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "same-origin"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
    };
    return headers;
}

const HeaderPair& hsts_header() {
    static const HeaderPair header{"Strict-Transport-Security",
                                   "max-age=31536000; includeSubDomains"};
    return header;
}

}  // namespace

void add_security_headers(const http::Request& request, http::Response& response) {
    // One scan of what the route set; the common case (none of ours present) appends copies.
    bool has_csp = false;
    bool has_fixed = false;
    bool has_hsts = false;
    for (const auto& [name, value] : response.headers) {
        if (iequals(name, csp_header().first)) {
            has_csp = true;
        } else if (iequals(name, hsts_header().first)) {
            has_hsts = true;
        } else {
            for (const auto& f : fixed_headers()) {
                if (iequals(name, f.first)) has_fixed = true;
            }
        }
    }
    response.headers.reserve(response.headers.size() + fixed_headers().size() + 2);
    // A route's own Content-Security-Policy stands; the other headers replace a route's.
    if (!has_csp) response.headers.push_back(csp_header());
    if (has_fixed) {
        for (const auto& f : fixed_headers()) response.set_header(f.first, f.second);
    } else {
        response.headers.insert(response.headers.end(), fixed_headers().begin(),
                                fixed_headers().end());
    }
    if (request.is_secure()) {
        if (has_hsts) {
            response.set_header(hsts_header().first, hsts_header().second);
        } else {
            response.headers.push_back(hsts_header());
        }
    }
}

}  // namespace canaille::app

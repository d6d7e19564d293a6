// SPDX-License-Identifier: MIT
// The in-process test harness for routes: a server under test (the whole request pipeline,
// a real SQLite store in a temp dir, real signing keys) plus a browser with a cookie jar.
#pragma once

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/services.hpp"
#include "app/web.hpp"
#include "auth/password.hpp"
#include "jose/jwk.hpp"
#include "util/base64.hpp"
#include "util/clock.hpp"
#include "util/strings.hpp"

namespace canaille::test {

struct TempDir {
    std::string path;
    TempDir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "canaille-app-XXXXXX").string();
        path = mkdtemp(tmpl.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

using Headers = std::map<std::string, std::string>;

/// A server under test plus a browser with a cookie jar.
class Harness {
  public:
    explicit Harness(const std::string& extra_yaml = "", std::string prefix = "")
        : prefix_(std::move(prefix)) {
        // One RSA key for the whole run: generating one per test would dominate its time.
        static const std::string key = jose::Jwk::generate_rsa(2048).to_private_json();
        std::ofstream(dir_.path + "/jwks.json") << key;
        database_uri_ = "sqlite:///" + dir_.path + "/db.sqlite";
        const auto yaml =
            "SECRET_KEY: 'test-secret-key-0123456789abcdef'\n"
            "CANAILLE_OIDC:\n  ACTIVE_JWKS: '" +
            dir_.path +
            "/jwks.json'\n"
            "CANAILLE_SQL:\n  DATABASE_URI: '" +
            database_uri_ + "'\n" + extra_yaml;
        auto settings = config::load_string(yaml, {});
        if (!settings) FAIL(settings.error().front().format());
        services_ = app::build_services(std::move(*settings));
        services_->argon2 = auth::Argon2Params{1, 256, 1};
        services_->store->install();
        handler_ = app::make_web_app(*services_);
    }

    store::Store& store() { return *services_->store; }
    app::Services& services() { return *services_; }

    /// Switches the server to a clock that moves only when told (expiry tests). The store
    /// is reopened on it; the routes reach the store through the services, so they follow.
    FakeClock& fake_clock() {
        if (fake_ == nullptr) {
            services_->store.reset();
            auto clock = std::make_unique<FakeClock>(std::chrono::system_clock::now());
            fake_ = clock.get();
            services_->clock = std::move(clock);
            services_->store = store::open_store(database_uri_, *services_->clock);
        }
        return *fake_;
    }

    model::User add_user(const std::string& name, const std::string& password,
                         std::vector<std::string> emails = {}) {
        model::User u;
        u.user_name = name;
        u.emails = std::move(emails);
        u.password = auth::hash_password(password, services_->argon2);
        REQUIRE(store().create_user(u) == store::Status::ok);
        return u;
    }

    http::Response request(const std::string& method, const std::string& target,
                           const std::string& body = "",
                           const std::string& content_type = "application/x-www-form-urlencoded",
                           const std::string& host = "", const Headers& headers = {}) {
        http::Request r;
        r.method = method;
        r.script_name = prefix_;
        const auto q = target.find('?');
        r.path = target.substr(0, q);
        if (q != std::string::npos) r.query_string = target.substr(q + 1);
        r.host = host.empty() ? "localhost" : host;
        r.remote_addr = "127.0.0.1";
        r.body = body;
        if (!body.empty()) r.headers["content-type"] = content_type;
        for (const auto& [k, v] : headers) r.headers[to_lower(k)] = v;
        std::string cookie_header;
        for (const auto& [k, v] : jar_) {
            if (!cookie_header.empty()) cookie_header += "; ";
            cookie_header += k + "=" + v;
        }
        if (!cookie_header.empty()) r.headers["cookie"] = cookie_header;
        auto resp = handler_(r);
        for (const auto& [name, value] : resp.headers) {
            if (!iequals(name, "set-cookie")) continue;
            const auto eq = value.find('=');
            const auto semi = value.find(';');
            const auto k = value.substr(0, eq);
            const auto v = value.substr(eq + 1, semi - eq - 1);
            if (value.find("Max-Age=0") != std::string::npos) {
                jar_.erase(k);
            } else {
                jar_[k] = v;
            }
        }
        return resp;
    }

    /// A form POST with extra headers (Authorization), as an API client sends it.
    http::Response post(const std::string& target, const std::string& body,
                        const Headers& headers = {}) {
        return request("POST", target, body, "application/x-www-form-urlencoded", "", headers);
    }

    std::string csrf() {
        const auto page = request("GET", "/login").body;
        return csrf_in(page);
    }

    /// The value of the first csrf_token field of a page.
    static std::string csrf_in(const std::string& page) {
        const std::string marker = "name=\"csrf_token\" value=\"";
        const auto at = page.find(marker);
        REQUIRE(at != std::string::npos);
        const auto start = at + marker.size();
        return page.substr(start, page.find('"', start) - start);
    }

    http::Response login(const std::string& login, const std::string& password,
                         const std::string& query = "") {
        const auto token = csrf();
        return request("POST", "/login" + query,
                       "csrf_token=" + url_encode(token) + "&login=" + url_encode(login) +
                           "&password=" + url_encode(password));
    }

    std::map<std::string, std::string>& jar() { return jar_; }

  private:
    TempDir dir_;
    std::string prefix_;
    std::string database_uri_;
    std::unique_ptr<app::Services> services_;
    http::Handler handler_;
    std::map<std::string, std::string> jar_;
    FakeClock* fake_ = nullptr;
};

inline bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

// ---- OAuth / OIDC helpers -------------------------------------------------------------

inline constexpr const char* kSecret = "s3cret-s3cret-s3cret";
inline constexpr const char* kRedirect = "https://app.example/cb";

/// A confidential client registered like `canaille create client` would.
inline model::Client add_client(Harness& h, const std::string& client_id = "app",
                                const std::string& method = "client_secret_basic",
                                std::vector<std::string> redirect_uris = {kRedirect}) {
    model::Client c;
    c.client_id = client_id;
    c.client_name = "The " + client_id;
    if (method != "none") c.client_secret = kSecret;
    c.token_endpoint_auth_method = method;
    c.redirect_uris = std::move(redirect_uris);
    c.grant_types = {"authorization_code", "refresh_token", "client_credentials", "password"};
    c.scope = {"openid", "profile", "email", "groups"};
    c.client_uri = "https://app.example/";
    c.tos_uri = "https://app.example/tos";
    REQUIRE(h.store().create_client(c) == store::Status::ok);
    return c;
}

inline std::string basic(const std::string& id, const std::string& secret) {
    return "Basic " + base64_encode(url_encode(id) + ":" + url_encode(secret));
}

/// The decoded query (or fragment) parameters of a URL.
inline std::map<std::string, std::string> url_params(const std::string& url) {
    std::map<std::string, std::string> out;
    const auto q = url.find_first_of("?#");
    if (q == std::string::npos) return out;
    for (const auto part : split(std::string_view(url).substr(q + 1), '&')) {
        const auto eq = part.find('=');
        bool ok = true;
        const auto k = url_decode(part.substr(0, eq), true, ok);
        out[k] = eq == std::string_view::npos ? "" : url_decode(part.substr(eq + 1), true, ok);
    }
    return out;
}

inline std::string html_unescape(std::string s) {
    const std::pair<const char*, const char*> entities[] = {
        {"&quot;", "\""}, {"&#39;", "'"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}};
    for (const auto& [from, to] : entities) {
        for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + 1)) {
            s.replace(at, std::string_view(from).size(), to);
        }
    }
    return s;
}

/// The action attribute of the first form with a method="post" after `marker`.
inline std::string form_action(const std::string& page, const std::string& marker = "") {
    auto at = marker.empty() ? 0 : page.find(marker);
    REQUIRE(at != std::string::npos);
    at = page.find("action=\"", at);
    REQUIRE(at != std::string::npos);
    at += 8;
    return html_unescape(page.substr(at, page.find('"', at) - at));
}

/// Percent-encoded query of an authorization request.
inline std::string authorize_query(const std::map<std::string, std::string>& params) {
    std::string q;
    for (const auto& [k, v] : params) {
        if (!q.empty()) q += "&";
        q += url_encode(k) + "=" + url_encode(v);
    }
    return q;
}

}  // namespace canaille::test

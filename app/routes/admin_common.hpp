// SPDX-License-Identifier: MIT
// Shared by the OIDC admin pages (reference §1b "clients.py", "tokens.py"): the permission
// guard, paging and date display.
#pragma once

#include <ctime>
#include <optional>
#include <string>

#include "app/web.hpp"
#include "util/strings.hpp"

namespace canaille::app::admin {

inline constexpr std::size_t kPerPage = 25;
inline constexpr std::string_view kNotFound = "The page you are looking for does not exist.";
inline constexpr std::string_view kBadCsrf =
    "The form has expired or its CSRF token is invalid; please reload the page and try again.";

/// Every admin route and action starts here: anonymous people go to the sign-in page, people
/// without manage_oidc get a 403. Returns the response to send, or nullopt to go on.
inline std::optional<http::Response> guard(Context& ctx) {
    if (!ctx.user()) {
        auto next = ctx.request().url_for(ctx.request().path);
        if (ctx.request().method == "GET" && !ctx.request().query_string.empty()) {
            next += "?" + ctx.request().query_string;
        }
        return http::Response::redirect(ctx.request().url_for("/login") +
                                        "?next=" + url_encode(next));
    }
    if (!ctx.can(account::Permission::manage_oidc)) {
        return ctx.error(403, "You are not allowed to manage OpenID Connect clients and tokens.");
    }
    return std::nullopt;
}

/// The 1-based page number of a listing; nullopt when not a positive integer.
inline std::optional<std::size_t> page_number(std::string_view raw) {
    if (raw.empty()) return 1;
    if (raw.size() > 9) return std::nullopt;
    std::size_t n = 0;
    for (const char c : raw) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    if (n == 0) return std::nullopt;
    return n;
}

/// Fills PAGER (previous/next links, "page x of y") for a listing at `base`.
inline void add_pager(view::Dict& d, const std::string& base, const std::string& q,
                      std::size_t page, std::size_t pages, std::size_t total) {
    view::Dict p;
    p.set("PAGE", std::to_string(page));
    p.set("PAGES", std::to_string(pages));
    p.set("TOTAL", std::to_string(total));
    const auto link = [&](std::size_t n) {
        std::string url = base + "?page=" + std::to_string(n);
        if (!q.empty()) url += "&q=" + url_encode(q);
        return url;
    };
    if (page > 1) {
        view::Dict l;
        l.set("URL", link(page - 1));
        p.add_section("PREV", std::move(l));
    }
    if (page < pages) {
        view::Dict l;
        l.set("URL", link(page + 1));
        p.add_section("NEXT", std::move(l));
    }
    d.add_section("PAGER", std::move(p));
}

inline std::string date_time(TimePoint t) {
    const std::time_t s = to_unix(t);
    std::tm tm{};
    gmtime_r(&s, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

}  // namespace canaille::app::admin

// SPDX-License-Identifier: MIT
#include "app/web_app.hpp"

#include <exception>

#include "http/parse.hpp"
#include "util/hash.hpp"
#include "util/log.hpp"
#include "util/random.hpp"
#include "util/strings.hpp"

namespace canaille::app {

void WebApp::add(std::string_view method, std::string pattern, RouteFn fn) {
    router_.add(method, std::move(pattern),
                [this, fn = std::move(fn)](http::Request&) { return fn(*current_); });
}

namespace {

/// Host check (reference §1d): a request for another host name is sent to SERVER_NAME.
std::optional<http::Response> check_host(const config::Settings& s, const http::Request& req) {
    if (!s.server_name || req.host.empty() || iequals(req.host, *s.server_name)) {
        return std::nullopt;
    }
    if (req.method == "GET" || req.method == "HEAD") {
        std::string location = req.scheme + "://" + *s.server_name + req.url_for(req.path);
        if (!req.query_string.empty()) location += "?" + req.query_string;
        return http::Response::redirect(std::move(location), 302);
    }
    return http::Response::text("unknown host", 400);
}

bool is_shared_cacheable(const http::Response& response) {
    for (const auto& [name, value] : response.headers) {
        if (iequals(name, "Cache-Control")) return value.find("public") != std::string::npos;
    }
    return false;
}

}  // namespace

http::Response WebApp::dispatch(Context& ctx) {
    auto& req = ctx.request();
    if (auto r = check_host(services_.settings, req)) return std::move(*r);

    http::Limits limits;
    // The front doors have parsed already; in-process callers (tests) have not.
    if (auto parsed = req.params_parsed ? Result<void, http::ParseError>{}
                                        : http::parse_request_params(req, limits);
        !parsed) {
        return ctx.error(parsed.error().status, parsed.error().reason);
    }
    ctx.load_session();

    const auto match = router_.match(req);
    switch (match.outcome) {
        case http::Router::Outcome::not_found:
            return ctx.error(404, "The page you are looking for does not exist.");
        case http::Router::Outcome::method_not_allowed: {
            auto r = ctx.error(405, "This method is not allowed here.");
            r.set_header("Allow", match.allow);
            return r;
        }
        case http::Router::Outcome::found:
            break;
    }
    current_ = &ctx;
    auto response = (*match.handler)(req);
    current_ = nullptr;
    return response;
}

std::string WebApp::next_request_id() {
    if (request_ids_ == 0) {
        // Seeded after the fork (the app is built in each worker), so workers differ.
        for (const auto b : random_bytes(8)) {
            request_ids_ = (request_ids_ << 8) | static_cast<unsigned char>(b);
        }
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id(16, '0');
    std::uint64_t v = request_ids_++;
    for (int i = 15; i >= 0; --i, v >>= 4) id[static_cast<std::size_t>(i)] = kHex[v & 0xf];
    return id;
}

http::Response WebApp::handle(http::Request& request) {
    const auto request_id = next_request_id();
    Context ctx(services_, request);
    http::Response response;
    try {
        response = dispatch(ctx);
    } catch (const std::exception& e) {
        // The one error boundary per request: log with the id, answer without details.
        current_ = nullptr;
        log::error("request " + request_id + " " + request.method + " " + request.path +
                   " failed: " + e.what());
        try {
            response = ctx.error(500, "An internal error occurred (request " + request_id + ").");
        } catch (const std::exception&) {
            response = http::Response::text("internal error", 500);
        }
    }
    ctx.apply_cookies(response);
    add_security_headers(request, response);
    // A response that shared caches may keep (discovery, JWKS: nginx caches them) is
    // served to many requests: a per-request id in it would be wrong for all but one.
    if (!is_shared_cacheable(response)) response.set_header("X-Request-Id", request_id);
    return response;
}

}  // namespace canaille::app

// SPDX-License-Identifier: MIT
#include "http/router.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "util/strings.hpp"

namespace canaille::http {

namespace {

/// "/a/b/" -> {"a", "b", ""}: a trailing slash is a segment of its own, so "/groups" and
/// "/groups/" are different routes, as in Canaille.
std::vector<std::string_view> path_segments(std::string_view path) {
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    return split(path, '/');
}

bool is_capture(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '<' && segment.back() == '>';
}

/// Matches and, when `captures` is given, records the captured segments.
bool matches(const std::vector<std::string>& pattern, const std::vector<std::string_view>& path,
             std::map<std::string, std::string, std::less<>>* captures) {
    if (pattern.size() != path.size()) return false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (is_capture(pattern[i])) {
            if (path[i].empty()) return false;
        } else if (pattern[i] != path[i]) {
            return false;
        }
    }
    if (captures) {
        for (std::size_t i = 0; i < pattern.size(); ++i) {
            if (is_capture(pattern[i])) {
                const auto& p = pattern[i];
                (*captures)[p.substr(1, p.size() - 2)] = std::string(path[i]);
            }
        }
    }
    return true;
}

/// Literal segments beat captures, left to right: "/users/new" wins over "/users/<id>".
bool more_specific(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
        const bool ca = is_capture(a[i]);
        const bool cb = is_capture(b[i]);
        if (ca != cb) return cb;
    }
    return false;
}

}  // namespace

void Router::add(std::string_view method, std::string pattern, Handler handler) {
    if (pattern.empty() || pattern.front() != '/') {
        throw std::invalid_argument("route pattern must start with '/': " + pattern);
    }
    Route route;
    route.method = std::string(method);
    for (const auto segment : path_segments(pattern)) route.segments.emplace_back(segment);
    route.handler = std::move(handler);
    routes_.push_back(std::move(route));
}

Router::Match Router::match(Request& request) const {
    const auto segments = path_segments(request.path);
    // RFC 9110 §9.3.2: HEAD is GET without the body.
    const bool head = request.method == "HEAD";
    const Route* best = nullptr;
    bool best_exact = false;
    std::set<std::string> allowed;
    for (const auto& route : routes_) {
        if (!matches(route.segments, segments, nullptr)) continue;
        allowed.insert(route.method);
        const bool exact = route.method == request.method;
        if (!exact && !(head && route.method == "GET")) continue;
        // A route registered for HEAD itself beats the GET fallback at equal specificity.
        if (!best || more_specific(route.segments, best->segments) ||
            (exact && !best_exact && !more_specific(best->segments, route.segments))) {
            best = &route;
            best_exact = exact;
        }
    }
    Match result;
    if (best) {
        request.route_params.clear();
        matches(best->segments, segments, &request.route_params);
        result.outcome = Outcome::found;
        result.handler = &best->handler;
        return result;
    }
    if (allowed.empty()) return result;
    if (allowed.count("GET")) allowed.insert("HEAD");
    result.outcome = Outcome::method_not_allowed;
    for (const auto& m : allowed) {
        if (!result.allow.empty()) result.allow.append(", ");
        result.allow.append(m);
    }
    return result;
}

}  // namespace canaille::http

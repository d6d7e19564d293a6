// SPDX-License-Identifier: MIT
#include "oidc/trusted.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace canaille::oidc {

namespace {

struct Authority {
    std::string scheme;
    std::string host;  // lowercase, no brackets
    bool ipv6 = false;
    std::string port;  // digits or empty
};

bool scheme_char(char c, bool first) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (first) return alpha;
    return alpha || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

// RFC 3986 §3.2.2 reg-name / IPv4 characters: unreserved, pct-encoded, sub-delims.
bool host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("-._~%!$&'()*+,;=").find(c) != std::string_view::npos;
}

std::optional<Authority> parse_authority(std::string_view uri) {
    if (uri.size() > 8192) return std::nullopt;
    const auto colon = uri.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    for (std::size_t i = 0; i < colon; ++i) {
        if (!scheme_char(uri[i], i == 0)) return std::nullopt;
    }
    if (uri.substr(colon + 1, 2) != "//") return std::nullopt;
    Authority out;
    out.scheme = to_lower(uri.substr(0, colon));
    auto rest = uri.substr(colon + 3);
    auto authority = rest.substr(0, rest.find_first_of("/?#"));
    // Anything outside RFC 3986 authority characters (a backslash, a space...) is refused:
    // browsers read "https://evil\@good/" as host "evil", a naive parser as "good".
    const bool clean = std::all_of(authority.begin(), authority.end(), [](char c) {
        return host_char(c) || c == ':' || c == '@' || c == '[' || c == ']';
    });
    if (!clean) return std::nullopt;
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        authority = authority.substr(at + 1);
    }
    std::string_view host;
    std::string_view after;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = authority.substr(1, close - 1);
        after = authority.substr(close + 1);
        if (host.empty() ||
            host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
            return std::nullopt;
        }
        out.ipv6 = true;
    } else {
        const auto c = authority.find(':');
        host = authority.substr(0, c);
        after = c == std::string_view::npos ? std::string_view{} : authority.substr(c);
        if (!std::all_of(host.begin(), host.end(), host_char)) return std::nullopt;
    }
    if (!after.empty()) {
        if (after.front() != ':') return std::nullopt;
        out.port = std::string(after.substr(1));
        if (out.port.size() > 5 || out.port.find_first_not_of("0123456789") != std::string::npos) {
            return std::nullopt;
        }
    }
    out.host = to_lower(host);
    if (!out.ipv6 && !out.host.empty() && out.host.back() == '.') out.host.pop_back();
    if (out.host.empty()) return std::nullopt;
    return out;
}

std::string normalise_pattern(std::string_view pattern) {
    std::string p = to_lower(trim(pattern));
    if (p.size() >= 2 && p.front() == '[' && p.back() == ']') p = p.substr(1, p.size() - 2);
    return p;
}

}  // namespace

std::optional<std::string> uri_host(std::string_view uri) {
    auto a = parse_authority(uri);
    if (!a) return std::nullopt;
    return a->host;
}

std::optional<std::string> uri_origin(std::string_view uri) {
    auto a = parse_authority(uri);
    if (!a) return std::nullopt;
    std::string out = a->scheme + "://" + (a->ipv6 ? "[" + a->host + "]" : a->host);
    const bool default_port = a->port.empty() || (a->scheme == "http" && a->port == "80") ||
                              (a->scheme == "https" && a->port == "443");
    if (!default_port) out += ":" + a->port;
    return out;
}

bool host_matches(std::string_view host, std::string_view pattern) {
    const std::string h = normalise_pattern(host);
    const std::string p = normalise_pattern(pattern);
    if (h.empty() || p.empty()) return false;
    if (p.front() == '.') {
        const std::string_view base = std::string_view(p).substr(1);
        if (base.empty()) return false;
        if (h == base) return true;
        return h.size() > p.size() && h.compare(h.size() - p.size(), p.size(), p) == 0;
    }
    return h == p;
}

bool is_trusted(const model::Client& client, const std::vector<std::string>& trusted_domains) {
    std::vector<std::string_view> uris;
    if (client.client_uri && !client.client_uri->empty()) uris.push_back(*client.client_uri);
    for (const auto& r : client.redirect_uris) uris.push_back(r);
    if (uris.empty() || trusted_domains.empty()) return false;
    return std::all_of(uris.begin(), uris.end(), [&](std::string_view uri) {
        auto host = uri_host(uri);
        if (!host) return false;
        return std::any_of(trusted_domains.begin(), trusted_domains.end(),
                           [&](const std::string& d) { return host_matches(*host, d); });
    });
}

}  // namespace canaille::oidc

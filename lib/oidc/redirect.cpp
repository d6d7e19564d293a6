// SPDX-License-Identifier: MIT
#include "oidc/redirect.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace canaille::oidc {

std::string_view to_string(ResponseMode mode) {
    return mode == ResponseMode::fragment ? "fragment" : "query";
}

bool redirect_uri_registered(const model::Client& client, std::string_view uri) {
    return std::any_of(client.redirect_uris.begin(), client.redirect_uris.end(),
                       [&](const std::string& r) { return r == uri; });
}

std::string build_redirect(std::string_view uri, const Params& params, ResponseMode mode) {
    if (params.empty()) return std::string(uri);
    std::string out(uri.substr(0, uri.find('#')));
    if (mode == ResponseMode::fragment) {
        out += '#';
    } else {
        const auto q = out.find('?');
        if (q == std::string::npos) {
            out += '?';
        } else if (q + 1 != out.size() && out.back() != '&') {
            out += '&';
        }
    }
    bool first = true;
    for (const auto& [k, v] : params) {
        if (!first) out += '&';
        first = false;
        out += url_encode(k);
        out += '=';
        out += url_encode(v);
    }
    return out;
}

}  // namespace canaille::oidc

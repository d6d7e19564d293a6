// SPDX-License-Identifier: MIT
#include "oidc/scope.hpp"

#include <algorithm>

namespace canaille::oidc {

namespace {

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
bool scope_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == 0x21 || (u >= 0x23 && u <= 0x5b) || (u >= 0x5d && u <= 0x7e);
}

}  // namespace

Result<Scopes, Error> parse_scope(std::string_view text) {
    if (text.size() > kMaxScopeBytes) {
        return unexpected(Error{Errc::invalid_scope, "scope too long"});
    }
    Scopes out;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == ' ') {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < text.size() && text[j] != ' ') {
            if (!scope_char(text[j])) {
                return unexpected(Error{Errc::invalid_scope, "invalid character in scope"});
            }
            ++j;
        }
        std::string token(text.substr(i, j - i));
        if (!has_scope(out, token)) out.push_back(std::move(token));
        i = j;
    }
    return out;
}

std::string join_scope(const Scopes& scopes) {
    std::string out;
    for (const auto& s : scopes) {
        if (!out.empty()) out += ' ';
        out += s;
    }
    return out;
}

bool has_scope(const Scopes& scopes, std::string_view scope) {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

bool scopes_cover(const Scopes& have, const Scopes& wanted) {
    return std::all_of(wanted.begin(), wanted.end(),
                       [&](const std::string& s) { return has_scope(have, s); });
}

Scopes granted_scopes(const Scopes& requested, const Scopes& client_scope) {
    if (requested.empty()) return client_scope;
    if (client_scope.empty()) return requested;
    Scopes out;
    for (const auto& s : requested) {
        if (has_scope(client_scope, s) && !has_scope(out, s)) out.push_back(s);
    }
    return out;
}

Scopes merge_scopes(const Scopes& a, const Scopes& b) {
    Scopes out;
    for (const auto* list : {&a, &b}) {
        for (const auto& s : *list) {
            if (!has_scope(out, s)) out.push_back(s);
        }
    }
    return out;
}

}  // namespace canaille::oidc

// SPDX-License-Identifier: MIT
#include "store/store.hpp"

#include <array>

#include "store/ldap/ldap_store.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "util/strings.hpp"

namespace canaille::store {

std::string_view to_string(Status s) {
    switch (s) {
        case Status::ok:
            return "ok";
        case Status::not_found:
            return "not_found";
        case Status::already_exists:
            return "already_exists";
        case Status::conflict:
            return "conflict";
        case Status::invalid:
            return "invalid";
    }
    return "unknown";
}

namespace {

/// "sqlite:///abs/path" → "/abs/path"; "sqlite:rel/path" → "rel/path";
/// "sqlite::memory:" → ":memory:". `rest` is what follows "sqlite:".
std::unique_ptr<Store> open_sqlite(std::string_view uri, std::string_view rest,
                                   const Clock& clock) {
    std::string_view path;
    if (rest.substr(0, 2) == "//") {
        // Only the empty authority is meaningful for a local file: "sqlite:///path".
        path = rest.substr(2);
        if (path.empty() || path.front() != '/') {
            throw StoreError("invalid sqlite URI '" + std::string(uri) +
                             "': use sqlite:///absolute/path or sqlite:relative/path");
        }
    } else {
        path = rest;
    }
    if (path.empty()) throw StoreError("invalid sqlite URI '" + std::string(uri) + "': no path");
    return std::make_unique<SqliteStore>(std::string(path), clock);
}

/// LDAP needs a bind DN, bases and classes besides the URI: it is opened from the
/// CANAILLE_LDAP settings through open_ldap_store, never from a bare URI.
std::unique_ptr<Store> refuse_ldap(std::string_view uri, std::string_view, const Clock&) {
    throw StoreError("unsupported database URI scheme '" +
                     std::string(uri.substr(0, uri.find(':'))) +
                     "': LDAP is not opened from a database URI; configure it in the "
                     "CANAILLE_LDAP section (URI, ROOT_DN, BIND_DN, USER_BASE, GROUP_BASE...)");
}

using Opener = std::unique_ptr<Store> (*)(std::string_view uri, std::string_view rest,
                                          const Clock& clock);

struct Backend {
    std::string_view scheme;  ///< without the ':'
    Opener open;
};

// A new backend adds one line here (PostgreSQL: "postgresql", LDAP: "ldap", "ldaps").
constexpr std::array kBackends = {
    Backend{"sqlite", &open_sqlite},     Backend{"postgresql", &open_postgres},
    Backend{"postgres", &open_postgres}, Backend{"ldap", &refuse_ldap},
    Backend{"ldaps", &refuse_ldap},      Backend{"ldapi", &refuse_ldap},
};

}  // namespace

std::unique_ptr<Store> open_store(std::string_view uri, const Clock& clock) {
    auto colon = uri.find(':');
    if (colon == std::string_view::npos) {
        throw StoreError("invalid database URI '" + std::string(uri) + "': no scheme");
    }
    std::string_view scheme = uri.substr(0, colon);
    for (const auto& backend : kBackends) {
        // RFC 3986 §3.1: schemes are case-insensitive.
        if (iequals(backend.scheme, scheme)) return backend.open(uri, uri.substr(colon + 1), clock);
    }
    throw StoreError("unsupported database URI scheme '" + std::string(scheme) +
                     "' (supported: sqlite, postgresql; LDAP through CANAILLE_LDAP)");
}

std::unique_ptr<Store> open_ldap_store(const LdapOptions& options, const Clock& clock) {
    return std::make_unique<LdapStore>(options, clock);
}

}  // namespace canaille::store

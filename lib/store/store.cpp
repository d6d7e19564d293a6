// SPDX-License-Identifier: MIT
#include "store/store.hpp"

#include <array>

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

using Opener = std::unique_ptr<Store> (*)(std::string_view uri, std::string_view rest,
                                          const Clock& clock);

struct Backend {
    std::string_view scheme;  ///< without the ':'
    Opener open;
};

// A new backend adds one line here (PostgreSQL: "postgresql", LDAP: "ldap", "ldaps").
constexpr std::array kBackends = {
    Backend{"sqlite", &open_sqlite},
    Backend{"postgresql", &open_postgres},
    Backend{"postgres", &open_postgres},
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
                     "' (supported: sqlite, postgresql)");
}

}  // namespace canaille::store

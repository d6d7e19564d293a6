// SPDX-License-Identifier: MIT
// The composition root: the only place that reads the whole configuration, picks a store
// backend and builds the objects every route is given.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "account/acl.hpp"
#include "auth/password.hpp"
#include "config/settings.hpp"
#include "http/router.hpp"
#include "jose/keyset.hpp"
#include "store/store.hpp"
#include "util/clock.hpp"
#include "view/view.hpp"

namespace canaille::app {

/// Where templates and static files live: CANAILLE_VIEWS_DIR / CANAILLE_ASSETS_DIR, else
/// the installed data dir, else the source tree the binary was built from.
std::string views_dir();
std::string assets_dir();
/// Where the LDAP schemas (.ldif) are: CANAILLE_LDAP_SCHEMA_DIR, the installed copy, or the
/// source tree.
std::string ldap_schemas_dir();

/// Opens the store the settings name: the LDAP directory of CANAILLE_LDAP when
/// settings.uses_ldap(), else CANAILLE_SQL.DATABASE_URI. Throws store::StoreError.
std::unique_ptr<store::Store> open_configured_store(const config::Settings& settings,
                                                    const Clock& clock);
/// A human description of that store for messages (never a password).
std::string describe_store(const config::Settings& settings);

/// Everything a worker needs, built once per process.
struct Services {
    config::Settings settings;
    std::unique_ptr<Clock> clock;
    std::unique_ptr<store::Store> store;
    std::unique_ptr<view::Renderer> views;
    std::vector<account::AclRule> acl;
    auth::Argon2Params argon2;
    /// Token signing keys (CANAILLE_OIDC.ACTIVE_JWKS / INACTIVE_JWKS); empty when OIDC is off.
    jose::KeySet keys;
};

/// How missing signing keys are handled: refused (production front doors) or replaced by
/// a throw-away key with a warning (`canaille run`, tests).
enum class KeyPolicy { require, ephemeral_if_missing };

/// Builds the services from loaded settings; opens the store (does not install it).
/// Throws std::runtime_error when the keys are missing (under KeyPolicy::require) or invalid.
std::unique_ptr<Services> build_services(config::Settings settings,
                                         KeyPolicy keys = KeyPolicy::require);

/// Loads the configured signing keys; an error message names the key and what is wrong.
Result<jose::KeySet, std::string> load_signing_keys(const config::Settings& settings,
                                                    KeyPolicy policy);

/// Converts the configured ACL sections into evaluation rules.
std::vector<account::AclRule> acl_rules(const config::Settings& settings);

/// The whole web application: the router with every route, wrapped by the request
/// pipeline (security headers, session, error boundary). `services` must outlive it.
http::Handler make_web_app(Services& services);

}  // namespace canaille::app

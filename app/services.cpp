// SPDX-License-Identifier: MIT
#include "app/services.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <stdexcept>

#include "app/web_app.hpp"
#include "util/log.hpp"

namespace canaille::app {
namespace {

bool is_dir(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string find_dir(const char* env_name, const char* installed, const char* source) {
    if (const char* v = std::getenv(env_name); v != nullptr && *v != '\0') return v;
    if (is_dir(installed)) return installed;
    return source;
}

log::Level parse_level(const std::string& s) {
    if (s == "DEBUG") return log::Level::debug;
    if (s == "SECURITY") return log::Level::security;
    if (s == "WARNING") return log::Level::warning;
    if (s == "ERROR") return log::Level::error;
    return log::Level::info;
}

}  // namespace

std::string views_dir() {
    return find_dir("CANAILLE_VIEWS_DIR", CANAILLE_DATADIR "/views", CANAILLE_SOURCE_ROOT "/views");
}

std::string assets_dir() {
    return find_dir("CANAILLE_ASSETS_DIR", CANAILLE_DATADIR "/assets",
                    CANAILLE_SOURCE_ROOT "/assets");
}

std::string ldap_schemas_dir() {
    return find_dir("CANAILLE_LDAP_SCHEMA_DIR", CANAILLE_DATADIR "/ldap-schemas",
                    CANAILLE_SOURCE_ROOT "/ldap-schemas");
}

std::unique_ptr<store::Store> open_configured_store(const config::Settings& settings,
                                                    const Clock& clock) {
    if (!settings.uses_ldap()) return store::open_store(settings.sql.database_uri, clock);
    if (!settings.ldap) {
        throw store::StoreError("CANAILLE.DATABASE is ldap but there is no CANAILLE_LDAP section");
    }
    const auto& l = *settings.ldap;
    store::LdapOptions o;
    o.uri = l.uri;
    o.root_dn = l.root_dn;
    o.bind_dn = l.bind_dn;
    o.bind_pw = l.bind_pw;
    o.timeout = l.timeout;
    o.user_base = l.user_base;
    o.user_class = l.user_class;
    o.user_rdn = l.user_rdn;
    o.group_base = l.group_base;
    o.group_class = l.group_class;
    o.group_rdn = l.group_rdn;
    o.group_name_attribute = l.group_name_attribute;
    o.start_tls = l.start_tls;
    o.ca_file = l.ca_cert_file;
    o.config_uri = l.config_uri;
    o.schema_dir = l.schema_dir.empty() ? ldap_schemas_dir() : l.schema_dir;
    return store::open_ldap_store(o, clock);
}

std::string describe_store(const config::Settings& settings) {
    if (!settings.uses_ldap() || !settings.ldap) return settings.sql.database_uri;
    return settings.ldap->uri + " " + settings.ldap->root_dn;
}

std::vector<account::AclRule> acl_rules(const config::Settings& settings) {
    std::vector<account::AclRule> rules;
    for (const auto& [name, acl] : settings.canaille.acl) {
        account::AclRule r;
        r.name = name;
        for (const auto& p : acl.permissions) {
            if (auto perm = account::parse_permission(p)) r.permissions.insert(*perm);
        }
        r.read.insert(acl.read.begin(), acl.read.end());
        r.write.insert(acl.write.begin(), acl.write.end());
        if (acl.filter) r.filter = *acl.filter;
        rules.push_back(std::move(r));
    }
    return rules;
}

Result<jose::KeySet, std::string> load_signing_keys(const config::Settings& settings,
                                                    KeyPolicy policy) {
    const auto& oidc = settings.oidc;
    if (!oidc.enable_oidc) return jose::KeySet{};
    if (oidc.active_jwks.empty()) {
        if (policy == KeyPolicy::require) {
            return unexpected(std::string(
                "CANAILLE_OIDC.ACTIVE_JWKS is not set: the provider has no key to sign tokens "
                "with. Create one with `canaille jwk create rsa > /etc/canaille/jwks.json` and "
                "set ACTIVE_JWKS to that path (or set CANAILLE_OIDC.ENABLE_OIDC to false)"));
        }
        log::warning(
            "CANAILLE_OIDC.ACTIVE_JWKS is not set: signing with a throw-away RSA key "
            "that changes at every start");
        jose::KeySet keys;
        if (auto added = keys.add(jose::Jwk::generate_rsa(2048), true); !added) {
            return unexpected(added.error());
        }
        return keys;
    }
    auto keys = jose::KeySet::load(oidc.active_jwks, oidc.inactive_jwks);
    if (!keys) return unexpected("CANAILLE_OIDC.ACTIVE_JWKS / INACTIVE_JWKS: " + keys.error());
    if (keys->active().empty()) {
        return unexpected(std::string("CANAILLE_OIDC.ACTIVE_JWKS holds no key"));
    }
    return std::move(keys).value();
}

std::unique_ptr<Services> build_services(config::Settings settings, KeyPolicy key_policy) {
    auto s = std::make_unique<Services>();
    auto keys = load_signing_keys(settings, key_policy);
    if (!keys) throw std::runtime_error(keys.error());
    s->keys = std::move(keys).value();
    log::set_level(parse_level(settings.log_level));
    s->clock = std::make_unique<SystemClock>();
    s->acl = acl_rules(settings);
    s->store = open_configured_store(settings, *s->clock);
    s->views = std::make_unique<view::Renderer>(views_dir());
    s->settings = std::move(settings);
    return s;
}

http::Handler make_web_app(Services& services) {
    auto app = std::make_shared<WebApp>(services);
    register_core_auth(*app, services);
    register_core_pages(*app, services);
    register_oidc_keys(*app, services);
    register_oidc_discovery(*app, services);
    register_oidc_authorize(*app, services);
    register_oidc_token(*app, services);
    register_oidc_userinfo(*app, services);
    register_oidc_introspect(*app, services);
    register_oidc_consents(*app, services);
    register_admin_clients(*app, services);
    register_admin_tokens(*app, services);
    return [app](http::Request& request) { return app->handle(request); };
}

}  // namespace canaille::app

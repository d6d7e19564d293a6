// SPDX-License-Identifier: MIT
// config: YAML configuration into typed settings, with Canaille's section and key names,
// environment overrides (CANAILLE__NAME=X) and every error reported at once with
// file:line:column. Depends on util only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/result.hpp"
#include "util/secret.hpp"

namespace canaille::config {

struct SmtpSettings {
    std::string host = "localhost";
    int port = 25;
    bool tls = false;  ///< STARTTLS
    bool ssl = false;
    std::optional<std::string> login;
    Secret password;
    std::optional<std::string> from_addr;
};

/// One ACL (reference §6): what users matching FILTER may do, read and write.
struct AclSettings {
    std::vector<std::string> permissions;
    std::vector<std::string> read;
    std::vector<std::string> write;
    /// None = everyone; otherwise a list of {attribute: value} maps, any of which matches.
    std::optional<std::vector<std::map<std::string, std::string>>> filter;
};

/// Canaille's two built-in ACLs, DEFAULT (everyone) and ADMIN (reference §6); used when the
/// configuration has no CANAILLE.ACL.
std::map<std::string, AclSettings> default_acl();

/// [CANAILLE] (reference §3).
struct CoreSettings {
    std::string name = "Canaille";
    std::optional<std::string> database;  ///< sql | ldap (see Settings::uses_ldap)
    std::string logo = "/static/img/canaille-head.svg";
    std::string favicon = "/static/img/canaille-c.svg";
    std::optional<std::string> theme;
    std::optional<std::string> language;
    std::optional<std::string> timezone;
    bool force_https = false;
    bool javascript = true;
    bool htmx = true;
    std::optional<bool> email_confirmation;
    bool enable_registration = false;
    std::vector<std::string> login_attributes = {"user_name", "emails"};
    bool hide_invalid_logins = true;
    bool enable_password_recovery = true;
    bool enable_intruder_lockout = false;
    std::vector<std::string> authentication_factors = {"password"};
    std::string otp_method = "TOTP";
    std::int64_t totp_lifetime = 30;  ///< seconds (ISO 8601 duration in the file)
    std::int64_t otp_lifetime = 600;
    std::int64_t invitation_expiration = 172800;
    int min_password_length = 8;
    int max_password_length = 1000;  ///< 0 or above 4096 means 4096
    std::optional<std::string> admin_email;
    bool enable_password_compromission_check = false;
    std::string password_compromission_check_api_url = "https://api.pwnedpasswords.com/range/";
    bool captcha_enabled = false;
    int captcha_length = 5;
    int captcha_failure_threshold = 3;
    std::optional<std::int64_t> password_lifetime;  ///< seconds
    std::optional<SmtpSettings> smtp;
    /// Replaced as a whole by CANAILLE.ACL in the file; defaults DEFAULT and ADMIN (§6).
    std::map<std::string, AclSettings> acl = default_acl();
};

/// [CANAILLE_SQL].
struct SqlSettings {
    std::string database_uri = "sqlite:///canaille.sqlite";
    std::string password_schemes = "argon2id";
    int pool_size = 5;
    bool auto_migrate = true;
};

/// [CANAILLE_LDAP] (reference §3): present when the file has the section; with
/// CANAILLE.DATABASE unset, its presence selects the LDAP store.
struct LdapSettings {
    std::string uri = "ldap://localhost";
    std::string root_dn = "dc=example,dc=org";
    std::string bind_dn = "cn=admin,dc=example,dc=org";
    Secret bind_pw = Secret("admin");
    double timeout = -1;    ///< seconds; < 0 = none
    std::string user_base;  ///< required
    std::vector<std::string> user_class = {"inetOrgPerson"};
    std::string user_rdn = "uid";
    std::string group_base;  ///< required
    std::string group_class = "groupOfNames";
    std::string group_rdn = "cn";
    std::string group_name_attribute = "cn";
    /// Accepted for Canaille compatibility; each worker holds one connection.
    int pool_size = 10;
    std::int64_t pool_max_lifetime = 600;
    int pool_retry_max = 3;
    double pool_retry_delay = 0.1;
    // Ours:
    bool start_tls = false;    ///< StartTLS on ldap:// URIs
    std::string ca_cert_file;  ///< CA bundle for ldaps:// and StartTLS
    std::string config_uri;    ///< where install() loads schemas (e.g. ldapi:///)
    std::string schema_dir;    ///< where the .ldif schemas are; empty = installed copy
};

/// [CANAILLE_OIDC], only the keys that exist in this version are accepted.
struct OidcSettings {
    bool enable_oidc = true;
    bool dynamic_client_registration_open = false;
    bool require_nonce = true;
    std::vector<std::string> trusted_domains = {".localhost", "127.0.0.1"};
    /// Signing keys: a file path, or inline JWK / JWKS JSON or PEM. Required to serve
    /// (outside `canaille run`) while ENABLE_OIDC is on.
    std::string active_jwks;
    /// Retired keys: they still verify (tokens signed before a rotation) but never sign.
    std::string inactive_jwks;
    /// Lifetimes of what the token endpoint issues, in seconds (ISO 8601 in the file).
    std::int64_t access_token_lifetime = 3600;
    std::int64_t id_token_lifetime = 3600;
    /// RFC 6749 §4.1.2 recommends at most 10 minutes.
    std::int64_t authorization_code_lifetime = 300;
};

/// The whole configuration.
struct Settings {
    Secret secret_key;
    std::optional<std::string> server_name;
    std::vector<std::string> trusted_hosts;
    std::string preferred_url_scheme = "https";
    bool debug = false;
    std::int64_t permanent_session_lifetime = 30 * 24 * 3600;  ///< seconds
    std::string log_level = "INFO";
    CoreSettings canaille;
    SqlSettings sql;
    std::optional<LdapSettings> ldap;
    OidcSettings oidc;
    /// True when the LDAP store serves (CANAILLE.DATABASE: ldap, or unset with a
    /// CANAILLE_LDAP section).
    bool uses_ldap() const {
        return canaille.database ? *canaille.database == "ldap" : ldap.has_value();
    }
    /// Where the file came from, for messages ("" when built from defaults).
    std::string source_path;
};

/// One problem in the configuration, located when possible.
struct ConfigError {
    std::string file;
    int line = 0;    ///< 1-based; 0 = not from the file (environment, missing key)
    int column = 0;  ///< 1-based
    std::string message;
    std::string env;  ///< the environment variable the bad value came from, if any
    /// "file:line:col: message", "environment NAME: message", or "file: message" when the
    /// problem has no position (missing file, cross-key check).
    std::string format() const;
};

/// Loads `path` (YAML), applies environment overrides from `env` (name=value pairs,
/// usually environ), validates, and returns every error found rather than the first.
/// An empty `path` means defaults plus the environment. The environment beats the file:
/// `SECTION__KEY[__SUB]` for CANAILLE, CANAILLE_SQL, CANAILLE_LDAP and CANAILLE_OIDC,
/// `CANAILLE_<ROOT KEY>` for root keys (doc/configuration.md).
Result<Settings, std::vector<ConfigError>> load(const std::string& path,
                                                const std::vector<std::string>& env);
/// Same, from YAML text (tests).
Result<Settings, std::vector<ConfigError>> load_string(const std::string& yaml,
                                                       const std::vector<std::string>& env,
                                                       const std::string& name = "<string>");

/// Problems that are tolerable in development but not in production: a missing SECRET_KEY or
/// one shorter than 16 bytes. `canaille check` and the FastCGI front door call this.
std::vector<ConfigError> validate_for_production(const Settings& settings);

/// Every key the parser accepts, dotted ("SECRET_KEY", "CANAILLE.SMTP.HOST",
/// "CANAILLE.ACL.<NAME>.PERMISSIONS"); the sample-file test checks they are all documented.
std::vector<std::string> known_keys();

/// The path to read: `--config` if given, else CANAILLE_CONFIG, else CONFIG, else "".
std::string resolve_path(const std::optional<std::string>& cli_path);

/// The process environment as name=value strings.
std::vector<std::string> environment();

}  // namespace canaille::config

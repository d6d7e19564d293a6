// SPDX-License-Identifier: MIT
// The configuration schema: one table per section, each key with its reader. Reference §3
// gives the names and defaults, §6 the ACL permissions.
#include <cmath>
#include <limits>

#include "config/parser.hpp"
#include "util/strings.hpp"

namespace canaille::config::detail {
namespace {

const std::vector<std::string> kPermissions = {
    "edit_self",         "use_oidc",          "manage_oidc",    "manage_users",
    "manage_all_groups", "manage_own_groups", "delete_account", "impersonate_users"};
const std::vector<std::string> kLogLevels = {"DEBUG", "INFO", "SECURITY", "WARNING", "ERROR"};
const std::vector<std::string> kSchemes = {"http", "https"};
const std::vector<std::string> kDatabases = {"sql", "ldap"};
const std::vector<std::string> kOtpMethods = {"TOTP", "HOTP"};
// sms (SMPP) and fido2 (WebAuthn) exist in Canaille but not in this version: refusing them
// beats silently offering a factor nobody can complete.
const std::vector<std::string> kFactors = {"password", "otp", "email"};

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
constexpr int kPasswordLengthCap = 4096;

// Factories for the common key shapes; `acc` maps Settings to the member it fills.
template <class Acc>
Field string_key(std::string name, Acc acc) {
    return {std::move(name), Kind::string,
            [acc](Parser& p, const At& at, Settings& s) { p.read_string(at, acc(s)); }};
}
template <class Acc>
Field optional_string_key(std::string name, Acc acc) {
    return {std::move(name), Kind::string,
            [acc](Parser& p, const At& at, Settings& s) { p.read_optional_string(at, acc(s)); }};
}
template <class Acc>
Field choice_key(std::string name, const std::vector<std::string>& choices, Acc acc) {
    return {std::move(name), Kind::string, [acc, &choices](Parser& p, const At& at, Settings& s) {
                p.read_choice(at, choices, acc(s));
            }};
}
template <class Acc>
Field bool_key(std::string name, Acc acc) {
    return {std::move(name), Kind::scalar,
            [acc](Parser& p, const At& at, Settings& s) { p.read_bool(at, acc(s)); }};
}
template <class Acc>
Field int_key(std::string name, std::int64_t min, std::int64_t max, Acc acc) {
    return {std::move(name), Kind::scalar, [acc, min, max](Parser& p, const At& at, Settings& s) {
                std::int64_t v = 0;
                if (p.read_int(at, min, max, v))
                    acc(s) = static_cast<std::decay_t<decltype(acc(s))>>(v);
            }};
}
template <class Acc>
Field duration_key(std::string name, std::int64_t min, Acc acc) {
    return {std::move(name), Kind::scalar,
            [acc, min](Parser& p, const At& at, Settings& s) { p.read_duration(at, min, acc(s)); }};
}
template <class Acc>
Field optional_duration_key(std::string name, std::int64_t min, Acc acc) {
    return {std::move(name), Kind::scalar, [acc, min](Parser& p, const At& at, Settings& s) {
                if (at.value.IsNull()) {
                    acc(s).reset();
                    return;
                }
                std::int64_t v = 0;
                if (p.read_duration(at, min, v)) acc(s) = v;
            }};
}
template <class Acc>
Field list_key(std::string name, Acc acc) {
    return {std::move(name), Kind::list,
            [acc](Parser& p, const At& at, Settings& s) { p.read_string_list(at, acc(s)); }};
}
template <class Acc>
Field choice_list_key(std::string name, const std::vector<std::string>& choices, Acc acc) {
    return {std::move(name), Kind::list, [acc, &choices](Parser& p, const At& at, Settings& s) {
                p.read_choice_list(at, choices, acc(s));
            }};
}

bool expect_map(Parser& p, const At& at) {
    if (at.value.IsMap()) return true;
    p.error(at, at.path + ": expected a mapping of keys, got " + describe(at.value));
    return false;
}

Field section(std::string name, const std::vector<Field>& children,
              void (*check)(Parser&, const std::string&, Settings&) = nullptr) {
    Field f{std::move(name), Kind::map, [&children, check](Parser& p, const At& at, Settings& s) {
                if (at.value.IsNull()) return;
                if (!expect_map(p, at)) return;
                p.parse_map(at.value, at.path, children, s);
                if (check != nullptr) check(p, at.path, s);
            }};
    f.children = &children;
    return f;
}

// FILTER: null (everyone), one {attribute: value} map (all pairs match), or a list of such
// maps (any matches).
void read_filter(Parser& p, const At& at, AclSettings& acl) {
    if (at.value.IsNull()) {
        acl.filter.reset();
        return;
    }
    std::vector<YAML::Node> maps;
    if (at.value.IsMap()) {
        maps.push_back(at.value);
    } else if (at.value.IsSequence()) {
        for (const auto& item : at.value) maps.push_back(item);
    } else {
        p.error(at, at.path + ": expected a mapping {attribute: value} or a list of them, got " +
                        describe(at.value));
        return;
    }
    std::vector<std::map<std::string, std::string>> filter;
    bool ok = true;
    for (const auto& m : maps) {
        if (!m.IsMap()) {
            p.error(at.path, m,
                    at.path + ": expected a mapping {attribute: value}, got " + describe(m));
            ok = false;
            continue;
        }
        std::map<std::string, std::string> clause;
        for (auto it = m.begin(); it != m.end(); ++it) {
            // Copies: `it->` points into a temporary proxy.
            const YAML::Node k = it->first;
            const YAML::Node v = it->second;
            bool known = false;
            if (k.IsScalar()) {
                for (const auto& a : user_attributes()) known = known || a == k.Scalar();
            }
            if (!known) {
                p.error(at.path, k, at.path + ": " + describe(k) + " is not a user attribute");
                ok = false;
            } else if (!v.IsScalar()) {
                p.error(at.path, v, at.path + ": expected a string value, got " + describe(v));
                ok = false;
            } else {
                clause[k.Scalar()] = v.Scalar();
            }
        }
        filter.push_back(std::move(clause));
    }
    if (ok) acl.filter = std::move(filter);
}

const std::vector<Field>& acl_entry_fields() {
    static const std::vector<Field> fields = {
        {"PERMISSIONS", Kind::list,
         [](Parser& p, const At& at, Settings&) {
             p.read_choice_list(at, kPermissions, p.current_acl->permissions);
         }},
        {"READ", Kind::list,
         [](Parser& p, const At& at, Settings&) {
             p.read_choice_list(at, user_attributes(), p.current_acl->read);
         }},
        {"WRITE", Kind::list,
         [](Parser& p, const At& at, Settings&) {
             p.read_choice_list(at, user_attributes(), p.current_acl->write);
         }},
        {"FILTER", Kind::list,
         [](Parser& p, const At& at, Settings&) { read_filter(p, at, *p.current_acl); }},
    };
    return fields;
}

const Field& acl_entry() {
    static const Field entry = [] {
        Field f{"<NAME>", Kind::map, nullptr};
        f.children = &acl_entry_fields();
        return f;
    }();
    return entry;
}

// CANAILLE.ACL replaces the defaults as a whole, as in Canaille.
void read_acl(Parser& p, const At& at, Settings& s) {
    if (at.value.IsNull()) {
        s.canaille.acl = default_acl();
        return;
    }
    if (!expect_map(p, at)) return;
    s.canaille.acl.clear();
    for (auto it = at.value.begin(); it != at.value.end(); ++it) {
        // Copies: `it->` points into a temporary proxy.
        const YAML::Node key = it->first;
        const YAML::Node value = it->second;
        if (!key.IsScalar() || key.Scalar().empty()) {
            p.error(at.path, key, at.path + ": expected an ACL name, got " + describe(key));
            continue;
        }
        std::string path = at.path + "." + key.Scalar();
        if (s.canaille.acl.count(key.Scalar()) > 0) {
            p.error(path, key, "duplicate key " + path);
            continue;
        }
        AclSettings acl;
        if (!value.IsNull()) {
            if (!expect_map(p, At{path, key, value})) continue;
            p.current_acl = &acl;
            p.parse_map(value, path, acl_entry_fields(), s);
            p.current_acl = nullptr;
        }
        s.canaille.acl.emplace(key.Scalar(), std::move(acl));
    }
}

SmtpSettings& smtp(Settings& s) { return *s.canaille.smtp; }

void check_smtp(Parser& p, const std::string& path, Settings& s) {
    if (s.canaille.smtp->tls && s.canaille.smtp->ssl) {
        p.error(path + ".SSL", path + ": TLS (STARTTLS) and SSL cannot both be true");
    }
}

const std::vector<Field>& smtp_fields() {
    static const std::vector<Field> fields = {
        string_key(
            "HOST", [](Settings & s) -> auto& { return smtp(s).host; }),
        int_key(
            "PORT", 1, 65535, [](Settings & s) -> auto& { return smtp(s).port; }),
        bool_key(
            "TLS", [](Settings & s) -> auto& { return smtp(s).tls; }),
        bool_key(
            "SSL", [](Settings & s) -> auto& { return smtp(s).ssl; }),
        optional_string_key(
            "LOGIN", [](Settings & s) -> auto& { return smtp(s).login; }),
        {"PASSWORD", Kind::string,
         [](Parser& p, const At& at, Settings& s) {
             std::optional<std::string> v;
             if (p.read_optional_string(at, v)) smtp(s).password = Secret(v.value_or(""));
         }},
        optional_string_key(
            "FROM_ADDR", [](Settings & s) -> auto& { return smtp(s).from_addr; }),
    };
    return fields;
}

void check_core(Parser& p, const std::string& path, Settings& s) {
    CoreSettings& c = s.canaille;
    if (c.max_password_length == 0 || c.max_password_length > kPasswordLengthCap) {
        c.max_password_length = kPasswordLengthCap;
    }
    if (c.min_password_length > c.max_password_length) {
        p.error(path + ".MIN_PASSWORD_LENGTH", path + ".MIN_PASSWORD_LENGTH (" +
                                                   std::to_string(c.min_password_length) +
                                                   ") is greater than MAX_PASSWORD_LENGTH (" +
                                                   std::to_string(c.max_password_length) + ")");
    }
    if (c.login_attributes.empty()) {
        p.error(path + ".LOGIN_ATTRIBUTES",
                path + ".LOGIN_ATTRIBUTES: needs at least one attribute");
    }
    if (c.authentication_factors.empty()) {
        p.error(path + ".AUTHENTICATION_FACTORS",
                path + ".AUTHENTICATION_FACTORS: needs at least one factor");
    }
    for (const auto& f : c.authentication_factors) {
        if (f == "email" && !c.smtp) {
            p.error(path + ".AUTHENTICATION_FACTORS",
                    path + ".AUTHENTICATION_FACTORS: the email factor needs " + path + ".SMTP");
        }
    }
    if (c.enable_password_compromission_check && !c.admin_email) {
        p.error(path + ".ENABLE_PASSWORD_COMPROMISSION_CHECK",
                path + ".ENABLE_PASSWORD_COMPROMISSION_CHECK needs " + path +
                    ".ADMIN_EMAIL (where failures to reach the API are reported)");
    }
    if (c.admin_email && c.admin_email->find('@') == std::string::npos) {
        p.error(path + ".ADMIN_EMAIL", path + ".ADMIN_EMAIL: expected an email address");
    }
    const std::string& url = c.password_compromission_check_api_url;
    if (!starts_with(url, "https://") && !starts_with(url, "http://")) {
        p.error(path + ".PASSWORD_COMPROMISSION_CHECK_API_URL",
                path + ".PASSWORD_COMPROMISSION_CHECK_API_URL: expected an http(s) URL");
    }
}

const std::vector<Field>& core_fields() {
    static const std::vector<Field> fields = [] {
        std::vector<Field> f = {
            string_key(
                "NAME", [](Settings & s) -> auto& { return s.canaille.name; }),
            {"DATABASE", Kind::string,
             [](Parser& p, const At& at, Settings& s) {
                 if (at.value.IsNull()) {
                     s.canaille.database.reset();
                     return;
                 }
                 std::string v;
                 if (p.read_choice(at, kDatabases, v)) s.canaille.database = v;
             }},
            string_key(
                "LOGO", [](Settings & s) -> auto& { return s.canaille.logo; }),
            string_key(
                "FAVICON", [](Settings & s) -> auto& { return s.canaille.favicon; }),
            optional_string_key(
                "THEME", [](Settings & s) -> auto& { return s.canaille.theme; }),
            optional_string_key(
                "LANGUAGE", [](Settings & s) -> auto& { return s.canaille.language; }),
            optional_string_key(
                "TIMEZONE", [](Settings & s) -> auto& { return s.canaille.timezone; }),
            bool_key(
                "FORCE_HTTPS", [](Settings & s) -> auto& { return s.canaille.force_https; }),
            bool_key(
                "JAVASCRIPT", [](Settings & s) -> auto& { return s.canaille.javascript; }),
            bool_key(
                "HTMX", [](Settings & s) -> auto& { return s.canaille.htmx; }),
            {"EMAIL_CONFIRMATION", Kind::scalar,
             [](Parser& p, const At& at, Settings& s) {
                 p.read_optional_bool(at, s.canaille.email_confirmation);
             }},
            bool_key(
                "ENABLE_REGISTRATION",
                [](Settings & s) -> auto& { return s.canaille.enable_registration; }),
            choice_list_key(
                "LOGIN_ATTRIBUTES", user_attributes(),
                [](Settings & s) -> auto& { return s.canaille.login_attributes; }),
            bool_key(
                "HIDE_INVALID_LOGINS",
                [](Settings & s) -> auto& { return s.canaille.hide_invalid_logins; }),
            bool_key(
                "ENABLE_PASSWORD_RECOVERY",
                [](Settings & s) -> auto& { return s.canaille.enable_password_recovery; }),
            bool_key(
                "ENABLE_INTRUDER_LOCKOUT",
                [](Settings & s) -> auto& { return s.canaille.enable_intruder_lockout; }),
            choice_list_key(
                "AUTHENTICATION_FACTORS", kFactors,
                [](Settings & s) -> auto& { return s.canaille.authentication_factors; }),
            choice_key(
                "OTP_METHOD", kOtpMethods,
                [](Settings & s) -> auto& { return s.canaille.otp_method; }),
            duration_key(
                "TOTP_LIFETIME", 1, [](Settings & s) -> auto& { return s.canaille.totp_lifetime; }),
            duration_key(
                "OTP_LIFETIME", 1, [](Settings & s) -> auto& { return s.canaille.otp_lifetime; }),
            duration_key(
                "INVITATION_EXPIRATION", 1,
                [](Settings & s) -> auto& { return s.canaille.invitation_expiration; }),
            int_key(
                "MIN_PASSWORD_LENGTH", 0, kPasswordLengthCap,
                [](Settings & s) -> auto& { return s.canaille.min_password_length; }),
            int_key(
                "MAX_PASSWORD_LENGTH", 0, kIntMax,
                [](Settings & s) -> auto& { return s.canaille.max_password_length; }),
            optional_string_key(
                "ADMIN_EMAIL", [](Settings & s) -> auto& { return s.canaille.admin_email; }),
            bool_key(
                "ENABLE_PASSWORD_COMPROMISSION_CHECK", [](Settings & s) -> auto& {
                    return s.canaille.enable_password_compromission_check;
                }),
            string_key(
                "PASSWORD_COMPROMISSION_CHECK_API_URL", [](Settings & s) -> auto& {
                    return s.canaille.password_compromission_check_api_url;
                }),
            bool_key(
                "CAPTCHA_ENABLED",
                [](Settings & s) -> auto& { return s.canaille.captcha_enabled; }),
            int_key(
                "CAPTCHA_LENGTH", 1, 64,
                [](Settings & s) -> auto& { return s.canaille.captcha_length; }),
            int_key(
                "CAPTCHA_FAILURE_THRESHOLD", 0, kIntMax,
                [](Settings & s) -> auto& { return s.canaille.captcha_failure_threshold; }),
            optional_duration_key(
                "PASSWORD_LIFETIME", 1,
                [](Settings & s) -> auto& { return s.canaille.password_lifetime; }),
        };
        Field smtp_field{"SMTP", Kind::map, [](Parser& p, const At& at, Settings& s) {
                             if (at.value.IsNull()) {
                                 s.canaille.smtp.reset();
                                 return;
                             }
                             if (!expect_map(p, at)) return;
                             s.canaille.smtp.emplace();
                             p.parse_map(at.value, at.path, smtp_fields(), s);
                             check_smtp(p, at.path, s);
                         }};
        smtp_field.children = &smtp_fields();
        f.push_back(std::move(smtp_field));
        Field acl_field{"ACL", Kind::named_maps, read_acl};
        acl_field.entry = &acl_entry();
        f.push_back(std::move(acl_field));
        return f;
    }();
    return fields;
}

void check_sql(Parser& p, const std::string& path, Settings& s) {
    const std::string& uri = s.sql.database_uri;
    if (!starts_with(uri, "sqlite://") && !starts_with(uri, "postgresql://") &&
        !starts_with(uri, "postgres://")) {
        p.error(path + ".DATABASE_URI",
                path + ".DATABASE_URI: expected sqlite:///PATH or postgresql://...");
    }
    if (s.sql.password_schemes.empty()) {
        p.error(path + ".PASSWORD_SCHEMES", path + ".PASSWORD_SCHEMES: must not be empty");
    }
}

const std::vector<Field>& sql_fields() {
    static const std::vector<Field> fields = {
        string_key(
            "DATABASE_URI", [](Settings & s) -> auto& { return s.sql.database_uri; }),
        string_key(
            "PASSWORD_SCHEMES", [](Settings & s) -> auto& { return s.sql.password_schemes; }),
        int_key(
            "POOL_SIZE", 1, 1000, [](Settings & s) -> auto& { return s.sql.pool_size; }),
        bool_key(
            "AUTO_MIGRATE", [](Settings & s) -> auto& { return s.sql.auto_migrate; }),
    };
    return fields;
}

LdapSettings& ldap(Settings& s) { return *s.ldap; }

/// A number of seconds that may be fractional or negative (Canaille's TIMEOUT: -1 = none).
template <class Acc>
Field seconds_key(std::string name, double min, Acc acc) {
    return {std::move(name), Kind::scalar, [acc, min](Parser& p, const At& at, Settings& s) {
                double v = 0;
                if (!at.value.IsScalar() || !YAML::convert<double>::decode(at.value, v) ||
                    !std::isfinite(v) || v < min) {
                    p.error(at,
                            at.path + ": expected a number of seconds, got " + describe(at.value));
                    return;
                }
                acc(s) = v;
            }};
}

void check_ldap(Parser& p, const std::string& path, Settings& s) {
    const LdapSettings& l = *s.ldap;
    if (!starts_with(l.uri, "ldap://") && !starts_with(l.uri, "ldaps://") &&
        !starts_with(l.uri, "ldapi://")) {
        p.error(path + ".URI", path + ".URI: expected ldap://, ldaps:// or ldapi://");
    }
    if (l.user_base.empty()) p.error(path + ".USER_BASE", path + ".USER_BASE is required");
    if (l.group_base.empty()) p.error(path + ".GROUP_BASE", path + ".GROUP_BASE is required");
    if (l.user_class.empty()) p.error(path + ".USER_CLASS", path + ".USER_CLASS: needs a class");
    if (l.start_tls && !starts_with(l.uri, "ldap://")) {
        p.error(path + ".START_TLS", path + ".START_TLS only applies to ldap:// URIs");
    }
}

const std::vector<Field>& ldap_fields() {
    static const std::vector<Field> fields = {
        string_key(
            "URI", [](Settings & s) -> auto& { return ldap(s).uri; }),
        string_key(
            "ROOT_DN", [](Settings & s) -> auto& { return ldap(s).root_dn; }),
        string_key(
            "BIND_DN", [](Settings & s) -> auto& { return ldap(s).bind_dn; }),
        {"BIND_PW", Kind::string,
         [](Parser& p, const At& at, Settings& s) {
             std::optional<std::string> v;
             if (p.read_optional_string(at, v)) ldap(s).bind_pw = Secret(v.value_or(""));
         }},
        seconds_key(
            "TIMEOUT", -1, [](Settings & s) -> auto& { return ldap(s).timeout; }),
        string_key(
            "USER_BASE", [](Settings & s) -> auto& { return ldap(s).user_base; }),
        {"USER_CLASS", Kind::list,
         [](Parser& p, const At& at, Settings& s) {
             // Canaille accepts one class name or a list.
             if (at.value.IsScalar()) {
                 std::string v;
                 if (p.read_string(at, v)) ldap(s).user_class = {v};
                 return;
             }
             p.read_string_list(at, ldap(s).user_class);
         }},
        string_key(
            "USER_RDN", [](Settings & s) -> auto& { return ldap(s).user_rdn; }),
        string_key(
            "GROUP_BASE", [](Settings & s) -> auto& { return ldap(s).group_base; }),
        string_key(
            "GROUP_CLASS", [](Settings & s) -> auto& { return ldap(s).group_class; }),
        string_key(
            "GROUP_RDN", [](Settings & s) -> auto& { return ldap(s).group_rdn; }),
        string_key(
            "GROUP_NAME_ATTRIBUTE",
            [](Settings & s) -> auto& { return ldap(s).group_name_attribute; }),
        int_key(
            "POOL_SIZE", 1, 1000, [](Settings & s) -> auto& { return ldap(s).pool_size; }),
        duration_key(
            "POOL_MAX_LIFETIME", 1,
            [](Settings & s) -> auto& { return ldap(s).pool_max_lifetime; }),
        int_key(
            "POOL_RETRY_MAX", 0, 100, [](Settings & s) -> auto& { return ldap(s).pool_retry_max; }),
        seconds_key(
            "POOL_RETRY_DELAY", 0, [](Settings & s) -> auto& { return ldap(s).pool_retry_delay; }),
        bool_key(
            "START_TLS", [](Settings & s) -> auto& { return ldap(s).start_tls; }),
        string_key(
            "CA_CERT_FILE", [](Settings & s) -> auto& { return ldap(s).ca_cert_file; }),
        string_key(
            "CONFIG_URI", [](Settings & s) -> auto& { return ldap(s).config_uri; }),
        string_key(
            "SCHEMA_DIR", [](Settings & s) -> auto& { return ldap(s).schema_dir; }),
    };
    return fields;
}

const std::vector<Field>& oidc_fields() {
    static const std::vector<Field> fields = {
        bool_key(
            "ENABLE_OIDC", [](Settings & s) -> auto& { return s.oidc.enable_oidc; }),
        bool_key(
            "DYNAMIC_CLIENT_REGISTRATION_OPEN",
            [](Settings & s) -> auto& { return s.oidc.dynamic_client_registration_open; }),
        bool_key(
            "REQUIRE_NONCE", [](Settings & s) -> auto& { return s.oidc.require_nonce; }),
        list_key(
            "TRUSTED_DOMAINS", [](Settings & s) -> auto& { return s.oidc.trusted_domains; }),
        string_key(
            "ACTIVE_JWKS", [](Settings & s) -> auto& { return s.oidc.active_jwks; }),
        string_key(
            "INACTIVE_JWKS", [](Settings & s) -> auto& { return s.oidc.inactive_jwks; }),
        duration_key(
            "ACCESS_TOKEN_LIFETIME", 1,
            [](Settings & s) -> auto& { return s.oidc.access_token_lifetime; }),
        duration_key(
            "ID_TOKEN_LIFETIME", 1, [](Settings & s) -> auto& { return s.oidc.id_token_lifetime; }),
        duration_key(
            "AUTHORIZATION_CODE_LIFETIME", 1,
            [](Settings & s) -> auto& { return s.oidc.authorization_code_lifetime; }),
    };
    return fields;
}

}  // namespace

const std::vector<std::string>& user_attributes() {
    static const std::vector<std::string> names = {"user_name",
                                                   "password",
                                                   "preferred_language",
                                                   "family_name",
                                                   "given_name",
                                                   "formatted_name",
                                                   "display_name",
                                                   "emails",
                                                   "phone_numbers",
                                                   "formatted_address",
                                                   "street",
                                                   "postal_code",
                                                   "locality",
                                                   "region",
                                                   "photo",
                                                   "profile_url",
                                                   "title",
                                                   "organization",
                                                   "employee_number",
                                                   "department",
                                                   "lock_date",
                                                   "groups"};
    return names;
}

const std::vector<Field>& root_fields() {
    static const std::vector<Field> fields = {
        {"SECRET_KEY", Kind::string,
         [](Parser& p, const At& at, Settings& s) {
             std::optional<std::string> v;
             if (p.read_optional_string(at, v)) s.secret_key = Secret(v.value_or(""));
         }},
        {"SECRET_KEY_FILE", Kind::string,
         [](Parser& p, const At& at, Settings& s) {
             if (at.value.IsNull()) return;
             std::string v;
             if (p.read_secret_file(at, v)) s.secret_key = Secret(std::move(v));
         }},
        {"SERVER_NAME", Kind::string,
         [](Parser& p, const At& at, Settings& s) {
             if (!p.read_optional_string(at, s.server_name) || !s.server_name) return;
             // Flask's SERVER_NAME is host[:port]; a URL here is a common slip.
             if (s.server_name->empty() || s.server_name->find('/') != std::string::npos) {
                 p.error(at, at.path + ": expected host[:port] without scheme or path, got " +
                                 describe(at.value));
             }
         }},
        list_key(
            "TRUSTED_HOSTS", [](Settings & s) -> auto& { return s.trusted_hosts; }),
        choice_key(
            "PREFERRED_URL_SCHEME", kSchemes,
            [](Settings & s) -> auto& { return s.preferred_url_scheme; }),
        bool_key(
            "DEBUG", [](Settings & s) -> auto& { return s.debug; }),
        duration_key(
            "PERMANENT_SESSION_LIFETIME", 1,
            [](Settings & s) -> auto& { return s.permanent_session_lifetime; }),
        choice_key(
            "LOG_LEVEL", kLogLevels, [](Settings & s) -> auto& { return s.log_level; }),
        section("CANAILLE", core_fields(), check_core),
        section("CANAILLE_SQL", sql_fields(), check_sql),
        [] {
            Field f{"CANAILLE_LDAP", Kind::map, [](Parser& p, const At& at, Settings& s) {
                        if (at.value.IsNull()) {
                            s.ldap.reset();
                            return;
                        }
                        if (!expect_map(p, at)) return;
                        if (!s.ldap) s.ldap.emplace();
                        p.parse_map(at.value, at.path, ldap_fields(), s);
                        check_ldap(p, at.path, s);
                    }};
            f.children = &ldap_fields();
            return f;
        }(),
        section("CANAILLE_OIDC", oidc_fields()),
    };
    return fields;
}

void check_root(Parser& parser, const Settings&) {
    if (parser.seen("SECRET_KEY") && parser.seen("SECRET_KEY_FILE")) {
        parser.error("SECRET_KEY_FILE", "SECRET_KEY and SECRET_KEY_FILE are both set; keep one");
    }
}

const Field* find_field(const std::vector<std::string>& parts) {
    const std::vector<Field>* table = &root_fields();
    const Field* current = nullptr;
    for (const auto& part : parts) {
        if (part.empty()) return nullptr;
        if (current != nullptr) {
            if (current->kind == Kind::named_maps) {
                current = current->entry;
                continue;
            }
            if (current->children == nullptr) return nullptr;
            table = current->children;
        }
        const Field* next = nullptr;
        for (const auto& f : *table) {
            if (f.name == part) next = &f;
        }
        if (next == nullptr) return nullptr;
        current = next;
    }
    return current;
}

}  // namespace canaille::config::detail

// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config/duration.hpp"
#include "config/settings.hpp"

using namespace canaille::config;
using LoadResult = canaille::Result<Settings, std::vector<ConfigError>>;

namespace {

// A fresh directory per test, removed at the end.
class TempDir {
  public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "config_test.XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::filesystem::path write(const std::string& name, const std::string& content) const {
        auto p = path_ / name;
        std::ofstream(p, std::ios::binary) << content;
        return p;
    }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

std::vector<std::string> messages(const LoadResult& r) {
    std::vector<std::string> out;
    if (!r) {
        for (const auto& e : r.error()) out.push_back(e.format());
    }
    return out;
}

std::string joined(const LoadResult& r) {
    std::string out;
    for (const auto& m : messages(r)) out += m + "\n";
    return out;
}

Settings ok(const std::string& yaml, const std::vector<std::string>& env = {}) {
    auto r = load_string(yaml, env);
    INFO(joined(r));
    REQUIRE(r.has_value());
    return *r;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Turns every "#KEY..." line of the sample (and the continuation lines of a commented block,
// written "#  ...") into YAML, leaving prose comments ("# Text") alone.
std::string uncomment(const std::string& text) {
    std::istringstream in(text);
    std::string out;
    std::string line;
    while (std::getline(in, line)) {
        std::size_t i = line.find_first_not_of(' ');
        if (i != std::string::npos && line[i] == '#' && i + 1 < line.size()) {
            char next = line[i + 1];
            bool code = (next != ' ' && next != '#') ||
                        (next == ' ' && i + 2 < line.size() && line[i + 2] == ' ');
            if (code) line.erase(i, 1);
        }
        out += line + "\n";
    }
    return out;
}

void collect_paths(const YAML::Node& node, const std::string& prefix, std::set<std::string>& out) {
    if (!node.IsMap()) return;
    for (auto it = node.begin(); it != node.end(); ++it) {
        std::string name = it->first.Scalar();
        if (prefix == "CANAILLE.ACL") name = "<NAME>";
        std::string path = prefix.empty() ? name : prefix + "." + name;
        out.insert(path);
        collect_paths(it->second, path, out);
    }
}

}  // namespace

TEST_CASE("no file means defaults", "[config]") {
    auto r = load("", {});
    REQUIRE(r.has_value());
    const Settings& s = *r;
    CHECK(s.secret_key.empty());
    CHECK_FALSE(s.server_name);
    CHECK(s.preferred_url_scheme == "https");
    CHECK_FALSE(s.debug);
    CHECK(s.permanent_session_lifetime == 30 * 24 * 3600);
    CHECK(s.log_level == "INFO");
    CHECK(s.canaille.name == "Canaille");
    CHECK(s.canaille.login_attributes == std::vector<std::string>{"user_name", "emails"});
    CHECK(s.canaille.totp_lifetime == 30);
    CHECK(s.canaille.otp_lifetime == 600);
    CHECK(s.canaille.invitation_expiration == 172800);
    CHECK_FALSE(s.canaille.smtp);
    CHECK(s.canaille.acl.size() == 2);
    CHECK(s.sql.database_uri == "sqlite:///canaille.sqlite");
    CHECK(s.oidc.enable_oidc);
    CHECK(s.oidc.trusted_domains == std::vector<std::string>{".localhost", "127.0.0.1"});
    CHECK(s.source_path.empty());

    CHECK(ok("").canaille.name == "Canaille");
    CHECK(ok("# only a comment\n").canaille.name == "Canaille");
    CHECK(ok("CANAILLE:\n").canaille.name == "Canaille");
}

TEST_CASE("root keys", "[config]") {
    Settings s = ok(R"(
SECRET_KEY: 0123456789abcdef0123
SERVER_NAME: auth.example.org:8443
TRUSTED_HOSTS: [auth.example.org, localhost]
PREFERRED_URL_SCHEME: http
DEBUG: true
PERMANENT_SESSION_LIFETIME: PT1H
LOG_LEVEL: SECURITY
)");
    CHECK(s.secret_key.reveal() == "0123456789abcdef0123");
    CHECK(s.server_name == "auth.example.org:8443");
    CHECK(s.trusted_hosts == std::vector<std::string>{"auth.example.org", "localhost"});
    CHECK(s.preferred_url_scheme == "http");
    CHECK(s.debug);
    CHECK(s.permanent_session_lifetime == 3600);
    CHECK(s.log_level == "SECURITY");

    CHECK(ok("PERMANENT_SESSION_LIFETIME: 86400\n").permanent_session_lifetime == 86400);
    CHECK(joined(load_string("SERVER_NAME: https://auth.example.org/\n", {}))
              .find("expected host[:port]") != std::string::npos);
}

TEST_CASE("CANAILLE section", "[config]") {
    Settings s = ok(R"(
CANAILLE:
  NAME: My SSO
  DATABASE: sql
  LOGO: /static/logo.png
  FAVICON: /static/fav.ico
  THEME: dark
  LANGUAGE: fr
  TIMEZONE: Europe/Paris
  FORCE_HTTPS: true
  JAVASCRIPT: false
  HTMX: false
  EMAIL_CONFIRMATION: false
  ENABLE_REGISTRATION: true
  LOGIN_ATTRIBUTES: [user_name]
  HIDE_INVALID_LOGINS: false
  ENABLE_PASSWORD_RECOVERY: false
  ENABLE_INTRUDER_LOCKOUT: true
  AUTHENTICATION_FACTORS: [password, otp, email]
  OTP_METHOD: HOTP
  TOTP_LIFETIME: PT1M
  OTP_LIFETIME: 300
  INVITATION_EXPIRATION: P1W
  MIN_PASSWORD_LENGTH: 12
  MAX_PASSWORD_LENGTH: 128
  ADMIN_EMAIL: admin@example.org
  ENABLE_PASSWORD_COMPROMISSION_CHECK: true
  PASSWORD_COMPROMISSION_CHECK_API_URL: https://hibp.example.org/range/
  CAPTCHA_ENABLED: true
  CAPTCHA_LENGTH: 6
  CAPTCHA_FAILURE_THRESHOLD: 0
  PASSWORD_LIFETIME: P60D
  SMTP:
    HOST: smtp.example.org
    PORT: 587
    TLS: true
    LOGIN: canaille
    PASSWORD: hunter2
    FROM_ADDR: sso@example.org
)");
    const CoreSettings& c = s.canaille;
    CHECK(c.name == "My SSO");
    CHECK(c.database == "sql");
    CHECK(c.logo == "/static/logo.png");
    CHECK(c.favicon == "/static/fav.ico");
    CHECK(c.theme == "dark");
    CHECK(c.language == "fr");
    CHECK(c.timezone == "Europe/Paris");
    CHECK(c.force_https);
    CHECK_FALSE(c.javascript);
    CHECK_FALSE(c.htmx);
    CHECK(c.email_confirmation == false);
    CHECK(c.enable_registration);
    CHECK(c.login_attributes == std::vector<std::string>{"user_name"});
    CHECK_FALSE(c.hide_invalid_logins);
    CHECK_FALSE(c.enable_password_recovery);
    CHECK(c.enable_intruder_lockout);
    CHECK(c.authentication_factors == std::vector<std::string>{"password", "otp", "email"});
    CHECK(c.otp_method == "HOTP");
    CHECK(c.totp_lifetime == 60);
    CHECK(c.otp_lifetime == 300);
    CHECK(c.invitation_expiration == 7 * 86400);
    CHECK(c.min_password_length == 12);
    CHECK(c.max_password_length == 128);
    CHECK(c.admin_email == "admin@example.org");
    CHECK(c.enable_password_compromission_check);
    CHECK(c.password_compromission_check_api_url == "https://hibp.example.org/range/");
    CHECK(c.captcha_enabled);
    CHECK(c.captcha_length == 6);
    CHECK(c.captcha_failure_threshold == 0);
    CHECK(c.password_lifetime == 60 * 86400);
    REQUIRE(c.smtp);
    CHECK(c.smtp->host == "smtp.example.org");
    CHECK(c.smtp->port == 587);
    CHECK(c.smtp->tls);
    CHECK_FALSE(c.smtp->ssl);
    CHECK(c.smtp->login == "canaille");
    CHECK(c.smtp->password.reveal() == "hunter2");
    CHECK(c.smtp->from_addr == "sso@example.org");

    // An empty SMTP mapping means "localhost:25".
    Settings d = ok("CANAILLE:\n  SMTP: {}\n");
    REQUIRE(d.canaille.smtp);
    CHECK(d.canaille.smtp->host == "localhost");
    CHECK(d.canaille.smtp->port == 25);
}

TEST_CASE("CANAILLE_SQL and CANAILLE_OIDC sections", "[config]") {
    Settings s = ok(R"(
CANAILLE_SQL:
  DATABASE_URI: postgresql://canaille@localhost/canaille
  PASSWORD_SCHEMES: pbkdf2_sha512
  POOL_SIZE: 12
  AUTO_MIGRATE: false
CANAILLE_OIDC:
  ENABLE_OIDC: false
  DYNAMIC_CLIENT_REGISTRATION_OPEN: true
  REQUIRE_NONCE: false
  TRUSTED_DOMAINS: [.example.org]
)");
    CHECK(s.sql.database_uri == "postgresql://canaille@localhost/canaille");
    CHECK(s.sql.password_schemes == "pbkdf2_sha512");
    CHECK(s.sql.pool_size == 12);
    CHECK_FALSE(s.sql.auto_migrate);
    CHECK_FALSE(s.oidc.enable_oidc);
    CHECK(s.oidc.dynamic_client_registration_open);
    CHECK_FALSE(s.oidc.require_nonce);
    CHECK(s.oidc.trusted_domains == std::vector<std::string>{".example.org"});

    CHECK(joined(load_string("CANAILLE_SQL:\n  DATABASE_URI: mysql://x\n", {})) ==
          "<string>:2:3: CANAILLE_SQL.DATABASE_URI: expected sqlite:///PATH or postgresql://...\n");
}

TEST_CASE("durations", "[config]") {
    CHECK(parse_duration("0") == 0);
    CHECK(parse_duration("3600") == 3600);
    CHECK(parse_duration("PT30S") == 30);
    CHECK(parse_duration("PT10M") == 600);
    CHECK(parse_duration("PT1H30M") == 5400);
    CHECK(parse_duration("P30D") == 30 * 86400);
    CHECK(parse_duration("P2W") == 14 * 86400);
    CHECK(parse_duration("P1DT12H") == 36 * 3600);
    CHECK(parse_duration("p1dt1s") == 86401);
    for (const char* bad :
         {"", "P", "PT", "P1DT", "P1M", "P1Y", "PT1D", "P1H", "PT1S1M", "PT1H1H", "P-1D", "-5",
          "1.5", "PT0.5S", "P1D ", "30s", "P99999999999999999999D", "P9999999999999999D"}) {
        INFO(bad);
        CHECK_FALSE(parse_duration(bad));
    }
    CHECK(format_duration(30) == "PT30S");
    CHECK(format_duration(172800) == "P2D");
    CHECK(format_duration(90061) == "P1DT1H1M1S");
    CHECK(parse_duration(format_duration(5400)) == 5400);

    CHECK(ok("CANAILLE:\n  TOTP_LIFETIME: 45\n").canaille.totp_lifetime == 45);
    CHECK(ok("CANAILLE:\n  PASSWORD_LIFETIME: null\n").canaille.password_lifetime == std::nullopt);
    CHECK(messages(load_string("CANAILLE:\n  OTP_LIFETIME: 10 minutes\n", {})) ==
          std::vector<std::string>{
              "<string>:2:17: CANAILLE.OTP_LIFETIME: expected a duration (ISO 8601 such as "
              "P30D, PT1H30M, or a number of seconds), got \"10 minutes\""});
    CHECK(messages(load_string("CANAILLE:\n  OTP_LIFETIME: 0\n", {})) ==
          std::vector<std::string>{
              "<string>:2:17: CANAILLE.OTP_LIFETIME: must be at least 1 seconds"});
}

TEST_CASE("unknown keys are errors located at the key", "[config]") {
    auto r = load_string("CANAILLE:\n  NAME: x\n  FOO: 1\n", {}, "canaille.yaml");
    CHECK(messages(r) == std::vector<std::string>{"canaille.yaml:3:3: unknown key CANAILLE.FOO"});

    CHECK(messages(load_string("SECRET_KEY: x\nCANAILLE_SAML:\n  URI: x\n", {})) ==
          std::vector<std::string>{"<string>:2:1: unknown key CANAILLE_SAML"});
    CHECK(messages(load_string("CANAILLE:\n  SMTP:\n      HOSTNAME: x\n", {})) ==
          std::vector<std::string>{"<string>:3:7: unknown key CANAILLE.SMTP.HOSTNAME"});
    CHECK(messages(load_string("CANAILLE:\n  name: x\n", {})) ==
          std::vector<std::string>{"<string>:2:3: unknown key CANAILLE.name (did you mean NAME?)"});
    CHECK(messages(load_string("CANAILLE:\n  ACL:\n    X:\n      READS: []\n", {})) ==
          std::vector<std::string>{"<string>:4:7: unknown key CANAILLE.ACL.X.READS"});
    CHECK(messages(load_string("DEBUG: true\nDEBUG: false\n", {})) ==
          std::vector<std::string>{"<string>:2:1: duplicate key DEBUG"});
}

// Errors come in document order; an environment value sits where it was merged (last in its
// section when the file did not have the key).
TEST_CASE("every error is reported at once", "[config]") {
    auto r = load_string(R"(LOG_LEVEL: LOUD
BOGUS: 1
CANAILLE:
  NAME: [a, b]
  FORCE_HTTPS: maybe
  SMTP:
    PORT: 70000
CANAILLE_SQL:
  POOL_SIZE: many
CANAILLE_OIDC:
  TRUSTED_DOMAINS: example.org
)",
                         {"CANAILLE__HTMX=sometimes"}, "c.yaml");
    CHECK(messages(r) ==
          std::vector<std::string>{
              "c.yaml:1:12: LOG_LEVEL: expected one of DEBUG, INFO, SECURITY, WARNING, ERROR, got "
              "\"LOUD\"",
              "c.yaml:2:1: unknown key BOGUS",
              "c.yaml:4:9: CANAILLE.NAME: expected a string, got a list",
              "c.yaml:5:16: CANAILLE.FORCE_HTTPS: expected a boolean (true or false), got "
              "\"maybe\"",
              "c.yaml:7:11: CANAILLE.SMTP.PORT: must be between 1 and 65535, got 70000",
              "environment CANAILLE__HTMX: CANAILLE.HTMX: expected a boolean (true or false), "
              "got \"sometimes\"",
              "c.yaml:9:14: CANAILLE_SQL.POOL_SIZE: expected an integer, got \"many\"",
              "c.yaml:11:20: CANAILLE_OIDC.TRUSTED_DOMAINS: expected a list of strings (such as "
              "[a, b]), got \"example.org\"",
          });
}

TEST_CASE("type and value errors say what was expected", "[config]") {
    auto err = [](const std::string& yaml) {
        auto m = messages(load_string(yaml, {}));
        REQUIRE(m.size() == 1);
        return m.front();
    };
    CHECK(err("CANAILLE: 3\n") == "<string>:1:11: CANAILLE: expected a mapping of keys, got \"3\"");
    CHECK(err("- a\n- b\n") ==
          "<string>:1:1: expected a mapping of keys at the top level, got a list");
    CHECK(err("CANAILLE:\n  NAME: null\n") ==
          "<string>:2:9: CANAILLE.NAME: expected a string, got null");
    CHECK(err("CANAILLE:\n  LOGIN_ATTRIBUTES: [user_name, shoe_size]\n") ==
          "<string>:2:33: CANAILLE.LOGIN_ATTRIBUTES: \"shoe_size\" is not one of user_name, "
          "password, preferred_language, family_name, given_name, formatted_name, display_name, "
          "emails, phone_numbers, formatted_address, street, postal_code, locality, region, "
          "photo, profile_url, title, organization, employee_number, department, lock_date, "
          "groups");
    CHECK(err("CANAILLE:\n  AUTHENTICATION_FACTORS: [password, password]\n") ==
          "<string>:2:38: CANAILLE.AUTHENTICATION_FACTORS: \"password\" is listed twice");
    CHECK(err("CANAILLE:\n  AUTHENTICATION_FACTORS: [password, email]\n") ==
          "<string>:2:3: CANAILLE.AUTHENTICATION_FACTORS: the email factor needs CANAILLE.SMTP");
    CHECK(err("CANAILLE:\n  MIN_PASSWORD_LENGTH: 20\n  MAX_PASSWORD_LENGTH: 10\n") ==
          "<string>:2:3: CANAILLE.MIN_PASSWORD_LENGTH (20) is greater than MAX_PASSWORD_LENGTH "
          "(10)");
    CHECK(err("CANAILLE:\n  ENABLE_PASSWORD_COMPROMISSION_CHECK: true\n") ==
          "<string>:2:3: CANAILLE.ENABLE_PASSWORD_COMPROMISSION_CHECK needs CANAILLE.ADMIN_EMAIL "
          "(where failures to reach the API are reported)");
    CHECK(err("CANAILLE:\n  SMTP:\n    TLS: true\n    SSL: true\n") ==
          "<string>:4:5: CANAILLE.SMTP: TLS (STARTTLS) and SSL cannot both be true");
    CHECK(err("CANAILLE:\n  NAME: [unclosed\n").rfind("<string>:3:1: invalid YAML: ", 0) == 0);
    CHECK(err("{1: 2}\n") == "<string>:1:2: unknown key 1");

    // The maximum password length is capped at 4096, 0 meaning "the cap".
    CHECK(ok("CANAILLE:\n  MAX_PASSWORD_LENGTH: 100000\n").canaille.max_password_length == 4096);
    CHECK(ok("CANAILLE:\n  MAX_PASSWORD_LENGTH: 0\n").canaille.max_password_length == 4096);
}

TEST_CASE("a missing file is one error naming it", "[config]") {
    TempDir dir;
    std::string path = (dir.path() / "nope.yaml").string();
    auto r = load(path, {});
    REQUIRE_FALSE(r);
    REQUIRE(r.error().size() == 1);
    CHECK(r.error().front().format() ==
          path + ": cannot read configuration file: No such file or directory");

    auto file = dir.write("c.yaml", "CANAILLE:\n  NAME: From file\n  NOPE: 1\n");
    auto bad = load(file.string(), {});
    CHECK(messages(bad) ==
          std::vector<std::string>{file.string() + ":3:3: unknown key CANAILLE.NOPE"});
    auto good = load(dir.write("d.yaml", "CANAILLE:\n  NAME: From file\n").string(), {});
    REQUIRE(good);
    CHECK(good->canaille.name == "From file");
    CHECK(good->source_path == (dir.path() / "d.yaml").string());
}

TEST_CASE("the environment overrides the file", "[config]") {
    const std::string file = R"(
SECRET_KEY: from-the-file-0123456789
CANAILLE:
  NAME: File
  SMTP:
    HOST: file.example.org
    PORT: 25
CANAILLE_SQL:
  POOL_SIZE: 3
)";
    Settings s = ok(file, {"CANAILLE__NAME=Env", "CANAILLE__SMTP__PORT=2525",
                           "CANAILLE_SQL__POOL_SIZE=9", "CANAILLE_OIDC__TRUSTED_DOMAINS=[a, b]",
                           "CANAILLE_SECRET_KEY=*from the env: not YAML {", "CANAILLE_DEBUG=true",
                           "CANAILLE_PERMANENT_SESSION_LIFETIME=PT2H"});
    CHECK(s.canaille.name == "Env");
    REQUIRE(s.canaille.smtp);
    CHECK(s.canaille.smtp->host == "file.example.org");  // siblings from the file stay
    CHECK(s.canaille.smtp->port == 2525);
    CHECK(s.sql.pool_size == 9);
    CHECK(s.oidc.trusted_domains == std::vector<std::string>{"a", "b"});
    CHECK(s.secret_key.reveal() == "*from the env: not YAML {");
    CHECK(s.debug);
    CHECK(s.permanent_session_lifetime == 7200);

    // Nesting creates what the file does not have.
    Settings n = ok("", {"CANAILLE__SMTP__HOST=mail.example.org", "CANAILLE__SMTP__TLS=true"});
    REQUIRE(n.canaille.smtp);
    CHECK(n.canaille.smtp->host == "mail.example.org");
    CHECK(n.canaille.smtp->tls);
    CHECK(n.canaille.smtp->port == 25);

    // A whole mapping, then a key inside it.
    Settings m = ok("", {"CANAILLE__SMTP__PORT=465", "CANAILLE__SMTP={HOST: x, SSL: true}"});
    CHECK(m.canaille.smtp->host == "x");
    CHECK(m.canaille.smtp->port == 465);
    CHECK(m.canaille.smtp->ssl);

    // Variables that are not ours, and the config path itself, are ignored.
    CHECK(ok("", {"PATH=/bin", "CANAILLE_CONFIG=/etc/canaille.yaml", "CANAILLE_ENV=.env",
                  "OTHER__KEY=1", "NOEQUALS", "CANAILLE=1"})
              .canaille.name == "Canaille");
}

TEST_CASE("environment errors name the variable", "[config]") {
    CHECK(messages(load_string("", {"CANAILLE__FOO=1"})) ==
          std::vector<std::string>{"environment CANAILLE__FOO: unknown key CANAILLE.FOO"});
    CHECK(messages(load_string("", {"CANAILLE_NAME=x"})) ==
          std::vector<std::string>{
              "environment CANAILLE_NAME: unknown key NAME (did you mean CANAILLE__NAME?)"});
    // Names that match no key anywhere are left to whoever set them.
    CHECK(ok("", {"CANAILLE_VIEWS_DIR=/x", "CANAILLE_TEST_BACKEND=sqlite"}).canaille.name ==
          "Canaille");
    CHECK(messages(load_string("", {"CANAILLE_CANAILLE=x"})) ==
          std::vector<std::string>{"environment CANAILLE_CANAILLE: unknown key CANAILLE"});
    CHECK(messages(load_string("", {"CANAILLE_SAML__URI=x"})) ==
          std::vector<std::string>{"environment CANAILLE_SAML__URI: unknown key CANAILLE_SAML.URI "
                                   "(sections are CANAILLE, CANAILLE_SQL, CANAILLE_LDAP and "
                                   "CANAILLE_OIDC)"});
    CHECK(messages(load_string("", {"CANAILLE_SQL__POOL_SIZE=[1"}))
              .front()
              .rfind("environment CANAILLE_SQL__POOL_SIZE: invalid value: ", 0) == 0);
    CHECK(messages(load_string("CANAILLE:\n  SMTP: yes\n", {"CANAILLE__SMTP__HOST=x"})) ==
          std::vector<std::string>{
              "environment CANAILLE__SMTP__HOST: cannot set CANAILLE.SMTP.HOST: CANAILLE.SMTP is "
              "not a mapping",
              "<string>:2:9: CANAILLE.SMTP: expected a mapping of keys, got \"yes\""});
    CHECK(messages(load_string("", {"CANAILLE__SMTP={HOST: x, PORTS: 1}"})) ==
          std::vector<std::string>{"environment CANAILLE__SMTP: unknown key CANAILLE.SMTP.PORTS"});
}

TEST_CASE("default ACL", "[config]") {
    Settings s = ok("");
    REQUIRE(s.canaille.acl.count("DEFAULT") == 1);
    REQUIRE(s.canaille.acl.count("ADMIN") == 1);
    const AclSettings& d = s.canaille.acl.at("DEFAULT");
    CHECK_FALSE(d.filter);
    CHECK(d.permissions == std::vector<std::string>{"edit_self", "use_oidc", "manage_own_groups"});
    CHECK(d.read == std::vector<std::string>{"user_name", "groups", "lock_date"});
    CHECK(d.write.size() == 18);
    const AclSettings& a = s.canaille.acl.at("ADMIN");
    REQUIRE(a.filter);
    CHECK(*a.filter == std::vector<std::map<std::string, std::string>>{{{"user_name", "admin"}},
                                                                       {{"groups", "admin"}}});
    CHECK(a.permissions == std::vector<std::string>{"manage_oidc", "manage_users",
                                                    "manage_all_groups", "delete_account",
                                                    "impersonate_users"});
    CHECK(a.write == std::vector<std::string>{"groups", "lock_date"});
    // A default-constructed Settings carries them too.
    CHECK(Settings{}.canaille.acl.size() == 2);
}

TEST_CASE("custom ACL replaces the defaults", "[config]") {
    Settings s = ok(R"(
CANAILLE:
  ACL:
    EVERYONE:
      PERMISSIONS: [edit_self]
      READ: [user_name]
      WRITE: [emails]
    STAFF:
      FILTER: {groups: staff, organization: ACME}
      PERMISSIONS: [manage_users]
    HELPDESK:
      FILTER:
        - groups: helpdesk
        - user_name: alice
    NOBODY:
)");
    CHECK(s.canaille.acl.size() == 4);
    CHECK_FALSE(s.canaille.acl.at("EVERYONE").filter);
    CHECK(*s.canaille.acl.at("STAFF").filter ==
          std::vector<std::map<std::string, std::string>>{
              {{"groups", "staff"}, {"organization", "ACME"}}});
    CHECK(s.canaille.acl.at("HELPDESK").filter->size() == 2);
    CHECK(s.canaille.acl.at("NOBODY").permissions.empty());

    CHECK(messages(load_string(R"(CANAILLE:
  ACL:
    X:
      PERMISSIONS: [edit_self, fly]
      READ: [user_name, ssn]
      FILTER: [{shoe: 42}, 3]
)",
                               {})) ==
          std::vector<std::string>{
              "<string>:4:32: CANAILLE.ACL.X.PERMISSIONS: \"fly\" is not one of edit_self, "
              "use_oidc, manage_oidc, manage_users, manage_all_groups, manage_own_groups, "
              "delete_account, impersonate_users",
              "<string>:5:25: CANAILLE.ACL.X.READ: \"ssn\" is not one of user_name, password, "
              "preferred_language, family_name, given_name, formatted_name, display_name, emails, "
              "phone_numbers, formatted_address, street, postal_code, locality, region, photo, "
              "profile_url, title, organization, employee_number, department, lock_date, groups",
              "<string>:6:17: CANAILLE.ACL.X.FILTER: \"shoe\" is not a user attribute",
              "<string>:6:28: CANAILLE.ACL.X.FILTER: expected a mapping {attribute: value}, got "
              "\"3\""});

    // From the environment, one ACL changes and the defaults stay.
    Settings e = ok("", {"CANAILLE__ACL__ADMIN__PERMISSIONS=[manage_users]"});
    CHECK(e.canaille.acl.size() == 2);
    CHECK(e.canaille.acl.at("ADMIN").permissions == std::vector<std::string>{"manage_users"});
    CHECK(e.canaille.acl.at("ADMIN").filter->size() == 2);
    CHECK(e.canaille.acl.at("DEFAULT").permissions.size() == 3);
}

TEST_CASE("SECRET_KEY_FILE", "[config]") {
    TempDir dir;
    dir.write("secret", "s3cr3t-from-a-file-0123\n");
    auto cfg = dir.write("canaille.yaml", "SECRET_KEY_FILE: secret\n");
    auto r = load(cfg.string(), {});
    INFO(joined(r));
    REQUIRE(r);
    CHECK(r->secret_key.reveal() == "s3cr3t-from-a-file-0123");  // relative to the file

    auto abs = (dir.path() / "secret").string();
    CHECK(ok("SECRET_KEY_FILE: " + abs + "\n").secret_key.reveal() == "s3cr3t-from-a-file-0123");

    CHECK(messages(load_string("SECRET_KEY_FILE: " + abs + ".missing\n", {})) ==
          std::vector<std::string>{"<string>:1:18: SECRET_KEY_FILE: cannot read " + abs +
                                   ".missing: No such file or directory"});
    dir.write("empty", "\n");
    CHECK(messages(load_string("SECRET_KEY_FILE: " + (dir.path() / "empty").string() + "\n", {})) ==
          std::vector<std::string>{
              "<string>:1:18: SECRET_KEY_FILE: " + (dir.path() / "empty").string() + " is empty"});
    CHECK(messages(load_string("SECRET_KEY: a\nSECRET_KEY_FILE: " + abs + "\n", {})) ==
          std::vector<std::string>{
              "<string>:2:1: SECRET_KEY and SECRET_KEY_FILE are both set; keep one"});

    // The environment's spelling beats the file's other spelling.
    CHECK(ok("SECRET_KEY: from-file\n", {"CANAILLE_SECRET_KEY_FILE=" + abs}).secret_key.reveal() ==
          "s3cr3t-from-a-file-0123");
    CHECK(
        ok("SECRET_KEY_FILE: " + abs + "\n", {"CANAILLE_SECRET_KEY=env-key"}).secret_key.reveal() ==
        "env-key");
}

TEST_CASE("validate_for_production", "[config]") {
    Settings s = ok("");
    auto errors = validate_for_production(s);
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().message.rfind("SECRET_KEY is not set", 0) == 0);

    s = ok("SECRET_KEY: short\n");
    s.source_path = "c.yaml";
    errors = validate_for_production(s);
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().format() ==
          "c.yaml: SECRET_KEY is too short (5 bytes; at least 16 are needed)");

    CHECK(validate_for_production(ok("SECRET_KEY: 0123456789abcdef\n")).empty());
}

TEST_CASE("ConfigError::format and resolve_path", "[config]") {
    CHECK(ConfigError{"a.yaml", 3, 7, "boom"}.format() == "a.yaml:3:7: boom");
    CHECK(ConfigError{"", 0, 0, "boom", "CANAILLE__X"}.format() == "environment CANAILLE__X: boom");
    CHECK(ConfigError{"a.yaml", 0, 0, "boom"}.format() == "a.yaml: boom");

    const char* saved_canaille = std::getenv("CANAILLE_CONFIG");
    const char* saved_config = std::getenv("CONFIG");
    std::string keep_canaille = saved_canaille ? saved_canaille : "";
    std::string keep_config = saved_config ? saved_config : "";
    unsetenv("CANAILLE_CONFIG");
    unsetenv("CONFIG");
    CHECK(resolve_path(std::nullopt).empty());
    setenv("CONFIG", "/b.yaml", 1);
    CHECK(resolve_path(std::nullopt) == "/b.yaml");
    setenv("CANAILLE_CONFIG", "/a.yaml", 1);
    CHECK(resolve_path(std::nullopt) == "/a.yaml");
    CHECK(resolve_path(std::string("/cli.yaml")) == "/cli.yaml");
    bool found = false;
    for (const auto& e : environment()) found = found || e == "CANAILLE_CONFIG=/a.yaml";
    CHECK(found);
    unsetenv("CANAILLE_CONFIG");
    unsetenv("CONFIG");
    if (saved_canaille) setenv("CANAILLE_CONFIG", keep_canaille.c_str(), 1);
    if (saved_config) setenv("CONFIG", keep_config.c_str(), 1);
}

TEST_CASE("the sample file loads and documents every key", "[config][sample]") {
    // meson passes both paths; the fallback lets the binary run on its own too.
    const char* sample_env = std::getenv("CONFIG_SAMPLE");
    const char* doc_env = std::getenv("CONFIG_DOC");
    const std::string sample =
        sample_env ? sample_env : std::string(CONFIG_SOURCE_ROOT) + "/etc/canaille.sample.yaml";
    const std::string doc =
        doc_env ? doc_env : std::string(CONFIG_SOURCE_ROOT) + "/doc/configuration.md";

    auto as_is = load(sample, {});
    INFO(joined(as_is));
    REQUIRE(as_is);
    CHECK(as_is->canaille.name == "Canaille");
    CHECK(as_is->canaille.acl.size() == 2);

    // Uncommented, every default it shows must load and equal the built-in default.
    std::string text = uncomment(read_all(sample));
    auto uncommented = load_string(text, {}, "uncommented sample");
    INFO(joined(uncommented));
    REQUIRE(uncommented);
    const Settings defaults;
    CHECK(uncommented->permanent_session_lifetime == defaults.permanent_session_lifetime);
    CHECK(uncommented->canaille.totp_lifetime == defaults.canaille.totp_lifetime);
    CHECK(uncommented->canaille.otp_lifetime == defaults.canaille.otp_lifetime);
    CHECK(uncommented->canaille.invitation_expiration == defaults.canaille.invitation_expiration);
    CHECK(uncommented->canaille.login_attributes == defaults.canaille.login_attributes);
    CHECK(uncommented->canaille.logo == defaults.canaille.logo);
    CHECK(uncommented->sql.database_uri == defaults.sql.database_uri);
    CHECK(uncommented->sql.password_schemes == defaults.sql.password_schemes);
    CHECK(uncommented->oidc.trusted_domains == defaults.oidc.trusted_domains);
    const auto& acl = uncommented->canaille.acl;
    const auto default_acls = default_acl();
    REQUIRE(acl.size() == default_acls.size());
    for (const auto& [name, a] : default_acls) {
        INFO(name);
        CHECK(acl.at(name).permissions == a.permissions);
        CHECK(acl.at(name).read == a.read);
        CHECK(acl.at(name).write == a.write);
        CHECK(acl.at(name).filter == a.filter);
    }

    std::set<std::string> present;
    collect_paths(YAML::Load(text), "", present);
    std::string reference = read_all(doc);
    for (const auto& key : known_keys()) {
        INFO(key);
        CHECK(present.count(key) == 1);
        CHECK(reference.find("`" + key + "`") != std::string::npos);
    }
    CHECK(known_keys().size() > 50);
}

TEST_CASE("hostile input is an error, never a crash", "[config]") {
    std::vector<std::string> inputs = {
        std::string(100000, '[') + std::string(100000, ']'),
        std::string(100000, '{'),
        "CANAILLE: &a {NAME: x}\nCANAILLE_SQL: *a\n",
        "CANAILLE: *undefined\n",
        "CANAILLE:\n  SMTP: !!binary aGVsbG8=\n",
        "CANAILLE:\n  MIN_PASSWORD_LENGTH: 99999999999999999999999\n",
        "CANAILLE:\n  CAPTCHA_LENGTH: -9223372036854775808\n",
        "CANAILLE:\n  TOTP_LIFETIME: P9223372036854775807W\n",
        "CANAILLE:\n  ACL: [1, 2]\n",
        "CANAILLE:\n  ACL:\n    ? [a]\n    : {}\n",
        "CANAILLE:\n  ACL:\n    X:\n      FILTER: {groups: [a, b]}\n",
        std::string("NAME: \0\xff\xfe", 10),
        "---\n...\n---\nDEBUG: true\n",
        "%YAML 9.9\n---\n",
        "\t- tab\n",
    };
    for (const auto& input : inputs) {
        INFO(input.substr(0, 80));
        // Whatever the outcome, every error must carry a message.
        auto plain = load_string(input, {});
        if (!plain) {
            for (const auto& e : plain.error()) CHECK_FALSE(e.format().empty());
        }
        auto r = load_string(input, {"CANAILLE__ACL__X__FILTER=[[", "CANAILLE__SMTP__PORT={}"});
        REQUIRE_FALSE(r.has_value());
        for (const auto& e : r.error()) CHECK_FALSE(e.format().empty());
    }
    CHECK(messages(load_string(inputs.front(), {})).front().rfind("<string>:", 0) == 0);
}

TEST_CASE("CANAILLE_LDAP selects the directory and checks its keys", "[config][ldap]") {
    const std::string base =
        "CANAILLE_LDAP:\n  USER_BASE: ou=users,dc=x\n  GROUP_BASE: ou=groups,dc=x\n";
    auto s = ok(base +
                    "  URI: ldaps://ldap.example.org\n  BIND_PW: s3cret\n  TIMEOUT: 2.5\n"
                    "  USER_CLASS: posixAccount\n",
                {});
    REQUIRE(s.ldap);
    CHECK(s.uses_ldap());
    CHECK(s.ldap->uri == "ldaps://ldap.example.org");
    CHECK(s.ldap->root_dn == "dc=example,dc=org");
    CHECK(s.ldap->bind_pw.reveal() == "s3cret");
    CHECK(s.ldap->timeout == 2.5);
    CHECK(s.ldap->user_class == std::vector<std::string>{"posixAccount"});
    CHECK(s.ldap->group_rdn == "cn");

    // CANAILLE.DATABASE wins over the presence of the section.
    CHECK_FALSE(ok("CANAILLE:\n  DATABASE: sql\n" + base, {}).uses_ldap());
    CHECK_FALSE(ok("", {}).uses_ldap());
    // The environment alone can configure it.
    auto env = ok("", {"CANAILLE_LDAP__USER_BASE=ou=u,dc=x", "CANAILLE_LDAP__GROUP_BASE=ou=g,dc=x",
                       "CANAILLE_LDAP__URI=ldapi:///"});
    REQUIRE(env.ldap);
    CHECK(env.ldap->uri == "ldapi:///");

    CHECK(messages(load_string("CANAILLE_LDAP:\n  URI: ldap://x\n", {})) ==
          std::vector<std::string>{"<string>: CANAILLE_LDAP.USER_BASE is required",
                                   "<string>: CANAILLE_LDAP.GROUP_BASE is required"});
    CHECK(messages(load_string(base + "  URI: http://x\n", {})) ==
          std::vector<std::string>{
              "<string>:4:3: CANAILLE_LDAP.URI: expected ldap://, ldaps:// or ldapi://"});
    CHECK(messages(load_string(base + "  TIMEOUT: soon\n", {})) ==
          std::vector<std::string>{
              "<string>:4:12: CANAILLE_LDAP.TIMEOUT: expected a number of seconds, got \"soon\""});
    CHECK(messages(load_string(base + "  URI: ldaps://x\n  START_TLS: true\n", {})) ==
          std::vector<std::string>{
              "<string>:5:3: CANAILLE_LDAP.START_TLS only applies to ldap:// URIs"});
}

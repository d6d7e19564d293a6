// SPDX-License-Identifier: MIT
// Real third-party OpenID Connect relying parties signing a person in through nginx (the
// shipped snippet) + `canaille fcgi --workers 2`: the npm `openid-client` library
// (test/e2e/oidc_openid_client.mjs) and Python authlib (test/e2e/oidc_authlib.py). Each
// script drives the whole journey (authorize → login → consent → code → tokens) and checks
// every step itself; and Apache with mod_auth_openidc protecting a page
// (test/e2e/oidc_mod_auth_openidc.py plays the browser). This wrapper brings the stack up, creates
// the person and the client with the CLI, and requires exit code 0. Runs on $CANAILLE_TEST_BACKEND.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <regex>
#include <sstream>

#include "fixtures/canaille_fixture.hpp"
#include "fixtures/files.hpp"
#include "fixtures/net.hpp"
#include "fixtures/nginx_fixture.hpp"
#include "fixtures/process.hpp"
#include "fixtures/temp_dir.hpp"

using namespace canaille::fixtures;

namespace {

const std::string kUser = "alice";
const std::string kPassword = "correct horse battery staple";
constexpr auto kScriptTimeout = std::chrono::seconds(120);

struct Client {
    std::string id;
    std::string secret;
    std::string redirect_uri;
};

std::string json_string_field(const std::string& json, const std::string& name) {
    const std::regex re("\"" + name + "\"\\s*:\\s*\"([^\"]+)\"");
    std::smatch m;
    if (!std::regex_search(json, m, re)) {
        throw std::runtime_error("no " + name + " in: " + json);
    }
    return m[1].str();
}

std::string tail(const std::string& text) {
    constexpr std::size_t kTail = 4096;
    return text.size() <= kTail ? text : text.substr(text.size() - kTail);
}

/// nginx (the shipped snippet at "/") + canaille fcgi with 2 workers, one person.
class Stack {
  public:
    /// `trusted`: keep the default TRUSTED_DOMAINS (127.0.0.1 skips consent); otherwise
    /// trust nothing so the person sees and accepts the consent page.
    explicit Stack(bool trusted) : canaille_(dir_, require_binary()) {
        nginx_ = std::make_unique<NginxFixture>(
            dir_, NginxOptions{"deploy/nginx/canaille.conf", canaille_.socket_path(), "", ""});
        // SERVER_NAME stays unset: the issuer is built from the Host the libraries send,
        // http://127.0.0.1:<port>, which the scripts check against discovery.
        std::string config = read_file(canaille_.config_path());
        if (!trusted) {
            // The fixture writes CANAILLE_OIDC last (with the signing key).
            if (config.find("CANAILLE_OIDC:\n") == std::string::npos) {
                throw std::runtime_error("the fixture config has no CANAILLE_OIDC section");
            }
            config = std::regex_replace(config, std::regex("CANAILLE_OIDC:\n"),
                                        "CANAILLE_OIDC:\n  TRUSTED_DOMAINS: []\n");
        }
        write_file(canaille_.config_path(), config);
        canaille_.create_user(kUser, kPassword);
        canaille_.start_fcgi(2);
    }
    ~Stack() { nginx_.reset(); }
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;
    Stack(Stack&&) = delete;
    Stack& operator=(Stack&&) = delete;

    [[nodiscard]] std::string issuer() const { return nginx_->base_url(); }
    [[nodiscard]] const TempDir& dir() const { return dir_; }

    /// `canaille create client` for a confidential client on 127.0.0.1 (never contacted:
    /// the scripts stop at the redirect and hand the URL to the library).
    Client create_client(std::string redirect_uri = "") {
        Client client;
        client.redirect_uri = redirect_uri.empty()
                                  ? "http://127.0.0.1:" + std::to_string(free_port()) + "/cb"
                                  : std::move(redirect_uri);
        const auto created = canaille_.cli_ok({"create",
                                               "client",
                                               "--client-name",
                                               "RP",
                                               "--redirect-uris",
                                               client.redirect_uri,
                                               "--grant-types",
                                               "authorization_code",
                                               "--grant-types",
                                               "refresh_token",
                                               "--grant-types",
                                               "client_credentials",
                                               "--response-types",
                                               "code",
                                               "--token-endpoint-auth-method",
                                               "client_secret_basic",
                                               "--scope",
                                               "openid",
                                               "--scope",
                                               "profile",
                                               "--scope",
                                               "email"});
        client.id = json_string_field(created.out, "client_id");
        client.secret = json_string_field(created.out, "client_secret");
        return client;
    }

    [[nodiscard]] std::string diagnostics() const {
        return "--- canaille fcgi log (tail) ---\n" + tail(canaille_.fcgi_log()) +
               "\n--- nginx error log (tail) ---\n" + (nginx_ ? tail(nginx_->error_log()) : "");
    }

  private:
    static std::string require_binary() {
        std::string bin = canaille_binary();
        if (bin.empty()) {
            throw std::runtime_error("CANAILLE_BIN is not set (meson sets it for `meson test`)");
        }
        return bin;
    }

    TempDir dir_;
    CanailleFixture canaille_;
    std::unique_ptr<NginxFixture> nginx_;
};

/// Runs a relying-party script against a fresh stack and requires exit code 0.
void run_relying_party(const std::vector<std::string>& interpreter, const std::string& script,
                       bool trusted) {
    Stack stack(trusted);
    const Client client = stack.create_client();
    std::vector<std::string> argv = interpreter;
    for (const auto& arg : {source_root() + "/test/e2e/" + script, stack.issuer(), client.id,
                            client.secret, client.redirect_uri, kUser, kPassword}) {
        argv.push_back(arg);
    }
    if (!trusted) {
        argv.emplace_back("consent");
    }
    const auto result = run_command(argv, {}, stack.dir().path(), "rp", kScriptTimeout);
    INFO("command: " << script << " (trusted: " << trusted << ")\n--- stdout ---\n"
                     << result.out << "\n--- stderr ---\n"
                     << result.err << "\n"
                     << stack.diagnostics());
    std::cout << result.out << std::flush;  // one line per step, kept in meson's log
    CHECK_FALSE(result.timed_out);
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("ALL PASSED") != std::string::npos);
}

constexpr auto kApacheStartTimeout = std::chrono::seconds(20);
const std::string kApacheModules = "/usr/lib/apache2/modules";

/// A local Apache (`apache2 -f CONF -DFOREGROUND`, everything inside `dir`/apache) whose
/// /protected/ pages mod_auth_openidc guards with `client`. The page echoes the email
/// claim the module passes to the request environment.
class ApacheRp {
  public:
    ApacheRp(const TempDir& dir, int port, const std::string& issuer, const Client& client)
        : root_(dir.file("apache")), port_(port) {
        std::filesystem::create_directories(root_ + "/htdocs/protected");
        // As root the workers run as www-data: they must read the page.
        std::filesystem::permissions(root_, std::filesystem::perms(0755));
        std::filesystem::permissions(root_ + "/htdocs", std::filesystem::perms(0755));
        std::filesystem::permissions(root_ + "/htdocs/protected", std::filesystem::perms(0755));
        write_file(root_ + "/htdocs/protected/page.shtml",
                   "email=<!--#echo var=\"OIDC_CLAIM_email\" -->;\n");
        std::filesystem::permissions(root_ + "/htdocs/protected/page.shtml",
                                     std::filesystem::perms(0644));
        const std::string listen = "127.0.0.1:" + std::to_string(port_);
        std::string conf = "ServerRoot " + root_ + "\nPidFile " + root_ +
                           "/apache.pid\nDefaultRuntimeDir " + root_ + "\nErrorLog " + root_ +
                           "/error.log\nLogLevel warn auth_openidc:info\nListen " + listen +
                           "\nServerName " + listen + "\n";
        if (geteuid() == 0) {
            conf += "User www-data\nGroup www-data\n";
        }
        for (const auto& [name, file] : std::vector<std::pair<std::string, std::string>>{
                 {"mpm_event_module", "mod_mpm_event.so"},
                 {"authz_core_module", "mod_authz_core.so"},
                 {"authz_user_module", "mod_authz_user.so"},
                 {"authn_core_module", "mod_authn_core.so"},
                 {"include_module", "mod_include.so"},
                 {"auth_openidc_module", "mod_auth_openidc.so"}}) {
            conf += "LoadModule " + name + " " + kApacheModules + "/" + file + "\n";
        }
        conf += "DocumentRoot " + root_ + "/htdocs\n" + "OIDCProviderMetadataURL " + issuer +
                "/.well-known/openid-configuration\n" + "OIDCClientID " + client.id +
                "\nOIDCClientSecret " + client.secret + "\nOIDCRedirectURI " + client.redirect_uri +
                "\nOIDCCryptoPassphrase " + client.secret +
                "\nOIDCScope \"openid email profile\"\n"
                "OIDCProviderTokenEndpointAuth client_secret_basic\n"
                "<Location /protected>\n  AuthType openid-connect\n  Require valid-user\n"
                "</Location>\n<Directory " +
                root_ + "/htdocs/protected>\n  Options +Includes\n  SetOutputFilter INCLUDES\n" +
                "</Directory>\n";
        write_file(root_ + "/httpd.conf", conf);
        const auto syntax = run_command({"/usr/sbin/apache2", "-t", "-f", root_ + "/httpd.conf"},
                                        {}, root_, "apache-t");
        if (syntax.exit_code != 0) {
            throw std::runtime_error("apache2 -t failed:\n" + syntax.err + "\n" + conf);
        }
        process_ = std::make_unique<Process>(
            std::vector<std::string>{"/usr/sbin/apache2", "-f", root_ + "/httpd.conf",
                                     "-DFOREGROUND"},
            std::map<std::string, std::string>{}, root_, "apache");
        if (!wait_for_tcp(port_, kApacheStartTimeout, process_.get())) {
            throw std::runtime_error("apache did not start:\n" + process_->stderr_text() +
                                     error_log());
        }
    }
    ~ApacheRp() { process_->stop(); }
    ApacheRp(const ApacheRp&) = delete;
    ApacheRp& operator=(const ApacheRp&) = delete;
    ApacheRp(ApacheRp&&) = delete;
    ApacheRp& operator=(ApacheRp&&) = delete;

    [[nodiscard]] std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    [[nodiscard]] std::string error_log() const {
        try {
            return read_file(root_ + "/error.log");
        } catch (const std::runtime_error&) {
            return "";
        }
    }

  private:
    std::string root_;
    int port_;
    std::unique_ptr<Process> process_;
};

std::string node_binary() { return env_or("NODE_BIN", "node"); }
std::string python_binary() { return env_or("PYTHON_BIN", "/usr/bin/python3"); }

}  // namespace

TEST_CASE("openid-client: code + PKCE, refresh, userinfo, introspection, revocation",
          "[openid-client]") {
    SECTION("trusted client (no consent page)") {
        run_relying_party({node_binary()}, "oidc_openid_client.mjs", true);
    }
    SECTION("untrusted client (consent accepted)") {
        run_relying_party({node_binary()}, "oidc_openid_client.mjs", false);
    }
}

TEST_CASE("mod_auth_openidc: sign-in with consent, the claims reach the protected page",
          "[mod_auth_openidc]") {
    Stack stack(false);
    const int port = free_port();
    const Client client =
        stack.create_client("http://127.0.0.1:" + std::to_string(port) + "/protected/redirect_uri");
    ApacheRp apache(stack.dir(), port, stack.issuer(), client);
    const auto result = run_command(
        {python_binary(), source_root() + "/test/e2e/oidc_mod_auth_openidc.py",
         apache.url("/protected/page.shtml"), kUser, kPassword, kUser + "@example.org", "consent"},
        {}, stack.dir().path(), "rp", kScriptTimeout);
    INFO("--- stdout ---\n"
         << result.out << "\n--- stderr ---\n"
         << result.err << "\n"
         << stack.diagnostics() << "\n--- apache error log ---\n"
         << apache.error_log());
    std::cout << result.out << std::flush;  // one line per step, kept in meson's log
    CHECK_FALSE(result.timed_out);
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("ALL PASSED") != std::string::npos);
}

TEST_CASE("authlib: code + PKCE, ID token against the JWKS, userinfo, refresh", "[authlib]") {
    SECTION("trusted client (no consent page)") {
        run_relying_party({python_binary()}, "oidc_authlib.py", true);
    }
    SECTION("untrusted client (consent accepted)") {
        run_relying_party({python_binary()}, "oidc_authlib.py", false);
    }
}

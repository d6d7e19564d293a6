// SPDX-License-Identifier: MIT
// The LDAP store's transport options for remote directories (issue 5): ldaps:// and
// StartTLS (RFC 4513 §3) with a CA file, both refusing a certificate they cannot verify,
// and the network/operation timeout against a server that accepts TCP but never answers.
// The TLS slapd is a separate server from SlapdServer::instance(), started on first use.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "conformance/helpers.hpp"
#include "fixtures/slapd_server.hpp"
#include "fixtures/temp_dir.hpp"
#include "store/ldap/ldap_store.hpp"

#ifndef CANAILLE_LDAP_SCHEMA_DIR
#error "CANAILLE_LDAP_SCHEMA_DIR must name the source ldap-schemas directory"
#endif

using namespace canaille;
using namespace canaille::store;
using namespace canaille::store::testing;
using canaille::fixtures::SlapdOptions;
using canaille::fixtures::SlapdServer;
using canaille::fixtures::TempDir;

namespace {

/// A TLS-enabled slapd whose certificate names 127.0.0.1 and localhost.
SlapdServer& tls_server() {
    static SlapdServer server([] {
        SlapdOptions options;
        options.tls = true;
        return options;
    }());
    return server;
}

/// A TLS-enabled slapd whose certificate (signed by its own CA) names another host only.
SlapdServer& misnamed_server() {
    static SlapdServer server([] {
        SlapdOptions options;
        options.tls = true;
        options.tls_names = "DNS:other-host.invalid";
        return options;
    }());
    return server;
}

/// A subtree of `server` reserved for one test and deleted (best effort) afterwards.
struct Subtree {
    explicit Subtree(SlapdServer& s) : server(s), root_dn(s.fresh_subtree()) {}
    ~Subtree() {
        try {
            server.admin_tool("ldapdelete", {"-r", root_dn}, "", false);
        } catch (const std::exception&) {
            // The server's directory is removed at exit anyway.
        }
    }
    Subtree(const Subtree&) = delete;
    Subtree& operator=(const Subtree&) = delete;

    /// True when the root entry exists (as seen by the admin over plain ldap://).
    bool exists() const { return !server.search(root_dn, "base", "(objectClass=*)").empty(); }

    SlapdServer& server;
    std::string root_dn;
};

/// Store options for `uri` on `server`, bound as its admin. No config_uri: every
/// operation, install() included, goes over the connection under test.
LdapOptions options_for(const SlapdServer& server, const std::string& uri,
                        const std::string& root_dn) {
    LdapOptions options;
    options.uri = uri;
    options.root_dn = root_dn;
    options.bind_dn = server.admin_dn();
    options.bind_pw = Secret(server.admin_password());
    options.timeout = 10;
    options.user_base = "ou=users," + root_dn;
    options.group_base = "ou=groups," + root_dn;
    options.schema_dir = CANAILLE_LDAP_SCHEMA_DIR;
    return options;
}

/// Installs the store, creates a user and reads it back.
void install_and_round_trip(Store& store) {
    store.install();
    auto user = add_user(store, "alice");
    auto found = store.get_user_by_name("alice");
    REQUIRE(found);
    CHECK(found->id == user.id);
    CHECK(found->emails == std::vector<std::string>{"alice@example.org"});
}

/// A TCP socket on 127.0.0.1 that listens and never accepts: connect() succeeds (the
/// kernel completes the handshake) but no byte is ever answered. Closed by its fd.
class SilentListener {
  public:
    SilentListener() : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(fd_ >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(listen(fd_, 8) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port_ = ntohs(addr.sin_port);
    }
    ~SilentListener() { close(); }
    SilentListener(const SilentListener&) = delete;
    SilentListener& operator=(const SilentListener&) = delete;

    [[nodiscard]] int port() const { return port_; }
    /// Closing resets the connections still in the backlog, which unblocks a client that
    /// ignored its timeout (so a failing test cannot hang).
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_;
    int port_ = 0;
};

}  // namespace

TEST_CASE("ldaps with the CA file installs and round-trips a user", "[ldap][tls]") {
    auto& server = tls_server();
    Subtree subtree(server);
    auto options = options_for(server, server.ldaps_uri(), subtree.root_dn);
    options.ca_file = server.ca_file();
    FakeClock clock(t0());
    auto store = open_ldap_store(options, clock);
    install_and_round_trip(*store);
    CHECK(subtree.exists());
}

TEST_CASE("ldaps without the CA file (system store) fails and writes nothing", "[ldap][tls]") {
    auto& server = tls_server();
    Subtree subtree(server);
    auto options = options_for(server, server.ldaps_uri(), subtree.root_dn);
    FakeClock clock(t0());
    LdapStore store(options, clock);
    CHECK_THROWS_AS(store.install(), StoreError);
    auto user = make_user("mallory");
    CHECK_THROWS_AS(store.create_user(user), StoreError);
    CHECK_FALSE(subtree.exists());
}

TEST_CASE("StartTLS on ldap:// with the CA file installs and round-trips a user", "[ldap][tls]") {
    auto& server = tls_server();
    Subtree subtree(server);
    auto options = options_for(server, server.uri(), subtree.root_dn);
    options.start_tls = true;
    options.ca_file = server.ca_file();
    FakeClock clock(t0());
    LdapStore store(options, clock);
    install_and_round_trip(store);
    CHECK(subtree.exists());
}

TEST_CASE("StartTLS refuses a certificate it cannot verify", "[ldap][tls]") {
    FakeClock clock(t0());

    SECTION("signed by another CA") {
        auto& server = tls_server();
        Subtree subtree(server);
        TempDir dir("canaille-tls-other-");
        const auto other =
            fixtures::generate_tls_files(dir.path(), "other", "IP:127.0.0.1,DNS:localhost");
        auto options = options_for(server, server.uri(), subtree.root_dn);
        options.start_tls = true;
        options.ca_file = other.ca_cert;
        LdapStore store(options, clock);
        CHECK_THROWS_AS(store.install(), StoreError);
        CHECK_FALSE(subtree.exists());
    }

    SECTION("issued for another host name") {
        auto& server = misnamed_server();
        Subtree subtree(server);
        auto options = options_for(server, server.uri(), subtree.root_dn);
        options.start_tls = true;
        options.ca_file = server.ca_file();
        LdapStore store(options, clock);
        CHECK_THROWS_AS(store.install(), StoreError);
        CHECK_FALSE(subtree.exists());
    }

    SECTION("ldaps issued for another host name") {
        auto& server = misnamed_server();
        Subtree subtree(server);
        auto options = options_for(server, server.ldaps_uri(), subtree.root_dn);
        options.ca_file = server.ca_file();
        LdapStore store(options, clock);
        CHECK_THROWS_AS(store.install(), StoreError);
        CHECK_FALSE(subtree.exists());
    }
}

TEST_CASE("a server that never answers times out with an error naming no password", "[ldap][tls]") {
    const std::string password = "never-Logged-pw-7c1e";
    SilentListener silent;
    const std::string port = std::to_string(silent.port());

    LdapOptions options;
    options.root_dn = "dc=silent";
    options.bind_dn = "cn=admin,dc=silent";
    options.bind_pw = Secret(password);
    options.user_base = "ou=users,dc=silent";
    options.group_base = "ou=groups,dc=silent";
    options.timeout = 1;
    SECTION("ldap://") { options.uri = "ldap://127.0.0.1:" + port; }
    SECTION("ldap:// with StartTLS") {
        options.uri = "ldap://127.0.0.1:" + port;
        options.start_tls = true;
    }
    SECTION("ldaps://") { options.uri = "ldaps://127.0.0.1:" + port; }
    CAPTURE(options.uri);

    FakeClock clock(t0());
    auto store = open_ldap_store(options, clock);
    const auto start = std::chrono::steady_clock::now();
    // On a thread, so that a client ignoring its timeout is cut by closing the listener
    // below instead of hanging the run.
    auto outcome = std::async(std::launch::async, [&]() -> std::string {
        try {
            store->install();
        } catch (const StoreError& e) {
            return e.what();
        }
        return "no error";
    });
    const bool in_time = outcome.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    silent.close();
    const std::string message = outcome.get();
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CAPTURE(message);
    CHECK(in_time);
    CHECK(elapsed < std::chrono::seconds(10));
    CHECK(message != "no error");
    CHECK(message.find(password) == std::string::npos);
}

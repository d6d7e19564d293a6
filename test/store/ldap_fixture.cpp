// SPDX-License-Identifier: MIT
// LDAP hookup of the conformance suite: one private slapd per test binary run
// (test/fixtures/slapd_server.cpp, with the project schemas loaded), one fresh subtree
// ou=t<N>,dc=test per store as its ROOT_DN (users and groups under it), deleted with
// the store.
#include <string>

#include "conformance/fixture.hpp"
#include "fixtures/slapd_server.hpp"
#include "store/ldap/ldap_store.hpp"

#ifndef CANAILLE_LDAP_SCHEMA_DIR
#error "CANAILLE_LDAP_SCHEMA_DIR must name the source ldap-schemas directory"
#endif

namespace canaille::store::testing {

using fixtures::SlapdServer;

namespace {

/// The options of a store rooted at `root_dn` on the shared server, bound as its admin.
LdapOptions options_for(const std::string& root_dn) {
    auto& server = SlapdServer::instance();
    LdapOptions options;
    options.uri = server.uri();
    options.root_dn = root_dn;
    options.bind_dn = server.admin_dn();
    options.bind_pw = Secret(server.admin_password());
    options.timeout = 10;
    options.user_base = "ou=users," + root_dn;
    options.group_base = "ou=groups," + root_dn;
    options.config_uri = server.ldapi_uri();
    options.schema_dir = CANAILLE_LDAP_SCHEMA_DIR;
    return options;
}

/// A subtree name reserved on construction and deleted (recursively, best effort) on
/// destruction. Not created: install() creates ROOT_DN under the existing dc=test.
struct TempSubtree {
    TempSubtree() : root_dn(SlapdServer::instance().fresh_subtree()) {}
    ~TempSubtree() {
        try {
            // 32 = noSuchObject: a blank store that was never installed.
            SlapdServer::instance().admin_tool("ldapdelete", {"-r", root_dn}, "", false);
        } catch (const std::exception&) {
            // Best effort: the whole server directory goes at exit anyway.
        }
    }
    TempSubtree(const TempSubtree&) = delete;
    TempSubtree& operator=(const TempSubtree&) = delete;
    std::string root_dn;
};

// The subtree is a base so it is named before, and deleted after, the store.
class TempLdapStore : private TempSubtree, public LdapStore {
  public:
    explicit TempLdapStore(const Clock& clock)
        : TempSubtree(), LdapStore(options_for(TempSubtree::root_dn), clock) {}
};

}  // namespace

std::unique_ptr<Store> make_blank_store(const Clock& clock) {
    return std::make_unique<TempLdapStore>(clock);
}

std::unique_ptr<Store> make_empty_store(const Clock& clock) {
    auto store = make_blank_store(clock);
    store->install();
    return store;
}

std::unique_ptr<Store> connect_again(Store& first, const Clock& clock) {
    auto& ldap = dynamic_cast<LdapStore&>(first);
    return std::make_unique<LdapStore>(ldap.options(), clock);
}

}  // namespace canaille::store::testing

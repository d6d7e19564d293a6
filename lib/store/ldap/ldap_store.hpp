// SPDX-License-Identifier: MIT
// The LDAP backend of Store: users, groups and Canaille's OAuth objects in an OpenLDAP
// directory, compatible with an existing Canaille directory (reference §4,
// doc/ldap-schema.md, doc/store-ldap.md). One connection per LdapStore (one per worker).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/ldap/ldap_conn.hpp"
#include "store/store.hpp"

namespace canaille::store {

/// Store on an LDAP directory. Layout under ROOT_DN (created by install()):
///   USER_BASE, GROUP_BASE                 users (USER_CLASS, RDN USER_RDN), groups
///   ou=oauth: ou=clients, ou=authorizations, ou=tokens, ou=consents   (Canaille's layout)
///   ou=sessions, ou=replay                ccppSession, ccppReplayRecord
///   cn=nobody                             the placeholder member of empty groups
/// Model ids are entryUUIDs (kept on restore with the Relax Rules control). Times are
/// stored to the second (GeneralizedTime).
class LdapStore : public Store {
  public:
    /// What schema_version() answers once both schemas are loaded and every container
    /// above exists; 0 before install().
    static constexpr int kSchemaVersion = 1;

    LdapStore(LdapOptions options, const Clock& clock);
    ~LdapStore() override;
    LdapStore(const LdapStore&) = delete;
    LdapStore& operator=(const LdapStore&) = delete;

    const LdapOptions& options() const { return options_; }
    /// The connection (tests: disconnect, reconnect).
    ldap::Connection& connection() { return *conn_; }

    void install() override;
    void check() override;
    int schema_version() override;

    Status create_user(model::User& user) override;
    Status update_user(model::User& user) override;
    Status delete_user(std::string_view id) override;
    std::optional<model::User> get_user(std::string_view id) override;
    std::optional<model::User> get_user_by_name(std::string_view user_name) override;
    std::optional<model::User> get_user_by_email(std::string_view email) override;
    std::vector<model::User> list_users(std::string_view query, Page page) override;
    std::size_t count_users(std::string_view query) override;
    std::optional<PasswordVerdict> check_password(const model::User& user,
                                                  std::string_view password) override;
    std::optional<Status> set_password(const model::User& user, const Secret& password) override;

    Status create_group(model::Group& group) override;
    Status update_group(model::Group& group) override;
    Status delete_group(std::string_view id) override;
    std::optional<model::Group> get_group(std::string_view id) override;
    std::optional<model::Group> get_group_by_name(std::string_view display_name) override;
    std::vector<model::Group> list_groups(std::string_view query, Page page) override;
    std::size_t count_groups(std::string_view query) override;
    Status add_member(std::string_view group_id, std::string_view user_id) override;
    Status remove_member(std::string_view group_id, std::string_view user_id) override;

    Status create_session(const model::Session& session) override;
    std::optional<model::Session> get_session(std::string_view id_hash, TimePoint now) override;
    Status update_session(const model::Session& session) override;
    Status delete_session(std::string_view id_hash) override;
    std::size_t delete_user_sessions(std::string_view user_id) override;

    // ---- OAuth objects: ldap_oidc.cpp ----
    Status create_client(model::Client& client) override;
    Status update_client(model::Client& client) override;
    Status delete_client(std::string_view id) override;
    std::optional<model::Client> get_client(std::string_view id) override;
    std::optional<model::Client> get_client_by_client_id(std::string_view client_id) override;
    std::vector<model::Client> list_clients(std::string_view query, Page page) override;
    std::size_t count_clients(std::string_view query) override;

    Status create_code(model::AuthorizationCode& code) override;
    std::optional<model::AuthorizationCode> consume_code(std::string_view code_hash,
                                                         TimePoint now) override;
    std::optional<model::AuthorizationCode> get_code_by_hash(std::string_view code_hash) override;
    std::optional<model::AuthorizationCode> get_code(
        std::string_view authorization_code_id) override;
    Status delete_code(std::string_view authorization_code_id) override;
    std::vector<model::AuthorizationCode> list_codes(Page page) override;

    Status create_token(model::Token& token) override;
    std::optional<model::Token> get_token(std::string_view token_id) override;
    std::optional<model::Token> get_token_by_access_hash(
        std::string_view access_token_hash) override;
    std::optional<model::Token> get_token_by_refresh_hash(
        std::string_view refresh_token_hash) override;
    std::optional<model::Token> rotate_refresh_token(std::string_view refresh_hash,
                                                     TimePoint now) override;
    Status revoke_token(std::string_view token_id, TimePoint now) override;
    std::size_t revoke_tokens_by_code(std::string_view authorization_code_id,
                                      TimePoint now) override;
    std::size_t revoke_tokens_of(std::string_view subject, std::string_view client_id,
                                 TimePoint now) override;
    std::vector<model::Token> list_tokens(std::string_view query, Page page) override;
    std::size_t count_tokens(std::string_view query) override;

    Status create_consent(model::Consent& consent) override;
    Status update_consent(model::Consent& consent) override;
    std::optional<model::Consent> get_consent(std::string_view consent_id) override;
    std::optional<model::Consent> get_consent_for(std::string_view subject,
                                                  std::string_view client_id) override;
    std::vector<model::Consent> list_consents_of(std::string_view subject) override;
    Status delete_consent(std::string_view consent_id) override;

    bool remember_jti(std::string_view jti, TimePoint expires) override;

    PurgeCounts purge_expired(TimePoint now) override;

  private:
    // ---- shared by ldap_store.cpp and ldap_oidc.cpp ----
    /// DNs of the fixed containers.
    std::string oauth_base(std::string_view ou) const;  ///< "ou=<ou>,ou=oauth,<ROOT_DN>"
    std::string sessions_base() const;
    std::string replay_base() const;
    std::string placeholder_dn() const;  ///< "cn=nobody,<ROOT_DN>"
    /// The DN of the user / group / client with this entryUUID (one search), if any.
    std::optional<std::string> user_dn(std::string_view id);
    std::optional<std::string> group_dn(std::string_view id);
    std::optional<std::string> client_dn(std::string_view id);
    /// The entry of class `object_class` with this entryUUID below `base` (one search;
    /// nullopt without asking when `id` is no UUID).
    std::optional<ldap::Entry> entry_by_id(std::string_view base, ldap::Scope scope,
                                           std::string_view object_class, std::string_view id,
                                           const std::vector<std::string>& attrs);
    /// True when an entry below ROOT_DN has this entryUUID (a restore's chosen id).
    bool id_in_use(std::string_view id);
    /// The entryUUID of the entry at `dn`, if it exists (DN-valued attributes -> model ids).
    std::optional<std::string> id_of(std::string_view dn);
    /// Deletes every entry under `base` matching `filter`; returns how many.
    std::size_t remove_matching(std::string_view base, std::string_view filter);

    /// Deletes the user's codes, tokens and consents (delete_user's cascade; ldap_oidc.cpp).
    void delete_oauth_objects_of_user(std::string_view user_dn);
    /// purge_expired's share for codes and tokens (ldap_oidc.cpp): fills counts.codes and
    /// counts.tokens.
    void purge_oauth_objects(TimePoint now, PurgeCounts& counts);

    // ---- ldap_store.cpp only (added by helper ldap-core) ----
    /// DN (lower-cased) -> entryUUID, resolved at most once per call.
    using IdCache = std::map<std::string, std::optional<std::string>>;
    std::optional<std::string> cached_id(std::string_view dn, IdCache& cache);
    std::string user_filter(std::string_view inner) const;
    std::string group_filter(std::string_view inner) const;
    std::optional<ldap::Entry> user_entry(std::string_view id);
    std::optional<ldap::Entry> group_entry(std::string_view id);
    model::User to_user(const ldap::Entry& e, IdCache& cache);
    model::Group to_group(const ldap::Entry& e, IdCache& cache);
    /// Adds or removes one member DN, keeping the placeholder rules of doc/ldap-schema.md.
    Status change_membership(const std::string& group_dn, const std::string& member_dn, bool add);
    /// not_found-free lookups of user/group ids to DNs; nullopt when one is missing.
    std::optional<std::vector<std::string>> user_dns(const std::vector<std::string>& ids);
    /// An email of `emails` used by another user than `self_id`.
    bool email_taken(const std::vector<std::string>& emails, std::string_view self_id);
    // ---- email claims (added by helper ldap-cleanup; doc/store-ldap.md, "Email claims") ----
    std::string emails_base() const;  ///< "ou=emails,<ROOT_DN>"
    /// Claims `email` for the user at `owner_dn` (an entry keyed by a hash of the address,
    /// created by an add, so two workers get one winner); `stamp` marks this call's claims.
    /// `owner_exists`: the user entry is already written (an update), so a claim naming it
    /// is its own. False when another user holds the address or a worker is writing one.
    bool claim_email(std::string_view email, const std::string& owner_dn, const std::string& stamp,
                     bool owner_exists);
    /// Claims every address of `emails`; on failure releases those it claimed.
    bool claim_emails(const std::vector<std::string>& emails, const std::string& owner_dn,
                      const std::string& stamp, bool owner_exists);
    /// Deletes the claims of `emails` held by `owner_dn` (and, with a stamp, made by that
    /// call only).
    void release_emails(const std::vector<std::string>& emails, const std::string& owner_dn,
                        const std::string& stamp = "");
    /// Points the claims of `emails` held by `from_dn` at `to_dn` (after a rename).
    void move_claims(const std::vector<std::string>& emails, const std::string& from_dn,
                     const std::string& to_dn);
    std::vector<ldap::Entry> sorted_users(std::string_view query);
    std::vector<ldap::Entry> sorted_groups(std::string_view query);

    LdapOptions options_;
    const Clock& clock_;
    std::unique_ptr<ldap::Connection> conn_;
};

}  // namespace canaille::store

// SPDX-License-Identifier: MIT
// store: the one storage interface every backend implements (SQLite now, PostgreSQL and
// LDAP later), checked by the conformance suite in test/store/. Uses model and util only.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "model/authorization_code.hpp"
#include "model/client.hpp"
#include "model/consent.hpp"
#include "model/group.hpp"
#include "model/session.hpp"
#include "model/token.hpp"
#include "model/user.hpp"
#include "util/clock.hpp"
#include "util/secret.hpp"

namespace canaille::store {

/// Outcome of a write. `already_exists` = the identifier (user_name, group display_name,
/// id, session id) is taken; `conflict` = another unique attribute (an email, an OTP
/// secret) belongs to someone else; `not_found` = the target does not exist; `invalid` =
/// the record cannot be stored (empty identifier, an email twice, a reference to a user or
/// group that does not exist). A write that does not return `ok` changed nothing.
enum class [[nodiscard]] Status{ok, not_found, already_exists, conflict, invalid};

std::string_view to_string(Status s);

/// A page of a listing.
struct Page {
    std::size_t offset = 0;
    std::size_t limit = 25;
};

/// What purge_expired removed, per kind of record.
struct PurgeCounts {
    std::size_t sessions = 0;
    std::size_t codes = 0;
    std::size_t tokens = 0;
    std::size_t replays = 0;

    std::size_t total() const { return sessions + codes + tokens + replays; }
    bool operator==(const PurgeCounts&) const = default;
};

/// Thrown for I/O failures and broken invariants (the one catch per request answers 500).
struct StoreError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// What a store that checks passwords itself (LDAP: a bind with the ppolicy control) says.
enum class PasswordVerdict {
    ok,           ///< right password
    mismatch,     ///< wrong password, or the account has none
    locked,       ///< the directory locked the account (ppolicy accountLocked)
    expired,      ///< the password expired (ppolicy passwordExpired)
    must_change,  ///< right password, but it was reset and must be changed (changeAfterReset)
};

class Store {
  public:
    virtual ~Store() = default;

    /// Creates or migrates the schema to the current version; idempotent.
    virtual void install() = 0;
    /// Throws StoreError unless the store answers and its schema is current.
    virtual void check() = 0;
    /// Schema version the store is at (0 = not installed).
    virtual int schema_version() = 0;

    // ---- users ----
    /// Assigns id/created/last_modified when empty. already_exists on a taken user_name
    /// (compared ignoring ASCII case, like an LDAP uid), conflict on an email already used
    /// by another user (ignoring case). Group memberships in `user.groups` are written too.
    /// On success `user` holds what was stored (ids, times at the store's precision).
    virtual Status create_user(model::User& user) = 0;
    /// Replaces every attribute of the user with this id (lists and memberships included);
    /// sets last_modified, keeps the stored `created` when `user.created` is empty.
    virtual Status update_user(model::User& user) = 0;
    /// Deletes the user, its memberships (ownerships become empty), its sessions, and its
    /// authorization codes, tokens and consents.
    virtual Status delete_user(std::string_view id) = 0;
    virtual std::optional<model::User> get_user(std::string_view id) = 0;
    /// Exact match on user_name, ignoring ASCII case (the uniqueness rule).
    virtual std::optional<model::User> get_user_by_name(std::string_view user_name) = 0;
    /// Exact, case-insensitive match on one of the user's emails.
    virtual std::optional<model::User> get_user_by_email(std::string_view email) = 0;
    /// Fuzzy, case-insensitive substring search over user_name, names, emails and phone
    /// numbers; empty query = everyone. Ordered by user_name.
    virtual std::vector<model::User> list_users(std::string_view query, Page page) = 0;
    virtual std::size_t count_users(std::string_view query) = 0;

    /// Stores that verify passwords themselves (LDAP binds as the user) answer here; the
    /// others return nullopt and the caller checks `user.password` with auth::verify_password.
    virtual std::optional<PasswordVerdict> check_password(const model::User& user,
                                                          std::string_view password) {
        (void)user;
        (void)password;
        return std::nullopt;
    }
    /// Stores that hash passwords themselves (LDAP Password Modify, RFC 3062) set it and
    /// return the outcome (not_found for an unknown user); the others return nullopt and the
    /// caller stores auth::hash_password's result in `user.password` through update_user.
    virtual std::optional<Status> set_password(const model::User& user, const Secret& password) {
        (void)user;
        (void)password;
        return std::nullopt;
    }

    // ---- groups ----
    /// already_exists when display_name is taken. Members and owner are user ids.
    virtual Status create_group(model::Group& group) = 0;
    virtual Status update_group(model::Group& group) = 0;
    virtual Status delete_group(std::string_view id) = 0;
    virtual std::optional<model::Group> get_group(std::string_view id) = 0;
    /// Exact match on display_name, ignoring ASCII case (the uniqueness rule).
    virtual std::optional<model::Group> get_group_by_name(std::string_view display_name) = 0;
    virtual std::vector<model::Group> list_groups(std::string_view query, Page page) = 0;
    virtual std::size_t count_groups(std::string_view query) = 0;
    /// Idempotent membership edits; not_found when either side is missing.
    virtual Status add_member(std::string_view group_id, std::string_view user_id) = 0;
    virtual Status remove_member(std::string_view group_id, std::string_view user_id) = 0;

    // ---- sessions ----
    virtual Status create_session(const model::Session& session) = 0;
    /// The live session with this id hash; an expired one is not returned.
    virtual std::optional<model::Session> get_session(std::string_view id_hash, TimePoint now) = 0;
    virtual Status update_session(const model::Session& session) = 0;
    virtual Status delete_session(std::string_view id_hash) = 0;
    /// Number of sessions removed.
    virtual std::size_t delete_user_sessions(std::string_view user_id) = 0;

    // ---- clients ----
    /// Assigns id/created/last_modified when empty. already_exists on a taken client_id or
    /// id; invalid on an empty client_id or an audience entry naming no client (the client
    /// itself may be in its own audience).
    virtual Status create_client(model::Client& client) = 0;
    /// Replaces every attribute of the client with this id and sets last_modified.
    /// Compare-and-swap: when `client.last_modified` is set and differs from the stored
    /// value, returns conflict and writes nothing (someone else updated it first).
    /// client_id is immutable: a different one is invalid.
    virtual Status update_client(model::Client& client) = 0;
    /// Deletes the client with its consents, codes and tokens, and removes it from other
    /// clients' and tokens' audiences, all at once.
    virtual Status delete_client(std::string_view id) = 0;
    virtual std::optional<model::Client> get_client(std::string_view id) = 0;
    /// Exact, case-sensitive match (RFC 6749 §2.2 client identifiers are case-sensitive).
    virtual std::optional<model::Client> get_client_by_client_id(std::string_view client_id) = 0;
    /// Case-insensitive substring search over client_id, client_name, description and
    /// client_uri; empty query = every client. Ordered by client_id.
    virtual std::vector<model::Client> list_clients(std::string_view query, Page page) = 0;
    virtual std::size_t count_clients(std::string_view query) = 0;

    // ---- authorization codes ----
    /// Assigns id when empty. already_exists on a taken authorization_code_id or id,
    /// conflict on a taken code_hash; invalid on an empty authorization_code_id or
    /// code_hash, or an unknown client_id or subject.
    virtual Status create_code(model::AuthorizationCode& code) = 0;
    /// RFC 6749 §4.1.2 single use: returns the code with this hash exactly once, across
    /// every connection, and only while it is usable (not consumed, not revoked, and
    /// issue_date + lifetime > now); stamps consumed_at = now. Any other case → nullopt;
    /// use get_code_by_hash to tell a replay (consumed_at set) from an unknown code.
    virtual std::optional<model::AuthorizationCode> consume_code(std::string_view code_hash,
                                                                 TimePoint now) = 0;
    /// The code with this hash, whatever its state (replay detection).
    virtual std::optional<model::AuthorizationCode> get_code_by_hash(
        std::string_view code_hash) = 0;
    virtual std::optional<model::AuthorizationCode> get_code(
        std::string_view authorization_code_id) = 0;
    virtual Status delete_code(std::string_view authorization_code_id) = 0;
    /// Every code in any state, oldest first (issue_date, then authorization_code_id): the
    /// dump walks them page by page.
    virtual std::vector<model::AuthorizationCode> list_codes(Page page) = 0;

    // ---- tokens ----
    /// Assigns id when empty. already_exists on a taken token_id or id, conflict on a taken
    /// access_token_hash or refresh_token_hash; invalid on an empty token_id or
    /// access_token_hash, or an unknown client_id, subject or audience entry.
    /// authorization_code_id and parent_token_id are plain values (they may outlive the
    /// code or token they name).
    virtual Status create_token(model::Token& token) = 0;
    virtual std::optional<model::Token> get_token(std::string_view token_id) = 0;
    virtual std::optional<model::Token> get_token_by_access_hash(
        std::string_view access_token_hash) = 0;
    virtual std::optional<model::Token> get_token_by_refresh_hash(
        std::string_view refresh_token_hash) = 0;
    /// Refresh-token rotation: returns the token with this refresh hash exactly once, and
    /// only while usable (refresh not consumed, token not revoked, issue_date + lifetime >
    /// now); stamps refresh_token_consumed_at = now and revokation_date = now in the same
    /// atomic step, so the old access token dies with its refresh token. Otherwise nullopt.
    virtual std::optional<model::Token> rotate_refresh_token(std::string_view refresh_hash,
                                                             TimePoint now) = 0;
    /// Sets revokation_date = now unless already revoked (the first date is kept; ok).
    virtual Status revoke_token(std::string_view token_id, TimePoint now) = 0;
    /// Revokes the not yet revoked tokens issued from this code; returns how many.
    virtual std::size_t revoke_tokens_by_code(std::string_view authorization_code_id,
                                              TimePoint now) = 0;
    /// Revokes the not yet revoked tokens of this user for this client; returns how many.
    virtual std::size_t revoke_tokens_of(std::string_view subject, std::string_view client_id,
                                         TimePoint now) = 0;
    /// Case-insensitive substring search over token_id, client_id, subject and type; empty
    /// query = every token. Ordered by issue_date descending, then token_id.
    virtual std::vector<model::Token> list_tokens(std::string_view query, Page page) = 0;
    virtual std::size_t count_tokens(std::string_view query) = 0;

    // ---- consents ----
    /// Assigns id when empty. already_exists on a taken consent_id or id, conflict when the
    /// user already has a consent for this client; invalid on an empty consent_id or an
    /// unknown subject or client_id.
    virtual Status create_consent(model::Consent& consent) = 0;
    /// Replaces scope, issue_date and revokation_date of the consent with this id
    /// (accepting again = new scope, new date, revokation cleared). consent_id, subject and
    /// client_id are immutable: a change is invalid.
    virtual Status update_consent(model::Consent& consent) = 0;
    virtual std::optional<model::Consent> get_consent(std::string_view consent_id) = 0;
    virtual std::optional<model::Consent> get_consent_for(std::string_view subject,
                                                          std::string_view client_id) = 0;
    /// This user's consents, ordered by issue_date then consent_id.
    virtual std::vector<model::Consent> list_consents_of(std::string_view subject) = 0;
    virtual Status delete_consent(std::string_view consent_id) = 0;

    // ---- replay protection ----
    /// Records a JWT `jti` until `expires`. True the first time, false when it is already
    /// recorded (a replay); atomic across connections (RFC 7523 §3 item 7).
    virtual bool remember_jti(std::string_view jti, TimePoint expires) = 0;

    // ---- maintenance ----
    /// Removes what can never be used again: sessions with expires <= now, codes and
    /// tokens with issue_date + lifetime <= now (a refresh token expires with its access
    /// token, as in Canaille), replay records with expires <= now.
    virtual PurgeCounts purge_expired(TimePoint now) = 0;
};

/// The LDAP backend's settings (CANAILLE_LDAP, reference §3).
struct LdapOptions {
    std::string uri = "ldap://localhost";  ///< ldap://, ldaps:// or ldapi://
    std::string root_dn = "dc=example,dc=org";
    /// Empty with an ldapi:// URI = SASL EXTERNAL (the peer credentials of the process).
    std::string bind_dn = "cn=admin,dc=example,dc=org";
    Secret bind_pw = Secret("admin");
    double timeout = -1;  ///< seconds, network and operations; < 0 = none
    std::string user_base;
    std::vector<std::string> user_class = {"inetOrgPerson"};
    std::string user_rdn = "uid";
    std::string group_base;
    std::string group_class = "groupOfNames";
    std::string group_rdn = "cn";
    std::string group_name_attribute = "cn";
    bool start_tls = false;  ///< StartTLS on ldap:// (remote directories)
    std::string ca_file;     ///< CA bundle for ldaps:// and StartTLS; empty = system store
    /// Where `install` loads schemas into cn=config: empty = the URI above with the bind
    /// above; "ldapi:///" (or a path-encoded ldapi URI) = SASL EXTERNAL as the local root.
    std::string config_uri;
    /// Directory holding oauth2-openldap.ldif and canaille-cpp.ldif for `install`.
    std::string schema_dir;
};

/// Opens an LDAP store (does not connect until the first operation). Throws StoreError
/// on options that cannot work (no USER_BASE, a bad URI).
std::unique_ptr<Store> open_ldap_store(const LdapOptions& options, const Clock& clock);

/// Opens the backend named by a database URI: "sqlite:///abs/path.sqlite",
/// "sqlite:relative.sqlite" or "sqlite::memory:". Throws StoreError on failure.
std::unique_ptr<Store> open_store(std::string_view uri, const Clock& clock);

}  // namespace canaille::store

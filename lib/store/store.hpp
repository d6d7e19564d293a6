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

#include "model/group.hpp"
#include "model/session.hpp"
#include "model/user.hpp"
#include "util/clock.hpp"

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

/// Thrown for I/O failures and broken invariants (the one catch per request answers 500).
struct StoreError : std::runtime_error {
    using std::runtime_error::runtime_error;
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
    /// Deletes the user, its memberships (ownerships become empty) and its sessions.
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
    /// Removes expired sessions; returns how many.
    virtual std::size_t purge_expired(TimePoint now) = 0;
};

/// Opens the backend named by a database URI: "sqlite:///abs/path.sqlite",
/// "sqlite:relative.sqlite" or "sqlite::memory:". Throws StoreError on failure.
std::unique_ptr<Store> open_store(std::string_view uri, const Clock& clock);

}  // namespace canaille::store

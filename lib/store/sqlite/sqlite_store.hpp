// SPDX-License-Identifier: MIT
// The SQLite backend of Store: the embedded default (first runs, development, test suites).
// One connection per SqliteStore; workers are single-threaded, so a store is never shared
// between threads. sqlite3 itself stays out of this header.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace canaille::store {

namespace detail {
struct SqliteCloser {
    void operator()(sqlite3* db) const;
};
struct SqliteFinalizer {
    void operator()(sqlite3_stmt* stmt) const;
};
class Statement;
}  // namespace detail

using SqliteHandle = std::unique_ptr<sqlite3, detail::SqliteCloser>;
using SqliteStatementHandle = std::unique_ptr<sqlite3_stmt, detail::SqliteFinalizer>;

/// Store on one SQLite database file (or ":memory:"). The connection runs in WAL mode with
/// foreign keys on, a 5 s busy timeout (so a writer waits for another instead of failing)
/// and synchronous=NORMAL. Timestamps are stored as integer Unix microseconds.
class SqliteStore : public Store {
  public:
    /// The schema version this code writes and expects (see doc/store.md).
    static constexpr int kSchemaVersion = 1;
    static constexpr int kBusyTimeoutMs = 5000;

    /// Opens (creating when missing) the database at `path`; ":memory:" for a private
    /// in-memory database. Does not install the schema. Throws StoreError on failure.
    SqliteStore(std::string path, const Clock& clock);
    ~SqliteStore() override;
    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;

    /// The file this store was opened on.
    const std::string& path() const { return path_; }

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
    std::size_t purge_expired(TimePoint now) override;

  private:
    class Transaction;
    struct CachedStatement;

    /// A statement from the per-connection cache (or a fresh one when the cached one is
    /// in use by an enclosing loop); reset and unbound when the handle goes away.
    detail::Statement prepare(std::string_view sql);
    void exec(const char* sql);

    std::optional<model::User> read_user(std::string_view where_sql, std::string_view key);
    void load_user_children(model::User& user);
    void write_user_children(const model::User& user);
    void write_user_memberships(const model::User& user);
    Status write_user(model::User& user, bool create);

    std::optional<model::Group> read_group(std::string_view where_sql, std::string_view key);
    void load_group_members(model::Group& group);
    void write_group_members(const model::Group& group);
    Status write_group(model::Group& group, bool create);

    bool exists(std::string_view sql, std::string_view key);

    std::string path_;
    const Clock& clock_;
    SqliteHandle db_;
    std::unordered_map<std::string, std::unique_ptr<CachedStatement>> cache_;
};

}  // namespace canaille::store

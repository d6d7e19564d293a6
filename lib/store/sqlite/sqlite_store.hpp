// SPDX-License-Identifier: MIT
// The SQLite backend of Store: the embedded default (first runs, development, test suites).
// One connection per SqliteStore; workers are single-threaded, so a store is never shared
// between threads. sqlite3 itself stays out of this header.
#pragma once

#include <cstddef>
#include <functional>
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
    static constexpr int kSchemaVersion = 2;
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
    class Transaction;
    struct CachedStatement;

    /// A statement from the per-connection cache (or a fresh one when the cached one is
    /// in use by an enclosing loop); reset and unbound when the handle goes away.
    detail::Statement prepare(std::string_view sql);
    void exec(const char* sql);

    std::optional<model::User> read_user(std::string_view where_sql, std::string_view key);
    void write_user_children(const model::User& user);
    void write_user_memberships(const model::User& user);
    Status write_user(model::User& user, bool create);

    std::optional<model::Group> read_group(std::string_view where_sql, std::string_view key);
    void load_group_members(model::Group& group);
    void write_group_members(const model::Group& group);
    Status write_group(model::Group& group, bool create);

    bool exists(std::string_view sql, std::string_view key);

    std::optional<model::Client> read_client(std::string_view where_sql, std::string_view key);
    void write_client_audience(const model::Client& client);
    Status write_client(model::Client& client, bool create);

    std::optional<model::AuthorizationCode> read_code(std::string_view where_sql,
                                                      std::string_view key);

    std::optional<model::Token> read_token(std::string_view where_sql, std::string_view key);
    void load_token_audience(model::Token& token);
    std::size_t revoke_tokens_where(std::string_view where_sql, std::string_view key1,
                                    std::string_view key2, TimePoint now);

    std::optional<model::Consent> read_consent(std::string_view where_sql, std::string_view key1,
                                               std::string_view key2 = {});

    std::string path_;
    const Clock& clock_;
    SqliteHandle db_;
    /// Looked up by string_view (transparent hash): a cache hit builds no key string.
    struct SqlHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view sql) const noexcept {
            return std::hash<std::string_view>{}(sql);
        }
    };
    std::unordered_map<std::string, std::unique_ptr<CachedStatement>, SqlHash, std::equal_to<>>
        cache_;
};

}  // namespace canaille::store

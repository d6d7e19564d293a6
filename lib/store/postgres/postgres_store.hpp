// SPDX-License-Identifier: MIT
// The PostgreSQL backend of Store: the production choice when several hosts share state.
// One connection per PostgresStore (one per single-threaded worker); libpqxx stays out of
// this header.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace canaille::store {

namespace detail {
class PgConnection;
class PgTx;
}  // namespace detail

/// Store on one PostgreSQL database, reached through a libpq connection string or URI
/// ("postgresql://user:pass@host:port/db", "postgresql:///db?host=/run/postgresql").
/// Timestamps are BIGINT Unix microseconds, as in the SQLite backend. A connection lost
/// between two operations (server restart, failover) is re-opened once and the operation
/// retried: reads always, writes only when the loss happened before COMMIT was sent; a
/// loss during COMMIT is a StoreError, since the outcome is unknown.
class PostgresStore : public Store {
  public:
    /// The schema version this code writes and expects (see doc/store-postgres.md).
    static constexpr int kSchemaVersion = 2;

    /// Connects to `conninfo`; does not install the schema. Throws StoreError when the
    /// server cannot be reached (the message never contains the password).
    PostgresStore(std::string conninfo, const Clock& clock);
    ~PostgresStore() override;
    PostgresStore(const PostgresStore&) = delete;
    PostgresStore& operator=(const PostgresStore&) = delete;

    /// The connection string this store was opened with.
    const std::string& conninfo() const { return conninfo_; }
    /// Process id of the server backend serving this store (0 when disconnected); for
    /// logs and tests.
    int backend_pid() const;

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
    /// The open connection, (re)connecting when there is none.
    detail::PgConnection& connection();

    /// Runs `body` (one or more statements that change nothing) outside a transaction
    /// block when it is one statement; retried once on a lost connection. A text argument
    /// PostgreSQL cannot hold (NUL, invalid UTF-8) cannot match anything: R{} is returned.
    template <typename F>
    auto read(F&& body);
    /// Runs `body` in one READ COMMITTED transaction and commits when it returns ok (or a
    /// non-Status value). Constraint violations become a Status; deadlocks and
    /// serialization failures are retried; a lost connection is retried once unless
    /// COMMIT was already sent.
    template <typename F>
    auto write(F&& body);

    Status write_user(model::User& user, bool create);
    Status write_group(model::Group& group, bool create);
    Status write_client(model::Client& client, bool create);

    std::string conninfo_;
    const Clock& clock_;
    std::unique_ptr<detail::PgConnection> conn_;
};

/// Opens a PostgresStore on a "postgresql://" or "postgres://" URI (`rest` is what
/// follows the scheme's ':'). libpq reads the URI itself: user, password, host (a
/// percent-encoded socket directory too), port, database and query parameters such as
/// `host=/run/postgresql` or `sslmode=require`. Throws StoreError on failure.
std::unique_ptr<Store> open_postgres(std::string_view uri, std::string_view rest,
                                     const Clock& clock);

}  // namespace canaille::store

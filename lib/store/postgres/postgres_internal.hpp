// SPDX-License-Identifier: MIT
// Internals shared by the PostgreSQL backend's translation units: the connection with its
// prepared statements, parameter lists, the retrying read/write wrappers and value
// conversions. Not part of the store's public interface.
#pragma once

#include <chrono>
#include <cstdint>
#include <new>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/postgres/postgres_store.hpp"

namespace canaille::store::detail {

/// A text value PostgreSQL cannot hold (a NUL byte, invalid UTF-8): nothing stored can
/// equal it, and a write carrying it is invalid.
struct UnstorableText {};

/// True when PostgreSQL can store `text` unchanged: valid UTF-8 without NUL bytes.
bool storable(std::string_view text);

std::int64_t to_micros(TimePoint t);
TimePoint from_micros(std::int64_t v);
/// Floors to the stored precision (microseconds).
TimePoint truncate(TimePoint t);
void truncate(std::optional<TimePoint>& t);
std::int64_t clamp_to_int64(std::size_t v);
/// Keeps the first occurrence of each value, in order.
std::vector<std::string> unique_values(const std::vector<std::string>& values);

/// Statement arguments, all sent as text (values never enter the SQL text). bytea goes as
/// its hex form, arrays as array literals.
class Params {
  public:
    Params& text(std::string_view v);
    Params& opt_text(const std::optional<std::string>& v);
    Params& bytes(const std::optional<std::string>& v);
    Params& i64(std::int64_t v);
    Params& opt_i64(const std::optional<std::int64_t>& v);
    Params& boolean(bool v);
    Params& time(TimePoint t) { return i64(to_micros(t)); }
    Params& opt_time(const std::optional<TimePoint>& t);
    /// A text[] literal.
    Params& text_array(const std::vector<std::string>& v);
    /// A bigint[] literal of microsecond times.
    Params& time_array(const std::vector<TimePoint>& v);
    /// A JSON array of strings, for the columns that keep short lists as JSON text.
    Params& json_strings(const std::vector<std::string>& v);

    const std::vector<std::optional<std::string>>& values() const { return values_; }

  private:
    std::vector<std::optional<std::string>> values_;
};

/// LIKE pattern matching `query` as a literal substring (ESCAPE '\' is the default).
std::string like_pattern(std::string_view query);

/// Field readers.
std::string text(const pqxx::field& f);
std::optional<std::string> opt_text(const pqxx::field& f);
std::optional<std::string> opt_bytes(const pqxx::field& f);
std::int64_t i64(const pqxx::field& f);
std::optional<std::int64_t> opt_i64(const pqxx::field& f);
bool boolean(const pqxx::field& f);
TimePoint time(const pqxx::field& f);
std::optional<TimePoint> opt_time(const pqxx::field& f);
/// A JSON array of strings (json_agg output or a JSON list column).
std::vector<std::string> json_strings(const pqxx::field& f);
/// A JSON array of integers read as microsecond times (json_agg of a BIGINT column).
std::vector<TimePoint> json_times(const pqxx::field& f);

/// A connection and the statements prepared on it. Replaced whole when it breaks, so
/// server-side state (prepared statements, settings) always matches what we believe.
class PgConnection {
  public:
    explicit PgConnection(const std::string& conninfo);
    pqxx::connection& pq() { return pq_; }
    /// The name of `sql` prepared on this connection (prepared on first use).
    const std::string& prepared(const std::string& sql);

  private:
    pqxx::connection pq_;
    std::unordered_map<std::string, std::string> names_;
};

/// One unit of work on a connection: a transaction block or a single autocommit read.
class PgTx {
  public:
    PgTx(PgConnection& conn, pqxx::transaction_base& tx) : conn_(conn), tx_(tx) {}
    /// Runs a prepared statement with these arguments.
    pqxx::result exec(const std::string& sql, const Params& params);
    pqxx::result exec(const std::string& sql) { return exec(sql, Params{}); }
    /// Runs SQL without arguments and without preparing it (DDL, several statements).
    pqxx::result exec_script(const std::string& sql) { return tx_.exec(sql); }

  private:
    PgConnection& conn_;
    pqxx::transaction_base& tx_;
};

/// True for the errors that mean the session is gone: SQLSTATE class 08 (connection
/// exception) and 57P01-57P03 (administrator/crash shutdown, server starting up).
bool is_connection_loss(const pqxx::sql_error& e);
/// The Status a refused constraint means (same mapping as the SQLite backend): a taken
/// identifier is already_exists, a taken secondary unique value (email, OTP secret, code
/// or token hash, a user's consent for a client) is conflict, anything else invalid.
Status status_of(const pqxx::integrity_constraint_violation& e);
[[noreturn]] void throw_store_error(std::string_view what, const std::exception& e);

}  // namespace canaille::store::detail

namespace canaille::store {

template <typename F>
auto PostgresStore::read(F&& body) {
    using R = std::invoke_result_t<F, detail::PgTx&>;
    for (int attempt = 1;; ++attempt) {
        try {
            detail::PgConnection& conn = connection();
            pqxx::nontransaction ntx(conn.pq());
            detail::PgTx tx(conn, ntx);
            return body(tx);
        } catch (const detail::UnstorableText&) {
            return R{};
        } catch (const pqxx::broken_connection& e) {
            conn_.reset();
            if (attempt > 1) detail::throw_store_error("connection lost", e);
        } catch (const pqxx::sql_error& e) {
            if (!detail::is_connection_loss(e)) detail::throw_store_error("query failed", e);
            conn_.reset();
            if (attempt > 1) detail::throw_store_error("connection lost", e);
        } catch (const StoreError&) {
            throw;
        } catch (const std::bad_alloc&) {
            throw;
        } catch (const std::exception& e) {
            // pqxx usage, conversion and range errors: a broken invariant, reported as such.
            detail::throw_store_error("query failed", e);
        }
    }
}

template <typename F>
auto PostgresStore::write(F&& body) {
    using R = std::invoke_result_t<F, detail::PgTx&>;
    constexpr int kMaxAttempts = 5;  // lost connection: 1 retry; deadlock/serialization: 4
    int lost = 0;
    for (int attempt = 1;; ++attempt) {
        bool committing = false;
        try {
            detail::PgConnection& conn = connection();
            pqxx::work work(conn.pq());
            detail::PgTx tx(conn, work);
            R result = body(tx);
            if constexpr (std::is_same_v<R, Status>) {
                if (result != Status::ok) return result;  // ~work rolls back
            }
            committing = true;
            work.commit();
            return result;
        } catch (const detail::UnstorableText&) {
            if constexpr (std::is_same_v<R, Status>) {
                return Status::invalid;
            } else {
                return R{};
            }
        } catch (const pqxx::integrity_constraint_violation& e) {
            if constexpr (std::is_same_v<R, Status>) {
                return detail::status_of(e);
            } else {
                detail::throw_store_error("constraint violated", e);
            }
        } catch (const pqxx::in_doubt_error& e) {
            conn_.reset();
            detail::throw_store_error("connection lost during COMMIT, outcome unknown", e);
        } catch (const pqxx::statement_completion_unknown& e) {
            conn_.reset();
            detail::throw_store_error("statement outcome unknown", e);
        } catch (const pqxx::transaction_rollback& e) {
            // Deadlock or serialization failure: the transaction was rolled back whole.
            if (attempt >= kMaxAttempts) detail::throw_store_error("transaction aborted", e);
        } catch (const pqxx::broken_connection& e) {
            conn_.reset();
            if (committing) {
                detail::throw_store_error("connection lost during COMMIT, outcome unknown", e);
            }
            if (++lost > 1 || attempt >= kMaxAttempts) {
                detail::throw_store_error("connection lost", e);
            }
        } catch (const pqxx::sql_error& e) {
            if (!detail::is_connection_loss(e)) detail::throw_store_error("statement failed", e);
            conn_.reset();
            if (committing) {
                detail::throw_store_error("connection lost during COMMIT, outcome unknown", e);
            }
            if (++lost > 1 || attempt >= kMaxAttempts) {
                detail::throw_store_error("connection lost", e);
            }
        } catch (const StoreError&) {
            throw;
        } catch (const std::bad_alloc&) {
            throw;
        } catch (const std::exception& e) {
            detail::throw_store_error("statement failed", e);
        }
    }
}

}  // namespace canaille::store

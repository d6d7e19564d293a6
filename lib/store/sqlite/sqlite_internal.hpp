// SPDX-License-Identifier: MIT
// Internals shared by the SQLite backend's translation units (sqlite_store.cpp for users,
// groups and sessions; sqlite_oidc.cpp for clients, codes, tokens, consents and replays).
// Not part of the store's public interface: include it from lib/store/sqlite/ only.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/sqlite/sqlite_store.hpp"

namespace canaille::store {

namespace detail {

/// A constraint the database refused (UNIQUE, FOREIGN KEY, NOT NULL...): an expected
/// outcome of a write, turned into a Status by the write method that caught it.
struct ConstraintViolation : StoreError {
    ConstraintViolation(int code, const std::string& message)
        : StoreError(message), extended_code(code) {}
    int extended_code;
};

/// Throws ConstraintViolation for SQLITE_CONSTRAINT*, StoreError otherwise.
[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view what);

// Timestamps are stored as integer Unix microseconds: exact for anything the app computes
// and what PostgreSQL keeps too. floor, not truncation, so times before 1970 round down.
inline std::int64_t to_micros(TimePoint t) {
    return std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
}
inline TimePoint from_micros(std::int64_t v) {
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(v)));
}
inline TimePoint truncate(TimePoint t) { return from_micros(to_micros(t)); }
inline void truncate(std::optional<TimePoint>& t) {
    if (t) t = truncate(*t);
}

inline std::int64_t clamp_to_int64(std::size_t v) {
    constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
    return static_cast<std::int64_t>(std::min(v, kMax));
}

/// LIKE pattern (ESCAPE '\\') for a case-insensitive substring search of `query`; compare
/// it with canaille_fold(column).
std::string search_pattern(std::string_view query);

/// A list of strings as a JSON array (scopes, amr, URIs...), and back. A stored value that
/// is not an array of strings throws StoreError naming `what`.
std::string list_to_json(const std::vector<std::string>& list);
std::vector<std::string> list_from_json(const std::string& json, std::string_view what);

/// A prepared statement in use: binds by index (values never enter the SQL text), steps,
/// reads columns. Reset and unbound on destruction so the cached statement can be reused.
class Statement {
  public:
    Statement(sqlite3_stmt* stmt, bool* in_use, SqliteStatementHandle owned)
        : stmt_(stmt), in_use_(in_use), owned_(std::move(owned)) {}
    ~Statement() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        if (in_use_ != nullptr) *in_use_ = false;
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind_null(int i) {
        check(sqlite3_bind_null(stmt_, i));
        return *this;
    }
    Statement& bind_text(int i, std::string_view v) {
        // A null pointer would bind SQL NULL: an empty string must stay an empty string.
        static constexpr char kEmpty[] = "";
        check(sqlite3_bind_text64(stmt_, i, v.empty() ? kEmpty : v.data(), v.size(),
                                  SQLITE_TRANSIENT, SQLITE_UTF8));
        return *this;
    }
    Statement& bind_opt_text(int i, const std::optional<std::string>& v) {
        return v ? bind_text(i, *v) : bind_null(i);
    }
    Statement& bind_opt_blob(int i, const std::optional<std::string>& v) {
        if (!v) return bind_null(i);
        if (v->empty()) {
            check(sqlite3_bind_zeroblob(stmt_, i, 0));
        } else {
            check(sqlite3_bind_blob64(stmt_, i, v->data(), v->size(), SQLITE_TRANSIENT));
        }
        return *this;
    }
    Statement& bind_int(int i, std::int64_t v) {
        check(sqlite3_bind_int64(stmt_, i, v));
        return *this;
    }
    Statement& bind_opt_int(int i, const std::optional<std::int64_t>& v) {
        return v ? bind_int(i, *v) : bind_null(i);
    }
    Statement& bind_time(int i, TimePoint t) { return bind_int(i, to_micros(t)); }
    Statement& bind_opt_time(int i, const std::optional<TimePoint>& t) {
        return t ? bind_time(i, *t) : bind_null(i);
    }

    /// True when a row is available; false when done. Throws StoreError (SQLITE_BUSY only
    /// after the busy timeout expired).
    bool step() {
        int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw_sqlite(sqlite3_db_handle(stmt_), rc, "step");
    }
    /// Runs a statement that returns no rows; the number of rows it changed.
    std::size_t run() {
        while (step()) {
        }
        return static_cast<std::size_t>(sqlite3_changes64(sqlite3_db_handle(stmt_)));
    }

    bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    std::string text(int col) const {
        const auto* p = sqlite3_column_text(stmt_, col);
        int n = sqlite3_column_bytes(stmt_, col);
        return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
    }
    std::optional<std::string> opt_text(int col) const {
        if (is_null(col)) return std::nullopt;
        return text(col);
    }
    std::optional<std::string> opt_blob(int col) const {
        if (is_null(col)) return std::nullopt;
        const void* p = sqlite3_column_blob(stmt_, col);
        int n = sqlite3_column_bytes(stmt_, col);
        return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
    }
    std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
    std::optional<std::int64_t> opt_int(int col) const {
        if (is_null(col)) return std::nullopt;
        return int64(col);
    }
    TimePoint time(int col) const { return from_micros(int64(col)); }
    std::optional<TimePoint> opt_time(int col) const {
        if (is_null(col)) return std::nullopt;
        return time(col);
    }

  private:
    void check(int rc) {
        if (rc != SQLITE_OK) throw_sqlite(sqlite3_db_handle(stmt_), rc, "bind");
    }

    sqlite3_stmt* stmt_;
    bool* in_use_;
    SqliteStatementHandle owned_;
};
}  // namespace detail

struct SqliteStore::CachedStatement {
    SqliteStatementHandle stmt;
    bool in_use = false;
};

/// BEGIN IMMEDIATE for writes: the write lock is taken up front (waiting through the busy
/// timeout), so a transaction never fails half-way on a lock upgrade. Reads use a deferred
/// transaction to see one snapshot across the queries that load several rows. The control
/// statements run through the statement cache: sqlite3_exec would parse them on every call.
class SqliteStore::Transaction {
  public:
    enum class Kind { read, write };
    Transaction(SqliteStore& store, Kind kind) : store_(store) {
        store_.prepare(kind == Kind::write ? "BEGIN IMMEDIATE" : "BEGIN").run();
    }
    ~Transaction() {
        if (done_) return;
        // A destructor must not throw; when ROLLBACK fails, SQLite has already ended the
        // transaction (or will roll it back when the connection closes).
        try {
            store_.prepare("ROLLBACK").run();
        } catch (const std::exception&) {
        }
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit() {
        store_.prepare("COMMIT").run();
        done_ = true;
    }

  private:
    SqliteStore& store_;
    bool done_ = false;
};

}  // namespace canaille::store

// SPDX-License-Identifier: MIT
#include "store/sqlite/sqlite_store.hpp"

#include "store/sqlite/sqlite_internal.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <limits>
#include <new>
#include <system_error>
#include <unordered_set>
#include <utility>

#include "util/random.hpp"
#include "util/strings.hpp"

namespace canaille::store {

namespace detail {

void SqliteCloser::operator()(sqlite3* db) const { sqlite3_close_v2(db); }
void SqliteFinalizer::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

namespace {

/// canaille_fold(text): canaille::fold_case (util/strings) as an SQL function, for the
/// search statements.
void fold_sql(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    const auto* p = sqlite3_value_text(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    if (p == nullptr) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    try {
        std::string folded = fold_case(std::string_view(reinterpret_cast<const char*>(p), n));
        sqlite3_result_text64(ctx, folded.data(), folded.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } catch (const std::bad_alloc&) {
        // An exception must not unwind through SQLite's C frames.
        sqlite3_result_error_nomem(ctx);
    }
}

}  // namespace

[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view what) {
    std::string message = "sqlite: ";
    message += what;
    message += ": ";
    message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) throw ConstraintViolation(rc, message);
    throw StoreError(message);
}

}  // namespace detail

using detail::clamp_to_int64;
using detail::ConstraintViolation;
using detail::fold_sql;
using detail::from_micros;
using detail::Statement;
using detail::to_micros;
using detail::truncate;

namespace {

/// Migrations, in order. Never edit a released one: append a new version instead.
struct Migration {
    int version;
    const char* sql;
};

constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    created INTEGER,
    last_modified INTEGER,
    user_name TEXT NOT NULL COLLATE NOCASE UNIQUE,
    password TEXT,
    password_last_update INTEGER,
    preferred_language TEXT,
    family_name TEXT,
    given_name TEXT,
    formatted_name TEXT,
    display_name TEXT,
    formatted_address TEXT,
    street TEXT,
    postal_code TEXT,
    locality TEXT,
    region TEXT,
    photo BLOB,
    profile_url TEXT,
    title TEXT,
    organization TEXT,
    employee_number TEXT,
    department TEXT,
    lock_date INTEGER,
    last_otp_login INTEGER,
    secret_token TEXT UNIQUE,
    hotp_counter INTEGER,
    one_time_password TEXT,
    one_time_password_emission_date INTEGER
);
CREATE TABLE user_emails (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    email TEXT NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE UNIQUE INDEX user_emails_email_unique ON user_emails (lower(email));
CREATE TABLE user_phone_numbers (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    phone_number TEXT NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE TABLE user_password_failures (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    failed_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE TABLE groups (
    id TEXT PRIMARY KEY NOT NULL,
    created INTEGER,
    last_modified INTEGER,
    display_name TEXT NOT NULL COLLATE NOCASE UNIQUE,
    description TEXT,
    owner_id TEXT REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX groups_owner ON groups (owner_id);
CREATE TABLE memberships (
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    auth_time INTEGER NOT NULL,
    amr TEXT NOT NULL DEFAULT '[]',
    csrf_secret TEXT NOT NULL,
    remember INTEGER NOT NULL,
    data TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires);
)sql"},
    // OAuth/OIDC. Clients are referenced by their OAuth client_id (immutable). Short lists
    // that are read whole and never searched are JSON arrays; audiences are link tables so
    // deleting a client removes it from every audience. `expires` columns are
    // issue_date + lifetime, kept for the purge and single-use statements' indexes.
    {2, R"sql(
CREATE TABLE clients (
    id TEXT PRIMARY KEY NOT NULL,
    created INTEGER,
    last_modified INTEGER,
    client_id TEXT NOT NULL UNIQUE,
    client_secret TEXT,
    client_id_issued_at INTEGER,
    client_secret_expires_at INTEGER,
    description TEXT,
    redirect_uris TEXT NOT NULL DEFAULT '[]',
    token_endpoint_auth_method TEXT NOT NULL,
    token_endpoint_auth_signing_alg TEXT,
    grant_types TEXT NOT NULL DEFAULT '[]',
    response_types TEXT NOT NULL DEFAULT '[]',
    client_name TEXT,
    client_uri TEXT,
    logo_uri TEXT,
    scope TEXT NOT NULL DEFAULT '[]',
    contacts TEXT NOT NULL DEFAULT '[]',
    tos_uri TEXT,
    policy_uri TEXT,
    jwks_uri TEXT,
    jwks TEXT,
    sector_identifier_uri TEXT,
    subject_type TEXT,
    software_id TEXT,
    software_version TEXT,
    post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]',
    application_type TEXT NOT NULL,
    id_token_signed_response_alg TEXT NOT NULL,
    id_token_encrypted_response_alg TEXT,
    id_token_encrypted_response_enc TEXT,
    userinfo_signed_response_alg TEXT,
    userinfo_encrypted_response_alg TEXT,
    userinfo_encrypted_response_enc TEXT,
    default_max_age INTEGER,
    require_auth_time INTEGER NOT NULL,
    default_acr_values TEXT NOT NULL DEFAULT '[]',
    initiate_login_uri TEXT,
    request_object_signing_alg TEXT,
    request_object_encryption_alg TEXT,
    request_object_encryption_enc TEXT,
    request_uris TEXT NOT NULL DEFAULT '[]',
    require_signed_request_object INTEGER NOT NULL
);
CREATE TABLE client_audiences (
    owner_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    audience TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX client_audiences_audience ON client_audiences (audience);
CREATE TABLE authorization_codes (
    id TEXT PRIMARY KEY NOT NULL,
    authorization_code_id TEXT NOT NULL UNIQUE,
    code_hash TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    subject TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    redirect_uri TEXT,
    response_type TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '[]',
    nonce TEXT,
    issue_date INTEGER NOT NULL,
    lifetime INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    challenge TEXT,
    challenge_method TEXT,
    revokation_date INTEGER,
    auth_time INTEGER,
    acr TEXT,
    amr TEXT NOT NULL DEFAULT '[]',
    sid TEXT,
    consumed_at INTEGER
);
CREATE INDEX authorization_codes_client ON authorization_codes (client_id);
CREATE INDEX authorization_codes_subject ON authorization_codes (subject);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires);
CREATE TABLE tokens (
    id TEXT PRIMARY KEY NOT NULL,
    token_id TEXT NOT NULL UNIQUE,
    access_token_hash TEXT NOT NULL UNIQUE,
    refresh_token_hash TEXT UNIQUE,
    client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    subject TEXT REFERENCES users(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '[]',
    issue_date INTEGER NOT NULL,
    lifetime INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    revokation_date INTEGER,
    authorization_code_id TEXT,
    refresh_token_consumed_at INTEGER,
    parent_token_id TEXT
);
CREATE INDEX tokens_client ON tokens (client_id);
CREATE INDEX tokens_subject_client ON tokens (subject, client_id);
CREATE INDEX tokens_code ON tokens (authorization_code_id);
CREATE INDEX tokens_expires ON tokens (expires);
CREATE INDEX tokens_issue_date ON tokens (issue_date);
CREATE TABLE token_audiences (
    owner_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    audience TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX token_audiences_audience ON token_audiences (audience);
CREATE TABLE consents (
    id TEXT PRIMARY KEY NOT NULL,
    consent_id TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    scope TEXT NOT NULL DEFAULT '[]',
    issue_date INTEGER NOT NULL,
    revokation_date INTEGER,
    UNIQUE (subject, client_id)
);
CREATE INDEX consents_client ON consents (client_id);
CREATE TABLE jti_replays (
    jti TEXT PRIMARY KEY NOT NULL,
    expires INTEGER NOT NULL
);
CREATE INDEX jti_replays_expires ON jti_replays (expires);
)sql"},
};

static_assert(std::size(kMigrations) == SqliteStore::kSchemaVersion,
              "kSchemaVersion must be the last migration");

// Column order shared by the SELECT, INSERT and UPDATE statements and by
// bind_user()/read_user_row() below.
constexpr std::array<std::string_view, 28> kUserColumns = {
    "id",
    "created",
    "last_modified",
    "user_name",
    "password",
    "password_last_update",
    "preferred_language",
    "family_name",
    "given_name",
    "formatted_name",
    "display_name",
    "formatted_address",
    "street",
    "postal_code",
    "locality",
    "region",
    "photo",
    "profile_url",
    "title",
    "organization",
    "employee_number",
    "department",
    "lock_date",
    "last_otp_login",
    "secret_token",
    "hotp_counter",
    "one_time_password",
    "one_time_password_emission_date",
};

const std::string& user_select_sql() {
    static const std::string sql = [] {
        std::string s = "SELECT ";
        for (std::size_t i = 0; i < kUserColumns.size(); ++i) {
            if (i > 0) s += ", ";
            s += kUserColumns[i];
        }
        // The lists ride along as JSON arrays: one statement (one snapshot, no explicit
        // transaction) instead of a query per list.
        s += ", (SELECT json_group_array(email) FROM (SELECT email FROM user_emails"
             " WHERE user_id = users.id ORDER BY position))"
             ", (SELECT json_group_array(phone_number) FROM (SELECT phone_number"
             " FROM user_phone_numbers WHERE user_id = users.id ORDER BY position))"
             ", (SELECT json_group_array(CAST(failed_at AS TEXT)) FROM (SELECT failed_at"
             " FROM user_password_failures WHERE user_id = users.id ORDER BY position))"
             ", (SELECT json_group_array(group_id) FROM (SELECT group_id FROM memberships"
             " WHERE user_id = users.id ORDER BY created_at, rowid))";
        s += " FROM users ";
        return s;
    }();
    return sql;
}

const std::string& user_insert_sql() {
    static const std::string sql = [] {
        std::string cols;
        std::string params;
        for (std::size_t i = 0; i < kUserColumns.size(); ++i) {
            if (i > 0) {
                cols += ", ";
                params += ", ";
            }
            cols += kUserColumns[i];
            params += '?';
            params += std::to_string(i + 1);
        }
        std::string sql = "INSERT INTO users (";
        sql += cols;
        sql += ") VALUES (";
        sql += params;
        sql += ')';
        return sql;
    }();
    return sql;
}

const std::string& user_update_sql() {
    static const std::string sql = [] {
        std::string s = "UPDATE users SET ";
        for (std::size_t i = 1; i < kUserColumns.size(); ++i) {
            if (i > 1) s += ", ";
            s += kUserColumns[i];
            s += " = ?";
            s += std::to_string(i + 1);
        }
        s += " WHERE id = ?1";
        return s;
    }();
    return sql;
}

void bind_user(Statement& st, const model::User& u) {
    int i = 1;
    st.bind_text(i++, u.id);
    st.bind_opt_time(i++, u.created);
    st.bind_opt_time(i++, u.last_modified);
    st.bind_text(i++, u.user_name);
    st.bind_opt_text(i++, u.password);
    st.bind_opt_time(i++, u.password_last_update);
    st.bind_opt_text(i++, u.preferred_language);
    st.bind_opt_text(i++, u.family_name);
    st.bind_opt_text(i++, u.given_name);
    st.bind_opt_text(i++, u.formatted_name);
    st.bind_opt_text(i++, u.display_name);
    st.bind_opt_text(i++, u.formatted_address);
    st.bind_opt_text(i++, u.street);
    st.bind_opt_text(i++, u.postal_code);
    st.bind_opt_text(i++, u.locality);
    st.bind_opt_text(i++, u.region);
    st.bind_opt_blob(i++, u.photo);
    st.bind_opt_text(i++, u.profile_url);
    st.bind_opt_text(i++, u.title);
    st.bind_opt_text(i++, u.organization);
    st.bind_opt_text(i++, u.employee_number);
    st.bind_opt_text(i++, u.department);
    st.bind_opt_time(i++, u.lock_date);
    st.bind_opt_time(i++, u.last_otp_login);
    st.bind_opt_text(i++, u.secret_token);
    st.bind_opt_int(i++, u.hotp_counter);
    st.bind_opt_text(i++, u.one_time_password);
    st.bind_opt_time(i++, u.one_time_password_emission_date);
}

model::User read_user_row(const Statement& st) {
    model::User u;
    int i = 0;
    u.id = st.text(i++);
    u.created = st.opt_time(i++);
    u.last_modified = st.opt_time(i++);
    u.user_name = st.text(i++);
    u.password = st.opt_text(i++);
    u.password_last_update = st.opt_time(i++);
    u.preferred_language = st.opt_text(i++);
    u.family_name = st.opt_text(i++);
    u.given_name = st.opt_text(i++);
    u.formatted_name = st.opt_text(i++);
    u.display_name = st.opt_text(i++);
    u.formatted_address = st.opt_text(i++);
    u.street = st.opt_text(i++);
    u.postal_code = st.opt_text(i++);
    u.locality = st.opt_text(i++);
    u.region = st.opt_text(i++);
    u.photo = st.opt_blob(i++);
    u.profile_url = st.opt_text(i++);
    u.title = st.opt_text(i++);
    u.organization = st.opt_text(i++);
    u.employee_number = st.opt_text(i++);
    u.department = st.opt_text(i++);
    u.lock_date = st.opt_time(i++);
    u.last_otp_login = st.opt_time(i++);
    u.secret_token = st.opt_text(i++);
    u.hotp_counter = st.opt_int(i++);
    u.one_time_password = st.opt_text(i++);
    u.one_time_password_emission_date = st.opt_time(i++);
    u.emails = detail::list_from_json(st.text(i++), "user emails");
    u.phone_numbers = detail::list_from_json(st.text(i++), "user phone numbers");
    for (const auto& t : detail::list_from_json(st.text(i++), "user password failures")) {
        std::int64_t micros = 0;
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), micros);
        if (ec != std::errc() || end != t.data() + t.size()) {
            throw StoreError("sqlite: corrupt user password failures");
        }
        u.password_failure_timestamps.push_back(from_micros(micros));
    }
    u.groups = detail::list_from_json(st.text(i++), "user groups");
    return u;
}

/// Brings every time point to the stored precision, so the caller's copy equals what a
/// later read returns.
void normalize(model::User& u) {
    truncate(u.created);
    truncate(u.last_modified);
    truncate(u.password_last_update);
    for (auto& t : u.password_failure_timestamps) t = truncate(t);
    truncate(u.lock_date);
    truncate(u.last_otp_login);
    truncate(u.one_time_password_emission_date);
}

/// Keeps the first occurrence of each id, in order.
std::vector<std::string> unique_ids(const std::vector<std::string>& ids) {
    std::vector<std::string> out;
    std::unordered_set<std::string> seen;
    for (const auto& id : ids) {
        if (seen.insert(id).second) out.push_back(id);
    }
    return out;
}

/// Rejects what no backend could store faithfully: an empty user_name, an empty email, or
/// the same email twice (case-insensitively) on one user.
bool valid_user(const model::User& u) {
    if (u.user_name.empty()) return false;
    std::unordered_set<std::string> seen;
    for (const auto& e : u.emails) {
        if (e.empty() || !seen.insert(to_lower(e)).second) return false;
    }
    for (const auto& p : u.phone_numbers) {
        if (p.empty()) return false;
    }
    return true;
}

/// Which Status a refused constraint means: a taken identifier (user_name, display_name,
/// id) is already_exists; a taken email or OTP secret is conflict; a dangling reference
/// (FOREIGN KEY) or a missing required value is invalid.
Status status_of(const ConstraintViolation& e) {
    std::string_view msg = e.what();
    switch (e.extended_code) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
            if (msg.find("email") != std::string_view::npos ||
                msg.find("secret_token") != std::string_view::npos) {
                return Status::conflict;
            }
            return Status::already_exists;
        default:
            return Status::invalid;
    }
}

/// LIKE pattern for a case-insensitive substring match of `query`; %, _ and \ in the
/// query match themselves (the statements say ESCAPE '\').
std::string like_pattern(std::string_view query) {
    std::string p = "%";
    for (char c : query) {
        if (c == '%' || c == '_' || c == '\\') p += '\\';
        p += c;
    }
    p += '%';
    return p;
}

// Both sides are folded (canaille_fold), so the match ignores case beyond ASCII too.
constexpr const char* kUserSearchWhere =
    "WHERE canaille_fold(user_name) LIKE ?1 ESCAPE '\\'"
    " OR canaille_fold(given_name) LIKE ?1 ESCAPE '\\'"
    " OR canaille_fold(family_name) LIKE ?1 ESCAPE '\\'"
    " OR canaille_fold(formatted_name) LIKE ?1 ESCAPE '\\'"
    " OR canaille_fold(display_name) LIKE ?1 ESCAPE '\\'"
    " OR EXISTS (SELECT 1 FROM user_emails e WHERE e.user_id = users.id"
    " AND canaille_fold(e.email) LIKE ?1 ESCAPE '\\')"
    " OR EXISTS (SELECT 1 FROM user_phone_numbers p WHERE p.user_id = users.id"
    " AND p.phone_number LIKE ?1 ESCAPE '\\') ";

constexpr const char* kGroupSelect =
    "SELECT id, created, last_modified, display_name, description, owner_id FROM groups ";
constexpr const char* kGroupSearchWhere =
    "WHERE canaille_fold(display_name) LIKE ?1 ESCAPE '\\'"
    " OR canaille_fold(description) LIKE ?1 ESCAPE '\\' ";

model::Group read_group_row(const Statement& st) {
    model::Group g;
    g.id = st.text(0);
    g.created = st.opt_time(1);
    g.last_modified = st.opt_time(2);
    g.display_name = st.text(3);
    g.description = st.opt_text(4);
    g.owner = st.opt_text(5);
    return g;
}

constexpr const char* kSessionColumns =
    "id_hash, user_id, created, last_seen, expires, auth_time, amr, csrf_secret, remember, "
    "data";

void bind_session(Statement& st, const model::Session& s) {
    st.bind_text(1, s.id_hash)
        .bind_text(2, s.user_id)
        .bind_time(3, s.created)
        .bind_time(4, s.last_seen)
        .bind_time(5, s.expires)
        .bind_time(6, s.auth_time)
        .bind_text(7, detail::list_to_json(s.amr))
        .bind_text(8, s.csrf_secret)
        .bind_int(9, s.remember ? 1 : 0)
        .bind_text(10, s.data);
}

}  // namespace

SqliteStore::SqliteStore(std::string path, const Clock& clock)
    : path_(std::move(path)), clock_(clock) {
    if (path_.empty()) throw StoreError("sqlite: empty database path");
    // Allocation statistics take SQLite's global memory mutex on every malloc and free, and
    // nothing reads them. Only possible before SQLite initialises (the first open in the
    // process); a later call fails harmlessly with SQLITE_MISUSE.
    static const int memstatus_off [[maybe_unused]] = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3* raw = nullptr;
    // NOMUTEX: a store belongs to one single-threaded worker. No SQLITE_OPEN_URI: the path
    // is a plain file name, never parsed for options.
    int rc =
        sqlite3_open_v2(path_.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    db_.reset(raw);  // sqlite3_open_v2 allocates a handle even when it fails
    if (rc != SQLITE_OK) {
        throw StoreError("sqlite: cannot open " + path_ + ": " +
                         (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    }
    sqlite3_extended_result_codes(db_.get(), 1);
    // Under contention a writer waits for the lock rather than failing with SQLITE_BUSY.
    sqlite3_busy_timeout(db_.get(), kBusyTimeoutMs);
    int frc = sqlite3_create_function_v2(db_.get(), "canaille_fold", 1,
                                         SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                         nullptr, &fold_sql, nullptr, nullptr, nullptr);
    if (frc != SQLITE_OK) detail::throw_sqlite(db_.get(), frc, "create_function");
    exec("PRAGMA foreign_keys = ON");
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA synchronous = NORMAL");
}

SqliteStore::~SqliteStore() {
    // Statements must be finalized before the connection closes.
    cache_.clear();
}

void SqliteStore::exec(const char* sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err);
    std::unique_ptr<char, decltype(&sqlite3_free)> guard(err, &sqlite3_free);
    if (rc != SQLITE_OK) {
        std::string message = "sqlite: ";
        message += err != nullptr ? err : sqlite3_errstr(rc);
        throw StoreError(message);
    }
}

Statement SqliteStore::prepare(std::string_view sql) {
    auto make = [&](unsigned flags) {
        sqlite3_stmt* raw = nullptr;
        const char* tail = nullptr;
        int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), flags,
                                    &raw, &tail);
        SqliteStatementHandle handle(raw);
        if (rc != SQLITE_OK) detail::throw_sqlite(db_.get(), rc, "prepare");
        if (raw == nullptr || tail != sql.data() + sql.size()) {
            throw StoreError("sqlite: expected exactly one statement");
        }
        return handle;
    };
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
        auto entry = std::make_unique<CachedStatement>();
        entry->stmt = make(SQLITE_PREPARE_PERSISTENT);
        it = cache_.emplace(std::string(sql), std::move(entry)).first;
    }
    CachedStatement& cached = *it->second;
    if (cached.in_use) {
        // Re-entered while an enclosing loop still steps the cached one.
        auto fresh = make(0);
        sqlite3_stmt* raw = fresh.get();
        return Statement(raw, nullptr, std::move(fresh));
    }
    cached.in_use = true;
    return Statement(cached.stmt.get(), &cached.in_use, nullptr);
}

bool SqliteStore::exists(std::string_view sql, std::string_view key) {
    auto st = prepare(sql);
    st.bind_text(1, key);
    return st.step();
}

// ---- schema ----

void SqliteStore::install() {
    Transaction txn(*this, Transaction::Kind::write);
    exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY NOT NULL, applied_at INTEGER NOT NULL)");
    std::int64_t current = 0;
    {
        auto st = prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
        if (st.step()) current = st.int64(0);
    }
    if (current > kSchemaVersion) {
        throw StoreError("sqlite: database schema version " + std::to_string(current) +
                         " is newer than this program's (" + std::to_string(kSchemaVersion) + ")");
    }
    for (const auto& m : kMigrations) {
        if (m.version <= current) continue;
        exec(m.sql);
        auto st = prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)");
        st.bind_int(1, m.version).bind_time(2, clock_.now()).run();
    }
    txn.commit();
}

int SqliteStore::schema_version() {
    Transaction txn(*this, Transaction::Kind::read);
    if (!exists("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                "schema_migrations")) {
        return 0;
    }
    auto st = prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
    return st.step() ? static_cast<int>(st.int64(0)) : 0;
}

void SqliteStore::check() {
    int v = schema_version();
    if (v == 0) throw StoreError("sqlite: database " + path_ + " is not installed");
    if (v < kSchemaVersion) {
        throw StoreError("sqlite: database schema version " + std::to_string(v) +
                         " is older than " + std::to_string(kSchemaVersion) +
                         "; run `canaille install` to migrate");
    }
    if (v > kSchemaVersion) {
        throw StoreError("sqlite: database schema version " + std::to_string(v) +
                         " is newer than this program's (" + std::to_string(kSchemaVersion) + ")");
    }
}

// ---- users ----

std::optional<model::User> SqliteStore::read_user(std::string_view where_sql,
                                                  std::string_view key) {
    auto st = prepare(user_select_sql() + std::string(where_sql));
    st.bind_text(1, key);
    if (!st.step()) return std::nullopt;
    return read_user_row(st);
}

void SqliteStore::write_user_children(const model::User& u) {
    for (std::size_t i = 0; i < u.emails.size(); ++i) {
        auto st = prepare("INSERT INTO user_emails (user_id, position, email) VALUES (?1, ?2, ?3)");
        st.bind_text(1, u.id).bind_int(2, clamp_to_int64(i)).bind_text(3, u.emails[i]).run();
    }
    for (std::size_t i = 0; i < u.phone_numbers.size(); ++i) {
        auto st = prepare(
            "INSERT INTO user_phone_numbers (user_id, position, phone_number) "
            "VALUES (?1, ?2, ?3)");
        st.bind_text(1, u.id).bind_int(2, clamp_to_int64(i)).bind_text(3, u.phone_numbers[i]).run();
    }
    for (std::size_t i = 0; i < u.password_failure_timestamps.size(); ++i) {
        auto st = prepare(
            "INSERT INTO user_password_failures (user_id, position, failed_at) "
            "VALUES (?1, ?2, ?3)");
        st.bind_text(1, u.id)
            .bind_int(2, clamp_to_int64(i))
            .bind_time(3, u.password_failure_timestamps[i])
            .run();
    }
}

void SqliteStore::write_user_memberships(const model::User& u) {
    std::vector<std::string> current;
    {
        auto st = prepare("SELECT group_id FROM memberships WHERE user_id = ?1");
        st.bind_text(1, u.id);
        while (st.step()) current.push_back(st.text(0));
    }
    for (const auto& gid : current) {
        if (std::find(u.groups.begin(), u.groups.end(), gid) != u.groups.end()) continue;
        auto st = prepare("DELETE FROM memberships WHERE group_id = ?1 AND user_id = ?2");
        st.bind_text(1, gid).bind_text(2, u.id).run();
    }
    const auto now = clock_.now();
    for (const auto& gid : u.groups) {
        if (std::find(current.begin(), current.end(), gid) != current.end()) continue;
        // New members go to the end of the group's member list.
        auto st = prepare(
            "INSERT INTO memberships (group_id, user_id, created_at, position) VALUES (?1, ?2, "
            "?3, (SELECT coalesce(max(position), -1) + 1 FROM memberships WHERE group_id = ?1))");
        st.bind_text(1, gid).bind_text(2, u.id).bind_time(3, now).run();
    }
}

Status SqliteStore::write_user(model::User& user, bool create) {
    if (!valid_user(user)) return Status::invalid;
    model::User row = user;
    row.groups = unique_ids(row.groups);
    const auto now = truncate(clock_.now());
    try {
        Transaction txn(*this, Transaction::Kind::write);
        if (create) {
            if (row.id.empty()) row.id = random_uuid();
            if (!row.created) row.created = now;
            if (!row.last_modified) row.last_modified = now;
            normalize(row);
            auto st = prepare(user_insert_sql());
            bind_user(st, row);
            st.run();
        } else {
            std::optional<TimePoint> stored_created;
            {
                auto st = prepare("SELECT created FROM users WHERE id = ?1");
                st.bind_text(1, row.id);
                if (!st.step()) return Status::not_found;
                stored_created = st.opt_time(0);
            }
            if (!row.created) row.created = stored_created;
            row.last_modified = now;
            normalize(row);
            {
                auto st = prepare(user_update_sql());
                bind_user(st, row);
                st.run();
            }
            for (const char* sql : {"DELETE FROM user_emails WHERE user_id = ?1",
                                    "DELETE FROM user_phone_numbers WHERE user_id = ?1",
                                    "DELETE FROM user_password_failures WHERE user_id = ?1"}) {
                auto st = prepare(sql);
                st.bind_text(1, row.id).run();
            }
        }
        write_user_children(row);
        write_user_memberships(row);
        txn.commit();
    } catch (const ConstraintViolation& e) {
        return status_of(e);
    }
    user = std::move(row);
    return Status::ok;
}

Status SqliteStore::create_user(model::User& user) { return write_user(user, true); }

Status SqliteStore::update_user(model::User& user) { return write_user(user, false); }

Status SqliteStore::delete_user(std::string_view id) {
    Transaction txn(*this, Transaction::Kind::write);
    std::size_t n = 0;
    {
        // Emails, phones, memberships and sessions cascade; owned groups lose their owner.
        auto st = prepare("DELETE FROM users WHERE id = ?1");
        n = st.bind_text(1, id).run();
    }
    txn.commit();
    return n == 0 ? Status::not_found : Status::ok;
}

std::optional<model::User> SqliteStore::get_user(std::string_view id) {
    return read_user("WHERE id = ?1", id);
}

std::optional<model::User> SqliteStore::get_user_by_name(std::string_view user_name) {
    return read_user("WHERE user_name = ?1", user_name);
}

std::optional<model::User> SqliteStore::get_user_by_email(std::string_view email) {
    if (email.empty()) return std::nullopt;
    return read_user("WHERE id = (SELECT user_id FROM user_emails WHERE lower(email) = lower(?1))",
                     email);
}

std::vector<model::User> SqliteStore::list_users(std::string_view query, Page page) {
    Transaction txn(*this, Transaction::Kind::read);
    std::vector<model::User> users;
    {
        auto st = prepare(user_select_sql() + kUserSearchWhere +
                          "ORDER BY user_name, id LIMIT ?2 OFFSET ?3");
        st.bind_text(1, like_pattern(fold_case(query)))
            .bind_int(2, clamp_to_int64(page.limit))
            .bind_int(3, clamp_to_int64(page.offset));
        while (st.step()) users.push_back(read_user_row(st));
    }
    return users;
}

std::size_t SqliteStore::count_users(std::string_view query) {
    auto st = prepare(std::string("SELECT count(*) FROM users ") + kUserSearchWhere);
    st.bind_text(1, like_pattern(fold_case(query)));
    return st.step() ? static_cast<std::size_t>(st.int64(0)) : 0;
}

// ---- groups ----

void SqliteStore::load_group_members(model::Group& g) {
    auto st =
        prepare("SELECT user_id FROM memberships WHERE group_id = ?1 ORDER BY position, rowid");
    st.bind_text(1, g.id);
    while (st.step()) g.members.push_back(st.text(0));
}

std::optional<model::Group> SqliteStore::read_group(std::string_view where_sql,
                                                    std::string_view key) {
    Transaction txn(*this, Transaction::Kind::read);
    std::optional<model::Group> group;
    {
        auto st = prepare(std::string(kGroupSelect) + std::string(where_sql));
        st.bind_text(1, key);
        if (!st.step()) return std::nullopt;
        group = read_group_row(st);
    }
    load_group_members(*group);
    return group;
}

void SqliteStore::write_group_members(const model::Group& g) {
    std::vector<std::string> current;
    {
        auto st = prepare("SELECT user_id FROM memberships WHERE group_id = ?1");
        st.bind_text(1, g.id);
        while (st.step()) current.push_back(st.text(0));
    }
    for (const auto& uid : current) {
        if (std::find(g.members.begin(), g.members.end(), uid) != g.members.end()) continue;
        auto st = prepare("DELETE FROM memberships WHERE group_id = ?1 AND user_id = ?2");
        st.bind_text(1, g.id).bind_text(2, uid).run();
    }
    // Existing memberships keep their creation time (the order of user.groups) and only
    // move within the group.
    const auto now = clock_.now();
    for (std::size_t i = 0; i < g.members.size(); ++i) {
        auto st = prepare(
            "INSERT INTO memberships (group_id, user_id, created_at, position) "
            "VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT (group_id, user_id) DO UPDATE SET position = excluded.position");
        st.bind_text(1, g.id)
            .bind_text(2, g.members[i])
            .bind_time(3, now)
            .bind_int(4, clamp_to_int64(i))
            .run();
    }
}

Status SqliteStore::write_group(model::Group& group, bool create) {
    if (group.display_name.empty()) return Status::invalid;
    model::Group row = group;
    row.members = unique_ids(row.members);
    const auto now = truncate(clock_.now());
    try {
        Transaction txn(*this, Transaction::Kind::write);
        if (create) {
            if (row.id.empty()) row.id = random_uuid();
            if (!row.created) row.created = now;
            if (!row.last_modified) row.last_modified = now;
        } else {
            auto st = prepare("SELECT created FROM groups WHERE id = ?1");
            st.bind_text(1, row.id);
            if (!st.step()) return Status::not_found;
            if (!row.created) row.created = st.opt_time(0);
            row.last_modified = now;
        }
        truncate(row.created);
        truncate(row.last_modified);
        {
            auto st = prepare(
                create ? "INSERT INTO groups (id, created, last_modified, display_name, "
                         "description, owner_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                       : "UPDATE groups SET created = ?2, last_modified = ?3, display_name = ?4, "
                         "description = ?5, owner_id = ?6 WHERE id = ?1");
            st.bind_text(1, row.id)
                .bind_opt_time(2, row.created)
                .bind_opt_time(3, row.last_modified)
                .bind_text(4, row.display_name)
                .bind_opt_text(5, row.description)
                .bind_opt_text(6, row.owner)
                .run();
        }
        write_group_members(row);
        txn.commit();
    } catch (const ConstraintViolation& e) {
        return status_of(e);
    }
    group = std::move(row);
    return Status::ok;
}

Status SqliteStore::create_group(model::Group& group) { return write_group(group, true); }

Status SqliteStore::update_group(model::Group& group) { return write_group(group, false); }

Status SqliteStore::delete_group(std::string_view id) {
    Transaction txn(*this, Transaction::Kind::write);
    std::size_t n = 0;
    {
        auto st = prepare("DELETE FROM groups WHERE id = ?1");
        n = st.bind_text(1, id).run();
    }
    txn.commit();
    return n == 0 ? Status::not_found : Status::ok;
}

std::optional<model::Group> SqliteStore::get_group(std::string_view id) {
    return read_group("WHERE id = ?1", id);
}

std::optional<model::Group> SqliteStore::get_group_by_name(std::string_view display_name) {
    return read_group("WHERE display_name = ?1", display_name);
}

std::vector<model::Group> SqliteStore::list_groups(std::string_view query, Page page) {
    Transaction txn(*this, Transaction::Kind::read);
    std::vector<model::Group> groups;
    {
        auto st = prepare(std::string(kGroupSelect) + kGroupSearchWhere +
                          "ORDER BY display_name, id LIMIT ?2 OFFSET ?3");
        st.bind_text(1, like_pattern(fold_case(query)))
            .bind_int(2, clamp_to_int64(page.limit))
            .bind_int(3, clamp_to_int64(page.offset));
        while (st.step()) groups.push_back(read_group_row(st));
    }
    for (auto& g : groups) load_group_members(g);
    return groups;
}

std::size_t SqliteStore::count_groups(std::string_view query) {
    auto st = prepare(std::string("SELECT count(*) FROM groups ") + kGroupSearchWhere);
    st.bind_text(1, like_pattern(fold_case(query)));
    return st.step() ? static_cast<std::size_t>(st.int64(0)) : 0;
}

Status SqliteStore::add_member(std::string_view group_id, std::string_view user_id) {
    Transaction txn(*this, Transaction::Kind::write);
    if (!exists("SELECT 1 FROM groups WHERE id = ?1", group_id) ||
        !exists("SELECT 1 FROM users WHERE id = ?1", user_id)) {
        return Status::not_found;
    }
    const auto now = clock_.now();
    std::size_t n = 0;
    {
        auto st = prepare(
            "INSERT INTO memberships (group_id, user_id, created_at, position) VALUES (?1, ?2, "
            "?3, (SELECT coalesce(max(position), -1) + 1 FROM memberships WHERE group_id = ?1)) "
            "ON CONFLICT (group_id, user_id) DO NOTHING");
        n = st.bind_text(1, group_id).bind_text(2, user_id).bind_time(3, now).run();
    }
    if (n > 0) {
        auto st = prepare("UPDATE groups SET last_modified = ?2 WHERE id = ?1");
        st.bind_text(1, group_id).bind_time(2, now).run();
    }
    txn.commit();
    return Status::ok;
}

Status SqliteStore::remove_member(std::string_view group_id, std::string_view user_id) {
    Transaction txn(*this, Transaction::Kind::write);
    if (!exists("SELECT 1 FROM groups WHERE id = ?1", group_id) ||
        !exists("SELECT 1 FROM users WHERE id = ?1", user_id)) {
        return Status::not_found;
    }
    std::size_t n = 0;
    {
        auto st = prepare("DELETE FROM memberships WHERE group_id = ?1 AND user_id = ?2");
        n = st.bind_text(1, group_id).bind_text(2, user_id).run();
    }
    if (n > 0) {
        auto st = prepare("UPDATE groups SET last_modified = ?2 WHERE id = ?1");
        st.bind_text(1, group_id).bind_time(2, clock_.now()).run();
    }
    txn.commit();
    return Status::ok;
}

// ---- sessions ----

Status SqliteStore::create_session(const model::Session& session) {
    if (session.id_hash.empty()) return Status::invalid;
    try {
        Transaction txn(*this, Transaction::Kind::write);
        {
            auto st = prepare(std::string("INSERT INTO sessions (") + kSessionColumns +
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
            bind_session(st, session);
            st.run();
        }
        txn.commit();
    } catch (const ConstraintViolation& e) {
        return status_of(e);
    }
    return Status::ok;
}

std::optional<model::Session> SqliteStore::get_session(std::string_view id_hash, TimePoint now) {
    auto st = prepare(std::string("SELECT ") + kSessionColumns +
                      " FROM sessions WHERE id_hash = ?1 AND expires > ?2");
    st.bind_text(1, id_hash).bind_time(2, now);
    if (!st.step()) return std::nullopt;
    model::Session s;
    s.id_hash = st.text(0);
    s.user_id = st.text(1);
    s.created = st.time(2);
    s.last_seen = st.time(3);
    s.expires = st.time(4);
    s.auth_time = st.time(5);
    s.amr = detail::list_from_json(st.text(6), "session amr");
    s.csrf_secret = st.text(7);
    s.remember = st.int64(8) != 0;
    s.data = st.text(9);
    return s;
}

Status SqliteStore::update_session(const model::Session& session) {
    std::size_t n = 0;
    try {
        Transaction txn(*this, Transaction::Kind::write);
        {
            auto st = prepare(
                "UPDATE sessions SET user_id = ?2, created = ?3, last_seen = ?4, expires = ?5, "
                "auth_time = ?6, amr = ?7, csrf_secret = ?8, remember = ?9, data = ?10 "
                "WHERE id_hash = ?1");
            bind_session(st, session);
            n = st.run();
        }
        txn.commit();
    } catch (const ConstraintViolation& e) {
        return status_of(e);
    }
    return n == 0 ? Status::not_found : Status::ok;
}

Status SqliteStore::delete_session(std::string_view id_hash) {
    auto st = prepare("DELETE FROM sessions WHERE id_hash = ?1");
    return st.bind_text(1, id_hash).run() == 0 ? Status::not_found : Status::ok;
}

std::size_t SqliteStore::delete_user_sessions(std::string_view user_id) {
    auto st = prepare("DELETE FROM sessions WHERE user_id = ?1");
    return st.bind_text(1, user_id).run();
}

// ---- shared helpers (sqlite_internal.hpp) ----

std::string detail::search_pattern(std::string_view query) {
    return like_pattern(fold_case(query));
}

std::string detail::list_to_json(const std::vector<std::string>& list) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartArray();
    for (const auto& m : list) w.String(m.data(), static_cast<rapidjson::SizeType>(m.size()));
    w.EndArray();
    return std::string(buf.GetString(), buf.GetSize());
}

namespace {

/// Four hex digits of a \u escape at `p`; -1 when they are not there.
long hex4(std::string_view in, std::size_t p) {
    if (p + 4 > in.size()) return -1;
    long v = 0;
    for (std::size_t k = p; k < p + 4; ++k) {
        char c = in[k];
        int d = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

void append_code_point(std::string& out, unsigned long c) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

}  // namespace

// A JSON array of strings (RFC 8259) read by hand: these lists are read on every client, user
// and token lookup, and a rapidjson Document costs an allocator per call. Bytes other than
// escapes pass through unchanged, as they did through rapidjson's default (non-validating)
// parse.
std::vector<std::string> detail::list_from_json(const std::string& json, std::string_view what) {
    auto corrupt = [&] { return StoreError("sqlite: corrupt " + std::string(what)); };
    std::string_view in(json);
    std::size_t p = 0;
    auto skip_ws = [&] {
        while (p < in.size() && (in[p] == ' ' || in[p] == '\t' || in[p] == '\n' || in[p] == '\r'))
            ++p;
    };
    std::vector<std::string> out;
    skip_ws();
    if (p >= in.size() || in[p] != '[') throw corrupt();
    ++p;
    skip_ws();
    if (p < in.size() && in[p] == ']') {
        ++p;
        skip_ws();
        if (p != in.size()) throw corrupt();
        return out;
    }
    for (;;) {
        skip_ws();
        if (p >= in.size() || in[p] != '"') throw corrupt();
        ++p;
        std::string value;
        for (;;) {
            // Runs of plain bytes are copied at once.
            std::size_t run = p;
            while (run < in.size() && in[run] != '"' && in[run] != '\\' &&
                   static_cast<unsigned char>(in[run]) >= 0x20) {
                ++run;
            }
            value.append(in.data() + p, run - p);
            p = run;
            if (p >= in.size()) throw corrupt();
            char c = in[p++];
            if (c == '"') break;
            if (c != '\\') throw corrupt();  // a control character
            if (p >= in.size()) throw corrupt();
            char e = in[p++];
            switch (e) {
                case '"':
                    value += '"';
                    break;
                case '\\':
                    value += '\\';
                    break;
                case '/':
                    value += '/';
                    break;
                case 'b':
                    value += '\b';
                    break;
                case 'f':
                    value += '\f';
                    break;
                case 'n':
                    value += '\n';
                    break;
                case 'r':
                    value += '\r';
                    break;
                case 't':
                    value += '\t';
                    break;
                case 'u': {
                    long cp = hex4(in, p);
                    if (cp < 0) throw corrupt();
                    p += 4;
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        // A high surrogate must be followed by an escaped low one.
                        if (p + 2 > in.size() || in[p] != '\\' || in[p + 1] != 'u') throw corrupt();
                        long low = hex4(in, p + 2);
                        if (low < 0xDC00 || low > 0xDFFF) throw corrupt();
                        p += 6;
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        throw corrupt();
                    }
                    append_code_point(value, static_cast<unsigned long>(cp));
                    break;
                }
                default:
                    throw corrupt();
            }
        }
        out.push_back(std::move(value));
        skip_ws();
        if (p >= in.size()) throw corrupt();
        if (in[p] == ',') {
            ++p;
            continue;
        }
        if (in[p] != ']') throw corrupt();
        ++p;
        skip_ws();
        if (p != in.size()) throw corrupt();
        return out;
    }
}

}  // namespace canaille::store

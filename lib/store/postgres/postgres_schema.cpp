// SPDX-License-Identifier: MIT
// Connection management and schema migrations of the PostgreSQL backend.
#include <iterator>

#include "store/postgres/postgres_internal.hpp"

namespace canaille::store {

namespace {

/// Migrations, in order. Never edit a released one: append a new version instead. The
/// logical schema is the SQLite backend's (same tables, columns and version numbers);
/// times are BIGINT Unix microseconds.
struct Migration {
    int version;
    const char* sql;
};

constexpr Migration kMigrations[] = {
    {1, R"sql(
-- Case rules as SQL functions, so unique indexes, lookups and searches agree exactly with
-- the SQLite backend whatever the database's locale: identifiers and emails ignore ASCII
-- case (like SQLite's NOCASE and lower()); search folds Latin-1, Latin Extended-A, Greek
-- and Cyrillic too (like its canaille_fold).
CREATE FUNCTION canaille_lower_ascii(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$SELECT pg_catalog.translate($1, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')$$;
CREATE FUNCTION canaille_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$SELECT pg_catalog.translate($1,
        'ABCDEFGHIJKLMNOPQRSTUVWXYZÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮĲĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽΆΈΉΊΌΎΏΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩΪΫςЀЁЂЃЄЅІЇЈЉЊЋЌЍЎЏАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ',
        'abcdefghijklmnopqrstuvwxyzàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþāăąćĉċčďđēĕėęěĝğġģĥħĩīĭįĳĵķĺļľŀłńņňŋōŏőœŕŗřśŝşšţťŧũūŭůűųŵŷÿźżžάέήίόύώαβγδεζηθικλμνξοπρστυφχψωϊϋσѐёђѓєѕіїјљњћќѝўџабвгдежзийклмнопрстуфхцчшщъыьэюя')$$;
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    created BIGINT,
    last_modified BIGINT,
    user_name TEXT NOT NULL,
    password TEXT,
    password_last_update BIGINT,
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
    photo BYTEA,
    profile_url TEXT,
    title TEXT,
    organization TEXT,
    employee_number TEXT,
    department TEXT,
    lock_date BIGINT,
    last_otp_login BIGINT,
    secret_token TEXT CONSTRAINT users_secret_token_unique UNIQUE,
    hotp_counter BIGINT,
    one_time_password TEXT,
    one_time_password_emission_date BIGINT
);
CREATE UNIQUE INDEX users_user_name_unique ON users (canaille_lower_ascii(user_name));
CREATE TABLE user_emails (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    email TEXT NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE UNIQUE INDEX user_emails_email_unique ON user_emails (canaille_lower_ascii(email));
CREATE TABLE user_phone_numbers (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    phone_number TEXT NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE TABLE user_password_failures (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    failed_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE TABLE groups (
    id TEXT PRIMARY KEY,
    created BIGINT,
    last_modified BIGINT,
    display_name TEXT NOT NULL,
    description TEXT,
    owner_id TEXT REFERENCES users(id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX groups_display_name_unique ON groups (canaille_lower_ascii(display_name));
CREATE INDEX groups_owner ON groups (owner_id);
-- seq stands for SQLite's rowid: the tie-breaker that keeps insertion order.
CREATE TABLE memberships (
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    position BIGINT NOT NULL,
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    auth_time BIGINT NOT NULL,
    amr TEXT NOT NULL DEFAULT '[]',
    csrf_secret TEXT NOT NULL,
    remember BOOLEAN NOT NULL,
    data TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires);
-- Substring search through trigram indexes when pg_trgm can be had (contrib, a trusted
-- extension since PostgreSQL 13); without it the searches scan, with the same results.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX users_search_user_name ON users USING gin (canaille_fold(user_name) gin_trgm_ops);
    CREATE INDEX users_search_given_name ON users USING gin (canaille_fold(given_name) gin_trgm_ops);
    CREATE INDEX users_search_family_name ON users USING gin (canaille_fold(family_name) gin_trgm_ops);
    CREATE INDEX users_search_formatted_name ON users USING gin (canaille_fold(formatted_name) gin_trgm_ops);
    CREATE INDEX users_search_display_name ON users USING gin (canaille_fold(display_name) gin_trgm_ops);
    CREATE INDEX user_emails_search ON user_emails USING gin (canaille_fold(email) gin_trgm_ops);
    CREATE INDEX user_phone_numbers_search ON user_phone_numbers USING gin (canaille_fold(phone_number) gin_trgm_ops);
    CREATE INDEX groups_search_display_name ON groups USING gin (canaille_fold(display_name) gin_trgm_ops);
    CREATE INDEX groups_search_description ON groups USING gin (canaille_fold(description) gin_trgm_ops);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm unavailable (%): searches will scan', SQLERRM;
END $$;
)sql"},
    // OAuth/OIDC, as in the SQLite backend's migration 2. Clients are referenced by their
    // OAuth client_id (immutable). Short lists read whole and never searched are JSON text;
    // audiences are link tables so deleting a client removes it from every audience.
    // `expires` = issue_date + lifetime, for the purge and single-use statements.
    {2, R"sql(
CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    created BIGINT,
    last_modified BIGINT,
    client_id TEXT NOT NULL CONSTRAINT clients_client_id_unique UNIQUE,
    client_secret TEXT,
    client_id_issued_at BIGINT,
    client_secret_expires_at BIGINT,
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
    default_max_age BIGINT,
    require_auth_time BOOLEAN NOT NULL,
    default_acr_values TEXT NOT NULL DEFAULT '[]',
    initiate_login_uri TEXT,
    request_object_signing_alg TEXT,
    request_object_encryption_alg TEXT,
    request_object_encryption_enc TEXT,
    request_uris TEXT NOT NULL DEFAULT '[]',
    require_signed_request_object BOOLEAN NOT NULL
);
CREATE TABLE client_audiences (
    owner_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    audience TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX client_audiences_audience ON client_audiences (audience);
CREATE TABLE authorization_codes (
    id TEXT PRIMARY KEY,
    authorization_code_id TEXT NOT NULL CONSTRAINT authorization_codes_code_id_unique UNIQUE,
    code_hash TEXT NOT NULL CONSTRAINT authorization_codes_code_hash_unique UNIQUE,
    client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    subject TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    redirect_uri TEXT,
    response_type TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '[]',
    nonce TEXT,
    issue_date BIGINT NOT NULL,
    lifetime BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    challenge TEXT,
    challenge_method TEXT,
    revokation_date BIGINT,
    auth_time BIGINT,
    acr TEXT,
    amr TEXT NOT NULL DEFAULT '[]',
    sid TEXT,
    consumed_at BIGINT
);
CREATE INDEX authorization_codes_client ON authorization_codes (client_id);
CREATE INDEX authorization_codes_subject ON authorization_codes (subject);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires);
CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    token_id TEXT NOT NULL CONSTRAINT tokens_token_id_unique UNIQUE,
    access_token_hash TEXT NOT NULL CONSTRAINT tokens_access_hash_unique UNIQUE,
    refresh_token_hash TEXT CONSTRAINT tokens_refresh_hash_unique UNIQUE,
    client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    subject TEXT REFERENCES users(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '[]',
    issue_date BIGINT NOT NULL,
    lifetime BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    revokation_date BIGINT,
    authorization_code_id TEXT,
    refresh_token_consumed_at BIGINT,
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
    id TEXT PRIMARY KEY,
    consent_id TEXT NOT NULL CONSTRAINT consents_consent_id_unique UNIQUE,
    subject TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    scope TEXT NOT NULL DEFAULT '[]',
    issue_date BIGINT NOT NULL,
    revokation_date BIGINT,
    CONSTRAINT consents_subject_client_unique UNIQUE (subject, client_id)
);
CREATE INDEX consents_client ON consents (client_id);
CREATE TABLE jti_replays (
    jti TEXT PRIMARY KEY,
    expires BIGINT NOT NULL
);
CREATE INDEX jti_replays_expires ON jti_replays (expires);
)sql"},
};

static_assert(std::size(kMigrations) == PostgresStore::kSchemaVersion,
              "kSchemaVersion must be the last migration");

// pg_advisory_xact_lock key serializing migrations across workers and hosts: "canaille"
// in ASCII.
constexpr const char* kMigrationLockSql = "SELECT pg_advisory_xact_lock(7161132400093924453)";

/// "postgresql://user:secret@host/db" → "postgresql://user:***@host/db", and any
/// "password=..." (URI query or key/value form) → "password=***": for error messages.
std::string redact(const std::string& conninfo) {
    std::string out = conninfo;
    auto scheme_end = out.find("://");
    if (scheme_end != std::string::npos) {
        auto auth_begin = scheme_end + 3;
        auto auth_end = out.find_first_of("/?", auth_begin);
        if (auth_end == std::string::npos) auth_end = out.size();
        auto at = out.rfind('@', auth_end);
        if (at != std::string::npos && at >= auth_begin) {
            auto colon = out.find(':', auth_begin);
            if (colon != std::string::npos && colon < at) {
                out.replace(colon + 1, at - colon - 1, "***");
            }
        }
    }
    for (std::size_t pos = out.find("password="); pos != std::string::npos;
         pos = out.find("password=", pos + 1)) {
        auto begin = pos + 9;
        auto end = out.find_first_of("& ", begin);
        if (end == std::string::npos) end = out.size();
        out.replace(begin, end - begin, "***");
    }
    return out;
}

std::string server_encoding(detail::PgTx& tx) {
    auto r = tx.exec_script("SHOW server_encoding");
    return r.empty() ? std::string() : detail::text(r[0][0]);
}

void require_utf8(detail::PgTx& tx) {
    // Text is compared and folded as UTF-8; SQL_ASCII would store bytes unchecked.
    if (auto enc = server_encoding(tx); enc != "UTF8") {
        throw StoreError("postgresql: the database encoding is " + enc +
                         "; canaille needs UTF8 (CREATE DATABASE ... ENCODING 'UTF8')");
    }
}

}  // namespace

std::unique_ptr<Store> open_postgres(std::string_view /*uri*/, std::string_view rest,
                                     const Clock& clock) {
    // libpq only knows the lowercase prefixes; RFC 3986 §3.1 schemes ignore case.
    if (rest.substr(0, 2) != "//") {
        throw StoreError(
            "invalid postgresql URI: use postgresql://user:password@host:port/db "
            "or postgresql:///db?host=/socket/dir");
    }
    std::string conninfo = "postgresql:";
    conninfo += rest;
    return std::make_unique<PostgresStore>(std::move(conninfo), clock);
}

PostgresStore::PostgresStore(std::string conninfo, const Clock& clock)
    : conninfo_(std::move(conninfo)), clock_(clock) {
    connection();
}

PostgresStore::~PostgresStore() = default;

detail::PgConnection& PostgresStore::connection() {
    if (!conn_) {
        try {
            conn_ = std::make_unique<detail::PgConnection>(conninfo_);
        } catch (const pqxx::failure& e) {
            std::string_view msg = e.what();
            while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.remove_suffix(1);
            throw StoreError("postgresql: cannot connect to " + redact(conninfo_) + ": " +
                             std::string(msg));
        }
    }
    return *conn_;
}

int PostgresStore::backend_pid() const { return conn_ ? conn_->pq().backendpid() : 0; }

void PostgresStore::install() {
    write([&](detail::PgTx& tx) {
        tx.exec_script(kMigrationLockSql);
        require_utf8(tx);
        tx.exec_script(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)");
        auto r = tx.exec_script("SELECT coalesce(max(version), 0) FROM schema_migrations");
        const std::int64_t current = detail::i64(r[0][0]);
        if (current > kSchemaVersion) {
            throw StoreError("postgresql: database schema version " + std::to_string(current) +
                             " is newer than this program's (" + std::to_string(kSchemaVersion) +
                             ")");
        }
        for (const auto& m : kMigrations) {
            if (m.version <= current) continue;
            tx.exec_script(m.sql);
            tx.exec("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                    detail::Params().i64(m.version).time(clock_.now()));
        }
        return 0;
    });
}

int PostgresStore::schema_version() {
    return read([&](detail::PgTx& tx) {
        auto r = tx.exec_script("SELECT to_regclass('schema_migrations') IS NOT NULL");
        if (!detail::boolean(r[0][0])) return 0;
        auto v = tx.exec_script("SELECT coalesce(max(version), 0) FROM schema_migrations");
        return static_cast<int>(detail::i64(v[0][0]));
    });
}

void PostgresStore::check() {
    read([&](detail::PgTx& tx) {
        require_utf8(tx);
        return 0;
    });
    int v = schema_version();
    if (v == 0) throw StoreError("postgresql: database " + redact(conninfo_) + " is not installed");
    if (v < kSchemaVersion) {
        throw StoreError("postgresql: database schema version " + std::to_string(v) +
                         " is older than " + std::to_string(kSchemaVersion) +
                         "; run `canaille install` to migrate");
    }
    if (v > kSchemaVersion) {
        throw StoreError("postgresql: database schema version " + std::to_string(v) +
                         " is newer than this program's (" + std::to_string(kSchemaVersion) + ")");
    }
}

}  // namespace canaille::store

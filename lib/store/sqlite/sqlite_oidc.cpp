// SPDX-License-Identifier: MIT
// SqliteStore: clients, authorization codes, tokens, consents, jti replay records and the
// purge. Single-use objects are taken with one conditional UPDATE ... RETURNING inside a
// BEGIN IMMEDIATE transaction: the first connection to get the write lock wins, the others
// find the row already stamped and get nothing.
#include <sqlite3.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <unordered_set>

#include "store/sqlite/sqlite_internal.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "util/random.hpp"

namespace canaille::store {

using detail::clamp_to_int64;
using detail::ConstraintViolation;
using detail::list_from_json;
using detail::list_to_json;
using detail::search_pattern;
using detail::Statement;
using detail::to_micros;
using detail::truncate;

namespace {

/// Which Status a refused constraint means for the OAuth tables: a taken identifier (id,
/// client_id, authorization_code_id, token_id, consent_id) is already_exists; a taken
/// secret hash or a second consent for the same (subject, client) is conflict; a dangling
/// reference or a missing required value is invalid.
Status oidc_status_of(const ConstraintViolation& e) {
    std::string_view msg = e.what();
    switch (e.extended_code) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
            if (msg.find("_hash") != std::string_view::npos ||
                msg.find("consents.subject") != std::string_view::npos) {
                return Status::conflict;
            }
            return Status::already_exists;
        default:
            return Status::invalid;
    }
}

/// Keeps the first occurrence of each value, in order.
std::vector<std::string> unique_values(const std::vector<std::string>& values) {
    std::vector<std::string> out;
    std::unordered_set<std::string> seen;
    for (const auto& v : values) {
        if (seen.insert(v).second) out.push_back(v);
    }
    return out;
}

/// issue_date + lifetime in microseconds, saturating instead of overflowing on absurd
/// lifetimes (a negative lifetime is already expired).
std::int64_t expires_micros(TimePoint issue_date, std::int64_t lifetime_s) {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    constexpr std::int64_t kMicros = 1'000'000;
    const std::int64_t issued = to_micros(issue_date);
    if (lifetime_s > kMax / kMicros) return kMax;
    if (lifetime_s < kMin / kMicros) return kMin;
    const std::int64_t delta = lifetime_s * kMicros;
    if (delta > 0 && issued > kMax - delta) return kMax;
    if (delta < 0 && issued < kMin - delta) return kMin;
    return issued + delta;
}

/// New last_modified for an update: strictly after the stored one, so a compare-and-swap
/// on last_modified detects every intervening write even when the clock stands still.
TimePoint next_modification(TimePoint now, std::optional<TimePoint> stored) {
    now = truncate(now);
    if (stored && now <= *stored) return *stored + std::chrono::microseconds(1);
    return now;
}

// ---- clients ----

// Column order shared by the SELECT, INSERT and UPDATE statements and by
// bind_client()/read_client_row().
constexpr std::array<std::string_view, 43> kClientColumns = {
    "id",
    "created",
    "last_modified",
    "client_id",
    "client_secret",
    "client_id_issued_at",
    "client_secret_expires_at",
    "description",
    "redirect_uris",
    "token_endpoint_auth_method",
    "token_endpoint_auth_signing_alg",
    "grant_types",
    "response_types",
    "client_name",
    "client_uri",
    "logo_uri",
    "scope",
    "contacts",
    "tos_uri",
    "policy_uri",
    "jwks_uri",
    "jwks",
    "sector_identifier_uri",
    "subject_type",
    "software_id",
    "software_version",
    "post_logout_redirect_uris",
    "application_type",
    "id_token_signed_response_alg",
    "id_token_encrypted_response_alg",
    "id_token_encrypted_response_enc",
    "userinfo_signed_response_alg",
    "userinfo_encrypted_response_alg",
    "userinfo_encrypted_response_enc",
    "default_max_age",
    "require_auth_time",
    "default_acr_values",
    "initiate_login_uri",
    "request_object_signing_alg",
    "request_object_encryption_alg",
    "request_object_encryption_enc",
    "request_uris",
    "require_signed_request_object",
};
constexpr std::size_t kClientColumnCount = kClientColumns.size();
static_assert(!kClientColumns.back().empty(), "every client column is named");

std::string column_list(const std::string_view* columns, std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        if (i > 0) s += ", ";
        s += columns[i];
    }
    return s;
}

const std::string& client_select_sql() {
    static const std::string sql =
        "SELECT " + column_list(kClientColumns.data(), kClientColumnCount) +
        // The audience rides along as a JSON array: one statement, one snapshot.
        ", (SELECT json_group_array(audience) FROM (SELECT audience FROM client_audiences"
        " WHERE owner_id = clients.id ORDER BY position)) FROM clients ";
    return sql;
}

const std::string& client_insert_sql() {
    static const std::string sql = [] {
        std::string params;
        for (std::size_t i = 0; i < kClientColumnCount; ++i) {
            if (i > 0) params += ", ";
            params += '?';
            params += std::to_string(i + 1);
        }
        return "INSERT INTO clients (" + column_list(kClientColumns.data(), kClientColumnCount) +
               ") VALUES (" + params + ")";
    }();
    return sql;
}

const std::string& client_update_sql() {
    static const std::string sql = [] {
        std::string s = "UPDATE clients SET ";
        for (std::size_t i = 1; i < kClientColumnCount; ++i) {
            if (i > 1) s += ", ";
            s += kClientColumns[i];
            s += " = ?";
            s += std::to_string(i + 1);
        }
        s += " WHERE id = ?1";
        return s;
    }();
    return sql;
}

void bind_client(Statement& st, const model::Client& c) {
    int i = 1;
    st.bind_text(i++, c.id);
    st.bind_opt_time(i++, c.created);
    st.bind_opt_time(i++, c.last_modified);
    st.bind_text(i++, c.client_id);
    st.bind_opt_text(i++, c.client_secret);
    st.bind_opt_time(i++, c.client_id_issued_at);
    st.bind_opt_time(i++, c.client_secret_expires_at);
    st.bind_opt_text(i++, c.description);
    st.bind_text(i++, list_to_json(c.redirect_uris));
    st.bind_text(i++, c.token_endpoint_auth_method);
    st.bind_opt_text(i++, c.token_endpoint_auth_signing_alg);
    st.bind_text(i++, list_to_json(c.grant_types));
    st.bind_text(i++, list_to_json(c.response_types));
    st.bind_opt_text(i++, c.client_name);
    st.bind_opt_text(i++, c.client_uri);
    st.bind_opt_text(i++, c.logo_uri);
    st.bind_text(i++, list_to_json(c.scope));
    st.bind_text(i++, list_to_json(c.contacts));
    st.bind_opt_text(i++, c.tos_uri);
    st.bind_opt_text(i++, c.policy_uri);
    st.bind_opt_text(i++, c.jwks_uri);
    st.bind_opt_text(i++, c.jwks);
    st.bind_opt_text(i++, c.sector_identifier_uri);
    st.bind_opt_text(i++, c.subject_type);
    st.bind_opt_text(i++, c.software_id);
    st.bind_opt_text(i++, c.software_version);
    st.bind_text(i++, list_to_json(c.post_logout_redirect_uris));
    st.bind_text(i++, c.application_type);
    st.bind_text(i++, c.id_token_signed_response_alg);
    st.bind_opt_text(i++, c.id_token_encrypted_response_alg);
    st.bind_opt_text(i++, c.id_token_encrypted_response_enc);
    st.bind_opt_text(i++, c.userinfo_signed_response_alg);
    st.bind_opt_text(i++, c.userinfo_encrypted_response_alg);
    st.bind_opt_text(i++, c.userinfo_encrypted_response_enc);
    st.bind_opt_int(i++, c.default_max_age);
    st.bind_int(i++, c.require_auth_time ? 1 : 0);
    st.bind_text(i++, list_to_json(c.default_acr_values));
    st.bind_opt_text(i++, c.initiate_login_uri);
    st.bind_opt_text(i++, c.request_object_signing_alg);
    st.bind_opt_text(i++, c.request_object_encryption_alg);
    st.bind_opt_text(i++, c.request_object_encryption_enc);
    st.bind_text(i++, list_to_json(c.request_uris));
    st.bind_int(i++, c.require_signed_request_object ? 1 : 0);
}

model::Client read_client_row(const Statement& st) {
    model::Client c;
    int i = 0;
    auto list = [&](const char* what) { return list_from_json(st.text(i++), what); };
    c.id = st.text(i++);
    c.created = st.opt_time(i++);
    c.last_modified = st.opt_time(i++);
    c.client_id = st.text(i++);
    c.client_secret = st.opt_text(i++);
    c.client_id_issued_at = st.opt_time(i++);
    c.client_secret_expires_at = st.opt_time(i++);
    c.description = st.opt_text(i++);
    c.redirect_uris = list("client redirect_uris");
    c.token_endpoint_auth_method = st.text(i++);
    c.token_endpoint_auth_signing_alg = st.opt_text(i++);
    c.grant_types = list("client grant_types");
    c.response_types = list("client response_types");
    c.client_name = st.opt_text(i++);
    c.client_uri = st.opt_text(i++);
    c.logo_uri = st.opt_text(i++);
    c.scope = list("client scope");
    c.contacts = list("client contacts");
    c.tos_uri = st.opt_text(i++);
    c.policy_uri = st.opt_text(i++);
    c.jwks_uri = st.opt_text(i++);
    c.jwks = st.opt_text(i++);
    c.sector_identifier_uri = st.opt_text(i++);
    c.subject_type = st.opt_text(i++);
    c.software_id = st.opt_text(i++);
    c.software_version = st.opt_text(i++);
    c.post_logout_redirect_uris = list("client post_logout_redirect_uris");
    c.application_type = st.text(i++);
    c.id_token_signed_response_alg = st.text(i++);
    c.id_token_encrypted_response_alg = st.opt_text(i++);
    c.id_token_encrypted_response_enc = st.opt_text(i++);
    c.userinfo_signed_response_alg = st.opt_text(i++);
    c.userinfo_encrypted_response_alg = st.opt_text(i++);
    c.userinfo_encrypted_response_enc = st.opt_text(i++);
    c.default_max_age = st.opt_int(i++);
    c.require_auth_time = st.int64(i++) != 0;
    c.default_acr_values = list("client default_acr_values");
    c.initiate_login_uri = st.opt_text(i++);
    c.request_object_signing_alg = st.opt_text(i++);
    c.request_object_encryption_alg = st.opt_text(i++);
    c.request_object_encryption_enc = st.opt_text(i++);
    c.request_uris = list("client request_uris");
    c.require_signed_request_object = st.int64(i++) != 0;
    c.audience = list("client audience");
    return c;
}

constexpr const char* kClientSearchWhere =
    "WHERE canaille_fold(client_id) LIKE ?1 ESCAPE '\\'"
    " OR canaille_fold(client_name) LIKE ?1 ESCAPE '\\'"
    " OR canaille_fold(description) LIKE ?1 ESCAPE '\\'"
    " OR canaille_fold(client_uri) LIKE ?1 ESCAPE '\\' ";

// ---- codes ----

constexpr const char* kCodeColumns =
    "id, authorization_code_id, code_hash, client_id, subject, redirect_uri, response_type, "
    "scope, nonce, issue_date, lifetime, challenge, challenge_method, revokation_date, "
    "auth_time, acr, amr, sid, consumed_at";

model::AuthorizationCode read_code_row(const Statement& st) {
    model::AuthorizationCode c;
    c.id = st.text(0);
    c.authorization_code_id = st.text(1);
    c.code_hash = st.text(2);
    c.client_id = st.text(3);
    c.subject = st.text(4);
    c.redirect_uri = st.opt_text(5);
    c.response_type = st.text(6);
    c.scope = list_from_json(st.text(7), "code scope");
    c.nonce = st.opt_text(8);
    c.issue_date = st.time(9);
    c.lifetime = st.int64(10);
    c.challenge = st.opt_text(11);
    c.challenge_method = st.opt_text(12);
    c.revokation_date = st.opt_time(13);
    c.auth_time = st.opt_time(14);
    c.acr = st.opt_text(15);
    c.amr = list_from_json(st.text(16), "code amr");
    c.sid = st.opt_text(17);
    c.consumed_at = st.opt_time(18);
    return c;
}

// ---- tokens ----

constexpr const char* kTokenColumns =
    "id, token_id, access_token_hash, refresh_token_hash, client_id, subject, type, scope, "
    "issue_date, lifetime, revokation_date, authorization_code_id, refresh_token_consumed_at, "
    "parent_token_id";

model::Token read_token_row(const Statement& st) {
    model::Token t;
    t.id = st.text(0);
    t.token_id = st.text(1);
    t.access_token_hash = st.text(2);
    t.refresh_token_hash = st.opt_text(3);
    t.client_id = st.text(4);
    t.subject = st.opt_text(5);
    t.type = st.text(6);
    t.scope = list_from_json(st.text(7), "token scope");
    t.issue_date = st.time(8);
    t.lifetime = st.int64(9);
    t.revokation_date = st.opt_time(10);
    t.authorization_code_id = st.opt_text(11);
    t.refresh_token_consumed_at = st.opt_time(12);
    t.parent_token_id = st.opt_text(13);
    return t;
}

/// kTokenColumns and the audience as a JSON array (column 14): a token in one statement.
constexpr const char* kTokenSelect =
    "SELECT id, token_id, access_token_hash, refresh_token_hash, client_id, subject, type, "
    "scope, issue_date, lifetime, revokation_date, authorization_code_id, "
    "refresh_token_consumed_at, parent_token_id, (SELECT json_group_array(audience) FROM "
    "(SELECT audience FROM token_audiences WHERE owner_id = tokens.id ORDER BY position)) "
    "FROM tokens ";

constexpr const char* kTokenSearchWhere =
    "WHERE canaille_fold(token_id) LIKE ?1 ESCAPE '\\'"
    " OR canaille_fold(client_id) LIKE ?1 ESCAPE '\\'"
    " OR canaille_fold(subject) LIKE ?1 ESCAPE '\\'"
    " OR canaille_fold(type) LIKE ?1 ESCAPE '\\' ";

// ---- consents ----

constexpr const char* kConsentColumns =
    "id, consent_id, subject, client_id, scope, issue_date, revokation_date";

model::Consent read_consent_row(const Statement& st) {
    model::Consent c;
    c.id = st.text(0);
    c.consent_id = st.text(1);
    c.subject = st.text(2);
    c.client_id = st.text(3);
    c.scope = list_from_json(st.text(4), "consent scope");
    c.issue_date = st.time(5);
    c.revokation_date = st.opt_time(6);
    return c;
}

}  // namespace

// ---- clients ----

void SqliteStore::write_client_audience(const model::Client& client) {
    {
        auto st = prepare("DELETE FROM client_audiences WHERE owner_id = ?1");
        st.bind_text(1, client.id).run();
    }
    for (std::size_t i = 0; i < client.audience.size(); ++i) {
        auto st = prepare(
            "INSERT INTO client_audiences (owner_id, position, audience) VALUES (?1, ?2, ?3)");
        st.bind_text(1, client.id)
            .bind_int(2, clamp_to_int64(i))
            .bind_text(3, client.audience[i])
            .run();
    }
}

std::optional<model::Client> SqliteStore::read_client(std::string_view where_sql,
                                                      std::string_view key) {
    auto st = prepare(client_select_sql() + std::string(where_sql));
    st.bind_text(1, key);
    if (!st.step()) return std::nullopt;
    return read_client_row(st);
}

Status SqliteStore::write_client(model::Client& client, bool create) {
    if (client.client_id.empty()) return Status::invalid;
    model::Client row = client;
    row.audience = unique_values(row.audience);
    for (const auto& a : row.audience) {
        if (a.empty()) return Status::invalid;
    }
    truncate(row.client_id_issued_at);
    truncate(row.client_secret_expires_at);
    try {
        Transaction txn(*this, Transaction::Kind::write);
        if (create) {
            const auto now = truncate(clock_.now());
            if (row.id.empty()) row.id = random_uuid();
            if (!row.created) row.created = now;
            if (!row.last_modified) row.last_modified = now;
            truncate(row.created);
            truncate(row.last_modified);
            auto st = prepare(client_insert_sql());
            bind_client(st, row);
            st.run();
        } else {
            std::optional<TimePoint> stored_created;
            std::optional<TimePoint> stored_modified;
            {
                auto st =
                    prepare("SELECT created, last_modified, client_id FROM clients WHERE id = ?1");
                st.bind_text(1, row.id);
                if (!st.step()) return Status::not_found;
                stored_created = st.opt_time(0);
                stored_modified = st.opt_time(1);
                if (st.text(2) != row.client_id) return Status::invalid;
            }
            // Compare-and-swap: the caller's copy must be the latest one.
            if (row.last_modified && truncate(*row.last_modified) != stored_modified) {
                return Status::conflict;
            }
            if (!row.created) row.created = stored_created;
            truncate(row.created);
            row.last_modified = next_modification(clock_.now(), stored_modified);
            auto st = prepare(client_update_sql());
            bind_client(st, row);
            st.run();
        }
        write_client_audience(row);
        txn.commit();
    } catch (const ConstraintViolation& e) {
        return oidc_status_of(e);
    }
    client = std::move(row);
    return Status::ok;
}

Status SqliteStore::create_client(model::Client& client) { return write_client(client, true); }

Status SqliteStore::update_client(model::Client& client) { return write_client(client, false); }

Status SqliteStore::delete_client(std::string_view id) {
    Transaction txn(*this, Transaction::Kind::write);
    std::size_t n = 0;
    {
        // Consents, codes, tokens and every audience entry naming it cascade.
        auto st = prepare("DELETE FROM clients WHERE id = ?1");
        n = st.bind_text(1, id).run();
    }
    txn.commit();
    return n == 0 ? Status::not_found : Status::ok;
}

std::optional<model::Client> SqliteStore::get_client(std::string_view id) {
    return read_client("WHERE id = ?1", id);
}

std::optional<model::Client> SqliteStore::get_client_by_client_id(std::string_view client_id) {
    return read_client("WHERE client_id = ?1", client_id);
}

std::vector<model::Client> SqliteStore::list_clients(std::string_view query, Page page) {
    Transaction txn(*this, Transaction::Kind::read);
    std::vector<model::Client> clients;
    {
        auto st = prepare(client_select_sql() + kClientSearchWhere +
                          "ORDER BY client_id LIMIT ?2 OFFSET ?3");
        st.bind_text(1, search_pattern(query))
            .bind_int(2, clamp_to_int64(page.limit))
            .bind_int(3, clamp_to_int64(page.offset));
        while (st.step()) clients.push_back(read_client_row(st));
    }
    return clients;
}

std::size_t SqliteStore::count_clients(std::string_view query) {
    auto st = prepare(std::string("SELECT count(*) FROM clients ") + kClientSearchWhere);
    st.bind_text(1, search_pattern(query));
    return st.step() ? static_cast<std::size_t>(st.int64(0)) : 0;
}

// ---- authorization codes ----

Status SqliteStore::create_code(model::AuthorizationCode& code) {
    if (code.authorization_code_id.empty() || code.code_hash.empty()) return Status::invalid;
    model::AuthorizationCode row = code;
    if (row.id.empty()) row.id = random_uuid();
    row.issue_date = truncate(row.issue_date);
    truncate(row.revokation_date);
    truncate(row.auth_time);
    truncate(row.consumed_at);
    try {
        Transaction txn(*this, Transaction::Kind::write);
        {
            auto st = prepare(std::string("INSERT INTO authorization_codes (") + kCodeColumns +
                              ", expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                              "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)");
            st.bind_text(1, row.id)
                .bind_text(2, row.authorization_code_id)
                .bind_text(3, row.code_hash)
                .bind_text(4, row.client_id)
                .bind_text(5, row.subject)
                .bind_opt_text(6, row.redirect_uri)
                .bind_text(7, row.response_type)
                .bind_text(8, list_to_json(row.scope))
                .bind_opt_text(9, row.nonce)
                .bind_time(10, row.issue_date)
                .bind_int(11, row.lifetime)
                .bind_opt_text(12, row.challenge)
                .bind_opt_text(13, row.challenge_method)
                .bind_opt_time(14, row.revokation_date)
                .bind_opt_time(15, row.auth_time)
                .bind_opt_text(16, row.acr)
                .bind_text(17, list_to_json(row.amr))
                .bind_opt_text(18, row.sid)
                .bind_opt_time(19, row.consumed_at)
                .bind_int(20, expires_micros(row.issue_date, row.lifetime));
            st.run();
        }
        txn.commit();
    } catch (const ConstraintViolation& e) {
        return oidc_status_of(e);
    }
    code = std::move(row);
    return Status::ok;
}

std::optional<model::AuthorizationCode> SqliteStore::consume_code(std::string_view code_hash,
                                                                  TimePoint now) {
    // RFC 6749 §4.1.2: a code is single use. The WHERE clause is the whole check, so two
    // connections racing on one code are serialized by the write lock and one matches.
    Transaction txn(*this, Transaction::Kind::write);
    std::optional<model::AuthorizationCode> code;
    {
        auto st = prepare(std::string("UPDATE authorization_codes SET consumed_at = ?2 "
                                      "WHERE code_hash = ?1 AND consumed_at IS NULL "
                                      "AND revokation_date IS NULL AND expires > ?2 RETURNING ") +
                          kCodeColumns);
        st.bind_text(1, code_hash).bind_time(2, now);
        if (st.step()) {
            code = read_code_row(st);
            while (st.step()) {
            }
        }
    }
    txn.commit();
    return code;
}

std::optional<model::AuthorizationCode> SqliteStore::read_code(std::string_view where_sql,
                                                               std::string_view key) {
    auto st = prepare(std::string("SELECT ") + kCodeColumns + " FROM authorization_codes " +
                      std::string(where_sql));
    st.bind_text(1, key);
    if (!st.step()) return std::nullopt;
    return read_code_row(st);
}

std::optional<model::AuthorizationCode> SqliteStore::get_code_by_hash(std::string_view code_hash) {
    return read_code("WHERE code_hash = ?1", code_hash);
}

std::vector<model::AuthorizationCode> SqliteStore::list_codes(Page page) {
    auto st = prepare(std::string("SELECT ") + kCodeColumns +
                      " FROM authorization_codes ORDER BY issue_date, authorization_code_id "
                      "LIMIT ?1 OFFSET ?2");
    st.bind_int(1, clamp_to_int64(page.limit)).bind_int(2, clamp_to_int64(page.offset));
    std::vector<model::AuthorizationCode> codes;
    while (st.step()) codes.push_back(read_code_row(st));
    return codes;
}

std::optional<model::AuthorizationCode> SqliteStore::get_code(
    std::string_view authorization_code_id) {
    return read_code("WHERE authorization_code_id = ?1", authorization_code_id);
}

Status SqliteStore::delete_code(std::string_view authorization_code_id) {
    Transaction txn(*this, Transaction::Kind::write);
    std::size_t n = 0;
    {
        auto st = prepare("DELETE FROM authorization_codes WHERE authorization_code_id = ?1");
        n = st.bind_text(1, authorization_code_id).run();
    }
    txn.commit();
    return n == 0 ? Status::not_found : Status::ok;
}

// ---- tokens ----

void SqliteStore::load_token_audience(model::Token& token) {
    auto st = prepare("SELECT audience FROM token_audiences WHERE owner_id = ?1 ORDER BY position");
    st.bind_text(1, token.id);
    while (st.step()) token.audience.push_back(st.text(0));
}

Status SqliteStore::create_token(model::Token& token) {
    if (token.token_id.empty() || token.access_token_hash.empty()) return Status::invalid;
    if (token.refresh_token_hash && token.refresh_token_hash->empty()) return Status::invalid;
    model::Token row = token;
    if (row.id.empty()) row.id = random_uuid();
    row.audience = unique_values(row.audience);
    row.issue_date = truncate(row.issue_date);
    truncate(row.revokation_date);
    truncate(row.refresh_token_consumed_at);
    try {
        // Without an audience the token is one INSERT, atomic on its own.
        std::optional<Transaction> txn;
        if (!row.audience.empty()) txn.emplace(*this, Transaction::Kind::write);
        {
            auto st = prepare(std::string("INSERT INTO tokens (") + kTokenColumns +
                              ", expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                              "?12, ?13, ?14, ?15)");
            st.bind_text(1, row.id)
                .bind_text(2, row.token_id)
                .bind_text(3, row.access_token_hash)
                .bind_opt_text(4, row.refresh_token_hash)
                .bind_text(5, row.client_id)
                .bind_opt_text(6, row.subject)
                .bind_text(7, row.type)
                .bind_text(8, list_to_json(row.scope))
                .bind_time(9, row.issue_date)
                .bind_int(10, row.lifetime)
                .bind_opt_time(11, row.revokation_date)
                .bind_opt_text(12, row.authorization_code_id)
                .bind_opt_time(13, row.refresh_token_consumed_at)
                .bind_opt_text(14, row.parent_token_id)
                .bind_int(15, expires_micros(row.issue_date, row.lifetime));
            st.run();
        }
        for (std::size_t i = 0; i < row.audience.size(); ++i) {
            auto st = prepare(
                "INSERT INTO token_audiences (owner_id, position, audience) VALUES (?1, ?2, ?3)");
            st.bind_text(1, row.id)
                .bind_int(2, clamp_to_int64(i))
                .bind_text(3, row.audience[i])
                .run();
        }
        if (txn) txn->commit();
    } catch (const ConstraintViolation& e) {
        return oidc_status_of(e);
    }
    token = std::move(row);
    return Status::ok;
}

std::optional<model::Token> SqliteStore::read_token(std::string_view where_sql,
                                                    std::string_view key) {
    auto st = prepare(kTokenSelect + std::string(where_sql));
    st.bind_text(1, key);
    if (!st.step()) return std::nullopt;
    model::Token token = read_token_row(st);
    token.audience = list_from_json(st.text(14), "token audience");
    return token;
}

std::optional<model::Token> SqliteStore::get_token(std::string_view token_id) {
    return read_token("WHERE token_id = ?1", token_id);
}

std::optional<model::Token> SqliteStore::get_token_by_access_hash(
    std::string_view access_token_hash) {
    return read_token("WHERE access_token_hash = ?1", access_token_hash);
}

std::optional<model::Token> SqliteStore::get_token_by_refresh_hash(
    std::string_view refresh_token_hash) {
    return read_token("WHERE refresh_token_hash = ?1", refresh_token_hash);
}

std::optional<model::Token> SqliteStore::rotate_refresh_token(std::string_view refresh_hash,
                                                              TimePoint now) {
    // Same single-winner pattern as consume_code; the old access token is revoked with it.
    Transaction txn(*this, Transaction::Kind::write);
    std::optional<model::Token> token;
    {
        auto st = prepare(std::string("UPDATE tokens SET refresh_token_consumed_at = ?2, "
                                      "revokation_date = ?2 WHERE refresh_token_hash = ?1 "
                                      "AND refresh_token_consumed_at IS NULL "
                                      "AND revokation_date IS NULL AND expires > ?2 RETURNING ") +
                          kTokenColumns);
        st.bind_text(1, refresh_hash).bind_time(2, now);
        if (st.step()) {
            token = read_token_row(st);
            while (st.step()) {
            }
        }
    }
    if (token) load_token_audience(*token);
    txn.commit();
    return token;
}

Status SqliteStore::revoke_token(std::string_view token_id, TimePoint now) {
    Transaction txn(*this, Transaction::Kind::write);
    if (!exists("SELECT 1 FROM tokens WHERE token_id = ?1", token_id)) return Status::not_found;
    {
        auto st = prepare(
            "UPDATE tokens SET revokation_date = ?2 WHERE token_id = ?1 "
            "AND revokation_date IS NULL");
        st.bind_text(1, token_id).bind_time(2, now).run();
    }
    txn.commit();
    return Status::ok;
}

std::size_t SqliteStore::revoke_tokens_where(std::string_view where_sql, std::string_view key1,
                                             std::string_view key2, TimePoint now) {
    Transaction txn(*this, Transaction::Kind::write);
    std::size_t n = 0;
    {
        auto st = prepare("UPDATE tokens SET revokation_date = ?3 " + std::string(where_sql) +
                          " AND revokation_date IS NULL");
        st.bind_text(1, key1).bind_time(3, now);
        if (where_sql.find("?2") != std::string_view::npos) st.bind_text(2, key2);
        n = st.run();
    }
    txn.commit();
    return n;
}

std::size_t SqliteStore::revoke_tokens_by_code(std::string_view authorization_code_id,
                                               TimePoint now) {
    return revoke_tokens_where("WHERE authorization_code_id = ?1", authorization_code_id, {}, now);
}

std::size_t SqliteStore::revoke_tokens_of(std::string_view subject, std::string_view client_id,
                                          TimePoint now) {
    return revoke_tokens_where("WHERE subject = ?1 AND client_id = ?2", subject, client_id, now);
}

std::vector<model::Token> SqliteStore::list_tokens(std::string_view query, Page page) {
    Transaction txn(*this, Transaction::Kind::read);
    std::vector<model::Token> tokens;
    {
        auto st =
            prepare(std::string("SELECT ") + kTokenColumns + " FROM tokens " + kTokenSearchWhere +
                    "ORDER BY issue_date DESC, token_id LIMIT ?2 OFFSET ?3");
        st.bind_text(1, search_pattern(query))
            .bind_int(2, clamp_to_int64(page.limit))
            .bind_int(3, clamp_to_int64(page.offset));
        while (st.step()) tokens.push_back(read_token_row(st));
    }
    for (auto& t : tokens) load_token_audience(t);
    return tokens;
}

std::size_t SqliteStore::count_tokens(std::string_view query) {
    auto st = prepare(std::string("SELECT count(*) FROM tokens ") + kTokenSearchWhere);
    st.bind_text(1, search_pattern(query));
    return st.step() ? static_cast<std::size_t>(st.int64(0)) : 0;
}

// ---- consents ----

Status SqliteStore::create_consent(model::Consent& consent) {
    if (consent.consent_id.empty()) return Status::invalid;
    model::Consent row = consent;
    if (row.id.empty()) row.id = random_uuid();
    row.issue_date = truncate(row.issue_date);
    truncate(row.revokation_date);
    try {
        Transaction txn(*this, Transaction::Kind::write);
        {
            auto st = prepare(std::string("INSERT INTO consents (") + kConsentColumns +
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
            st.bind_text(1, row.id)
                .bind_text(2, row.consent_id)
                .bind_text(3, row.subject)
                .bind_text(4, row.client_id)
                .bind_text(5, list_to_json(row.scope))
                .bind_time(6, row.issue_date)
                .bind_opt_time(7, row.revokation_date)
                .run();
        }
        txn.commit();
    } catch (const ConstraintViolation& e) {
        return oidc_status_of(e);
    }
    consent = std::move(row);
    return Status::ok;
}

Status SqliteStore::update_consent(model::Consent& consent) {
    model::Consent row = consent;
    row.issue_date = truncate(row.issue_date);
    truncate(row.revokation_date);
    try {
        Transaction txn(*this, Transaction::Kind::write);
        {
            auto st = prepare("SELECT consent_id, subject, client_id FROM consents WHERE id = ?1");
            st.bind_text(1, row.id);
            if (!st.step()) return Status::not_found;
            if (st.text(0) != row.consent_id || st.text(1) != row.subject ||
                st.text(2) != row.client_id) {
                return Status::invalid;
            }
        }
        {
            auto st = prepare(
                "UPDATE consents SET scope = ?2, issue_date = ?3, revokation_date = ?4 "
                "WHERE id = ?1");
            st.bind_text(1, row.id)
                .bind_text(2, list_to_json(row.scope))
                .bind_time(3, row.issue_date)
                .bind_opt_time(4, row.revokation_date)
                .run();
        }
        txn.commit();
    } catch (const ConstraintViolation& e) {
        return oidc_status_of(e);
    }
    consent = std::move(row);
    return Status::ok;
}

std::optional<model::Consent> SqliteStore::read_consent(std::string_view where_sql,
                                                        std::string_view key1,
                                                        std::string_view key2) {
    auto st = prepare(std::string("SELECT ") + kConsentColumns + " FROM consents " +
                      std::string(where_sql));
    st.bind_text(1, key1);
    if (where_sql.find("?2") != std::string_view::npos) st.bind_text(2, key2);
    if (!st.step()) return std::nullopt;
    return read_consent_row(st);
}

std::optional<model::Consent> SqliteStore::get_consent(std::string_view consent_id) {
    return read_consent("WHERE consent_id = ?1", consent_id);
}

std::optional<model::Consent> SqliteStore::get_consent_for(std::string_view subject,
                                                           std::string_view client_id) {
    return read_consent("WHERE subject = ?1 AND client_id = ?2", subject, client_id);
}

std::vector<model::Consent> SqliteStore::list_consents_of(std::string_view subject) {
    auto st = prepare(std::string("SELECT ") + kConsentColumns +
                      " FROM consents WHERE subject = ?1 ORDER BY issue_date, consent_id");
    st.bind_text(1, subject);
    std::vector<model::Consent> out;
    while (st.step()) out.push_back(read_consent_row(st));
    return out;
}

Status SqliteStore::delete_consent(std::string_view consent_id) {
    Transaction txn(*this, Transaction::Kind::write);
    std::size_t n = 0;
    {
        auto st = prepare("DELETE FROM consents WHERE consent_id = ?1");
        n = st.bind_text(1, consent_id).run();
    }
    txn.commit();
    return n == 0 ? Status::not_found : Status::ok;
}

// ---- replay protection ----

bool SqliteStore::remember_jti(std::string_view jti, TimePoint expires) {
    // An empty jti cannot identify anything: answer "seen" so the caller refuses it.
    if (jti.empty()) return false;
    Transaction txn(*this, Transaction::Kind::write);
    std::size_t n = 0;
    {
        // The primary key makes the first insert win; a replay inserts nothing.
        auto st = prepare(
            "INSERT INTO jti_replays (jti, expires) VALUES (?1, ?2) ON CONFLICT (jti) DO NOTHING");
        n = st.bind_text(1, jti).bind_time(2, expires).run();
    }
    txn.commit();
    return n == 1;
}

// ---- maintenance ----

PurgeCounts SqliteStore::purge_expired(TimePoint now) {
    Transaction txn(*this, Transaction::Kind::write);
    PurgeCounts counts;
    auto purge = [&](const char* sql) {
        auto st = prepare(sql);
        return st.bind_time(1, now).run();
    };
    counts.sessions = purge("DELETE FROM sessions WHERE expires <= ?1");
    counts.codes = purge("DELETE FROM authorization_codes WHERE expires <= ?1");
    // A refresh token expires with its access token (Canaille), so an expired row is dead.
    counts.tokens = purge("DELETE FROM tokens WHERE expires <= ?1");
    counts.replays = purge("DELETE FROM jti_replays WHERE expires <= ?1");
    txn.commit();
    return counts;
}

}  // namespace canaille::store

// SPDX-License-Identifier: MIT
// OAuth/OIDC records on PostgreSQL: clients, authorization codes, tokens, consents, jti
// replay records, and the purge. Single-use records are consumed by one conditional
// UPDATE ... RETURNING: row locks make a second, concurrent consumer re-check the
// condition after the first commits, so it finds nothing (RFC 6749 §4.1.2).
#include <limits>

#include "store/postgres/postgres_internal.hpp"
#include "store/postgres/postgres_store.hpp"
#include "util/random.hpp"

namespace canaille::store {

using detail::Params;
using detail::PgTx;

namespace {

/// issue_date + lifetime in microseconds, saturating instead of overflowing.
std::int64_t expires_micros(TimePoint issue_date, std::int64_t lifetime_seconds) {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    const std::int64_t start = detail::to_micros(issue_date);
    std::int64_t span = 0;
    if (__builtin_mul_overflow(lifetime_seconds, std::int64_t{1'000'000}, &span)) {
        span = lifetime_seconds > 0 ? kMax : kMin;
    }
    std::int64_t end = 0;
    if (__builtin_add_overflow(start, span, &end)) end = span > 0 ? kMax : kMin;
    return end;
}

// ---- clients ----

constexpr const char* kClientColumns =
    "c.id, c.created, c.last_modified, c.client_id, c.client_secret, c.client_id_issued_at, "
    "c.client_secret_expires_at, c.description, c.redirect_uris, c.token_endpoint_auth_method, "
    "c.token_endpoint_auth_signing_alg, c.grant_types, c.response_types, c.client_name, "
    "c.client_uri, c.logo_uri, c.scope, c.contacts, c.tos_uri, c.policy_uri, c.jwks_uri, "
    "c.jwks, c.sector_identifier_uri, c.subject_type, c.software_id, c.software_version, "
    "c.post_logout_redirect_uris, c.application_type, c.id_token_signed_response_alg, "
    "c.id_token_encrypted_response_alg, c.id_token_encrypted_response_enc, "
    "c.userinfo_signed_response_alg, c.userinfo_encrypted_response_alg, "
    "c.userinfo_encrypted_response_enc, c.default_max_age, c.require_auth_time, "
    "c.default_acr_values, c.initiate_login_uri, c.request_object_signing_alg, "
    "c.request_object_encryption_alg, c.request_object_encryption_enc, c.request_uris, "
    "c.require_signed_request_object";

const std::string& client_select_sql() {
    static const std::string sql =
        std::string("SELECT ") + kClientColumns +
        ", coalesce((SELECT json_agg(a.audience ORDER BY a.position) FROM client_audiences a "
        "WHERE a.owner_id = c.id), '[]') FROM clients c ";
    return sql;
}

constexpr const char* kClientInsert =
    "INSERT INTO clients (id, created, last_modified, client_id, client_secret, "
    "client_id_issued_at, client_secret_expires_at, description, redirect_uris, "
    "token_endpoint_auth_method, token_endpoint_auth_signing_alg, grant_types, response_types, "
    "client_name, client_uri, logo_uri, scope, contacts, tos_uri, policy_uri, jwks_uri, jwks, "
    "sector_identifier_uri, subject_type, software_id, software_version, "
    "post_logout_redirect_uris, application_type, id_token_signed_response_alg, "
    "id_token_encrypted_response_alg, id_token_encrypted_response_enc, "
    "userinfo_signed_response_alg, userinfo_encrypted_response_alg, "
    "userinfo_encrypted_response_enc, default_max_age, require_auth_time, default_acr_values, "
    "initiate_login_uri, request_object_signing_alg, request_object_encryption_alg, "
    "request_object_encryption_enc, request_uris, require_signed_request_object) VALUES ($1, "
    "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, "
    "$21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, "
    "$39, $40, $41, $42, $43)";

constexpr const char* kClientUpdate =
    "UPDATE clients SET created = $2, last_modified = $3, client_id = $4, client_secret = $5, "
    "client_id_issued_at = $6, client_secret_expires_at = $7, description = $8, "
    "redirect_uris = $9, token_endpoint_auth_method = $10, "
    "token_endpoint_auth_signing_alg = $11, grant_types = $12, response_types = $13, "
    "client_name = $14, client_uri = $15, logo_uri = $16, scope = $17, contacts = $18, "
    "tos_uri = $19, policy_uri = $20, jwks_uri = $21, jwks = $22, "
    "sector_identifier_uri = $23, subject_type = $24, software_id = $25, "
    "software_version = $26, post_logout_redirect_uris = $27, application_type = $28, "
    "id_token_signed_response_alg = $29, id_token_encrypted_response_alg = $30, "
    "id_token_encrypted_response_enc = $31, userinfo_signed_response_alg = $32, "
    "userinfo_encrypted_response_alg = $33, userinfo_encrypted_response_enc = $34, "
    "default_max_age = $35, require_auth_time = $36, default_acr_values = $37, "
    "initiate_login_uri = $38, request_object_signing_alg = $39, "
    "request_object_encryption_alg = $40, request_object_encryption_enc = $41, "
    "request_uris = $42, require_signed_request_object = $43 WHERE id = $1";

Params client_params(const model::Client& c) {
    Params p;
    p.text(c.id)
        .opt_time(c.created)
        .opt_time(c.last_modified)
        .text(c.client_id)
        .opt_text(c.client_secret)
        .opt_time(c.client_id_issued_at)
        .opt_time(c.client_secret_expires_at)
        .opt_text(c.description)
        .json_strings(c.redirect_uris)
        .text(c.token_endpoint_auth_method)
        .opt_text(c.token_endpoint_auth_signing_alg)
        .json_strings(c.grant_types)
        .json_strings(c.response_types)
        .opt_text(c.client_name)
        .opt_text(c.client_uri)
        .opt_text(c.logo_uri)
        .json_strings(c.scope)
        .json_strings(c.contacts)
        .opt_text(c.tos_uri)
        .opt_text(c.policy_uri)
        .opt_text(c.jwks_uri)
        .opt_text(c.jwks)
        .opt_text(c.sector_identifier_uri)
        .opt_text(c.subject_type)
        .opt_text(c.software_id)
        .opt_text(c.software_version)
        .json_strings(c.post_logout_redirect_uris)
        .text(c.application_type)
        .text(c.id_token_signed_response_alg)
        .opt_text(c.id_token_encrypted_response_alg)
        .opt_text(c.id_token_encrypted_response_enc)
        .opt_text(c.userinfo_signed_response_alg)
        .opt_text(c.userinfo_encrypted_response_alg)
        .opt_text(c.userinfo_encrypted_response_enc)
        .opt_i64(c.default_max_age)
        .boolean(c.require_auth_time)
        .json_strings(c.default_acr_values)
        .opt_text(c.initiate_login_uri)
        .opt_text(c.request_object_signing_alg)
        .opt_text(c.request_object_encryption_alg)
        .opt_text(c.request_object_encryption_enc)
        .json_strings(c.request_uris)
        .boolean(c.require_signed_request_object);
    return p;
}

model::Client read_client_row(const pqxx::row& r) {
    using namespace detail;
    model::Client c;
    int i = 0;
    c.id = text(r[i++]);
    c.created = opt_time(r[i++]);
    c.last_modified = opt_time(r[i++]);
    c.client_id = text(r[i++]);
    c.client_secret = opt_text(r[i++]);
    c.client_id_issued_at = opt_time(r[i++]);
    c.client_secret_expires_at = opt_time(r[i++]);
    c.description = opt_text(r[i++]);
    c.redirect_uris = json_strings(r[i++]);
    c.token_endpoint_auth_method = text(r[i++]);
    c.token_endpoint_auth_signing_alg = opt_text(r[i++]);
    c.grant_types = json_strings(r[i++]);
    c.response_types = json_strings(r[i++]);
    c.client_name = opt_text(r[i++]);
    c.client_uri = opt_text(r[i++]);
    c.logo_uri = opt_text(r[i++]);
    c.scope = json_strings(r[i++]);
    c.contacts = json_strings(r[i++]);
    c.tos_uri = opt_text(r[i++]);
    c.policy_uri = opt_text(r[i++]);
    c.jwks_uri = opt_text(r[i++]);
    c.jwks = opt_text(r[i++]);
    c.sector_identifier_uri = opt_text(r[i++]);
    c.subject_type = opt_text(r[i++]);
    c.software_id = opt_text(r[i++]);
    c.software_version = opt_text(r[i++]);
    c.post_logout_redirect_uris = json_strings(r[i++]);
    c.application_type = text(r[i++]);
    c.id_token_signed_response_alg = text(r[i++]);
    c.id_token_encrypted_response_alg = opt_text(r[i++]);
    c.id_token_encrypted_response_enc = opt_text(r[i++]);
    c.userinfo_signed_response_alg = opt_text(r[i++]);
    c.userinfo_encrypted_response_alg = opt_text(r[i++]);
    c.userinfo_encrypted_response_enc = opt_text(r[i++]);
    c.default_max_age = opt_i64(r[i++]);
    c.require_auth_time = boolean(r[i++]);
    c.default_acr_values = json_strings(r[i++]);
    c.initiate_login_uri = opt_text(r[i++]);
    c.request_object_signing_alg = opt_text(r[i++]);
    c.request_object_encryption_alg = opt_text(r[i++]);
    c.request_object_encryption_enc = opt_text(r[i++]);
    c.request_uris = json_strings(r[i++]);
    c.require_signed_request_object = boolean(r[i++]);
    c.audience = json_strings(r[i++]);
    return c;
}

/// New last_modified for an update: strictly after the stored one, so a compare-and-swap
/// on last_modified detects every intervening write even when the clock stands still.
TimePoint next_modification(TimePoint now, std::optional<TimePoint> stored) {
    now = detail::truncate(now);
    if (stored && now <= *stored) return *stored + std::chrono::microseconds(1);
    return now;
}

void normalize(model::Client& c) {
    detail::truncate(c.created);
    detail::truncate(c.last_modified);
    detail::truncate(c.client_id_issued_at);
    detail::truncate(c.client_secret_expires_at);
}

void write_audience(PgTx& tx, const char* table, const std::string& owner_id,
                    const std::vector<std::string>& audience, bool replace) {
    const std::string t(table);
    if (replace) tx.exec("DELETE FROM " + t + " WHERE owner_id = $1", Params().text(owner_id));
    if (audience.empty()) return;
    tx.exec("INSERT INTO " + t +
                " (owner_id, position, audience) SELECT $1, a.ord - 1, a.v "
                "FROM unnest($2::text[]) WITH ORDINALITY AS a(v, ord)",
            Params().text(owner_id).text_array(audience));
}

/// Case-insensitive substring search over the client's public names.
constexpr const char* kClientSearchWhere =
    "WHERE canaille_fold(c.client_id) LIKE canaille_fold($1)"
    " OR canaille_fold(c.client_name) LIKE canaille_fold($1)"
    " OR canaille_fold(c.description) LIKE canaille_fold($1)"
    " OR canaille_fold(c.client_uri) LIKE canaille_fold($1) ";

// ---- authorization codes ----

constexpr const char* kCodeColumns =
    "id, authorization_code_id, code_hash, client_id, subject, redirect_uri, response_type, "
    "scope, nonce, issue_date, lifetime, challenge, challenge_method, revokation_date, "
    "auth_time, acr, amr, sid, consumed_at";

model::AuthorizationCode read_code_row(const pqxx::row& r) {
    using namespace detail;
    model::AuthorizationCode c;
    int i = 0;
    c.id = text(r[i++]);
    c.authorization_code_id = text(r[i++]);
    c.code_hash = text(r[i++]);
    c.client_id = text(r[i++]);
    c.subject = text(r[i++]);
    c.redirect_uri = opt_text(r[i++]);
    c.response_type = text(r[i++]);
    c.scope = json_strings(r[i++]);
    c.nonce = opt_text(r[i++]);
    c.issue_date = time(r[i++]);
    c.lifetime = i64(r[i++]);
    c.challenge = opt_text(r[i++]);
    c.challenge_method = opt_text(r[i++]);
    c.revokation_date = opt_time(r[i++]);
    c.auth_time = opt_time(r[i++]);
    c.acr = opt_text(r[i++]);
    c.amr = json_strings(r[i++]);
    c.sid = opt_text(r[i++]);
    c.consumed_at = opt_time(r[i++]);
    return c;
}

std::optional<model::AuthorizationCode> first_code(const pqxx::result& r) {
    if (r.empty()) return std::nullopt;
    return read_code_row(r[0]);
}

// ---- tokens ----

constexpr const char* kTokenColumns =
    "t.id, t.token_id, t.access_token_hash, t.refresh_token_hash, t.client_id, t.subject, "
    "t.type, t.scope, t.issue_date, t.lifetime, t.revokation_date, t.authorization_code_id, "
    "t.refresh_token_consumed_at, t.parent_token_id, "
    "coalesce((SELECT json_agg(a.audience ORDER BY a.position) FROM token_audiences a "
    "WHERE a.owner_id = t.id), '[]')";

const std::string& token_select_sql() {
    static const std::string sql = std::string("SELECT ") + kTokenColumns + " FROM tokens t ";
    return sql;
}

model::Token read_token_row(const pqxx::row& r) {
    using namespace detail;
    model::Token t;
    int i = 0;
    t.id = text(r[i++]);
    t.token_id = text(r[i++]);
    t.access_token_hash = text(r[i++]);
    t.refresh_token_hash = opt_text(r[i++]);
    t.client_id = text(r[i++]);
    t.subject = opt_text(r[i++]);
    t.type = text(r[i++]);
    t.scope = json_strings(r[i++]);
    t.issue_date = time(r[i++]);
    t.lifetime = i64(r[i++]);
    t.revokation_date = opt_time(r[i++]);
    t.authorization_code_id = opt_text(r[i++]);
    t.refresh_token_consumed_at = opt_time(r[i++]);
    t.parent_token_id = opt_text(r[i++]);
    t.audience = json_strings(r[i++]);
    return t;
}

std::optional<model::Token> first_token(const pqxx::result& r) {
    if (r.empty()) return std::nullopt;
    return read_token_row(r[0]);
}

constexpr const char* kTokenSearchWhere =
    "WHERE canaille_fold(t.token_id) LIKE canaille_fold($1)"
    " OR canaille_fold(t.client_id) LIKE canaille_fold($1)"
    " OR canaille_fold(t.subject) LIKE canaille_fold($1)"
    " OR canaille_fold(t.type) LIKE canaille_fold($1) ";

// ---- consents ----

constexpr const char* kConsentSelect =
    "SELECT id, consent_id, subject, client_id, scope, issue_date, revokation_date "
    "FROM consents ";

model::Consent read_consent_row(const pqxx::row& r) {
    using namespace detail;
    model::Consent c;
    c.id = text(r[0]);
    c.consent_id = text(r[1]);
    c.subject = text(r[2]);
    c.client_id = text(r[3]);
    c.scope = json_strings(r[4]);
    c.issue_date = time(r[5]);
    c.revokation_date = opt_time(r[6]);
    return c;
}

std::optional<model::Consent> first_consent(const pqxx::result& r) {
    if (r.empty()) return std::nullopt;
    return read_consent_row(r[0]);
}

Status deleted(const pqxx::result& r) {
    return r.affected_rows() == 0 ? Status::not_found : Status::ok;
}

}  // namespace

// ---- clients ----

Status PostgresStore::write_client(model::Client& client, bool create) {
    if (client.client_id.empty()) return Status::invalid;
    model::Client row = client;
    row.audience = detail::unique_values(row.audience);
    for (const auto& a : row.audience) {
        if (a.empty()) return Status::invalid;
    }
    const auto now = detail::truncate(clock_.now());
    Status st = write([&](PgTx& tx) {
        if (create) {
            if (row.id.empty()) row.id = random_uuid();
            if (!row.created) row.created = now;
            if (!row.last_modified) row.last_modified = now;
            normalize(row);
            tx.exec(kClientInsert, client_params(row));
        } else {
            auto r = tx.exec(
                "SELECT client_id, created, last_modified FROM clients WHERE id = $1 FOR UPDATE",
                Params().text(row.id));
            if (r.empty()) return Status::not_found;
            if (detail::text(r[0][0]) != row.client_id) return Status::invalid;
            // Compare-and-swap: the caller read a version someone else has since replaced.
            const auto stored_modified = detail::opt_time(r[0][2]);
            if (row.last_modified && detail::truncate(*row.last_modified) != stored_modified) {
                return Status::conflict;
            }
            if (!row.created) row.created = detail::opt_time(r[0][1]);
            row.last_modified = next_modification(clock_.now(), stored_modified);
            normalize(row);
            tx.exec(kClientUpdate, client_params(row));
        }
        write_audience(tx, "client_audiences", row.id, row.audience, !create);
        return Status::ok;
    });
    if (st == Status::ok) client = std::move(row);
    return st;
}

Status PostgresStore::create_client(model::Client& client) { return write_client(client, true); }

Status PostgresStore::update_client(model::Client& client) { return write_client(client, false); }

Status PostgresStore::delete_client(std::string_view id) {
    if (!detail::storable(id)) return Status::not_found;
    // Consents, codes, tokens and every audience entry naming it cascade.
    return write([&](PgTx& tx) {
        return deleted(tx.exec("DELETE FROM clients WHERE id = $1", Params().text(id)));
    });
}

std::optional<model::Client> PostgresStore::get_client(std::string_view id) {
    return read([&](PgTx& tx) -> std::optional<model::Client> {
        auto r = tx.exec(client_select_sql() + "WHERE c.id = $1", Params().text(id));
        if (r.empty()) return std::nullopt;
        return read_client_row(r[0]);
    });
}

std::optional<model::Client> PostgresStore::get_client_by_client_id(std::string_view client_id) {
    return read([&](PgTx& tx) -> std::optional<model::Client> {
        auto r = tx.exec(client_select_sql() + "WHERE c.client_id = $1", Params().text(client_id));
        if (r.empty()) return std::nullopt;
        return read_client_row(r[0]);
    });
}

std::vector<model::Client> PostgresStore::list_clients(std::string_view query, Page page) {
    return read([&](PgTx& tx) {
        auto r = tx.exec(client_select_sql() + kClientSearchWhere +
                             "ORDER BY c.client_id COLLATE \"C\" LIMIT $2 OFFSET $3",
                         Params()
                             .text(detail::like_pattern(query))
                             .i64(detail::clamp_to_int64(page.limit))
                             .i64(detail::clamp_to_int64(page.offset)));
        std::vector<model::Client> out;
        out.reserve(r.size());
        for (const auto& row : r) out.push_back(read_client_row(row));
        return out;
    });
}

std::size_t PostgresStore::count_clients(std::string_view query) {
    return read([&](PgTx& tx) {
        auto r = tx.exec(std::string("SELECT count(*) FROM clients c ") + kClientSearchWhere,
                         Params().text(detail::like_pattern(query)));
        return static_cast<std::size_t>(detail::i64(r[0][0]));
    });
}

// ---- authorization codes ----

Status PostgresStore::create_code(model::AuthorizationCode& code) {
    if (code.authorization_code_id.empty() || code.code_hash.empty()) return Status::invalid;
    model::AuthorizationCode row = code;
    Status st = write([&](PgTx& tx) {
        if (row.id.empty()) row.id = random_uuid();
        row.issue_date = detail::truncate(row.issue_date);
        detail::truncate(row.revokation_date);
        detail::truncate(row.auth_time);
        detail::truncate(row.consumed_at);
        tx.exec(std::string("INSERT INTO authorization_codes (") + kCodeColumns +
                    ", expires) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
                    "$14, $15, $16, $17, $18, $19, $20)",
                Params()
                    .text(row.id)
                    .text(row.authorization_code_id)
                    .text(row.code_hash)
                    .text(row.client_id)
                    .text(row.subject)
                    .opt_text(row.redirect_uri)
                    .text(row.response_type)
                    .json_strings(row.scope)
                    .opt_text(row.nonce)
                    .time(row.issue_date)
                    .i64(row.lifetime)
                    .opt_text(row.challenge)
                    .opt_text(row.challenge_method)
                    .opt_time(row.revokation_date)
                    .opt_time(row.auth_time)
                    .opt_text(row.acr)
                    .json_strings(row.amr)
                    .opt_text(row.sid)
                    .opt_time(row.consumed_at)
                    .i64(expires_micros(row.issue_date, row.lifetime)));
        return Status::ok;
    });
    if (st == Status::ok) code = std::move(row);
    return st;
}

std::optional<model::AuthorizationCode> PostgresStore::consume_code(std::string_view code_hash,
                                                                    TimePoint now) {
    return write([&](PgTx& tx) {
        return first_code(tx.exec(
            std::string("UPDATE authorization_codes SET consumed_at = $2 WHERE code_hash = $1 "
                        "AND consumed_at IS NULL AND revokation_date IS NULL AND expires > $2 "
                        "RETURNING ") +
                kCodeColumns,
            Params().text(code_hash).time(now)));
    });
}

std::optional<model::AuthorizationCode> PostgresStore::get_code_by_hash(
    std::string_view code_hash) {
    return read([&](PgTx& tx) {
        return first_code(tx.exec(std::string("SELECT ") + kCodeColumns +
                                      " FROM authorization_codes WHERE code_hash = $1",
                                  Params().text(code_hash)));
    });
}

std::vector<model::AuthorizationCode> PostgresStore::list_codes(Page page) {
    return read([&](PgTx& tx) {
        auto r = tx.exec(std::string("SELECT ") + kCodeColumns +
                             " FROM authorization_codes ORDER BY issue_date, "
                             "authorization_code_id COLLATE \"C\" LIMIT $1 OFFSET $2",
                         Params()
                             .i64(detail::clamp_to_int64(page.limit))
                             .i64(detail::clamp_to_int64(page.offset)));
        std::vector<model::AuthorizationCode> out;
        out.reserve(r.size());
        for (const auto& row : r) out.push_back(read_code_row(row));
        return out;
    });
}

std::optional<model::AuthorizationCode> PostgresStore::get_code(
    std::string_view authorization_code_id) {
    return read([&](PgTx& tx) {
        return first_code(tx.exec(std::string("SELECT ") + kCodeColumns +
                                      " FROM authorization_codes WHERE authorization_code_id = $1",
                                  Params().text(authorization_code_id)));
    });
}

Status PostgresStore::delete_code(std::string_view authorization_code_id) {
    if (!detail::storable(authorization_code_id)) return Status::not_found;
    return write([&](PgTx& tx) {
        return deleted(tx.exec("DELETE FROM authorization_codes WHERE authorization_code_id = $1",
                               Params().text(authorization_code_id)));
    });
}

// ---- tokens ----

Status PostgresStore::create_token(model::Token& token) {
    if (token.token_id.empty() || token.access_token_hash.empty()) return Status::invalid;
    if (token.refresh_token_hash && token.refresh_token_hash->empty()) return Status::invalid;
    model::Token row = token;
    row.audience = detail::unique_values(row.audience);
    Status st = write([&](PgTx& tx) {
        if (row.id.empty()) row.id = random_uuid();
        row.issue_date = detail::truncate(row.issue_date);
        detail::truncate(row.revokation_date);
        detail::truncate(row.refresh_token_consumed_at);
        tx.exec(
            "INSERT INTO tokens (id, token_id, access_token_hash, refresh_token_hash, client_id, "
            "subject, type, scope, issue_date, lifetime, revokation_date, authorization_code_id, "
            "refresh_token_consumed_at, parent_token_id, expires) VALUES ($1, $2, $3, $4, $5, "
            "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            Params()
                .text(row.id)
                .text(row.token_id)
                .text(row.access_token_hash)
                .opt_text(row.refresh_token_hash)
                .text(row.client_id)
                .opt_text(row.subject)
                .text(row.type)
                .json_strings(row.scope)
                .time(row.issue_date)
                .i64(row.lifetime)
                .opt_time(row.revokation_date)
                .opt_text(row.authorization_code_id)
                .opt_time(row.refresh_token_consumed_at)
                .opt_text(row.parent_token_id)
                .i64(expires_micros(row.issue_date, row.lifetime)));
        write_audience(tx, "token_audiences", row.id, row.audience, false);
        return Status::ok;
    });
    if (st == Status::ok) token = std::move(row);
    return st;
}

std::optional<model::Token> PostgresStore::get_token(std::string_view token_id) {
    return read([&](PgTx& tx) {
        return first_token(
            tx.exec(token_select_sql() + "WHERE t.token_id = $1", Params().text(token_id)));
    });
}

std::optional<model::Token> PostgresStore::get_token_by_access_hash(
    std::string_view access_token_hash) {
    return read([&](PgTx& tx) {
        return first_token(tx.exec(token_select_sql() + "WHERE t.access_token_hash = $1",
                                   Params().text(access_token_hash)));
    });
}

std::optional<model::Token> PostgresStore::get_token_by_refresh_hash(
    std::string_view refresh_token_hash) {
    return read([&](PgTx& tx) {
        return first_token(tx.exec(token_select_sql() + "WHERE t.refresh_token_hash = $1",
                                   Params().text(refresh_token_hash)));
    });
}

std::optional<model::Token> PostgresStore::rotate_refresh_token(std::string_view refresh_hash,
                                                                TimePoint now) {
    return write([&](PgTx& tx) {
        return first_token(tx.exec(
            "WITH t AS (UPDATE tokens SET refresh_token_consumed_at = $2, revokation_date = $2 "
            "WHERE refresh_token_hash = $1 AND refresh_token_consumed_at IS NULL "
            "AND revokation_date IS NULL AND expires > $2 RETURNING *) "
            "SELECT " +
                std::string(kTokenColumns) + " FROM t",
            Params().text(refresh_hash).time(now)));
    });
}

Status PostgresStore::revoke_token(std::string_view token_id, TimePoint now) {
    if (!detail::storable(token_id)) return Status::not_found;
    return write([&](PgTx& tx) {
        // The first revocation date is kept.
        return deleted(
            tx.exec("UPDATE tokens SET revokation_date = coalesce(revokation_date, $2) "
                    "WHERE token_id = $1",
                    Params().text(token_id).time(now)));
    });
}

std::size_t PostgresStore::revoke_tokens_by_code(std::string_view authorization_code_id,
                                                 TimePoint now) {
    return write([&](PgTx& tx) {
        auto r = tx.exec(
            "UPDATE tokens SET revokation_date = $2 WHERE authorization_code_id = $1 "
            "AND revokation_date IS NULL",
            Params().text(authorization_code_id).time(now));
        return static_cast<std::size_t>(r.affected_rows());
    });
}

std::size_t PostgresStore::revoke_tokens_of(std::string_view subject, std::string_view client_id,
                                            TimePoint now) {
    return write([&](PgTx& tx) {
        auto r = tx.exec(
            "UPDATE tokens SET revokation_date = $3 WHERE subject = $1 AND client_id = $2 "
            "AND revokation_date IS NULL",
            Params().text(subject).text(client_id).time(now));
        return static_cast<std::size_t>(r.affected_rows());
    });
}

std::vector<model::Token> PostgresStore::list_tokens(std::string_view query, Page page) {
    return read([&](PgTx& tx) {
        auto r = tx.exec(token_select_sql() + kTokenSearchWhere +
                             "ORDER BY t.issue_date DESC, t.token_id COLLATE \"C\" "
                             "LIMIT $2 OFFSET $3",
                         Params()
                             .text(detail::like_pattern(query))
                             .i64(detail::clamp_to_int64(page.limit))
                             .i64(detail::clamp_to_int64(page.offset)));
        std::vector<model::Token> out;
        out.reserve(r.size());
        for (const auto& row : r) out.push_back(read_token_row(row));
        return out;
    });
}

std::size_t PostgresStore::count_tokens(std::string_view query) {
    return read([&](PgTx& tx) {
        auto r = tx.exec(std::string("SELECT count(*) FROM tokens t ") + kTokenSearchWhere,
                         Params().text(detail::like_pattern(query)));
        return static_cast<std::size_t>(detail::i64(r[0][0]));
    });
}

// ---- consents ----

Status PostgresStore::create_consent(model::Consent& consent) {
    if (consent.consent_id.empty()) return Status::invalid;
    model::Consent row = consent;
    Status st = write([&](PgTx& tx) {
        if (row.id.empty()) row.id = random_uuid();
        row.issue_date = detail::truncate(row.issue_date);
        detail::truncate(row.revokation_date);
        tx.exec(
            "INSERT INTO consents (id, consent_id, subject, client_id, scope, issue_date, "
            "revokation_date) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            Params()
                .text(row.id)
                .text(row.consent_id)
                .text(row.subject)
                .text(row.client_id)
                .json_strings(row.scope)
                .time(row.issue_date)
                .opt_time(row.revokation_date));
        return Status::ok;
    });
    if (st == Status::ok) consent = std::move(row);
    return st;
}

Status PostgresStore::update_consent(model::Consent& consent) {
    model::Consent row = consent;
    Status st = write([&](PgTx& tx) {
        auto r =
            tx.exec("SELECT consent_id, subject, client_id FROM consents WHERE id = $1 FOR UPDATE",
                    Params().text(row.id));
        if (r.empty()) return Status::not_found;
        if (detail::text(r[0][0]) != row.consent_id || detail::text(r[0][1]) != row.subject ||
            detail::text(r[0][2]) != row.client_id) {
            return Status::invalid;
        }
        row.issue_date = detail::truncate(row.issue_date);
        detail::truncate(row.revokation_date);
        tx.exec(
            "UPDATE consents SET scope = $2, issue_date = $3, revokation_date = $4 "
            "WHERE id = $1",
            Params()
                .text(row.id)
                .json_strings(row.scope)
                .time(row.issue_date)
                .opt_time(row.revokation_date));
        return Status::ok;
    });
    if (st == Status::ok) consent = std::move(row);
    return st;
}

std::optional<model::Consent> PostgresStore::get_consent(std::string_view consent_id) {
    return read([&](PgTx& tx) {
        return first_consent(tx.exec(std::string(kConsentSelect) + "WHERE consent_id = $1",
                                     Params().text(consent_id)));
    });
}

std::optional<model::Consent> PostgresStore::get_consent_for(std::string_view subject,
                                                             std::string_view client_id) {
    return read([&](PgTx& tx) {
        return first_consent(
            tx.exec(std::string(kConsentSelect) + "WHERE subject = $1 AND client_id = $2",
                    Params().text(subject).text(client_id)));
    });
}

std::vector<model::Consent> PostgresStore::list_consents_of(std::string_view subject) {
    return read([&](PgTx& tx) {
        auto r = tx.exec(std::string(kConsentSelect) +
                             "WHERE subject = $1 ORDER BY issue_date, consent_id COLLATE \"C\"",
                         Params().text(subject));
        std::vector<model::Consent> out;
        out.reserve(r.size());
        for (const auto& row : r) out.push_back(read_consent_row(row));
        return out;
    });
}

Status PostgresStore::delete_consent(std::string_view consent_id) {
    if (!detail::storable(consent_id)) return Status::not_found;
    return write([&](PgTx& tx) {
        return deleted(
            tx.exec("DELETE FROM consents WHERE consent_id = $1", Params().text(consent_id)));
    });
}

// ---- replay protection ----

bool PostgresStore::remember_jti(std::string_view jti, TimePoint expires) {
    // The primary key decides: of two workers inserting the same jti, one inserts a row and
    // the other, after waiting for it, inserts nothing. A jti that cannot be stored is
    // refused as a replay (false).
    // An empty jti cannot identify anything: answer "seen" so the caller refuses it.
    if (jti.empty()) return false;
    return write([&](PgTx& tx) {
        auto r = tx.exec(
            "INSERT INTO jti_replays (jti, expires) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING",
            Params().text(jti).time(expires));
        return r.affected_rows() == 1;
    });
}

// ---- maintenance ----

PurgeCounts PostgresStore::purge_expired(TimePoint now) {
    return write([&](PgTx& tx) {
        PurgeCounts counts;
        const auto p = Params().time(now);
        counts.sessions = tx.exec("DELETE FROM sessions WHERE expires <= $1", p).affected_rows();
        counts.codes =
            tx.exec("DELETE FROM authorization_codes WHERE expires <= $1", p).affected_rows();
        counts.tokens = tx.exec("DELETE FROM tokens WHERE expires <= $1", p).affected_rows();
        counts.replays = tx.exec("DELETE FROM jti_replays WHERE expires <= $1", p).affected_rows();
        return counts;
    });
}

}  // namespace canaille::store

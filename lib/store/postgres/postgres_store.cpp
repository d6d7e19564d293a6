// SPDX-License-Identifier: MIT
// Users, groups and sessions on PostgreSQL. Semantics mirror the SQLite backend exactly
// (doc/store.md); what differs is how: one statement per read (child lists come back as
// JSON aggregates), set-based writes of child lists, server-side uniqueness.
#include "store/postgres/postgres_store.hpp"

#include <algorithm>
#include <array>
#include <unordered_set>

#include "store/postgres/postgres_internal.hpp"
#include "util/random.hpp"
#include "util/strings.hpp"

namespace canaille::store {

using detail::Params;
using detail::PgTx;

namespace {

// Column order shared by the SELECT, INSERT and UPDATE statements and by
// user_params()/read_user_row() below.
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

/// Every column of a user plus its four lists, in one statement (one snapshot, one round
/// trip); the lists come from the child tables' primary-key indexes.
const std::string& user_select_sql() {
    static const std::string sql = [] {
        std::string s = "SELECT ";
        for (auto col : kUserColumns) {
            s += "u.";
            s += col;
            s += ", ";
        }
        s += "coalesce((SELECT json_agg(e.email ORDER BY e.position) FROM user_emails e "
             "WHERE e.user_id = u.id), '[]'), "
             "coalesce((SELECT json_agg(p.phone_number ORDER BY p.position) "
             "FROM user_phone_numbers p WHERE p.user_id = u.id), '[]'), "
             "coalesce((SELECT json_agg(f.failed_at ORDER BY f.position) "
             "FROM user_password_failures f WHERE f.user_id = u.id), '[]'), "
             "coalesce((SELECT json_agg(m.group_id ORDER BY m.created_at, m.seq) "
             "FROM memberships m WHERE m.user_id = u.id), '[]') "
             "FROM users u ";
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
            params += '$';
            params += std::to_string(i + 1);
        }
        return "INSERT INTO users (" + cols + ") VALUES (" + params + ")";
    }();
    return sql;
}

const std::string& user_update_sql() {
    static const std::string sql = [] {
        std::string s = "UPDATE users SET ";
        for (std::size_t i = 1; i < kUserColumns.size(); ++i) {
            if (i > 1) s += ", ";
            s += kUserColumns[i];
            s += " = $";
            s += std::to_string(i + 1);
        }
        s += " WHERE id = $1";
        return s;
    }();
    return sql;
}

Params user_params(const model::User& u) {
    Params p;
    p.text(u.id)
        .opt_time(u.created)
        .opt_time(u.last_modified)
        .text(u.user_name)
        .opt_text(u.password)
        .opt_time(u.password_last_update)
        .opt_text(u.preferred_language)
        .opt_text(u.family_name)
        .opt_text(u.given_name)
        .opt_text(u.formatted_name)
        .opt_text(u.display_name)
        .opt_text(u.formatted_address)
        .opt_text(u.street)
        .opt_text(u.postal_code)
        .opt_text(u.locality)
        .opt_text(u.region)
        .bytes(u.photo)
        .opt_text(u.profile_url)
        .opt_text(u.title)
        .opt_text(u.organization)
        .opt_text(u.employee_number)
        .opt_text(u.department)
        .opt_time(u.lock_date)
        .opt_time(u.last_otp_login)
        .opt_text(u.secret_token)
        .opt_i64(u.hotp_counter)
        .opt_text(u.one_time_password)
        .opt_time(u.one_time_password_emission_date);
    return p;
}

model::User read_user_row(const pqxx::row& r) {
    using namespace detail;
    model::User u;
    int i = 0;
    u.id = text(r[i++]);
    u.created = opt_time(r[i++]);
    u.last_modified = opt_time(r[i++]);
    u.user_name = text(r[i++]);
    u.password = opt_text(r[i++]);
    u.password_last_update = opt_time(r[i++]);
    u.preferred_language = opt_text(r[i++]);
    u.family_name = opt_text(r[i++]);
    u.given_name = opt_text(r[i++]);
    u.formatted_name = opt_text(r[i++]);
    u.display_name = opt_text(r[i++]);
    u.formatted_address = opt_text(r[i++]);
    u.street = opt_text(r[i++]);
    u.postal_code = opt_text(r[i++]);
    u.locality = opt_text(r[i++]);
    u.region = opt_text(r[i++]);
    u.photo = opt_bytes(r[i++]);
    u.profile_url = opt_text(r[i++]);
    u.title = opt_text(r[i++]);
    u.organization = opt_text(r[i++]);
    u.employee_number = opt_text(r[i++]);
    u.department = opt_text(r[i++]);
    u.lock_date = opt_time(r[i++]);
    u.last_otp_login = opt_time(r[i++]);
    u.secret_token = opt_text(r[i++]);
    u.hotp_counter = opt_i64(r[i++]);
    u.one_time_password = opt_text(r[i++]);
    u.one_time_password_emission_date = opt_time(r[i++]);
    u.emails = json_strings(r[i++]);
    u.phone_numbers = json_strings(r[i++]);
    u.password_failure_timestamps = json_times(r[i++]);
    u.groups = json_strings(r[i++]);
    return u;
}

/// Brings every time point to the stored precision, so the caller's copy equals what a
/// later read returns.
void normalize(model::User& u) {
    using detail::truncate;
    truncate(u.created);
    truncate(u.last_modified);
    truncate(u.password_last_update);
    for (auto& t : u.password_failure_timestamps) t = truncate(t);
    truncate(u.lock_date);
    truncate(u.last_otp_login);
    truncate(u.one_time_password_emission_date);
}

/// Same rule as the SQLite backend: a user_name, no empty email or phone number, no email
/// twice (ignoring ASCII case) on one user.
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

// $1 is like_pattern(query); both sides are folded by the same function, so the match
// ignores case beyond ASCII exactly as the SQLite backend does. Written as a UNION of
// per-table matches so each can use its trigram index.
constexpr const char* kUserSearchWhere =
    "WHERE u.id IN ("
    "SELECT id FROM users WHERE canaille_fold(user_name) LIKE canaille_fold($1)"
    " OR canaille_fold(given_name) LIKE canaille_fold($1)"
    " OR canaille_fold(family_name) LIKE canaille_fold($1)"
    " OR canaille_fold(formatted_name) LIKE canaille_fold($1)"
    " OR canaille_fold(display_name) LIKE canaille_fold($1)"
    " UNION SELECT user_id FROM user_emails WHERE canaille_fold(email) LIKE canaille_fold($1)"
    " UNION SELECT user_id FROM user_phone_numbers"
    " WHERE canaille_fold(phone_number) LIKE canaille_fold($1)) ";

// Identifiers sort as SQLite's NOCASE does: ASCII-folded, then bytewise.
constexpr const char* kUserOrder =
    "ORDER BY canaille_lower_ascii(u.user_name) COLLATE \"C\", u.id ";

constexpr const char* kGroupSelect =
    "SELECT g.id, g.created, g.last_modified, g.display_name, g.description, g.owner_id, "
    "coalesce((SELECT json_agg(m.user_id ORDER BY m.position, m.seq) FROM memberships m "
    "WHERE m.group_id = g.id), '[]') FROM groups g ";
constexpr const char* kGroupSearchWhere =
    "WHERE canaille_fold(g.display_name) LIKE canaille_fold($1)"
    " OR canaille_fold(g.description) LIKE canaille_fold($1) ";
constexpr const char* kGroupOrder =
    "ORDER BY canaille_lower_ascii(g.display_name) COLLATE \"C\", g.id ";

model::Group read_group_row(const pqxx::row& r) {
    using namespace detail;
    model::Group g;
    g.id = text(r[0]);
    g.created = opt_time(r[1]);
    g.last_modified = opt_time(r[2]);
    g.display_name = text(r[3]);
    g.description = opt_text(r[4]);
    g.owner = opt_text(r[5]);
    g.members = json_strings(r[6]);
    return g;
}

constexpr const char* kSessionColumns =
    "id_hash, user_id, created, last_seen, expires, auth_time, amr, csrf_secret, remember, "
    "data";

Params session_params(const model::Session& s) {
    Params p;
    p.text(s.id_hash)
        .text(s.user_id)
        .time(s.created)
        .time(s.last_seen)
        .time(s.expires)
        .time(s.auth_time)
        .json_strings(s.amr)
        .text(s.csrf_secret)
        .boolean(s.remember)
        .text(s.data);
    return p;
}

std::optional<model::User> first_user(const pqxx::result& r) {
    if (r.empty()) return std::nullopt;
    return read_user_row(r[0]);
}

std::optional<model::Group> first_group(const pqxx::result& r) {
    if (r.empty()) return std::nullopt;
    return read_group_row(r[0]);
}

void write_user_children(PgTx& tx, const model::User& u) {
    if (!u.emails.empty()) {
        tx.exec(
            "INSERT INTO user_emails (user_id, position, email) SELECT $1, t.ord - 1, t.v "
            "FROM unnest($2::text[]) WITH ORDINALITY AS t(v, ord)",
            Params().text(u.id).text_array(u.emails));
    }
    if (!u.phone_numbers.empty()) {
        tx.exec(
            "INSERT INTO user_phone_numbers (user_id, position, phone_number) "
            "SELECT $1, t.ord - 1, t.v FROM unnest($2::text[]) WITH ORDINALITY AS t(v, ord)",
            Params().text(u.id).text_array(u.phone_numbers));
    }
    if (!u.password_failure_timestamps.empty()) {
        tx.exec(
            "INSERT INTO user_password_failures (user_id, position, failed_at) "
            "SELECT $1, t.ord - 1, t.v FROM unnest($2::bigint[]) WITH ORDINALITY AS t(v, ord)",
            Params().text(u.id).time_array(u.password_failure_timestamps));
    }
}

void write_user_memberships(PgTx& tx, const model::User& u, TimePoint now, bool create) {
    if (!create) {
        tx.exec("DELETE FROM memberships WHERE user_id = $1 AND group_id <> ALL($2::text[])",
                Params().text(u.id).text_array(u.groups));
    }
    // New memberships go to the end of each group's member list; existing ones keep their
    // place and creation time.
    for (const auto& gid : u.groups) {
        tx.exec(
            "INSERT INTO memberships (group_id, user_id, created_at, position) VALUES ($1, $2, "
            "$3, (SELECT coalesce(max(position), -1) + 1 FROM memberships WHERE group_id = $1)) "
            "ON CONFLICT (group_id, user_id) DO NOTHING",
            Params().text(gid).text(u.id).time(now));
    }
}

void write_group_members(PgTx& tx, const model::Group& g, TimePoint now) {
    tx.exec("DELETE FROM memberships WHERE group_id = $1 AND user_id <> ALL($2::text[])",
            Params().text(g.id).text_array(g.members));
    if (g.members.empty()) return;
    // Existing memberships keep their creation time (the order of user.groups) and only
    // move within the group; new ones are inserted in member order.
    tx.exec(
        "INSERT INTO memberships (group_id, user_id, created_at, position) "
        "SELECT $1, t.v, $3, t.ord - 1 FROM unnest($2::text[]) WITH ORDINALITY AS t(v, ord) "
        "ORDER BY t.ord "
        "ON CONFLICT (group_id, user_id) DO UPDATE SET position = excluded.position",
        Params().text(g.id).text_array(g.members).time(now));
}

bool exists(PgTx& tx, const std::string& sql, std::string_view key) {
    return !tx.exec(sql, Params().text(key)).empty();
}

}  // namespace

// ---- users ----

Status PostgresStore::write_user(model::User& user, bool create) {
    if (!valid_user(user)) return Status::invalid;
    model::User row = user;
    row.groups = detail::unique_values(row.groups);
    const auto now = detail::truncate(clock_.now());
    Status st = write([&](PgTx& tx) {
        if (create) {
            if (row.id.empty()) row.id = random_uuid();
            if (!row.created) row.created = now;
            if (!row.last_modified) row.last_modified = now;
            normalize(row);
            tx.exec(user_insert_sql(), user_params(row));
        } else {
            auto r = tx.exec("SELECT created FROM users WHERE id = $1 FOR UPDATE",
                             Params().text(row.id));
            if (r.empty()) return Status::not_found;
            if (!row.created) row.created = detail::opt_time(r[0][0]);
            row.last_modified = now;
            normalize(row);
            tx.exec(user_update_sql(), user_params(row));
            for (const char* sql : {"DELETE FROM user_emails WHERE user_id = $1",
                                    "DELETE FROM user_phone_numbers WHERE user_id = $1",
                                    "DELETE FROM user_password_failures WHERE user_id = $1"}) {
                tx.exec(sql, Params().text(row.id));
            }
        }
        write_user_children(tx, row);
        write_user_memberships(tx, row, now, create);
        return Status::ok;
    });
    if (st == Status::ok) user = std::move(row);
    return st;
}

Status PostgresStore::create_user(model::User& user) { return write_user(user, true); }

Status PostgresStore::update_user(model::User& user) { return write_user(user, false); }

Status PostgresStore::delete_user(std::string_view id) {
    if (!detail::storable(id)) return Status::not_found;
    // Lists, memberships, sessions, codes, tokens and consents cascade; owned groups lose
    // their owner.
    return write([&](PgTx& tx) {
        auto r = tx.exec("DELETE FROM users WHERE id = $1", Params().text(id));
        return r.affected_rows() == 0 ? Status::not_found : Status::ok;
    });
}

std::optional<model::User> PostgresStore::get_user(std::string_view id) {
    return read([&](PgTx& tx) {
        return first_user(tx.exec(user_select_sql() + "WHERE u.id = $1", Params().text(id)));
    });
}

std::optional<model::User> PostgresStore::get_user_by_name(std::string_view user_name) {
    return read([&](PgTx& tx) {
        return first_user(
            tx.exec(user_select_sql() +
                        "WHERE canaille_lower_ascii(u.user_name) = canaille_lower_ascii($1)",
                    Params().text(user_name)));
    });
}

std::optional<model::User> PostgresStore::get_user_by_email(std::string_view email) {
    if (email.empty()) return std::nullopt;
    return read([&](PgTx& tx) {
        return first_user(tx.exec(user_select_sql() +
                                      "WHERE u.id = (SELECT user_id FROM user_emails WHERE "
                                      "canaille_lower_ascii(email) = canaille_lower_ascii($1))",
                                  Params().text(email)));
    });
}

std::vector<model::User> PostgresStore::list_users(std::string_view query, Page page) {
    return read([&](PgTx& tx) {
        auto r = tx.exec(user_select_sql() + kUserSearchWhere + kUserOrder + "LIMIT $2 OFFSET $3",
                         Params()
                             .text(detail::like_pattern(query))
                             .i64(detail::clamp_to_int64(page.limit))
                             .i64(detail::clamp_to_int64(page.offset)));
        std::vector<model::User> users;
        users.reserve(r.size());
        for (const auto& row : r) users.push_back(read_user_row(row));
        return users;
    });
}

std::size_t PostgresStore::count_users(std::string_view query) {
    return read([&](PgTx& tx) {
        auto r = tx.exec(std::string("SELECT count(*) FROM users u ") + kUserSearchWhere,
                         Params().text(detail::like_pattern(query)));
        return static_cast<std::size_t>(detail::i64(r[0][0]));
    });
}

// ---- groups ----

Status PostgresStore::write_group(model::Group& group, bool create) {
    if (group.display_name.empty()) return Status::invalid;
    model::Group row = group;
    row.members = detail::unique_values(row.members);
    const auto now = detail::truncate(clock_.now());
    Status st = write([&](PgTx& tx) {
        if (create) {
            if (row.id.empty()) row.id = random_uuid();
            if (!row.created) row.created = now;
            if (!row.last_modified) row.last_modified = now;
        } else {
            auto r = tx.exec("SELECT created FROM groups WHERE id = $1 FOR UPDATE",
                             Params().text(row.id));
            if (r.empty()) return Status::not_found;
            if (!row.created) row.created = detail::opt_time(r[0][0]);
            row.last_modified = now;
        }
        detail::truncate(row.created);
        detail::truncate(row.last_modified);
        tx.exec(create ? "INSERT INTO groups (id, created, last_modified, display_name, "
                         "description, owner_id) VALUES ($1, $2, $3, $4, $5, $6)"
                       : "UPDATE groups SET created = $2, last_modified = $3, display_name = $4, "
                         "description = $5, owner_id = $6 WHERE id = $1",
                Params()
                    .text(row.id)
                    .opt_time(row.created)
                    .opt_time(row.last_modified)
                    .text(row.display_name)
                    .opt_text(row.description)
                    .opt_text(row.owner));
        write_group_members(tx, row, now);
        return Status::ok;
    });
    if (st == Status::ok) group = std::move(row);
    return st;
}

Status PostgresStore::create_group(model::Group& group) { return write_group(group, true); }

Status PostgresStore::update_group(model::Group& group) { return write_group(group, false); }

Status PostgresStore::delete_group(std::string_view id) {
    if (!detail::storable(id)) return Status::not_found;
    return write([&](PgTx& tx) {
        auto r = tx.exec("DELETE FROM groups WHERE id = $1", Params().text(id));
        return r.affected_rows() == 0 ? Status::not_found : Status::ok;
    });
}

std::optional<model::Group> PostgresStore::get_group(std::string_view id) {
    return read([&](PgTx& tx) {
        return first_group(
            tx.exec(std::string(kGroupSelect) + "WHERE g.id = $1", Params().text(id)));
    });
}

std::optional<model::Group> PostgresStore::get_group_by_name(std::string_view display_name) {
    return read([&](PgTx& tx) {
        return first_group(tx.exec(std::string(kGroupSelect) +
                                       "WHERE canaille_lower_ascii(g.display_name) = "
                                       "canaille_lower_ascii($1)",
                                   Params().text(display_name)));
    });
}

std::vector<model::Group> PostgresStore::list_groups(std::string_view query, Page page) {
    return read([&](PgTx& tx) {
        auto r = tx.exec(
            std::string(kGroupSelect) + kGroupSearchWhere + kGroupOrder + "LIMIT $2 OFFSET $3",
            Params()
                .text(detail::like_pattern(query))
                .i64(detail::clamp_to_int64(page.limit))
                .i64(detail::clamp_to_int64(page.offset)));
        std::vector<model::Group> groups;
        groups.reserve(r.size());
        for (const auto& row : r) groups.push_back(read_group_row(row));
        return groups;
    });
}

std::size_t PostgresStore::count_groups(std::string_view query) {
    return read([&](PgTx& tx) {
        auto r = tx.exec(std::string("SELECT count(*) FROM groups g ") + kGroupSearchWhere,
                         Params().text(detail::like_pattern(query)));
        return static_cast<std::size_t>(detail::i64(r[0][0]));
    });
}

Status PostgresStore::add_member(std::string_view group_id, std::string_view user_id) {
    if (!detail::storable(group_id) || !detail::storable(user_id)) return Status::not_found;
    return write([&](PgTx& tx) {
        // Locks the group row: concurrent edits of one group's members queue up.
        if (!exists(tx, "SELECT 1 FROM groups WHERE id = $1 FOR UPDATE", group_id) ||
            !exists(tx, "SELECT 1 FROM users WHERE id = $1 FOR SHARE", user_id)) {
            return Status::not_found;
        }
        const auto now = clock_.now();
        auto r = tx.exec(
            "INSERT INTO memberships (group_id, user_id, created_at, position) VALUES ($1, $2, "
            "$3, (SELECT coalesce(max(position), -1) + 1 FROM memberships WHERE group_id = $1)) "
            "ON CONFLICT (group_id, user_id) DO NOTHING",
            Params().text(group_id).text(user_id).time(now));
        if (r.affected_rows() > 0) {
            tx.exec("UPDATE groups SET last_modified = $2 WHERE id = $1",
                    Params().text(group_id).time(now));
        }
        return Status::ok;
    });
}

Status PostgresStore::remove_member(std::string_view group_id, std::string_view user_id) {
    if (!detail::storable(group_id) || !detail::storable(user_id)) return Status::not_found;
    return write([&](PgTx& tx) {
        if (!exists(tx, "SELECT 1 FROM groups WHERE id = $1 FOR UPDATE", group_id) ||
            !exists(tx, "SELECT 1 FROM users WHERE id = $1", user_id)) {
            return Status::not_found;
        }
        auto r = tx.exec("DELETE FROM memberships WHERE group_id = $1 AND user_id = $2",
                         Params().text(group_id).text(user_id));
        if (r.affected_rows() > 0) {
            tx.exec("UPDATE groups SET last_modified = $2 WHERE id = $1",
                    Params().text(group_id).time(clock_.now()));
        }
        return Status::ok;
    });
}

// ---- sessions ----

Status PostgresStore::create_session(const model::Session& session) {
    if (session.id_hash.empty()) return Status::invalid;
    return write([&](PgTx& tx) {
        tx.exec(std::string("INSERT INTO sessions (") + kSessionColumns +
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                session_params(session));
        return Status::ok;
    });
}

std::optional<model::Session> PostgresStore::get_session(std::string_view id_hash, TimePoint now) {
    return read([&](PgTx& tx) -> std::optional<model::Session> {
        auto r = tx.exec(std::string("SELECT ") + kSessionColumns +
                             " FROM sessions WHERE id_hash = $1 AND expires > $2",
                         Params().text(id_hash).time(now));
        if (r.empty()) return std::nullopt;
        using namespace detail;
        const auto& row = r[0];
        model::Session s;
        s.id_hash = text(row[0]);
        s.user_id = text(row[1]);
        s.created = time(row[2]);
        s.last_seen = time(row[3]);
        s.expires = time(row[4]);
        s.auth_time = time(row[5]);
        s.amr = json_strings(row[6]);
        s.csrf_secret = text(row[7]);
        s.remember = boolean(row[8]);
        s.data = text(row[9]);
        return s;
    });
}

Status PostgresStore::update_session(const model::Session& session) {
    return write([&](PgTx& tx) {
        auto r = tx.exec(
            "UPDATE sessions SET user_id = $2, created = $3, last_seen = $4, expires = $5, "
            "auth_time = $6, amr = $7, csrf_secret = $8, remember = $9, data = $10 "
            "WHERE id_hash = $1",
            session_params(session));
        return r.affected_rows() == 0 ? Status::not_found : Status::ok;
    });
}

Status PostgresStore::delete_session(std::string_view id_hash) {
    if (!detail::storable(id_hash)) return Status::not_found;
    return write([&](PgTx& tx) {
        auto r = tx.exec("DELETE FROM sessions WHERE id_hash = $1", Params().text(id_hash));
        return r.affected_rows() == 0 ? Status::not_found : Status::ok;
    });
}

std::size_t PostgresStore::delete_user_sessions(std::string_view user_id) {
    return write([&](PgTx& tx) {
        auto r = tx.exec("DELETE FROM sessions WHERE user_id = $1", Params().text(user_id));
        return static_cast<std::size_t>(r.affected_rows());
    });
}

}  // namespace canaille::store

// SPDX-License-Identifier: MIT
// Value conversions, parameter lists, the connection and error mapping of the PostgreSQL
// backend.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <limits>
#include <unordered_set>

#include "store/postgres/postgres_internal.hpp"
#include "util/strings.hpp"

namespace canaille::store::detail {

bool storable(std::string_view text) {
    return text.find('\0') == std::string_view::npos && valid_utf8(text);
}

// floor, not truncation, so times before 1970 round down (as in the SQLite backend).
std::int64_t to_micros(TimePoint t) {
    return std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
}
TimePoint from_micros(std::int64_t v) {
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(v)));
}
TimePoint truncate(TimePoint t) { return from_micros(to_micros(t)); }
void truncate(std::optional<TimePoint>& t) {
    if (t) t = truncate(*t);
}

std::int64_t clamp_to_int64(std::size_t v) {
    constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
    return static_cast<std::int64_t>(std::min(v, kMax));
}

std::vector<std::string> unique_values(const std::vector<std::string>& values) {
    std::vector<std::string> out;
    std::unordered_set<std::string> seen;
    for (const auto& v : values) {
        if (seen.insert(v).second) out.push_back(v);
    }
    return out;
}

Params& Params::text(std::string_view v) {
    if (!storable(v)) throw UnstorableText{};
    values_.emplace_back(std::string(v));
    return *this;
}

Params& Params::opt_text(const std::optional<std::string>& v) {
    if (!v) {
        values_.emplace_back(std::nullopt);
        return *this;
    }
    return text(*v);
}

Params& Params::bytes(const std::optional<std::string>& v) {
    if (!v) {
        values_.emplace_back(std::nullopt);
        return *this;
    }
    // bytea's hex input format: any bytes, NULs included, travel as plain text.
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex = "\\x";
    hex.reserve(2 + 2 * v->size());
    for (unsigned char c : *v) {
        hex += kHex[c >> 4];
        hex += kHex[c & 0xF];
    }
    values_.emplace_back(std::move(hex));
    return *this;
}

Params& Params::i64(std::int64_t v) {
    values_.emplace_back(std::to_string(v));
    return *this;
}

Params& Params::opt_i64(const std::optional<std::int64_t>& v) {
    if (!v) {
        values_.emplace_back(std::nullopt);
        return *this;
    }
    return i64(*v);
}

Params& Params::boolean(bool v) {
    values_.emplace_back(v ? "true" : "false");
    return *this;
}

Params& Params::opt_time(const std::optional<TimePoint>& t) {
    if (!t) {
        values_.emplace_back(std::nullopt);
        return *this;
    }
    return time(*t);
}

Params& Params::text_array(const std::vector<std::string>& v) {
    // Every element double-quoted, with " and \ escaped: the literal never depends on
    // what the elements contain.
    std::string lit = "{";
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (!storable(v[i])) throw UnstorableText{};
        if (i > 0) lit += ',';
        lit += '"';
        for (char c : v[i]) {
            if (c == '"' || c == '\\') lit += '\\';
            lit += c;
        }
        lit += '"';
    }
    lit += '}';
    values_.emplace_back(std::move(lit));
    return *this;
}

Params& Params::time_array(const std::vector<TimePoint>& v) {
    std::string lit = "{";
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i > 0) lit += ',';
        lit += std::to_string(to_micros(v[i]));
    }
    lit += '}';
    values_.emplace_back(std::move(lit));
    return *this;
}

Params& Params::json_strings(const std::vector<std::string>& v) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartArray();
    for (const auto& s : v) {
        if (!storable(s)) throw UnstorableText{};
        w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    }
    w.EndArray();
    values_.emplace_back(std::string(buf.GetString(), buf.GetSize()));
    return *this;
}

std::string like_pattern(std::string_view query) {
    std::string p = "%";
    for (char c : query) {
        if (c == '%' || c == '_' || c == '\\') p += '\\';
        p += c;
    }
    p += '%';
    return p;
}

std::string text(const pqxx::field& f) { return std::string(f.c_str(), f.size()); }

std::optional<std::string> opt_text(const pqxx::field& f) {
    if (f.is_null()) return std::nullopt;
    return text(f);
}

std::optional<std::string> opt_bytes(const pqxx::field& f) {
    if (f.is_null()) return std::nullopt;
    pqxx::binarystring b(f);
    return b.str();
}

std::int64_t i64(const pqxx::field& f) {
    if (f.is_null()) throw StoreError("postgresql: unexpected NULL in " + std::string(f.name()));
    return f.as<std::int64_t>();
}

std::optional<std::int64_t> opt_i64(const pqxx::field& f) {
    if (f.is_null()) return std::nullopt;
    return f.as<std::int64_t>();
}

bool boolean(const pqxx::field& f) {
    if (f.is_null()) throw StoreError("postgresql: unexpected NULL in " + std::string(f.name()));
    return f.as<bool>();
}

TimePoint time(const pqxx::field& f) { return from_micros(i64(f)); }

std::optional<TimePoint> opt_time(const pqxx::field& f) {
    if (f.is_null()) return std::nullopt;
    return time(f);
}

namespace {

rapidjson::Document parse_array(const pqxx::field& f) {
    rapidjson::Document doc;
    if (f.is_null()) {
        doc.SetArray();
        return doc;
    }
    doc.Parse(f.c_str(), f.size());
    if (doc.HasParseError() || !doc.IsArray()) {
        throw StoreError("postgresql: corrupt JSON list in " + std::string(f.name()));
    }
    return doc;
}

}  // namespace

std::vector<std::string> json_strings(const pqxx::field& f) {
    auto doc = parse_array(f);
    std::vector<std::string> out;
    out.reserve(doc.Size());
    for (const auto& v : doc.GetArray()) {
        if (!v.IsString())
            throw StoreError("postgresql: corrupt JSON list in " + std::string(f.name()));
        out.emplace_back(v.GetString(), v.GetStringLength());
    }
    return out;
}

std::vector<TimePoint> json_times(const pqxx::field& f) {
    auto doc = parse_array(f);
    std::vector<TimePoint> out;
    out.reserve(doc.Size());
    for (const auto& v : doc.GetArray()) {
        if (!v.IsInt64())
            throw StoreError("postgresql: corrupt JSON list in " + std::string(f.name()));
        out.push_back(from_micros(v.GetInt64()));
    }
    return out;
}

PgConnection::PgConnection(const std::string& conninfo) : pq_(conninfo) {
    // Text travels as UTF-8 whatever the client environment says; notices (e.g. "already
    // exists, skipping") would otherwise be printed on stderr by libpqxx.
    pq_.set_client_encoding("UTF8");
    pqxx::nontransaction tx(pq_);
    tx.exec("SET client_min_messages TO warning");
}

const std::string& PgConnection::prepared(const std::string& sql) {
    auto it = names_.find(sql);
    if (it == names_.end()) {
        std::string name = "canaille_" + std::to_string(names_.size() + 1);
        pq_.prepare(name, sql);
        it = names_.emplace(sql, std::move(name)).first;
    }
    return it->second;
}

pqxx::result PgTx::exec(const std::string& sql, const Params& params) {
    const std::string& name = conn_.prepared(sql);
    return tx_.exec_prepared(name, pqxx::prepare::make_dynamic_params(params.values()));
}

bool is_connection_loss(const pqxx::sql_error& e) {
    const std::string& state = e.sqlstate();
    return state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03";
}

Status status_of(const pqxx::integrity_constraint_violation& e) {
    if (dynamic_cast<const pqxx::unique_violation*>(&e) == nullptr) return Status::invalid;
    // Only the first line (it names the constraint); DETAIL lines quote user data.
    std::string_view msg = e.what();
    msg = msg.substr(0, msg.find('\n'));
    for (std::string_view secondary :
         {"_email_unique", "_secret_token_unique", "_code_hash_unique", "_access_hash_unique",
          "_refresh_hash_unique", "_subject_client_unique"}) {
        if (msg.find(secondary) != std::string_view::npos) return Status::conflict;
    }
    return Status::already_exists;
}

void throw_store_error(std::string_view what, const std::exception& e) {
    std::string message = "postgresql: ";
    message += what;
    message += ": ";
    std::string_view detail = e.what();
    // The first line only: DETAIL lines may quote stored values.
    detail = detail.substr(0, detail.find('\n'));
    message += detail;
    throw StoreError(message);
}

}  // namespace canaille::store::detail

// SPDX-License-Identifier: MIT
// `canaille dump [MODEL...]` and `canaille restore` (reference §5): every model as JSON,
// keyed by Canaille's model names, binary values in base64, stored hashes included, so a
// store can be moved between SQLite and PostgreSQL, and a Canaille (Python) dump can be
// loaded. The format is described in doc/dump.md.
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "app/cli.hpp"
#include "app/services.hpp"
#include "store/store.hpp"
#include "util/base64.hpp"
#include "util/hash.hpp"
#include "util/strings.hpp"

namespace canaille::app {
namespace {

using Json = rapidjson::Value;
using JsonWriter = rapidjson::Writer<rapidjson::OStreamWrapper>;

/// Restore refuses bigger input: a dump is read whole before anything is written.
constexpr std::size_t kMaxInput = std::size_t{256} << 20;
constexpr std::size_t kPageSize = 500;

const std::vector<std::string> kModels = {"user",  "group",  "client", "authorizationcode",
                                          "token", "consent"};

constexpr const char* kDumpHelp = R"(usage: canaille [--config FILE] dump [MODEL...]

Write every object of the store as one JSON document on standard output, keyed by model:
user, group, client, authorizationcode, token, consent (default: all of them). Password
hashes, OTP secrets, client secrets and the hashes of codes and tokens are included: keep
dumps as secret as the database. Sessions and jti replay records are not dumped.
See doc/dump.md for the format.
)";

constexpr const char* kRestoreHelp =
    R"(usage: canaille [--config FILE] restore [--dry-run] < dump.json

Read a dump (from `canaille dump`, or from Canaille's own `canaille dump`) on standard input
and create every object in it. The whole document is checked first (syntax, attributes,
references, and clashes with what the store already holds); nothing is written unless all of
it is valid. Unknown attributes and models are reported as warnings and ignored.

  --dry-run   check the document against the store, write nothing
)";

// ---------------------------------------------------------------------------------------
// Time: ISO 8601 as Python's datetime.isoformat() writes an aware UTC datetime.

std::string iso8601(TimePoint t) {
    using namespace std::chrono;
    const auto us = floor<microseconds>(t);
    const auto day = floor<days>(us);
    const year_month_day ymd{sys_days{day}};
    const hh_mm_ss hms{us - day};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    std::string out = buf;
    if (const auto frac = hms.subseconds().count(); frac != 0) {
        std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
        out += buf;
    }
    return out + "+00:00";
}

/// Reads `n` digits at `pos`; false when they are not there.
bool digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = s[pos + i];
        if (c < '0' || c > '9') return false;
        out = out * 10 + (c - '0');
    }
    pos += n;
    return true;
}

/// "YYYY-MM-DD", "YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH:MM|±HHMM]"; no offset = UTC.
std::optional<TimePoint> parse_iso8601(std::string_view s) {
    using namespace std::chrono;
    std::size_t p = 0;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    if (!digits(s, p, 4, y) || p >= s.size() || s[p++] != '-' || !digits(s, p, 2, mo) ||
        p >= s.size() || s[p++] != '-' || !digits(s, p, 2, d)) {
        return std::nullopt;
    }
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                             day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return std::nullopt;
    nanoseconds frac{0};
    minutes offset{0};
    if (p < s.size()) {
        if (s[p] != 'T' && s[p] != 't' && s[p] != ' ') return std::nullopt;
        ++p;
        if (!digits(s, p, 2, h) || p >= s.size() || s[p++] != ':' || !digits(s, p, 2, mi)) {
            return std::nullopt;
        }
        if (p < s.size() && s[p] == ':') {
            ++p;
            if (!digits(s, p, 2, sec)) return std::nullopt;
            if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
                ++p;
                long long value = 0;
                int n = 0;
                while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
                    if (n < 9) {
                        value = value * 10 + (s[p] - '0');
                        ++n;
                    }
                    ++p;
                }
                if (n == 0) return std::nullopt;
                for (int i = n; i < 9; ++i) value *= 10;
                frac = nanoseconds{value};
            }
        }
        if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
        if (p < s.size()) {
            if (s[p] == 'Z' || s[p] == 'z') {
                ++p;
            } else if (s[p] == '+' || s[p] == '-') {
                const int sign = s[p++] == '-' ? -1 : 1;
                int oh = 0, om = 0;
                if (!digits(s, p, 2, oh)) return std::nullopt;
                if (p < s.size() && s[p] == ':') ++p;
                if (!digits(s, p, 2, om) || oh > 23 || om > 59) return std::nullopt;
                offset = minutes{sign * (oh * 60 + om)};
            } else {
                return std::nullopt;
            }
        }
        if (p != s.size()) return std::nullopt;
    }
    const auto t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + frac - offset;
    return time_point_cast<TimePoint::duration>(t);
}

// ---------------------------------------------------------------------------------------
// Dump

class DumpWriter {
  public:
    explicit DumpWriter(JsonWriter& w) : w_(w) {}

    void str(const char* key, const std::string& v) {
        w_.Key(key);
        w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    }
    void str(const char* key, const std::optional<std::string>& v) {
        if (v) str(key, *v);
    }
    void list(const char* key, const std::vector<std::string>& v) {
        if (v.empty()) return;
        w_.Key(key);
        w_.StartArray();
        for (const auto& x : v) w_.String(x.data(), static_cast<rapidjson::SizeType>(x.size()));
        w_.EndArray();
    }
    void time(const char* key, TimePoint t) { str(key, iso8601(t)); }
    void time(const char* key, const std::optional<TimePoint>& t) {
        if (t) time(key, *t);
    }
    void times(const char* key, const std::vector<TimePoint>& v) {
        if (v.empty()) return;
        w_.Key(key);
        w_.StartArray();
        for (auto t : v) {
            const auto s = iso8601(t);
            w_.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
        }
        w_.EndArray();
    }
    void integer(const char* key, std::int64_t v) {
        w_.Key(key);
        w_.Int64(v);
    }
    void integer(const char* key, const std::optional<std::int64_t>& v) {
        if (v) integer(key, *v);
    }
    void boolean(const char* key, bool v) {
        w_.Key(key);
        w_.Bool(v);
    }
    void bytes(const char* key, const std::optional<std::string>& v) {
        if (v) str(key, base64_encode(*v));
    }

  private:
    JsonWriter& w_;
};

/// client_id (the OAuth identifier other records hold) → the client's id (what a dump
/// references, as Canaille does).
class ClientIds {
  public:
    explicit ClientIds(store::Store& st) : store_(st) {}
    std::string id_of(const std::string& client_id) {
        auto it = ids_.find(client_id);
        if (it != ids_.end()) return it->second;
        auto c = store_.get_client_by_client_id(client_id);
        // A reference the store lets dangle would be dumped as the bare client_id, which
        // restore also accepts.
        std::string id = c ? c->id : client_id;
        ids_.emplace(client_id, id);
        return id;
    }
    std::vector<std::string> ids_of(const std::vector<std::string>& client_ids) {
        std::vector<std::string> out;
        out.reserve(client_ids.size());
        for (const auto& c : client_ids) out.push_back(id_of(c));
        return out;
    }

  private:
    store::Store& store_;
    std::map<std::string, std::string> ids_;
};

template <class T, class F>
void for_each_page(F fetch, const std::function<void(const T&)>& each) {
    for (std::size_t offset = 0;; offset += kPageSize) {
        const std::vector<T> page = fetch(store::Page{offset, kPageSize});
        for (const auto& x : page) each(x);
        if (page.size() < kPageSize) break;
    }
}

void dump_user(DumpWriter& d, model::User u) {
    d.str("id", u.id);
    d.time("created", u.created);
    d.time("last_modified", u.last_modified);
    d.str("user_name", u.user_name);
    d.str("password", u.password);
    d.time("password_last_update", u.password_last_update);
    d.times("password_failure_timestamps", u.password_failure_timestamps);
    d.str("preferred_language", u.preferred_language);
    d.str("family_name", u.family_name);
    d.str("given_name", u.given_name);
    d.str("formatted_name", u.formatted_name);
    d.str("display_name", u.display_name);
    d.list("emails", u.emails);
    d.list("phone_numbers", u.phone_numbers);
    d.str("formatted_address", u.formatted_address);
    d.str("street", u.street);
    d.str("postal_code", u.postal_code);
    d.str("locality", u.locality);
    d.str("region", u.region);
    d.bytes("photo", u.photo);
    d.str("profile_url", u.profile_url);
    d.str("title", u.title);
    d.str("organization", u.organization);
    d.str("employee_number", u.employee_number);
    d.str("department", u.department);
    d.time("lock_date", u.lock_date);
    d.time("last_otp_login", u.last_otp_login);
    d.str("secret_token", u.secret_token);
    d.integer("hotp_counter", u.hotp_counter);
    d.str("one_time_password", u.one_time_password);
    d.time("one_time_password_emission_date", u.one_time_password_emission_date);
    // A set: its order is the store's business, sorted so two dumps compare equal.
    std::sort(u.groups.begin(), u.groups.end());
    d.list("groups", u.groups);
}

void dump_group(DumpWriter& d, const model::Group& g) {
    d.str("id", g.id);
    d.time("created", g.created);
    d.time("last_modified", g.last_modified);
    d.str("display_name", g.display_name);
    d.list("members", g.members);
    d.str("owner", g.owner);
    d.str("description", g.description);
}

void dump_client(DumpWriter& d, const model::Client& c, ClientIds& ids) {
    d.str("id", c.id);
    d.time("created", c.created);
    d.time("last_modified", c.last_modified);
    d.str("client_id", c.client_id);
    d.str("client_secret", c.client_secret);
    d.time("client_id_issued_at", c.client_id_issued_at);
    d.time("client_secret_expires_at", c.client_secret_expires_at);
    d.str("description", c.description);
    d.list("audience", ids.ids_of(c.audience));
    d.list("redirect_uris", c.redirect_uris);
    d.str("token_endpoint_auth_method", c.token_endpoint_auth_method);
    d.str("token_endpoint_auth_signing_alg", c.token_endpoint_auth_signing_alg);
    d.list("grant_types", c.grant_types);
    d.list("response_types", c.response_types);
    d.str("client_name", c.client_name);
    d.str("client_uri", c.client_uri);
    d.str("logo_uri", c.logo_uri);
    d.list("scope", c.scope);
    d.list("contacts", c.contacts);
    d.str("tos_uri", c.tos_uri);
    d.str("policy_uri", c.policy_uri);
    d.str("jwks_uri", c.jwks_uri);
    d.str("jwks", c.jwks);
    d.str("sector_identifier_uri", c.sector_identifier_uri);
    d.str("subject_type", c.subject_type);
    d.str("software_id", c.software_id);
    d.str("software_version", c.software_version);
    d.list("post_logout_redirect_uris", c.post_logout_redirect_uris);
    d.str("application_type", c.application_type);
    d.str("id_token_signed_response_alg", c.id_token_signed_response_alg);
    d.str("id_token_encrypted_response_alg", c.id_token_encrypted_response_alg);
    d.str("id_token_encrypted_response_enc", c.id_token_encrypted_response_enc);
    d.str("userinfo_signed_response_alg", c.userinfo_signed_response_alg);
    d.str("userinfo_encrypted_response_alg", c.userinfo_encrypted_response_alg);
    d.str("userinfo_encrypted_response_enc", c.userinfo_encrypted_response_enc);
    d.integer("default_max_age", c.default_max_age);
    d.boolean("require_auth_time", c.require_auth_time);
    d.list("default_acr_values", c.default_acr_values);
    d.str("initiate_login_uri", c.initiate_login_uri);
    d.str("request_object_signing_alg", c.request_object_signing_alg);
    d.str("request_object_encryption_alg", c.request_object_encryption_alg);
    d.str("request_object_encryption_enc", c.request_object_encryption_enc);
    d.list("request_uris", c.request_uris);
    d.boolean("require_signed_request_object", c.require_signed_request_object);
}

void dump_code(DumpWriter& d, const model::AuthorizationCode& c, ClientIds& ids) {
    d.str("id", c.id);
    d.str("authorization_code_id", c.authorization_code_id);
    d.str("code_hash", c.code_hash);
    d.str("client", ids.id_of(c.client_id));
    d.str("subject", c.subject);
    d.str("redirect_uri", c.redirect_uri);
    d.str("response_type", c.response_type);
    d.list("scope", c.scope);
    d.str("nonce", c.nonce);
    d.time("issue_date", c.issue_date);
    d.integer("lifetime", c.lifetime);
    d.str("challenge", c.challenge);
    d.str("challenge_method", c.challenge_method);
    d.time("revokation_date", c.revokation_date);
    d.time("auth_time", c.auth_time);
    d.str("acr", c.acr);
    d.list("amr", c.amr);
    d.str("sid", c.sid);
    d.time("consumed_at", c.consumed_at);
}

void dump_token(DumpWriter& d, const model::Token& t, ClientIds& ids) {
    d.str("id", t.id);
    d.str("token_id", t.token_id);
    d.str("access_token_hash", t.access_token_hash);
    d.str("refresh_token_hash", t.refresh_token_hash);
    d.str("client", ids.id_of(t.client_id));
    d.str("subject", t.subject);
    d.str("type", t.type);
    d.list("scope", t.scope);
    d.time("issue_date", t.issue_date);
    d.integer("lifetime", t.lifetime);
    d.time("revokation_date", t.revokation_date);
    d.list("audience", ids.ids_of(t.audience));
    d.str("authorization_code_id", t.authorization_code_id);
    d.time("refresh_token_consumed_at", t.refresh_token_consumed_at);
    d.str("parent_token_id", t.parent_token_id);
}

void dump_consent(DumpWriter& d, const model::Consent& c, ClientIds& ids) {
    d.str("id", c.id);
    d.str("consent_id", c.consent_id);
    d.str("subject", c.subject);
    d.str("client", ids.id_of(c.client_id));
    d.list("scope", c.scope);
    d.time("issue_date", c.issue_date);
    d.time("revokation_date", c.revokation_date);
}

void dump_store(store::Store& st, const std::set<std::string>& models, JsonWriter& w) {
    DumpWriter d(w);
    ClientIds client_ids(st);
    auto section = [&](const std::string& name, const std::function<void()>& body) {
        if (models.count(name) == 0) return;
        w.Key(name.c_str());
        w.StartArray();
        body();
        w.EndArray();
    };
    auto users = [&](const std::function<void(const model::User&)>& each) {
        for_each_page<model::User>([&](store::Page p) { return st.list_users("", p); }, each);
    };
    auto tokens = [&](const std::function<void(const model::Token&)>& each) {
        for_each_page<model::Token>([&](store::Page p) { return st.list_tokens("", p); }, each);
    };

    w.StartObject();
    section("user", [&] {
        users([&](const model::User& u) {
            w.StartObject();
            dump_user(d, u);
            w.EndObject();
        });
    });
    section("group", [&] {
        for_each_page<model::Group>([&](store::Page p) { return st.list_groups("", p); },
                                    [&](const model::Group& g) {
                                        w.StartObject();
                                        dump_group(d, g);
                                        w.EndObject();
                                    });
    });
    section("client", [&] {
        for_each_page<model::Client>([&](store::Page p) { return st.list_clients("", p); },
                                     [&](const model::Client& c) {
                                         w.StartObject();
                                         dump_client(d, c, client_ids);
                                         w.EndObject();
                                     });
    });
    section("authorizationcode", [&] {
        for_each_page<model::AuthorizationCode>([&](store::Page p) { return st.list_codes(p); },
                                                [&](const model::AuthorizationCode& c) {
                                                    w.StartObject();
                                                    dump_code(d, c, client_ids);
                                                    w.EndObject();
                                                });
    });
    section("token", [&] {
        tokens([&](const model::Token& t) {
            w.StartObject();
            dump_token(d, t, client_ids);
            w.EndObject();
        });
    });
    section("consent", [&] {
        // Consents are listed per user (every consent has an existing subject).
        users([&](const model::User& u) {
            for (const auto& c : st.list_consents_of(u.id)) {
                w.StartObject();
                dump_consent(d, c, client_ids);
                w.EndObject();
            }
        });
    });
    w.EndObject();
}

// ---------------------------------------------------------------------------------------
// Restore: reading

/// Errors and warnings of a restore, each prefixed with the object it is about.
struct Diagnostics {
    std::vector<std::string> errors;
    std::vector<std::string> warnings;
};

/// Reads one object's attributes, remembering which were used so the rest can be
/// reported as unknown.
class ObjectReader {
  public:
    ObjectReader(const Json& obj, std::string where, Diagnostics& diag)
        : obj_(obj), where_(std::move(where)), diag_(diag) {}

    const std::string& where() const { return where_; }
    void rename(std::string where) { where_ = std::move(where); }

    /// Attributes that are known but carry nothing this port keeps.
    void ignore(const char* key) { used_.insert(key); }

    bool has(const char* key) {
        const Json* v = find(key);
        return v != nullptr && !v->IsNull();
    }

    std::optional<std::string> opt_str(const char* key) {
        const Json* v = find(key);
        if (v == nullptr || v->IsNull()) return std::nullopt;
        if (!v->IsString()) {
            error(key, "a string was expected");
            return std::nullopt;
        }
        return std::string(v->GetString(), v->GetStringLength());
    }
    std::string str(const char* key, bool required = false) {
        auto v = opt_str(key);
        if (!v && required && !has(key)) error(key, "is required");
        return v.value_or("");
    }
    /// Keeps `fallback` (the model's default) when the attribute is absent.
    void str_or_default(const char* key, std::string& field) {
        if (auto v = opt_str(key)) field = std::move(*v);
    }
    std::vector<std::string> list(const char* key) {
        const Json* v = find(key);
        std::vector<std::string> out;
        if (v == nullptr || v->IsNull()) return out;
        if (v->IsString()) {  // a single value where a list is expected: tolerated
            out.emplace_back(v->GetString(), v->GetStringLength());
            return out;
        }
        if (!v->IsArray()) {
            error(key, "a list of strings was expected");
            return out;
        }
        for (const auto& x : v->GetArray()) {
            if (!x.IsString()) {
                error(key, "a list of strings was expected");
                return {};
            }
            out.emplace_back(x.GetString(), x.GetStringLength());
        }
        return out;
    }
    void list_or_default(const char* key, std::vector<std::string>& field) {
        if (has(key)) field = list(key);
        used_.insert(key);
    }
    std::optional<TimePoint> opt_time(const char* key) {
        const Json* v = find(key);
        if (v == nullptr || v->IsNull()) return std::nullopt;
        return time_of(key, *v);
    }
    TimePoint time(const char* key) {
        auto t = opt_time(key);
        if (!t && !has(key)) error(key, "is required");
        return t.value_or(TimePoint{});
    }
    std::vector<TimePoint> times(const char* key) {
        const Json* v = find(key);
        std::vector<TimePoint> out;
        if (v == nullptr || v->IsNull()) return out;
        if (!v->IsArray()) {
            error(key, "a list of dates was expected");
            return out;
        }
        for (const auto& x : v->GetArray()) {
            if (auto t = time_of(key, x)) out.push_back(*t);
        }
        return out;
    }
    std::optional<std::int64_t> opt_int(const char* key) {
        const Json* v = find(key);
        if (v == nullptr || v->IsNull()) return std::nullopt;
        if (v->IsInt64()) return v->GetInt64();
        if (v->IsDouble() &&
            v->GetDouble() == static_cast<double>(static_cast<std::int64_t>(v->GetDouble()))) {
            return static_cast<std::int64_t>(v->GetDouble());
        }
        error(key, "an integer was expected");
        return std::nullopt;
    }
    void int_or_default(const char* key, std::int64_t& field) {
        if (auto v = opt_int(key)) field = *v;
    }
    void bool_or_default(const char* key, bool& field) {
        const Json* v = find(key);
        if (v == nullptr || v->IsNull()) return;
        if (!v->IsBool()) {
            error(key, "true or false was expected");
            return;
        }
        field = v->GetBool();
    }
    std::optional<std::string> opt_bytes(const char* key) {
        auto text = opt_str(key);
        if (!text) return std::nullopt;
        if (auto b = base64_decode(*text)) return b;
        if (auto b = base64url_decode(*text)) return b;
        error(key, "base64 was expected");
        return std::nullopt;
    }

    /// Warns about every attribute nobody asked for.
    void finish() {
        for (auto it = obj_.MemberBegin(); it != obj_.MemberEnd(); ++it) {
            const std::string name(it->name.GetString(), it->name.GetStringLength());
            if (used_.count(name) == 0) {
                diag_.warnings.push_back(where_ + ": unknown attribute '" + name + "' ignored");
            }
        }
    }

    void error(const char* key, const std::string& message) {
        diag_.errors.push_back(where_ + ": '" + key + "' " + message);
    }

  private:
    const Json* find(const char* key) {
        used_.insert(key);
        auto it = obj_.FindMember(key);
        return it == obj_.MemberEnd() ? nullptr : &it->value;
    }
    std::optional<TimePoint> time_of(const char* key, const Json& v) {
        if (v.IsString()) {
            if (auto t = parse_iso8601(std::string_view(v.GetString(), v.GetStringLength()))) {
                return t;
            }
        } else if (v.IsInt64()) {
            return from_unix(v.GetInt64());
        } else if (v.IsNumber()) {
            const double s = v.GetDouble();
            if (s > -1e11 && s < 1e11) {
                return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
                    std::chrono::duration<double>(s)));
            }
        }
        error(key, "an ISO 8601 date was expected");
        return std::nullopt;
    }

    const Json& obj_;
    std::string where_;
    Diagnostics& diag_;
    std::set<std::string> used_;
};

/// A reference to a client as found in a document: the client's id (ours and Canaille's
/// dumps) or its client_id; resolved to a client_id once every client is known.
struct ClientRef {
    std::string value;
};

struct Document {
    std::vector<model::User> users;
    std::vector<model::Group> groups;
    std::vector<model::Client> clients;
    std::vector<std::vector<ClientRef>> client_audiences;  ///< parallel to clients
    std::vector<model::AuthorizationCode> codes;
    std::vector<ClientRef> code_clients;
    std::vector<model::Token> tokens;
    std::vector<ClientRef> token_clients;
    std::vector<std::vector<ClientRef>> token_audiences;
    std::vector<model::Consent> consents;
    std::vector<ClientRef> consent_clients;
};

std::string label(const std::string& model, std::size_t index, const std::string& name) {
    std::string out = model + "[" + std::to_string(index) + "]";
    if (!name.empty()) out += " '" + name + "'";
    return out;
}

/// Canaille's base attributes, on models that do not keep them here.
void ignore_base(ObjectReader& r) {
    r.ignore("created");
    r.ignore("last_modified");
}

model::User read_user(ObjectReader& r) {
    model::User u;
    u.id = r.str("id");
    u.user_name = r.str("user_name", true);
    r.rename(r.where() + " '" + u.user_name + "'");
    u.created = r.opt_time("created");
    u.last_modified = r.opt_time("last_modified");
    u.password = r.opt_str("password");
    u.password_last_update = r.opt_time("password_last_update");
    u.password_failure_timestamps = r.times("password_failure_timestamps");
    u.preferred_language = r.opt_str("preferred_language");
    u.family_name = r.opt_str("family_name");
    u.given_name = r.opt_str("given_name");
    u.formatted_name = r.opt_str("formatted_name");
    u.display_name = r.opt_str("display_name");
    u.emails = r.list("emails");
    u.phone_numbers = r.list("phone_numbers");
    u.formatted_address = r.opt_str("formatted_address");
    u.street = r.opt_str("street");
    u.postal_code = r.opt_str("postal_code");
    u.locality = r.opt_str("locality");
    u.region = r.opt_str("region");
    u.photo = r.opt_bytes("photo");
    u.profile_url = r.opt_str("profile_url");
    u.title = r.opt_str("title");
    u.organization = r.opt_str("organization");
    u.employee_number = r.opt_str("employee_number");
    u.department = r.opt_str("department");
    u.lock_date = r.opt_time("lock_date");
    u.last_otp_login = r.opt_time("last_otp_login");
    u.secret_token = r.opt_str("secret_token");
    u.hotp_counter = r.opt_int("hotp_counter");
    u.one_time_password = r.opt_str("one_time_password");
    u.one_time_password_emission_date = r.opt_time("one_time_password_emission_date");
    u.groups = r.list("groups");
    return u;
}

model::Group read_group(ObjectReader& r) {
    model::Group g;
    g.id = r.str("id");
    g.display_name = r.str("display_name", true);
    r.rename(r.where() + " '" + g.display_name + "'");
    g.created = r.opt_time("created");
    g.last_modified = r.opt_time("last_modified");
    g.members = r.list("members");
    g.owner = r.opt_str("owner");
    // Newer Canaille versions allow several owners; this port keeps one.
    if (r.has("owners")) {
        auto owners = r.list("owners");
        if (!g.owner && !owners.empty()) g.owner = owners.front();
        if (owners.size() > 1) r.error("owners", "holds several users; only one is supported");
    } else {
        r.ignore("owners");
    }
    g.description = r.opt_str("description");
    return g;
}

std::vector<ClientRef> client_refs(ObjectReader& r, const char* key) {
    std::vector<ClientRef> out;
    for (auto& v : r.list(key)) out.push_back({std::move(v)});
    return out;
}

/// The "client" attribute, or a bare "client_id".
ClientRef client_ref(ObjectReader& r) {
    if (r.has("client")) {
        r.ignore("client_id");
        return {r.str("client")};
    }
    if (r.has("client_id")) return {r.str("client_id")};
    r.error("client", "is required");
    return {};
}

model::Client read_client(ObjectReader& r, std::vector<ClientRef>& audience) {
    model::Client c;
    c.id = r.str("id");
    c.client_id = r.str("client_id", true);
    r.rename(r.where() + " '" + c.client_id + "'");
    c.created = r.opt_time("created");
    c.last_modified = r.opt_time("last_modified");
    c.client_secret = r.opt_str("client_secret");
    c.client_id_issued_at = r.opt_time("client_id_issued_at");
    c.client_secret_expires_at = r.opt_time("client_secret_expires_at");
    c.description = r.opt_str("description");
    audience = client_refs(r, "audience");
    c.redirect_uris = r.list("redirect_uris");
    r.str_or_default("token_endpoint_auth_method", c.token_endpoint_auth_method);
    c.token_endpoint_auth_signing_alg = r.opt_str("token_endpoint_auth_signing_alg");
    r.list_or_default("grant_types", c.grant_types);
    r.list_or_default("response_types", c.response_types);
    c.client_name = r.opt_str("client_name");
    c.client_uri = r.opt_str("client_uri");
    c.logo_uri = r.opt_str("logo_uri");
    c.scope = r.list("scope");
    c.contacts = r.list("contacts");
    c.tos_uri = r.opt_str("tos_uri");
    c.policy_uri = r.opt_str("policy_uri");
    c.jwks_uri = r.opt_str("jwks_uri");
    c.jwks = r.opt_str("jwks");
    c.sector_identifier_uri = r.opt_str("sector_identifier_uri");
    c.subject_type = r.opt_str("subject_type");
    c.software_id = r.opt_str("software_id");
    c.software_version = r.opt_str("software_version");
    c.post_logout_redirect_uris = r.list("post_logout_redirect_uris");
    r.str_or_default("application_type", c.application_type);
    r.str_or_default("id_token_signed_response_alg", c.id_token_signed_response_alg);
    c.id_token_encrypted_response_alg = r.opt_str("id_token_encrypted_response_alg");
    c.id_token_encrypted_response_enc = r.opt_str("id_token_encrypted_response_enc");
    c.userinfo_signed_response_alg = r.opt_str("userinfo_signed_response_alg");
    c.userinfo_encrypted_response_alg = r.opt_str("userinfo_encrypted_response_alg");
    c.userinfo_encrypted_response_enc = r.opt_str("userinfo_encrypted_response_enc");
    c.default_max_age = r.opt_int("default_max_age");
    r.bool_or_default("require_auth_time", c.require_auth_time);
    c.default_acr_values = r.list("default_acr_values");
    c.initiate_login_uri = r.opt_str("initiate_login_uri");
    c.request_object_signing_alg = r.opt_str("request_object_signing_alg");
    c.request_object_encryption_alg = r.opt_str("request_object_encryption_alg");
    c.request_object_encryption_enc = r.opt_str("request_object_encryption_enc");
    c.request_uris = r.list("request_uris");
    r.bool_or_default("require_signed_request_object", c.require_signed_request_object);
    return c;
}

/// `<name>_hash` as dumped here, or the clear `<name>` of a Canaille dump (hashed now:
/// only hashes are stored).
std::optional<std::string> secret_hash(ObjectReader& r, const char* clear, const char* hashed) {
    if (r.has(hashed)) {
        r.ignore(clear);
        return r.opt_str(hashed);
    }
    if (auto v = r.opt_str(clear)) return sha256_hex(*v);
    return std::nullopt;
}

model::AuthorizationCode read_code(ObjectReader& r, ClientRef& client) {
    model::AuthorizationCode c;
    ignore_base(r);
    c.id = r.str("id");
    c.authorization_code_id = r.str("authorization_code_id", true);
    r.rename(r.where() + " '" + c.authorization_code_id + "'");
    c.code_hash = secret_hash(r, "code", "code_hash").value_or("");
    if (c.code_hash.empty()) r.error("code_hash", "(or 'code') is required");
    client = client_ref(r);
    c.subject = r.str("subject", true);
    c.redirect_uri = r.opt_str("redirect_uri");
    r.str_or_default("response_type", c.response_type);
    c.scope = r.list("scope");
    c.nonce = r.opt_str("nonce");
    c.issue_date = r.time("issue_date");
    r.int_or_default("lifetime", c.lifetime);
    c.challenge = r.opt_str("challenge");
    c.challenge_method = r.opt_str("challenge_method");
    c.revokation_date = r.opt_time("revokation_date");
    c.auth_time = r.opt_time("auth_time");
    c.acr = r.opt_str("acr");
    c.amr = r.list("amr");
    c.sid = r.opt_str("sid");
    c.consumed_at = r.opt_time("consumed_at");
    return c;
}

model::Token read_token(ObjectReader& r, ClientRef& client, std::vector<ClientRef>& audience) {
    model::Token t;
    ignore_base(r);
    t.id = r.str("id");
    t.token_id = r.str("token_id", true);
    r.rename(r.where() + " '" + t.token_id + "'");
    t.access_token_hash = secret_hash(r, "access_token", "access_token_hash").value_or("");
    if (t.access_token_hash.empty()) {
        r.error("access_token_hash", "(or 'access_token') is required");
    }
    t.refresh_token_hash = secret_hash(r, "refresh_token", "refresh_token_hash");
    client = client_ref(r);
    t.subject = r.opt_str("subject");
    r.str_or_default("type", t.type);
    t.scope = r.list("scope");
    t.issue_date = r.time("issue_date");
    r.int_or_default("lifetime", t.lifetime);
    t.revokation_date = r.opt_time("revokation_date");
    audience = client_refs(r, "audience");
    t.authorization_code_id = r.opt_str("authorization_code_id");
    t.refresh_token_consumed_at = r.opt_time("refresh_token_consumed_at");
    t.parent_token_id = r.opt_str("parent_token_id");
    return t;
}

model::Consent read_consent(ObjectReader& r, ClientRef& client) {
    model::Consent c;
    ignore_base(r);
    c.id = r.str("id");
    c.consent_id = r.str("consent_id", true);
    r.rename(r.where() + " '" + c.consent_id + "'");
    c.subject = r.str("subject", true);
    client = client_ref(r);
    c.scope = r.list("scope");
    c.issue_date = r.time("issue_date");
    c.revokation_date = r.opt_time("revokation_date");
    return c;
}

Document read_document(const Json& root, Diagnostics& diag) {
    Document doc;
    for (auto it = root.MemberBegin(); it != root.MemberEnd(); ++it) {
        const std::string model(it->name.GetString(), it->name.GetStringLength());
        if (std::find(kModels.begin(), kModels.end(), model) == kModels.end()) {
            diag.warnings.push_back("unknown model '" + model + "' ignored");
            continue;
        }
        if (!it->value.IsArray()) {
            if (!it->value.IsNull()) diag.errors.push_back(model + ": a list was expected");
            continue;
        }
        std::size_t index = 0;
        for (const auto& obj : it->value.GetArray()) {
            const std::string where = label(model, index++, "");
            if (!obj.IsObject()) {
                diag.errors.push_back(where + ": an object was expected");
                continue;
            }
            ObjectReader r(obj, where, diag);
            if (model == "user") {
                doc.users.push_back(read_user(r));
            } else if (model == "group") {
                doc.groups.push_back(read_group(r));
            } else if (model == "client") {
                doc.client_audiences.emplace_back();
                doc.clients.push_back(read_client(r, doc.client_audiences.back()));
            } else if (model == "authorizationcode") {
                doc.code_clients.emplace_back();
                doc.codes.push_back(read_code(r, doc.code_clients.back()));
            } else if (model == "token") {
                doc.token_clients.emplace_back();
                doc.token_audiences.emplace_back();
                doc.tokens.push_back(
                    read_token(r, doc.token_clients.back(), doc.token_audiences.back()));
            } else {
                doc.consent_clients.emplace_back();
                doc.consents.push_back(read_consent(r, doc.consent_clients.back()));
            }
            r.finish();
        }
    }
    return doc;
}

// ---------------------------------------------------------------------------------------
// Restore: checking against the store

/// Identifiers seen in the document, for duplicate detection ("user id 'x'" → where).
class Seen {
  public:
    explicit Seen(Diagnostics& diag) : diag_(diag) {}
    void add(const std::string& what, const std::string& value, const std::string& where) {
        if (value.empty()) return;
        auto [it, inserted] = seen_.emplace(what + " '" + value + "'", where);
        if (!inserted) {
            diag_.errors.push_back(where + ": " + what + " '" + value + "' is also used by " +
                                   it->second);
        }
    }

  private:
    Diagnostics& diag_;
    std::map<std::string, std::string> seen_;
};

/// Everything a restore needs to know to decide, before writing, that it can write.
class Checker {
  public:
    Checker(store::Store& st, Document& doc, Diagnostics& diag)
        : store_(st), doc_(doc), diag_(diag) {}

    void run() {
        Seen seen(diag_);
        for (std::size_t i = 0; i < doc_.users.size(); ++i) check_user(i, seen);
        for (std::size_t i = 0; i < doc_.groups.size(); ++i) check_group(i, seen);
        for (std::size_t i = 0; i < doc_.clients.size(); ++i) check_client_identity(i, seen);
        for (std::size_t i = 0; i < doc_.clients.size(); ++i) {
            doc_.clients[i].audience = resolve_all(doc_.client_audiences[i], where_client(i));
        }
        for (std::size_t i = 0; i < doc_.codes.size(); ++i) check_code(i, seen);
        for (std::size_t i = 0; i < doc_.tokens.size(); ++i) check_token(i, seen);
        for (std::size_t i = 0; i < doc_.consents.size(); ++i) check_consent(i, seen);
    }

  private:
    void fail(const std::string& where, const std::string& message) {
        diag_.errors.push_back(where + ": " + message);
    }

    std::string where_user(std::size_t i) const {
        return label("user", i, doc_.users[i].user_name);
    }
    std::string where_group(std::size_t i) const {
        return label("group", i, doc_.groups[i].display_name);
    }
    std::string where_client(std::size_t i) const {
        return label("client", i, doc_.clients[i].client_id);
    }

    bool user_exists(const std::string& id) {
        for (const auto& u : doc_.users) {
            if (u.id == id) return true;
        }
        return store_.get_user(id).has_value();
    }
    bool group_exists(const std::string& id) {
        for (const auto& g : doc_.groups) {
            if (g.id == id) return true;
        }
        return store_.get_group(id).has_value();
    }

    /// A client reference → client_id; empty (after an error) when it names nothing.
    std::string resolve(const ClientRef& ref, const std::string& where) {
        for (const auto& c : doc_.clients) {
            if (!c.id.empty() && c.id == ref.value) return c.client_id;
        }
        for (const auto& c : doc_.clients) {
            if (c.client_id == ref.value) return c.client_id;
        }
        if (auto c = store_.get_client(ref.value)) return c->client_id;
        if (auto c = store_.get_client_by_client_id(ref.value)) return c->client_id;
        fail(where, "names no client '" + ref.value + "'");
        return "";
    }
    std::vector<std::string> resolve_all(const std::vector<ClientRef>& refs,
                                         const std::string& where) {
        std::vector<std::string> out;
        for (const auto& r : refs) {
            auto id = resolve(r, where);
            if (!id.empty()) out.push_back(std::move(id));
        }
        return out;
    }

    void check_user(std::size_t i, Seen& seen) {
        const auto& u = doc_.users[i];
        const auto where = where_user(i);
        seen.add("user id", u.id, where);
        seen.add("user_name", to_lower(u.user_name), where);
        for (const auto& e : u.emails) seen.add("email", to_lower(e), where);
        if (!u.id.empty() && store_.get_user(u.id)) fail(where, "the store has this user id");
        if (store_.get_user_by_name(u.user_name)) fail(where, "the store has this user_name");
        for (const auto& e : u.emails) {
            if (store_.get_user_by_email(e)) fail(where, "the store has the email " + e);
        }
        for (const auto& g : u.groups) {
            if (!group_exists(g)) fail(where, "is in a group that does not exist: " + g);
        }
    }

    void check_group(std::size_t i, Seen& seen) {
        const auto& g = doc_.groups[i];
        const auto where = where_group(i);
        seen.add("group id", g.id, where);
        seen.add("group display_name", to_lower(g.display_name), where);
        if (!g.id.empty() && store_.get_group(g.id)) fail(where, "the store has this group id");
        if (store_.get_group_by_name(g.display_name)) {
            fail(where, "the store has this display_name");
        }
        for (const auto& m : g.members) {
            if (!user_exists(m)) fail(where, "has a member that does not exist: " + m);
        }
        if (g.owner && !user_exists(*g.owner)) {
            fail(where, "has an owner that does not exist: " + *g.owner);
        }
    }

    void check_client_identity(std::size_t i, Seen& seen) {
        const auto& c = doc_.clients[i];
        const auto where = where_client(i);
        seen.add("client id", c.id, where);
        seen.add("client_id", c.client_id, where);
        if (!c.id.empty() && store_.get_client(c.id)) fail(where, "the store has this client id");
        if (store_.get_client_by_client_id(c.client_id)) {
            fail(where, "the store has this client_id");
        }
    }

    void check_code(std::size_t i, Seen& seen) {
        auto& c = doc_.codes[i];
        const auto where = label("authorizationcode", i, c.authorization_code_id);
        seen.add("authorization code id", c.id, where);
        seen.add("authorization_code_id", c.authorization_code_id, where);
        seen.add("code hash", c.code_hash, where);
        c.client_id = resolve(doc_.code_clients[i], where);
        if (!user_exists(c.subject)) fail(where, "names a subject that does not exist");
        if (store_.get_code(c.authorization_code_id) || store_.get_code_by_hash(c.code_hash)) {
            fail(where, "the store has this code");
        }
    }

    void check_token(std::size_t i, Seen& seen) {
        auto& t = doc_.tokens[i];
        const auto where = label("token", i, t.token_id);
        seen.add("token id", t.id, where);
        seen.add("token_id", t.token_id, where);
        seen.add("access token hash", t.access_token_hash, where);
        if (t.refresh_token_hash) seen.add("refresh token hash", *t.refresh_token_hash, where);
        t.client_id = resolve(doc_.token_clients[i], where);
        t.audience = resolve_all(doc_.token_audiences[i], where);
        if (t.subject && !user_exists(*t.subject)) {
            fail(where, "names a subject that does not exist");
        }
        if (store_.get_token(t.token_id) || store_.get_token_by_access_hash(t.access_token_hash) ||
            (t.refresh_token_hash && store_.get_token_by_refresh_hash(*t.refresh_token_hash))) {
            fail(where, "the store has this token");
        }
    }

    void check_consent(std::size_t i, Seen& seen) {
        auto& c = doc_.consents[i];
        const auto where = label("consent", i, c.consent_id);
        seen.add("consent id", c.id, where);
        seen.add("consent_id", c.consent_id, where);
        c.client_id = resolve(doc_.consent_clients[i], where);
        seen.add("consent of subject and client", c.subject + "' / '" + c.client_id, where);
        if (!user_exists(c.subject)) fail(where, "names a subject that does not exist");
        if (store_.get_consent(c.consent_id) ||
            (!c.client_id.empty() && store_.get_consent_for(c.subject, c.client_id))) {
            fail(where, "the store has this consent");
        }
    }

    store::Store& store_;
    Document& doc_;
    Diagnostics& diag_;
};

// ---------------------------------------------------------------------------------------
// Restore: writing

/// What a restore created, so a failure half-way can take it back.
class Undo {
  public:
    explicit Undo(store::Store& st) : store_(st) {}
    void user(std::string id) { users_.push_back(std::move(id)); }
    void group(std::string id) { groups_.push_back(std::move(id)); }
    void client(std::string id) { clients_.push_back(std::move(id)); }
    void code(std::string id) { codes_.push_back(std::move(id)); }
    void consent(std::string id) { consents_.push_back(std::move(id)); }
    void token() { ++tokens_; }

    /// Deletes in reverse dependency order; deleting a client or user also deletes its
    /// codes, tokens and consents. Best effort: returns what could not be removed.
    std::vector<std::string> run() {
        std::vector<std::string> left;
        auto attempt = [&](const std::string& what, const std::function<store::Status()>& del) {
            try {
                const auto st = del();
                if (st != store::Status::ok && st != store::Status::not_found) left.push_back(what);
            } catch (const store::StoreError&) {
                left.push_back(what);
            }
        };
        for (auto& id : consents_)
            attempt("consent " + id, [&] { return store_.delete_consent(id); });
        for (auto& id : codes_) attempt("code " + id, [&] { return store_.delete_code(id); });
        for (auto& id : clients_) attempt("client " + id, [&] { return store_.delete_client(id); });
        for (auto& id : groups_) attempt("group " + id, [&] { return store_.delete_group(id); });
        for (auto& id : users_) attempt("user " + id, [&] { return store_.delete_user(id); });
        return left;
    }
    std::size_t tokens() const { return tokens_; }

  private:
    store::Store& store_;
    std::vector<std::string> users_, groups_, clients_, codes_, consents_;
    std::size_t tokens_ = 0;
};

/// Thrown by the writer when the store refuses an object the checks let through.
struct RestoreFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void expect_ok(store::Status st, const std::string& what) {
    if (st != store::Status::ok) {
        throw RestoreFailure(what + ": the store answered " + std::string(store::to_string(st)));
    }
}

/// Clients in an order where each one's audience is created before it, when there is one;
/// the clients of a cycle get the rest of their audience in a second pass.
void write_clients(store::Store& st, std::vector<model::Client>& clients, Undo& undo) {
    std::set<std::string> created;
    std::vector<bool> done(clients.size(), false);
    std::vector<std::pair<std::size_t, std::vector<std::string>>> second_pass;
    auto ready = [&](const model::Client& c) {
        return std::all_of(c.audience.begin(), c.audience.end(), [&](const std::string& a) {
            return a == c.client_id || created.count(a) > 0 ||
                   std::none_of(clients.begin(), clients.end(),
                                [&](const model::Client& o) { return o.client_id == a; });
        });
    };
    for (std::size_t left = clients.size(); left > 0;) {
        bool progress = false;
        for (std::size_t i = 0; i < clients.size(); ++i) {
            if (done[i] || !ready(clients[i])) continue;
            expect_ok(st.create_client(clients[i]), "client '" + clients[i].client_id + "'");
            undo.client(clients[i].id);
            created.insert(clients[i].client_id);
            done[i] = true;
            --left;
            progress = true;
        }
        if (progress) continue;
        // A cycle: create the first remaining client with the audience that exists.
        for (std::size_t i = 0; i < clients.size(); ++i) {
            if (done[i]) continue;
            auto full = clients[i].audience;
            auto& aud = clients[i].audience;
            aud.erase(std::remove_if(aud.begin(), aud.end(),
                                     [&](const std::string& a) {
                                         return a != clients[i].client_id && !created.count(a);
                                     }),
                      aud.end());
            expect_ok(st.create_client(clients[i]), "client '" + clients[i].client_id + "'");
            undo.client(clients[i].id);
            created.insert(clients[i].client_id);
            second_pass.emplace_back(i, std::move(full));
            done[i] = true;
            --left;
            break;
        }
    }
    for (auto& [i, audience] : second_pass) {
        clients[i].audience = std::move(audience);
        expect_ok(st.update_client(clients[i]),
                  "client '" + clients[i].client_id + "' (audience, second pass)");
    }
}

struct Counts {
    std::size_t users = 0, groups = 0, memberships = 0, clients = 0, codes = 0, tokens = 0,
                consents = 0;
};

Counts write_document(store::Store& st, Document& doc, Undo& undo) {
    Counts n;
    // Users first, without their groups (the groups do not exist yet).
    std::vector<std::vector<std::string>> user_groups;
    for (auto& u : doc.users) {
        user_groups.push_back(std::move(u.groups));
        u.groups.clear();
        expect_ok(st.create_user(u), "user '" + u.user_name + "'");
        undo.user(u.id);
        ++n.users;
    }
    std::set<std::pair<std::string, std::string>> members;  // (group, user)
    for (auto& g : doc.groups) {
        expect_ok(st.create_group(g), "group '" + g.display_name + "'");
        undo.group(g.id);
        for (const auto& m : g.members) members.emplace(g.id, m);
        ++n.groups;
    }
    // Memberships only a user's side lists (a Canaille dump may hold either side).
    for (std::size_t i = 0; i < doc.users.size(); ++i) {
        for (const auto& g : user_groups[i]) {
            if (members.count({g, doc.users[i].id})) continue;
            expect_ok(st.add_member(g, doc.users[i].id),
                      "membership of user '" + doc.users[i].user_name + "' in group " + g);
            ++n.memberships;
        }
    }
    write_clients(st, doc.clients, undo);
    n.clients = doc.clients.size();
    for (auto& c : doc.codes) {
        expect_ok(st.create_code(c), "authorizationcode '" + c.authorization_code_id + "'");
        undo.code(c.authorization_code_id);
        ++n.codes;
    }
    for (auto& t : doc.tokens) {
        expect_ok(st.create_token(t), "token '" + t.token_id + "'");
        undo.token();
        ++n.tokens;
    }
    for (auto& c : doc.consents) {
        expect_ok(st.create_consent(c), "consent '" + c.consent_id + "'");
        undo.consent(c.consent_id);
        ++n.consents;
    }
    return n;
}

/// Standard input, whole, refusing more than kMaxInput bytes.
std::optional<std::string> read_stdin_bounded() {
    std::string data;
    char buf[1 << 16];
    while (true) {
        const ssize_t got = ::read(0, buf, sizeof buf);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error("cannot read standard input");
        }
        if (got == 0) break;
        if (data.size() + static_cast<std::size_t>(got) > kMaxInput) return std::nullopt;
        data.append(buf, static_cast<std::size_t>(got));
    }
    return data;
}

std::unique_ptr<store::Store> open_checked_store(const GlobalOptions& global, const Clock& clock) {
    auto st = open_cli_store(global, clock);
    if (st) st->check();
    return st;
}

}  // namespace

int cmd_dump(const GlobalOptions& global, const std::vector<std::string>& argv) {
    Args args(argv, {"help"});
    args.allow_only({"help"});
    if (args.flag("help")) {
        std::cout << kDumpHelp;
        return 0;
    }
    std::set<std::string> models;
    for (const auto& m : args.positionals()) {
        const std::string name = to_lower(m);
        if (std::find(kModels.begin(), kModels.end(), name) == kModels.end()) {
            throw UsageError("unknown model '" + m +
                             "' (user, group, client, authorizationcode, token, consent)");
        }
        models.insert(name);
    }
    if (models.empty()) models.insert(kModels.begin(), kModels.end());

    SystemClock clock;
    auto st = open_checked_store(global, clock);
    if (!st) return 1;
    rapidjson::OStreamWrapper out(std::cout);
    JsonWriter w(out);
    dump_store(*st, models, w);
    std::cout << "\n";
    std::cout.flush();
    return std::cout ? 0 : 1;
}

int cmd_restore(const GlobalOptions& global, const std::vector<std::string>& argv) {
    Args args(argv, {"help", "dry-run"});
    args.allow_only({"help", "dry-run"});
    if (args.flag("help")) {
        std::cout << kRestoreHelp;
        return 0;
    }
    if (!args.positionals().empty()) {
        throw UsageError("unexpected argument " + args.positionals()[0] +
                         " (the dump is read from standard input)");
    }
    if (isatty(0)) throw UsageError("restore input is missing (pipe a dump on standard input)");
    auto input = read_stdin_bounded();
    if (!input) {
        std::cerr << "canaille restore: the input is larger than 256 MiB; refused\n";
        return 1;
    }
    if (trim(*input).empty()) {
        std::cerr << "canaille restore: restore input is missing\n";
        return 1;
    }

    rapidjson::Document json;
    // Iterative parsing: nesting depth cannot exhaust the stack.
    json.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
        input->data(), input->size());
    if (json.HasParseError()) {
        std::cerr << "canaille restore: invalid JSON at offset " << json.GetErrorOffset() << ": "
                  << rapidjson::GetParseError_En(json.GetParseError()) << "\n";
        return 1;
    }
    if (!json.IsObject()) {
        std::cerr << "canaille restore: a JSON object keyed by model name was expected\n";
        return 1;
    }

    SystemClock clock;
    auto st = open_checked_store(global, clock);
    if (!st) return 1;

    Diagnostics diag;
    Document doc = read_document(json, diag);
    if (diag.errors.empty()) Checker(*st, doc, diag).run();
    for (const auto& w : diag.warnings) std::cerr << "warning: " << w << "\n";
    if (!diag.errors.empty()) {
        for (const auto& e : diag.errors) std::cerr << "error: " << e << "\n";
        std::cerr << "canaille restore: " << diag.errors.size()
                  << " error(s); nothing was written\n";
        return 1;
    }
    if (args.flag("dry-run")) {
        std::cout << "the dump is valid: " << doc.users.size() << " users, " << doc.groups.size()
                  << " groups, " << doc.clients.size() << " clients, " << doc.codes.size()
                  << " authorization codes, " << doc.tokens.size() << " tokens, "
                  << doc.consents.size() << " consents (nothing written)\n";
        return 0;
    }

    Undo undo(*st);
    try {
        const Counts n = write_document(*st, doc, undo);
        std::cout << "restored " << n.users << " users, " << n.groups << " groups, " << n.clients
                  << " clients, " << n.codes << " authorization codes, " << n.tokens << " tokens, "
                  << n.consents << " consents\n";
        return 0;
    } catch (const RestoreFailure& e) {
        std::cerr << "canaille restore: " << e.what() << "\n";
    } catch (const store::StoreError& e) {
        std::cerr << "canaille restore: store error: " << e.what() << "\n";
    }
    // Take back what this run wrote, so a retry starts from the same store.
    const auto left = undo.run();
    if (left.empty()) {
        std::cerr << "canaille restore: what had been written was removed again\n";
    } else {
        std::cerr << "canaille restore: could not remove what had been written:";
        for (const auto& l : left) std::cerr << " " << l << ";";
        std::cerr << "\n";
    }
    return 1;
}

}  // namespace canaille::app

// SPDX-License-Identifier: MIT
// `canaille create|get|set|delete <model>` (reference §5): every attribute of the model as a
// --dashed-name option, list attributes by repeating the option, JSON out.
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <ctime>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "app/cli.hpp"
#include "app/services.hpp"
#include "auth/password.hpp"
#include "util/base64.hpp"
#include "util/hash.hpp"
#include "util/random.hpp"
#include "util/secret.hpp"
#include "util/strings.hpp"

namespace canaille::app {
namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

std::string iso8601(TimePoint t) {
    const std::time_t s = to_unix(t);
    std::tm tm{};
    gmtime_r(&s, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/// "2026-01-31T12:00:00Z", "2026-01-31" or unix seconds.
TimePoint parse_time(const std::string& text) {
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
        return from_unix(std::stoll(text));
    }
    std::tm tm{};
    std::istringstream in(text);
    if (text.size() == 10) {
        in >> std::get_time(&tm, "%Y-%m-%d");
    } else {
        in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
    }
    if (in.fail()) throw UsageError("invalid date '" + text + "' (use YYYY-MM-DDTHH:MM:SSZ)");
    return from_unix(timegm(&tm));
}

enum class Kind { text, list, time, bytes, secret, refs };

/// One model attribute as the CLI sees it.
template <class M>
struct Attr {
    std::string name;  ///< snake_case, as in Canaille
    Kind kind;
    std::function<void(M&, const std::vector<std::string>&)> set;
    std::function<std::vector<std::string>(const M&)> get;
};

template <class M>
Attr<M> text_attr(std::string name, std::optional<std::string> M::*field) {
    return {std::move(name), Kind::text,
            [field](M& m, const std::vector<std::string>& v) {
                if (v.back().empty()) {
                    m.*field = std::nullopt;
                } else {
                    m.*field = v.back();
                }
            },
            [field](const M& m) {
                return m.*field ? std::vector<std::string>{*(m.*field)}
                                : std::vector<std::string>{};
            }};
}

template <class M>
Attr<M> list_attr(std::string name, std::vector<std::string> M::*field) {
    return {std::move(name), Kind::list,
            [field](M& m, const std::vector<std::string>& v) {
                m.*field = {};
                for (const auto& x : v) {
                    if (!x.empty()) (m.*field).push_back(x);
                }
            },
            [field](const M& m) { return m.*field; }};
}

template <class M>
Attr<M> time_attr(std::string name, std::optional<TimePoint> M::*field) {
    return {std::move(name), Kind::time,
            [field](M& m, const std::vector<std::string>& v) {
                if (v.back().empty()) {
                    m.*field = std::nullopt;
                } else {
                    m.*field = parse_time(v.back());
                }
            },
            [field](const M& m) {
                return m.*field ? std::vector<std::string>{iso8601(*(m.*field))}
                                : std::vector<std::string>{};
            }};
}

template <class M>
Attr<M> string_attr(std::string name, std::string M::*field) {
    return {std::move(name), Kind::text,
            [field](M& m, const std::vector<std::string>& v) { m.*field = v.back(); },
            [field](const M& m) {
                return (m.*field).empty() ? std::vector<std::string>{}
                                          : std::vector<std::string>{m.*field};
            }};
}

template <class M>
Attr<M> timepoint_attr(std::string name, TimePoint M::*field) {
    return {std::move(name), Kind::time,
            [field](M& m, const std::vector<std::string>& v) {
                if (v.back().empty()) throw UsageError("a date is required");
                m.*field = parse_time(v.back());
            },
            [field](const M& m) { return std::vector<std::string>{iso8601(m.*field)}; }};
}

std::int64_t parse_int(const std::string& text) {
    if (text.empty() || text.size() > 18 ||
        text.find_first_not_of("0123456789") != std::string::npos) {
        throw UsageError("invalid number '" + text + "'");
    }
    return std::stoll(text);
}

template <class M>
Attr<M> int_attr(std::string name, std::int64_t M::*field) {
    return {std::move(name), Kind::text,
            [field](M& m, const std::vector<std::string>& v) { m.*field = parse_int(v.back()); },
            [field](const M& m) { return std::vector<std::string>{std::to_string(m.*field)}; }};
}

template <class M>
Attr<M> optional_int_attr(std::string name, std::optional<std::int64_t> M::*field) {
    return {std::move(name), Kind::text,
            [field](M& m, const std::vector<std::string>& v) {
                if (v.back().empty()) {
                    m.*field = std::nullopt;
                } else {
                    m.*field = parse_int(v.back());
                }
            },
            [field](const M& m) {
                return m.*field ? std::vector<std::string>{std::to_string(*(m.*field))}
                                : std::vector<std::string>{};
            }};
}

template <class M>
Attr<M> bool_attr(std::string name, bool M::*field) {
    return {std::move(name), Kind::text,
            [field](M& m, const std::vector<std::string>& v) {
                const auto x = to_lower(v.back());
                if (x == "true" || x == "1" || x == "yes") {
                    m.*field = true;
                } else if (x == "false" || x == "0" || x == "no" || x.empty()) {
                    m.*field = false;
                } else {
                    throw UsageError("expected true or false, got '" + v.back() + "'");
                }
            },
            [field](const M& m) { return std::vector<std::string>{m.*field ? "true" : "false"}; }};
}

/// A secret the store keeps only hashed (access token, refresh token, code): the clear value
/// given or generated on create is printed once, by the command that created it.
template <class M>
Attr<M> hashed_secret_attr(std::string name, std::string M::*hash_field,
                           std::shared_ptr<std::string> clear) {
    return {std::move(name), Kind::secret,
            [hash_field, clear](M& m, const std::vector<std::string>& v) {
                *clear = v.back();
                m.*hash_field = v.back().empty() ? "" : sha256_hex(v.back());
            },
            [hash_field, clear](const M& m) {
                if (clear->empty() || sha256_hex(*clear) != m.*hash_field) {
                    return std::vector<std::string>{};
                }
                return std::vector<std::string>{*clear};
            }};
}

std::string dashed(std::string s) {
    for (char& c : s) {
        if (c == '_') c = '-';
    }
    return s;
}

/// Resolves a user given by user_name or id.
std::optional<model::User> find_user(store::Store& st, const std::string& key) {
    if (auto u = st.get_user_by_name(key)) return u;
    return st.get_user(key);
}

std::optional<model::Group> find_group(store::Store& st, const std::string& key) {
    if (auto g = st.get_group_by_name(key)) return g;
    return st.get_group(key);
}

std::vector<Attr<model::User>> user_attrs(store::Store& st, const auth::Argon2Params& argon2) {
    using model::User;
    std::vector<Attr<User>> a;
    a.push_back({"user_name", Kind::text,
                 [](User& u, const std::vector<std::string>& v) { u.user_name = v.back(); },
                 [](const User& u) { return std::vector<std::string>{u.user_name}; }});
    a.push_back({"password", Kind::secret,
                 [argon2](User& u, const std::vector<std::string>& v) {
                     if (v.back().empty()) {
                         u.password = std::nullopt;
                     } else {
                         u.password = auth::hash_password(v.back(), argon2);
                     }
                 },
                 [](const User&) { return std::vector<std::string>{}; }});
    a.push_back(time_attr("password_last_update", &User::password_last_update));
    a.push_back(text_attr("preferred_language", &User::preferred_language));
    a.push_back(text_attr("family_name", &User::family_name));
    a.push_back(text_attr("given_name", &User::given_name));
    a.push_back(text_attr("formatted_name", &User::formatted_name));
    a.push_back(text_attr("display_name", &User::display_name));
    a.push_back(list_attr("emails", &User::emails));
    a.push_back(list_attr("phone_numbers", &User::phone_numbers));
    a.push_back(text_attr("formatted_address", &User::formatted_address));
    a.push_back(text_attr("street", &User::street));
    a.push_back(text_attr("postal_code", &User::postal_code));
    a.push_back(text_attr("locality", &User::locality));
    a.push_back(text_attr("region", &User::region));
    a.push_back({"photo", Kind::bytes,
                 [](User& u, const std::vector<std::string>& v) {
                     const auto& x = v.back();
                     if (x.empty()) {
                         u.photo = std::nullopt;
                     } else if (x.front() == '@') {
                         std::ifstream f(x.substr(1), std::ios::binary);
                         if (!f) throw UsageError("cannot read " + x.substr(1));
                         std::ostringstream buf;
                         buf << f.rdbuf();
                         u.photo = buf.str();
                     } else {
                         auto bytes = base64_decode(x);
                         if (!bytes) throw UsageError("--photo: base64 or @FILE expected");
                         u.photo = std::move(*bytes);
                     }
                 },
                 [](const User& u) {
                     return u.photo ? std::vector<std::string>{base64_encode(*u.photo)}
                                    : std::vector<std::string>{};
                 }});
    a.push_back(text_attr("profile_url", &User::profile_url));
    a.push_back(text_attr("title", &User::title));
    a.push_back(text_attr("organization", &User::organization));
    a.push_back(text_attr("employee_number", &User::employee_number));
    a.push_back(text_attr("department", &User::department));
    a.push_back(time_attr("lock_date", &User::lock_date));
    a.push_back({"groups", Kind::refs,
                 [&st](User& u, const std::vector<std::string>& v) {
                     u.groups.clear();
                     for (const auto& name : v) {
                         if (name.empty()) continue;
                         auto g = find_group(st, name);
                         if (!g) throw UsageError("no group named '" + name + "'");
                         u.groups.push_back(g->id);
                     }
                 },
                 [&st](const User& u) {
                     std::vector<std::string> names;
                     for (const auto& id : u.groups) {
                         if (auto g = st.get_group(id)) names.push_back(g->display_name);
                     }
                     return names;
                 }});
    return a;
}

std::vector<Attr<model::Group>> group_attrs(store::Store& st) {
    using model::Group;
    std::vector<Attr<Group>> a;
    a.push_back({"display_name", Kind::text,
                 [](Group& g, const std::vector<std::string>& v) { g.display_name = v.back(); },
                 [](const Group& g) { return std::vector<std::string>{g.display_name}; }});
    a.push_back(text_attr("description", &Group::description));
    a.push_back({"members", Kind::refs,
                 [&st](Group& g, const std::vector<std::string>& v) {
                     g.members.clear();
                     for (const auto& key : v) {
                         if (key.empty()) continue;
                         auto u = find_user(st, key);
                         if (!u) throw UsageError("no user named '" + key + "'");
                         g.members.push_back(u->id);
                     }
                 },
                 [&st](const Group& g) {
                     std::vector<std::string> names;
                     for (const auto& id : g.members) {
                         if (auto u = st.get_user(id)) names.push_back(u->user_name);
                     }
                     return names;
                 }});
    a.push_back({"owner", Kind::text,
                 [&st](Group& g, const std::vector<std::string>& v) {
                     if (v.back().empty()) {
                         g.owner = std::nullopt;
                         return;
                     }
                     auto u = find_user(st, v.back());
                     if (!u) throw UsageError("no user named '" + v.back() + "'");
                     g.owner = u->id;
                 },
                 [&st](const Group& g) {
                     std::vector<std::string> out;
                     if (g.owner) {
                         if (auto u = st.get_user(*g.owner)) out.push_back(u->user_name);
                     }
                     return out;
                 }});
    return a;
}

/// The subject of a token, code or consent: a user name on the command line, a user id in
/// the store.
template <class M, class F>
Attr<M> subject_attr(store::Store& st, F M::*field) {
    return {"subject", Kind::text,
            [&st, field](M& m, const std::vector<std::string>& v) {
                if (v.back().empty()) {
                    m.*field = F{};
                    return;
                }
                auto u = find_user(st, v.back());
                if (!u) throw UsageError("no user named '" + v.back() + "'");
                m.*field = u->id;
            },
            [&st, field](const M& m) {
                const std::string id = [&] {
                    if constexpr (std::is_same_v<F, std::string>) {
                        return m.*field;
                    } else {
                        return (m.*field).value_or("");
                    }
                }();
                std::vector<std::string> out;
                if (!id.empty()) {
                    const auto u = st.get_user(id);
                    out.push_back(u ? u->user_name : id);
                }
                return out;
            }};
}

std::vector<Attr<model::Client>> client_attrs() {
    using model::Client;
    std::vector<Attr<Client>> a;
    a.push_back(string_attr("client_id", &Client::client_id));
    a.push_back(text_attr("client_secret", &Client::client_secret));
    a.push_back(time_attr("client_id_issued_at", &Client::client_id_issued_at));
    a.push_back(time_attr("client_secret_expires_at", &Client::client_secret_expires_at));
    a.push_back(text_attr("description", &Client::description));
    a.push_back(list_attr("audience", &Client::audience));
    a.push_back(list_attr("redirect_uris", &Client::redirect_uris));
    a.push_back(string_attr("token_endpoint_auth_method", &Client::token_endpoint_auth_method));
    a.push_back(
        text_attr("token_endpoint_auth_signing_alg", &Client::token_endpoint_auth_signing_alg));
    a.push_back(list_attr("grant_types", &Client::grant_types));
    a.push_back(list_attr("response_types", &Client::response_types));
    a.push_back(text_attr("client_name", &Client::client_name));
    a.push_back(text_attr("client_uri", &Client::client_uri));
    a.push_back(text_attr("logo_uri", &Client::logo_uri));
    a.push_back(list_attr("scope", &Client::scope));
    a.push_back(list_attr("contacts", &Client::contacts));
    a.push_back(text_attr("tos_uri", &Client::tos_uri));
    a.push_back(text_attr("policy_uri", &Client::policy_uri));
    a.push_back(text_attr("jwks_uri", &Client::jwks_uri));
    a.push_back(text_attr("jwks", &Client::jwks));
    a.push_back(text_attr("sector_identifier_uri", &Client::sector_identifier_uri));
    a.push_back(text_attr("subject_type", &Client::subject_type));
    a.push_back(text_attr("software_id", &Client::software_id));
    a.push_back(text_attr("software_version", &Client::software_version));
    a.push_back(list_attr("post_logout_redirect_uris", &Client::post_logout_redirect_uris));
    a.push_back(string_attr("application_type", &Client::application_type));
    a.push_back(string_attr("id_token_signed_response_alg", &Client::id_token_signed_response_alg));
    a.push_back(
        text_attr("id_token_encrypted_response_alg", &Client::id_token_encrypted_response_alg));
    a.push_back(
        text_attr("id_token_encrypted_response_enc", &Client::id_token_encrypted_response_enc));
    a.push_back(text_attr("userinfo_signed_response_alg", &Client::userinfo_signed_response_alg));
    a.push_back(
        text_attr("userinfo_encrypted_response_alg", &Client::userinfo_encrypted_response_alg));
    a.push_back(
        text_attr("userinfo_encrypted_response_enc", &Client::userinfo_encrypted_response_enc));
    a.push_back(optional_int_attr("default_max_age", &Client::default_max_age));
    a.push_back(bool_attr("require_auth_time", &Client::require_auth_time));
    a.push_back(list_attr("default_acr_values", &Client::default_acr_values));
    a.push_back(text_attr("initiate_login_uri", &Client::initiate_login_uri));
    a.push_back(text_attr("request_object_signing_alg", &Client::request_object_signing_alg));
    a.push_back(text_attr("request_object_encryption_alg", &Client::request_object_encryption_alg));
    a.push_back(text_attr("request_object_encryption_enc", &Client::request_object_encryption_enc));
    a.push_back(list_attr("request_uris", &Client::request_uris));
    a.push_back(bool_attr("require_signed_request_object", &Client::require_signed_request_object));
    return a;
}

std::vector<Attr<model::Token>> token_attrs(store::Store& st, std::shared_ptr<std::string> access,
                                            std::shared_ptr<std::string> refresh) {
    using model::Token;
    std::vector<Attr<Token>> a;
    a.push_back(string_attr("token_id", &Token::token_id));
    a.push_back(hashed_secret_attr("access_token", &Token::access_token_hash, std::move(access)));
    a.push_back({"refresh_token", Kind::secret,
                 [refresh](Token& t, const std::vector<std::string>& v) {
                     *refresh = v.back();
                     if (v.back().empty()) {
                         t.refresh_token_hash.reset();
                     } else {
                         t.refresh_token_hash = sha256_hex(v.back());
                     }
                 },
                 [refresh](const Token& t) {
                     if (refresh->empty() || t.refresh_token_hash != sha256_hex(*refresh)) {
                         return std::vector<std::string>{};
                     }
                     return std::vector<std::string>{*refresh};
                 }});
    a.push_back(string_attr("client", &Token::client_id));
    a.push_back(subject_attr(st, &Token::subject));
    a.push_back(string_attr("type", &Token::type));
    a.push_back(list_attr("scope", &Token::scope));
    a.push_back(timepoint_attr("issue_date", &Token::issue_date));
    a.push_back(int_attr("lifetime", &Token::lifetime));
    a.push_back(time_attr("revokation_date", &Token::revokation_date));
    a.push_back(list_attr("audience", &Token::audience));
    a.push_back(text_attr("authorization_code_id", &Token::authorization_code_id));
    a.push_back(text_attr("parent_token_id", &Token::parent_token_id));
    return a;
}

std::vector<Attr<model::AuthorizationCode>> code_attrs(store::Store& st,
                                                       std::shared_ptr<std::string> code) {
    using model::AuthorizationCode;
    std::vector<Attr<AuthorizationCode>> a;
    a.push_back(string_attr("authorization_code_id", &AuthorizationCode::authorization_code_id));
    a.push_back(hashed_secret_attr("code", &AuthorizationCode::code_hash, std::move(code)));
    a.push_back(string_attr("client", &AuthorizationCode::client_id));
    a.push_back(subject_attr(st, &AuthorizationCode::subject));
    a.push_back(text_attr("redirect_uri", &AuthorizationCode::redirect_uri));
    a.push_back(string_attr("response_type", &AuthorizationCode::response_type));
    a.push_back(list_attr("scope", &AuthorizationCode::scope));
    a.push_back(text_attr("nonce", &AuthorizationCode::nonce));
    a.push_back(timepoint_attr("issue_date", &AuthorizationCode::issue_date));
    a.push_back(int_attr("lifetime", &AuthorizationCode::lifetime));
    a.push_back(text_attr("challenge", &AuthorizationCode::challenge));
    a.push_back(text_attr("challenge_method", &AuthorizationCode::challenge_method));
    a.push_back(time_attr("revokation_date", &AuthorizationCode::revokation_date));
    a.push_back(time_attr("auth_time", &AuthorizationCode::auth_time));
    a.push_back(text_attr("acr", &AuthorizationCode::acr));
    a.push_back(list_attr("amr", &AuthorizationCode::amr));
    return a;
}

std::vector<Attr<model::Consent>> consent_attrs(store::Store& st) {
    using model::Consent;
    std::vector<Attr<Consent>> a;
    a.push_back(string_attr("consent_id", &Consent::consent_id));
    a.push_back(subject_attr(st, &Consent::subject));
    a.push_back(string_attr("client", &Consent::client_id));
    a.push_back(list_attr("scope", &Consent::scope));
    a.push_back(timepoint_attr("issue_date", &Consent::issue_date));
    a.push_back(time_attr("revokation_date", &Consent::revokation_date));
    return a;
}

template <class M>
void write_json(Writer& w, const M& m, const std::vector<Attr<M>>& attrs) {
    w.StartObject();
    w.Key("id");
    w.String(m.id.c_str());
    if constexpr (requires { m.created; }) {
        if (m.created) {
            w.Key("created");
            w.String(iso8601(*m.created).c_str());
        }
    }
    if constexpr (requires { m.last_modified; }) {
        if (m.last_modified) {
            w.Key("last_modified");
            w.String(iso8601(*m.last_modified).c_str());
        }
    }
    for (const auto& a : attrs) {
        const auto values = a.get(m);
        if (values.empty()) continue;
        w.Key(a.name.c_str());
        if (a.kind == Kind::list || a.kind == Kind::refs) {
            w.StartArray();
            for (const auto& v : values)
                w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
            w.EndArray();
        } else {
            w.String(values.front().c_str(),
                     static_cast<rapidjson::SizeType>(values.front().size()));
        }
    }
    w.EndObject();
}

/// Applies every --option to the model; unknown options are usage errors.
template <class M>
void apply(M& m, const Args& args, const std::vector<Attr<M>>& attrs,
           const std::vector<std::string>& extra_allowed) {
    for (const auto& [name, value] : args.options()) {
        (void)value;
        bool known =
            std::find(extra_allowed.begin(), extra_allowed.end(), name) != extra_allowed.end();
        for (const auto& a : attrs) known = known || dashed(a.name) == name;
        if (!known) throw UsageError("unknown attribute --" + name);
    }
    for (const auto& a : attrs) {
        const auto values = args.values(dashed(a.name));
        if (!values.empty()) a.set(m, values);
    }
}

/// Whether the model matches every --attr filter (exact value; lists: membership).
template <class M>
bool matches(const M& m, const Args& args, const std::vector<Attr<M>>& attrs) {
    for (const auto& [name, value] : args.options()) {
        if (name == "id") {
            if (m.id != value) return false;
            continue;
        }
        for (const auto& a : attrs) {
            if (dashed(a.name) != name) continue;
            if (a.kind == Kind::secret) throw UsageError("cannot filter on --" + name);
            const auto vals = a.get(m);
            if (std::find(vals.begin(), vals.end(), value) == vals.end()) return false;
        }
    }
    return true;
}

std::string model_help(const std::string& verb) {
    std::string s = "usage: canaille [--config FILE] " + verb +
                    " user|group|client|token|authorizationcode|consent ";
    if (verb == "set") s += "ID ";
    s += "[--ATTRIBUTE VALUE ...]";
    if (verb == "delete") s += " [--noconfirm]";
    s += " [--quiet] [--ignore-errors]\n\n";
    s += "user attributes: --user-name --password --password-last-update --preferred-language\n"
         "  --family-name --given-name --formatted-name --display-name --emails (repeat)\n"
         "  --phone-numbers (repeat) --formatted-address --street --postal-code --locality\n"
         "  --region --photo (base64 or @FILE) --profile-url --title --organization\n"
         "  --employee-number --department --lock-date (ISO 8601 or unix seconds)\n"
         "  --groups (repeat; group names)\n"
         "group attributes: --display-name --description --members (repeat; user names)\n"
         "  --owner (user name)\n"
         "client attributes: the RFC 7591 metadata names, dashed (--client-name,\n"
         "  --redirect-uris, --grant-types, --token-endpoint-auth-method, --scope, ...);\n"
         "  create generates --client-id and a 48-character --client-secret when absent\n"
         "token attributes: --token-id --access-token --refresh-token --client --subject\n"
         "  --type --scope --issue-date --lifetime --revokation-date --audience\n"
         "  (create prints the generated access token once; set changes only the revocation)\n"
         "authorizationcode attributes: --authorization-code-id --code --client --subject\n"
         "  --redirect-uri --scope --nonce --issue-date --lifetime --challenge ...\n"
         "consent attributes: --consent-id --subject --client --scope --issue-date\n"
         "  --revokation-date\n\n"
         "An empty value clears an attribute. `get` and `delete` treat the options as filters\n"
         "(exact value; list attributes match one of their values; --id matches the id).\n"
         "Output is JSON.\n";
    return s;
}

struct Ctx {
    std::unique_ptr<SystemClock> clock = std::make_unique<SystemClock>();
    std::unique_ptr<store::Store> store;
    auth::Argon2Params argon2;
};

std::optional<Ctx> open(const GlobalOptions& global) {
    Ctx c;
    c.store = open_cli_store(global, *c.clock);
    if (!c.store) return std::nullopt;
    c.store->check();
    return c;
}

int report(store::Status st, const std::string& what, bool ignore_errors) {
    if (st == store::Status::ok) return 0;
    std::cerr << what << ": " << store::to_string(st) << "\n";
    return ignore_errors ? 0 : 1;
}

template <class M>
void print(const std::vector<M>& items, const std::vector<Attr<M>>& attrs, bool as_list) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.SetIndent(' ', 2);
    if (as_list) w.StartArray();
    for (const auto& m : items) write_json(w, m, attrs);
    if (as_list) w.EndArray();
    std::cout << buf.GetString() << "\n";
}

const std::vector<std::string> kFlags = {"help", "quiet", "ignore-errors", "noconfirm"};

/// What create/get/set/delete need to know about one model's storage.
template <class M>
struct ModelOps {
    std::string model;                                         ///< "user"
    std::function<std::string(const M&)> label;                ///< identifier for messages
    std::function<std::optional<M>(const std::string&)> find;  ///< by identifier or id
    std::function<std::optional<M>(const std::string&)> get;   ///< by id
    std::function<std::vector<M>()> all;
    std::function<store::Status(M&)> create;
    std::function<store::Status(M&)> update;
    std::function<store::Status(const std::string&)> remove;
    std::function<void(M&, const Args&, bool creating)> before_save;
};

template <class M>
int run_verb(const std::string& verb, const Args& args, const std::vector<Attr<M>>& attrs,
             const ModelOps<M>& ops) {
    const bool quiet = args.flag("quiet");
    const bool ignore = args.flag("ignore-errors");
    const auto print_saved = [&](const std::string& id) {
        auto saved = ops.get(id);
        if (!quiet && saved) print(std::vector{*saved}, attrs, false);
    };
    if (verb == "create" || verb == "set") {
        std::optional<M> m;
        if (verb == "create") {
            m.emplace();
        } else {
            m = ops.find(args.positionals()[1]);
            if (!m) {
                std::cerr << "no " << ops.model << " '" << args.positionals()[1] << "'\n";
                return ignore ? 0 : 1;
            }
        }
        apply(*m, args, attrs, {});
        ops.before_save(*m, args, verb == "create");
        const auto st = verb == "create" ? ops.create(*m) : ops.update(*m);
        if (int rc = report(st, verb + " " + ops.model + " " + ops.label(*m), ignore)) return rc;
        print_saved(m->id);
        return 0;
    }
    for (const auto& [name, value] : args.options()) {
        (void)value;
        bool known = name == "id";
        for (const auto& a : attrs) known = known || dashed(a.name) == name;
        if (!known) throw UsageError("unknown attribute --" + name);
    }
    std::vector<M> found;
    for (auto& m : ops.all()) {
        if (matches(m, args, attrs)) found.push_back(std::move(m));
    }
    if (verb == "get") {
        print(found, attrs, true);
        return 0;
    }
    if (args.options().empty() && !args.flag("noconfirm")) {
        throw UsageError("delete without a filter removes every " + ops.model +
                         ": add --noconfirm");
    }
    int rc = 0;
    for (const auto& m : found) {
        rc |= report(ops.remove(m.id), "delete " + ops.model + " " + ops.label(m), ignore);
    }
    if (!quiet) print(found, attrs, true);
    return rc;
}

/// Unix-epoch dates mean "not given": the CLI fills in the current time.
bool unset(TimePoint t) { return t == TimePoint{}; }

int run_client(const std::string& verb, const Args& args, store::Store& st, Clock& clock) {
    ModelOps<model::Client> ops;
    ops.model = "client";
    ops.label = [](const model::Client& c) { return c.client_id; };
    ops.find = [&](const std::string& k) {
        if (auto c = st.get_client_by_client_id(k)) return c;
        return st.get_client(k);
    };
    ops.get = [&](const std::string& id) { return st.get_client(id); };
    ops.all = [&] { return st.list_clients("", {0, st.count_clients("")}); };
    ops.create = [&](model::Client& c) { return st.create_client(c); };
    ops.update = [&](model::Client& c) { return st.update_client(c); };
    ops.remove = [&](const std::string& id) { return st.delete_client(id); };
    ops.before_save = [&](model::Client& c, const Args&, bool creating) {
        if (!creating) return;
        // Reference §1b: a generated client_id, and a 48-character secret for clients
        // that authenticate with one.
        if (c.client_id.empty()) c.client_id = random_token(18);
        if (!c.client_secret && c.token_endpoint_auth_method != "none") {
            c.client_secret = random_token(36);
        }
        if (!c.client_id_issued_at) c.client_id_issued_at = clock.now();
    };
    return run_verb(verb, args, client_attrs(), ops);
}

int run_token(const std::string& verb, const Args& args, store::Store& st, Clock& clock) {
    auto access = std::make_shared<std::string>();
    auto refresh = std::make_shared<std::string>();
    ModelOps<model::Token> ops;
    ops.model = "token";
    ops.label = [](const model::Token& t) { return t.token_id; };
    ops.find = [&](const std::string& k) { return st.get_token(k); };
    ops.get = [&](const std::string& id) {
        for (auto& t : st.list_tokens("", {0, st.count_tokens("")})) {
            if (t.id == id || t.token_id == id) return std::optional<model::Token>(std::move(t));
        }
        return std::optional<model::Token>();
    };
    ops.all = [&] { return st.list_tokens("", {0, st.count_tokens("")}); };
    ops.create = [&](model::Token& t) { return st.create_token(t); };
    // The store changes a token only by revoking it (RFC 7009): that is all `set` can do.
    ops.update = [&](model::Token& t) {
        auto stored = st.get_token(t.token_id);
        if (!stored) return store::Status::not_found;
        auto expected = *stored;
        expected.revokation_date = t.revokation_date;
        if (!(expected == t) || !t.revokation_date) {
            throw UsageError("only --revokation-date can be set on a token");
        }
        return st.revoke_token(t.token_id, *t.revokation_date);
    };
    ops.remove = [](const std::string&) -> store::Status {
        throw UsageError(
            "tokens are revoked (set --revokation-date) or purged by "
            "`canaille clean`, not deleted");
    };
    ops.before_save = [&](model::Token& t, const Args&, bool creating) {
        if (!creating) return;
        if (t.client_id.empty()) throw UsageError("--client is required");
        if (t.token_id.empty()) t.token_id = random_uuid();
        if (access->empty()) {
            *access = random_token(32);
            t.access_token_hash = sha256_hex(*access);
        }
        if (unset(t.issue_date)) t.issue_date = clock.now();
    };
    return run_verb(verb, args, token_attrs(st, access, refresh), ops);
}

int run_code(const std::string& verb, const Args& args, store::Store& st, Clock& clock) {
    auto code = std::make_shared<std::string>();
    ModelOps<model::AuthorizationCode> ops;
    ops.model = "authorizationcode";
    ops.label = [](const model::AuthorizationCode& c) { return c.authorization_code_id; };
    ops.find = [&](const std::string& k) { return st.get_code(k); };
    // No store call lists codes: `get` finds the one named by --authorization-code-id, and
    // create/set print the one they just wrote.
    auto last = std::make_shared<std::string>(args.value("authorization-code-id").value_or(""));
    ops.get = [&st, last](const std::string& id) {
        auto c = st.get_code(*last);
        if (c && c->id != id) c.reset();
        return c;
    };
    ops.all = [&] {
        const auto id = args.value("authorization-code-id");
        if (!id) throw UsageError("authorization codes are found by --authorization-code-id");
        std::vector<model::AuthorizationCode> out;
        if (auto c = st.get_code(*id)) out.push_back(std::move(*c));
        return out;
    };
    ops.create = [&](model::AuthorizationCode& c) { return st.create_code(c); };
    ops.update = [](model::AuthorizationCode&) -> store::Status {
        throw UsageError("authorization codes cannot be changed");
    };
    ops.remove = [&](const std::string& id) {
        for (auto& c : ops.all()) {
            if (c.id == id) return st.delete_code(c.authorization_code_id);
        }
        return store::Status::not_found;
    };
    ops.before_save = [&](model::AuthorizationCode& c, const Args&, bool creating) {
        if (!creating) return;
        if (c.client_id.empty() || c.subject.empty()) {
            throw UsageError("--client and --subject are required");
        }
        if (c.authorization_code_id.empty()) c.authorization_code_id = random_uuid();
        *last = c.authorization_code_id;
        if (code->empty()) {
            *code = random_token(32);
            c.code_hash = sha256_hex(*code);
        }
        if (unset(c.issue_date)) c.issue_date = clock.now();
    };
    return run_verb(verb, args, code_attrs(st, code), ops);
}

int run_consent(const std::string& verb, const Args& args, store::Store& st, Clock& clock) {
    ModelOps<model::Consent> ops;
    ops.model = "consent";
    ops.label = [](const model::Consent& c) { return c.consent_id; };
    ops.find = [&](const std::string& k) { return st.get_consent(k); };
    ops.all = [&] {
        std::vector<model::Consent> out;
        for (const auto& u : st.list_users("", {0, st.count_users("")})) {
            for (auto& c : st.list_consents_of(u.id)) out.push_back(std::move(c));
        }
        return out;
    };
    ops.get = [&](const std::string& id) {
        for (auto& c : ops.all()) {
            if (c.id == id) return std::optional<model::Consent>(std::move(c));
        }
        return std::optional<model::Consent>();
    };
    ops.create = [&](model::Consent& c) { return st.create_consent(c); };
    ops.update = [&](model::Consent& c) { return st.update_consent(c); };
    ops.remove = [&](const std::string& id) {
        for (const auto& c : ops.all()) {
            if (c.id == id) return st.delete_consent(c.consent_id);
        }
        return store::Status::not_found;
    };
    ops.before_save = [&](model::Consent& c, const Args&, bool creating) {
        if (!creating) return;
        if (c.client_id.empty() || c.subject.empty()) {
            throw UsageError("--client and --subject are required");
        }
        if (c.consent_id.empty()) c.consent_id = random_uuid();
        if (unset(c.issue_date)) c.issue_date = clock.now();
    };
    return run_verb(verb, args, consent_attrs(st), ops);
}

int run_model(const std::string& verb, const GlobalOptions& global,
              const std::vector<std::string>& argv) {
    Args args(argv, kFlags);
    if (args.flag("help") || args.positionals().empty()) {
        std::cout << model_help(verb);
        return args.flag("help") ? 0 : 2;
    }
    const auto& model_name = args.positionals()[0];
    if (model_name != "user" && model_name != "group" && model_name != "client" &&
        model_name != "token" && model_name != "authorizationcode" && model_name != "consent") {
        throw UsageError("unknown model '" + model_name +
                         "' (user, group, client, token, authorizationcode, consent)");
    }
    const std::size_t expected_positionals = verb == "set" ? 2 : 1;
    if (args.positionals().size() != expected_positionals) {
        throw UsageError(verb == "set" ? "set needs the model and an identifier"
                                       : "unexpected argument " + args.positionals().back());
    }
    auto ctx = open(global);
    if (!ctx) return 1;
    auto& st = *ctx->store;
    auto& clock = *ctx->clock;

    if (model_name == "user") {
        ModelOps<model::User> ops;
        ops.model = "user";
        ops.label = [](const model::User& u) { return u.user_name; };
        ops.find = [&](const std::string& k) { return find_user(st, k); };
        ops.get = [&](const std::string& id) { return st.get_user(id); };
        ops.all = [&] { return st.list_users("", {0, st.count_users("")}); };
        // A directory hashes passwords itself (LDAP Password Modify): after the save, the
        // cleartext goes to the store, which ignores the local hash the attribute set.
        const auto password_arg = args.values("password");
        const auto set_directory_password = [&](model::User& u, bool created) {
            if (password_arg.empty() || password_arg.back().empty()) return store::Status::ok;
            auto st_pw = st.set_password(u, Secret(password_arg.back()));
            if (!st_pw || *st_pw == store::Status::ok) return store::Status::ok;
            if (created) (void)st.delete_user(u.id);  // nothing half-written
            return *st_pw;
        };
        ops.create = [&, set_directory_password](model::User& u) {
            auto status = st.create_user(u);
            return status == store::Status::ok ? set_directory_password(u, true) : status;
        };
        ops.update = [&, set_directory_password](model::User& u) {
            auto status = st.update_user(u);
            return status == store::Status::ok ? set_directory_password(u, false) : status;
        };
        ops.remove = [&](const std::string& id) { return st.delete_user(id); };
        ops.before_save = [&](model::User& u, const Args& a, bool creating) {
            if (creating && u.user_name.empty()) throw UsageError("--user-name is required");
            if (!a.values("password").empty() && u.password) {
                u.password_last_update = clock.now();
            }
        };
        return run_verb(verb, args, user_attrs(st, ctx->argon2), ops);
    }
    if (model_name == "client") return run_client(verb, args, st, clock);
    if (model_name == "token") return run_token(verb, args, st, clock);
    if (model_name == "authorizationcode") return run_code(verb, args, st, clock);
    if (model_name == "consent") return run_consent(verb, args, st, clock);
    ModelOps<model::Group> ops;
    ops.model = "group";
    ops.label = [](const model::Group& g) { return g.display_name; };
    ops.find = [&](const std::string& k) { return find_group(st, k); };
    ops.get = [&](const std::string& id) { return st.get_group(id); };
    ops.all = [&] { return st.list_groups("", {0, st.count_groups("")}); };
    ops.create = [&](model::Group& g) { return st.create_group(g); };
    ops.update = [&](model::Group& g) { return st.update_group(g); };
    ops.remove = [&](const std::string& id) { return st.delete_group(id); };
    ops.before_save = [](model::Group& g, const Args&, bool creating) {
        if (creating && g.display_name.empty()) throw UsageError("--display-name is required");
    };
    return run_verb(verb, args, group_attrs(st), ops);
}

}  // namespace

int cmd_create(const GlobalOptions& g, const std::vector<std::string>& a) {
    return run_model("create", g, a);
}
int cmd_get(const GlobalOptions& g, const std::vector<std::string>& a) {
    return run_model("get", g, a);
}
int cmd_set(const GlobalOptions& g, const std::vector<std::string>& a) {
    return run_model("set", g, a);
}
int cmd_delete(const GlobalOptions& g, const std::vector<std::string>& a) {
    return run_model("delete", g, a);
}

}  // namespace canaille::app

// SPDX-License-Identifier: MIT
// LdapStore: Canaille's OAuth objects (clients, authorization codes, tokens, consents) in the
// oauth2-openldap schema, under ou=oauth,<ROOT_DN>. DN-valued attributes (oauthSubject,
// oauthClient, oauthAudience) hold DNs; the models hold ids (entryUUID) and client_ids.
//
// What the schema has no attribute for (a client's created/last_modified and
// require_signed_request_object, a code's sid and consumed_at, a token's
// authorization_code_id, parent_token_id and refresh_token_consumed_at, and which string
// fields are set but empty) is kept as a flat JSON object in `ccppData`, allowed on these
// entries by the `extensibleObject` class (RFC 4512 §4.3), so Canaille's own schema stays
// untouched. See doc/store-ldap.md.
//
// Single use (consume_code, rotate_refresh_token): read the entry, check it is usable, then
// one modify with the Assertion control (RFC 4528) requiring the very `ccppData` value that
// was read and no revocation, with the Pre-Read control (RFC 4527) returning the entry as
// it was. slapd applies a modify atomically per entry, so of two racing connections exactly
// one assertion holds.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "store/ldap/ldap_conn.hpp"
#include "store/ldap/ldap_store.hpp"
#include "util/strings.hpp"

namespace canaille::store {

namespace {

using ldap::Attrs;
using ldap::Entry;
using ldap::Mod;
using ldap::Rc;
using ldap::Scope;
using ldap::status_of;

constexpr const char* kExtrasAttr = "ccppData";
constexpr const char* kExtensible = "extensibleObject";
/// oauthConsent has `MUST oauthScope`; an empty scope list is written as this value, which
/// can never be a scope (RFC 6749 §3.3: a scope token has no space) and is dropped on read.
constexpr const char* kNoScope = "(no scope)";

/// Attributes read for every OAuth entry: the user attributes and the id.
const std::vector<std::string>& all_attrs() {
    static const std::vector<std::string> attrs = {"*", "entryUUID"};
    return attrs;
}

std::string uuid_filter(std::string_view id) {
    return "(entryUUID=" + ldap::escape_filter(id) + ")";
}

std::string eq_filter(std::string_view attr, std::string_view value) {
    std::string f = "(";
    f += attr;
    f += '=';
    f += ldap::escape_filter(value);
    f += ')';
    return f;
}

TimePoint to_seconds(TimePoint t) { return std::chrono::floor<std::chrono::seconds>(t); }
void to_seconds(std::optional<TimePoint>& t) {
    if (t) t = to_seconds(*t);
}

/// issue_date + lifetime <= now, in whole seconds and without overflow (LDAP keeps seconds).
bool expired_at(TimePoint issue_date, std::int64_t lifetime, TimePoint now) {
    std::int64_t expires = 0;
    if (__builtin_add_overflow(to_unix(issue_date), lifetime, &expires)) return lifetime < 0;
    return expires <= to_unix(to_seconds(now));
}

std::optional<std::int64_t> parse_int(std::string_view s) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
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

// ---- searches LDAP cannot do (client_id and token_id are caseExact, subjects are DNs while
// the query names ids): matched here with util's fold_case ----

/// True when one of `fields`, folded, contains `folded_query` (empty matches everything).
bool matches(std::string_view folded_query, std::initializer_list<std::string_view> fields) {
    if (folded_query.empty()) return true;
    for (auto f : fields) {
        if (fold_case(f).find(folded_query) != std::string::npos) return true;
    }
    return false;
}

template <typename T>
std::vector<T> page_of(std::vector<T> all, Page page) {
    if (page.offset >= all.size()) return {};
    const auto first = all.begin() + static_cast<std::ptrdiff_t>(page.offset);
    const auto n = std::min(page.limit, all.size() - page.offset);
    return std::vector<T>(std::make_move_iterator(first),
                          std::make_move_iterator(first + static_cast<std::ptrdiff_t>(n)));
}

// ---- the ccppData extras: a flat JSON object of strings ----

using Extras = std::map<std::string, std::string>;

std::string encode_extras(const Extras& extras) {
    if (extras.empty()) return {};
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    for (const auto& [k, v] : extras) {
        w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
        w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    }
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
}

/// The JSON text `"key":"value"` exactly as encode_extras writes it (substring searches).
std::string extras_member(std::string_view key, std::string_view value) {
    std::string whole = encode_extras(Extras{{std::string(key), std::string(value)}});
    return whole.substr(1, whole.size() - 2);
}

Extras decode_extras(const Entry& e) {
    Extras out;
    auto text = e.first(kExtrasAttr);
    if (!text) return out;
    rapidjson::Document doc;
    doc.Parse(text->data(), text->size());
    if (doc.HasParseError() || !doc.IsObject()) {
        throw StoreError("ldap: " + e.dn + ": ccppData is not a JSON object");
    }
    // By index: comparing rapidjson's member iterators is ambiguous under C++20 (clang).
    for (rapidjson::SizeType i = 0; i < doc.MemberCount(); ++i) {
        const auto it = doc.MemberBegin() + i;
        if (!it->value.IsString()) continue;  // written by a newer version: ignored
        out.emplace(std::string(it->name.GetString(), it->name.GetStringLength()),
                    std::string(it->value.GetString(), it->value.GetStringLength()));
    }
    return out;
}

/// Builds the attributes of an entry from a model. Empty strings cannot be LDAP values
/// (RFC 4517 §3.3.6), so a field set to "" is named in the extras' "empty" list instead.
class AttrWriter {
  public:
    Attrs attrs;
    Extras extras;

    void str(const char* attr, const std::string& v, const char* key) {
        if (v.empty()) {
            empties_.push_back(key);
        } else {
            attrs[attr] = {v};
        }
    }
    void opt(const char* attr, const std::optional<std::string>& v, const char* key) {
        if (v) str(attr, *v, key);
    }
    void list(const char* attr, const std::vector<std::string>& v) {
        if (!v.empty()) attrs[attr] = v;
    }
    void time(const char* attr, std::optional<TimePoint> t) {
        if (t) attrs[attr] = {ldap::to_generalized_time(*t)};
    }
    void integer(const char* attr, std::optional<std::int64_t> v) {
        if (v) attrs[attr] = {std::to_string(*v)};
    }
    void boolean(const char* attr, bool v) { attrs[attr] = {v ? "TRUE" : "FALSE"}; }
    void extra(const char* key, const std::optional<std::string>& v) {
        if (v) extras[key] = *v;
    }
    void extra_time(const char* key, std::optional<TimePoint> t) {
        if (t) extras[key] = ldap::to_generalized_time(*t);
    }

    /// The ccppData text (empty = none), with the "empty" list folded in.
    std::string extras_text() {
        if (!empties_.empty()) {
            std::string joined;
            for (const auto& e : empties_) {
                if (!joined.empty()) joined += ',';
                joined += e;
            }
            extras["empty"] = joined;
        }
        return encode_extras(extras);
    }

    /// Adds objectClass and ccppData (with extensibleObject when there are extras).
    void finish(const char* object_class) {
        std::string data = extras_text();
        if (data.empty()) {
            attrs["objectClass"] = {object_class};
        } else {
            attrs["objectClass"] = {object_class, kExtensible};
            attrs[kExtrasAttr] = {std::move(data)};
        }
    }

  private:
    std::vector<std::string> empties_;
};

/// Reads model fields back from an entry (the inverse of AttrWriter).
class AttrReader {
  public:
    explicit AttrReader(const Entry& e) : e_(e), extras_(decode_extras(e)) {
        auto it = extras_.find("empty");
        if (it != extras_.end()) {
            for (auto part : split(it->second, ',')) empties_.emplace(part);
        }
    }

    const Extras& extras() const { return extras_; }

    std::string str(const char* attr, const char* key, const std::string& fallback) const {
        if (auto v = e_.first(attr)) return *v;
        return empties_.count(key) != 0 ? std::string() : fallback;
    }
    std::optional<std::string> opt(const char* attr, const char* key) const {
        if (auto v = e_.first(attr)) return v;
        if (empties_.count(key) != 0) return std::string();
        return std::nullopt;
    }
    std::vector<std::string> list(const char* attr) const { return e_.values(attr); }
    std::optional<TimePoint> time(const char* attr) const {
        auto v = e_.first(attr);
        if (!v) return std::nullopt;
        return ldap::from_generalized_time(*v);
    }
    std::optional<std::int64_t> integer(const char* attr) const {
        auto v = e_.first(attr);
        if (!v) return std::nullopt;
        return parse_int(*v);
    }
    bool boolean(const char* attr) const {
        auto v = e_.first(attr);
        return v && iequals(*v, "TRUE");
    }
    std::optional<std::string> extra(const char* key) const {
        auto it = extras_.find(key);
        if (it == extras_.end()) return std::nullopt;
        return it->second;
    }
    std::optional<TimePoint> extra_time(const char* key) const {
        auto v = extra(key);
        if (!v) return std::nullopt;
        return ldap::from_generalized_time(*v);
    }

  private:
    const Entry& e_;
    Extras extras_;
    std::set<std::string, std::less<>> empties_;
};

/// The client's optional text fields: attribute, member, and the name it has in the extras'
/// "empty" list when set to "".
struct ClientText {
    const char* attr;
    std::optional<std::string> model::Client::*field;
    const char* key;
};
const ClientText kClientTexts[] = {
    {"oauthClientSecret", &model::Client::client_secret, "client_secret"},
    {"description", &model::Client::description, "description"},
    {"oauthTokenEndpointAuthSigningAlg", &model::Client::token_endpoint_auth_signing_alg,
     "token_endpoint_auth_signing_alg"},
    {"oauthClientName", &model::Client::client_name, "client_name"},
    {"oauthClientURI", &model::Client::client_uri, "client_uri"},
    {"oauthLogoURI", &model::Client::logo_uri, "logo_uri"},
    {"oauthTermsOfServiceURI", &model::Client::tos_uri, "tos_uri"},
    {"oauthPolicyURI", &model::Client::policy_uri, "policy_uri"},
    {"oauthJWKURI", &model::Client::jwks_uri, "jwks_uri"},
    {"oauthJWK", &model::Client::jwks, "jwks"},
    {"oauthSectorIdentifierURI", &model::Client::sector_identifier_uri, "sector_identifier_uri"},
    {"oauthSubjectType", &model::Client::subject_type, "subject_type"},
    {"oauthSoftwareID", &model::Client::software_id, "software_id"},
    {"oauthSoftwareVersion", &model::Client::software_version, "software_version"},
    {"oauthIdTokenEncryptedResponseAlg", &model::Client::id_token_encrypted_response_alg,
     "id_token_encrypted_response_alg"},
    {"oauthIdTokenEncryptedResponseEnc", &model::Client::id_token_encrypted_response_enc,
     "id_token_encrypted_response_enc"},
    {"oauthUserinfoSignedResponseAlg", &model::Client::userinfo_signed_response_alg,
     "userinfo_signed_response_alg"},
    {"oauthUserinfoEncryptedResponseAlg", &model::Client::userinfo_encrypted_response_alg,
     "userinfo_encrypted_response_alg"},
    {"oauthUserinfoEncryptedResponseEnc", &model::Client::userinfo_encrypted_response_enc,
     "userinfo_encrypted_response_enc"},
    {"oauthInitiateLoginURI", &model::Client::initiate_login_uri, "initiate_login_uri"},
    {"oauthRequestObjectSigningAlg", &model::Client::request_object_signing_alg,
     "request_object_signing_alg"},
    {"oauthRequestObjectEncryptionAlg", &model::Client::request_object_encryption_alg,
     "request_object_encryption_alg"},
    {"oauthRequestObjectEncryptionEnc", &model::Client::request_object_encryption_enc,
     "request_object_encryption_enc"},
};

/// Text fields the model always has (a default when the entry lacks them).
struct ClientRequiredText {
    const char* attr;
    std::string model::Client::*field;
    const char* key;
};
const ClientRequiredText kClientRequiredTexts[] = {
    {"oauthTokenEndpointAuthMethod", &model::Client::token_endpoint_auth_method,
     "token_endpoint_auth_method"},
    {"oauthApplicationType", &model::Client::application_type, "application_type"},
    {"oauthIdTokenSignedResponseAlg", &model::Client::id_token_signed_response_alg,
     "id_token_signed_response_alg"},
};

struct ClientList {
    const char* attr;
    std::vector<std::string> model::Client::*field;
};
const ClientList kClientLists[] = {
    {"oauthRedirectURIs", &model::Client::redirect_uris},
    {"oauthGrantType", &model::Client::grant_types},
    {"oauthResponseType", &model::Client::response_types},
    {"oauthScope", &model::Client::scope},
    {"oauthClientContact", &model::Client::contacts},
    {"oauthPostLogoutRedirectURI", &model::Client::post_logout_redirect_uris},
    {"oauthDefaultAcrValue", &model::Client::default_acr_values},
    {"oauthRequestURI", &model::Client::request_uris},
};

/// Every attribute a model owns on its entry: an update replaces each of them (an empty
/// replace deletes it), leaving others (oauthPreconsent, attributes of other tools) alone.
const std::vector<std::string>& client_managed_attrs() {
    static const std::vector<std::string> attrs = [] {
        std::vector<std::string> out = {"oauthIssueDate",       "oauthClientSecretExpDate",
                                        "oauthAudience",        "oauthDefaultMaxAge",
                                        "oauthRequireAuthTime", kExtrasAttr};
        for (const auto& f : kClientTexts) out.emplace_back(f.attr);
        for (const auto& f : kClientRequiredTexts) out.emplace_back(f.attr);
        for (const auto& f : kClientLists) out.emplace_back(f.attr);
        return out;
    }();
    return attrs;
}

void write_client(const model::Client& c, const std::vector<std::string>& audience_dns,
                  AttrWriter& w) {
    w.attrs["oauthClientID"] = {c.client_id};
    for (const auto& f : kClientTexts) w.opt(f.attr, c.*f.field, f.key);
    for (const auto& f : kClientRequiredTexts) w.str(f.attr, c.*f.field, f.key);
    for (const auto& f : kClientLists) w.list(f.attr, c.*f.field);
    w.time("oauthIssueDate", c.client_id_issued_at);
    w.time("oauthClientSecretExpDate", c.client_secret_expires_at);
    w.list("oauthAudience", audience_dns);
    w.integer("oauthDefaultMaxAge", c.default_max_age);
    w.boolean("oauthRequireAuthTime", c.require_auth_time);
    w.extra_time("created", c.created);
    w.extra_time("last_modified", c.last_modified);
    if (c.require_signed_request_object) w.extras["require_signed_request_object"] = "true";
    w.finish("oauthClient");
}

/// True when `dn`'s first RDN is `attr=...` (ignoring the attribute name's case).
bool rdn_is(std::string_view dn, std::string_view attr) {
    return dn.size() > attr.size() && dn[attr.size()] == '=' &&
           iequals(dn.substr(0, attr.size()), attr);
}

/// The client_id a client DN names, or nullopt for anything else (the placeholder refint
/// writes for a deleted client, a foreign DN).
std::optional<std::string> client_id_of_dn(std::string_view dn) {
    if (!rdn_is(dn, "oauthClientID")) return std::nullopt;
    return ldap::first_rdn_value(dn);
}

model::Client read_client(const Entry& e) {
    const AttrReader r(e);
    const model::Client defaults;
    model::Client c;
    c.id = e.first("entryUUID").value_or("");
    c.created = r.extra_time("created");
    c.last_modified = r.extra_time("last_modified");
    c.client_id = e.first("oauthClientID").value_or(ldap::first_rdn_value(e.dn));
    for (const auto& f : kClientTexts) c.*f.field = r.opt(f.attr, f.key);
    for (const auto& f : kClientRequiredTexts) c.*f.field = r.str(f.attr, f.key, defaults.*f.field);
    for (const auto& f : kClientLists) c.*f.field = r.list(f.attr);
    c.client_id_issued_at = r.time("oauthIssueDate");
    c.client_secret_expires_at = r.time("oauthClientSecretExpDate");
    for (const auto& dn : e.values("oauthAudience")) {
        if (auto id = client_id_of_dn(dn)) c.audience.push_back(*id);
    }
    c.default_max_age = r.integer("oauthDefaultMaxAge");
    c.require_auth_time = r.boolean("oauthRequireAuthTime");
    c.require_signed_request_object = r.extra("require_signed_request_object") == "true";
    return c;
}

/// A DN compared loosely: lower case, no space after the RDN separators.
std::string loose_dn(std::string_view dn) {
    std::string out;
    out.reserve(dn.size());
    for (std::size_t i = 0; i < dn.size(); ++i) {
        out += dn[i] >= 'A' && dn[i] <= 'Z' ? static_cast<char>(dn[i] + 0x20) : dn[i];
        if (dn[i] == ',' && (i == 0 || dn[i - 1] != '\\')) {
            while (i + 1 < dn.size() && dn[i + 1] == ' ') ++i;
        }
    }
    return out;
}

/// Resolves oauthSubject DNs to user ids, once per DN within one call. A DN outside
/// USER_BASE (refint's placeholder after a user was deleted by another tool) names nobody.
class SubjectIds {
  public:
    SubjectIds(std::function<std::optional<std::string>(std::string_view)> lookup,
               std::string_view user_base)
        : lookup_(std::move(lookup)), suffix_("," + loose_dn(user_base)) {}

    std::optional<std::string> operator()(const std::string& dn) {
        const std::string key = loose_dn(dn);
        auto it = cache_.find(key);
        if (it != cache_.end()) return it->second;
        std::optional<std::string> id;
        if (suffix_.size() > 1 && key.size() > suffix_.size() &&
            key.compare(key.size() - suffix_.size(), suffix_.size(), suffix_) == 0) {
            id = lookup_(dn);
        }
        cache_.emplace(key, id);
        return id;
    }

  private:
    std::function<std::optional<std::string>(std::string_view)> lookup_;
    std::string suffix_;
    std::map<std::string, std::optional<std::string>> cache_;
};

/// A code read back; nullopt for an orphan (its user or client is gone: refint left the
/// placeholder, or another tool deleted them).
std::optional<model::AuthorizationCode> read_code(const Entry& e, SubjectIds& subjects) {
    const AttrReader r(e);
    const model::AuthorizationCode defaults;
    model::AuthorizationCode c;
    c.id = e.first("entryUUID").value_or("");
    c.authorization_code_id =
        e.first("oauthAuthorizationCodeID").value_or(ldap::first_rdn_value(e.dn));
    c.code_hash = e.first("oauthCode").value_or("");
    auto client = client_id_of_dn(e.first("oauthClient").value_or(""));
    auto subject_dn = e.first("oauthSubject");
    if (!client || !subject_dn) return std::nullopt;
    auto subject = subjects(*subject_dn);
    if (!subject) return std::nullopt;
    c.client_id = *client;
    c.subject = *subject;
    c.redirect_uri = r.opt("oauthRedirectURI", "redirect_uri");
    c.response_type = r.str("oauthResponseType", "response_type", defaults.response_type);
    c.scope = r.list("oauthScope");
    c.nonce = r.opt("oauthNonce", "nonce");
    c.issue_date = r.time("oauthAuthorizationDate").value_or(TimePoint{});
    c.lifetime = r.integer("oauthAuthorizationLifetime").value_or(defaults.lifetime);
    c.challenge = r.opt("oauthCodeChallenge", "challenge");
    c.challenge_method = r.opt("oauthCodeChallengeMethod", "challenge_method");
    c.revokation_date = r.time("oauthRevokationDate");
    c.auth_time = r.time("oauthAuthTime");
    c.acr = r.opt("oauthACR", "acr");
    c.amr = r.list("oauthAMR");
    c.sid = r.extra("sid");
    c.consumed_at = r.extra_time("consumed_at");
    return c;
}

std::optional<model::Token> read_token(const Entry& e, SubjectIds& subjects) {
    const AttrReader r(e);
    const model::Token defaults;
    model::Token t;
    t.id = e.first("entryUUID").value_or("");
    t.token_id = e.first("oauthTokenID").value_or(ldap::first_rdn_value(e.dn));
    t.access_token_hash = e.first("oauthAccessToken").value_or("");
    t.refresh_token_hash = r.opt("oauthRefreshToken", "refresh_token_hash");
    auto client = client_id_of_dn(e.first("oauthClient").value_or(""));
    if (!client) return std::nullopt;
    t.client_id = *client;
    if (auto subject_dn = e.first("oauthSubject")) {
        auto subject = subjects(*subject_dn);
        if (!subject) return std::nullopt;
        t.subject = *subject;
    }
    t.type = r.str("oauthTokenType", "type", defaults.type);
    t.scope = r.list("oauthScope");
    t.issue_date = r.time("oauthIssueDate").value_or(TimePoint{});
    t.lifetime = r.integer("oauthTokenLifetime").value_or(defaults.lifetime);
    t.revokation_date = r.time("oauthRevokationDate");
    for (const auto& dn : e.values("oauthAudience")) {
        if (auto id = client_id_of_dn(dn)) t.audience.push_back(*id);
    }
    t.authorization_code_id = r.extra("authorization_code_id");
    t.refresh_token_consumed_at = r.extra_time("refresh_token_consumed_at");
    t.parent_token_id = r.extra("parent_token_id");
    return t;
}

std::optional<model::Consent> read_consent(const Entry& e, SubjectIds& subjects) {
    model::Consent c;
    c.id = e.first("entryUUID").value_or("");
    c.consent_id = e.first("cn").value_or(ldap::first_rdn_value(e.dn));
    // cn may hold several values; the RDN one is the consent_id.
    const std::string rdn = ldap::first_rdn_value(e.dn);
    for (const auto& v : e.values("cn")) {
        if (v == rdn) c.consent_id = v;
    }
    auto client = client_id_of_dn(e.first("oauthClient").value_or(""));
    auto subject_dn = e.first("oauthSubject");
    if (!client || !subject_dn) return std::nullopt;
    auto subject = subjects(*subject_dn);
    if (!subject) return std::nullopt;
    c.client_id = *client;
    c.subject = *subject;
    for (const auto& s : e.values("oauthScope")) {
        if (s != kNoScope) c.scope.push_back(s);
    }
    c.issue_date =
        ldap::from_generalized_time(e.first("oauthIssueDate").value_or("")).value_or(TimePoint{});
    auto revoked = e.first("oauthRevokationDate");
    if (revoked) c.revokation_date = ldap::from_generalized_time(*revoked);
    return c;
}

bool has_class(const Entry& e, std::string_view cls) {
    for (const auto& v : e.values("objectClass")) {
        if (iequals(v, cls)) return true;
    }
    return false;
}

/// The assertion that `e`'s ccppData is still what was read (compare-and-swap).
std::string extras_unchanged(const Entry& e) {
    if (auto v = e.first(kExtrasAttr)) return eq_filter(kExtrasAttr, *v);
    return std::string("(!(") + kExtrasAttr + "=*))";
}

/// Mods that set ccppData to `extras` (adding extensibleObject when the entry lacks it).
std::vector<Mod> set_extras(const Entry& e, const Extras& extras) {
    std::vector<Mod> mods;
    if (!has_class(e, kExtensible)) mods.push_back({Mod::Op::add, "objectClass", {kExtensible}});
    mods.push_back({Mod::Op::replace, kExtrasAttr, {encode_extras(extras)}});
    return mods;
}

/// Adds the entry at `dn`. A non-empty `id` is written as its entryUUID (restore; the Relax
/// Rules control); otherwise `id` receives the entryUUID the server assigned.
Status add_with_id(ldap::Connection& conn, const std::string& dn, Attrs& attrs, std::string& id,
                   const char* what) {
    const bool restore = !id.empty();
    if (restore) attrs["entryUUID"] = {id};
    const Rc rc = conn.add(dn, attrs, restore);
    if (rc != Rc::success) return status_of(rc);
    if (!restore) {
        auto e = conn.read(dn, {"entryUUID"});
        if (!e || !e->first("entryUUID")) {
            throw StoreError(std::string("ldap: ") + what + " vanished: " + dn);
        }
        id = *e->first("entryUUID");
    }
    return Status::ok;
}

}  // namespace

// ---- clients ----

Status LdapStore::create_client(model::Client& client) {
    if (client.client_id.empty()) return Status::invalid;
    model::Client row = client;
    row.audience = unique_values(row.audience);
    const std::string clients = oauth_base("clients");
    const std::string dn = "oauthClientID=" + ldap::escape_dn_value(row.client_id) + "," + clients;
    std::vector<std::string> audience_dns;
    for (const auto& a : row.audience) {
        if (a.empty()) return Status::invalid;
        const std::string adn = "oauthClientID=" + ldap::escape_dn_value(a) + "," + clients;
        if (a != row.client_id && !conn_->read(adn, {"oauthClientID"})) return Status::invalid;
        audience_dns.push_back(adn);
    }
    if (conn_->read(dn, {"oauthClientID"})) return Status::already_exists;
    if (!row.id.empty() &&
        !conn_->search(oauth_base("clients"), Scope::one, uuid_filter(row.id), {"entryUUID"})
             .empty()) {
        return Status::already_exists;
    }
    const auto now = to_seconds(clock_.now());
    if (!row.created) row.created = now;
    if (!row.last_modified) row.last_modified = now;
    to_seconds(row.created);
    to_seconds(row.last_modified);
    to_seconds(row.client_id_issued_at);
    to_seconds(row.client_secret_expires_at);

    AttrWriter w;
    write_client(row, audience_dns, w);
    const Status st = add_with_id(*conn_, dn, w.attrs, row.id, "client");
    if (st != Status::ok) return st;
    client = std::move(row);
    return Status::ok;
}

Status LdapStore::update_client(model::Client& client) {
    if (client.id.empty()) return Status::not_found;
    const std::string clients = oauth_base("clients");
    auto found =
        conn_->search(clients, Scope::one,
                      "(&(objectClass=oauthClient)" + uuid_filter(client.id) + ")", all_attrs());
    if (found.empty()) return Status::not_found;
    const Entry& stored_entry = found.front();
    const model::Client stored = read_client(stored_entry);
    if (stored.client_id != client.client_id) return Status::invalid;
    // Compare-and-swap on last_modified: the caller's copy must be the latest one.
    if (client.last_modified && to_seconds(*client.last_modified) != stored.last_modified) {
        return Status::conflict;
    }
    model::Client row = client;
    row.audience = unique_values(row.audience);
    std::vector<std::string> audience_dns;
    for (const auto& a : row.audience) {
        if (a.empty()) return Status::invalid;
        const std::string adn = "oauthClientID=" + ldap::escape_dn_value(a) + "," + clients;
        if (a != row.client_id && !conn_->read(adn, {"oauthClientID"})) return Status::invalid;
        audience_dns.push_back(adn);
    }
    if (!row.created) row.created = stored.created;
    to_seconds(row.created);
    to_seconds(row.client_id_issued_at);
    to_seconds(row.client_secret_expires_at);
    // Strictly after the stored value, so even a clock standing still (or LDAP's whole
    // seconds) lets the compare-and-swap see every intervening write.
    TimePoint next = to_seconds(clock_.now());
    if (stored.last_modified && next <= *stored.last_modified) {
        next = *stored.last_modified + std::chrono::seconds(1);
    }
    row.last_modified = next;

    AttrWriter w;
    write_client(row, audience_dns, w);
    std::vector<Mod> mods;
    if (!has_class(stored_entry, kExtensible) && w.attrs.count(kExtrasAttr) != 0) {
        mods.push_back({Mod::Op::add, "objectClass", {kExtensible}});
    }
    for (const auto& attr : client_managed_attrs()) {
        auto it = w.attrs.find(attr);
        mods.push_back({Mod::Op::replace, attr,
                        it == w.attrs.end() ? std::vector<std::string>{} : it->second});
    }
    const Rc rc = conn_->modify(stored_entry.dn, mods, extras_unchanged(stored_entry));
    if (rc != Rc::success) return status_of(rc);
    row.id = stored.id;
    client = std::move(row);
    return Status::ok;
}

Status LdapStore::delete_client(std::string_view id) {
    auto dn = client_dn(id);
    if (!dn) return Status::not_found;
    const std::string audience = eq_filter("oauthAudience", *dn);
    // Leave every audience first, then the dependents, the client last: an interrupted
    // delete leaves a client that can be deleted again, never orphans pointing at nothing.
    for (const char* ou : {"clients", "tokens"}) {
        for (const auto& e :
             conn_->search(oauth_base(ou), Scope::one, audience, {"oauthAudience"})) {
            (void)conn_->modify(e.dn, {{Mod::Op::remove, "oauthAudience", {*dn}}});
        }
    }
    const std::string owned = eq_filter("oauthClient", *dn);
    for (const char* ou : {"consents", "authorizations", "tokens"}) {
        remove_matching(oauth_base(ou), owned);
    }
    const Rc rc = conn_->remove(*dn);
    if (rc == Rc::no_such_object) return Status::not_found;
    if (rc != Rc::success) return status_of(rc);
    return Status::ok;
}

std::optional<model::Client> LdapStore::get_client(std::string_view id) {
    if (id.empty()) return std::nullopt;
    auto found = conn_->search(oauth_base("clients"), Scope::one,
                               "(&(objectClass=oauthClient)" + uuid_filter(id) + ")", all_attrs());
    if (found.empty()) return std::nullopt;
    return read_client(found.front());
}

std::optional<model::Client> LdapStore::get_client_by_client_id(std::string_view client_id) {
    if (client_id.empty()) return std::nullopt;
    auto e = conn_->read(
        "oauthClientID=" + ldap::escape_dn_value(client_id) + "," + oauth_base("clients"),
        all_attrs());
    if (!e) return std::nullopt;
    auto c = read_client(*e);
    // RFC 6749 §2.2: case-sensitive, whatever matching rule the directory applies.
    if (c.client_id != client_id) return std::nullopt;
    return c;
}

std::vector<model::Client> LdapStore::list_clients(std::string_view query, Page page) {
    const std::string q = fold_case(query);
    std::vector<model::Client> out;
    for (const auto& e : conn_->search(oauth_base("clients"), Scope::one,
                                       "(objectClass=oauthClient)", all_attrs())) {
        auto c = read_client(e);
        if (matches(q, {c.client_id, c.client_name.value_or(""), c.description.value_or(""),
                        c.client_uri.value_or("")})) {
            out.push_back(std::move(c));
        }
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.client_id < b.client_id; });
    return page_of(std::move(out), page);
}

std::size_t LdapStore::count_clients(std::string_view query) {
    return list_clients(query, Page{0, static_cast<std::size_t>(-1)}).size();
}

// ---- authorization codes ----

Status LdapStore::create_code(model::AuthorizationCode& code) {
    if (code.authorization_code_id.empty() || code.code_hash.empty()) return Status::invalid;
    model::AuthorizationCode row = code;
    const std::string base = oauth_base("authorizations");
    const std::string dn =
        "oauthAuthorizationCodeID=" + ldap::escape_dn_value(row.authorization_code_id) + "," + base;
    const std::string cdn =
        "oauthClientID=" + ldap::escape_dn_value(row.client_id) + "," + oauth_base("clients");
    if (row.client_id.empty() || !conn_->read(cdn, {"oauthClientID"})) return Status::invalid;
    auto udn = row.subject.empty() ? std::nullopt : user_dn(row.subject);
    if (!udn) return Status::invalid;
    // A taken authorization_code_id is reported by the add itself (the RDN).
    if (!row.id.empty() &&
        !conn_->search(base, Scope::one, uuid_filter(row.id), {"entryUUID"}).empty()) {
        return Status::already_exists;
    }
    if (!conn_->search(base, Scope::one, eq_filter("oauthCode", row.code_hash), {"entryUUID"})
             .empty()) {
        return Status::conflict;
    }
    row.issue_date = to_seconds(row.issue_date);
    to_seconds(row.revokation_date);
    to_seconds(row.auth_time);
    to_seconds(row.consumed_at);

    AttrWriter w;
    w.attrs["oauthAuthorizationCodeID"] = {row.authorization_code_id};
    w.attrs["oauthCode"] = {row.code_hash};
    w.attrs["oauthClient"] = {cdn};
    w.attrs["oauthSubject"] = {*udn};
    w.opt("oauthRedirectURI", row.redirect_uri, "redirect_uri");
    w.str("oauthResponseType", row.response_type, "response_type");
    w.list("oauthScope", row.scope);
    w.opt("oauthNonce", row.nonce, "nonce");
    w.time("oauthAuthorizationDate", row.issue_date);
    w.integer("oauthAuthorizationLifetime", row.lifetime);
    w.opt("oauthCodeChallenge", row.challenge, "challenge");
    w.opt("oauthCodeChallengeMethod", row.challenge_method, "challenge_method");
    w.time("oauthRevokationDate", row.revokation_date);
    w.time("oauthAuthTime", row.auth_time);
    w.opt("oauthACR", row.acr, "acr");
    w.list("oauthAMR", row.amr);
    w.extra("sid", row.sid);
    w.extra_time("consumed_at", row.consumed_at);
    w.finish("oauthAuthorizationCode");
    const Status st = add_with_id(*conn_, dn, w.attrs, row.id, "code");
    if (st != Status::ok) return st;
    code = std::move(row);
    return Status::ok;
}

std::optional<model::AuthorizationCode> LdapStore::consume_code(std::string_view code_hash,
                                                                TimePoint now) {
    if (code_hash.empty()) return std::nullopt;
    const std::string hash_filter = eq_filter("oauthCode", code_hash);
    auto found =
        conn_->search(oauth_base("authorizations"), Scope::one,
                      "(&(objectClass=oauthAuthorizationCode)" + hash_filter + ")", all_attrs());
    if (found.empty()) return std::nullopt;
    const Entry& e = found.front();
    SubjectIds subjects([this](std::string_view dn) { return id_of(dn); }, options_.user_base);
    auto code = read_code(e, subjects);
    if (!code || code->code_hash != code_hash || code->consumed_at || code->revokation_date ||
        expired_at(code->issue_date, code->lifetime, now)) {
        return std::nullopt;
    }
    // RFC 6749 §4.1.2: single use. The assertion requires the extras as read (so no
    // consumed_at yet) and no revocation: of two racing connections one modify matches.
    Extras extras = decode_extras(e);
    const auto stamp = to_seconds(now);
    extras["consumed_at"] = ldap::to_generalized_time(stamp);
    const std::string assertion =
        "(&" + hash_filter + "(!(oauthRevokationDate=*))" + extras_unchanged(e) + ")";
    auto before = conn_->modify_pre_read(e.dn, set_extras(e, extras), assertion, all_attrs());
    if (!before) return std::nullopt;
    auto won = read_code(*before, subjects);
    if (!won) return std::nullopt;
    won->consumed_at = stamp;
    return won;
}

namespace {
/// The first entry of class `cls` directly under `base` whose `attr` equals `value`, as a
/// model (`read`) that `same` confirms: the server's matching rule may be looser than the
/// model's exact comparison.
template <typename Read, typename Same>
auto find_one(ldap::Connection& conn, const std::string& base, std::string_view cls,
              std::string_view attr, std::string_view value, Read&& read, Same&& same)
    -> decltype(read(std::declval<const Entry&>())) {
    const std::string filter = "(&" + eq_filter("objectClass", cls) + eq_filter(attr, value) + ")";
    for (const auto& e : conn.search(base, Scope::one, filter, all_attrs())) {
        auto m = read(e);
        if (m && same(*m)) return m;
    }
    return std::nullopt;
}
}  // namespace

std::optional<model::AuthorizationCode> LdapStore::get_code_by_hash(std::string_view code_hash) {
    if (code_hash.empty()) return std::nullopt;
    SubjectIds subjects([this](std::string_view dn) { return id_of(dn); }, options_.user_base);
    return find_one(
        *conn_, oauth_base("authorizations"), "oauthAuthorizationCode", "oauthCode", code_hash,
        [&](const Entry& e) { return read_code(e, subjects); },
        [&](const model::AuthorizationCode& c) { return c.code_hash == code_hash; });
}

std::optional<model::AuthorizationCode> LdapStore::get_code(
    std::string_view authorization_code_id) {
    if (authorization_code_id.empty()) return std::nullopt;
    auto e =
        conn_->read("oauthAuthorizationCodeID=" + ldap::escape_dn_value(authorization_code_id) +
                        "," + oauth_base("authorizations"),
                    all_attrs());
    if (!e) return std::nullopt;
    SubjectIds subjects([this](std::string_view dn) { return id_of(dn); }, options_.user_base);
    auto c = read_code(*e, subjects);
    if (!c || c->authorization_code_id != authorization_code_id) return std::nullopt;
    return c;
}

Status LdapStore::delete_code(std::string_view authorization_code_id) {
    if (authorization_code_id.empty()) return Status::not_found;
    const Rc rc =
        conn_->remove("oauthAuthorizationCodeID=" + ldap::escape_dn_value(authorization_code_id) +
                      "," + oauth_base("authorizations"));
    if (rc == Rc::success) return Status::ok;
    if (rc == Rc::no_such_object) return Status::not_found;
    return status_of(rc);
}

std::vector<model::AuthorizationCode> LdapStore::list_codes(Page page) {
    SubjectIds subjects([this](std::string_view dn) { return id_of(dn); }, options_.user_base);
    std::vector<model::AuthorizationCode> out;
    for (const auto& e : conn_->search(oauth_base("authorizations"), Scope::one,
                                       "(objectClass=oauthAuthorizationCode)", all_attrs())) {
        if (auto c = read_code(e, subjects)) out.push_back(std::move(*c));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        if (a.issue_date != b.issue_date) return a.issue_date < b.issue_date;
        return a.authorization_code_id < b.authorization_code_id;
    });
    return page_of(std::move(out), page);
}

// ---- tokens ----

Status LdapStore::create_token(model::Token& token) {
    if (token.token_id.empty() || token.access_token_hash.empty()) return Status::invalid;
    if (token.refresh_token_hash && token.refresh_token_hash->empty()) return Status::invalid;
    model::Token row = token;
    row.audience = unique_values(row.audience);
    const std::string base = oauth_base("tokens");
    const std::string clients = oauth_base("clients");
    const std::string dn = "oauthTokenID=" + ldap::escape_dn_value(row.token_id) + "," + base;
    const std::string cdn = "oauthClientID=" + ldap::escape_dn_value(row.client_id) + "," + clients;
    if (row.client_id.empty() || !conn_->read(cdn, {"oauthClientID"})) return Status::invalid;
    std::optional<std::string> udn;
    if (row.subject) {
        udn = row.subject->empty() ? std::nullopt : user_dn(*row.subject);
        if (!udn) return Status::invalid;
    }
    std::vector<std::string> audience_dns;
    for (const auto& a : row.audience) {
        if (a.empty()) return Status::invalid;
        const std::string adn = "oauthClientID=" + ldap::escape_dn_value(a) + "," + clients;
        if (!conn_->read(adn, {"oauthClientID"})) return Status::invalid;
        audience_dns.push_back(adn);
    }
    // A taken token_id is reported by the add itself (the RDN): one round trip less.
    if (!row.id.empty() &&
        !conn_->search(base, Scope::one, uuid_filter(row.id), {"entryUUID"}).empty()) {
        return Status::already_exists;
    }
    std::string taken = "(|" + eq_filter("oauthAccessToken", row.access_token_hash);
    if (row.refresh_token_hash) taken += eq_filter("oauthRefreshToken", *row.refresh_token_hash);
    taken += ")";
    if (!conn_->search(base, Scope::one, taken, {"entryUUID"}).empty()) return Status::conflict;
    row.issue_date = to_seconds(row.issue_date);
    to_seconds(row.revokation_date);
    to_seconds(row.refresh_token_consumed_at);

    AttrWriter w;
    w.attrs["oauthTokenID"] = {row.token_id};
    w.attrs["oauthAccessToken"] = {row.access_token_hash};
    w.opt("oauthRefreshToken", row.refresh_token_hash, "refresh_token_hash");
    w.attrs["oauthClient"] = {cdn};
    if (udn) w.attrs["oauthSubject"] = {*udn};
    w.str("oauthTokenType", row.type, "type");
    w.list("oauthScope", row.scope);
    w.time("oauthIssueDate", row.issue_date);
    w.integer("oauthTokenLifetime", row.lifetime);
    w.time("oauthRevokationDate", row.revokation_date);
    w.list("oauthAudience", audience_dns);
    w.extra("authorization_code_id", row.authorization_code_id);
    w.extra_time("refresh_token_consumed_at", row.refresh_token_consumed_at);
    w.extra("parent_token_id", row.parent_token_id);
    w.finish("oauthToken");
    const Status st = add_with_id(*conn_, dn, w.attrs, row.id, "token");
    if (st != Status::ok) return st;
    token = std::move(row);
    return Status::ok;
}

std::optional<model::Token> LdapStore::get_token(std::string_view token_id) {
    if (token_id.empty()) return std::nullopt;
    auto e =
        conn_->read("oauthTokenID=" + ldap::escape_dn_value(token_id) + "," + oauth_base("tokens"),
                    all_attrs());
    if (!e) return std::nullopt;
    SubjectIds subjects([this](std::string_view dn) { return id_of(dn); }, options_.user_base);
    auto t = read_token(*e, subjects);
    if (!t || t->token_id != token_id) return std::nullopt;
    return t;
}

std::optional<model::Token> LdapStore::get_token_by_access_hash(
    std::string_view access_token_hash) {
    if (access_token_hash.empty()) return std::nullopt;
    SubjectIds subjects([this](std::string_view dn) { return id_of(dn); }, options_.user_base);
    return find_one(
        *conn_, oauth_base("tokens"), "oauthToken", "oauthAccessToken", access_token_hash,
        [&](const Entry& e) { return read_token(e, subjects); },
        [&](const model::Token& t) { return t.access_token_hash == access_token_hash; });
}

std::optional<model::Token> LdapStore::get_token_by_refresh_hash(
    std::string_view refresh_token_hash) {
    if (refresh_token_hash.empty()) return std::nullopt;
    SubjectIds subjects([this](std::string_view dn) { return id_of(dn); }, options_.user_base);
    return find_one(
        *conn_, oauth_base("tokens"), "oauthToken", "oauthRefreshToken", refresh_token_hash,
        [&](const Entry& e) { return read_token(e, subjects); },
        [&](const model::Token& t) { return t.refresh_token_hash == refresh_token_hash; });
}

std::optional<model::Token> LdapStore::rotate_refresh_token(std::string_view refresh_hash,
                                                            TimePoint now) {
    if (refresh_hash.empty()) return std::nullopt;
    const std::string hash_filter = eq_filter("oauthRefreshToken", refresh_hash);
    auto found = conn_->search(oauth_base("tokens"), Scope::one,
                               "(&(objectClass=oauthToken)" + hash_filter + ")", all_attrs());
    if (found.empty()) return std::nullopt;
    const Entry& e = found.front();
    SubjectIds subjects([this](std::string_view dn) { return id_of(dn); }, options_.user_base);
    auto token = read_token(e, subjects);
    if (!token || token->refresh_token_hash != refresh_hash || token->refresh_token_consumed_at ||
        token->revokation_date || expired_at(token->issue_date, token->lifetime, now)) {
        return std::nullopt;
    }
    // Same single-winner modify as consume_code; the access token is revoked in that step.
    Extras extras = decode_extras(e);
    const auto stamp = to_seconds(now);
    const std::string stamp_text = ldap::to_generalized_time(stamp);
    extras["refresh_token_consumed_at"] = stamp_text;
    auto mods = set_extras(e, extras);
    mods.push_back({Mod::Op::replace, "oauthRevokationDate", {stamp_text}});
    const std::string assertion =
        "(&" + hash_filter + "(!(oauthRevokationDate=*))" + extras_unchanged(e) + ")";
    auto before = conn_->modify_pre_read(e.dn, mods, assertion, all_attrs());
    if (!before) return std::nullopt;
    auto won = read_token(*before, subjects);
    if (!won) return std::nullopt;
    won->refresh_token_consumed_at = stamp;
    won->revokation_date = stamp;
    return won;
}

Status LdapStore::revoke_token(std::string_view token_id, TimePoint now) {
    if (token_id.empty()) return Status::not_found;
    const std::string dn =
        "oauthTokenID=" + ldap::escape_dn_value(token_id) + "," + oauth_base("tokens");
    const Rc rc = conn_->modify(
        dn,
        {{Mod::Op::replace, "oauthRevokationDate", {ldap::to_generalized_time(to_seconds(now))}}},
        std::string_view("(!(oauthRevokationDate=*))"));
    // An assertion failure means it was already revoked: the first date is kept.
    if (rc == Rc::success || rc == Rc::assertion_failed) return Status::ok;
    return status_of(rc);
}

namespace {

/// Revokes the not yet revoked tokens among `entries`; returns how many this call revoked.
std::size_t revoke_entries(ldap::Connection& conn, const std::vector<Entry>& entries,
                           TimePoint now) {
    std::size_t n = 0;
    const std::string stamp = ldap::to_generalized_time(to_seconds(now));
    for (const auto& e : entries) {
        const Rc rc = conn.modify(e.dn, {{Mod::Op::replace, "oauthRevokationDate", {stamp}}},
                                  std::string_view("(!(oauthRevokationDate=*))"));
        if (rc == Rc::success) ++n;
    }
    return n;
}

}  // namespace

std::size_t LdapStore::revoke_tokens_by_code(std::string_view authorization_code_id,
                                             TimePoint now) {
    if (authorization_code_id.empty()) return 0;
    // The code id lives in ccppData: a substring search, then an exact check.
    const std::string member = extras_member("authorization_code_id", authorization_code_id);
    auto found =
        conn_->search(oauth_base("tokens"), Scope::one,
                      "(&(objectClass=oauthToken)(!(oauthRevokationDate=*))(" +
                          std::string(kExtrasAttr) + "=*" + ldap::escape_filter(member) + "*))",
                      all_attrs());
    std::vector<Entry> family;
    for (auto& e : found) {
        if (AttrReader(e).extra("authorization_code_id") == authorization_code_id) {
            family.push_back(std::move(e));
        }
    }
    return revoke_entries(*conn_, family, now);
}

std::size_t LdapStore::revoke_tokens_of(std::string_view subject, std::string_view client_id,
                                        TimePoint now) {
    if (subject.empty() || client_id.empty()) return 0;
    auto udn = user_dn(subject);
    if (!udn) return 0;
    const std::string cdn =
        "oauthClientID=" + ldap::escape_dn_value(client_id) + "," + oauth_base("clients");
    auto found =
        conn_->search(oauth_base("tokens"), Scope::one,
                      "(&(objectClass=oauthToken)(!(oauthRevokationDate=*))" +
                          eq_filter("oauthSubject", *udn) + eq_filter("oauthClient", cdn) + ")",
                      {"oauthTokenID"});
    return revoke_entries(*conn_, found, now);
}

std::vector<model::Token> LdapStore::list_tokens(std::string_view query, Page page) {
    const std::string q = fold_case(query);
    SubjectIds subjects([this](std::string_view dn) { return id_of(dn); }, options_.user_base);
    std::vector<model::Token> out;
    for (const auto& e :
         conn_->search(oauth_base("tokens"), Scope::one, "(objectClass=oauthToken)", all_attrs())) {
        auto t = read_token(e, subjects);
        if (!t) continue;
        if (matches(q, {t->token_id, t->client_id, t->subject.value_or(""), t->type})) {
            out.push_back(std::move(*t));
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        if (a.issue_date != b.issue_date) return a.issue_date > b.issue_date;
        return a.token_id < b.token_id;
    });
    return page_of(std::move(out), page);
}

std::size_t LdapStore::count_tokens(std::string_view query) {
    return list_tokens(query, Page{0, static_cast<std::size_t>(-1)}).size();
}

// ---- consents ----

Status LdapStore::create_consent(model::Consent& consent) {
    if (consent.consent_id.empty()) return Status::invalid;
    model::Consent row = consent;
    const std::string base = oauth_base("consents");
    const std::string dn = "cn=" + ldap::escape_dn_value(row.consent_id) + "," + base;
    auto udn = row.subject.empty() ? std::nullopt : user_dn(row.subject);
    if (!udn) return Status::invalid;
    const std::string cdn =
        "oauthClientID=" + ldap::escape_dn_value(row.client_id) + "," + oauth_base("clients");
    if (row.client_id.empty() || !conn_->read(cdn, {"oauthClientID"})) return Status::invalid;
    if (conn_->read(dn, {"entryUUID"})) return Status::already_exists;
    if (!row.id.empty() &&
        !conn_->search(base, Scope::one, uuid_filter(row.id), {"entryUUID"}).empty()) {
        return Status::already_exists;
    }
    // At most one consent per (user, client). Checked before the add: LDAP has no unique
    // constraint over two attributes.
    if (!conn_
             ->search(base, Scope::one,
                      "(&(objectClass=oauthConsent)" + eq_filter("oauthSubject", *udn) +
                          eq_filter("oauthClient", cdn) + ")",
                      {"cn"})
             .empty()) {
        return Status::conflict;
    }
    row.issue_date = to_seconds(row.issue_date);
    to_seconds(row.revokation_date);
    Attrs attrs;
    attrs["objectClass"] = {"oauthConsent"};
    attrs["cn"] = {row.consent_id};
    attrs["oauthSubject"] = {*udn};
    attrs["oauthClient"] = {cdn};
    attrs["oauthScope"] = row.scope.empty() ? std::vector<std::string>{kNoScope} : row.scope;
    attrs["oauthIssueDate"] = {ldap::to_generalized_time(row.issue_date)};
    if (row.revokation_date) {
        attrs["oauthRevokationDate"] = {ldap::to_generalized_time(*row.revokation_date)};
    }
    const Status st = add_with_id(*conn_, dn, attrs, row.id, "consent");
    if (st != Status::ok) return st;
    consent = std::move(row);
    return Status::ok;
}

Status LdapStore::update_consent(model::Consent& consent) {
    if (consent.id.empty()) return Status::not_found;
    auto found =
        conn_->search(oauth_base("consents"), Scope::one,
                      "(&(objectClass=oauthConsent)" + uuid_filter(consent.id) + ")", all_attrs());
    if (found.empty()) return Status::not_found;
    SubjectIds subjects([this](std::string_view dn) { return id_of(dn); }, options_.user_base);
    auto stored = read_consent(found.front(), subjects);
    if (!stored || stored->consent_id != consent.consent_id || stored->subject != consent.subject ||
        stored->client_id != consent.client_id) {
        return Status::invalid;
    }
    model::Consent row = consent;
    row.issue_date = to_seconds(row.issue_date);
    to_seconds(row.revokation_date);
    std::vector<Mod> mods = {
        {Mod::Op::replace, "oauthScope",
         row.scope.empty() ? std::vector<std::string>{kNoScope} : row.scope},
        {Mod::Op::replace, "oauthIssueDate", {ldap::to_generalized_time(row.issue_date)}},
        {Mod::Op::replace, "oauthRevokationDate",
         row.revokation_date
             ? std::vector<std::string>{ldap::to_generalized_time(*row.revokation_date)}
             : std::vector<std::string>{}},
    };
    const Rc rc = conn_->modify(found.front().dn, mods);
    if (rc != Rc::success) return status_of(rc);
    consent = std::move(row);
    return Status::ok;
}

std::optional<model::Consent> LdapStore::get_consent(std::string_view consent_id) {
    if (consent_id.empty()) return std::nullopt;
    auto e = conn_->read("cn=" + ldap::escape_dn_value(consent_id) + "," + oauth_base("consents"),
                         all_attrs());
    if (!e) return std::nullopt;
    SubjectIds subjects([this](std::string_view dn) { return id_of(dn); }, options_.user_base);
    auto c = read_consent(*e, subjects);
    // cn matches ignoring case; consent ids are compared exactly, like the SQL stores.
    if (!c || c->consent_id != consent_id) return std::nullopt;
    return c;
}

std::optional<model::Consent> LdapStore::get_consent_for(std::string_view subject,
                                                         std::string_view client_id) {
    if (subject.empty() || client_id.empty()) return std::nullopt;
    auto udn = user_dn(subject);
    if (!udn) return std::nullopt;
    const std::string cdn =
        "oauthClientID=" + ldap::escape_dn_value(client_id) + "," + oauth_base("clients");
    SubjectIds subjects([this](std::string_view dn) { return id_of(dn); }, options_.user_base);
    for (const auto& e :
         conn_->search(oauth_base("consents"), Scope::one,
                       "(&(objectClass=oauthConsent)" + eq_filter("oauthSubject", *udn) +
                           eq_filter("oauthClient", cdn) + ")",
                       all_attrs())) {
        auto c = read_consent(e, subjects);
        if (c && c->subject == subject && c->client_id == client_id) return c;
    }
    return std::nullopt;
}

std::vector<model::Consent> LdapStore::list_consents_of(std::string_view subject) {
    if (subject.empty()) return {};
    auto udn = user_dn(subject);
    if (!udn) return {};
    SubjectIds subjects([this](std::string_view dn) { return id_of(dn); }, options_.user_base);
    std::vector<model::Consent> out;
    for (const auto& e : conn_->search(
             oauth_base("consents"), Scope::one,
             "(&(objectClass=oauthConsent)" + eq_filter("oauthSubject", *udn) + ")", all_attrs())) {
        if (auto c = read_consent(e, subjects)) out.push_back(std::move(*c));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        if (a.issue_date != b.issue_date) return a.issue_date < b.issue_date;
        return a.consent_id < b.consent_id;
    });
    return out;
}

Status LdapStore::delete_consent(std::string_view consent_id) {
    if (!get_consent(consent_id)) return Status::not_found;
    const Rc rc =
        conn_->remove("cn=" + ldap::escape_dn_value(consent_id) + "," + oauth_base("consents"));
    if (rc == Rc::success) return Status::ok;
    if (rc == Rc::no_such_object) return Status::not_found;
    return status_of(rc);
}

// ---- cascades and maintenance ----

void LdapStore::delete_oauth_objects_of_user(std::string_view user_dn) {
    const std::string owned = eq_filter("oauthSubject", user_dn);
    for (const char* ou : {"consents", "authorizations", "tokens"}) {
        remove_matching(oauth_base(ou), owned);
    }
}

void LdapStore::purge_oauth_objects(TimePoint now, PurgeCounts& counts) {
    // issue_date + lifetime is not expressible in a filter: read the two attributes and
    // decide here. Orphans (subject or client replaced by refint's placeholder, or pointing
    // outside USER_BASE / the clients) go too.
    const std::string user_suffix = "," + loose_dn(options_.user_base);
    auto orphan = [&](const Entry& e) {
        auto client = e.first("oauthClient");
        if (client && !client_id_of_dn(*client)) return true;
        auto subject = e.first("oauthSubject");
        if (!subject) return false;
        const std::string s = loose_dn(*subject);
        return s.size() <= user_suffix.size() ||
               s.compare(s.size() - user_suffix.size(), user_suffix.size(), user_suffix) != 0;
    };
    auto purge = [&](const char* ou, const char* cls, const char* date_attr,
                     const char* lifetime_attr, std::int64_t default_lifetime) {
        std::size_t n = 0;
        for (const auto& e :
             conn_->search(oauth_base(ou), Scope::one, std::string("(objectClass=") + cls + ")",
                           {date_attr, lifetime_attr, "oauthSubject", "oauthClient"})) {
            auto issued = ldap::from_generalized_time(e.first(date_attr).value_or(""));
            const auto lifetime =
                parse_int(e.first(lifetime_attr).value_or("")).value_or(default_lifetime);
            const bool dead = !issued || expired_at(*issued, lifetime, now) || orphan(e);
            if (dead && conn_->remove(e.dn) == Rc::success) ++n;
        }
        return n;
    };
    counts.codes += purge("authorizations", "oauthAuthorizationCode", "oauthAuthorizationDate",
                          "oauthAuthorizationLifetime", model::AuthorizationCode{}.lifetime);
    counts.tokens += purge("tokens", "oauthToken", "oauthIssueDate", "oauthTokenLifetime",
                           model::Token{}.lifetime);
}

}  // namespace canaille::store

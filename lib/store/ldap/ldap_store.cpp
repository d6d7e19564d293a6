// SPDX-License-Identifier: MIT
// Users, groups, sessions, replay records, install and password checks of the LDAP store.
// The OAuth objects are in ldap_oidc.cpp. How the model maps to entries: doc/store-ldap.md.
#include "store/ldap/ldap_store.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "util/base64.hpp"
#include "util/hash.hpp"
#include "util/random.hpp"
#include "util/strings.hpp"

#ifndef CANAILLE_LDAP_SCHEMA_DIR
#define CANAILLE_LDAP_SCHEMA_DIR "ldap-schemas"
#endif

namespace canaille::store {

using ldap::Attrs;
using ldap::Entry;
using ldap::escape_dn_value;
using ldap::escape_filter;
using ldap::from_generalized_time;
using ldap::Mod;
using ldap::Rc;
using ldap::Scope;
using ldap::status_of;
using ldap::to_generalized_time;

namespace {

constexpr const char* kUserExtras = "ccppUserExtras";
constexpr const char* kObjectExtras = "ccppObjectExtras";
constexpr const char* kEmptyGroup = "ccppEmptyGroup";
constexpr const char* kEmptyAttr = "ccppEmptyAttr";
constexpr const char* kFillerAttr = "ccppFillerAttr";

/// OIDs whose presence in cn=subschema says a schema is loaded (one per schema file: the
/// newest class of each, so an older canaille-cpp counts as missing).
constexpr const char* kOauthMarkerOid = "1.3.6.1.4.1.56207.1.2.4";  // oauthConsent
constexpr const char* kCanailleMarkerOid = "1.3.6.1.3.7391.2.6";    // ccppObjectExtras

/// entryUUIDs are RFC 4122 text; anything else cannot name an entry, so it is not even
/// sent to the server.
bool valid_uuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return true;
}

std::string gt(TimePoint t) { return to_generalized_time(t); }

TimePoint to_seconds(TimePoint t) {
    return TimePoint(std::chrono::duration_cast<Seconds>(t.time_since_epoch()));
}

std::optional<TimePoint> time_of(const Entry& e, std::string_view attr) {
    auto v = e.first(attr);
    if (!v) return std::nullopt;
    return from_generalized_time(*v);
}

bool contains_ci(const std::vector<std::string>& values, std::string_view v) {
    return std::any_of(values.begin(), values.end(),
                       [&](const std::string& x) { return iequals(x, v); });
}

/// DNs compare here by their text, ignoring ASCII case: every DN the store compares was
/// written by the store (or by refint/memberof, which copy it verbatim).
bool same_dn(std::string_view a, std::string_view b) { return iequals(a, b); }

bool under(std::string_view dn, std::string_view base) {
    if (dn.size() <= base.size() + 1) return false;
    return dn[dn.size() - base.size() - 1] == ',' &&
           iequals(dn.substr(dn.size() - base.size()), base);
}

/// RFC 4517 §3.3.28 Postal Address: lines separated by '$', with '$' and '\' escaped.
std::string encode_postal(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '\n') {
            out += '$';
        } else if (c == '$') {
            out += "\\24";
        } else if (c == '\\') {
            out += "\\5C";
        } else {
            out += c;
        }
    }
    return out;
}

std::string decode_postal(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '$') {
            out += '\n';
        } else if (s[i] == '\\' && i + 2 < s.size()) {
            const std::string_view hex = s.substr(i + 1, 2);
            if (iequals(hex, "24")) {
                out += '$';
                i += 2;
            } else if (iequals(hex, "5c")) {
                out += '\\';
                i += 2;
            } else {
                out += s[i];
            }
        } else {
            out += s[i];
        }
    }
    return out;
}

/// userPassword values carry an RFC 3112 "{SCHEME}" tag. The model holds bare hashes
/// ("$argon2id$...", crypt's "$6$..."): tag them so slapd keeps them as they are (ppolicy's
/// hash-cleartext would hash them again) and can check them on bind ({ARGON2} needs slapd's
/// argon2 module, which install() loads when it manages cn=config).
std::string encode_password(const std::string& v) {
    if (starts_with(v, "$argon2")) return "{ARGON2}" + v;
    if (starts_with(v, "$")) return "{CRYPT}" + v;
    return v;
}

std::string decode_password(const std::string& v) {
    if (starts_with(v, "{ARGON2}$argon2")) return v.substr(8);
    if (starts_with(v, "{CRYPT}$")) return v.substr(7);
    return v;
}

std::string encode_value(std::string_view attr, const std::string& v) {
    if (attr == "postalAddress") return encode_postal(v);
    if (attr == "userPassword") return encode_password(v);
    return v;
}

std::string decode_value(std::string_view attr, const std::string& v) {
    if (attr == "postalAddress") return decode_postal(v);
    if (attr == "userPassword") return decode_password(v);
    return v;
}

/// Optional string fields of a user and their attributes (reference §4).
struct UserStringField {
    const char* attr;
    std::optional<std::string> model::User::*field;
    bool must;  ///< inetOrgPerson (person) requires it: filled with the user_name when unset
};

const UserStringField kUserStrings[] = {
    {"userPassword", &model::User::password, false},
    {"preferredLanguage", &model::User::preferred_language, false},
    {"sn", &model::User::family_name, true},
    {"givenName", &model::User::given_name, false},
    {"cn", &model::User::formatted_name, true},
    {"displayName", &model::User::display_name, false},
    {"postalAddress", &model::User::formatted_address, false},
    {"street", &model::User::street, false},
    {"postalCode", &model::User::postal_code, false},
    {"l", &model::User::locality, false},
    {"st", &model::User::region, false},
    {"jpegPhoto", &model::User::photo, false},
    {"labeledURI", &model::User::profile_url, false},
    {"title", &model::User::title, false},
    {"o", &model::User::organization, false},
    {"employeeNumber", &model::User::employee_number, false},
    {"departmentNumber", &model::User::department, false},
    {"ccppOtpSecret", &model::User::secret_token, false},
    {"ccppOneTimePassword", &model::User::one_time_password, false},
};

struct UserTimeField {
    const char* attr;
    std::optional<TimePoint> model::User::*field;
};

const UserTimeField kUserTimes[] = {
    {"ccppCreated", &model::User::created},
    {"ccppModified", &model::User::last_modified},
    {"ccppPasswordLastUpdate", &model::User::password_last_update},
    {"ccppLockDate", &model::User::lock_date},
    {"ccppLastOtpLogin", &model::User::last_otp_login},
    {"ccppOtpEmissionDate", &model::User::one_time_password_emission_date},
};

const std::vector<std::string> kUserReadAttrs = {"*", "entryUUID", "memberOf"};
const std::vector<std::string> kGroupReadAttrs = {"*", "entryUUID"};
const std::vector<std::string> kNoAttrs = {"1.1"};

/// An email list the store accepts: non-empty addresses, none twice (ignoring case).
bool valid_emails(const std::vector<std::string>& emails) {
    for (std::size_t i = 0; i < emails.size(); ++i) {
        if (emails[i].empty()) return false;
        for (std::size_t j = 0; j < i; ++j) {
            if (iequals(emails[i], emails[j])) return false;
        }
    }
    return true;
}

/// A small parser for the cn=config LDIF files we ship (RFC 2849 subset: one content
/// record, folded lines, comments, "attr: value" and "attr:: base64").
std::pair<std::string, Attrs> parse_schema_ldif(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw StoreError("cannot read LDAP schema file " + path);
    std::ostringstream buf;
    buf << in.rdbuf();
    const std::string text = buf.str();
    if (text.size() > (1u << 20)) throw StoreError("LDAP schema file too large: " + path);
    std::vector<std::string> lines;
    std::istringstream ls(text);
    std::string line;
    while (std::getline(ls, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty() && line.front() == '#') continue;
        if (!line.empty() && line.front() == ' ' && !lines.empty()) {
            lines.back() += line.substr(1);
        } else if (!line.empty()) {
            lines.push_back(line);
        }
    }
    std::string dn;
    Attrs attrs;
    for (const auto& l : lines) {
        auto colon = l.find(':');
        if (colon == std::string::npos || colon == 0) {
            throw StoreError("bad line in LDAP schema file " + path);
        }
        std::string name = l.substr(0, colon);
        std::string value;
        if (colon + 1 < l.size() && l[colon + 1] == ':') {
            auto decoded = base64_decode(std::string(trim(l.substr(colon + 2))));
            if (!decoded) throw StoreError("bad base64 in LDAP schema file " + path);
            value = *decoded;
        } else {
            value = std::string(trim(l.substr(colon + 1)));
        }
        if (iequals(name, "dn")) {
            dn = value;
        } else {
            attrs[name].push_back(value);
        }
    }
    if (dn.empty()) throw StoreError("no dn in LDAP schema file " + path);
    return {dn, attrs};
}

/// The numeric OIDs defined by olcAttributeTypes / olcObjectClasses values.
std::vector<std::string> defined_oids(const Attrs& attrs) {
    std::vector<std::string> out;
    for (const char* kind : {"olcAttributeTypes", "olcObjectClasses"}) {
        auto it = attrs.find(kind);
        if (it == attrs.end()) continue;
        for (const auto& def : it->second) {
            std::istringstream is(def);
            std::string paren, oid;
            is >> paren >> oid;
            if (paren == "(" && !oid.empty()) out.push_back(oid);
        }
    }
    return out;
}

/// OIDs the server knows, from cn=subschema's attributeTypes and objectClasses.
std::set<std::string> known_oids(const std::vector<Entry>& subschema) {
    std::set<std::string> out;
    for (const auto& e : subschema) {
        for (const char* kind : {"attributeTypes", "objectClasses"}) {
            for (const auto& def : e.values(kind)) {
                std::istringstream is(def);
                std::string paren, oid;
                is >> paren >> oid;
                if (paren == "(") out.insert(oid);
            }
        }
    }
    return out;
}

/// objectClass values for an RDN attribute, to create a missing container.
std::vector<std::string> container_classes(std::string_view rdn_attr) {
    if (iequals(rdn_attr, "ou")) return {"organizationalUnit"};
    if (iequals(rdn_attr, "dc")) return {"domain"};
    if (iequals(rdn_attr, "o")) return {"organization"};
    if (iequals(rdn_attr, "cn")) return {"organizationalRole"};
    return {};
}

ldap::ConnOptions connection_options(const LdapOptions& o, const std::string& uri) {
    ldap::ConnOptions co;
    co.uri = uri;
    co.bind_dn = o.bind_dn;
    co.bind_pw = o.bind_pw;
    co.timeout = o.timeout < 0 ? std::chrono::milliseconds(-1)
                               : std::chrono::milliseconds(static_cast<long>(o.timeout * 1000));
    co.start_tls = o.start_tls && !starts_with(uri, "ldapi:");
    co.ca_file = o.ca_file;
    return co;
}

/// Where install() writes to cn=config: CONFIG_URI (SASL EXTERNAL on ldapi://), else the
/// store's own connection settings.
ldap::ConnOptions config_options(const LdapOptions& o) {
    if (o.config_uri.empty()) return connection_options(o, o.uri);
    auto co = connection_options(o, o.config_uri);
    if (starts_with(o.config_uri, "ldapi:")) {
        co.bind_dn.clear();
        co.bind_pw = Secret();
    }
    return co;
}

}  // namespace

// ---- construction ----

LdapStore::LdapStore(LdapOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {
    const auto& uri = options_.uri;
    if (!starts_with(uri, "ldap://") && !starts_with(uri, "ldaps://") &&
        !starts_with(uri, "ldapi://")) {
        throw StoreError("LDAP URI must start with ldap://, ldaps:// or ldapi://");
    }
    if (options_.root_dn.empty()) throw StoreError("CANAILLE_LDAP.ROOT_DN is required");
    if (options_.user_base.empty()) throw StoreError("CANAILLE_LDAP.USER_BASE is required");
    if (options_.group_base.empty()) throw StoreError("CANAILLE_LDAP.GROUP_BASE is required");
    if (options_.user_class.empty()) options_.user_class = {"inetOrgPerson"};
    if (options_.user_rdn.empty()) options_.user_rdn = "uid";
    if (options_.group_class.empty()) options_.group_class = "groupOfNames";
    if (options_.group_rdn.empty()) options_.group_rdn = "cn";
    if (options_.group_name_attribute.empty()) options_.group_name_attribute = "cn";
    conn_ = std::make_unique<ldap::Connection>(connection_options(options_, options_.uri));
}

LdapStore::~LdapStore() = default;

// ---- shared helpers ----

std::string LdapStore::oauth_base(std::string_view ou) const {
    return "ou=" + escape_dn_value(ou) + ",ou=oauth," + options_.root_dn;
}
std::string LdapStore::sessions_base() const { return "ou=sessions," + options_.root_dn; }
std::string LdapStore::replay_base() const { return "ou=replay," + options_.root_dn; }
std::string LdapStore::placeholder_dn() const { return "cn=nobody," + options_.root_dn; }

std::optional<Entry> LdapStore::entry_by_id(std::string_view base, Scope scope,
                                            std::string_view object_class, std::string_view id,
                                            const std::vector<std::string>& attrs) {
    if (!valid_uuid(id)) return std::nullopt;
    auto found = conn_->search(
        base, scope,
        "(&(objectClass=" + escape_filter(object_class) + ")(entryUUID=" + escape_filter(id) + "))",
        attrs, 2);
    if (found.empty()) return std::nullopt;
    return std::move(found.front());
}

namespace {
std::optional<std::string> dn_of(std::optional<Entry> e) {
    if (!e) return std::nullopt;
    return std::move(e->dn);
}
}  // namespace

std::optional<std::string> LdapStore::user_dn(std::string_view id) {
    return dn_of(
        entry_by_id(options_.user_base, Scope::sub, options_.user_class.front(), id, kNoAttrs));
}

std::optional<std::string> LdapStore::group_dn(std::string_view id) {
    return dn_of(entry_by_id(options_.group_base, Scope::sub, options_.group_class, id, kNoAttrs));
}

std::optional<std::string> LdapStore::client_dn(std::string_view id) {
    return dn_of(entry_by_id(oauth_base("clients"), Scope::one, "oauthClient", id, kNoAttrs));
}

bool LdapStore::id_in_use(std::string_view id) {
    if (id.empty()) return false;
    return !conn_
                ->search(options_.root_dn, Scope::sub, "(entryUUID=" + escape_filter(id) + ")",
                         kNoAttrs, 1)
                .empty();
}

std::optional<std::string> LdapStore::id_of(std::string_view dn) {
    if (dn.empty()) return std::nullopt;
    auto e = conn_->read(dn, {"entryUUID"});
    if (!e) return std::nullopt;
    return e->first("entryUUID");
}

std::size_t LdapStore::remove_matching(std::string_view base, std::string_view filter) {
    std::size_t n = 0;
    for (const auto& e : conn_->search(base, Scope::sub, filter, kNoAttrs)) {
        if (same_dn(e.dn, base)) continue;
        if (conn_->remove(e.dn) == Rc::success) ++n;
    }
    return n;
}

// ---- install ----

namespace {
struct SchemaFile {
    const char* file;
    const char* marker_oid;
};
constexpr SchemaFile kSchemas[] = {{"oauth2-openldap.ldif", kOauthMarkerOid},
                                   {"canaille-cpp.ldif", kCanailleMarkerOid}};
}  // namespace

void LdapStore::install() {
    // 1. Schemas, checked by OID (doc/ldap-schema.md): an entry loaded under another name
    //    (Canaille's cn={N}oauth) counts as loaded.
    auto subschema = conn_->search("cn=subschema", Scope::base, "(objectClass=subschema)",
                                   {"attributeTypes", "objectClasses"});
    auto known = known_oids(subschema);
    const std::string dir =
        options_.schema_dir.empty() ? std::string(CANAILLE_LDAP_SCHEMA_DIR) : options_.schema_dir;
    std::unique_ptr<ldap::Connection> config_conn;
    for (const auto& schema : kSchemas) {
        const std::string path = dir + "/" + schema.file;
        auto [dn, attrs] = parse_schema_ldif(path);
        std::vector<std::string> missing;
        std::size_t present = 0;
        for (const auto& oid : defined_oids(attrs)) {
            if (known.count(oid)) {
                ++present;
            } else {
                missing.push_back(oid);
            }
        }
        if (missing.empty()) continue;
        if (present > 0) {
            std::string list;
            for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
            throw StoreError("the directory has an incomplete or older " +
                             std::string(schema.file) + " schema (missing OIDs: " + list +
                             "); upgrade it by hand: see doc/ldap-schema.md");
        }
        if (!config_conn) {
            config_conn = std::make_unique<ldap::Connection>(config_options(options_));
        }
        Rc rc = config_conn->add(dn, attrs);
        if (rc != Rc::success) {
            throw StoreError("cannot load " + path + " into cn=config (result " +
                             std::to_string(static_cast<int>(rc)) + ")");
        }
    }

    // 2. With cn=config access, the argon2 password module, so userPassword values tagged
    //    {ARGON2} (the project's own hashes, see encode_password) are kept and checked by
    //    bind. Best effort: a server without the module still works with its own hashes.
    if (!options_.config_uri.empty()) {
        if (!config_conn) {
            config_conn = std::make_unique<ldap::Connection>(config_options(options_));
        }
        try {
            auto lists = config_conn->search("cn=config", Scope::one, "(objectClass=olcModuleList)",
                                             {"olcModuleLoad"});
            bool loaded = false;
            for (const auto& l : lists) {
                for (const auto& m : l.values("olcModuleLoad")) {
                    if (to_lower(m).find("argon2") != std::string::npos) loaded = true;
                }
            }
            if (!lists.empty() && !loaded) {
                (void)config_conn->modify(lists.front().dn,
                                          {Mod{Mod::Op::add, "olcModuleLoad", {"argon2"}}});
            }
        } catch (const StoreError&) {
            // No read access to cn=config or no argon2 module: passwords hashed by the
            // directory itself (Password Modify) are unaffected.
        }
    }

    // 3. Containers, each created only when missing.
    auto ensure = [&](const std::string& dn) {
        if (conn_->read(dn, kNoAttrs)) return;
        auto eq = dn.find('=');
        if (eq == std::string::npos) throw StoreError("bad DN '" + dn + "'");
        const std::string rdn_attr = dn.substr(0, eq);
        auto classes = container_classes(rdn_attr);
        if (classes.empty()) {
            throw StoreError("cannot create '" + dn + "': unknown container type " + rdn_attr);
        }
        Attrs a;
        a["objectClass"] = classes;
        a[rdn_attr] = {ldap::first_rdn_value(dn)};
        Rc rc = conn_->add(dn, a);
        if (rc != Rc::success && rc != Rc::already_exists) {
            throw StoreError("cannot create '" + dn + "' (its parent must exist)");
        }
    };
    ensure(options_.root_dn);
    // Bases below ROOT_DN are created with their missing ancestors; others must exist.
    auto ensure_chain = [&](const std::string& dn) {
        if (!under(dn, options_.root_dn)) {
            if (!conn_->read(dn, kNoAttrs)) {
                throw StoreError("'" + dn + "' does not exist and is outside ROOT_DN");
            }
            return;
        }
        std::vector<std::string> chain;
        std::string cur = dn;
        while (under(cur, options_.root_dn)) {
            chain.push_back(cur);
            std::size_t i = 0;
            // The parent starts after the first unescaped comma.
            for (; i < cur.size(); ++i) {
                if (cur[i] == '\\') {
                    ++i;
                } else if (cur[i] == ',') {
                    break;
                }
            }
            if (i >= cur.size()) break;
            cur = cur.substr(i + 1);
        }
        for (auto it = chain.rbegin(); it != chain.rend(); ++it) ensure(*it);
    };
    ensure_chain(options_.user_base);
    ensure_chain(options_.group_base);
    ensure("ou=oauth," + options_.root_dn);
    for (const char* ou : {"clients", "authorizations", "tokens", "consents"}) {
        ensure(oauth_base(ou));
    }
    ensure(sessions_base());
    ensure(replay_base());
    ensure(emails_base());
    ensure(placeholder_dn());
}

int LdapStore::schema_version() {
    auto subschema = conn_->search("cn=subschema", Scope::base, "(objectClass=subschema)",
                                   {"attributeTypes", "objectClasses"});
    auto known = known_oids(subschema);
    if (!known.count(kOauthMarkerOid) || !known.count(kCanailleMarkerOid)) return 0;
    std::vector<std::string> dns = {options_.root_dn, options_.user_base, options_.group_base,
                                    sessions_base(),  replay_base(),      emails_base(),
                                    placeholder_dn()};
    for (const char* ou : {"clients", "authorizations", "tokens", "consents"}) {
        dns.push_back(oauth_base(ou));
    }
    for (const auto& dn : dns) {
        if (!conn_->read(dn, kNoAttrs)) return 0;
    }
    return kSchemaVersion;
}

void LdapStore::check() {
    const int v = schema_version();
    if (v != kSchemaVersion) {
        throw StoreError("the LDAP directory is not installed (schemas or containers under " +
                         options_.root_dn + " missing): run `canaille install`");
    }
}

// ---- users: mapping ----

namespace {

/// Attributes of a user entry for `u`: every managed attribute is present, possibly with
/// no value (= delete on update).
Attrs user_attributes(const model::User& u) {
    Attrs a;
    std::vector<std::string> empty;
    std::vector<std::string> filler;
    for (const auto& f : kUserStrings) {
        const auto& v = u.*(f.field);
        auto& out = a[f.attr];
        if (!v || v->empty()) {
            // LDAP has no empty strings (RFC 4517 §3.3.6), and person requires cn and sn:
            // the marker attributes say what the model value really is.
            (v ? empty : filler).emplace_back(f.attr);
            if (f.must) {
                out = {u.user_name};
            } else if (!v) {
                filler.pop_back();
            }
            continue;
        }
        out = {encode_value(f.attr, *v)};
    }
    for (const auto& f : kUserTimes) {
        const auto& v = u.*(f.field);
        a[f.attr] = v ? std::vector<std::string>{gt(*v)} : std::vector<std::string>{};
    }
    a["mail"] = u.emails;
    a["telephoneNumber"] = u.phone_numbers;
    auto& failures = a["ccppPasswordFailureTime"];
    for (auto t : u.password_failure_timestamps) failures.push_back(gt(t));
    a["ccppHotpCounter"] = u.hotp_counter
                               ? std::vector<std::string>{std::to_string(*u.hotp_counter)}
                               : std::vector<std::string>{};
    a[kEmptyAttr] = empty;
    a[kFillerAttr] = filler;
    return a;
}

/// The changes turning `old` into `wanted` for the attributes of `wanted`.
std::vector<Mod> diff(const Entry& old, const Attrs& wanted) {
    std::vector<Mod> mods;
    for (const auto& [name, values] : wanted) {
        if (old.values(name) != values) mods.push_back({Mod::Op::replace, name, values});
    }
    return mods;
}

/// Drops attributes with no value (an add cannot carry them).
Attrs without_empty(Attrs a) {
    for (auto it = a.begin(); it != a.end();) {
        it = it->second.empty() ? a.erase(it) : std::next(it);
    }
    return a;
}

}  // namespace

std::optional<std::string> LdapStore::cached_id(std::string_view dn, IdCache& cache) {
    auto key = to_lower(dn);
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(key, id_of(dn)).first;
    return it->second;
}

std::string LdapStore::user_filter(std::string_view inner) const {
    return "(&(objectClass=" + escape_filter(options_.user_class.front()) + ")" +
           std::string(inner) + ")";
}

std::string LdapStore::group_filter(std::string_view inner) const {
    return "(&(objectClass=" + escape_filter(options_.group_class) + ")" + std::string(inner) + ")";
}

std::optional<Entry> LdapStore::user_entry(std::string_view id) {
    return entry_by_id(options_.user_base, Scope::sub, options_.user_class.front(), id,
                       kUserReadAttrs);
}

std::optional<Entry> LdapStore::group_entry(std::string_view id) {
    return entry_by_id(options_.group_base, Scope::sub, options_.group_class, id, kGroupReadAttrs);
}

model::User LdapStore::to_user(const Entry& e, IdCache& cache) {
    model::User u;
    u.id = e.first("entryUUID").value_or("");
    u.user_name = e.first("uid").value_or(ldap::first_rdn_value(e.dn));
    const auto& empty = e.values(kEmptyAttr);
    const auto& filler = e.values(kFillerAttr);
    for (const auto& f : kUserStrings) {
        auto& out = u.*(f.field);
        if (contains_ci(empty, f.attr)) {
            out = std::string();
        } else if (contains_ci(filler, f.attr)) {
            out.reset();
        } else if (auto v = e.first(f.attr)) {
            out = decode_value(f.attr, *v);
        }
    }
    for (const auto& f : kUserTimes) u.*(f.field) = time_of(e, f.attr);
    u.emails = e.values("mail");
    u.phone_numbers = e.values("telephoneNumber");
    for (const auto& v : e.values("ccppPasswordFailureTime")) {
        if (auto t = from_generalized_time(v)) u.password_failure_timestamps.push_back(*t);
    }
    if (auto v = e.first("ccppHotpCounter")) {
        try {
            u.hotp_counter = std::stoll(*v);
        } catch (const std::exception&) {
            u.hotp_counter.reset();
        }
    }
    // memberOf (memberof overlay) lists groups in the order the user joined them.
    for (const auto& g : e.values("memberOf")) {
        if (!under(g, options_.group_base)) continue;
        if (auto id = cached_id(g, cache)) u.groups.push_back(*id);
    }
    return u;
}

std::optional<std::vector<std::string>> LdapStore::user_dns(const std::vector<std::string>& ids) {
    std::vector<std::string> out;
    for (const auto& id : ids) {
        auto dn = user_dn(id);
        if (!dn) return std::nullopt;
        if (std::none_of(out.begin(), out.end(), [&](const auto& d) { return same_dn(d, *dn); })) {
            out.push_back(*dn);
        }
    }
    return out;
}

bool LdapStore::email_taken(const std::vector<std::string>& emails, std::string_view self_id) {
    if (emails.empty()) return false;
    std::string inner = "(|";
    for (const auto& m : emails) inner += "(mail=" + escape_filter(m) + ")";
    inner += ")";
    for (const auto& e :
         conn_->search(options_.user_base, Scope::sub, user_filter(inner), {"entryUUID"})) {
        if (e.first("entryUUID").value_or("") != self_id) return true;
    }
    return false;
}

// ---- email claims ----

namespace {

/// A claim younger than this counts as taken even when its holder does not show the address
/// yet: it covers the time between a worker's claim and its write of the user entry.
constexpr Seconds kClaimGrace{60};

std::string claim_key(std::string_view email) {
    // mail matches with caseIgnoreIA5Match: ASCII case is all the server ignores.
    return sha256_hex(to_lower(email));
}

/// "<GeneralizedTime> <random>": when this call's claims were made, and which call.
std::string new_claim_stamp(TimePoint now) { return gt(now) + " " + random_token(12); }

/// An assertion that the claim's description is `value` (none when `value` is empty).
std::string description_is(const std::string& value) {
    return value.empty() ? "(!(description=*))" : "(description=" + escape_filter(value) + ")";
}

/// The emails of `a` not in `b` (ignoring case).
std::vector<std::string> emails_not_in(const std::vector<std::string>& a,
                                       const std::vector<std::string>& b) {
    std::vector<std::string> out;
    for (const auto& e : a) {
        if (!contains_ci(b, e)) out.push_back(e);
    }
    return out;
}

}  // namespace

std::string LdapStore::emails_base() const { return "ou=emails," + options_.root_dn; }

bool LdapStore::claim_email(std::string_view email, const std::string& owner_dn,
                            const std::string& stamp, bool owner_exists) {
    const std::string key = claim_key(email);
    const std::string dn = "cn=" + key + "," + emails_base();
    // Two rounds: a claim released between our add and our read is added again.
    for (int round = 0; round < 2; ++round) {
        Attrs a;
        a["objectClass"] = {"organizationalRole"};
        a["cn"] = {key};
        a["roleOccupant"] = {owner_dn};
        a["description"] = {stamp};
        Rc rc = conn_->add(dn, a);
        if (rc == Rc::success) return true;
        if (rc == Rc::no_such_object) {
            throw StoreError("LDAP: " + emails_base() + " is missing: run `canaille install`");
        }
        if (rc != Rc::already_exists) {
            throw StoreError("LDAP cannot claim an email (result " +
                             std::to_string(static_cast<int>(rc)) + ")");
        }
        auto held = conn_->read(dn, {"roleOccupant", "description"});
        if (!held) continue;
        const std::string holder = held->first("roleOccupant").value_or("");
        const std::string value = held->first("description").value_or("");
        if (owner_exists && same_dn(holder, owner_dn)) return true;
        // A fresh claim: its worker may not have written its user yet.
        auto since = from_generalized_time(std::string_view(value).substr(0, value.find(' ')));
        if (since && *since + kClaimGrace > clock_.now()) return false;
        if (!holder.empty() &&
            !conn_
                 ->search(holder, Scope::base, user_filter("(mail=" + escape_filter(email) + ")"),
                          kNoAttrs, 1)
                 .empty()) {
            return false;
        }
        // Stale (the holder dropped the address, was renamed or deleted by another tool):
        // taken over by a modify that applies only to the claim as it was read, so of two
        // workers one wins (RFC 4528).
        rc = conn_->modify(dn,
                           {Mod{Mod::Op::replace, "roleOccupant", {owner_dn}},
                            Mod{Mod::Op::replace, "description", {stamp}}},
                           description_is(value));
        return rc == Rc::success;
    }
    return false;
}

bool LdapStore::claim_emails(const std::vector<std::string>& emails, const std::string& owner_dn,
                             const std::string& stamp, bool owner_exists) {
    std::vector<std::string> done;
    for (const auto& e : emails) {
        if (!claim_email(e, owner_dn, stamp, owner_exists)) {
            release_emails(done, owner_dn, stamp);
            return false;
        }
        done.push_back(e);
    }
    return true;
}

void LdapStore::release_emails(const std::vector<std::string>& emails, const std::string& owner_dn,
                               const std::string& stamp) {
    std::string assertion = "(roleOccupant=" + escape_filter(owner_dn) + ")";
    if (!stamp.empty()) assertion = "(&" + assertion + description_is(stamp) + ")";
    // A claim already gone or held by someone else (assertion failed) is left alone.
    for (const auto& e : emails) {
        (void)conn_->remove("cn=" + claim_key(e) + "," + emails_base(), assertion);
    }
}

void LdapStore::move_claims(const std::vector<std::string>& emails, const std::string& from_dn,
                            const std::string& to_dn) {
    for (const auto& e : emails) {
        (void)conn_->modify("cn=" + claim_key(e) + "," + emails_base(),
                            {Mod{Mod::Op::replace, "roleOccupant", {to_dn}}},
                            "(roleOccupant=" + escape_filter(from_dn) + ")");
    }
}

Status LdapStore::create_user(model::User& user) {
    if (user.user_name.empty() || !valid_emails(user.emails)) return Status::invalid;
    if (!user.id.empty() && !valid_uuid(user.id)) return Status::invalid;
    std::vector<std::string> group_dns;
    for (const auto& gid : user.groups) {
        auto dn = group_dn(gid);
        if (!dn) return Status::invalid;
        group_dns.push_back(*dn);
    }
    if (id_in_use(user.id)) return Status::already_exists;
    if (get_user_by_name(user.user_name)) return Status::already_exists;
    if (email_taken(user.emails, "")) return Status::conflict;

    model::User stored = user;
    const TimePoint now = to_seconds(clock_.now());
    if (!stored.created) stored.created = now;
    if (!stored.last_modified) stored.last_modified = now;
    Attrs a = without_empty(user_attributes(stored));
    auto& classes = a["objectClass"];
    classes = options_.user_class;
    if (!contains_ci(classes, kUserExtras)) classes.emplace_back(kUserExtras);
    a["uid"] = {stored.user_name};
    const bool relax = !stored.id.empty();
    if (relax) a["entryUUID"] = {stored.id};
    // USER_RDN names the attribute whose value is the RDN (uid = user_name by default).
    const auto& rdn = a[options_.user_rdn];
    if (rdn.empty()) return Status::invalid;
    const std::string dn =
        options_.user_rdn + "=" + escape_dn_value(rdn.front()) + "," + options_.user_base;
    // The search above misses a worker writing the same address right now: the claims
    // are the atomic step (doc/store-ldap.md, "Email claims").
    const std::string stamp = new_claim_stamp(now);
    if (!claim_emails(stored.emails, dn, stamp, false)) return Status::conflict;
    Rc rc = conn_->add(dn, a, relax);
    if (rc != Rc::success) {
        release_emails(stored.emails, dn, stamp);
        return status_of(rc);
    }
    for (const auto& g : group_dns) {
        Status st = change_membership(g, dn, true);
        if (st != Status::ok) {
            (void)conn_->remove(dn);
            release_emails(stored.emails, dn, stamp);
            return st;
        }
    }
    auto id = id_of(dn);
    if (!id) throw StoreError("LDAP user vanished after create: " + dn);
    auto back = get_user(*id);
    if (!back) throw StoreError("LDAP user vanished after create: " + dn);
    user = std::move(*back);
    return Status::ok;
}

Status LdapStore::update_user(model::User& user) {
    auto entry = user_entry(user.id);
    if (!entry) return Status::not_found;
    if (user.user_name.empty() || !valid_emails(user.emails)) return Status::invalid;
    std::vector<std::string> wanted_groups;
    for (const auto& gid : user.groups) {
        auto dn = group_dn(gid);
        if (!dn) return Status::invalid;
        wanted_groups.push_back(*dn);
    }
    if (email_taken(user.emails, user.id)) return Status::conflict;
    IdCache cache;
    model::User old = to_user(*entry, cache);
    if (user.user_name != old.user_name) {
        if (auto other = get_user_by_name(user.user_name); other && other->id != user.id) {
            return Status::already_exists;
        }
    }
    model::User stored = user;
    if (!stored.created) stored.created = old.created;
    stored.last_modified = to_seconds(clock_.now());
    Attrs a = user_attributes(stored);
    a["uid"] = {stored.user_name};
    const auto& rdn = a[options_.user_rdn];
    if (rdn.empty()) return Status::invalid;
    std::string dn = entry->dn;
    const std::string old_rdn = ldap::first_rdn_value(dn);
    // A change of case only keeps the DN: the RDN attribute matches ignoring case.
    const bool renamed = !iequals(rdn.front(), old_rdn);
    const std::string old_dn = dn;
    if (renamed) {
        Rc rc = conn_->rename(dn, options_.user_rdn + "=" + escape_dn_value(rdn.front()));
        if (rc != Rc::success) return status_of(rc);
        auto moved = user_entry(user.id);
        if (!moved) return Status::not_found;
        entry = std::move(moved);
        dn = entry->dn;
        move_claims(old.emails, old_dn, dn);
    }
    // Nothing may stay half-written: undoes the claims and the rename.
    const std::string stamp = new_claim_stamp(stored.last_modified.value_or(TimePoint{}));
    const auto added = emails_not_in(stored.emails, old.emails);
    auto undo = [&](bool claimed) {
        if (claimed) release_emails(added, dn, stamp);
        if (renamed) {
            (void)conn_->rename(dn, options_.user_rdn + "=" + escape_dn_value(old_rdn));
            move_claims(old.emails, dn, old_dn);
        }
    };
    if (!claim_emails(added, dn, stamp, true)) {
        undo(false);
        return Status::conflict;
    }
    auto mods = diff(*entry, a);
    if (!contains_ci(entry->values("objectClass"), kUserExtras)) {
        mods.insert(mods.begin(), Mod{Mod::Op::add, "objectClass", {kUserExtras}});
    }
    Rc rc = conn_->modify(dn, mods);
    if (rc != Rc::success) {
        undo(true);
        return status_of(rc);
    }
    release_emails(emails_not_in(old.emails, stored.emails), dn);

    // Memberships are written on the groups (reference §4).
    std::vector<std::string> current;
    for (const auto& g : entry->values("memberOf")) {
        if (under(g, options_.group_base)) current.push_back(g);
    }
    for (const auto& g : current) {
        if (std::none_of(wanted_groups.begin(), wanted_groups.end(),
                         [&](const auto& w) { return same_dn(w, g); })) {
            Status st = change_membership(g, dn, false);
            if (st != Status::ok && st != Status::not_found) return st;
        }
    }
    for (const auto& g : wanted_groups) {
        if (std::none_of(current.begin(), current.end(),
                         [&](const auto& c) { return same_dn(c, g); })) {
            Status st = change_membership(g, dn, true);
            if (st != Status::ok) return st;
        }
    }
    auto back = get_user(user.id);
    if (!back) return Status::not_found;
    user = std::move(*back);
    return Status::ok;
}

Status LdapStore::delete_user(std::string_view id) {
    auto entry = user_entry(id);
    if (!entry) return Status::not_found;
    const std::string& dn = entry->dn;
    const std::string f = escape_filter(dn);
    remove_matching(sessions_base(), "(&(objectClass=ccppSession)(ccppSubject=" + f + "))");
    delete_oauth_objects_of_user(dn);
    // The store cleans up itself rather than relying on refint, which may not be set up.
    for (const auto& g : conn_->search(options_.group_base, Scope::sub,
                                       group_filter("(member=" + f + ")"), kNoAttrs)) {
        Status st = change_membership(g.dn, dn, false);
        if (st != Status::ok && st != Status::not_found) return st;
    }
    for (const auto& g : conn_->search(options_.group_base, Scope::sub,
                                       group_filter("(owner=" + f + ")"), kNoAttrs)) {
        (void)conn_->modify(g.dn, {Mod{Mod::Op::remove, "owner", {dn}}});
    }
    Rc rc = conn_->remove(dn);
    if (rc != Rc::success) return status_of(rc);
    release_emails(entry->values("mail"), dn);
    return Status::ok;
}

std::optional<model::User> LdapStore::get_user(std::string_view id) {
    auto e = user_entry(id);
    if (!e) return std::nullopt;
    IdCache cache;
    return to_user(*e, cache);
}

std::optional<model::User> LdapStore::get_user_by_name(std::string_view user_name) {
    if (user_name.empty()) return std::nullopt;
    auto found =
        conn_->search(options_.user_base, Scope::sub,
                      user_filter("(uid=" + escape_filter(user_name) + ")"), kUserReadAttrs, 2);
    if (found.empty()) return std::nullopt;
    IdCache cache;
    return to_user(found.front(), cache);
}

std::optional<model::User> LdapStore::get_user_by_email(std::string_view email) {
    if (email.empty()) return std::nullopt;
    auto found =
        conn_->search(options_.user_base, Scope::sub,
                      user_filter("(mail=" + escape_filter(email) + ")"), kUserReadAttrs, 2);
    if (found.empty()) return std::nullopt;
    IdCache cache;
    return to_user(found.front(), cache);
}

namespace {

/// The spellings of `q` to search for. OpenLDAP folds case for caseIgnore matching but
/// keeps the Greek final sigma apart from sigma (Σ -> σ, ς stays), so a typed Σ or σ must
/// also be tried as ς. Bounded: past a few sigmas only the first spelling is used.
std::vector<std::string> spellings(std::string_view q) {
    static constexpr std::string_view kSigmas[] = {"\xce\xa3", "\xcf\x83", "\xcf\x82"};
    std::vector<std::string> out = {""};
    std::size_t count = 0;
    for (std::size_t i = 0; i < q.size();) {
        std::string_view rest = q.substr(i);
        bool sigma = false;
        for (auto s : kSigmas) {
            if (starts_with(rest, s)) sigma = true;
        }
        if (sigma && ++count <= 4) {
            std::vector<std::string> next;
            for (const auto& o : out) {
                next.push_back(o + "\xcf\x83");
                next.push_back(o + "\xcf\x82");
            }
            out = std::move(next);
            i += 2;
        } else {
            for (auto& o : out) o += q[i];
            ++i;
        }
    }
    return out;
}

std::string fuzzy(std::initializer_list<std::string_view> attrs, std::string_view query) {
    // RFC 4518 §2.6.1: leading and trailing spaces are insignificant to the server and make
    // a substring assertion miss; drop them unless nothing else is left.
    std::string_view q = trim(query);
    if (q.empty()) q = query;
    std::string f = "(|";
    for (const auto& spelling : spellings(q)) {
        const std::string v = escape_filter(spelling);
        for (auto a : attrs) {
            f += "(";
            f += a;
            f += "=*" + v + "*)";
        }
    }
    return f + ")";
}

std::string user_query(std::string_view q) {
    if (q.empty()) return "";
    return fuzzy({"uid", "cn", "sn", "givenName", "displayName", "mail", "telephoneNumber"}, q);
}
std::string group_query(std::string_view name_attr, std::string_view q) {
    if (q.empty()) return "";
    return fuzzy({name_attr, "description"}, q);
}
}  // namespace

namespace {

/// `found` ordered by `name_attr` ignoring ASCII case, then by id. LDAP has no portable
/// server-side ordering here: this sorts like SQL's NOCASE.
std::vector<Entry> sorted_by(std::vector<Entry> found, const std::string& name_attr) {
    std::vector<std::pair<std::string, std::size_t>> keys;
    for (std::size_t i = 0; i < found.size(); ++i) {
        keys.emplace_back(to_lower(found[i].first(name_attr).value_or("")) + '\0' +
                              found[i].first("entryUUID").value_or(""),
                          i);
    }
    std::sort(keys.begin(), keys.end());
    std::vector<Entry> out;
    out.reserve(found.size());
    for (const auto& k : keys) out.push_back(std::move(found[k.second]));
    return out;
}

/// The models of the entries of `page` (`convert` makes one).
template <typename Convert>
auto page_of(const std::vector<Entry>& entries, Page page, Convert&& convert) {
    std::vector<decltype(convert(entries.front()))> out;
    for (std::size_t i = page.offset; i < entries.size() && out.size() < page.limit; ++i) {
        out.push_back(convert(entries[i]));
    }
    return out;
}

}  // namespace

std::vector<Entry> LdapStore::sorted_users(std::string_view query) {
    return sorted_by(conn_->search(options_.user_base, Scope::sub, user_filter(user_query(query)),
                                   kUserReadAttrs),
                     "uid");
}

std::vector<model::User> LdapStore::list_users(std::string_view query, Page page) {
    if (page.limit == 0) return {};
    IdCache cache;
    return page_of(sorted_users(query), page, [&](const Entry& e) { return to_user(e, cache); });
}

std::size_t LdapStore::count_users(std::string_view query) {
    return conn_->search(options_.user_base, Scope::sub, user_filter(user_query(query)), kNoAttrs)
        .size();
}

// ---- passwords ----

std::optional<PasswordVerdict> LdapStore::check_password(const model::User& user,
                                                         std::string_view password) {
    std::optional<std::string> dn = user.id.empty() ? std::nullopt : user_dn(user.id);
    if (!dn && !user.user_name.empty()) {
        auto found =
            conn_->search(options_.user_base, Scope::sub,
                          user_filter("(uid=" + escape_filter(user.user_name) + ")"), kNoAttrs, 2);
        if (!found.empty()) dn = found.front().dn;
    }
    if (!dn) return PasswordVerdict::mismatch;
    auto outcome = conn_->check_bind(*dn, password);
    switch (outcome.result) {
        case ldap::BindOutcome::Result::ok:
            return PasswordVerdict::ok;
        case ldap::BindOutcome::Result::locked:
            return PasswordVerdict::locked;
        case ldap::BindOutcome::Result::expired:
            return PasswordVerdict::expired;
        case ldap::BindOutcome::Result::must_change:
            return PasswordVerdict::must_change;
        case ldap::BindOutcome::Result::invalid_credentials:
            return PasswordVerdict::mismatch;
    }
    return PasswordVerdict::mismatch;
}

std::optional<Status> LdapStore::set_password(const model::User& user, const Secret& password) {
    auto entry = user_entry(user.id);
    if (!entry) return Status::not_found;
    if (password.empty()) return Status::invalid;
    Rc rc = conn_->password_modify(entry->dn, password);
    if (rc != Rc::success) return status_of(rc);
    // Keep the model's record of the change next to ppolicy's own pwdChangedTime.
    std::vector<Mod> mods;
    if (!contains_ci(entry->values("objectClass"), kUserExtras)) {
        mods.push_back({Mod::Op::add, "objectClass", {kUserExtras}});
    }
    mods.push_back({Mod::Op::replace, "ccppPasswordLastUpdate", {gt(to_seconds(clock_.now()))}});
    (void)conn_->modify(entry->dn, mods);
    return Status::ok;
}

// ---- groups ----

model::Group LdapStore::to_group(const Entry& e, IdCache& cache) {
    model::Group g;
    g.id = e.first("entryUUID").value_or("");
    g.display_name = e.first(options_.group_name_attribute).value_or(ldap::first_rdn_value(e.dn));
    g.created = time_of(e, "ccppCreated");
    g.last_modified = time_of(e, "ccppModified");
    // Only users count: the placeholder (ours, or refint's olcRefintNothing) and dangling
    // DNs are not members.
    for (const auto& m : e.values("member")) {
        if (!under(m, options_.user_base)) continue;
        if (auto id = cached_id(m, cache)) g.members.push_back(*id);
    }
    if (auto owner = e.first("owner"); owner && under(*owner, options_.user_base)) {
        g.owner = cached_id(*owner, cache);
    }
    if (contains_ci(e.values(kEmptyAttr), "description")) {
        g.description = std::string();
    } else {
        g.description = e.first("description");
    }
    return g;
}

Status LdapStore::change_membership(const std::string& gdn, const std::string& member_dn,
                                    bool add) {
    auto g = conn_->read(gdn, {"member", "objectClass"});
    if (!g) return Status::not_found;
    const auto& members = g->values("member");
    const bool present = std::any_of(members.begin(), members.end(),
                                     [&](const auto& m) { return same_dn(m, member_dn); });
    const std::string placeholder = placeholder_dn();
    const bool marked = contains_ci(g->values("objectClass"), kEmptyGroup);
    std::vector<Mod> mods;
    if (add) {
        if (present) return Status::ok;
        mods.push_back({Mod::Op::add, "member", {member_dn}});
        for (const auto& m : members) {
            if (same_dn(m, placeholder)) mods.push_back({Mod::Op::remove, "member", {m}});
        }
        if (marked) mods.push_back({Mod::Op::remove, "objectClass", {kEmptyGroup}});
    } else {
        if (!present) return Status::ok;
        std::vector<std::string> remaining;
        for (const auto& m : members) {
            if (!same_dn(m, member_dn)) remaining.push_back(m);
        }
        if (remaining.empty()) {
            // groupOfNames requires a member: the placeholder keeps the group valid.
            mods.push_back({Mod::Op::add, "member", {placeholder}});
            if (!marked) mods.push_back({Mod::Op::add, "objectClass", {kEmptyGroup}});
        }
        for (const auto& m : members) {
            if (same_dn(m, member_dn)) mods.push_back({Mod::Op::remove, "member", {m}});
        }
    }
    Rc rc = conn_->modify(gdn, mods);
    // A concurrent writer did the same change first.
    if (rc == Rc::type_or_value_exists || rc == Rc::no_such_attribute) return Status::ok;
    return status_of(rc);
}

namespace {

/// Attributes of a group entry, every managed one present (possibly empty).
Attrs group_attributes(const LdapOptions& o, const model::Group& g,
                       const std::vector<std::string>& member_dns,
                       const std::optional<std::string>& owner_dn, const std::string& placeholder) {
    Attrs a;
    a[o.group_name_attribute] = {g.display_name};
    a["member"] = member_dns.empty() ? std::vector<std::string>{placeholder} : member_dns;
    a["owner"] = owner_dn ? std::vector<std::string>{*owner_dn} : std::vector<std::string>{};
    a["description"] = g.description && !g.description->empty()
                           ? std::vector<std::string>{*g.description}
                           : std::vector<std::string>{};
    a[kEmptyAttr] = g.description && g.description->empty()
                        ? std::vector<std::string>{"description"}
                        : std::vector<std::string>{};
    a["ccppCreated"] =
        g.created ? std::vector<std::string>{gt(*g.created)} : std::vector<std::string>{};
    a["ccppModified"] = g.last_modified ? std::vector<std::string>{gt(*g.last_modified)}
                                        : std::vector<std::string>{};
    return a;
}

}  // namespace

Status LdapStore::create_group(model::Group& group) {
    if (group.display_name.empty()) return Status::invalid;
    if (!group.id.empty() && !valid_uuid(group.id)) return Status::invalid;
    auto members = user_dns(group.members);
    if (!members) return Status::invalid;
    std::optional<std::string> owner;
    if (group.owner) {
        owner = user_dn(*group.owner);
        if (!owner) return Status::invalid;
    }
    if (id_in_use(group.id)) return Status::already_exists;
    if (get_group_by_name(group.display_name)) return Status::already_exists;
    model::Group stored = group;
    const TimePoint now = to_seconds(clock_.now());
    if (!stored.created) stored.created = now;
    if (!stored.last_modified) stored.last_modified = now;
    Attrs a = without_empty(group_attributes(options_, stored, *members, owner, placeholder_dn()));
    a["objectClass"] = {options_.group_class, kObjectExtras};
    if (members->empty()) a["objectClass"].emplace_back(kEmptyGroup);
    a[options_.group_rdn] = {stored.display_name};
    const bool relax = !stored.id.empty();
    if (relax) a["entryUUID"] = {stored.id};
    const std::string dn =
        options_.group_rdn + "=" + escape_dn_value(stored.display_name) + "," + options_.group_base;
    Rc rc = conn_->add(dn, a, relax);
    if (rc != Rc::success) return status_of(rc);
    auto id = id_of(dn);
    auto back = id ? get_group(*id) : std::nullopt;
    if (!back) throw StoreError("LDAP group vanished after create: " + dn);
    group = std::move(*back);
    return Status::ok;
}

Status LdapStore::update_group(model::Group& group) {
    auto entry = group_entry(group.id);
    if (!entry) return Status::not_found;
    if (group.display_name.empty()) return Status::invalid;
    auto members = user_dns(group.members);
    if (!members) return Status::invalid;
    std::optional<std::string> owner;
    if (group.owner) {
        owner = user_dn(*group.owner);
        if (!owner) return Status::invalid;
    }
    IdCache cache;
    model::Group old = to_group(*entry, cache);
    std::string dn = entry->dn;
    if (group.display_name != old.display_name) {
        if (auto other = get_group_by_name(group.display_name); other && other->id != group.id) {
            return Status::already_exists;
        }
        if (!iequals(group.display_name, old.display_name) &&
            iequals(options_.group_rdn, options_.group_name_attribute)) {
            Rc rc =
                conn_->rename(dn, options_.group_rdn + "=" + escape_dn_value(group.display_name));
            if (rc != Rc::success) return status_of(rc);
            auto moved = group_entry(group.id);
            if (!moved) return Status::not_found;
            entry = std::move(moved);
            dn = entry->dn;
        }
    }
    model::Group stored = group;
    if (!stored.created) stored.created = old.created;
    stored.last_modified = to_seconds(clock_.now());
    Attrs a = group_attributes(options_, stored, *members, owner, placeholder_dn());
    // Keep values of the member list that stay, in place, so memberOf order of the users
    // who stay is not disturbed; a reordering needs the full replace.
    const auto& old_members = entry->values("member");
    std::vector<std::string> kept;
    for (const auto& m : old_members) {
        if (std::any_of(a["member"].begin(), a["member"].end(),
                        [&](const auto& w) { return same_dn(w, m); })) {
            kept.push_back(m);
        }
    }
    std::vector<Mod> mods;
    bool incremental = kept.size() <= a["member"].size();
    for (std::size_t i = 0; incremental && i < kept.size(); ++i) {
        incremental = same_dn(kept[i], a["member"][i]);
    }
    if (incremental && !kept.empty()) {
        std::vector<std::string> added(a["member"].begin() + static_cast<long>(kept.size()),
                                       a["member"].end());
        if (!added.empty()) mods.push_back({Mod::Op::add, "member", added});
        for (const auto& m : old_members) {
            if (std::none_of(kept.begin(), kept.end(),
                             [&](const auto& k) { return same_dn(k, m); })) {
                mods.push_back({Mod::Op::remove, "member", {m}});
            }
        }
        a.erase("member");
    }
    auto rest = diff(*entry, a);
    mods.insert(mods.end(), rest.begin(), rest.end());
    const auto& classes = entry->values("objectClass");
    if (!contains_ci(classes, kObjectExtras)) {
        mods.insert(mods.begin(), Mod{Mod::Op::add, "objectClass", {kObjectExtras}});
    }
    const bool marked = contains_ci(classes, kEmptyGroup);
    if (members->empty() && !marked) {
        mods.push_back({Mod::Op::add, "objectClass", {kEmptyGroup}});
    } else if (!members->empty() && marked) {
        mods.push_back({Mod::Op::remove, "objectClass", {kEmptyGroup}});
    }
    Rc rc = conn_->modify(dn, mods);
    if (rc != Rc::success) return status_of(rc);
    auto back = get_group(group.id);
    if (!back) return Status::not_found;
    group = std::move(*back);
    return Status::ok;
}

Status LdapStore::delete_group(std::string_view id) {
    auto dn = group_dn(id);
    if (!dn) return Status::not_found;
    Rc rc = conn_->remove(*dn);
    return rc == Rc::success ? Status::ok : status_of(rc);
}

std::optional<model::Group> LdapStore::get_group(std::string_view id) {
    auto e = group_entry(id);
    if (!e) return std::nullopt;
    IdCache cache;
    return to_group(*e, cache);
}

std::optional<model::Group> LdapStore::get_group_by_name(std::string_view display_name) {
    if (display_name.empty()) return std::nullopt;
    auto found = conn_->search(
        options_.group_base, Scope::sub,
        group_filter("(" + options_.group_name_attribute + "=" + escape_filter(display_name) + ")"),
        kGroupReadAttrs, 2);
    if (found.empty()) return std::nullopt;
    IdCache cache;
    return to_group(found.front(), cache);
}

std::vector<Entry> LdapStore::sorted_groups(std::string_view query) {
    return sorted_by(conn_->search(options_.group_base, Scope::sub,
                                   group_filter(group_query(options_.group_name_attribute, query)),
                                   kGroupReadAttrs),
                     options_.group_name_attribute);
}

std::vector<model::Group> LdapStore::list_groups(std::string_view query, Page page) {
    if (page.limit == 0) return {};
    IdCache cache;
    return page_of(sorted_groups(query), page, [&](const Entry& e) { return to_group(e, cache); });
}

std::size_t LdapStore::count_groups(std::string_view query) {
    return conn_
        ->search(options_.group_base, Scope::sub,
                 group_filter(group_query(options_.group_name_attribute, query)), kNoAttrs)
        .size();
}

Status LdapStore::add_member(std::string_view group_id, std::string_view user_id) {
    auto g = group_dn(group_id);
    auto u = user_dn(user_id);
    if (!g || !u) return Status::not_found;
    return change_membership(*g, *u, true);
}

Status LdapStore::remove_member(std::string_view group_id, std::string_view user_id) {
    auto g = group_dn(group_id);
    auto u = user_dn(user_id);
    if (!g || !u) return Status::not_found;
    return change_membership(*g, *u, false);
}

// ---- sessions ----

namespace {

std::string session_rdn(std::string_view id_hash) {
    return "ccppSessionID=" + escape_dn_value(id_hash);
}

Attrs session_attributes(const model::Session& s, const std::string& subject_dn) {
    Attrs a;
    a["ccppSubject"] = {subject_dn};
    a["ccppCreated"] = {gt(s.created)};
    a["ccppLastSeen"] = {gt(s.last_seen)};
    a["ccppExpires"] = {gt(s.expires)};
    a["ccppAuthTime"] = {gt(s.auth_time)};
    a["ccppAMR"] = s.amr;
    a["ccppCsrfSecret"] = s.csrf_secret.empty() ? std::vector<std::string>{}
                                                : std::vector<std::string>{s.csrf_secret};
    a["ccppRemember"] = {s.remember ? "TRUE" : "FALSE"};
    a["ccppData"] = s.data.empty() ? std::vector<std::string>{} : std::vector<std::string>{s.data};
    return a;
}

}  // namespace

Status LdapStore::create_session(const model::Session& session) {
    if (session.id_hash.empty()) return Status::invalid;
    auto subject = user_dn(session.user_id);
    if (!subject) return Status::invalid;
    Attrs a = without_empty(session_attributes(session, *subject));
    a["objectClass"] = {"ccppSession"};
    a["ccppSessionID"] = {session.id_hash};
    Rc rc = conn_->add(session_rdn(session.id_hash) + "," + sessions_base(), a);
    return status_of(rc);
}

std::optional<model::Session> LdapStore::get_session(std::string_view id_hash, TimePoint now) {
    if (id_hash.empty()) return std::nullopt;
    auto e = conn_->read(session_rdn(id_hash) + "," + sessions_base());
    if (!e) return std::nullopt;
    auto expires = time_of(*e, "ccppExpires");
    if (!expires || *expires <= now) return std::nullopt;
    auto subject = e->first("ccppSubject");
    if (!subject || !under(*subject, options_.user_base)) return std::nullopt;
    auto user_id = id_of(*subject);
    if (!user_id) return std::nullopt;
    model::Session s;
    s.id_hash = e->first("ccppSessionID").value_or(std::string(id_hash));
    s.user_id = *user_id;
    s.created = time_of(*e, "ccppCreated").value_or(TimePoint{});
    s.last_seen = time_of(*e, "ccppLastSeen").value_or(s.created);
    s.expires = *expires;
    s.auth_time = time_of(*e, "ccppAuthTime").value_or(s.created);
    s.amr = e->values("ccppAMR");
    s.csrf_secret = e->first("ccppCsrfSecret").value_or("");
    s.remember = iequals(e->first("ccppRemember").value_or("TRUE"), "TRUE");
    s.data = e->first("ccppData").value_or("");
    return s;
}

Status LdapStore::update_session(const model::Session& session) {
    if (session.id_hash.empty()) return Status::not_found;
    const std::string dn = session_rdn(session.id_hash) + "," + sessions_base();
    auto e = conn_->read(dn);
    if (!e) return Status::not_found;
    auto subject = user_dn(session.user_id);
    if (!subject) return Status::invalid;
    Rc rc = conn_->modify(dn, diff(*e, session_attributes(session, *subject)));
    return status_of(rc);
}

Status LdapStore::delete_session(std::string_view id_hash) {
    if (id_hash.empty()) return Status::not_found;
    return status_of(conn_->remove(session_rdn(id_hash) + "," + sessions_base()));
}

std::size_t LdapStore::delete_user_sessions(std::string_view user_id) {
    auto dn = user_dn(user_id);
    if (!dn) return 0;
    return remove_matching(sessions_base(),
                           "(&(objectClass=ccppSession)(ccppSubject=" + escape_filter(*dn) + "))");
}

// ---- replay protection ----

bool LdapStore::remember_jti(std::string_view jti, TimePoint expires) {
    if (jti.empty()) return false;
    // The RDN is a hash: a jti is attacker-chosen text of any length.
    const std::string id = sha256_hex(jti);
    const std::string dn = "ccppReplayID=" + id + "," + replay_base();
    const TimePoint now = clock_.now();
    Attrs a;
    a["objectClass"] = {"ccppReplayRecord"};
    a["ccppReplayID"] = {id};
    a["ccppCreated"] = {gt(to_seconds(now))};
    a["ccppExpires"] = {gt(expires)};
    Rc rc = conn_->add(dn, a);
    if (rc == Rc::success) return true;
    if (rc != Rc::already_exists) {
        throw StoreError("LDAP cannot record a jti (result " +
                         std::to_string(static_cast<int>(rc)) + ")");
    }
    // A record that expired but was not purged yet no longer counts; taking it over is
    // guarded by an assertion so two workers cannot both win (RFC 4528).
    rc = conn_->modify(dn,
                       {Mod{Mod::Op::replace, "ccppExpires", {gt(expires)}},
                        Mod{Mod::Op::replace, "ccppCreated", {gt(to_seconds(now))}}},
                       "(ccppExpires<=" + gt(now) + ")");
    return rc == Rc::success;
}

// ---- maintenance ----

PurgeCounts LdapStore::purge_expired(TimePoint now) {
    PurgeCounts counts;
    const std::string t = gt(now);
    counts.sessions =
        remove_matching(sessions_base(), "(&(objectClass=ccppSession)(ccppExpires<=" + t + "))");
    counts.replays =
        remove_matching(replay_base(), "(&(objectClass=ccppReplayRecord)(ccppExpires<=" + t + "))");
    purge_oauth_objects(now, counts);
    return counts;
}

}  // namespace canaille::store

// SPDX-License-Identifier: MIT
#include "oidc/claims.hpp"

#include <optional>

#include "util/clock.hpp"

namespace canaille::oidc {

namespace {

void key(JsonWriter& w, std::string_view k) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}

void str(JsonWriter& w, std::string_view v) {
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

void member(JsonWriter& w, std::string_view k, const std::optional<std::string>& v) {
    if (!v || v->empty()) return;
    key(w, k);
    str(w, *v);
}

void member_sv(JsonWriter& w, std::string_view k, std::string_view v) {
    if (v.empty()) return;
    key(w, k);
    str(w, v);
}

bool nonempty(const std::optional<std::string>& v) { return v && !v->empty(); }

}  // namespace

const std::vector<std::string>& supported_claims() {
    static const std::vector<std::string> kClaims = {"sub",          "iss",
                                                     "aud",          "exp",
                                                     "iat",          "auth_time",
                                                     "nonce",        "acr",
                                                     "amr",          "sid",
                                                     "name",         "family_name",
                                                     "given_name",   "preferred_username",
                                                     "picture",      "website",
                                                     "locale",       "updated_at",
                                                     "email",        "address",
                                                     "phone_number", "groups"};
    return kClaims;
}

const std::vector<std::string>& claims_for_scope(std::string_view scope) {
    static const std::vector<std::string> kOpenid = {"sub"};
    static const std::vector<std::string> kProfile = {
        "name",    "family_name", "given_name", "preferred_username",
        "picture", "website",     "locale",     "updated_at"};
    static const std::vector<std::string> kEmail = {"email"};
    static const std::vector<std::string> kAddress = {"address"};
    static const std::vector<std::string> kPhone = {"phone_number"};
    static const std::vector<std::string> kGroups = {"groups"};
    static const std::vector<std::string> kNone;
    if (scope == "openid") return kOpenid;
    if (scope == "profile") return kProfile;
    if (scope == "email") return kEmail;
    if (scope == "address") return kAddress;
    if (scope == "phone") return kPhone;
    if (scope == "groups") return kGroups;
    return kNone;
}

void write_scope_claims(JsonWriter& w, const ClaimSource& source, const Scopes& scopes) {
    const auto& u = source.user;
    if (has_scope(scopes, "profile")) {
        member(w, "name", u.formatted_name);
        member(w, "family_name", u.family_name);
        member(w, "given_name", u.given_name);
        member(w, "preferred_username", u.display_name);
        member_sv(w, "picture", source.picture_url);
        member(w, "website", u.profile_url);
        member(w, "locale", u.preferred_language);
        if (u.last_modified) {
            key(w, "updated_at");
            w.Int64(to_unix(*u.last_modified));
        }
    }
    if (has_scope(scopes, "email") && !u.emails.empty()) member_sv(w, "email", u.emails.front());
    // OIDC Core §5.1.1: the address members; the object only when one is set.
    if (has_scope(scopes, "address") &&
        (nonempty(u.formatted_address) || nonempty(u.street) || nonempty(u.locality) ||
         nonempty(u.region) || nonempty(u.postal_code))) {
        key(w, "address");
        w.StartObject();
        member(w, "formatted", u.formatted_address);
        member(w, "street_address", u.street);
        member(w, "locality", u.locality);
        member(w, "region", u.region);
        member(w, "postal_code", u.postal_code);
        w.EndObject();
    }
    if (has_scope(scopes, "phone") && !u.phone_numbers.empty()) {
        member_sv(w, "phone_number", u.phone_numbers.front());
    }
    if (has_scope(scopes, "groups") && !source.group_names.empty()) {
        key(w, "groups");
        w.StartArray();
        for (const auto& g : source.group_names) str(w, g);
        w.EndArray();
    }
}

std::string scope_claims_members(const ClaimSource& source, const Scopes& scopes) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    write_scope_claims(w, source, scopes);
    w.EndObject();
    std::string_view all(buf.GetString(), buf.GetSize());
    return std::string(all.substr(1, all.size() - 2));
}

std::string userinfo_json(const ClaimSource& source, const Scopes& scopes) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    key(w, "sub");
    str(w, source.user.user_name);
    write_scope_claims(w, source, scopes);
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

}  // namespace canaille::oidc

// SPDX-License-Identifier: MIT
#include "oidc/introspection.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "oidc/scope.hpp"

namespace canaille::oidc {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(Writer& w, std::string_view k) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
void str(Writer& w, std::string_view v) {
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
void member(Writer& w, std::string_view k, std::string_view v) {
    key(w, k);
    str(w, v);
}

}  // namespace

bool may_introspect(const model::Token& token, const model::Client& caller) {
    if (caller.client_id.empty()) return false;
    return token.client_id == caller.client_id ||
           std::find(token.audience.begin(), token.audience.end(), caller.client_id) !=
               token.audience.end();
}

bool token_active(const model::Token& token, TimePoint now, bool as_refresh_token) {
    if (token.revoked() || token.expired(now)) return false;
    if (as_refresh_token && (token.refresh_token_consumed_at || !token.refresh_token_hash)) {
        return false;
    }
    return true;
}

std::string introspection_json(const model::Token* token, const model::Client& caller,
                               TimePoint now, const IntrospectionContext& context) {
    // RFC 7662 §2.2: an inactive token gets {"active": false} and nothing else, so a
    // caller outside the audience learns nothing either.
    if (token == nullptr || !token_active(*token, now, context.as_refresh_token) ||
        !may_introspect(*token, caller)) {
        return R"({"active":false})";
    }
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    key(w, "active");
    w.Bool(true);
    if (!token->scope.empty()) member(w, "scope", join_scope(token->scope));
    member(w, "client_id", token->client_id);
    if (context.username) member(w, "username", *context.username);
    member(w, "token_type", context.as_refresh_token ? "refresh_token" : "Bearer");
    key(w, "exp");
    w.Int64(to_unix(token->expires()));
    key(w, "iat");
    w.Int64(to_unix(token->issue_date));
    member(w, "sub", context.username ? *context.username : token->client_id);
    key(w, "aud");
    w.StartArray();
    if (token->audience.empty()) {
        str(w, token->client_id);
    } else {
        for (const auto& a : token->audience) str(w, a);
    }
    w.EndArray();
    if (!context.issuer.empty()) member(w, "iss", context.issuer);
    member(w, "jti", token->token_id);
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

bool may_revoke(const model::Token& token, const model::Client& caller) {
    return !caller.client_id.empty() && token.client_id == caller.client_id;
}

}  // namespace canaille::oidc

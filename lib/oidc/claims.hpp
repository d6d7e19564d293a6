// SPDX-License-Identifier: MIT
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>
#include <vector>

#include "model/user.hpp"
#include "oidc/scope.hpp"

namespace canaille::oidc {

/// What the claims are computed from. The route resolves group names and the photo URL.
struct ClaimSource {
    const model::User& user;
    std::vector<std::string> group_names;
    std::string picture_url;  ///< absolute; "" when the user has no photo
};

/// Every claim name `scope_claims` can produce, for discovery's claims_supported
/// (sub and the ID token claims included).
const std::vector<std::string>& supported_claims();

/// The claim names a scope unlocks (OIDC Core §5.4, plus Canaille's "groups").
const std::vector<std::string>& claims_for_scope(std::string_view scope);

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

/// Writes the scope claims as members into an object `writer` has started (no sub):
/// reference §2 "Scopes → claims" and "Claim values" (default USERINFO_MAPPING):
/// profile → name (formatted_name), family_name, given_name, preferred_username
/// (display_name), picture, website (profile_url), locale (preferred_language),
/// updated_at (last_modified, integer seconds); email → email (first); address →
/// {formatted, street_address, locality, region, postal_code}; phone → phone_number
/// (first); groups → group names. Empty claims are omitted, an empty address object too.
/// email_verified / phone_number_verified are never sent: nothing records a verification.
void write_scope_claims(JsonWriter& writer, const ClaimSource& source, const Scopes& scopes);

/// The same claims as JSON object members without braces (`"name":"A","email":"b"`),
/// or "" when none: splice into an ID token with IdTokenInput::extra_claims.
std::string scope_claims_members(const ClaimSource& source, const Scopes& scopes);

/// The UserInfo response (OIDC Core §5.3.2): {"sub": user_name, ...scope claims}.
std::string userinfo_json(const ClaimSource& source, const Scopes& scopes);

}  // namespace canaille::oidc

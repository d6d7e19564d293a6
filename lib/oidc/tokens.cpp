// SPDX-License-Identifier: MIT
#include "oidc/tokens.hpp"

#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "util/base64.hpp"

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
void member(Writer& w, std::string_view k, std::int64_t v) {
    key(w, k);
    w.Int64(v);
}

// Registered claims the caller's extra members may not override.
constexpr std::array<std::string_view, 16> kReserved = {
    "iss", "sub", "aud",     "exp",    "iat", "auth_time", "nonce",     "acr",
    "amr", "sid", "at_hash", "c_hash", "azp", "jti",       "client_id", "scope"};

void write_extra(Writer& w, std::string_view members) {
    if (members.empty()) return;
    std::string wrapped = "{";
    wrapped.append(members);
    wrapped += '}';
    rapidjson::Document doc;
    doc.Parse(wrapped.data(), wrapped.size());
    // The members come from scope_claims_members: bad JSON is a programming error.
    if (doc.HasParseError() || !doc.IsObject()) {
        throw std::invalid_argument("extra claims are not JSON object members");
    }
    for (const auto& m : doc.GetObject()) {
        const std::string_view name(m.name.GetString(), m.name.GetStringLength());
        if (std::find(kReserved.begin(), kReserved.end(), name) != kReserved.end()) continue;
        key(w, name);
        m.value.Accept(w);
    }
}

const EVP_MD* hash_for_alg(std::string_view alg) {
    // Ed25519 signatures hash with SHA-512, so EdDSA ID tokens use its left half.
    if (alg == "EdDSA") return EVP_sha512();
    if (alg.size() != 5) return nullptr;
    const auto family = alg.substr(0, 2);
    if (family != "RS" && family != "ES" && family != "PS" && family != "HS") return nullptr;
    const auto bits = alg.substr(2);
    if (bits == "256") return EVP_sha256();
    if (bits == "384") return EVP_sha384();
    if (bits == "512") return EVP_sha512();
    return nullptr;
}

}  // namespace

std::string half_hash(std::string_view token, std::string_view alg) {
    const EVP_MD* md = hash_for_alg(alg);
    if (md == nullptr) return {};
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int len = 0;
    if (EVP_Digest(token.data(), token.size(), digest.data(), &len, md, nullptr) != 1) {
        throw std::runtime_error("EVP_Digest failed");
    }
    return base64url_encode(
        std::string_view(reinterpret_cast<const char*>(digest.data()), len / 2));
}

std::string id_token_payload(const IdTokenInput& in) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    const auto iat = to_unix(in.issued_at);
    w.StartObject();
    member(w, "iss", in.issuer);
    member(w, "sub", in.subject);
    member(w, "aud", in.audience);
    member(w, "exp", iat + in.lifetime.count());
    member(w, "iat", iat);
    if (in.auth_time) member(w, "auth_time", to_unix(*in.auth_time));
    if (in.nonce) member(w, "nonce", *in.nonce);
    if (in.acr) member(w, "acr", *in.acr);
    if (!in.amr.empty()) {
        key(w, "amr");
        w.StartArray();
        for (const auto& a : in.amr) str(w, a);
        w.EndArray();
    }
    if (in.sid) member(w, "sid", *in.sid);
    if (in.access_token) member(w, "at_hash", half_hash(*in.access_token, in.alg));
    if (in.code) member(w, "c_hash", half_hash(*in.code, in.alg));
    write_extra(w, in.extra_claims);
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

std::string access_token_payload(const AccessTokenInput& in) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    const auto iat = to_unix(in.issued_at);
    w.StartObject();
    member(w, "iss", in.issuer);
    member(w, "exp", iat + in.lifetime.count());
    key(w, "aud");
    if (in.audience.size() > 1) {
        w.StartArray();
        for (const auto& a : in.audience) str(w, a);
        w.EndArray();
    } else {
        str(w, in.audience.empty() ? in.client_id : in.audience.front());
    }
    // RFC 9068 §2.2: for a client-credentials token the subject is the client itself.
    member(w, "sub", in.subject ? *in.subject : in.client_id);
    member(w, "client_id", in.client_id);
    member(w, "iat", iat);
    member(w, "jti", in.jti);
    if (!in.scopes.empty()) member(w, "scope", join_scope(in.scopes));
    if (in.auth_time) member(w, "auth_time", to_unix(*in.auth_time));
    write_extra(w, in.extra_claims);
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

std::vector<std::string> amr_values(const std::vector<std::string>& factors) {
    std::vector<std::string> out;
    auto add = [&](std::string_view v) {
        if (std::find(out.begin(), out.end(), v) == out.end()) out.emplace_back(v);
    };
    for (const auto& f : factors) {
        if (f == "password") {
            add("pwd");
        } else if (f == "otp") {
            add("otp");
        } else if (f == "sms") {
            add("sms");
            add("mca");
        } else if (f == "email") {
            add("mca");
        } else if (f == "fido2") {
            add("hwk");
        }
    }
    if (factors.size() > 1) add("mfa");
    return out;
}

std::string token_response_json(const TokenResponse& r) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    member(w, "access_token", r.access_token);
    member(w, "token_type", r.token_type);
    member(w, "expires_in", r.expires_in);
    if (r.refresh_token) member(w, "refresh_token", *r.refresh_token);
    if (r.id_token) member(w, "id_token", *r.id_token);
    if (!r.scope.empty()) member(w, "scope", join_scope(r.scope));
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

std::optional<SigningChoice> choose_signing_key(const jose::KeySet& keys,
                                                std::string_view client_alg) {
    auto signer = [](const jose::Jwk& k) { return k.is_private() && !k.is_symmetric(); };
    auto first_for = [&](std::string_view alg) -> const jose::Jwk* {
        if (alg.empty() || alg == "none" || alg.substr(0, 2) == "HS") return nullptr;
        for (const auto& k : keys.active()) {
            if (signer(k) && k.usable_for(alg)) return &k;
        }
        return nullptr;
    };
    if (const auto* k = first_for(client_alg)) return SigningChoice{k, std::string(client_alg)};
    if (const auto* k = first_for("RS256")) return SigningChoice{k, "RS256"};
    for (const auto& k : keys.active()) {
        if (!signer(k)) continue;
        std::string alg = k.alg().empty() ? k.default_alg() : k.alg();
        if (k.usable_for(alg)) return SigningChoice{&k, std::move(alg)};
    }
    return std::nullopt;
}

}  // namespace canaille::oidc

// SPDX-License-Identifier: MIT
#include "oidc/discovery.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "oidc/claims.hpp"

namespace canaille::oidc {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(Writer& w, std::string_view k) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
void str(Writer& w, std::string_view v) {
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
// Reference §1b: "Metadata with null keys dropped": empty values are not advertised.
void member(Writer& w, std::string_view k, std::string_view v) {
    if (v.empty()) return;
    key(w, k);
    str(w, v);
}
void member(Writer& w, std::string_view k, const std::vector<std::string>& list) {
    if (list.empty()) return;
    key(w, k);
    w.StartArray();
    for (const auto& v : list) str(w, v);
    w.EndArray();
}
void flag(Writer& w, std::string_view k, bool v) {
    key(w, k);
    w.Bool(v);
}

std::vector<std::string> without_none(std::vector<std::string> algs) {
    algs.erase(std::remove(algs.begin(), algs.end(), "none"), algs.end());
    return algs;
}

void write_metadata(Writer& w, const DiscoveryInput& in, bool openid) {
    const auto algs = without_none(in.signing_algs);
    w.StartObject();
    member(w, "issuer", in.issuer);
    member(w, "authorization_endpoint", in.authorization_endpoint);
    member(w, "token_endpoint", in.token_endpoint);
    if (openid) member(w, "userinfo_endpoint", in.userinfo_endpoint);
    member(w, "jwks_uri", in.jwks_uri);
    member(w, "registration_endpoint", in.registration_endpoint);
    if (openid) member(w, "end_session_endpoint", in.end_session_endpoint);
    member(w, "introspection_endpoint", in.introspection_endpoint);
    member(w, "introspection_endpoint_auth_methods_supported",
           in.introspection_endpoint.empty() ? std::vector<std::string>{}
                                             : in.introspection_endpoint_auth_methods_supported);
    member(w, "revocation_endpoint", in.revocation_endpoint);
    member(w, "revocation_endpoint_auth_methods_supported",
           in.revocation_endpoint.empty() ? std::vector<std::string>{}
                                          : in.revocation_endpoint_auth_methods_supported);
    member(w, "scopes_supported", in.scopes_supported);
    member(w, "response_types_supported", in.response_types_supported);
    member(w, "response_modes_supported", in.response_modes_supported);
    member(w, "grant_types_supported", in.grant_types_supported);
    member(w, "token_endpoint_auth_methods_supported", in.token_endpoint_auth_methods_supported);
    member(w, "code_challenge_methods_supported", in.code_challenge_methods_supported);
    member(w, "ui_locales_supported", in.ui_locales_supported);
    member(w, "service_documentation", in.service_documentation);
    if (openid) {
        member(w, "subject_types_supported", std::vector<std::string>{"public"});
        member(w, "id_token_signing_alg_values_supported", algs);
        member(w, "userinfo_signing_alg_values_supported", algs);
        member(w, "claim_types_supported", std::vector<std::string>{"normal"});
        member(w, "claims_supported",
               in.claims_supported.empty() ? supported_claims() : in.claims_supported);
        member(w, "prompt_values_supported", in.prompt_values_supported);
        flag(w, "claims_parameter_supported", false);
        flag(w, "request_parameter_supported", false);
        flag(w, "request_uri_parameter_supported", false);
    }
    flag(w, "authorization_response_iss_parameter_supported", true);
    w.EndObject();
}

std::string write(const DiscoveryInput& in, bool openid) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    write_metadata(w, in, openid);
    return {buf.GetString(), buf.GetSize()};
}

}  // namespace

DiscoveryInput default_discovery(std::string issuer, std::vector<std::string> signing_algs,
                                 bool registration_enabled) {
    while (!issuer.empty() && issuer.back() == '/') issuer.pop_back();
    DiscoveryInput in;
    in.authorization_endpoint = issuer + "/oauth/authorize";
    in.token_endpoint = issuer + "/oauth/token";
    in.userinfo_endpoint = issuer + "/oauth/userinfo";
    in.jwks_uri = issuer + "/oauth/jwks.json";
    in.introspection_endpoint = issuer + "/oauth/introspect";
    in.revocation_endpoint = issuer + "/oauth/revoke";
    in.issuer = std::move(issuer);
    in.signing_algs = std::move(signing_algs);
    if (registration_enabled) in.prompt_values_supported.emplace_back("create");
    return in;
}

std::string openid_configuration_json(const DiscoveryInput& input) { return write(input, true); }

std::string oauth_authorization_server_json(const DiscoveryInput& input) {
    return write(input, false);
}

std::string webfinger_json(std::string_view resource, std::string_view issuer) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    key(w, "subject");
    str(w, resource);
    key(w, "links");
    w.StartArray();
    w.StartObject();
    key(w, "rel");
    str(w, "http://openid.net/specs/connect/1.0/issuer");
    key(w, "href");
    str(w, issuer);
    w.EndObject();
    w.EndArray();
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

}  // namespace canaille::oidc

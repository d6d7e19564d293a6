// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace canaille::oidc {

/// What the metadata documents advertise. Only what works: no "none" alg, no implicit or
/// hybrid response types until they are implemented. Empty strings and lists are omitted.
struct DiscoveryInput {
    std::string issuer;  ///< with the path prefix, no trailing slash
    std::string authorization_endpoint;
    std::string token_endpoint;
    std::string userinfo_endpoint;
    std::string jwks_uri;
    std::string introspection_endpoint;
    std::string revocation_endpoint;
    std::string registration_endpoint;  ///< "" until dynamic registration exists
    std::string end_session_endpoint;   ///< "" until RP-initiated logout exists
    std::string service_documentation;
    std::vector<std::string> signing_algs;  ///< jose::KeySet::signing_algs(); "none" dropped
    std::vector<std::string> scopes_supported = {"openid",  "profile", "email",
                                                 "address", "phone",   "groups"};
    std::vector<std::string> response_types_supported = {"code"};
    std::vector<std::string> response_modes_supported = {"query", "fragment"};
    std::vector<std::string> grant_types_supported = {"authorization_code", "refresh_token",
                                                      "client_credentials", "password"};
    std::vector<std::string> token_endpoint_auth_methods_supported = {"client_secret_basic",
                                                                      "client_secret_post", "none"};
    /// RFC 7009 / RFC 7662 endpoints need an authenticated client: no "none".
    std::vector<std::string> revocation_endpoint_auth_methods_supported = {"client_secret_basic",
                                                                           "client_secret_post"};
    std::vector<std::string> introspection_endpoint_auth_methods_supported = {"client_secret_basic",
                                                                              "client_secret_post"};
    std::vector<std::string> code_challenge_methods_supported = {"plain", "S256"};
    std::vector<std::string> claims_supported;  ///< empty → oidc::supported_claims()
    std::vector<std::string> ui_locales_supported;
    std::vector<std::string> prompt_values_supported = {"none", "login", "consent",
                                                        "select_account"};
};

/// A DiscoveryInput whose endpoints are `issuer` + the Canaille paths (/oauth/authorize,
/// /oauth/token, /oauth/userinfo, /oauth/jwks.json, /oauth/introspect, /oauth/revoke).
/// `registration_enabled` adds "create" to prompt_values_supported.
DiscoveryInput default_discovery(std::string issuer, std::vector<std::string> signing_algs,
                                 bool registration_enabled = false);

/// OpenID Connect Discovery 1.0 §3 document, with subject_types_supported [public],
/// id_token_signing_alg_values_supported and userinfo_signing_alg_values_supported
/// (= signing_algs), claims_parameter_supported false, request_parameter_supported false,
/// request_uri_parameter_supported false, authorization_response_iss_parameter_supported
/// true (RFC 9207 §3), claim_types_supported [normal].
std::string openid_configuration_json(const DiscoveryInput& input);

/// RFC 8414 §2 document: the same without the OIDC-only members (userinfo, subject types,
/// ID token algs, claims).
std::string oauth_authorization_server_json(const DiscoveryInput& input);

/// RFC 7033 §4.4 JRD for OIDC Discovery §2: {"subject": resource, "links":
/// [{"rel": "http://openid.net/specs/connect/1.0/issuer", "href": issuer}]}.
std::string webfinger_json(std::string_view resource, std::string_view issuer);

}  // namespace canaille::oidc

// SPDX-License-Identifier: MIT
// Builders shared by the OAuth/OIDC conformance tests (oidc_*_test.cpp). Backend-neutral.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "conformance/helpers.hpp"
#include "model/authorization_code.hpp"
#include "model/client.hpp"
#include "model/consent.hpp"
#include "model/token.hpp"
#include "store/store.hpp"

namespace canaille::store::testing {

/// A client with only the required attributes (the model's defaults for the rest).
inline model::Client make_client(const std::string& client_id) {
    model::Client c;
    c.client_id = client_id;
    c.client_secret = "secret-" + client_id;
    c.client_name = "Client " + client_id;
    c.redirect_uris = {"https://" + client_id + ".example/callback"};
    c.audience = {client_id};
    return c;
}

inline model::Client add_client(Store& store, const std::string& client_id) {
    auto c = make_client(client_id);
    REQUIRE(store.create_client(c) == Status::ok);
    return c;
}

/// A code whose hash is "hash-" + name, issued at `issued`, for 300 s.
inline model::AuthorizationCode make_code(const std::string& name, const std::string& client_id,
                                          const std::string& subject, TimePoint issued) {
    model::AuthorizationCode c;
    c.authorization_code_id = "code-" + name;
    c.code_hash = "hash-" + name;
    c.client_id = client_id;
    c.subject = subject;
    c.redirect_uri = "https://" + client_id + ".example/callback";
    c.scope = {"openid", "profile"};
    c.issue_date = issued;
    c.lifetime = 300;
    return c;
}

inline model::AuthorizationCode add_code(Store& store, const std::string& name,
                                         const std::string& client_id, const std::string& subject,
                                         TimePoint issued) {
    auto c = make_code(name, client_id, subject, issued);
    REQUIRE(store.create_code(c) == Status::ok);
    return c;
}

/// A token "tok-" + name with access hash "at-" + name and refresh hash "rt-" + name,
/// issued at `issued`, for 3600 s.
inline model::Token make_token(const std::string& name, const std::string& client_id,
                               std::optional<std::string> subject, TimePoint issued) {
    model::Token t;
    t.token_id = "tok-" + name;
    t.access_token_hash = "at-" + name;
    t.refresh_token_hash = "rt-" + name;
    t.client_id = client_id;
    t.subject = std::move(subject);
    t.scope = {"openid"};
    t.issue_date = issued;
    t.lifetime = 3600;
    t.audience = {client_id};
    return t;
}

inline model::Token add_token(Store& store, const std::string& name, const std::string& client_id,
                              std::optional<std::string> subject, TimePoint issued) {
    auto t = make_token(name, client_id, std::move(subject), issued);
    REQUIRE(store.create_token(t) == Status::ok);
    return t;
}

inline model::Consent make_consent(const std::string& consent_id, const std::string& subject,
                                   const std::string& client_id, TimePoint issued) {
    model::Consent c;
    c.consent_id = consent_id;
    c.subject = subject;
    c.client_id = client_id;
    c.scope = {"openid", "email"};
    c.issue_date = issued;
    return c;
}

inline std::vector<std::string> client_ids_of(const std::vector<model::Client>& clients) {
    std::vector<std::string> out;
    for (const auto& c : clients) out.push_back(c.client_id);
    return out;
}

inline std::vector<std::string> token_ids_of(const std::vector<model::Token>& tokens) {
    std::vector<std::string> out;
    for (const auto& t : tokens) out.push_back(t.token_id);
    return out;
}

}  // namespace canaille::store::testing

// SPDX-License-Identifier: MIT
// Small builders and printers shared by the conformance tests. Backend-neutral: nothing
// here may know which store it talks to.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "conformance/fixture.hpp"
#include "model/group.hpp"
#include "model/session.hpp"
#include "model/user.hpp"
#include "store/store.hpp"
#include "util/clock.hpp"

namespace Catch {
template <>
struct StringMaker<canaille::store::Status> {
    static std::string convert(canaille::store::Status s) {
        return std::string(canaille::store::to_string(s));
    }
};
}  // namespace Catch

namespace canaille::store::testing {

/// A whole second, so every backend (LDAP keeps seconds) can store it exactly.
inline TimePoint t0() { return from_unix(1'700'000'000); }

inline model::User make_user(const std::string& user_name) {
    model::User u;
    u.user_name = user_name;
    u.emails = {user_name + "@example.org"};
    return u;
}

inline model::Group make_group(const std::string& display_name) {
    model::Group g;
    g.display_name = display_name;
    return g;
}

inline model::Session make_session(const std::string& id_hash, const std::string& user_id,
                                   TimePoint now) {
    model::Session s;
    s.id_hash = id_hash;
    s.user_id = user_id;
    s.created = now;
    s.last_seen = now;
    s.expires = now + std::chrono::hours(1);
    s.auth_time = now;
    s.amr = {"pwd"};
    s.csrf_secret = "csrf-" + id_hash;
    s.remember = true;
    s.data = "{}";
    return s;
}

/// Creates a user, failing the test when the store refuses it.
inline model::User add_user(Store& store, const std::string& user_name) {
    auto u = make_user(user_name);
    REQUIRE(store.create_user(u) == Status::ok);
    return u;
}

inline model::Group add_group(Store& store, const std::string& display_name,
                              std::vector<std::string> members = {}) {
    auto g = make_group(display_name);
    g.members = std::move(members);
    REQUIRE(store.create_group(g) == Status::ok);
    return g;
}

inline std::vector<std::string> names_of(const std::vector<model::User>& users) {
    std::vector<std::string> out;
    for (const auto& u : users) out.push_back(u.user_name);
    return out;
}

inline std::vector<std::string> names_of(const std::vector<model::Group>& groups) {
    std::vector<std::string> out;
    for (const auto& g : groups) out.push_back(g.display_name);
    return out;
}

}  // namespace canaille::store::testing

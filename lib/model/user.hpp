// SPDX-License-Identifier: MIT
// model: plain data structs shared by stores, rules and routes. No I/O, no behaviour
// beyond trivial helpers; depends only on util.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/clock.hpp"

namespace canaille::model {

/// A person (reference §4 "User"); identifier: user_name.
struct User {
    std::string id;  ///< UUID, assigned by the store on create when empty
    std::optional<TimePoint> created;
    std::optional<TimePoint> last_modified;

    std::string user_name;
    /// Stored password hash ("$argon2id$..." or a passlib hash); never sent to clients.
    std::optional<std::string> password;
    std::optional<TimePoint> password_last_update;
    std::vector<TimePoint> password_failure_timestamps;

    std::optional<std::string> preferred_language;
    std::optional<std::string> family_name;
    std::optional<std::string> given_name;
    std::optional<std::string> formatted_name;
    std::optional<std::string> display_name;
    std::vector<std::string> emails;  ///< first = preferred
    std::vector<std::string> phone_numbers;
    std::optional<std::string> formatted_address;
    std::optional<std::string> street;
    std::optional<std::string> postal_code;
    std::optional<std::string> locality;
    std::optional<std::string> region;
    std::optional<std::string> photo;  ///< JPEG bytes
    std::optional<std::string> profile_url;
    std::optional<std::string> title;
    std::optional<std::string> organization;
    std::optional<std::string> employee_number;
    std::optional<std::string> department;
    std::optional<TimePoint> lock_date;  ///< locked once this is in the past

    std::optional<TimePoint> last_otp_login;
    std::optional<std::string> secret_token;
    std::optional<std::int64_t> hotp_counter;
    std::optional<std::string> one_time_password;
    std::optional<TimePoint> one_time_password_emission_date;

    /// Ids of the groups this user is a member of (read side of Group::members).
    std::vector<std::string> groups;

    bool locked(TimePoint now) const { return lock_date && *lock_date <= now; }
    std::optional<std::string> preferred_email() const {
        if (emails.empty()) return std::nullopt;
        return emails.front();
    }

    /// Field-by-field equality (tests and change detection).
    bool operator==(const User&) const = default;
};

}  // namespace canaille::model

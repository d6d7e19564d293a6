// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/clock.hpp"

namespace canaille::model {

/// A user's consent to a client (reference §4 "Consent"); identifier: consent_id. At most
/// one consent per (subject, client_id).
struct Consent {
    std::string id;  ///< UUID, assigned by the store on create when empty

    std::string consent_id;
    std::string subject;    ///< User::id
    std::string client_id;  ///< Client::client_id
    std::vector<std::string> scope;
    TimePoint issue_date{};
    std::optional<TimePoint> revokation_date;  ///< Canaille's spelling

    bool revoked() const { return revokation_date.has_value(); }

    /// Field-by-field equality (tests and change detection).
    bool operator==(const Consent&) const = default;
};

}  // namespace canaille::model

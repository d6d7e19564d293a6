// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/clock.hpp"

namespace canaille::model {

/// A group of users (reference §4 "Group"); identifier: display_name.
struct Group {
    std::string id;
    std::optional<TimePoint> created;
    std::optional<TimePoint> last_modified;

    std::string display_name;
    std::vector<std::string> members;  ///< user ids, in membership order
    std::optional<std::string> owner;  ///< user id
    std::optional<std::string> description;

    /// Field-by-field equality (tests and change detection).
    bool operator==(const Group&) const = default;
};

}  // namespace canaille::model

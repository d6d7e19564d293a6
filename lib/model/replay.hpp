// SPDX-License-Identifier: MIT
#pragma once

#include <string>

#include "util/clock.hpp"

namespace canaille::model {

/// A JWT `jti` seen once (client assertions, RFC 7523 §3 item 7), kept until the assertion
/// it came from expires, so a replay within its lifetime is refused.
struct ReplayRecord {
    std::string jti;
    TimePoint expires{};

    bool operator==(const ReplayRecord&) const = default;
};

}  // namespace canaille::model

// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace canaille::config {

/// Parses a duration into seconds: either a non-negative integer number of seconds ("3600")
/// or an ISO 8601 duration restricted to exact units: PnW, PnD, and a time part TnHnMnS
/// ("P30D", "PT1H30M", "P1DT12H"). Years and months are rejected because their length
/// depends on the calendar. Returns nullopt on any syntax error or overflow.
std::optional<std::int64_t> parse_duration(std::string_view text);

/// Formats seconds as the shortest ISO 8601 duration parse_duration reads back ("PT30S").
std::string format_duration(std::int64_t seconds);

}  // namespace canaille::config

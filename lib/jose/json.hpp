// SPDX-License-Identifier: MIT
// jose: bounded JSON helpers shared by JWK, JWS and JWT claim handling (RapidJSON).
#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace canaille::jose {

/// Parses `text` as one JSON object of at most `max_bytes` bytes. Rejects invalid UTF-8,
/// trailing data, non-object roots and duplicate top-level member names (RFC 7515 §4 lets a
/// JOSE parser reject duplicates; accepting them invites "first or last wins" confusion).
/// The parser is iterative, so deep nesting cannot exhaust the stack.
Result<rapidjson::Document, std::string> parse_json_object(std::string_view text,
                                                           std::size_t max_bytes);

/// The string member `name` of `object`, or nullopt when absent or not a string.
std::optional<std::string_view> get_string(const rapidjson::Value& object, std::string_view name);

/// A JWT NumericDate (RFC 7519 §2): an integer or a real number of seconds, truncated to
/// int64. nullopt when absent, not a number, or out of range (NaN, ±inf, beyond int64).
std::optional<std::int64_t> get_numeric_date(const rapidjson::Value& object, std::string_view name);

/// True when `object` has a member called `name` (of any type).
bool has_member(const rapidjson::Value& object, std::string_view name);

/// Appends `text` to `out` as a JSON string literal (quotes included).
void append_json_string(std::string& out, std::string_view text);

}  // namespace canaille::jose

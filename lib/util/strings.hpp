// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace canaille {

std::string_view trim(std::string_view s);
std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool starts_with(std::string_view s, std::string_view prefix);
std::vector<std::string_view> split(std::string_view s, char sep);

/// Simple case folding (lower case) of ASCII and of the two-byte UTF-8 letters of the
/// scripts names are most often written in: Latin-1, Latin Extended-A, Greek (final sigma
/// folds to sigma) and Cyrillic. Other bytes, invalid UTF-8 included, are copied unchanged.
/// For searches done outside a database that folds itself (SQLite's LIKE folds ASCII only;
/// some LDAP attributes match case-exactly), so "ÉLODIE" finds "Élodie" everywhere.
std::string fold_case(std::string_view text);

/// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF).
bool valid_utf8(std::string_view s);

/// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view s);
/// Decodes %XX (and '+' as space when `plus_is_space`); nullopt-free: invalid escapes are
/// reported through `ok`.
std::string url_decode(std::string_view s, bool plus_is_space, bool& ok);

/// Minimal HTML escaping for the few strings built outside templates.
std::string html_escape(std::string_view s);

/// JSON string escaping (without the surrounding quotes).
std::string json_escape(std::string_view s);

}  // namespace canaille

// SPDX-License-Identifier: MIT
#include "config/duration.hpp"

#include <cctype>
#include <string>

namespace canaille::config {
namespace {

constexpr std::size_t kMaxDigits = 18;  // keeps every number below 10^18, far from int64 max

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::optional<std::int64_t> parse_seconds(std::string_view text) {
    if (text.empty() || text.size() > kMaxDigits) return std::nullopt;
    std::int64_t value = 0;
    for (char c : text) {
        if (!is_digit(c)) return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return value;
}

// Adds `count * unit` to `total`, false on overflow.
bool accumulate(std::int64_t& total, std::int64_t count, std::int64_t unit) {
    std::int64_t part = 0;
    if (__builtin_mul_overflow(count, unit, &part)) return false;
    return !__builtin_add_overflow(total, part, &total);
}

}  // namespace

std::optional<std::int64_t> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    if (is_digit(text.front())) return parse_seconds(text);
    if (std::toupper(static_cast<unsigned char>(text.front())) != 'P') return std::nullopt;

    // Units in the order ISO 8601 writes them; each may appear at most once.
    struct Unit {
        char letter;
        bool time;  // after the 'T' designator
        std::int64_t seconds;
    };
    static constexpr Unit kUnits[] = {
        {'W', false, 7 * 86400}, {'D', false, 86400}, {'H', true, 3600},
        {'M', true, 60},         {'S', true, 1},
    };

    std::int64_t total = 0;
    std::size_t next_unit = 0;  // index into kUnits of the next allowed unit
    bool in_time = false;
    bool any = false;
    bool time_has_unit = false;
    std::size_t i = 1;
    while (i < text.size()) {
        char c = static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
        if (c == 'T') {
            if (in_time) return std::nullopt;
            in_time = true;
            ++i;
            continue;
        }
        std::size_t start = i;
        while (i < text.size() && is_digit(text[i])) ++i;
        if (i == start || i == text.size()) return std::nullopt;
        auto count = parse_seconds(text.substr(start, i - start));
        if (!count) return std::nullopt;
        char letter = static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
        ++i;
        bool found = false;
        for (std::size_t u = next_unit; u < std::size(kUnits); ++u) {
            if (kUnits[u].letter == letter && kUnits[u].time == in_time) {
                if (!accumulate(total, *count, kUnits[u].seconds)) return std::nullopt;
                next_unit = u + 1;
                found = true;
                break;
            }
        }
        if (!found) return std::nullopt;
        any = true;
        if (in_time) time_has_unit = true;
    }
    if (!any || (in_time && !time_has_unit)) return std::nullopt;
    return total;
}

std::string format_duration(std::int64_t seconds) {
    if (seconds <= 0) return "PT0S";
    std::string out = "P";
    if (std::int64_t days = seconds / 86400; days > 0) out += std::to_string(days) + "D";
    seconds %= 86400;
    if (seconds == 0) return out;
    out += "T";
    if (std::int64_t h = seconds / 3600; h > 0) out += std::to_string(h) + "H";
    if (std::int64_t m = seconds / 60 % 60; m > 0) out += std::to_string(m) + "M";
    if (std::int64_t s = seconds % 60; s > 0) out += std::to_string(s) + "S";
    return out;
}

}  // namespace canaille::config

// SPDX-License-Identifier: MIT
#include "util/log.hpp"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <string>

namespace canaille::log {
namespace {
Level g_level = Level::info;

const char* name(Level l) {
    switch (l) {
        case Level::debug:
            return "DEBUG";
        case Level::info:
            return "INFO";
        case Level::security:
            return "SECURITY";
        case Level::warning:
            return "WARNING";
        case Level::error:
            return "ERROR";
    }
    return "?";
}
}  // namespace

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }

void write(Level lvl, std::string_view message) {
    if (static_cast<int>(lvl) < static_cast<int>(g_level)) return;
    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::string line;
    line.reserve(message.size() + 64);
    line.append(stamp).append(" ").append(name(lvl)).append(" [");
    line.append(std::to_string(getpid())).append("] ");
    // One record per line: control characters from user input cannot forge entries.
    for (const char c : message) line.push_back((c == '\n' || c == '\r') ? ' ' : c);
    line.push_back('\n');
    // A single write(2) keeps lines from concurrent workers whole.
    [[maybe_unused]] const auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace canaille::log

// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

namespace canaille::log {

enum class Level { debug = 10, info = 20, security = 25, warning = 30, error = 40 };

/// Sets the lowest level written; messages go to stderr, one line each, with the pid.
void set_level(Level level);
Level level();

/// Writes one line: "<iso time> <LEVEL> [pid] message". Never pass secrets.
void write(Level level, std::string_view message);

inline void debug(std::string_view m) { write(Level::debug, m); }
inline void info(std::string_view m) { write(Level::info, m); }
inline void security(std::string_view m) { write(Level::security, m); }
inline void warning(std::string_view m) { write(Level::warning, m); }
inline void error(std::string_view m) { write(Level::error, m); }

}  // namespace canaille::log

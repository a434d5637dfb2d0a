// JSON-lines logging. One line per event: {"ts":..., "level":..., "msg":..., fields...}.
// Callers pass structured fields, never prompt text or secrets: the API has no
// printf-style formatting on purpose, so nothing gets interpolated by accident.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "core/json.h"

namespace warden::core {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Configures the process-wide logger. `file` empty = stderr. Thread-safe to call log().
void log_init(LogLevel level, const std::string& file);
LogLevel parse_log_level(std::string_view name);
bool log_enabled(LogLevel level);

using LogFields = std::initializer_list<std::pair<const char*, Json>>;
void log(LogLevel level, std::string_view message, LogFields fields = {});

inline void log_debug(std::string_view m, LogFields f = {}) { log(LogLevel::kDebug, m, f); }
inline void log_info(std::string_view m, LogFields f = {}) { log(LogLevel::kInfo, m, f); }
inline void log_warn(std::string_view m, LogFields f = {}) { log(LogLevel::kWarn, m, f); }
inline void log_error(std::string_view m, LogFields f = {}) { log(LogLevel::kError, m, f); }

}  // namespace warden::core

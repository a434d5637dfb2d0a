#include "core/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <stdexcept>

namespace warden::core {
namespace {

struct LoggerState {
  std::mutex mutex;
  LogLevel level = LogLevel::kInfo;
  FILE* out = stderr;
};

LoggerState& state() {
  static LoggerState s;
  return s;
}

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto seconds = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis));
  return buf;
}

}  // namespace

LogLevel parse_log_level(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  throw std::invalid_argument("unknown log level \"" + std::string(name) + "\"");
}

void log_init(LogLevel level, const std::string& file) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  s.level = level;
  if (!file.empty()) {
    FILE* f = std::fopen(file.c_str(), "a");
    if (!f) throw std::runtime_error("cannot open log file " + file);
    if (s.out != stderr) std::fclose(s.out);
    s.out = f;
  }
}

bool log_enabled(LogLevel level) { return level >= state().level; }

void log(LogLevel level, std::string_view message, LogFields fields) {
  auto& s = state();
  if (level < s.level) return;
  std::string line = "{\"ts\":\"" + timestamp() + "\",\"level\":\"" + level_name(level) + "\",\"msg\":";
  json_append_quoted(line, message);
  for (const auto& [key, value] : fields) {
    line += ',';
    json_append_quoted(line, key);
    line += ':';
    value.dump_to(line);
  }
  line += "}\n";
  std::lock_guard lock(s.mutex);
  std::fwrite(line.data(), 1, line.size(), s.out);
  std::fflush(s.out);
}

}  // namespace warden::core

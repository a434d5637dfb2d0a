// Gateway configuration: warden.yaml (or .json) + WARDEN_* environment overrides.
//
// Every setting is declared once in config.cpp's table (path, type, range, default,
// description); the loader rejects unknown keys and bad values naming the key, and a
// test checks that docs/configuration.md documents every setting of the table.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/json.h"

namespace warden::core {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 2;
  int64_t max_body_bytes = 4 << 20;
  int max_header_bytes = 16 << 10;
  int read_timeout_ms = 30000;      // whole request (headers + body) must arrive in this time
  int max_pipelined = 16;           // requests queued on one connection before we stop reading
  int max_connections = 2048;
  int shutdown_grace_ms = 15000;    // time in-flight requests get after SIGTERM
  std::string web_dir = "web";
};

struct DatabaseConfig {
  std::string url;                  // empty: run the embedded PostgreSQL in state_dir/pg
  int pool_size = 4;
  std::string embedded_os_user = "warden";
  int auth_outage_grace_s = 300;    // recently verified keys keep working this long in an outage
};

struct ModelConfig {
  std::string path;                 // HF checkpoint directory; empty: synthesize a demo model
  std::string served_name;          // model id shown to clients; default: folder name
  std::string compute = "int8";     // f32 | bf16 | int8
  int kv_cache_mb = 512;
  std::string kv_cache_dtype = "f32";  // f32 | bf16 (half the bytes per cached token)
  int threads = 0;                  // 0: all cores
  int max_queue = 64;               // waiting requests beyond this get 503
  int default_max_tokens = 512;
};

struct LimitsConfig {
  int requests_per_minute = 600;    // per key unless the key or team sets its own
  int64_t tokens_per_minute = 200000;
  int max_messages = 2000;
  int max_stop_sequences = 4;
};

struct LoggingConfig {
  std::string level = "info";       // debug | info | warn | error
  std::string file;                 // empty: stderr
};

struct Config {
  std::string state_dir = "var";
  ServerConfig server;
  DatabaseConfig database;
  ModelConfig model;
  LimitsConfig limits;
  LoggingConfig logging;
  Json extra_sections = Json::object();  // sections owned by other modules (audit, policy)
};

// One documented setting, for docs checks and `warden config --list`.
struct SettingInfo {
  std::string path;         // e.g. "server.port"
  std::string env;          // e.g. "WARDEN_SERVER_PORT"
  std::string type;         // "string" | "integer" | "boolean" | "section"
  std::string description;
};
const std::vector<SettingInfo>& config_settings();

// Builds a Config from a parsed document (may be null = all defaults) and an environment
// (name → value). Collects every problem and throws one ConfigError listing them all.
Config config_from_json(const Json& document, const std::map<std::string, std::string>& env);

// Reads the file (missing file is an error only when `must_exist`) and the process
// environment.
Config load_config(const std::string& path, bool must_exist);

// Sections other modules own are passed through under these names.
inline const char* const kPassThroughSections[] = {"audit", "policy"};

}  // namespace warden::core

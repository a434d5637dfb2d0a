#include "core/config.h"

#include <filesystem>
#include <functional>
#include <set>

#include "core/yaml.h"

extern char** environ;

namespace warden::core {
namespace {

enum class Kind { kString, kInt, kBool };

struct Setting {
  const char* path;
  Kind kind;
  int64_t min = 0;
  int64_t max = 0;
  std::vector<std::string> choices;  // allowed strings, empty = any
  std::function<void(Config&, const Json&)> assign;
  const char* description;
};

#define STR(field) [](Config& c, const Json& v) { c.field = v.as_string(); }
#define INT(field) [](Config& c, const Json& v) { c.field = static_cast<decltype(c.field)>(v.as_int()); }

const std::vector<Setting>& table() {
  static const std::vector<Setting> settings = {
      {"state_dir", Kind::kString, 0, 0, {}, STR(state_dir), "Folder for the embedded database, spool, keys and demo model."},
      {"server.host", Kind::kString, 0, 0, {}, STR(server.host), "Address to listen on."},
      {"server.port", Kind::kInt, 0, 65535, {}, INT(server.port), "TCP port (0 picks a free port and logs it)."},
      {"server.threads", Kind::kInt, 1, 256, {}, INT(server.threads), "Network threads."},
      {"server.max_body_bytes", Kind::kInt, 1024, int64_t(1) << 30, {}, INT(server.max_body_bytes), "Largest request body; larger gets 413."},
      {"server.max_header_bytes", Kind::kInt, 1024, 1 << 20, {}, INT(server.max_header_bytes), "Largest request header block; larger gets 431."},
      {"server.read_timeout_ms", Kind::kInt, 100, 3600000, {}, INT(server.read_timeout_ms), "Time a client has to send a whole request."},
      {"server.max_pipelined", Kind::kInt, 1, 1024, {}, INT(server.max_pipelined), "Requests one connection may have queued."},
      {"server.max_connections", Kind::kInt, 1, 1000000, {}, INT(server.max_connections), "Open connections beyond this are refused."},
      {"server.shutdown_grace_ms", Kind::kInt, 0, 3600000, {}, INT(server.shutdown_grace_ms), "Time in-flight requests get to finish after SIGTERM."},
      {"server.web_dir", Kind::kString, 0, 0, {}, STR(server.web_dir), "Static files of the web console."},
      {"database.url", Kind::kString, 0, 0, {}, STR(database.url), "libpq connection string; empty runs the embedded PostgreSQL."},
      {"database.pool_size", Kind::kInt, 1, 256, {}, INT(database.pool_size), "Connections in the pool."},
      {"database.embedded_os_user", Kind::kString, 0, 0, {}, STR(database.embedded_os_user), "Unprivileged OS user that runs the embedded PostgreSQL when Warden runs as root."},
      {"database.auth_outage_grace_s", Kind::kInt, 0, 86400, {}, INT(database.auth_outage_grace_s), "While the database is unreachable, API keys it verified within this many seconds keep working (0: refuse all requests)."},
      {"model.path", Kind::kString, 0, 0, {}, STR(model.path), "Hugging Face checkpoint directory; empty synthesizes a random-weight demo model."},
      {"model.served_name", Kind::kString, 0, 0, {}, STR(model.served_name), "Model id clients use; default is the folder name."},
      {"model.compute", Kind::kString, 0, 0, {"f32", "bf16", "int8"}, STR(model.compute), "Weight format the CPU backend computes in."},
      {"model.kv_cache_mb", Kind::kInt, 1, 1 << 20, {}, INT(model.kv_cache_mb), "Latent KV cache budget."},
      {"model.kv_cache_dtype", Kind::kString, 0, 0, {"f32", "bf16"}, STR(model.kv_cache_dtype), "Latent KV cache storage; bf16 halves the bytes per token."},
      {"model.threads", Kind::kInt, 0, 1024, {}, INT(model.threads), "Compute threads (0 = all cores)."},
      {"model.max_queue", Kind::kInt, 0, 100000, {}, INT(model.max_queue), "Requests waiting for cache space; beyond this 503."},
      {"model.default_max_tokens", Kind::kInt, 1, 1 << 20, {}, INT(model.default_max_tokens), "max_tokens when a request gives none."},
      {"limits.requests_per_minute", Kind::kInt, 1, 100000000, {}, INT(limits.requests_per_minute), "Default per-key request rate."},
      {"limits.tokens_per_minute", Kind::kInt, 1, int64_t(1) << 40, {}, INT(limits.tokens_per_minute), "Default per-key token rate (prompt + completion)."},
      {"limits.max_messages", Kind::kInt, 1, 1000000, {}, INT(limits.max_messages), "Most messages in one chat request."},
      {"limits.max_stop_sequences", Kind::kInt, 0, 64, {}, INT(limits.max_stop_sequences), "Most stop strings in one request."},
      {"logging.level", Kind::kString, 0, 0, {"debug", "info", "warn", "error"}, STR(logging.level), "Least severe level written."},
      {"logging.file", Kind::kString, 0, 0, {}, STR(logging.file), "JSON-lines log file; empty writes to stderr."},
  };
  return settings;
}

#undef STR
#undef INT

std::string env_name(std::string_view path) {
  std::string name = "WARDEN_";
  for (char c : path) name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

const Json* lookup(const Json& doc, std::string_view path) {
  const Json* node = &doc;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string_view part = path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!node->is_object()) return nullptr;
    node = node->find(part);
    if (!node) return nullptr;
    if (dot == std::string_view::npos) return node;
    start = dot + 1;
  }
}

// Converts an environment string to the setting's type.
Json from_env(const Setting& s, const std::string& raw, std::vector<std::string>& problems) {
  std::string name = env_name(s.path);
  if (s.kind == Kind::kString) return Json(raw);
  if (s.kind == Kind::kBool) {
    if (raw == "true" || raw == "1") return Json(true);
    if (raw == "false" || raw == "0") return Json(false);
    problems.push_back(name + ": expected true or false, got \"" + raw + "\"");
    return Json();
  }
  try {
    size_t used = 0;
    long long v = std::stoll(raw, &used);
    if (used != raw.size()) throw std::invalid_argument(raw);
    return Json(v);
  } catch (const std::exception&) {
    problems.push_back(name + ": expected an integer, got \"" + raw + "\"");
    return Json();
  }
}

void check_unknown_keys(const Json& node, const std::string& prefix, const std::set<std::string>& known,
                        std::vector<std::string>& problems) {
  for (const auto& [key, value] : node.as_object()) {
    std::string path = prefix.empty() ? key : prefix + "." + key;
    if (prefix.empty()) {
      bool pass_through = false;
      for (const char* section : kPassThroughSections) pass_through |= key == section;
      if (pass_through) continue;
    }
    if (known.count(path)) continue;
    bool is_section = false;
    for (const auto& k : known) is_section |= k.rfind(path + ".", 0) == 0;
    if (is_section && value.is_object()) {
      check_unknown_keys(value, path, known, problems);
    } else if (is_section) {
      problems.push_back(path + ": expected a mapping, got " + value.type_name());
    } else {
      problems.push_back(path + ": unknown setting");
    }
  }
}

}  // namespace

const std::vector<SettingInfo>& config_settings() {
  static const std::vector<SettingInfo> infos = [] {
    std::vector<SettingInfo> out;
    for (const auto& s : table()) {
      const char* type = s.kind == Kind::kString ? "string" : s.kind == Kind::kInt ? "integer" : "boolean";
      out.push_back({s.path, env_name(s.path), type, s.description});
    }
    for (const char* section : kPassThroughSections) out.push_back({section, "", "section", "Owned by its module."});
    return out;
  }();
  return infos;
}

Config config_from_json(const Json& document, const std::map<std::string, std::string>& env) {
  std::vector<std::string> problems;
  Config config;
  if (!document.is_null() && !document.is_object()) {
    throw ConfigError("configuration: the document must be a mapping, got " + std::string(document.type_name()));
  }
  std::set<std::string> known;
  for (const auto& s : table()) known.insert(s.path);
  if (document.is_object()) check_unknown_keys(document, "", known, problems);

  for (const auto& s : table()) {
    Json value;
    std::string where = s.path;
    auto env_it = env.find(env_name(s.path));
    if (env_it != env.end()) {
      value = from_env(s, env_it->second, problems);
      where = env_name(s.path);
      if (value.is_null()) continue;
    } else if (const Json* found = document.is_object() ? lookup(document, s.path) : nullptr) {
      value = *found;
    } else {
      continue;  // default
    }
    bool type_ok = (s.kind == Kind::kString && value.is_string()) || (s.kind == Kind::kInt && value.is_int()) ||
                   (s.kind == Kind::kBool && value.is_bool());
    if (!type_ok) {
      const char* want = s.kind == Kind::kString ? "a string" : s.kind == Kind::kInt ? "an integer" : "true or false";
      problems.push_back(where + ": expected " + want + ", got " + value.type_name());
      continue;
    }
    if (s.kind == Kind::kInt && (value.as_int() < s.min || value.as_int() > s.max)) {
      problems.push_back(where + ": " + std::to_string(value.as_int()) + " is out of range [" + std::to_string(s.min) +
                         ", " + std::to_string(s.max) + "]");
      continue;
    }
    if (!s.choices.empty()) {
      bool ok = false;
      std::string expected;
      for (const auto& c : s.choices) {
        ok |= c == value.as_string();
        expected += (expected.empty() ? "" : ", ") + c;
      }
      if (!ok) {
        problems.push_back(where + ": unknown value \"" + value.as_string() + "\" (expected " + expected + ")");
        continue;
      }
    }
    s.assign(config, value);
  }
  if (document.is_object()) {
    for (const char* section : kPassThroughSections) {
      if (const Json* found = document.find(section)) config.extra_sections[section] = *found;
    }
  }
  if (!problems.empty()) {
    std::string message = "configuration has " + std::to_string(problems.size()) + " problem(s):";
    for (const auto& p : problems) message += "\n  " + p;
    throw ConfigError(message);
  }
  return config;
}

Config load_config(const std::string& path, bool must_exist) {
  Json document;
  if (!path.empty() && std::filesystem::exists(path)) {
    try {
      document = load_document_file(path);
    } catch (const std::exception& e) {
      throw ConfigError(e.what());
    }
  } else if (must_exist) {
    throw ConfigError("configuration file " + path + " does not exist");
  }
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    if (entry.rfind("WARDEN_", 0) != 0) continue;
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  try {
    return config_from_json(document, env);
  } catch (const ConfigError& e) {
    throw ConfigError((path.empty() ? std::string("defaults") : path) + ": " + e.what());
  }
}

}  // namespace warden::core

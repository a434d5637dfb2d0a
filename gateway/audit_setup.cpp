#include "gateway/audit_setup.h"

#include <sodium.h>
#include <sys/stat.h>

#include <pqxx/pqxx>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "audit/checkpoint.h"
#include "audit/record.h"
#include "audit/spool.h"

extern char** environ;

namespace warden::gateway {
namespace fs = std::filesystem;
using core::Json;

namespace {

enum class Kind { kString, kInt, kBool, kList };

struct AuditSetting {
  const char* name;  // below "audit."
  Kind kind;
  int64_t min = 0;
  int64_t max = 0;
  const char* description;
};

const std::vector<AuditSetting>& table() {
  static const std::vector<AuditSetting> settings = {
      {"reviewers", Kind::kList, 0, 0,
       "Reviewer public key files (`warden audit keygen`); every record is sealed to each. Empty: demo reviewer."},
      {"demo_reviewer", Kind::kBool, 0, 0,
       "With no reviewer configured, create and use state_dir/secrets/demo-reviewer.{key,pub} (demo only)."},
      {"signing_key", Kind::kString, 0, 0,
       "Checkpoint signing key file (Ed25519); created with mode 0600 and a .pub beside it when missing."},
      {"signing_key_passphrase_env", Kind::kString, 0, 0,
       "Environment variable holding the signing key's passphrase (empty: the key file is not protected)."},
      {"previous_signing_keys", Kind::kList, 0, 0,
       "Public key files of earlier signing keys that /audit/v1/verify still trusts after a rotation."},
      {"spool", Kind::kString, 0, 0, "Local fsynced spool used while PostgreSQL is unreachable."},
      {"checkpoint_file", Kind::kString, 0, 0,
       "JSON-lines export of every signed checkpoint (keep a copy off the database host); empty: none."},
      {"checkpoint_every_records", Kind::kInt, 1, 10000000, "Sign a checkpoint after this many records."},
      {"checkpoint_interval_ms", Kind::kInt, 100, 86400000, "Sign a checkpoint at least this often while records arrive."},
      {"durability", Kind::kString, 0, 0,
       "`wait_durable`: a response completes only once its record is durable; `bounded_lag`: up to max_lag_records may be in flight."},
      {"max_lag_records", Kind::kInt, 1, 1000000, "Records that may be in flight, not yet durable, with durability bounded_lag."},
      {"fail_open", Kind::kBool, 0, 0,
       "When neither PostgreSQL nor the spool can take records: false refuses requests (503), true drops records with a log line."},
      {"queue_capacity", Kind::kInt, 1, 10000000, "Records waiting for the writer thread; beyond this requests get 503."},
      {"max_batch", Kind::kInt, 1, 100000, "Most records in one group commit."},
      {"reconnect_interval_ms", Kind::kInt, 10, 600000, "Time between attempts to reach PostgreSQL again."},
      {"chain", Kind::kString, 0, 0,
       "This gateway's audit chain id (letters, digits, `.`, `_`, `-`; at most 64). Empty: the id in "
       "state_dir/audit/chain-id, created on first start (`main` for a gateway that wrote records before chains "
       "existed, else `gw-` + 12 random hex characters). Gateways sharing a database need different ids."},
  };
  return settings;
}

std::string env_name(const std::string& name) {
  std::string out = "WARDEN_AUDIT_";
  for (char c : name) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

void default_log(core::LogLevel level, const std::string& message) { core::log(level, message); }

// Splits an environment list value: "a.pub, b.pub" -> {"a.pub", "b.pub"}.
Json split_list(const std::string& raw) {
  Json list = Json::array();
  std::stringstream in(raw);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t b = item.find_first_not_of(" \t");
    size_t e = item.find_last_not_of(" \t");
    if (b != std::string::npos) list.push_back(item.substr(b, e - b + 1));
  }
  return list;
}

// The value of one setting from the environment or the file, type-checked; null when unset
// or wrong (then a problem was recorded).
Json value_of(const AuditSetting& s, const Json* section, const std::map<std::string, std::string>& env,
              std::vector<std::string>& problems, std::string& where) {
  where = std::string("audit.") + s.name;
  Json value;
  if (auto it = env.find(env_name(s.name)); it != env.end()) {
    where = env_name(s.name);
    const std::string& raw = it->second;
    switch (s.kind) {
      case Kind::kString:
        return Json(raw);
      case Kind::kList:
        return split_list(raw);
      case Kind::kBool:
        if (raw == "true" || raw == "1") return Json(true);
        if (raw == "false" || raw == "0") return Json(false);
        problems.push_back(where + ": expected true or false, got \"" + raw + "\"");
        return Json();
      case Kind::kInt:
        try {
          size_t used = 0;
          long long v = std::stoll(raw, &used);
          if (used == raw.size()) {
            value = Json(v);
            break;
          }
        } catch (const std::exception&) {
        }
        problems.push_back(where + ": expected an integer, got \"" + raw + "\"");
        return Json();
    }
  } else if (const Json* found = section ? section->find(s.name) : nullptr) {
    value = *found;
  } else {
    return Json();
  }
  bool ok = (s.kind == Kind::kString && value.is_string()) || (s.kind == Kind::kInt && value.is_int()) ||
            (s.kind == Kind::kBool && value.is_bool()) || (s.kind == Kind::kList && value.is_array());
  if (!ok) {
    const char* want = s.kind == Kind::kString ? "a string"
                       : s.kind == Kind::kInt  ? "an integer"
                       : s.kind == Kind::kBool ? "true or false"
                                               : "a list of file names";
    problems.push_back(where + ": expected " + want + ", got " + value.type_name());
    return Json();
  }
  if (s.kind == Kind::kInt && (value.as_int() < s.min || value.as_int() > s.max)) {
    problems.push_back(where + ": " + std::to_string(value.as_int()) + " is out of range [" + std::to_string(s.min) + ", " +
                       std::to_string(s.max) + "]");
    return Json();
  }
  if (s.kind == Kind::kList) {
    for (size_t i = 0; i < value.size(); ++i) {
      const Json& item = value[i];
      if (!item.is_string() || item.as_string().empty()) {
        problems.push_back(where + "[" + std::to_string(i) + "]: expected a file name, got " +
                           (item.is_string() ? std::string("an empty string") : std::string(item.type_name())));
        return Json();
      }
    }
  }
  return value;
}

// The "type" field of a key file, or "" when it cannot be read as one.
std::string key_file_type(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  try {
    Json doc = Json::parse(text.str());
    if (const Json* type = doc.find("type"); type && type->is_string()) return type->as_string();
  } catch (const std::exception&) {
  }
  return "";
}

void load_reviewers(AuditSettings& s, const std::string& where, std::vector<std::string>& problems) {
  for (size_t i = 0; i < s.reviewer_files.size(); ++i) {
    const fs::path& file = s.reviewer_files[i];
    std::string at = where + "[" + std::to_string(i) + "]";
    if (!fs::exists(file)) {
      problems.push_back(at + ": file not found: " + file.string());
      continue;
    }
    if (key_file_type(file) == "warden-audit-reviewer-secret") {
      problems.push_back(at + ": " + file.string() +
                         " is a reviewer SECRET key; configure its .pub file (the secret key stays with the reviewer)");
      continue;
    }
    try {
      audit::ReviewerPublicKey key = audit::load_reviewer_public_key(file);
      for (size_t j = 0; j < s.reviewers.size(); ++j) {
        if (s.reviewers[j].key_id == key.key_id) {
          problems.push_back(at + ": the same key (id " + key.key_id + ") is listed twice");
        }
      }
      s.reviewers.push_back(std::move(key));
    } catch (const std::exception& e) {
      problems.push_back(at + ": " + e.what());
    }
  }
}

void load_previous_signing_keys(AuditSettings& s, const std::string& where, std::vector<std::string>& problems) {
  for (size_t i = 0; i < s.previous_signing_key_files.size(); ++i) {
    const fs::path& file = s.previous_signing_key_files[i];
    std::string at = where + "[" + std::to_string(i) + "]";
    if (!fs::exists(file)) {
      problems.push_back(at + ": file not found: " + file.string());
      continue;
    }
    try {
      s.trusted_signing_keys.push_back(audit::load_signing_public_key(file));
    } catch (const std::exception& e) {
      problems.push_back(at + ": " + e.what());
    }
  }
}

void throw_problems(const std::vector<std::string>& problems) {
  if (problems.empty()) return;
  std::string message = "audit configuration has " + std::to_string(problems.size()) + " problem(s):";
  for (const auto& p : problems) message += "\n  " + p;
  throw core::ConfigError(message);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Creates `dir` (and parents); a folder created here for secrets is private to the owner.
void make_private_dir(const fs::path& dir) {
  if (dir.empty() || fs::exists(dir)) return;
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
}

std::map<std::string, std::string> audit_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    if (entry.rfind("WARDEN_AUDIT_", 0) != 0) continue;
    size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

void load_or_create_signing_key(AuditSettings& s, const AuditLogFn& log) {
  const fs::path& file = s.signing_key_file;
  std::optional<std::string> passphrase;
  if (!s.signing_key_passphrase_env.empty()) {
    const char* value = std::getenv(s.signing_key_passphrase_env.c_str());
    if (!value) {
      throw core::ConfigError("audit.signing_key_passphrase_env: environment variable " + s.signing_key_passphrase_env +
                              " is not set");
    }
    passphrase = std::string(value);
  }
  std::error_code ec;
  if (fs::exists(file, ec)) {
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO))) {
      throw core::ConfigError("audit.signing_key: " + file.string() + " is readable by other users (chmod 600 it)");
    }
    try {
      s.signing_key = audit::load_signing_key(file, passphrase);
    } catch (const std::exception& e) {
      throw core::ConfigError(std::string("audit.signing_key: ") + e.what());
    }
  } else {
    const std::string path = file.string();
    if (!ends_with(path, ".key")) {
      throw core::ConfigError("audit.signing_key: file not found: " + path +
                              " (a missing key is created only when its name ends in .key)");
    }
    fs::path prefix = path.substr(0, path.size() - 4);
    try {
      make_private_dir(file.parent_path());
      auto key = audit::generate_signing_key();
      audit::write_signing_key_files(*key, prefix, passphrase);
      s.signing_key = std::move(key);
    } catch (const std::exception& e) {
      throw core::ConfigError(std::string("audit.signing_key: cannot create ") + path + ": " + e.what());
    }
    log(core::LogLevel::kInfo, "created the audit checkpoint signing key " + s.signing_key->public_key().key_id + " in " +
                                   path + "; verifiers trust its public half " + prefix.string() + ".pub");
  }
  const auto& pub = s.signing_key->public_key();
  bool known = std::any_of(s.trusted_signing_keys.begin(), s.trusted_signing_keys.end(),
                           [&](const audit::SigningPublicKey& k) { return k.key_id == pub.key_id; });
  if (!known) s.trusted_signing_keys.insert(s.trusted_signing_keys.begin(), pub);
}

void use_demo_reviewer(AuditSettings& s, const AuditLogFn& log) {
  const fs::path pub = fs::path(s.demo_reviewer_prefix.string() + ".pub");
  const fs::path secret = fs::path(s.demo_reviewer_prefix.string() + ".key");
  bool created = false;
  try {
    if (!fs::exists(pub)) {
      make_private_dir(s.demo_reviewer_prefix.parent_path());
      // Never replace an existing secret key: records already sealed to it would be lost.
      std::unique_ptr<audit::ReviewerSecretKey> key =
          fs::exists(secret) ? audit::load_reviewer_secret_key(secret, std::nullopt) : audit::generate_reviewer_key();
      created = !fs::exists(secret);
      audit::write_reviewer_key_files(*key, s.demo_reviewer_prefix, std::nullopt);
    }
    s.reviewers = {audit::load_reviewer_public_key(pub)};
  } catch (const std::exception& e) {
    throw core::ConfigError(std::string("audit.demo_reviewer: cannot set up the demo reviewer key ") +
                            s.demo_reviewer_prefix.string() + ".{key,pub}: " + e.what());
  }
  s.demo_reviewer_in_use = true;
  log(core::LogLevel::kWarn,
      std::string("DEMO AUDIT REVIEWER KEY IN USE: no audit.reviewers are configured, so audit records are sealed to ") +
          (created ? "a newly created" : "the") + " demo reviewer key " + s.reviewers.front().key_id + " whose SECRET key is " +
          secret.string() +
          " on this gateway host. Anyone who can read that file can open every audit record. Never run like this "
          "in production: make a reviewer key pair offline with `warden audit keygen --out NAME`, keep NAME.key off "
          "the gateway, set audit.reviewers to NAME.pub and delete the demo key.");
}

}  // namespace

const std::vector<core::SettingInfo>& audit_settings_info() {
  static const std::vector<core::SettingInfo> infos = [] {
    std::vector<core::SettingInfo> out;
    for (const auto& s : table()) {
      const char* type = s.kind == Kind::kString ? "string"
                         : s.kind == Kind::kInt  ? "integer"
                         : s.kind == Kind::kBool ? "boolean"
                                                 : "list";
      out.push_back({std::string("audit.") + s.name, env_name(s.name), type, s.description});
    }
    return out;
  }();
  return infos;
}

AuditSettings parse_audit_settings(const core::Config& config, const std::map<std::string, std::string>& env) {
  std::vector<std::string> problems;
  const Json* section = config.extra_sections.find("audit");
  if (section && section->is_null()) section = nullptr;  // "audit:" with nothing under it
  if (section && !section->is_object()) {
    problems.push_back(std::string("audit: expected a mapping, got ") + section->type_name());
    section = nullptr;
  }
  if (section) {
    for (const auto& [key, value] : section->as_object()) {
      bool known = std::any_of(table().begin(), table().end(), [&](const AuditSetting& s) { return key == s.name; });
      if (!known) problems.push_back("audit." + key + ": unknown setting");
    }
  }

  const fs::path state_dir = config.state_dir;
  AuditSettings s;
  s.signing_key_file = state_dir / "secrets" / "audit-signing.key";
  s.demo_reviewer_prefix = state_dir / "secrets" / "demo-reviewer";
  s.spool_path = state_dir / "audit" / "spool";
  s.checkpoint_file = state_dir / "audit" / "checkpoints.jsonl";
  s.chain_id_file = state_dir / "audit" / "chain-id";

  std::string reviewers_at = "audit.reviewers", previous_at = "audit.previous_signing_keys";
  for (const auto& setting : table()) {
    std::string where;
    Json v = value_of(setting, section, env, problems, where);
    if (v.is_null()) continue;
    const std::string name = setting.name;
    if (name == "reviewers") {
      reviewers_at = where;
      for (const auto& f : v.as_array()) s.reviewer_files.emplace_back(f.as_string());
    } else if (name == "demo_reviewer") {
      s.allow_demo_reviewer = v.as_bool();
    } else if (name == "signing_key") {
      if (v.as_string().empty()) problems.push_back(where + ": must not be empty");
      else s.signing_key_file = v.as_string();
    } else if (name == "signing_key_passphrase_env") {
      s.signing_key_passphrase_env = v.as_string();
    } else if (name == "previous_signing_keys") {
      previous_at = where;
      for (const auto& f : v.as_array()) s.previous_signing_key_files.emplace_back(f.as_string());
    } else if (name == "spool") {
      if (v.as_string().empty()) problems.push_back(where + ": must not be empty (records need a fallback when PostgreSQL is down)");
      else s.spool_path = v.as_string();
    } else if (name == "checkpoint_file") {
      s.checkpoint_file = v.as_string();
    } else if (name == "checkpoint_every_records") {
      s.checkpoint_every_records = static_cast<uint64_t>(v.as_int());
    } else if (name == "checkpoint_interval_ms") {
      s.checkpoint_interval = std::chrono::milliseconds(v.as_int());
    } else if (name == "durability") {
      if (v.as_string() == "wait_durable") s.durability = audit::Durability::kWaitDurable;
      else if (v.as_string() == "bounded_lag") s.durability = audit::Durability::kBoundedLag;
      else problems.push_back(where + ": unknown value \"" + v.as_string() + "\" (expected wait_durable, bounded_lag)");
    } else if (name == "max_lag_records") {
      s.max_lag_records = static_cast<size_t>(v.as_int());
    } else if (name == "fail_open") {
      s.fail_open = v.as_bool();
    } else if (name == "queue_capacity") {
      s.queue_capacity = static_cast<size_t>(v.as_int());
    } else if (name == "max_batch") {
      s.max_batch = static_cast<size_t>(v.as_int());
    } else if (name == "chain") {
      if (std::string why = audit::chain_id_problem(v.as_string()); !why.empty() && !v.as_string().empty()) {
        problems.push_back(where + ": " + why);
      } else {
        s.chain = v.as_string();
      }
    } else if (name == "reconnect_interval_ms") {
      s.reconnect_interval = std::chrono::milliseconds(v.as_int());
    }
  }
  if (s.reviewer_files.empty() && !s.allow_demo_reviewer) {
    problems.push_back(reviewers_at + ": at least one reviewer public key file is required (audit.demo_reviewer is false)");
  }
  load_reviewers(s, reviewers_at, problems);
  load_previous_signing_keys(s, previous_at, problems);
  if (s.spool_path == s.checkpoint_file) problems.push_back("audit.checkpoint_file: must not be the spool file");
  throw_problems(problems);
  return s;
}

void provision_audit_keys(AuditSettings& settings, const AuditLogFn& log_fn) {
  const AuditLogFn log = log_fn ? log_fn : AuditLogFn(default_log);
  audit::ensure_sodium();
  load_or_create_signing_key(settings, log);
  if (settings.reviewers.empty()) {
    if (!settings.allow_demo_reviewer) {
      throw core::ConfigError("audit.reviewers: at least one reviewer public key file is required (audit.demo_reviewer is false)");
    }
    use_demo_reviewer(settings, log);
  }
}

AuditSettings load_audit_settings(const core::Config& config, const AuditLogFn& log) {
  AuditSettings settings = parse_audit_settings(config, audit_environment());
  provision_audit_keys(settings, log);
  return settings;
}

namespace {

// Why this state_dir already wrote chain "main" (before chains existed), or "" when it did not.
std::string legacy_main_evidence(const AuditSettings& s, const std::string& conninfo, const AuditLogFn& log) {
  std::error_code ec;
  if (fs::exists(s.spool_path, ec) && fs::file_size(s.spool_path, ec) > 8) {
    try {
      audit::Spool spool(s.spool_path);
      for (const auto& r : spool.read_all().records) {
        if (r.chain == audit::kLegacyChain) return "its spool " + s.spool_path.string() + " holds chain-main records";
      }
    } catch (const std::exception& e) {
      log(core::LogLevel::kWarn, std::string("audit chain id: cannot read the spool: ") + e.what());
    }
  }
  if (!s.checkpoint_file.empty() && fs::exists(s.checkpoint_file, ec)) {
    try {
      for (const auto& cp : audit::read_checkpoint_file(s.checkpoint_file)) {
        if (cp.chain == audit::kLegacyChain) {
          return "its checkpoint export " + s.checkpoint_file.string() + " holds chain-main checkpoints";
        }
      }
    } catch (const std::exception& e) {
      log(core::LogLevel::kWarn, std::string("audit chain id: cannot read the checkpoint export: ") + e.what());
    }
  }
  if (s.signing_key) {
    const std::string key_id = s.signing_key->public_key().key_id;
    pqxx::connection c{conninfo};
    pqxx::read_transaction tx{c};
    auto rows = tx.exec_params(
        "SELECT 1 FROM audit_checkpoints WHERE chain = $1 AND signing_key_id = $2 AND kind <> 'prune' LIMIT 1",
        std::string(audit::kLegacyChain), key_id);
    if (!rows.empty()) return "the database holds chain-main checkpoints signed with its signing key " + key_id;
  }
  return "";
}

std::string read_chain_id_file(const fs::path& file) {
  std::ifstream in(file);
  std::string id;
  if (!in || !std::getline(in, id)) throw core::ConfigError("audit chain id file " + file.string() + ": cannot read it");
  while (!id.empty() && std::isspace(static_cast<unsigned char>(id.back()))) id.pop_back();
  if (std::string why = audit::chain_id_problem(id); !why.empty()) {
    throw core::ConfigError("audit chain id file " + file.string() + ": " + why +
                            " (fix or delete the file, or set audit.chain)");
  }
  return id;
}

}  // namespace

std::string resolve_audit_chain(const AuditSettings& s, const std::string& conninfo, const AuditLogFn& log_fn) {
  const AuditLogFn log = log_fn ? log_fn : AuditLogFn(default_log);
  if (!s.chain.empty()) return s.chain;
  if (s.chain_id_file.empty()) throw std::logic_error("resolve_audit_chain: no audit.chain and no chain id file");
  std::error_code ec;
  if (fs::exists(s.chain_id_file, ec)) return read_chain_id_file(s.chain_id_file);

  std::string evidence = legacy_main_evidence(s, conninfo, log);
  std::string chain;
  if (!evidence.empty()) {
    chain = audit::kLegacyChain;
  } else {
    unsigned char random[6];
    randombytes_buf(random, sizeof random);
    chain = "gw-" + audit::to_hex(std::string_view(reinterpret_cast<char*>(random), sizeof random));
  }
  const fs::path tmp = s.chain_id_file.string() + ".tmp";
  try {
    fs::create_directories(s.chain_id_file.parent_path());
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << chain << "\n";
      out.flush();
      if (!out) throw std::runtime_error("write failed");
    }
    fs::rename(tmp, s.chain_id_file);
  } catch (const std::exception& e) {
    throw core::ConfigError("audit chain id file " + s.chain_id_file.string() + ": cannot create it: " + e.what());
  }
  log(core::LogLevel::kInfo, "audit chain id \"" + chain + "\" stored in " + s.chain_id_file.string() +
                                 (evidence.empty() ? std::string(" (new chain)")
                                                   : " (continues chain main: " + evidence + ")"));
  return chain;
}

std::unique_ptr<audit::AuditWriter> make_audit_writer(const AuditSettings& s, const std::string& conninfo,
                                                      const AuditLogFn& log_fn) {
  if (!s.signing_key) throw std::logic_error("make_audit_writer: provision_audit_keys was not called");
  const AuditLogFn log = log_fn ? log_fn : AuditLogFn(default_log);
  auto make_parent = [](const fs::path& file, const char* setting) {
    if (file.empty() || file.parent_path().empty()) return;
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    if (ec) throw core::ConfigError(std::string(setting) + ": cannot create " + file.parent_path().string() + ": " + ec.message());
  };
  make_parent(s.spool_path, "audit.spool");
  make_parent(s.checkpoint_file, "audit.checkpoint_file");

  audit::WriterConfig c;
  c.conninfo = conninfo;
  c.chain = resolve_audit_chain(s, conninfo, log);
  c.reviewers = s.reviewers;
  c.signing_key = s.signing_key;
  c.spool_path = s.spool_path;
  c.checkpoint_file = s.checkpoint_file;
  c.max_batch = s.max_batch;
  c.queue_capacity = s.queue_capacity;
  c.checkpoint_every_records = s.checkpoint_every_records;
  c.checkpoint_interval = s.checkpoint_interval;
  c.reconnect_interval = s.reconnect_interval;
  c.durability = s.durability;
  c.max_lag_records = s.max_lag_records;
  c.fail_open = s.fail_open;
  c.log = [log](const std::string& line) { log(core::LogLevel::kWarn, "audit writer: " + line); };
  c.log_error = [log](const std::string& line) { log(core::LogLevel::kError, "audit writer: " + line); };
  auto writer = std::make_unique<audit::AuditWriter>(std::move(c));
  if (s.fail_open) {
    log(core::LogLevel::kWarn, "audit.fail_open is true: when neither PostgreSQL nor the spool can take audit records, "
                               "requests are served and their records dropped");
  }
  return writer;
}

}  // namespace warden::gateway

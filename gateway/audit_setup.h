// The gateway's audit settings: the `audit` section of warden.yaml (plus WARDEN_AUDIT_*
// environment overrides), validated with every problem named by its path, the keys the
// writer needs (checkpoint signing key created on first start, a demo reviewer key pair
// when no reviewer is configured), and the AuditWriter built from them.
//
// Called once by `warden serve` before the HTTP server starts; the settings also feed
// AuditApi (trusted signing keys and checkpoint file for /audit/v1/verify).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "audit/keys.h"
#include "audit/writer.h"
#include "core/config.h"
#include "core/log.h"

namespace warden::gateway {

// Where audit set-up reports what it did (created keys, demo-mode warning). Null: core::log.
using AuditLogFn = std::function<void(core::LogLevel level, const std::string& message)>;

struct AuditSettings {
  // This gateway's audit chain (audit.chain). Empty: the id stored in chain_id_file, which
  // resolve_audit_chain creates on first start.
  std::string chain;
  std::filesystem::path chain_id_file;  // state_dir/audit/chain-id

  // Reviewer public key files as configured (empty: demo mode, see demo_reviewer).
  std::vector<std::filesystem::path> reviewer_files;
  // Loaded reviewer public keys: the configured ones, or the demo key after provisioning.
  std::vector<audit::ReviewerPublicKey> reviewers;
  bool allow_demo_reviewer = true;     // audit.demo_reviewer
  bool demo_reviewer_in_use = false;   // set by provision_audit_keys
  std::filesystem::path demo_reviewer_prefix;  // state_dir/secrets/demo-reviewer (.key/.pub)

  std::filesystem::path signing_key_file;      // Ed25519 checkpoint key (created when missing)
  std::string signing_key_passphrase_env;      // env var holding its passphrase ("" = none)
  std::vector<std::filesystem::path> previous_signing_key_files;  // older .pub files, still trusted
  std::shared_ptr<const audit::SigningKey> signing_key;          // set by provision_audit_keys
  // Every key /audit/v1/verify trusts: the previous ones, plus the current one once provisioned.
  std::vector<audit::SigningPublicKey> trusted_signing_keys;

  std::filesystem::path spool_path;
  std::filesystem::path checkpoint_file;       // "" = no export file
  uint64_t checkpoint_every_records = 1000;
  std::chrono::milliseconds checkpoint_interval{10000};
  audit::Durability durability = audit::Durability::kWaitDurable;
  size_t max_lag_records = 1000;
  bool fail_open = false;
  size_t queue_capacity = 100000;
  size_t max_batch = 512;
  std::chrono::milliseconds reconnect_interval{1000};
};

// Validates config.extra_sections["audit"] and `env` (WARDEN_AUDIT_<NAME>; lists are
// comma-separated) and loads the configured reviewer and previous signing public keys.
// Creates nothing. Throws core::ConfigError listing every problem, each with its path
// ("audit.reviewers[1]: file not found: keys/bob.pub").
AuditSettings parse_audit_settings(const core::Config& config, const std::map<std::string, std::string>& env = {});

// Loads the signing key, creating it (mode 0600, with its .pub beside it) when the file is
// missing; with no reviewer configured, creates the demo reviewer key pair once (later
// starts reuse it) and logs a loud warning. Throws core::ConfigError naming the setting.
void provision_audit_keys(AuditSettings& settings, const AuditLogFn& log = nullptr);

// parse_audit_settings with the process environment, then provision_audit_keys.
AuditSettings load_audit_settings(const core::Config& config, const AuditLogFn& log = nullptr);

// The chain this gateway writes: audit.chain when set; else the id in chain_id_file; else a
// new id, stored there: "main" when this state_dir already wrote chain "main" before chains
// existed (its spool or checkpoint export holds chain-"main" entries, or the database holds
// chain-"main" checkpoints signed with this gateway's signing key), so an upgraded gateway
// continues its chain; otherwise "gw-" + 12 random hex characters. Throws core::ConfigError
// naming the file when it holds no valid chain id.
std::string resolve_audit_chain(const AuditSettings& settings, const std::string& conninfo, const AuditLogFn& log = nullptr);

// Builds and starts the writer for resolve_audit_chain's chain (creates the spool and
// checkpoint-file folders). The writer's own log lines (spool use, replays) go to `log` as
// warnings, its serious ones (chain locked by another process) as errors.
std::unique_ptr<audit::AuditWriter> make_audit_writer(const AuditSettings& settings, const std::string& conninfo,
                                                      const AuditLogFn& log = nullptr);

// Every `audit.*` setting, for docs checks (docs/configuration.md) and `warden config`.
const std::vector<core::SettingInfo>& audit_settings_info();

}  // namespace warden::gateway

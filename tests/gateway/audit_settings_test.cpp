// The gateway's `audit` settings: every problem named by its path, environment overrides,
// the signing key and the demo reviewer key created once with mode 0600, and the docs.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "audit/keys.h"
#include "core/config.h"
#include "core/yaml.h"
#include "gateway/audit_setup.h"
#include "tests/support/test_pg.h"

using namespace warden;
using warden::core::Json;

namespace {

namespace fs = std::filesystem;

using test_pg::TempDir;

core::Config config_with(const fs::path& state_dir, const std::string& audit_yaml) {
  core::Config c;
  c.state_dir = state_dir.string();
  if (!audit_yaml.empty()) c.extra_sections.set("audit", core::parse_yaml(audit_yaml));
  return c;
}

std::string problems_of(const core::Config& c, const std::map<std::string, std::string>& env = {}) {
  try {
    gateway::parse_audit_settings(c, env);
  } catch (const core::ConfigError& e) {
    return e.what();
  }
  return "";
}

unsigned mode_of(const fs::path& file) {
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Captured {
  std::vector<std::pair<core::LogLevel, std::string>> lines;
  gateway::AuditLogFn fn() {
    return [this](core::LogLevel level, const std::string& m) { lines.emplace_back(level, m); };
  }
  bool any(core::LogLevel level, const std::string& fragment) const {
    for (const auto& [l, m] : lines) {
      if (l == level && m.find(fragment) != std::string::npos) return true;
    }
    return false;
  }
};

}  // namespace

TEST_CASE("audit settings: defaults under state_dir and values from the file", "[gateway][audit]") {
  TempDir dir;
  auto alice = audit::generate_reviewer_key();
  audit::write_reviewer_key_files(*alice, dir.path / "alice", std::nullopt);

  gateway::AuditSettings d = gateway::parse_audit_settings(config_with(dir.path, ""));
  CHECK(d.spool_path == dir.path / "audit" / "spool");
  CHECK(d.checkpoint_file == dir.path / "audit" / "checkpoints.jsonl");
  CHECK(d.signing_key_file == dir.path / "secrets" / "audit-signing.key");
  CHECK(d.durability == audit::Durability::kWaitDurable);
  CHECK_FALSE(d.fail_open);
  CHECK(d.reviewers.empty());
  CHECK(d.allow_demo_reviewer);
  CHECK(d.chain.empty());
  CHECK(d.chain_id_file == dir.path / "audit" / "chain-id");
  CHECK(gateway::parse_audit_settings(config_with(dir.path, "chain: eu-west.gw_1\n")).chain == "eu-west.gw_1");
  CHECK_THAT(problems_of(config_with(dir.path, "chain: 'two words'\n")),
             Catch::Contains("audit.chain: chain id \"two words\" may only contain letters, digits"));
  CHECK_THAT(problems_of(config_with(dir.path, ""), {{"WARDEN_AUDIT_CHAIN", std::string(65, 'x')}}),
             Catch::Contains("WARDEN_AUDIT_CHAIN: a chain id has at most 64 characters"));

  auto s = gateway::parse_audit_settings(config_with(dir.path, "reviewers: [" + (dir.path / "alice.pub").string() +
                                                                   "]\ndurability: bounded_lag\nmax_lag_records: 64\n"
                                                                   "checkpoint_every_records: 7\ncheckpoint_interval_ms: 2500\n"
                                                                   "fail_open: true\nqueue_capacity: 99\nspool: /tmp/x/spool\n"
                                                                   "checkpoint_file: ''\n"));
  REQUIRE(s.reviewers.size() == 1);
  CHECK(s.reviewers[0].key_id == alice->public_key().key_id);
  CHECK(s.durability == audit::Durability::kBoundedLag);
  CHECK(s.max_lag_records == 64);
  CHECK(s.checkpoint_every_records == 7);
  CHECK(s.checkpoint_interval == std::chrono::milliseconds(2500));
  CHECK(s.fail_open);
  CHECK(s.queue_capacity == 99);
  CHECK(s.spool_path == "/tmp/x/spool");
  CHECK(s.checkpoint_file.empty());

  // The environment wins over the file; lists are comma-separated.
  auto e = gateway::parse_audit_settings(config_with(dir.path, "durability: bounded_lag\n"),
                                         {{"WARDEN_AUDIT_DURABILITY", "wait_durable"},
                                          {"WARDEN_AUDIT_REVIEWERS", (dir.path / "alice.pub").string() + " , "},
                                          {"WARDEN_AUDIT_FAIL_OPEN", "1"}});
  CHECK(e.durability == audit::Durability::kWaitDurable);
  CHECK(e.reviewers.size() == 1);
  CHECK(e.fail_open);
}

TEST_CASE("audit settings: every problem is listed with its path", "[gateway][audit]") {
  TempDir dir;
  auto alice = audit::generate_reviewer_key();
  audit::write_reviewer_key_files(*alice, dir.path / "alice", std::nullopt);
  const std::string pub = (dir.path / "alice.pub").string();
  const std::string secret = (dir.path / "alice.key").string();

  std::string m = problems_of(config_with(
      dir.path, "reviewers: [" + pub + ", " + dir.path.string() + "/missing.pub, " + secret + ", " + pub +
                    "]\ndurability: sometimes\ncheckpoint_every_records: 0\nfail_open: maybe\nqueue_size: 3\n"
                    "previous_signing_keys: [" + dir.path.string() + "/old.pub]\n"));
  INFO(m);
  CHECK_THAT(m, Catch::Contains("audit.reviewers[1]: file not found: " + dir.path.string() + "/missing.pub"));
  CHECK_THAT(m, Catch::Contains("audit.reviewers[2]: " + secret + " is a reviewer SECRET key"));
  CHECK_THAT(m, Catch::Contains("audit.reviewers[3]: the same key (id " + alice->public_key().key_id + ") is listed twice"));
  CHECK_THAT(m, Catch::Contains("audit.durability: unknown value \"sometimes\" (expected wait_durable, bounded_lag)"));
  CHECK_THAT(m, Catch::Contains("audit.checkpoint_every_records: 0 is out of range [1, 10000000]"));
  CHECK_THAT(m, Catch::Contains("audit.fail_open: expected true or false, got string"));
  CHECK_THAT(m, Catch::Contains("audit.queue_size: unknown setting"));
  CHECK_THAT(m, Catch::Contains("audit.previous_signing_keys[0]: file not found"));
  CHECK_THAT(m, Catch::Contains("audit configuration has 8 problem(s)"));

  CHECK_THAT(problems_of(config_with(dir.path, "demo_reviewer: false\n")),
             Catch::Contains("audit.reviewers: at least one reviewer public key file is required"));
  CHECK_THAT(problems_of(config_with(dir.path, ""), {{"WARDEN_AUDIT_MAX_BATCH", "lots"}}),
             Catch::Contains("WARDEN_AUDIT_MAX_BATCH: expected an integer, got \"lots\""));
  CHECK_THAT(problems_of(config_with(dir.path, "reviewers: " + pub + "\n")),
             Catch::Contains("audit.reviewers: expected a list of file names, got string"));
  CHECK_THAT(problems_of(config_with(dir.path, "spool: ''\n")), Catch::Contains("audit.spool: must not be empty"));
  CHECK(problems_of(config_with(dir.path, "reviewers: [" + pub + "]\n")).empty());
}

TEST_CASE("audit settings: signing key and demo reviewer key are created once, mode 0600", "[gateway][audit]") {
  TempDir dir;
  Captured first;
  gateway::AuditSettings s = gateway::load_audit_settings(config_with(dir.path, ""), first.fn());
  const fs::path demo_key = dir.path / "secrets" / "demo-reviewer.key";
  const fs::path demo_pub = dir.path / "secrets" / "demo-reviewer.pub";
  const fs::path signing = dir.path / "secrets" / "audit-signing.key";
  REQUIRE(fs::exists(demo_key));
  REQUIRE(fs::exists(demo_pub));
  REQUIRE(fs::exists(signing));
  CHECK(fs::exists(dir.path / "secrets" / "audit-signing.pub"));
  CHECK(mode_of(demo_key) == 0600);
  CHECK(mode_of(signing) == 0600);
  CHECK(mode_of(dir.path / "secrets") == 0700);
  CHECK(s.demo_reviewer_in_use);
  REQUIRE(s.reviewers.size() == 1);
  REQUIRE(s.signing_key);
  CHECK(s.trusted_signing_keys.size() == 1);
  const std::string demo_id = s.reviewers[0].key_id;
  CHECK(first.any(core::LogLevel::kWarn, "DEMO AUDIT REVIEWER KEY IN USE"));
  CHECK(first.any(core::LogLevel::kWarn, "a newly created demo reviewer key " + demo_id));
  CHECK(first.any(core::LogLevel::kInfo, "created the audit checkpoint signing key " + s.signing_key->public_key().key_id));
  // The demo secret key opens what is sealed to the demo public key.
  auto demo_secret = audit::load_reviewer_secret_key(demo_key, std::nullopt);
  CHECK(demo_secret->public_key().key_id == demo_id);

  const std::string key_text = read_file(demo_key);
  const std::string signing_text = read_file(signing);
  Captured second;
  gateway::AuditSettings again = gateway::load_audit_settings(config_with(dir.path, ""), second.fn());
  CHECK(again.reviewers[0].key_id == demo_id);
  CHECK(again.signing_key->public_key().key_id == s.signing_key->public_key().key_id);
  CHECK(read_file(demo_key) == key_text);
  CHECK(read_file(signing) == signing_text);
  CHECK(second.any(core::LogLevel::kWarn, "the demo reviewer key " + demo_id));  // still loud on every start
  CHECK_FALSE(second.any(core::LogLevel::kInfo, "created the audit checkpoint signing key"));

  // With the public half lost, it is rebuilt from the existing secret, never replaced.
  fs::remove(demo_pub);
  gateway::AuditSettings rebuilt = gateway::load_audit_settings(config_with(dir.path, ""), [](auto, const auto&) {});
  CHECK(rebuilt.reviewers[0].key_id == demo_id);

  // A configured reviewer means no demo key is used.
  auto alice = audit::generate_reviewer_key();
  audit::write_reviewer_key_files(*alice, dir.path / "alice", std::nullopt);
  Captured configured;
  auto real = gateway::load_audit_settings(config_with(dir.path, "reviewers: [" + (dir.path / "alice.pub").string() + "]\n"),
                                           configured.fn());
  CHECK_FALSE(real.demo_reviewer_in_use);
  CHECK(real.reviewers[0].key_id == alice->public_key().key_id);
  CHECK_FALSE(configured.any(core::LogLevel::kWarn, "DEMO"));

  // A signing key other users can read is refused.
  fs::permissions(signing, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  CHECK_THROWS_WITH(gateway::load_audit_settings(config_with(dir.path, ""), [](auto, const auto&) {}),
                    Catch::Contains("audit.signing_key: " + signing.string() + " is readable by other users"));
  // A missing key with a name not ending in .key is not invented.
  CHECK_THROWS_WITH(gateway::load_audit_settings(config_with(dir.path, "signing_key: " + dir.path.string() + "/nokey\n"),
                                                 [](auto, const auto&) {}),
                    Catch::Contains("audit.signing_key: file not found"));
}

TEST_CASE("audit settings: docs/configuration.md and docs/audit.md document every audit setting", "[gateway][audit]") {
  for (const char* doc : {"/docs/configuration.md", "/docs/audit.md"}) {
    std::ifstream in(std::string(WARDEN_SOURCE_DIR) + doc);
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    for (const auto& s : gateway::audit_settings_info()) {
      INFO(doc << ": " << s.path);
      CHECK(text.str().find("`" + s.path + "`") != std::string::npos);
    }
  }
}

#include "store_fixture.h"

#include <pqxx/pqxx>

#include <atomic>
#include <cstdlib>
#include <memory>

#include "core/migrations.h"

namespace store_test {

warden::core::EmbeddedPostgres& cluster() {
  static std::unique_ptr<warden::core::EmbeddedPostgres> pg = warden::core::EmbeddedPostgres::temporary();
  return *pg;
}

std::string fresh_database(const std::string& prefix) {
  static std::atomic<int> counter{0};
  std::string name = prefix + "_" + std::to_string(++counter);
  cluster().create_database(name);
  std::string conninfo = cluster().conninfo(name);
  pqxx::connection c{conninfo};
  warden::core::apply_migrations(c, std::filesystem::path(WARDEN_SOURCE_DIR) / "migrations");
  return conninfo;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/warden-policy-store-test-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::string research_policy(const std::string& phrases, const std::string& description, bool pii_detectors) {
  return "description: " + description +
         "\n"
         "bindings:\n"
         "  teams: [research]\n"
         "guardrails:\n"
         "  input:\n"
         "    - id: no-topics\n"
         "      kind: deny_topics\n"
         "      phrases: [" + phrases + "]\n"
         "      action: block\n" +
         (pii_detectors ? "" : "redaction:\n  default_action: allow\n");
}

}  // namespace store_test

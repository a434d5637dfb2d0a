#include "tests/support/test_pg.h"

#include <pqxx/pqxx>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "core/migrations.h"

namespace test_pg {

warden::core::EmbeddedPostgres& cluster() {
  static std::unique_ptr<warden::core::EmbeddedPostgres> pg = warden::core::EmbeddedPostgres::temporary(/*fsync=*/false);
  return *pg;
}

std::string fresh_database(const std::string& prefix) {
  static std::atomic<int> counter{0};
  const std::string name = prefix + "_" + std::to_string(++counter);
  cluster().create_database(name);
  const std::string conninfo = cluster().conninfo(name);
  pqxx::connection c{conninfo};
  warden::core::apply_migrations(c, std::filesystem::path(WARDEN_SOURCE_DIR) / "migrations");
  return conninfo;
}

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/warden-" + prefix + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
  path = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

}  // namespace test_pg

// PostgreSQL and temp-dir helpers shared by the test binaries: one throwaway cluster per
// binary (started on first use, removed at exit) and a fresh database per test, migrated
// with the real migrations/.
#pragma once

#include <filesystem>
#include <string>

#include "core/embedded_pg.h"

namespace test_pg {

// The binary's cluster (fsync off); it lives until the test binary exits.
warden::core::EmbeddedPostgres& cluster();

// Creates "<prefix>_<n>" in cluster() and applies migrations/; returns its conninfo (as the
// owner; append " user=warden_gateway" for the gateway's run-time role).
std::string fresh_database(const std::string& prefix);

// A throwaway directory /tmp/warden-<prefix>-XXXXXX, removed by the destructor.
struct TempDir {
  explicit TempDir(const std::string& prefix = "test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path;
};

}  // namespace test_pg

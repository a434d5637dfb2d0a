// Shared set-up for audit tests: one throwaway PostgreSQL per test binary, a fresh
// database per test (migrated with the real migrations/), reviewer and signing keys.
#pragma once

#include <filesystem>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "audit/keys.h"
#include "audit/writer.h"
#include "core/embedded_pg.h"

namespace audit_test {

// The cluster lives until the test binary exits.
warden::core::EmbeddedPostgres& cluster();

// Creates and migrates a new database; returns its conninfo.
std::string fresh_database(const std::string& prefix = "audit");

// A throwaway directory under /tmp, removed by the destructor.
struct TempDir {
  TempDir();
  ~TempDir();
  std::filesystem::path path;
};

struct Keys {
  std::unique_ptr<warden::audit::ReviewerSecretKey> alice = warden::audit::generate_reviewer_key();
  std::unique_ptr<warden::audit::ReviewerSecretKey> bob = warden::audit::generate_reviewer_key();
  std::shared_ptr<const warden::audit::SigningKey> signing = warden::audit::generate_signing_key();
};

warden::audit::WriterConfig writer_config(const std::string& conninfo, const Keys& keys, const TempDir& dir);

// A request record with recognizable payload text "secret-<n>".
warden::audit::AuditRecord sample_record(int n, size_t payload_bytes = 200);

}  // namespace audit_test

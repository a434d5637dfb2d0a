// Shared set-up for audit tests: one throwaway PostgreSQL per test binary, a fresh
// database per test (migrated with the real migrations/), reviewer and signing keys.
#pragma once

#include <filesystem>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "audit/keys.h"
#include "audit/writer.h"
#include "tests/support/test_pg.h"

namespace audit_test {

using test_pg::cluster;
using test_pg::TempDir;
inline std::string fresh_database(const std::string& prefix = "audit") { return test_pg::fresh_database(prefix); }

struct Keys {
  std::unique_ptr<warden::audit::ReviewerSecretKey> alice = warden::audit::generate_reviewer_key();
  std::unique_ptr<warden::audit::ReviewerSecretKey> bob = warden::audit::generate_reviewer_key();
  std::shared_ptr<const warden::audit::SigningKey> signing = warden::audit::generate_signing_key();
};

warden::audit::WriterConfig writer_config(const std::string& conninfo, const Keys& keys, const TempDir& dir);

// A request record with recognizable payload text "secret-<n>".
warden::audit::AuditRecord sample_record(int n, size_t payload_bytes = 200);

}  // namespace audit_test

// Forward-only schema migrations: migrations/NNNN_name.sql applied in order, once each,
// each in its own transaction, recorded in schema_migrations (version, name, checksum).
// A file whose content changed after it was applied is an error, not a silent re-run.
#pragma once

#include <pqxx/pqxx>

#include <filesystem>
#include <string>
#include <vector>

namespace warden::core {

// Returns the names of the files applied by this call (empty when up to date).
std::vector<std::string> apply_migrations(pqxx::connection& conn, const std::filesystem::path& dir);

// Finds the migrations folder: $WARDEN_MIGRATIONS_DIR, else ./migrations, else the
// source tree's copy compiled in.
std::filesystem::path default_migrations_dir();

}  // namespace warden::core

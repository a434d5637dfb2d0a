#include "core/migrations.h"

#include <sodium.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

namespace warden::core {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read migration " + path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string checksum(const std::string& text) {
  unsigned char digest[32];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(text.data()), text.size(), nullptr, 0);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

}  // namespace

std::filesystem::path default_migrations_dir() {
  if (const char* env = std::getenv("WARDEN_MIGRATIONS_DIR")) return env;
  if (std::filesystem::is_directory("migrations")) return std::filesystem::absolute("migrations");
#ifdef WARDEN_SOURCE_DIR
  return std::filesystem::path(WARDEN_SOURCE_DIR) / "migrations";
#else
  return "migrations";
#endif
}

std::vector<std::string> apply_migrations(pqxx::connection& conn, const std::filesystem::path& dir) {
  if (!std::filesystem::is_directory(dir)) throw std::runtime_error("migrations folder " + dir.string() + " not found");
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (entry.path().extension() != ".sql") continue;
    if (name.size() < 6 || !std::all_of(name.begin(), name.begin() + 4, ::isdigit) || name[4] != '_') {
      throw std::runtime_error("migration file " + name + ": name must look like NNNN_description.sql");
    }
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  {
    pqxx::work tx(conn);
    // Serializes concurrent gateways starting at once.
    tx.exec("SELECT pg_advisory_xact_lock(7427001)");
    // Created only when missing, so a role without CREATE rights (the gateway's run-time
    // role) can check an up-to-date schema.
    if (tx.exec1("SELECT to_regclass('schema_migrations') IS NULL")[0].as<bool>()) {
      tx.exec(
          "CREATE TABLE schema_migrations ("
          " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
          " applied_at timestamptz NOT NULL DEFAULT now())");
    }
    tx.commit();
  }
  std::vector<std::string> applied;
  for (const auto& path : files) {
    const std::string name = path.filename().string();
    const int version = std::stoi(name.substr(0, 4));
    const std::string sql = read_file(path);
    const std::string sum = checksum(sql);
    pqxx::work tx(conn);
    tx.exec("SELECT pg_advisory_xact_lock(7427001)");
    auto row = tx.exec_params("SELECT name, checksum FROM schema_migrations WHERE version = $1", version);
    if (!row.empty()) {
      if (row[0][1].as<std::string>() != sum) {
        throw std::runtime_error("migration " + name + " was changed after it was applied (migrations are forward-only: add a new file)");
      }
      continue;
    }
    try {
      tx.exec(sql);
      tx.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", version, name, sum);
    } catch (const pqxx::insufficient_privilege& e) {
      throw std::runtime_error("migration " + name + " failed: the database role lacks the rights (" + e.what() +
                               "); apply migrations as the owner: warden migrate with the owner's database.url");
    } catch (const std::exception& e) {
      throw std::runtime_error("migration " + name + " failed: " + e.what());
    }
    tx.commit();
    applied.push_back(name);
  }
  return applied;
}

}  // namespace warden::core

#include "gateway/database.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>

#include "core/log.h"
#include "core/migrations.h"

namespace warden::gateway {
namespace {

namespace fs = std::filesystem;

// postmaster.pid lines: pid, data dir, start time, port, socket dir, ...
std::string running_server_conninfo(const fs::path& data_dir) {
  std::ifstream in(data_dir / "postmaster.pid");
  if (!in) return "";
  std::string pid, dir, started, port, socket_dir;
  if (!std::getline(in, pid) || !std::getline(in, dir) || !std::getline(in, started) || !std::getline(in, port) ||
      !std::getline(in, socket_dir)) {
    return "";
  }
  try {
    if (::kill(std::stoi(pid), 0) != 0) return "";
  } catch (const std::exception&) {
    return "";
  }
  if (socket_dir.empty()) return "";
  return "host=" + socket_dir + " port=" + port + " dbname=warden user=warden";
}

}  // namespace

std::unique_ptr<Database> Database::open(const core::Config& config, bool migrate) {
  auto db = std::unique_ptr<Database>(new Database());
  if (!config.database.url.empty()) {
    db->conninfo_ = config.database.url;
    db->external_ = true;
  } else {
    fs::path data_dir = fs::absolute(fs::path(config.state_dir) / "pg");
    std::string attached = running_server_conninfo(data_dir);
    if (!attached.empty()) {
      try {
        pqxx::connection probe(attached);
        db->conninfo_ = attached;
      } catch (const std::exception&) {
        attached.clear();
      }
    }
    if (attached.empty()) {
      core::EmbeddedPgOptions options;
      options.data_dir = data_dir;
      options.run_as_user = config.database.embedded_os_user;
      db->embedded_ = std::make_unique<core::EmbeddedPostgres>(options);
      db->embedded_->start();
      db->embedded_->create_database("warden");
      db->conninfo_ = db->embedded_->conninfo("warden");
      core::log_info("embedded postgresql started", {{"data_dir", data_dir.string()}});
    }
  }
  if (migrate) {
    pqxx::connection conn(db->conninfo_);
    auto applied = core::apply_migrations(conn, core::default_migrations_dir());
    for (const auto& name : applied) core::log_info("migration applied", {{"file", name}});
  }
  return db;
}

std::string Database::runtime_conninfo() const {
  if (!external_) return conninfo_ + " user=warden_gateway";
  try {
    pqxx::connection conn(conninfo_);
    pqxx::nontransaction tx(conn);
    auto row = tx.exec1(
        "SELECT has_table_privilege(current_user, 'audit_records', 'UPDATE')"
        " OR has_table_privilege(current_user, 'audit_records', 'DELETE')"
        " OR has_table_privilege(current_user, 'audit_records', 'TRUNCATE')");
    if (row[0].as<bool>()) {
      core::log_warn(
          "database.url connects as a role that can change or delete audit rows; for run time give the gateway a "
          "role like warden_gateway (INSERT and SELECT on audit tables only, see docs/audit.md)");
    }
  } catch (const std::exception& e) {
    core::log_warn("could not check the database role's audit privileges", {{"error", e.what()}});
  }
  return conninfo_;
}

Database::~Database() { stop(); }

void Database::stop() {
  if (embedded_) {
    embedded_->stop();
    embedded_.reset();
    core::log_info("embedded postgresql stopped");
  }
}

}  // namespace warden::gateway

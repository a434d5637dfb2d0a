// Where the gateway's PostgreSQL comes from: `database.url`, an embedded server this
// process starts in state_dir/pg, or the embedded server another Warden process (the
// running gateway) already started there — so `warden keys ...` works beside `serve`.
#pragma once

#include <memory>
#include <string>

#include "core/config.h"
#include "core/embedded_pg.h"

namespace warden::gateway {

class Database {
 public:
  // Connects (starting the embedded server if needed) and applies migrations.
  static std::unique_ptr<Database> open(const core::Config& config, bool apply_migrations = true);
  ~Database();

  const std::string& conninfo() const { return conninfo_; }
  bool owns_server() const { return embedded_ != nullptr; }
  void stop();  // stops an embedded server this process started

 private:
  std::string conninfo_;
  std::unique_ptr<core::EmbeddedPostgres> embedded_;
};

}  // namespace warden::gateway

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

  // The owner's connection: migrations and operator commands.
  const std::string& conninfo() const { return conninfo_; }
  // What `warden serve` connects with at run time: for the embedded server the role
  // warden_gateway (INSERT/SELECT on audit rows, never UPDATE/DELETE; see the migrations);
  // for database.url the URL as given (its role should be like warden_gateway: serve
  // logs a warning at start when it can change audit rows).
  std::string runtime_conninfo() const;
  bool owns_server() const { return embedded_ != nullptr; }
  void stop();  // stops an embedded server this process started

 private:
  std::string conninfo_;
  bool external_ = false;  // database.url
  std::unique_ptr<core::EmbeddedPostgres> embedded_;
};

}  // namespace warden::gateway

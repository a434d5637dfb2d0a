// Launches a private PostgreSQL server for Warden: the gateway's default store when no
// external database is configured, and the throwaway database every integration test uses.
//
// The server listens on a unix socket only (listen_addresses=''), so nothing outside the
// host can reach it. When the process runs as root the cluster is owned by, and the server
// runs as, an unprivileged OS user (PostgreSQL refuses to run as root).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

namespace warden::core {

struct EmbeddedPgOptions {
  std::filesystem::path data_dir;    // cluster dir; initdb'd when empty/missing
  std::filesystem::path socket_dir;  // unix socket dir (default: data_dir/"sock")
  int port = 0;                      // 0 = pick a free port number for the socket name
  std::string superuser = "warden";  // role created by initdb
  std::filesystem::path bin_dir = "/usr/lib/postgresql/15/bin";
  std::string run_as_user = "warden";  // OS user used when we are root; created if missing
  std::filesystem::path log_file;      // default data_dir/"postgres.log"
  bool fsync = true;                   // false only for throwaway test clusters
  std::map<std::string, std::string> settings;  // extra `-c name=value` server settings
  int start_timeout_ms = 60000;
};

class EmbeddedPostgres {
 public:
  explicit EmbeddedPostgres(EmbeddedPgOptions options);
  ~EmbeddedPostgres();  // stop(); a temporary() cluster is killed and its directory removed
  EmbeddedPostgres(const EmbeddedPostgres&) = delete;
  EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;

  // initdb once (the cluster is reused across restarts), start the server on the unix
  // socket, wait until it accepts connections. Removes a stale postmaster.pid left by a
  // crashed server. Throws std::runtime_error with the server log tail on failure.
  void start();
  // Fast shutdown (SIGINT), waits for the server to exit. No-op when not running.
  void stop();
  // Kills the server and its backends (SIGKILL), as after a crash; for tests.
  void kill_hard();
  bool running() const;

  std::string conninfo(const std::string& dbname = "warden") const;
  void create_database(const std::string& name);  // if missing

  const EmbeddedPgOptions& options() const { return options_; }
  int port() const { return options_.port; }

  // Throwaway cluster in a fresh /tmp dir on a free port, started, removed entirely by the
  // destructor. `fsync` stays off unless a test is about durability.
  static std::unique_ptr<EmbeddedPostgres> temporary(bool fsync = false);

 private:
  void init_cluster_if_needed();
  void clear_stale_pid_file();
  bool accepts_connections() const;
  std::string log_tail(size_t max_bytes = 4000) const;

  EmbeddedPgOptions options_;
  pid_t server_pid_ = -1;
  std::filesystem::path remove_on_destroy_;  // set by temporary()
};

}  // namespace warden::core

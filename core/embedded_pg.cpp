#include "core/embedded_pg.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/subprocess.h"

namespace warden::core {
namespace fs = std::filesystem;
namespace {

std::string read_file_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// True when `pid` is a live process named "postgres" (a pid from a stale lock file may
// have been reused by an unrelated process, which must not block our start).
bool is_live_postgres(pid_t pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  std::string comm = read_file_text("/proc/" + std::to_string(pid) + "/comm");
  while (!comm.empty() && (comm.back() == '\n' || comm.back() == ' ')) comm.pop_back();
  return comm == "postgres" || comm == "postmaster";
}

pid_t first_line_pid(const fs::path& lock_file) {
  std::ifstream in(lock_file);
  long pid = 0;
  in >> pid;
  return static_cast<pid_t>(pid);
}

int pick_port(const fs::path& socket_dir) {
  std::random_device rd;
  std::mt19937 gen(rd() ^ static_cast<unsigned>(::getpid()));
  std::uniform_int_distribution<int> dist(20000, 59999);
  for (int attempt = 0; attempt < 100; ++attempt) {
    int port = dist(gen);
    if (!fs::exists(socket_dir / (".s.PGSQL." + std::to_string(port)))) return port;
  }
  throw std::runtime_error("embedded postgres: no free port number in " + socket_dir.string());
}

std::optional<UserIds> service_user(const EmbeddedPgOptions& o) {
  if (::geteuid() != 0) return std::nullopt;
  return ensure_system_user(o.run_as_user);
}

}  // namespace

EmbeddedPostgres::EmbeddedPostgres(EmbeddedPgOptions options) : options_(std::move(options)) {
  if (options_.data_dir.empty()) throw std::runtime_error("embedded postgres: data_dir is empty");
  options_.data_dir = fs::absolute(options_.data_dir);
  if (options_.socket_dir.empty()) options_.socket_dir = options_.data_dir / "sock";
  if (options_.log_file.empty()) options_.log_file = options_.data_dir / "postgres.log";
}

EmbeddedPostgres::~EmbeddedPostgres() {
  try {
    // A throwaway cluster is deleted next: immediate shutdown skips the checkpoint but,
    // unlike SIGKILL, still lets the server release its shared memory.
    if (!remove_on_destroy_.empty() && server_pid_ > 0) {
      pid_t pid = server_pid_;
      server_pid_ = -1;
      ::kill(pid, SIGQUIT);
      if (!wait_child(pid, 20000)) {
        ::kill(-pid, SIGKILL);
        wait_child(pid, 10000);
      }
    }
    stop();
  } catch (...) {
  }
  if (!remove_on_destroy_.empty()) {
    std::error_code ec;
    fs::remove_all(remove_on_destroy_, ec);
  }
}

void EmbeddedPostgres::init_cluster_if_needed() {
  auto user = service_user(options_);
  // The socket dir and log may live inside the data dir, which initdb wants empty: make
  // them only after initdb.
  auto prepare_dirs = [&] {
    fs::create_directories(options_.data_dir);
    fs::create_directories(options_.socket_dir);
    ::chmod(options_.data_dir.c_str(), 0700);
    ::chmod(options_.socket_dir.c_str(), 0700);
    if (user) {
      chown_recursive(options_.data_dir, *user);
      chown_recursive(options_.socket_dir, *user);
    }
  };
  if (fs::exists(options_.data_dir / "PG_VERSION")) {
    prepare_dirs();
    return;
  }
  fs::create_directories(options_.data_dir);
  ::chmod(options_.data_dir.c_str(), 0700);
  if (user) chown_recursive(options_.data_dir, *user);
  std::vector<std::string> argv = {(options_.bin_dir / "initdb").string(), "-D", options_.data_dir.string(),
                                   "-U", options_.superuser, "--auth=trust", "-E", "UTF8",
                                   "--no-locale", "--no-instructions"};
  // A throwaway cluster needs no durable bootstrap, even when its server runs with fsync.
  if (!options_.fsync || !remove_on_destroy_.empty()) argv.push_back("--no-sync");
  ProcessResult r = run_process(argv, user);
  if (r.exit_code != 0) {
    throw std::runtime_error("embedded postgres: initdb of " + options_.data_dir.string() + " failed (exit " +
                             std::to_string(r.exit_code) + "):\n" + r.output);
  }
  prepare_dirs();
}

void EmbeddedPostgres::clear_stale_pid_file() {
  fs::path pid_file = options_.data_dir / "postmaster.pid";
  if (fs::exists(pid_file)) {
    pid_t pid = first_line_pid(pid_file);
    if (is_live_postgres(pid)) {
      throw std::runtime_error("embedded postgres: a server (pid " + std::to_string(pid) +
                               ") is already running on " + options_.data_dir.string());
    }
    fs::remove(pid_file);
  }
  // Socket lock files name the pid of the server that made them; drop stale ones too.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.socket_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(".s.PGSQL.", 0) == 0 && name.size() > 5 && name.substr(name.size() - 5) == ".lock") {
      if (!is_live_postgres(first_line_pid(entry.path()))) {
        fs::remove(entry.path(), ec);
        fs::remove(entry.path().parent_path() / name.substr(0, name.size() - 5), ec);
      }
    }
  }
}

void EmbeddedPostgres::start() {
  if (running()) return;
  init_cluster_if_needed();
  clear_stale_pid_file();
  if (options_.port == 0) options_.port = pick_port(options_.socket_dir);
  if ((options_.socket_dir / ".s.PGSQL.00000").string().size() >= 107) {
    throw std::runtime_error("embedded postgres: socket_dir path too long for a unix socket: " +
                             options_.socket_dir.string());
  }
  auto user = service_user(options_);
  std::vector<std::string> argv = {(options_.bin_dir / "postgres").string(), "-D", options_.data_dir.string(),
                                   "-k", options_.socket_dir.string(), "-p", std::to_string(options_.port),
                                   "-c", "listen_addresses=", "-c", "unix_socket_permissions=0700"};
  if (!options_.fsync) {
    for (const char* s : {"fsync=off", "full_page_writes=off", "synchronous_commit=off"}) {
      argv.push_back("-c");
      argv.push_back(s);
    }
  }
  for (const auto& [name, value] : options_.settings) {
    argv.push_back("-c");
    argv.push_back(name + "=" + value);
  }
  size_t log_offset = fs::exists(options_.log_file) ? fs::file_size(options_.log_file) : 0;
  server_pid_ = spawn_process(argv, options_.log_file, user);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.start_timeout_ms);
  for (;;) {
    if (auto code = poll_child(server_pid_)) {
      server_pid_ = -1;
      std::string log = read_file_text(options_.log_file).substr(std::min(log_offset, fs::file_size(options_.log_file)));
      throw std::runtime_error("embedded postgres: server exited with code " + std::to_string(*code) +
                               " during start; log:\n" + log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
    }
    if (accepts_connections()) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string tail = log_tail();
      stop();
      throw std::runtime_error("embedded postgres: server did not accept connections within " +
                               std::to_string(options_.start_timeout_ms) + " ms; log tail:\n" + tail);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  create_database("warden");
}

bool EmbeddedPostgres::accepts_connections() const {
  try {
    pqxx::connection c{conninfo("postgres") + " connect_timeout=2"};
    return c.is_open();
  } catch (const std::exception&) {
    return false;
  }
}

void EmbeddedPostgres::stop() {
  if (server_pid_ <= 0) return;
  pid_t pid = server_pid_;
  server_pid_ = -1;
  if (poll_child(pid)) return;
  ::kill(pid, SIGINT);  // fast shutdown: roll back open transactions, checkpoint, exit
  if (wait_child(pid, 60000)) return;
  ::kill(pid, SIGQUIT);
  if (wait_child(pid, 10000)) return;
  ::kill(pid, SIGKILL);
  wait_child(pid, 10000);
}

void EmbeddedPostgres::kill_hard() {
  if (server_pid_ <= 0) return;
  pid_t pid = server_pid_;
  server_pid_ = -1;
  // SIGKILL to the whole process group (the server and its backends), as a power cut
  // would: postmaster.pid stays behind and the next start runs crash recovery.
  ::kill(-pid, SIGKILL);
  wait_child(pid, 10000);
}

bool EmbeddedPostgres::running() const {
  if (server_pid_ <= 0) return false;
  return ::kill(server_pid_, 0) == 0;
}

std::string EmbeddedPostgres::conninfo(const std::string& dbname) const {
  return "host=" + options_.socket_dir.string() + " port=" + std::to_string(options_.port) +
         " dbname=" + dbname + " user=" + options_.superuser;
}

void EmbeddedPostgres::create_database(const std::string& name) {
  pqxx::connection c{conninfo("postgres")};
  pqxx::nontransaction tx{c};
  if (!tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", name).empty()) return;
  tx.exec0("CREATE DATABASE " + tx.quote_name(name));
}

std::string EmbeddedPostgres::log_tail(size_t max_bytes) const {
  std::string log = read_file_text(options_.log_file);
  return log.size() > max_bytes ? log.substr(log.size() - max_bytes) : log;
}

std::unique_ptr<EmbeddedPostgres> EmbeddedPostgres::temporary(bool fsync) {
  char tmpl[] = "/tmp/warden-pg-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("embedded postgres: mkdtemp failed");
  fs::path root = tmpl;
  ::chmod(root.c_str(), 0755);
  EmbeddedPgOptions o;
  o.data_dir = root / "data";
  o.socket_dir = root / "sock";
  o.log_file = root / "postgres.log";
  o.fsync = fsync;
  // Small footprint: many test clusters may run side by side on one machine.
  o.settings = {{"shared_buffers", "16MB"}, {"max_connections", "40"}, {"max_wal_size", "256MB"},
                {"dynamic_shared_memory_type", "mmap"}};
  if (auto user = service_user(o)) chown_recursive(root, *user);
  auto pg = std::make_unique<EmbeddedPostgres>(std::move(o));
  pg->remove_on_destroy_ = root;
  pg->start();
  return pg;
}

}  // namespace warden::core

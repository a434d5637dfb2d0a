// Small POSIX process helpers for launching tools we do not link against
// (initdb, postgres, useradd). Used by the embedded PostgreSQL launcher.
//
// Why not std::system: we need to drop root privileges in the child (PostgreSQL refuses
// to run as root), redirect output to a log file, and keep the child's pid.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace warden::core {

// Numeric identity a child process switches to before exec.
struct UserIds {
  uid_t uid = 0;
  gid_t gid = 0;
};

// Looks up an OS user by name; nullopt when there is no such user.
std::optional<UserIds> lookup_user(const std::string& name);

// Returns the ids of `name`, creating it as a system user without a login shell when it
// is missing. Throws std::runtime_error when it cannot be created.
UserIds ensure_system_user(const std::string& name);

struct ProcessResult {
  int exit_code = -1;   // exit status, or 128 + signal number when killed by a signal
  std::string output;   // stdout and stderr together
};

// Runs argv[0] (an absolute path or a name found on PATH) to completion, capturing its
// output. `as_user` switches the child's uid/gid first (only meaningful when we are root).
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::optional<UserIds>& as_user = std::nullopt);

// Starts argv[0] in the background with stdin from /dev/null and stdout/stderr appended to
// `log_file`; returns its pid. The child gets its own process group.
pid_t spawn_process(const std::vector<std::string>& argv, const std::filesystem::path& log_file,
                    const std::optional<UserIds>& as_user = std::nullopt);

// Non-blocking check whether a child we spawned has exited; reaps it when it has.
// Returns the exit code when it has exited, nullopt while it runs.
std::optional<int> poll_child(pid_t pid);

// Waits up to `timeout_ms` for child `pid` to exit; returns its exit code or nullopt.
std::optional<int> wait_child(pid_t pid, int timeout_ms);

// Recursively chowns `path` to the given ids (used when root hands dirs to a service user).
void chown_recursive(const std::filesystem::path& path, const UserIds& ids);

}  // namespace warden::core

#include "core/subprocess.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace warden::core {
namespace {

// Resolves a bare program name on PATH before fork, so the child only calls execv.
std::string resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path_env = std::getenv("PATH");
  std::string path = path_env ? path_env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string candidate = path.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  throw std::runtime_error("program not found on PATH: " + name);
}

std::vector<char*> make_argv(std::vector<std::string>& args) {
  std::vector<char*> out;
  for (auto& a : args) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

// Runs in the forked child: only async-signal-safe calls from here on.
[[noreturn]] void exec_child(const char* program, char* const* argv, int out_fd,
                             const std::optional<UserIds>& as_user) {
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) ::dup2(null_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(out_fd, 2);
  if (as_user && ::geteuid() == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(as_user->gid) != 0 || ::setuid(as_user->uid) != 0) {
      const char msg[] = "subprocess: cannot switch user\n";
      (void)!::write(2, msg, sizeof(msg) - 1);
      ::_exit(126);
    }
  }
  ::execv(program, argv);
  const char msg[] = "subprocess: exec failed\n";
  (void)!::write(2, msg, sizeof(msg) - 1);
  ::_exit(127);
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::optional<UserIds> lookup_user(const std::string& name) {
  struct passwd pwd;
  struct passwd* result = nullptr;
  std::vector<char> buf(16384);
  if (::getpwnam_r(name.c_str(), &pwd, buf.data(), buf.size(), &result) != 0 || !result) {
    return std::nullopt;
  }
  return UserIds{result->pw_uid, result->pw_gid};
}

UserIds ensure_system_user(const std::string& name) {
  if (auto ids = lookup_user(name)) return *ids;
  ProcessResult r = run_process({"useradd", "--system", "--user-group", "--no-create-home",
                                 "--shell", "/usr/sbin/nologin", name});
  // Another process may have created it concurrently (useradd exit 9): look again.
  if (auto ids = lookup_user(name)) return *ids;
  throw std::runtime_error("cannot create OS user '" + name + "' (useradd exit " +
                           std::to_string(r.exit_code) + "): " + r.output);
}

ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::optional<UserIds>& as_user) {
  if (argv.empty()) throw std::runtime_error("run_process: empty argv");
  std::vector<std::string> args = argv;
  std::string program = resolve_program(args[0]);
  std::vector<char*> cargv = make_argv(args);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed: " + std::string(std::strerror(errno)));
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error("fork failed: " + std::string(std::strerror(errno)));
  }
  if (pid == 0) exec_child(program.c_str(), cargv.data(), fds[1], as_user);
  ::close(fds[1]);
  ProcessResult result;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n > 0) {
      result.output.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = decode_status(status);
  return result;
}

pid_t spawn_process(const std::vector<std::string>& argv, const std::filesystem::path& log_file,
                    const std::optional<UserIds>& as_user) {
  if (argv.empty()) throw std::runtime_error("spawn_process: empty argv");
  std::vector<std::string> args = argv;
  std::string program = resolve_program(args[0]);
  std::vector<char*> cargv = make_argv(args);
  int log_fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0) {
    throw std::runtime_error("cannot open log file " + log_file.string() + ": " + std::strerror(errno));
  }
  if (as_user && ::geteuid() == 0) (void)!::fchown(log_fd, as_user->uid, as_user->gid);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    throw std::runtime_error("fork failed: " + std::string(std::strerror(errno)));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    exec_child(program.c_str(), cargv.data(), log_fd, as_user);
  }
  ::close(log_fd);
  return pid;
}

std::optional<int> poll_child(pid_t pid) {
  int status = 0;
  pid_t r = ::waitpid(pid, &status, WNOHANG);
  if (r == pid) return decode_status(status);
  if (r < 0 && errno == ECHILD) return -1;  // not our child any more (already reaped)
  return std::nullopt;
}

std::optional<int> wait_child(pid_t pid, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (auto code = poll_child(pid)) return code;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void chown_recursive(const std::filesystem::path& path, const UserIds& ids) {
  namespace fs = std::filesystem;
  if (::lchown(path.c_str(), ids.uid, ids.gid) != 0) {
    throw std::runtime_error("cannot chown " + path.string() + ": " + std::strerror(errno));
  }
  if (fs::is_directory(fs::symlink_status(path))) {
    for (const auto& entry : fs::recursive_directory_iterator(path)) {
      (void)!::lchown(entry.path().c_str(), ids.uid, ids.gid);
    }
  }
}

}  // namespace warden::core

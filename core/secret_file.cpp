#include "core/secret_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>
#include <vector>

namespace warden::core {

std::string load_or_create_secret(const std::filesystem::path& path, size_t size) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialize");
  std::filesystem::create_directories(path.parent_path());
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::vector<unsigned char> bytes(size);
    randombytes_buf(bytes.data(), size);
    std::filesystem::path tmp = path;
    tmp += ".tmp";
    int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) throw std::runtime_error("cannot create secret file " + path.string());
    bool ok = ::write(out, bytes.data(), size) == static_cast<ssize_t>(size) && ::fsync(out) == 0;
    ::close(out);
    sodium_memzero(bytes.data(), size);
    if (!ok) throw std::runtime_error("cannot write secret file " + path.string());
    std::filesystem::rename(tmp, path);
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot read secret file " + path.string());
  }
  struct stat st {};
  ::fstat(fd, &st);
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    ::close(fd);
    throw std::runtime_error("secret file " + path.string() + " is readable by other users (chmod 600 it)");
  }
  std::string secret(size, '\0');
  ssize_t n = ::read(fd, secret.data(), size + 0);
  char extra;
  bool longer = ::read(fd, &extra, 1) == 1;
  ::close(fd);
  if (n != static_cast<ssize_t>(size) || longer) {
    throw std::runtime_error("secret file " + path.string() + " must hold exactly " + std::to_string(size) + " bytes");
  }
  return secret;
}

}  // namespace warden::core

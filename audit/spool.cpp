#include "audit/spool.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace warden::audit {
namespace {

constexpr char kMagic[8] = {'W', 'A', 'U', 'D', 'S', 'P', 'L', '1'};
constexpr size_t kChecksumBytes = 16;
constexpr char kRecordEntry = 'R';
constexpr char kCheckpointEntry = 'C';

std::string checksum(std::string_view typed_body) {
  std::string out(kChecksumBytes, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), kChecksumBytes,
                     reinterpret_cast<const unsigned char*>(typed_body.data()), typed_body.size(), nullptr, 0);
  return out;
}

void put_entry(std::string& out, char type, const std::string& body) {
  std::string typed(1, type);
  typed += body;
  uint32_t len = static_cast<uint32_t>(typed.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(len >> (8 * i)));
  out += typed;
  out += checksum(typed);
}

void write_all(int fd, const std::string& bytes, const std::filesystem::path& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("audit spool " + path.string() + ": write failed: " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

}  // namespace

Spool::Spool(std::filesystem::path path) : path_(std::move(path)) {
  ensure_sodium();
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error("cannot open audit spool " + path_.string() + ": " + std::strerror(errno));
  struct stat st {};
  ::fstat(fd_, &st);
  if (st.st_size == 0) {
    write_all(fd_, std::string(kMagic, sizeof kMagic), path_);
    if (::fsync(fd_) != 0) throw std::runtime_error("audit spool " + path_.string() + ": fsync failed");
  }
}

Spool::~Spool() {
  if (fd_ >= 0) ::close(fd_);
}

void Spool::append(const std::vector<StoredRecord>& records, const std::vector<Checkpoint>& checkpoints) {
  std::string bytes;
  for (const auto& r : records) put_entry(bytes, kRecordEntry, stored_record_to_json(r).dump());
  for (const auto& cp : checkpoints) put_entry(bytes, kCheckpointEntry, checkpoint_to_json(cp).dump());
  off_t before = ::lseek(fd_, 0, SEEK_END);
  try {
    write_all(fd_, bytes, path_);
    if (::fdatasync(fd_) != 0) throw std::runtime_error("audit spool " + path_.string() + ": fdatasync failed: " + std::strerror(errno));
  } catch (...) {
    // Leave no half-written entries behind for a later append to follow.
    if (before >= 0) (void)!::ftruncate(fd_, before);
    throw;
  }
}

Spool::Contents Spool::read_all() {
  Contents out;
  struct stat st {};
  ::fstat(fd_, &st);
  std::string data(static_cast<size_t>(st.st_size), '\0');
  ssize_t got = ::pread(fd_, data.data(), data.size(), 0);
  if (got != static_cast<ssize_t>(data.size())) throw std::runtime_error("audit spool " + path_.string() + ": read failed");
  if (data.size() < sizeof kMagic || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) {
    throw std::runtime_error("audit spool " + path_.string() + ": not a Warden audit spool (bad magic)");
  }
  size_t pos = sizeof kMagic;
  while (pos < data.size()) {
    if (data.size() - pos < 4) {
      out.torn_tail = true;
      break;
    }
    uint32_t len = 0;
    for (int i = 0; i < 4; ++i) len |= static_cast<uint32_t>(static_cast<unsigned char>(data[pos + i])) << (8 * i);
    if (len == 0 || data.size() - pos - 4 < static_cast<size_t>(len) + kChecksumBytes) {
      out.torn_tail = true;
      break;
    }
    std::string_view typed(data.data() + pos + 4, len);
    std::string_view sum(data.data() + pos + 4 + len, kChecksumBytes);
    if (checksum(typed) != sum) {
      out.torn_tail = true;
      break;
    }
    core::Json body = core::Json::parse(typed.substr(1));
    if (typed[0] == kRecordEntry) {
      out.records.push_back(stored_record_from_json(body));
    } else if (typed[0] == kCheckpointEntry) {
      out.checkpoints.push_back(checkpoint_from_json(body));
    } else {
      throw std::runtime_error("audit spool " + path_.string() + ": unknown entry type at offset " + std::to_string(pos));
    }
    pos += 4 + len + kChecksumBytes;
  }
  if (out.torn_tail) (void)!::ftruncate(fd_, static_cast<off_t>(pos));
  return out;
}

void Spool::clear() {
  if (::ftruncate(fd_, sizeof kMagic) != 0 || ::fsync(fd_) != 0) {
    throw std::runtime_error("audit spool " + path_.string() + ": truncate failed: " + std::strerror(errno));
  }
}

void Spool::replace(const std::vector<StoredRecord>& records, const std::vector<Checkpoint>& checkpoints) {
  std::string bytes(kMagic, sizeof kMagic);
  for (const auto& r : records) put_entry(bytes, kRecordEntry, stored_record_to_json(r).dump());
  for (const auto& cp : checkpoints) put_entry(bytes, kCheckpointEntry, checkpoint_to_json(cp).dump());
  const std::filesystem::path tmp = path_.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + tmp.string() + ": " + std::strerror(errno));
  try {
    write_all(fd, bytes, tmp);
    if (::fsync(fd) != 0) throw std::runtime_error("audit spool " + tmp.string() + ": fsync failed: " + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("audit spool " + path_.string() + ": rename failed: " + std::strerror(errno));
  }
  std::filesystem::path dir = path_.parent_path().empty() ? std::filesystem::path(".") : path_.parent_path();
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    (void)::fsync(dir_fd);
    ::close(dir_fd);
  }
  int reopened = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (reopened < 0) throw std::runtime_error("cannot reopen audit spool " + path_.string() + ": " + std::strerror(errno));
  ::close(fd_);
  fd_ = reopened;
}

bool Spool::empty() const {
  struct stat st {};
  ::fstat(fd_, &st);
  return st.st_size <= static_cast<off_t>(sizeof kMagic);
}

}  // namespace warden::audit

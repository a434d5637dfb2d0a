// Local append-only spool used while PostgreSQL is unreachable. Each entry is
// [u32 length][u8 type][body][16-byte BLAKE2b of type+body] and every append is fdatasync'ed
// before the records it holds are reported durable. A torn tail from a crash mid-append is
// detected by the checksum and cut off. After a successful replay into PostgreSQL the file
// is truncated; a replay interrupted by a crash is simply repeated (the writer skips records
// whose id is stored already). Each record entry carries its chain.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/record.h"

namespace warden::audit {

class Spool {
 public:
  explicit Spool(std::filesystem::path path);  // creates the file when missing
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Appends and fsyncs; throws std::runtime_error when the disk refuses.
  void append(const std::vector<StoredRecord>& records, const std::vector<Checkpoint>& checkpoints);

  struct Contents {
    std::vector<StoredRecord> records;
    std::vector<Checkpoint> checkpoints;
    bool torn_tail = false;  // a damaged last entry was dropped
  };
  Contents read_all();
  void clear();
  // Atomically replaces the contents with these entries (temporary file, fsync, rename):
  // what replay could not deliver yet stays, nothing else. Throws std::runtime_error.
  void replace(const std::vector<StoredRecord>& records, const std::vector<Checkpoint>& checkpoints);
  bool empty() const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace warden::audit

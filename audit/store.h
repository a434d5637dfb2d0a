// PostgreSQL access for audit tables (migrations/0002_audit.sql). One AuditStore owns one
// connection and is used by one thread: the writer thread, a reader, or the verifier.
#pragma once

#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/record.h"

namespace warden::audit {

// A stored record plus, when its indexed columns disagree with its hashed header, what
// differs (an edit of a search column that the hash alone would not see).
struct LoadedRecord {
  StoredRecord record;
  std::string column_mismatch;
};

class AuditStore {
 public:
  explicit AuditStore(const std::string& conninfo);  // connects; throws pqxx errors

  // One transaction with synchronous_commit=on; rows that already exist (same seq or
  // record_id, e.g. replayed from the spool) are skipped.
  void insert(const std::vector<StoredRecord>& records, const std::vector<Checkpoint>& checkpoints);

  // Last record's (seq, hash); nullopt when the table is empty.
  std::optional<std::pair<uint64_t, std::string>> head();
  // Records with seq >= from_seq in seq order.
  std::vector<LoadedRecord> records_from(uint64_t from_seq, size_t limit);
  std::optional<LoadedRecord> record_by_id(const std::string& record_id);
  std::vector<Checkpoint> checkpoints(uint64_t after_seq = 0, size_t limit = SIZE_MAX);

  // Runs `sql` (a WHERE clause over audit_records built by the reader with quoted values).
  std::vector<LoadedRecord> select_where(const std::string& where_sql, size_t limit);

  // Deletes records with time_us < before_us except that the chain stays verifiable: the
  // signed prune marker (a checkpoint at the last deleted seq) is stored in the same
  // transaction. Returns the number of records deleted. Needs DELETE rights (owner role).
  uint64_t prune_before(int64_t before_us, const SigningKey& key);

  pqxx::connection& connection() { return *conn_; }

 private:
  std::unique_ptr<pqxx::connection> conn_;
};

// Columns selected for a record, in the order row_to_record expects.
extern const char* const kRecordColumns;
LoadedRecord row_to_record(const pqxx::row& row);

}  // namespace warden::audit

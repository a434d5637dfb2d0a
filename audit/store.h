// PostgreSQL access for audit tables (migrations/0002_audit.sql). One AuditStore owns one
// connection and is used by one thread: the writer thread, a reader, or the verifier.
#pragma once

#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <set>
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
  int64_t time_us_column = 0;  // the time_us column (the paging order), whatever the header says
};

// Where a page of checkpoints continues: after (chain, seq) in (chain, seq, kind) order.
struct CheckpointCursor {
  std::string chain;  // "" = from the start
  uint64_t seq = 0;
};

class AuditStore {
 public:
  explicit AuditStore(const std::string& conninfo);  // connects; throws pqxx errors

  // One transaction with synchronous_commit=on. A record whose (chain, seq) or record_id
  // exists already fails the whole transaction (the writer then spools and re-links, see
  // writer.h); checkpoints that exist already are skipped.
  void insert(const std::vector<StoredRecord>& records, const std::vector<Checkpoint>& checkpoints);

  // The chain's head: its last record's (seq, hash), or its newest prune marker when every
  // record was pruned; nullopt when the chain has neither.
  std::optional<std::pair<uint64_t, std::string>> head(const std::string& chain);
  // Every chain that has records or checkpoints, sorted.
  std::vector<std::string> chains();
  // Records of `chain` with seq >= from_seq in seq order.
  std::vector<LoadedRecord> records_from(const std::string& chain, uint64_t from_seq, size_t limit);
  std::optional<LoadedRecord> record_by_id(const std::string& record_id);
  // Of the given ids, those already stored (any chain).
  std::set<std::string> existing_record_ids(const std::vector<std::string>& record_ids);
  // Checkpoints in (chain, seq, kind) order after `after`; only `chain` when given.
  std::vector<Checkpoint> checkpoints(const std::optional<std::string>& chain = std::nullopt, CheckpointCursor after = {},
                                      size_t limit = SIZE_MAX);

  // Runs `where_sql` (a WHERE clause over audit_records built by the reader with quoted
  // values) ordered by `order_sql`.
  std::vector<LoadedRecord> select_where(const std::string& where_sql, size_t limit,
                                         const std::string& order_sql = "time_us, chain, seq");

  // One writer per chain: a PostgreSQL session advisory lock keyed by the chain id, held on
  // this connection until unlock_chain or until the connection closes. False when another
  // session holds it.
  bool try_lock_chain(const std::string& chain);
  void unlock_chain(const std::string& chain);

  // Deletes, in every chain, records with time_us < before_us except that each chain stays
  // verifiable: a signed prune marker (a checkpoint at the chain's last deleted seq) is stored
  // in the same transaction. Returns the number of records deleted. Needs DELETE rights
  // (owner role).
  uint64_t prune_before(int64_t before_us, const SigningKey& key);

  pqxx::connection& connection() { return *conn_; }

 private:
  std::unique_ptr<pqxx::connection> conn_;
};

// The advisory lock key of a chain: the first 8 bytes of BLAKE2b("warden-audit-chain-lock", chain).
int64_t chain_lock_key(const std::string& chain);

// Columns selected for a record, in the order row_to_record expects.
extern const char* const kRecordColumns;
LoadedRecord row_to_record(const pqxx::row& row);

}  // namespace warden::audit

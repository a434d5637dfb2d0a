// The audit writer: the single place that assigns sequence numbers and chain hashes, and
// the only path by which audit records reach storage.
//
// Every writer owns one named chain (WriterConfig::chain; one per gateway process), so that
// several gateways can share a database. It writes only while it holds the chain's
// PostgreSQL advisory lock (AuditStore::try_lock_chain) on its connection: a second process
// with the same chain id is refused, treats the database as unavailable, spools and retries.
//
// The gateway calls submit() from any thread. The payload is encrypted on the caller's
// thread; one writer thread then chains records and group-commits them into PostgreSQL
// (synchronous_commit=on), falling back to an fsynced local spool while the database is
// unreachable or the chain is locked elsewhere, and replaying the spool exactly once when it
// can. Spooled records are chained provisionally: at replay they are appended behind the
// chain's head in PostgreSQL, re-linked (new seq, prev_hash, hash; same sealed content) if
// the head moved meanwhile. Checkpoints are therefore signed only over records stored in
// PostgreSQL under the lock. If neither can take a record, the writer reports unhealthy and
// the gateway must refuse new requests (503), unless fail_open is configured.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/keys.h"
#include "audit/record.h"

namespace warden::audit {

class AuditStore;
class Spool;

// Thrown into a submit() future / callback when a record could not be made durable.
class AuditUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Durability {
  kWaitDurable,  // every future completes only once its record is in PostgreSQL or the spool
  kBoundedLag,   // futures complete at once while fewer than max_lag_records are in flight
};

struct WriterConfig {
  std::string conninfo;                          // PostgreSQL (role with INSERT/SELECT on audit tables)
  std::string chain = kLegacyChain;              // this writer's chain id (record.h: chain_id_problem)
  std::vector<ReviewerPublicKey> reviewers;      // payloads are sealed to each of these
  std::shared_ptr<const SigningKey> signing_key; // signs checkpoints
  std::filesystem::path spool_path;              // local fallback file (required)
  std::filesystem::path checkpoint_file;         // optional JSONL export of every checkpoint
  size_t max_batch = 512;
  size_t queue_capacity = 100000;                // beyond this submit() fails (back-pressure)
  uint64_t checkpoint_every_records = 1000;
  std::chrono::milliseconds checkpoint_interval{10000};
  std::chrono::milliseconds reconnect_interval{1000};
  Durability durability = Durability::kWaitDurable;
  size_t max_lag_records = 1000;
  bool fail_open = false;                        // drop (with a log line) instead of failing requests
  std::function<void(const std::string&)> log;   // default: stderr
  std::function<void(const std::string&)> log_error;  // serious conditions (chain locked elsewhere); default: log
};

// Counters for metrics (/metrics) and health checks.
struct WriterStats {
  uint64_t submitted = 0;
  uint64_t stored_in_db = 0;
  uint64_t spooled = 0;
  uint64_t replayed = 0;     // spooled records later inserted into PostgreSQL
  uint64_t failed = 0;       // records that reached neither PostgreSQL nor the spool
  uint64_t dropped_fail_open = 0;
  uint64_t checkpoints = 0;
  uint64_t last_seq = 0;
  size_t queue_depth = 0;
  bool healthy = false;
  bool db_connected = false;
  std::string chain;          // WriterConfig::chain
  bool chain_locked = false;  // this writer holds the chain's advisory lock (connected and writing)
  bool chain_busy = false;    // another session holds it: records go to the spool
  std::string last_error;
};

class AuditWriter {
 public:
  using DurableCallback = std::function<void(std::exception_ptr)>;  // null on success

  // Learns the chain head from PostgreSQL (and the spool) and starts the writer thread.
  explicit AuditWriter(WriterConfig config);
  ~AuditWriter();  // close()
  AuditWriter(const AuditWriter&) = delete;
  AuditWriter& operator=(const AuditWriter&) = delete;

  // Seals the record and queues it. The future completes when the record is durable (or at
  // once in kBoundedLag mode while the lag bound holds); it carries AuditUnavailable when
  // the record could not be stored. Throws AuditUnavailable when the queue is full or the
  // writer is closed (and fail_open is off).
  std::future<void> submit(AuditRecord record);
  // Same, but `on_durable` runs on the writer thread once the record is durable (or failed).
  void submit(AuditRecord record, DurableCallback on_durable);

  bool healthy() const;  // false: the gateway must answer 503 (unless fail_open())
  // kBoundedLag and fewer than max_lag_records in flight: a caller may report its request
  // complete before this record is durable. Always false with kWaitDurable.
  bool may_lag() const;
  bool fail_open() const { return config_.fail_open; }
  WriterStats stats() const;
  // Blocks until every record submitted before the call is durable or failed.
  void flush();
  // Drains the queue, writes a shutdown checkpoint, stops the thread. Idempotent.
  void close();

 private:
  struct Pending {
    SealedRecord sealed;
    DurableCallback done;
  };

  void run();
  void learn_head();
  bool ensure_db();
  void drop_db(const std::string& why);
  void replay_spool();
  uint64_t replay_chain(const std::string& chain, std::vector<StoredRecord> records, std::vector<Checkpoint> checkpoints);
  void link(std::vector<StoredRecord>& records) const;
  void write_batch(std::vector<Pending>& batch);
  bool store_records(std::vector<StoredRecord>& records);
  void after_checkpoint(const Checkpoint& cp);
  void maybe_checkpoint(const char* kind, bool force);
  void probe_health();
  void log(const std::string& line);
  void log_error(const std::string& line);
  void set_error(const std::string& what);

  WriterConfig config_;
  std::unique_ptr<AuditStore> store_;   // writer thread only
  std::unique_ptr<Spool> spool_;        // writer thread only
  std::chrono::steady_clock::time_point next_connect_;
  bool chain_busy_ = false;             // writer thread only: the last attempt found the lock taken
  // Records of other chains (written before audit.chain changed) whose chain is locked by
  // another process stay in the spool; they are retried at this pace, not on every batch.
  bool spool_foreign_only_ = false;
  std::chrono::steady_clock::time_point next_foreign_retry_;

  // Chain state: writer thread only. The head includes spooled (provisional) records.
  uint64_t head_seq_ = 0;
  std::string head_hash_;
  uint64_t checkpointed_seq_ = 0;
  std::chrono::steady_clock::time_point last_checkpoint_time_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::deque<Pending> queue_;
  uint64_t enqueued_ = 0;
  uint64_t finished_ = 0;
  bool closing_ = false;
  bool closed_ = false;
  bool healthy_ = false;
  WriterStats stats_;
  std::thread thread_;
};

}  // namespace warden::audit

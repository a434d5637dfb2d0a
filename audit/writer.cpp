#include "audit/writer.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include "audit/envelope.h"
#include "audit/spool.h"
#include "audit/store.h"

namespace warden::audit {
using Clock = std::chrono::steady_clock;

AuditWriter::AuditWriter(WriterConfig config) : config_(std::move(config)) {
  if (config_.reviewers.empty()) throw std::runtime_error("audit writer: no reviewer public keys configured");
  if (!config_.signing_key) throw std::runtime_error("audit writer: no checkpoint signing key configured");
  if (config_.spool_path.empty()) throw std::runtime_error("audit writer: spool_path is required");
  if (std::string why = chain_id_problem(config_.chain); !why.empty()) throw std::runtime_error("audit writer: " + why);
  if (config_.max_batch == 0) config_.max_batch = 1;
  next_connect_ = Clock::now();
  next_foreign_retry_ = Clock::now();
  last_checkpoint_time_ = Clock::now();
  stats_.chain = config_.chain;
  learn_head();
  thread_ = std::thread([this] { run(); });
}

AuditWriter::~AuditWriter() { close(); }

void AuditWriter::log(const std::string& line) {
  if (config_.log) {
    config_.log(line);
  } else {
    std::cerr << "audit: " << line << std::endl;
  }
}

void AuditWriter::log_error(const std::string& line) {
  if (config_.log_error) config_.log_error(line);
  else log(line);
}

void AuditWriter::set_error(const std::string& what) {
  std::lock_guard lock(mu_);
  stats_.last_error = what;
}

bool AuditWriter::ensure_db() {
  if (store_) return true;
  if (Clock::now() < next_connect_) return false;
  bool busy = false;
  try {
    auto store = std::make_unique<AuditStore>(config_.conninfo);
    if (store->try_lock_chain(config_.chain)) store_ = std::move(store);
    else busy = true;  // closing `store` ends that session
  } catch (const std::exception& e) {
    next_connect_ = Clock::now() + config_.reconnect_interval;
    set_error(std::string("PostgreSQL unreachable: ") + e.what());
    return false;
  }
  if (busy) {
    next_connect_ = Clock::now() + config_.reconnect_interval;
    std::string what = "audit chain \"" + config_.chain +
                       "\" is being written by another process (another PostgreSQL session holds the chain's advisory "
                       "lock): this gateway does not write to the database and keeps its records in the spool until the "
                       "lock is free. Two running gateways must not share a chain id (a copied state_dir, or the same "
                       "audit.chain setting)";
    if (!chain_busy_) log_error(what);
    chain_busy_ = true;
    std::lock_guard lock(mu_);
    stats_.chain_busy = true;
    stats_.chain_locked = false;
    stats_.db_connected = false;
    stats_.last_error = what;
    return false;
  }
  if (chain_busy_) log("obtained the lock on audit chain \"" + config_.chain + "\": writing to PostgreSQL again");
  chain_busy_ = false;
  std::lock_guard lock(mu_);
  stats_.chain_busy = false;
  stats_.chain_locked = true;
  stats_.db_connected = true;
  return true;
}

void AuditWriter::drop_db(const std::string& why) {
  store_.reset();  // ends the session, and with it the chain lock
  next_connect_ = Clock::now() + config_.reconnect_interval;
  std::lock_guard lock(mu_);
  stats_.db_connected = false;
  stats_.chain_locked = false;
  stats_.last_error = why;
}

void AuditWriter::learn_head() {
  head_seq_ = 0;
  head_hash_ = genesis_hash();
  bool own_spooled = false;
  try {
    if (!spool_) spool_ = std::make_unique<Spool>(config_.spool_path);
  } catch (const std::exception& e) {
    log(std::string("spool unavailable: ") + e.what());
  }
  if (spool_ && !spool_->empty()) {
    Spool::Contents c = spool_->read_all();
    if (c.torn_tail) log("spool " + config_.spool_path.string() + ": dropped a torn final entry (never reported durable)");
    for (const auto& r : c.records) {
      if (r.chain != config_.chain) continue;
      own_spooled = true;
      head_seq_ = r.seq;
      head_hash_ = r.hash;
    }
  }
  if (ensure_db()) {
    try {
      replay_spool();
      if (!own_spooled) {
        if (auto head = store_->head(config_.chain)) {
          head_seq_ = head->first;
          head_hash_ = head->second;
        }
      }
    } catch (const std::exception& e) {
      drop_db(std::string("PostgreSQL error while reading the chain head: ") + e.what());
    }
  }
  // Without PostgreSQL (or its lock) the chain continues provisionally from the spool's last
  // record, or from nothing: replay re-links behind the real head.
  checkpointed_seq_ = head_seq_;
  std::lock_guard lock(mu_);
  healthy_ = store_ || spool_;
  stats_.healthy = healthy_;
  stats_.last_seq = head_seq_;
  stats_.db_connected = store_ != nullptr;
}

void AuditWriter::link(std::vector<StoredRecord>& records) const {
  uint64_t seq = head_seq_;
  std::string prev = head_hash_;
  for (auto& r : records) {
    r.chain = config_.chain;
    r.seq = ++seq;
    r.prev_hash = prev;
    r.hash = compute_record_hash(r.seq, r.prev_hash, r.sealed);
    prev = r.hash;
  }
}

uint64_t AuditWriter::replay_chain(const std::string& chain, std::vector<StoredRecord> records,
                                   std::vector<Checkpoint> checkpoints) {
  const uint64_t delivered = records.size();
  // A replay repeated after a crash (or an insert that failed after its commit) finds some
  // records stored already: those are skipped by id, never stored twice.
  std::set<std::string> stored;
  constexpr size_t kIdChunk = 1000;
  for (size_t i = 0; i < records.size(); i += kIdChunk) {
    std::vector<std::string> ids;
    for (size_t k = i; k < std::min(records.size(), i + kIdChunk); ++k) ids.push_back(records[k].sealed.header.record_id);
    for (auto& id : store_->existing_record_ids(ids)) stored.insert(std::move(id));
  }
  std::vector<StoredRecord> fresh;
  for (auto& r : records) {
    if (!stored.count(r.sealed.header.record_id)) fresh.push_back(std::move(r));
  }
  auto head = store_->head(chain);
  uint64_t seq = head ? head->first : 0;
  std::string prev = head ? head->second : genesis_hash();
  bool relinked = false;
  for (auto& r : fresh) {
    if (r.seq != seq + 1 || r.prev_hash != prev) relinked = true;
    r.seq = ++seq;
    r.prev_hash = prev;
    r.hash = compute_record_hash(r.seq, r.prev_hash, r.sealed);
    prev = r.hash;
  }
  if (relinked) {
    log("spooled records of chain \"" + chain + "\" were re-linked behind seq " +
        std::to_string(seq - fresh.size()) + ", the chain's head in PostgreSQL");
    if (!checkpoints.empty()) {
      log("dropped " + std::to_string(checkpoints.size()) + " spooled checkpoint(s) of chain \"" + chain +
          "\": the positions they signed changed");
      checkpoints.clear();
    }
  }
  constexpr size_t kReplayChunk = 500;
  for (size_t i = 0; i < fresh.size(); i += kReplayChunk) {
    size_t end = std::min(fresh.size(), i + kReplayChunk);
    std::vector<StoredRecord> chunk(std::make_move_iterator(fresh.begin() + i), std::make_move_iterator(fresh.begin() + end));
    store_->insert(chunk, end == fresh.size() ? checkpoints : std::vector<Checkpoint>{});
  }
  if (fresh.empty() && !checkpoints.empty()) store_->insert({}, checkpoints);
  if (chain == config_.chain) {
    head_seq_ = seq;
    head_hash_ = prev;
  }
  return delivered;
}

void AuditWriter::replay_spool() {
  if (!spool_ || spool_->empty()) return;
  if (spool_foreign_only_ && Clock::now() < next_foreign_retry_) return;
  Spool::Contents c = spool_->read_all();
  // Entries by chain, each in spool order; this writer's own chain first, as its new records
  // must follow them.
  std::map<std::string, std::pair<std::vector<StoredRecord>, std::vector<Checkpoint>>> by_chain;
  for (auto& r : c.records) by_chain[r.chain].first.push_back(std::move(r));
  for (auto& cp : c.checkpoints) by_chain[cp.chain].second.push_back(std::move(cp));
  std::vector<std::string> order;
  if (by_chain.count(config_.chain)) order.push_back(config_.chain);
  for (const auto& [chain, entries] : by_chain) {
    if (chain != config_.chain) order.push_back(chain);
  }
  std::vector<StoredRecord> left_records;
  std::vector<Checkpoint> left_checkpoints;
  uint64_t replayed = 0;
  for (const auto& chain : order) {
    auto& [records, checkpoints] = by_chain[chain];
    const bool own = chain == config_.chain;
    // Records of another chain (spooled before audit.chain changed) go to that chain, under its lock.
    if (!own && !store_->try_lock_chain(chain)) {
      log_error("spooled records of audit chain \"" + chain + "\" stay in the spool: another process holds that chain's lock");
      for (auto& r : records) left_records.push_back(std::move(r));
      for (auto& cp : checkpoints) left_checkpoints.push_back(std::move(cp));
      continue;
    }
    try {
      replayed += replay_chain(chain, std::move(records), std::move(checkpoints));
    } catch (...) {
      if (!own) {
        try {
          store_->unlock_chain(chain);
        } catch (const std::exception&) {
        }
      }
      throw;
    }
    if (!own) store_->unlock_chain(chain);
  }
  if (left_records.empty() && left_checkpoints.empty()) {
    spool_->clear();
    spool_foreign_only_ = false;
  } else {
    spool_->replace(left_records, left_checkpoints);
    spool_foreign_only_ = true;
    next_foreign_retry_ = Clock::now() + std::max(config_.reconnect_interval, std::chrono::milliseconds(5000));
  }
  if (replayed > 0) log("replayed " + std::to_string(replayed) + " spooled records into PostgreSQL");
  std::lock_guard lock(mu_);
  stats_.replayed += replayed;
  stats_.last_seq = head_seq_;
}

void AuditWriter::after_checkpoint(const Checkpoint& cp) {
  checkpointed_seq_ = cp.seq;
  last_checkpoint_time_ = Clock::now();
  if (!config_.checkpoint_file.empty()) {
    try {
      append_checkpoint_file(config_.checkpoint_file, cp);
    } catch (const std::exception& e) {
      log(e.what());
    }
  }
  std::lock_guard lock(mu_);
  stats_.checkpoints += 1;
}

bool AuditWriter::store_records(std::vector<StoredRecord>& records) {
  if (ensure_db()) {
    try {
      replay_spool();
      link(records);
      std::vector<Checkpoint> checkpoints;
      const StoredRecord& last = records.back();
      if (last.seq - checkpointed_seq_ >= config_.checkpoint_every_records) {
        checkpoints.push_back(sign_checkpoint(config_.chain, last.seq, last.hash, "periodic", *config_.signing_key));
      }
      store_->insert(records, checkpoints);
      head_seq_ = last.seq;
      head_hash_ = last.hash;
      for (const auto& cp : checkpoints) after_checkpoint(cp);
      std::lock_guard lock(mu_);
      stats_.stored_in_db += records.size();
      return true;
    } catch (const std::exception& e) {
      std::string what = std::string("PostgreSQL write failed, using the spool: ") + e.what();
      log(what);
      drop_db(what);
    }
  }
  try {
    if (!spool_) spool_ = std::make_unique<Spool>(config_.spool_path);
    link(records);  // provisional: replay re-links behind the chain's head in PostgreSQL if it moved
    spool_->append(records, {});
    spool_foreign_only_ = false;
    head_seq_ = records.back().seq;
    head_hash_ = records.back().hash;
    std::lock_guard lock(mu_);
    stats_.spooled += records.size();
    return true;
  } catch (const std::exception& e) {
    std::string what = std::string("neither PostgreSQL nor the spool can take audit records: ") + e.what();
    log(what);
    set_error(what);
    return false;
  }
}

void AuditWriter::write_batch(std::vector<Pending>& batch) {
  std::exception_ptr failure;
  std::vector<StoredRecord> records(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) records[i].sealed = std::move(batch[i].sealed);
  if (store_records(records)) {
    std::lock_guard lock(mu_);
    stats_.last_seq = head_seq_;
    healthy_ = true;
  } else {
    failure = std::make_exception_ptr(AuditUnavailable("audit storage unavailable (PostgreSQL and spool both failed)"));
  }
  bool dropped = failure && config_.fail_open;
  {
    std::lock_guard lock(mu_);
    if (failure) {
      healthy_ = false;
      stats_.failed += batch.size();
      if (dropped) stats_.dropped_fail_open += batch.size();
    }
    stats_.healthy = healthy_;
  }
  if (dropped) log("fail-open: dropped " + std::to_string(batch.size()) + " audit records");
  for (auto& p : batch) {
    if (p.done) p.done(dropped ? nullptr : failure);
  }
  std::lock_guard lock(mu_);
  finished_ += batch.size();
  drained_.notify_all();
}

void AuditWriter::maybe_checkpoint(const char* kind, bool force) {
  if (head_seq_ == checkpointed_seq_ || head_seq_ == 0) return;
  if (!force && Clock::now() - last_checkpoint_time_ < config_.checkpoint_interval) return;
  // Only positions stored in PostgreSQL under the chain lock are final (spooled ones may be
  // re-linked at replay), so a checkpoint waits until the spool is replayed.
  if (!ensure_db()) return;
  try {
    replay_spool();
    Checkpoint cp = sign_checkpoint(config_.chain, head_seq_, head_hash_, kind, *config_.signing_key);
    store_->insert({}, {cp});
    after_checkpoint(cp);
  } catch (const std::exception& e) {
    drop_db(std::string("PostgreSQL write failed while storing a checkpoint: ") + e.what());
  }
}

void AuditWriter::probe_health() {
  // Without traffic nothing else would notice that storage came back: retry here.
  bool ok = false;
  if (ensure_db()) {
    try {
      replay_spool();
      ok = true;
    } catch (const std::exception& e) {
      drop_db(e.what());
    }
  }
  if (!ok) {
    try {
      if (!spool_) spool_ = std::make_unique<Spool>(config_.spool_path);
      struct statvfs vfs {};
      ok = ::statvfs(config_.spool_path.parent_path().empty() ? "." : config_.spool_path.parent_path().c_str(), &vfs) == 0 &&
           static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize > (16u << 20);
    } catch (const std::exception& e) {
      set_error(e.what());
    }
  }
  std::lock_guard lock(mu_);
  if (ok && !healthy_) log("audit storage available again");
  healthy_ = ok;
  stats_.healthy = ok;
  stats_.last_seq = head_seq_;
  stats_.db_connected = store_ != nullptr;
}

void AuditWriter::run() {
  for (;;) {
    std::vector<Pending> batch;
    bool closing = false;
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, std::chrono::milliseconds(100), [&] { return !queue_.empty() || closing_; });
      while (!queue_.empty() && batch.size() < config_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      stats_.queue_depth = queue_.size();
      closing = closing_ && queue_.empty();
    }
    if (!batch.empty()) {
      write_batch(batch);
    } else {
      bool healthy;
      {
        std::lock_guard lock(mu_);
        healthy = healthy_;
      }
      if (!healthy || (spool_ && !spool_->empty())) probe_health();
    }
    maybe_checkpoint("periodic", false);
    if (closing) {
      maybe_checkpoint("shutdown", true);
      // Release the chain lock now, not when the writer object is destroyed.
      store_.reset();
      std::lock_guard lock(mu_);
      stats_.db_connected = false;
      stats_.chain_locked = false;
      return;
    }
  }
}

void AuditWriter::submit(AuditRecord record, DurableCallback on_durable) {
  record.header.chain = config_.chain;  // hashed and authenticated with the payload: a record cannot change chains
  SealedRecord sealed = seal_record(std::move(record), config_.reviewers);
  std::unique_lock lock(mu_);
  std::string refusal;
  if (closing_) refusal = "audit writer is closed";
  else if (queue_.size() >= config_.queue_capacity) refusal = "audit queue full (" + std::to_string(queue_.size()) + " records)";
  else if (!healthy_ && !config_.fail_open) refusal = "audit storage unavailable: " + stats_.last_error;
  if (!refusal.empty()) {
    if (!config_.fail_open) throw AuditUnavailable(refusal);
    ++stats_.dropped_fail_open;
    lock.unlock();
    log("fail-open: dropped an audit record: " + refusal);
    if (on_durable) on_durable(nullptr);
    return;
  }
  queue_.push_back(Pending{std::move(sealed), std::move(on_durable)});
  ++enqueued_;
  ++stats_.submitted;
  stats_.queue_depth = queue_.size();
  wake_.notify_one();
}

std::future<void> AuditWriter::submit(AuditRecord record) {
  auto promise = std::make_shared<std::promise<void>>();
  std::future<void> future = promise->get_future();
  if (may_lag()) {
    submit(std::move(record), [this](std::exception_ptr e) {
      if (e) log("a record submitted in bounded-lag mode could not be stored");
    });
    promise->set_value();
    return future;
  }
  submit(std::move(record), [promise](std::exception_ptr e) {
    if (e) promise->set_exception(e);
    else promise->set_value();
  });
  return future;
}

bool AuditWriter::may_lag() const {
  if (config_.durability != Durability::kBoundedLag) return false;
  std::lock_guard lock(mu_);
  return enqueued_ - finished_ < config_.max_lag_records;
}

bool AuditWriter::healthy() const {
  std::lock_guard lock(mu_);
  return healthy_ && !closing_;
}

WriterStats AuditWriter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void AuditWriter::flush() {
  std::unique_lock lock(mu_);
  uint64_t target = enqueued_;
  drained_.wait(lock, [&] { return finished_ >= target; });
}

void AuditWriter::close() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closing_ = true;
    closed_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace warden::audit

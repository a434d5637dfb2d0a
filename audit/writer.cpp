#include "audit/writer.h"

#include <sys/statvfs.h>

#include <iostream>

#include "audit/envelope.h"
#include "audit/spool.h"
#include "audit/store.h"

namespace warden::audit {
using Clock = std::chrono::steady_clock;

AuditWriter::AuditWriter(WriterConfig config) : config_(std::move(config)) {
  if (config_.reviewers.empty()) throw std::runtime_error("audit writer: no reviewer public keys configured");
  if (!config_.signing_key) throw std::runtime_error("audit writer: no checkpoint signing key configured");
  if (config_.spool_path.empty()) throw std::runtime_error("audit writer: spool_path is required");
  if (config_.max_batch == 0) config_.max_batch = 1;
  next_connect_ = Clock::now();
  last_checkpoint_time_ = Clock::now();
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

void AuditWriter::set_error(const std::string& what) {
  std::lock_guard lock(mu_);
  stats_.last_error = what;
}

bool AuditWriter::ensure_db() {
  if (store_) return true;
  if (Clock::now() < next_connect_) return false;
  try {
    store_ = std::make_unique<AuditStore>(config_.conninfo);
  } catch (const std::exception& e) {
    next_connect_ = Clock::now() + config_.reconnect_interval;
    set_error(std::string("PostgreSQL unreachable: ") + e.what());
    return false;
  }
  std::lock_guard lock(mu_);
  stats_.db_connected = true;
  return true;
}

void AuditWriter::learn_head() {
  try {
    if (!spool_) spool_ = std::make_unique<Spool>(config_.spool_path);
  } catch (const std::exception& e) {
    log(std::string("spool unavailable: ") + e.what());
  }
  if (spool_ && !spool_->empty()) {
    Spool::Contents c = spool_->read_all();
    if (c.torn_tail) log("spool " + config_.spool_path.string() + ": dropped a torn final entry (never reported durable)");
    if (!c.records.empty()) {
      head_known_ = true;
      head_seq_ = c.records.back().seq;
      head_hash_ = c.records.back().hash;
      checkpointed_seq_ = head_seq_;
    }
  }
  if (ensure_db()) {
    try {
      replay_spool();
      if (!head_known_ || (spool_ && spool_->empty())) {
        if (auto head = store_->head()) {
          head_seq_ = head->first;
          head_hash_ = head->second;
        } else {
          head_seq_ = 0;
          head_hash_ = genesis_hash();
        }
        head_known_ = true;
        checkpointed_seq_ = head_seq_;
      }
    } catch (const std::exception& e) {
      store_.reset();
      set_error(std::string("PostgreSQL error while reading the chain head: ") + e.what());
    }
  }
  std::lock_guard lock(mu_);
  healthy_ = head_known_ && (store_ || spool_);
  stats_.healthy = healthy_;
  stats_.last_seq = head_seq_;
  stats_.db_connected = store_ != nullptr;
}

bool AuditWriter::replay_spool() {
  if (!spool_ || spool_->empty()) return true;
  Spool::Contents c = spool_->read_all();
  constexpr size_t kReplayChunk = 500;
  for (size_t i = 0; i < c.records.size(); i += kReplayChunk) {
    size_t end = std::min(c.records.size(), i + kReplayChunk);
    std::vector<StoredRecord> chunk(c.records.begin() + i, c.records.begin() + end);
    store_->insert(chunk, end == c.records.size() ? c.checkpoints : std::vector<Checkpoint>{});
  }
  if (c.records.empty() && !c.checkpoints.empty()) store_->insert({}, c.checkpoints);
  spool_->clear();
  log("replayed " + std::to_string(c.records.size()) + " spooled records into PostgreSQL");
  std::lock_guard lock(mu_);
  stats_.replayed += c.records.size();
  return true;
}

bool AuditWriter::persist(const std::vector<StoredRecord>& records, const std::vector<Checkpoint>& checkpoints) {
  if (ensure_db()) {
    try {
      replay_spool();
      store_->insert(records, checkpoints);
      std::lock_guard lock(mu_);
      stats_.stored_in_db += records.size();
      return true;
    } catch (const std::exception& e) {
      store_.reset();
      next_connect_ = Clock::now() + config_.reconnect_interval;
      std::string what = std::string("PostgreSQL write failed, using the spool: ") + e.what();
      log(what);
      std::lock_guard lock(mu_);
      stats_.db_connected = false;
      stats_.last_error = what;
    }
  }
  try {
    if (!spool_) spool_ = std::make_unique<Spool>(config_.spool_path);
    spool_->append(records, checkpoints);
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
  if (!head_known_) {
    learn_head();
  }
  if (!head_known_) {
    failure = std::make_exception_ptr(AuditUnavailable("audit chain head unknown: PostgreSQL unreachable"));
  } else {
    std::vector<StoredRecord> records;
    records.reserve(batch.size());
    uint64_t seq = head_seq_;
    std::string prev = head_hash_;
    for (auto& p : batch) {
      StoredRecord r;
      r.seq = ++seq;
      r.sealed = std::move(p.sealed);
      r.prev_hash = prev;
      r.hash = compute_record_hash(r.seq, r.prev_hash, r.sealed);
      prev = r.hash;
      records.push_back(std::move(r));
    }
    std::vector<Checkpoint> checkpoints;
    if (seq - checkpointed_seq_ >= config_.checkpoint_every_records) {
      checkpoints.push_back(sign_checkpoint(seq, prev, "periodic", *config_.signing_key));
    }
    if (persist(records, checkpoints)) {
      head_seq_ = seq;
      head_hash_ = prev;
      for (const auto& cp : checkpoints) {
        checkpointed_seq_ = cp.seq;
        last_checkpoint_time_ = Clock::now();
        if (!config_.checkpoint_file.empty()) {
          try {
            append_checkpoint_file(config_.checkpoint_file, cp);
          } catch (const std::exception& e) {
            log(e.what());
          }
        }
      }
      std::lock_guard lock(mu_);
      stats_.checkpoints += checkpoints.size();
      stats_.last_seq = head_seq_;
      healthy_ = true;
    } else {
      failure = std::make_exception_ptr(AuditUnavailable("audit storage unavailable (PostgreSQL and spool both failed)"));
    }
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
  if (!head_known_ || head_seq_ == checkpointed_seq_ || head_seq_ == 0) return;
  if (!force && Clock::now() - last_checkpoint_time_ < config_.checkpoint_interval) return;
  Checkpoint cp = sign_checkpoint(head_seq_, head_hash_, kind, *config_.signing_key);
  if (!persist({}, {cp})) return;
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

void AuditWriter::probe_health() {
  // Without traffic nothing else would notice that storage came back: retry here.
  bool ok = false;
  if (ensure_db()) {
    try {
      if (!head_known_) learn_head();
      replay_spool();
      ok = head_known_;
    } catch (const std::exception& e) {
      store_.reset();
      next_connect_ = Clock::now() + config_.reconnect_interval;
      set_error(e.what());
    }
  } else if (head_known_) {
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
      return;
    }
  }
}

void AuditWriter::submit(AuditRecord record, DurableCallback on_durable) {
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
  bool lagging_ok = false;
  if (config_.durability == Durability::kBoundedLag) {
    std::lock_guard lock(mu_);
    lagging_ok = enqueued_ - finished_ < config_.max_lag_records;
  }
  if (lagging_ok) {
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

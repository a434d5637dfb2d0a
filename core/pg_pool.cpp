#include "core/pg_pool.h"

#include <stdexcept>

namespace warden::core {

PgPool::Lease::~Lease() {
  if (pool_ && conn_) pool_->give_back(std::move(conn_));
}

PgPool::PgPool(std::string conninfo, size_t size) : conninfo_(std::move(conninfo)), size_(size ? size : 1) {}

PgPool::Lease PgPool::acquire(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!freed_.wait_for(lock, timeout, [&] { return !idle_.empty() || outstanding_ < size_; })) {
    throw std::runtime_error("database pool exhausted: no connection free within " +
                             std::to_string(timeout.count()) + " ms");
  }
  std::unique_ptr<pqxx::connection> conn;
  if (!idle_.empty()) {
    conn = std::move(idle_.back());
    idle_.pop_back();
  }
  ++outstanding_;
  lock.unlock();
  try {
    if (!conn || !conn->is_open()) conn = std::make_unique<pqxx::connection>(conninfo_);
  } catch (const std::exception& e) {
    lock.lock();
    --outstanding_;
    freed_.notify_one();
    // libpq's message may include the connection string's host but never a password
    // we put there: Warden's conninfo for the embedded server uses peer/trust auth.
    throw std::runtime_error(std::string("cannot connect to the database: ") + e.what());
  }
  return Lease(this, std::move(conn));
}

void PgPool::give_back(std::unique_ptr<pqxx::connection> conn) {
  std::lock_guard lock(mutex_);
  --outstanding_;
  if (conn && conn->is_open()) idle_.push_back(std::move(conn));
  freed_.notify_one();
}

bool PgPool::healthy() {
  try {
    auto lease = acquire(std::chrono::milliseconds(1000));
    pqxx::nontransaction tx(*lease);
    tx.exec("SELECT 1");
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace warden::core

// A fixed-size pool of libpqxx connections shared by request handlers and admin code.
//
// A lease returns its connection on destruction. A connection that broke while leased
// (server restart, network) is replaced on the next acquire instead of being handed out.
#pragma once

#include <pqxx/pqxx>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace warden::core {

class PgPool {
 public:
  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<pqxx::connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    pqxx::connection& operator*() { return *conn_; }
    pqxx::connection* operator->() { return conn_.get(); }

   private:
    PgPool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
  };

  PgPool(std::string conninfo, size_t size);
  // Waits up to `timeout` for a free connection; throws std::runtime_error when none
  // frees up or the database cannot be reached.
  Lease acquire(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  const std::string& conninfo() const { return conninfo_; }
  // True when a trivial query succeeds now.
  bool healthy();

 private:
  friend class Lease;
  void give_back(std::unique_ptr<pqxx::connection> conn);

  std::string conninfo_;
  size_t size_;
  size_t outstanding_ = 0;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  std::mutex mutex_;
  std::condition_variable freed_;
};

}  // namespace warden::core

// The policies a gateway serves right now: one immutable PolicySet, swapped atomically when
// an admin activates or rolls back a version anywhere (this process, another gateway on
// the same database, or `warden policy`). Requests call current() once and keep what they
// got for their whole life, so a swap never changes a request half-way.
//
//   PolicyRegistry registry(store, conninfo, {});
//   registry.start();               // seed "default" if the store is empty, load, watch
//   auto set = registry.current();  // per request; null until a first load succeeded
//
// The watcher thread LISTENs on warden_policies with its own connection and reloads on
// every notification, polls every few seconds as a safety net (a reload only compiles
// what changed), and reconnects when the database goes away. A reload must have every
// active version compiled (a version already compiled and still active is reused: versions
// are immutable); if any fails, the previous snapshot stays in place and the problems are
// logged and returned.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "policy/policy.h"
#include "policy/policy_store.h"

namespace warden::policy {

// The built-in fallback (the policy used when no active policy binds a subject, and the
// seed of an empty store) is reported with this name and version 0.
inline constexpr const char* kFallbackPolicyName = "builtin-default";

// $WARDEN_DEFAULT_POLICY, else ./policy/defaults/default.yaml, else the copy in the tree the
// migrations come from (the source tree).
std::string default_policy_file();

class PolicyRegistry {
 public:
  struct Options {
    std::string fallback_file;  // empty: default_policy_file()
    bool seed_when_empty = true;
    std::string seed_name = "default";
    std::chrono::milliseconds poll_interval{3000};
    std::chrono::milliseconds reconnect_delay{1000};
  };

  struct ReloadResult {
    bool ok = false;
    bool changed = false;               // a new snapshot was installed
    std::vector<std::string> problems;  // "policy \"x\" version 3: path: reason", or the database error
    std::vector<PolicyIdentity> active;  // what the current snapshot holds after the call
  };

  // Compiles the fallback file now (throws PolicyError or std::runtime_error when it is
  // missing or invalid: the gateway must not start without it). `listen_conninfo` is the
  // database the watcher LISTENs on (the store's pool's database).
  PolicyRegistry(PolicyStore& store, std::string listen_conninfo, Options options);
  PolicyRegistry(PolicyStore& store, std::string listen_conninfo);
  ~PolicyRegistry();  // stops the watcher
  PolicyRegistry(const PolicyRegistry&) = delete;
  PolicyRegistry& operator=(const PolicyRegistry&) = delete;

  // Seeds an empty store (when enabled), loads once, and starts the watcher. A failing
  // first load is returned, not thrown: current() stays null (chat requests fail closed)
  // and the watcher keeps retrying while admins fix the policy.
  ReloadResult start();
  void stop();

  // The snapshot to pin for one request; null until a load succeeded. Lock-free read.
  std::shared_ptr<const PolicySet> current() const { return current_.load(std::memory_order_acquire); }
  const std::shared_ptr<const CompiledPolicy>& fallback() const { return fallback_; }

  // Loads the active versions and swaps when they differ from the snapshot. Versions that
  // did not change keep their compiled form; `force` compiles every one again (to pick up a
  // changed dictionary file) and always swaps. Thread-safe; concurrent calls are serialized.
  ReloadResult reload(bool force = false);

  // Called after every swap, on the thread that reloaded, while reloads are serialized:
  // a callback must not call reload() or register callbacks. Register before start().
  void on_reload(std::function<void(const PolicySet&)> callback);
  // Called when a reload failed (compile problems or database error).
  void on_reload_failed(std::function<void(const std::vector<std::string>&)> callback);

  uint64_t reload_count() const { return reloads_.load(); }  // swaps so far
  bool watching() const { return listening_.load(); }          // the LISTEN connection is up

 private:
  struct Listener;
  void watch(std::unique_ptr<Listener> listener);

  PolicyStore& store_;
  std::string listen_conninfo_;
  Options options_;
  std::shared_ptr<const CompiledPolicy> fallback_;
  std::string fallback_source_;

  std::atomic<std::shared_ptr<const PolicySet>> current_;
  // What current_ was built from, in its order (under reload_mutex_). An unchanged version
  // (same name, version and content hash) is not compiled again by a normal reload.
  struct Loaded {
    PolicyIdentity identity;
    std::string content_hash;
    std::shared_ptr<const CompiledPolicy> compiled;
  };
  std::vector<Loaded> loaded_;
  std::mutex reload_mutex_;
  std::vector<std::function<void(const PolicySet&)>> on_reload_;
  std::vector<std::function<void(const std::vector<std::string>&)>> on_failed_;
  std::atomic<uint64_t> reloads_{0};

  std::thread watcher_;
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
};

}  // namespace warden::policy

// Per-key token buckets for requests/minute and tokens/minute. In-process: with several
// gateway processes each enforces its own share (documented in docs/configuration.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace warden::gateway {

struct RateLimits {
  int64_t requests_per_minute = 0;
  int64_t tokens_per_minute = 0;
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // Takes one request and `tokens` (an estimate made before generation). Returns 0 when
  // allowed, else the seconds to wait before a retry could succeed (for Retry-After).
  int64_t try_acquire(const std::string& key_id, const RateLimits& limits, int64_t tokens, Clock::time_point now = Clock::now());
  // Charges tokens used beyond the estimate (never refunds below zero debt).
  void charge_tokens(const std::string& key_id, const RateLimits& limits, int64_t tokens, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double requests = 0;  // available
    double tokens = 0;
    Clock::time_point updated;
    bool initialized = false;
  };
  void refill(Bucket& b, const RateLimits& limits, Clock::time_point now);

  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace warden::gateway

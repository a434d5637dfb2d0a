#include "gateway/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace warden::gateway {

void RateLimiter::refill(Bucket& b, const RateLimits& limits, Clock::time_point now) {
  if (!b.initialized) {
    b.requests = static_cast<double>(limits.requests_per_minute);
    b.tokens = static_cast<double>(limits.tokens_per_minute);
    b.updated = now;
    b.initialized = true;
    return;
  }
  double minutes = std::chrono::duration<double>(now - b.updated).count() / 60.0;
  if (minutes <= 0) return;
  b.requests = std::min<double>(limits.requests_per_minute, b.requests + minutes * limits.requests_per_minute);
  b.tokens = std::min<double>(limits.tokens_per_minute, b.tokens + minutes * limits.tokens_per_minute);
  b.updated = now;
}

int64_t RateLimiter::try_acquire(const std::string& key_id, const RateLimits& limits, int64_t tokens, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Bucket& b = buckets_[key_id];
  refill(b, limits, now);
  // A request asking for more tokens than a whole minute allows can never fit: charge it
  // against a full bucket so it is not refused forever.
  double wanted_tokens = std::min<double>(static_cast<double>(tokens), limits.tokens_per_minute);
  double wait_seconds = 0;
  if (b.requests < 1.0) wait_seconds = std::max(wait_seconds, (1.0 - b.requests) * 60.0 / limits.requests_per_minute);
  if (b.tokens < wanted_tokens) {
    wait_seconds = std::max(wait_seconds, (wanted_tokens - b.tokens) * 60.0 / limits.tokens_per_minute);
  }
  if (wait_seconds > 0) return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait_seconds)));
  b.requests -= 1.0;
  b.tokens -= wanted_tokens;
  return 0;
}

void RateLimiter::charge_tokens(const std::string& key_id, const RateLimits& limits, int64_t tokens, Clock::time_point now) {
  if (tokens <= 0) return;
  std::lock_guard lock(mutex_);
  Bucket& b = buckets_[key_id];
  refill(b, limits, now);
  b.tokens = std::max<double>(b.tokens - static_cast<double>(tokens), -static_cast<double>(limits.tokens_per_minute));
}

}  // namespace warden::gateway

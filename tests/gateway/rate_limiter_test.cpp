#include <catch2/catch.hpp>

#include "gateway/rate_limiter.h"

using warden::gateway::RateLimiter;
using warden::gateway::RateLimits;

TEST_CASE("rate limiter: requests per minute refill continuously") {
  RateLimiter limiter;
  RateLimits limits{60, 1000000};
  auto t0 = RateLimiter::Clock::time_point{} + std::chrono::hours(1);
  for (int i = 0; i < 60; ++i) REQUIRE(limiter.try_acquire("k", limits, 0, t0) == 0);
  int64_t wait = limiter.try_acquire("k", limits, 0, t0);
  CHECK(wait == 1);  // one request per second comes back
  CHECK(limiter.try_acquire("k", limits, 0, t0 + std::chrono::milliseconds(1001)) == 0);
  CHECK(limiter.try_acquire("other", limits, 0, t0) == 0);  // keys are independent
}

TEST_CASE("rate limiter: tokens per minute, with charges after the fact") {
  RateLimiter limiter;
  RateLimits limits{1000, 600};
  auto t0 = RateLimiter::Clock::time_point{} + std::chrono::hours(1);
  CHECK(limiter.try_acquire("k", limits, 500, t0) == 0);
  limiter.charge_tokens("k", limits, 100, t0);  // completion tokens
  int64_t wait = limiter.try_acquire("k", limits, 60, t0);
  CHECK(wait == 6);  // 60 tokens at 10 tokens/s
  CHECK(limiter.try_acquire("k", limits, 60, t0 + std::chrono::seconds(6)) == 0);
}

#include "kernels/cpu/thread_pool.h"

#include <immintrin.h>

#include <algorithm>
#include <memory>

namespace warden::kernels {
namespace {

// A few to ~50 µs of spinning (pause is 10-140 cycles depending on the core): long enough to bridge the gap between the matmuls of one
// layer, short enough not to burn a core while the engine is idle.
constexpr int kSpinIterations = 1000;

void part_range(int n, int parts, int index, int* begin, int* end) {
  *begin = static_cast<int>(static_cast<long long>(n) * index / parts);
  *end = static_cast<int>(static_cast<long long>(n) * (index + 1) / parts);
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  threads = std::max(1, threads);
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
  }
  work_ready_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::parallel_for(int n, int min_chunk, const std::function<void(int, int)>& fn) {
  if (n <= 0) return;
  const int parts = std::min(threads(), std::max(1, n / std::max(1, min_chunk)));
  // A second caller (another thread, or a nested call from inside a task) runs inline
  // instead of corrupting the task in flight.
  bool expected = false;
  if (parts <= 1 || !busy_.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
    fn(0, n);
    return;
  }
  task_ = &fn;
  task_n_ = n;
  pending_.store(parts - 1, std::memory_order_relaxed);
  {
    // Publishing under the mutex pairs with the sleeping workers' predicate check. The
    // part count travels in the same word as the generation, so a worker decides whether
    // it takes part from one consistent snapshot.
    std::lock_guard<std::mutex> lock(mutex_);
    const long next = ((generation_.load(std::memory_order_relaxed) >> 16) + 1) << 16;
    generation_.store(next | parts, std::memory_order_release);
  }
  work_ready_.notify_all();
  int begin = 0, end = 0;
  part_range(n, parts, 0, &begin, &end);
  fn(begin, end);
  for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins) {
    if (spins < kSpinIterations) _mm_pause();
    else std::this_thread::yield();
  }
  busy_.store(false, std::memory_order_release);
}

void ThreadPool::worker_loop(int index) {
  long seen = 0;
  for (;;) {
    int spins = 0;
    while (generation_.load(std::memory_order_acquire) == seen && !stopping_.load(std::memory_order_relaxed) &&
           spins < kSpinIterations) {
      _mm_pause();
      ++spins;
    }
    if (generation_.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      work_ready_.wait(lock, [&] { return stopping_.load() || generation_.load() != seen; });
    }
    if (stopping_.load()) return;
    seen = generation_.load(std::memory_order_acquire);
    const int parts = static_cast<int>(seen & 0xffff);
    if (index < parts) {
      int begin = 0, end = 0;
      part_range(task_n_, parts, index, &begin, &end);
      (*task_)(begin, end);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }
}

namespace {
std::unique_ptr<ThreadPool>& pool_slot() {
  static std::unique_ptr<ThreadPool> pool;
  return pool;
}
}  // namespace

ThreadPool& default_pool() {
  auto& slot = pool_slot();
  if (!slot) slot = std::make_unique<ThreadPool>(static_cast<int>(std::thread::hardware_concurrency()));
  return *slot;
}

void set_default_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  pool_slot() = std::make_unique<ThreadPool>(threads);
}

}  // namespace warden::kernels

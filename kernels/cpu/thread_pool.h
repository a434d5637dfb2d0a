// A small fork-join pool the kernels use to split rows across all cores. The calling
// thread takes part in the work, so a pool of N threads runs N-1 workers.
//
// Decode runs a few hundred short parallel sections per token, so hand-off latency
// matters: workers spin briefly on an atomic generation counter before sleeping on a
// condition variable, and the caller spins for the stragglers.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace warden::kernels {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end) over disjoint ranges covering [0, n), at most one range per
  // thread, ranges at least `min_chunk` long. Returns when all ranges are done.
  // Safe to call from several threads: while one call is in flight, others (and nested
  // calls from inside a task) run their whole range on the calling thread.
  void parallel_for(int n, int min_chunk, const std::function<void(int, int)>& fn);

 private:
  void worker_loop(int index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  const std::function<void(int, int)>* task_ = nullptr;
  int task_n_ = 0;
  std::atomic<long> generation_{0};  // (generation << 16) | parts of the current task
  std::atomic<int> pending_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> busy_{false};
};

// The process-wide pool (hardware_concurrency threads unless set before first use).
ThreadPool& default_pool();
// Replaces the process-wide pool; 0 means all cores. Not safe while ops run.
void set_default_threads(int threads);

}  // namespace warden::kernels

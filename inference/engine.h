// The serving engine: one loop thread that owns the LanguageModel (it is the model's only
// caller) and runs continuous batching over all submitted requests (see scheduler.h).
//
// Callers (the gateway's network threads) submit prompt ids with sampling parameters, stop
// conditions and an EventSink, and get a RequestHandle to cancel with. submit() either
// accepts the request or throws EngineError at once:
//   kInvalidRequest  bad ids, bad sampling values, no sink            -> HTTP 400
//   kPromptTooLong   prompt leaves no room in the model's context     -> HTTP 400
//   kOverloaded      the waiting queue is full                        -> HTTP 503
//   kShuttingDown    shutdown() was called                            -> HTTP 503
// An accepted request then receives events ON THE ENGINE THREAD: text deltas (complete
// UTF-8, stop strings already cut), then one kFinished (finish reason "stop"/"length"/
// "cancelled") or one kError. The gateway must post each event to its own executor (the
// connection's strand) and never block inside the sink.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "inference/engine_types.h"
#include "inference/scheduler.h"

namespace warden::inference {

class Tokenizer;

struct EngineOptions {
  int max_running = 16;            // sequences batched together
  int max_step_tokens = 2048;      // tokens per forward step (decode + prefill chunks)
  int prefill_chunk_tokens = 512;  // prompt tokens of one sequence per step
  size_t max_queue = 64;           // requests waiting for a batch slot or cache; more: kOverloaded
};

// For metrics (/metrics gauges and counters).
struct EngineStats {
  size_t queued = 0;   // submitted, not yet running
  size_t running = 0;  // in the batch
  uint64_t tokens_generated = 0;
  uint64_t prompt_tokens_processed = 0;
  uint64_t requests_accepted = 0;
  uint64_t requests_rejected = 0;  // overloaded, too long, invalid, shutting down
  uint64_t steps = 0;              // forward calls
};

enum class ShutdownMode {
  kDrain,   // stop accepting, finish every accepted request, then stop
  kCancel,  // stop accepting, end every accepted request with "cancelled", then stop
};

class Engine {
 public:
  Engine(std::shared_ptr<LanguageModel> model, std::shared_ptr<const Tokenizer> tokenizer,
         EngineOptions options = {});
  ~Engine();  // shutdown(ShutdownMode::kCancel)
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Thread-safe. Throws EngineError (see the header comment); never blocks on generation.
  RequestHandle submit(GenerationRequest request);

  // Thread-safe, idempotent; returns when the loop thread has stopped. Must not be called
  // from inside an EventSink.
  void shutdown(ShutdownMode mode = ShutdownMode::kCancel);

  EngineStats stats() const;
  const ModelInfo& model_info() const { return info_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }

 private:
  void run_loop();
  void validate(const GenerationRequest& request) const;
  [[noreturn]] void reject(EngineErrorKind kind, const std::string& message);

  std::shared_ptr<LanguageModel> model_;
  const ModelInfo info_;  // copied at start: other threads never call into the model
  std::shared_ptr<const Tokenizer> tokenizer_;
  EngineOptions options_;
  Scheduler scheduler_;  // engine thread only

  // The loop's wake-up signal. Shared with RequestHandles so that cancel() stays safe
  // after the Engine is gone. Its mutex also guards the fields below.
  struct LoopSignal {
    std::mutex mutex;
    std::condition_variable cv;
    bool woken = false;
  };
  std::shared_ptr<LoopSignal> signal_ = std::make_shared<LoopSignal>();
  std::vector<PendingRequest> inbox_;      // guarded by signal_->mutex
  size_t scheduler_waiting_ = 0;           // guarded: scheduler's queue after the last step
  bool accepting_ = true;                  // guarded
  std::optional<ShutdownMode> stop_mode_;  // guarded
  uint64_t next_request_id_ = 1;           // guarded

  std::atomic<size_t> running_count_{0};
  std::atomic<uint64_t> tokens_generated_{0};
  std::atomic<uint64_t> prompt_tokens_processed_{0};
  std::atomic<uint64_t> steps_{0};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> rejected_{0};

  std::thread loop_thread_;
};

}  // namespace warden::inference

// Continuous batching for the Engine (engine loop thread only, no locking inside).
//
// Each step: cancelled and finished sequences leave (their cache is released); waiting
// requests join in FIFO order while the batch has room and the model can hold them; one
// batched forward runs the decode token of every generating sequence plus prefill chunks
// of newcomers (chunked so one long prompt cannot stall the others); then each sequence
// that produced logits samples, detokenizes, checks stop conditions and emits events.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "inference/engine_types.h"
#include "inference/sampler.h"
#include "inference/stop_matcher.h"
#include "inference/utf8_stream.h"

namespace warden::inference {

class Tokenizer;

struct SchedulerLimits {
  int max_running = 16;            // sequences in one batch
  int max_step_tokens = 2048;      // tokens in one forward (decode + prefill chunks)
  int prefill_chunk_tokens = 512;  // most prompt tokens of one sequence per step
};

struct PendingRequest {
  GenerationRequest request;
  std::shared_ptr<RequestControl> control;
};

class Scheduler {
 public:
  Scheduler(LanguageModel& model, const Tokenizer& tokenizer, SchedulerLimits limits);
  ~Scheduler();

  void enqueue(PendingRequest pending) { waiting_.push_back(std::move(pending)); }
  // Runs one step (admission, forward, sampling, events). Returns false when there was
  // nothing to do.
  bool step();
  // Ends every waiting and running request with FinishReason::kCancelled.
  void cancel_all();

  size_t waiting() const { return waiting_.size(); }
  size_t running() const { return running_.size(); }
  uint64_t tokens_generated() const { return tokens_generated_; }
  uint64_t prompt_tokens_processed() const { return prompt_tokens_processed_; }
  uint64_t steps() const { return steps_; }

 private:
  struct Sequence;

  void drop_cancelled();
  void admit();
  int reserved_tokens() const;  // tokens running sequences may still append
  void accept_token(Sequence& s, TokenId token);
  void finish(Sequence& s, FinishReason reason);
  void fail(Sequence& s, EngineErrorKind kind, const std::string& message);
  void emit_text(Sequence& s, const std::string& text);
  void remove_finished();

  LanguageModel& model_;
  const Tokenizer& tokenizer_;
  SchedulerLimits limits_;
  std::deque<PendingRequest> waiting_;
  std::vector<std::unique_ptr<Sequence>> running_;
  SequenceId next_sequence_ = 1;
  uint64_t tokens_generated_ = 0;
  uint64_t prompt_tokens_processed_ = 0;
  uint64_t steps_ = 0;
  std::vector<float> logits_;
};

}  // namespace warden::inference

#include "inference/engine.h"

#include "inference/tokenizer.h"

namespace warden::inference {

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kCancelled: return "cancelled";
    case FinishReason::kError: return "error";
  }
  return "error";
}

const char* engine_error_kind_name(EngineErrorKind kind) {
  switch (kind) {
    case EngineErrorKind::kOverloaded: return "overloaded";
    case EngineErrorKind::kPromptTooLong: return "prompt_too_long";
    case EngineErrorKind::kInvalidRequest: return "invalid_request";
    case EngineErrorKind::kShuttingDown: return "shutting_down";
    case EngineErrorKind::kModelFailure: return "model_failure";
  }
  return "model_failure";
}

Engine::Engine(std::shared_ptr<LanguageModel> model, std::shared_ptr<const Tokenizer> tokenizer,
               EngineOptions options)
    : model_(std::move(model)),
      info_(model_->info()),
      tokenizer_(std::move(tokenizer)),
      options_(options),
      scheduler_(*model_, *tokenizer_,
                 SchedulerLimits{options.max_running, options.max_step_tokens, options.prefill_chunk_tokens}) {
  if (options_.max_running < 1 || options_.max_step_tokens < 1 || options_.prefill_chunk_tokens < 1 ||
      options_.max_queue < 1) {
    throw std::invalid_argument("engine options: max_running, max_step_tokens, prefill_chunk_tokens and "
                                "max_queue must be at least 1");
  }
  loop_thread_ = std::thread([this] { run_loop(); });
}

Engine::~Engine() { shutdown(ShutdownMode::kCancel); }

void Engine::reject(EngineErrorKind kind, const std::string& message) {
  ++rejected_;
  throw EngineError(kind, message);
}

void Engine::validate(const GenerationRequest& request) const {
  const ModelInfo& info = info_;
  if (!request.sink) throw EngineError(EngineErrorKind::kInvalidRequest, "request has no event sink");
  if (request.prompt.empty()) throw EngineError(EngineErrorKind::kInvalidRequest, "prompt: no tokens");
  for (size_t i = 0; i < request.prompt.size(); ++i) {
    if (request.prompt[i] < 0 || request.prompt[i] >= info.vocab_size) {
      throw EngineError(EngineErrorKind::kInvalidRequest,
                        "prompt[" + std::to_string(i) + "]: token id " + std::to_string(request.prompt[i]) +
                            " is outside the vocabulary (0.." + std::to_string(info.vocab_size - 1) + ")");
    }
  }
  if (static_cast<int64_t>(request.prompt.size()) >= info.max_context) {
    throw EngineError(EngineErrorKind::kPromptTooLong,
                      "prompt has " + std::to_string(request.prompt.size()) + " tokens; the model's context is " +
                          std::to_string(info.max_context) + " tokens and at least one must be left for the reply");
  }
  if (request.stop.max_tokens < 0) {
    throw EngineError(EngineErrorKind::kInvalidRequest, "max_tokens: must not be negative");
  }
  try {
    request.sampling.validate();
  } catch (const std::invalid_argument& e) {
    throw EngineError(EngineErrorKind::kInvalidRequest, e.what());
  }
}

RequestHandle Engine::submit(GenerationRequest request) {
  try {
    validate(request);
  } catch (const EngineError&) {
    ++rejected_;
    throw;
  }
  auto control = std::make_shared<RequestControl>();
  control->prompt_tokens = static_cast<int>(request.prompt.size());
  {
    std::lock_guard<std::mutex> lock(signal_->mutex);
    if (!accepting_) reject(EngineErrorKind::kShuttingDown, "the engine is shutting down");
    if (inbox_.size() + scheduler_waiting_ >= options_.max_queue) {
      reject(EngineErrorKind::kOverloaded, "overloaded: " + std::to_string(options_.max_queue) +
                                               " requests are already waiting; retry later");
    }
    control->id = next_request_id_++;
    inbox_.push_back(PendingRequest{std::move(request), control});
    signal_->woken = true;
  }
  ++accepted_;
  signal_->cv.notify_one();
  return RequestHandle(control, [signal = signal_] {
    {
      std::lock_guard<std::mutex> lock(signal->mutex);
      signal->woken = true;
    }
    signal->cv.notify_one();
  });
}

void Engine::shutdown(ShutdownMode mode) {
  {
    std::lock_guard<std::mutex> lock(signal_->mutex);
    accepting_ = false;
    // A cancel request overrides an earlier drain; never the other way around.
    if (!stop_mode_ || mode == ShutdownMode::kCancel) stop_mode_ = mode;
    signal_->woken = true;
  }
  signal_->cv.notify_one();
  if (loop_thread_.joinable() && loop_thread_.get_id() != std::this_thread::get_id()) loop_thread_.join();
}

void Engine::run_loop() {
  bool busy = false;
  for (;;) {
    std::vector<PendingRequest> arrived;
    std::optional<ShutdownMode> stop_mode;
    {
      std::unique_lock<std::mutex> lock(signal_->mutex);
      if (!busy) signal_->cv.wait(lock, [&] { return signal_->woken; });
      signal_->woken = false;
      arrived.swap(inbox_);
      stop_mode = stop_mode_;
    }
    for (auto& p : arrived) scheduler_.enqueue(std::move(p));
    if (stop_mode == ShutdownMode::kCancel) {
      scheduler_.cancel_all();
    } else {
      busy = scheduler_.step();
    }
    running_count_ = scheduler_.running();
    tokens_generated_ = scheduler_.tokens_generated();
    prompt_tokens_processed_ = scheduler_.prompt_tokens_processed();
    steps_ = scheduler_.steps();
    {
      std::lock_guard<std::mutex> lock(signal_->mutex);
      scheduler_waiting_ = scheduler_.waiting();
      bool idle = scheduler_.running() == 0 && scheduler_.waiting() == 0 && inbox_.empty();
      // No submit can add to inbox_ once stop_mode_ is set (accepting_ is cleared with it).
      if (stop_mode && (stop_mode == ShutdownMode::kCancel || idle) && inbox_.empty()) return;
      if (!busy && (scheduler_.waiting() > 0 || !inbox_.empty())) busy = true;
    }
  }
}

EngineStats Engine::stats() const {
  EngineStats s;
  {
    std::lock_guard<std::mutex> lock(signal_->mutex);
    s.queued = inbox_.size() + scheduler_waiting_;
  }
  s.running = running_count_.load();
  s.tokens_generated = tokens_generated_.load();
  s.prompt_tokens_processed = prompt_tokens_processed_.load();
  s.requests_accepted = accepted_.load();
  s.requests_rejected = rejected_.load();
  s.steps = steps_.load();
  return s;
}

}  // namespace warden::inference

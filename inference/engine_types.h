// Requests, events and errors of the serving Engine (see engine.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "inference/language_model.h"
#include "inference/sampler.h"

namespace warden::inference {

// Why generation ended. kStop and kLength are OpenAI finish reasons; kCancelled means the
// caller cancelled (or the engine shut down) and kError that the request failed mid-way.
enum class FinishReason { kStop, kLength, kCancelled, kError };
const char* finish_reason_name(FinishReason reason);  // "stop", "length", "cancelled", "error"

// What a failed submit or a failed request reports. The gateway maps kOverloaded to 503,
// kPromptTooLong and kInvalidRequest to 400, kShuttingDown to 503, kModelFailure to 500.
enum class EngineErrorKind { kOverloaded, kPromptTooLong, kInvalidRequest, kShuttingDown, kModelFailure };
const char* engine_error_kind_name(EngineErrorKind kind);

class EngineError : public std::runtime_error {
 public:
  EngineError(EngineErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  EngineErrorKind kind() const { return kind_; }

 private:
  EngineErrorKind kind_;
};

struct StopConditions {
  std::vector<std::string> stop_strings;  // text-level, may span tokens; not included in output
  int max_tokens = 0;                     // generated tokens at most; 0: up to the context limit
  bool ignore_eos = false;                // keep going past the model's eos ids
};

// One event of a request's stream. Every accepted request gets zero or more kDelta events
// and then exactly one kFinished (or one kError) event, which is the last.
struct GenerationEvent {
  enum class Kind { kDelta, kFinished, kError };
  Kind kind = Kind::kDelta;
  std::string text;                 // kDelta: new text, complete UTF-8 characters, never empty
  int prompt_tokens = 0;            // every event: tokens of the prompt
  int completion_tokens = 0;        // every event: tokens generated so far
  FinishReason finish_reason = FinishReason::kStop;  // kFinished (and kError: kError)
  EngineErrorKind error_kind = EngineErrorKind::kModelFailure;  // kError
  std::string error_message;        // kError
};

// Called on the ENGINE THREAD. It must return quickly and must not block on the engine:
// the gateway posts the event to the connection's strand/executor and returns.
using EventSink = std::function<void(const GenerationEvent&)>;

struct GenerationRequest {
  std::vector<TokenId> prompt;  // prompt ids (chat template already applied)
  SamplingParams sampling;
  StopConditions stop;
  EventSink sink;
};

// Shared between the caller's handle and the engine.
struct RequestControl {
  uint64_t id = 0;
  int prompt_tokens = 0;
  std::atomic<bool> cancel_requested{false};
};

// Returned by Engine::submit. Cheap to copy; cancel() may be called from any thread, any
// number of times, also after the request finished (then it does nothing).
class RequestHandle {
 public:
  RequestHandle() = default;
  RequestHandle(std::shared_ptr<RequestControl> control, std::function<void()> wake)
      : control_(std::move(control)), wake_(std::move(wake)) {}

  void cancel() const {
    if (!control_) return;
    control_->cancel_requested.store(true);
    if (wake_) wake_();
  }
  uint64_t id() const { return control_ ? control_->id : 0; }
  int prompt_tokens() const { return control_ ? control_->prompt_tokens : 0; }

 private:
  std::shared_ptr<RequestControl> control_;
  std::function<void()> wake_;
};

}  // namespace warden::inference

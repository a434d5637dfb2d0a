#include <ctime>
#include <filesystem>
#include <ostream>

#include "core/log.h"
#include "gateway/api_error.h"
#include "gateway/commands.h"
#include "inference/chat_template.h"
#include "inference/engine.h"
#include "inference/model_deepseek.h"
#include "inference/synth.h"
#include "inference/tokenizer.h"

namespace warden::gateway {
namespace {

namespace fs = std::filesystem;
namespace inf = warden::inference;

// The chain's inference stage: chat template → engine (continuous batching) → events.
class EngineBackend : public ChatBackend {
 public:
  EngineBackend(std::string model_id, std::shared_ptr<const inf::Tokenizer> tokenizer, std::shared_ptr<inf::LanguageModel> model,
                const core::ModelConfig& config)
      : model_id_(std::move(model_id)),
        created_(static_cast<int64_t>(std::time(nullptr))),
        tokenizer_(tokenizer),
        chat_template_(inf::ChatTemplate::for_tokenizer(*tokenizer)),
        engine_(std::move(model), tokenizer, options(config)) {}

  std::string model_id() const override { return model_id_; }
  int64_t created_at() const override { return created_; }
  bool ready() const override { return true; }
  double queue_depth() const override { return static_cast<double>(engine_.stats().queued); }

  int64_t count_prompt_tokens(const std::vector<ChatMessage>& request_messages) const override {
    std::vector<inf::ChatMessage> messages;
    for (const auto& m : request_messages) messages.push_back({m.role, m.content});
    try {
      return static_cast<int64_t>(chat_template_.render(*tokenizer_, messages, true).size());
    } catch (const std::invalid_argument&) {
      return -1;  // the engine reports the problem when the request starts
    }
  }

  std::function<void()> start(const ChatRequest& request, std::function<void(const GenerationEvent&)> on_event) override {
    std::vector<inf::ChatMessage> messages;
    for (const auto& m : request.messages) messages.push_back({m.role, m.content});
    inf::GenerationRequest job;
    try {
      job.prompt = chat_template_.render(*tokenizer_, messages, true);
    } catch (const std::invalid_argument& e) {
      throw ApiError::bad_request(e.what(), std::string("messages"));
    }
    job.sampling.temperature = request.temperature;
    job.sampling.top_p = request.top_p;
    job.sampling.seed = request.seed;
    job.sampling.presence_penalty = request.presence_penalty;
    job.sampling.frequency_penalty = request.frequency_penalty;
    job.stop.stop_strings = request.stop;
    job.stop.max_tokens = request.max_tokens.value_or(0);
    job.sink = [on_event](const inf::GenerationEvent& e) {
      GenerationEvent out;
      out.prompt_tokens = e.prompt_tokens;
      out.completion_tokens = e.completion_tokens;
      switch (e.kind) {
        case inf::GenerationEvent::Kind::kDelta:
          out.kind = GenerationEvent::Kind::kDelta;
          out.text = e.text;
          break;
        case inf::GenerationEvent::Kind::kFinished:
          out.kind = GenerationEvent::Kind::kDone;
          out.finish_reason = inf::finish_reason_name(e.finish_reason);
          break;
        case inf::GenerationEvent::Kind::kError:
          out.kind = GenerationEvent::Kind::kError;
          out.error_status = e.error_kind == inf::EngineErrorKind::kOverloaded || e.error_kind == inf::EngineErrorKind::kShuttingDown ? 503 : 500;
          out.error_message = e.error_kind == inf::EngineErrorKind::kModelFailure ? "the model failed while generating" : e.error_message;
          break;
      }
      on_event(out);
    };
    try {
      auto handle = engine_.submit(std::move(job));
      return [handle] { handle.cancel(); };
    } catch (const inf::EngineError& e) {
      switch (e.kind()) {
        case inf::EngineErrorKind::kOverloaded:
        case inf::EngineErrorKind::kShuttingDown:
          throw ApiError::unavailable(e.what());
        case inf::EngineErrorKind::kPromptTooLong:
          throw ApiError::bad_request(e.what(), std::string("messages"), "context_length_exceeded");
        case inf::EngineErrorKind::kInvalidRequest:
          throw ApiError::bad_request(e.what());
        case inf::EngineErrorKind::kModelFailure:
          break;
      }
      throw;
    }
  }

 private:
  static inf::EngineOptions options(const core::ModelConfig& config) {
    inf::EngineOptions o;
    o.max_queue = static_cast<size_t>(config.max_queue);
    return o;
  }

  std::string model_id_;
  int64_t created_;
  std::shared_ptr<const inf::Tokenizer> tokenizer_;
  inf::ChatTemplate chat_template_;
  inf::Engine engine_;
};

}  // namespace

std::unique_ptr<ChatBackend> make_engine_backend(const core::Config& config, std::ostream& notices) {
  fs::path dir = config.model.path;
  if (dir.empty()) {
    dir = fs::path(config.state_dir) / "models" / "demo-tiny-v3";
    if (!fs::exists(dir / "config.json")) {
      inf::SynthOptions synth;
      synth.arch = "v3";
      synth.preset = "tiny-v3";
      synth.out = dir;
      inf::synth_checkpoint(synth);
    }
    notices << "No model is configured (model.path): serving the demo checkpoint " << dir.string()
            << ".\nIts weights are RANDOM: the architecture and tokenizer are real, the answers are noise.\n";
  }
  inf::ModelLoadOptions load;
  load.compute = inf::parse_compute_format(config.model.compute);
  load.kv_cache_bytes = static_cast<size_t>(config.model.kv_cache_mb) << 20;
  load.threads = config.model.threads;
  std::shared_ptr<inf::LanguageModel> model = inf::load_model(dir, load);
  auto tokenizer = inf::Tokenizer::load(dir);
  std::string name = config.model.served_name.empty() ? fs::absolute(dir).lexically_normal().filename().string() : config.model.served_name;
  core::log_info("model loaded", {{"model", name}, {"dir", dir.string()}, {"compute", config.model.compute}});
  return std::make_unique<EngineBackend>(name, tokenizer, model, config.model);
}

}  // namespace warden::gateway

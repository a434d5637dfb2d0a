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
#include "inference/tool_call_parser.h"

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

  bool supports_tools() const override { return chat_template_.supports_tools(); }

  int64_t count_prompt_tokens(const ChatRequest& request) const override {
    try {
      return static_cast<int64_t>(render(request).size());
    } catch (const std::invalid_argument&) {
      return -1;  // the engine reports the problem when the request starts
    }
  }

  std::function<void()> start(const ChatRequest& request, std::function<void(const GenerationEvent&)> on_event) override {
    inf::GenerationRequest job;
    try {
      job.prompt = render(request);
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
    // The answer's text and its tool calls are told apart here, where the model's format is
    // known; a forced call's beginning is in the prompt, so the parser sees it first.
    std::shared_ptr<inf::ToolCallParser> parser;
    if (chat_template_.supports_tools()) {
      parser = std::make_shared<inf::ToolCallParser>();
      parser->push(chat_template_.forced_output_prefix(tool_choice(request)));
    }
    job.sink = [on_event, parser](const inf::GenerationEvent& e) {
      GenerationEvent out;
      out.prompt_tokens = e.prompt_tokens;
      out.completion_tokens = e.completion_tokens;
      auto send_pieces = [&](const std::vector<inf::OutputPiece>& pieces) {
        for (const inf::OutputPiece& piece : pieces) {
          GenerationEvent p = out;
          if (piece.kind == inf::OutputPiece::Kind::kText) {
            if (piece.text.empty()) continue;
            p.kind = GenerationEvent::Kind::kDelta;
            p.text = piece.text;
          } else {
            p.kind = GenerationEvent::Kind::kToolCall;
            p.tool_name = piece.call.name;
            p.tool_arguments = piece.call.arguments;
            p.tool_call_complete = piece.call.complete;
          }
          on_event(p);
        }
      };
      switch (e.kind) {
        case inf::GenerationEvent::Kind::kDelta:
          if (parser) return send_pieces(parser->push(e.text));
          out.kind = GenerationEvent::Kind::kDelta;
          out.text = e.text;
          break;
        case inf::GenerationEvent::Kind::kFinished:
          if (parser) send_pieces(parser->finish());
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
  static inf::ToolChoice tool_choice(const ChatRequest& request) {
    inf::ToolChoice choice;
    switch (request.tool_choice.mode) {
      case ToolChoice::Mode::kAuto: choice.mode = inf::ToolChoice::Mode::kAuto; break;
      case ToolChoice::Mode::kNone: choice.mode = inf::ToolChoice::Mode::kNone; break;
      case ToolChoice::Mode::kRequired: choice.mode = inf::ToolChoice::Mode::kRequired; break;
      case ToolChoice::Mode::kFunction: choice.mode = inf::ToolChoice::Mode::kFunction; break;
    }
    choice.function = request.tool_choice.function;
    return choice;
  }

  // The prompt: chat template with the request's tools and tool calls.
  std::vector<inf::TokenId> render(const ChatRequest& request) const {
    std::vector<inf::ChatMessage> messages;
    for (const auto& m : request.messages) {
      inf::ChatMessage message{m.role, m.content, {}};
      for (const auto& c : m.tool_calls) message.tool_calls.push_back({c.id, c.name, c.arguments});
      messages.push_back(std::move(message));
    }
    std::vector<inf::ToolSpec> tools;
    for (const auto& t : request.tools) tools.push_back({t.name, t.description, t.parameters});
    inf::ToolOptions options{tools, tool_choice(request)};
    return chat_template_.render(*tokenizer_, messages, true, options);
  }

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

std::unique_ptr<ChatBackend> make_loaded_engine_backend(std::string served_name, std::shared_ptr<const inf::Tokenizer> tokenizer,
                                                 std::shared_ptr<inf::LanguageModel> model, const core::ModelConfig& config) {
  return std::make_unique<EngineBackend>(std::move(served_name), std::move(tokenizer), std::move(model), config);
}

}  // namespace warden::gateway

// `warden generate`: one prompt through the chat template and the model on this machine,
// the reply streamed to stdout as it is decoded, throughput and finish reason on stderr.
//
// It drives the model directly (not through the Engine) so that prefill and decode can be
// timed apart; the choice of each token follows the scheduler's rules exactly (sample,
// stop on an eos id, else emit complete UTF-8 text, stop at max tokens or the context),
// which the tests check by comparing greedy output with the Engine's.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

#include "inference/chat_template.h"
#include "inference/engine_types.h"
#include "inference/model_cli.h"
#include "inference/model_cli_args.h"
#include "inference/model_deepseek.h"
#include "inference/sampler.h"
#include "inference/tokenizer.h"
#include "inference/utf8_stream.h"

namespace warden::inference {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kGenerateUsage =
    "usage: warden generate --model DIR --prompt TEXT [--system TEXT] [--max-tokens N] [--temperature T]\n"
    "                       [--top-p P] [--top-k K] [--seed S] [--compute int8|bf16|f32]\n"
    "                       [--kv-cache-dtype f32|bf16] [--threads N]\n"
    "  streams the reply to stdout (then one newline); prompt/generated tokens, prefill and\n"
    "  decode tokens/s and the finish reason go to stderr. Temperature 0 is greedy.";

// Prompt tokens per forward call while prefilling, as the engine's default chunk.
constexpr int kPrefillChunk = 512;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double flag_double(const std::map<std::string, std::string>& flags, const std::string& name, double fallback,
                   double min, double max) {
  auto it = flags.find(name);
  if (it == flags.end()) return fallback;
  const std::string& text = it->second;
  double v = 0.0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !(v >= min && v <= max)) {
    char range[64];
    std::snprintf(range, sizeof(range), "[%g, %g]", min, max);
    throw UsageError("--" + name + ": expected a number in " + range + ", got \"" + text + "\"");
  }
  return v;
}

std::optional<uint64_t> flag_seed(const std::map<std::string, std::string>& flags) {
  auto it = flags.find("seed");
  if (it == flags.end()) return std::nullopt;
  const std::string& text = it->second;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    throw UsageError("--seed: expected an integer in [0, 2^64), got \"" + text + "\"");
  return v;
}

struct GenerateRequest {
  std::vector<TokenId> prompt;
  SamplingParams sampling;
  int max_tokens = 256;
};

struct GenerateResult {
  int prompt_tokens = 0;
  int generated = 0;
  double prefill_seconds = 0.0;
  double decode_seconds = 0.0;  // from the first generated token to the last
  FinishReason finish = FinishReason::kLength;
};

// Runs one sequence to its end, writing text to `out` as it becomes complete UTF-8.
GenerateResult generate(DeepseekModel& model, const Tokenizer& tokenizer, const GenerateRequest& request,
                        std::ostream& out) {
  constexpr SequenceId kSequence = 1;
  const ModelInfo& info = model.info();
  GenerateResult result;
  result.prompt_tokens = static_cast<int>(request.prompt.size());
  const int max_new = std::min(request.max_tokens, info.max_context - result.prompt_tokens);
  Sampler sampler(request.sampling);
  Utf8StreamDecoder decoder(tokenizer);
  std::vector<float> logits;
  const size_t vocab = static_cast<size_t>(info.vocab_size);

  const auto prefill_start = Clock::now();
  for (size_t done = 0; done < request.prompt.size();) {
    const size_t chunk = std::min<size_t>(kPrefillChunk, request.prompt.size() - done);
    StepItem item{kSequence, std::span<const TokenId>(request.prompt.data() + done, chunk)};
    model.forward(std::span<const StepItem>(&item, 1), logits);
    done += chunk;
  }
  result.prefill_seconds = seconds_since(prefill_start);

  const auto decode_start = Clock::now();
  for (;;) {
    const TokenId token = sampler.sample(std::span<float>(logits.data(), vocab));
    sampler.accept(token);
    ++result.generated;
    if (std::find(info.eos_ids.begin(), info.eos_ids.end(), token) != info.eos_ids.end()) {
      result.finish = FinishReason::kStop;
      break;
    }
    out << decoder.push(token);
    out.flush();
    if (result.generated >= max_new || !model.can_hold(kSequence, 1)) {
      result.finish = FinishReason::kLength;
      break;
    }
    StepItem item{kSequence, std::span<const TokenId>(&token, 1)};
    model.forward(std::span<const StepItem>(&item, 1), logits);
  }
  result.decode_seconds = seconds_since(decode_start);
  out << decoder.flush();
  model.release(kSequence);
  return result;
}

void print_stats(const GenerateResult& r, std::ostream& err) {
  char line[160];
  err << "prompt tokens: " << r.prompt_tokens << "\n";
  err << "generated tokens: " << r.generated << "\n";
  std::snprintf(line, sizeof(line), "prefill: %d tokens in %.3f s, %.1f tokens/s\n", r.prompt_tokens,
                r.prefill_seconds, r.prompt_tokens / std::max(r.prefill_seconds, 1e-9));
  err << line;
  // The first generated token comes from the prefill logits; each later one took one step.
  const int decode_steps = std::max(0, r.generated - 1);
  std::snprintf(line, sizeof(line), "decode: %d tokens in %.3f s, %.1f tokens/s\n", decode_steps,
                r.decode_seconds, decode_steps / std::max(r.decode_seconds, 1e-9));
  err << line;
  err << "finish reason: " << finish_reason_name(r.finish) << "\n";
}

}  // namespace

int run_generate_command(const std::vector<std::string>& args, std::istream&, std::ostream& out,
                         std::ostream& err) {
  std::map<std::string, std::string> flags;
  ModelLoadOptions options;
  options.compute = WeightFormat::kInt8;  // as the gateway serves by default (model.compute)
  GenerateRequest request;
  try {
    flags = parse_flags(args, 0,
                        {"model", "prompt", "system", "max-tokens", "temperature", "top-p", "top-k", "seed",
                         "compute", "kv-cache-dtype", "threads"});
    for (const char* required : {"model", "prompt"})
      if (!flags.count(required)) throw UsageError(std::string("--") + required + " is required");
    apply_load_flags(flags, options);
    request.max_tokens = flag_int(flags, "max-tokens", 256, 1, 1 << 20);
    request.sampling.temperature = flag_double(flags, "temperature", 1.0, 0.0, 2.0);
    request.sampling.top_p = flag_double(flags, "top-p", 1.0, 1e-9, 1.0);
    request.sampling.top_k = flag_int(flags, "top-k", 0, 0, 1 << 30);
    request.sampling.seed = flag_seed(flags);
  } catch (const UsageError& e) {
    err << "warden generate: " << e.what() << "\n" << kGenerateUsage << "\n";
    return 2;
  }

  try {
    const std::filesystem::path dir = flags["model"];
    auto tokenizer = Tokenizer::load(dir);
    const ChatTemplate chat = ChatTemplate::for_tokenizer(*tokenizer);
    std::vector<ChatMessage> messages;
    if (flags.count("system")) messages.push_back({"system", flags["system"]});
    messages.push_back({"user", flags["prompt"]});
    request.prompt = chat.render(*tokenizer, messages, /*add_generation_prompt=*/true);

    // Size the latent cache for this one sequence: prompt + reply, whole pages.
    const ModelConfig config = load_model_config(dir / "config.json");
    const int context = std::min(config.max_position_embeddings, static_cast<int>(request.prompt.size()) +
                                                                     request.max_tokens);
    const size_t page_tokens = LatentKvCache::kPageTokens;
    const size_t pages = (static_cast<size_t>(context) + page_tokens - 1) / page_tokens;
    options.kv_cache_bytes = pages * page_tokens * static_cast<size_t>(config.num_hidden_layers) *
                             (config.kv_lora_rank + config.qk_rope_head_dim) *
                             kv_cache_dtype_bytes(options.kv_cache_dtype);
    auto model = load_model(dir, options);
    if (static_cast<int>(request.prompt.size()) >= model->info().max_context)
      throw std::runtime_error("the prompt has " + std::to_string(request.prompt.size()) +
                               " tokens; the model's context is " + std::to_string(model->info().max_context));
    if (!request.sampling.seed && request.sampling.temperature > 0.0) {
      // Draw one so that the run can be repeated; say which.
      std::random_device device;
      request.sampling.seed = (static_cast<uint64_t>(device()) << 32) ^ device();
      err << "seed: " << *request.sampling.seed << "\n";
    }
    const GenerateResult result = generate(*model, *tokenizer, request, out);
    out << "\n";
    out.flush();
    print_stats(result, err);
    return 0;
  } catch (const std::exception& e) {
    err << "warden generate: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace warden::inference

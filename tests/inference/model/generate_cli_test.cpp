// `warden generate` through run_generate_command: greedy output equals the serving
// Engine's greedy continuation of the same chat prompt, a seed makes sampling repeatable,
// and bad flags are usage errors.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <sstream>

#include "core/utf8.h"
#include "inference/chat_template.h"
#include "inference/engine.h"
#include "inference/model_cli.h"
#include "inference/model_deepseek.h"
#include "inference/tokenizer.h"
#include "model_test_support.h"

using namespace warden::inference;

namespace {

struct CliRun {
  int code = 0;
  std::string out, err;
};

CliRun generate(const std::vector<std::string>& args) {
  std::istringstream in;
  std::ostringstream out, err;
  CliRun r;
  r.code = run_generate_command(args, in, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// The integer after "label: " on stderr, -1 when absent.
long stat(const std::string& err, const std::string& label) {
  const size_t at = err.find(label + ": ");
  if (at == std::string::npos) return -1;
  return std::stol(err.substr(at + label.size() + 2));
}

std::string finish_reason(const std::string& err) {
  const std::string label = "finish reason: ";
  const size_t at = err.find(label);
  if (at == std::string::npos) return "";
  return err.substr(at + label.size(), err.find('\n', at) - at - label.size());
}

struct EngineResult {
  std::string text;
  int completion_tokens = 0;
  std::string finish;
};

EngineResult engine_greedy(const std::filesystem::path& dir, const std::vector<TokenId>& prompt, int max_tokens) {
  ModelLoadOptions options;  // f32, as the CLI runs below ask for
  std::shared_ptr<LanguageModel> model = load_model(dir, options);
  Engine engine(model, Tokenizer::load(dir));
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  EngineResult result;
  GenerationRequest request;
  request.prompt = prompt;
  request.sampling.temperature = 0.0;
  request.stop.max_tokens = max_tokens;
  request.sink = [&](const GenerationEvent& e) {
    std::lock_guard<std::mutex> lock(mutex);
    if (e.kind == GenerationEvent::Kind::kDelta) result.text += e.text;
    if (e.kind != GenerationEvent::Kind::kDelta) {
      result.completion_tokens = e.completion_tokens;
      result.finish = e.kind == GenerationEvent::Kind::kError ? "error: " + e.error_message
                                                              : finish_reason_name(e.finish_reason);
      done = true;
      cv.notify_one();
    }
  };
  engine.submit(std::move(request));
  std::unique_lock<std::mutex> lock(mutex);
  cv.wait(lock, [&] { return done; });
  return result;
}

}  // namespace

TEST_CASE("generate: greedy output equals the engine's greedy continuation", "[model][generate]") {
  const auto dir = testing::synth_model("v3-bf16", "v3", "tiny-v3", "bf16");
  const std::string system = "Answer briefly.", prompt = "Wie spät ist es? 今何時ですか 🙂";
  const int max_tokens = 24;
  const CliRun cli = generate({"--model", dir.string(), "--system", system, "--prompt", prompt, "--max-tokens",
                               std::to_string(max_tokens), "--temperature", "0", "--compute", "f32"});
  INFO(cli.err);
  REQUIRE(cli.code == 0);
  REQUIRE(warden::core::utf8_valid(cli.out));
  REQUIRE(!cli.out.empty());
  REQUIRE(cli.out.back() == '\n');
  const std::string text = cli.out.substr(0, cli.out.size() - 1);

  auto tokenizer = Tokenizer::load(dir);
  const std::vector<ChatMessage> messages = {{"system", system}, {"user", prompt}};
  const auto prompt_ids = ChatTemplate::for_tokenizer(*tokenizer).render(*tokenizer, messages, true);
  REQUIRE(stat(cli.err, "prompt tokens") == static_cast<long>(prompt_ids.size()));
  const long generated = stat(cli.err, "generated tokens");
  REQUIRE(generated >= 1);
  REQUIRE(generated <= max_tokens);
  REQUIRE_THAT(cli.err, Catch::Contains("prefill: ") && Catch::Contains("decode: ") && Catch::Contains("tokens/s"));
  REQUIRE_THAT(cli.err, !Catch::Contains("seed:"));  // greedy: nothing to repeat

  const EngineResult engine = engine_greedy(dir, prompt_ids, max_tokens);
  REQUIRE(engine.text == text);
  REQUIRE(engine.completion_tokens == generated);
  REQUIRE(engine.finish == finish_reason(cli.err));

  // The bf16 latent cache path runs end to end too.
  const CliRun bf16 = generate({"--model", dir.string(), "--prompt", prompt, "--max-tokens", "8", "--temperature",
                                "0", "--kv-cache-dtype", "bf16"});
  INFO(bf16.err);
  REQUIRE(bf16.code == 0);
  REQUIRE(stat(bf16.err, "generated tokens") >= 1);
}

TEST_CASE("generate: the same seed gives the same output, another seed another", "[model][generate]") {
  const auto dir = testing::synth_model("v3-bf16", "v3", "tiny-v3", "bf16");
  auto sample = [&](const std::string& seed) {
    return generate({"--model", dir.string(), "--prompt", "Tell me a story.", "--max-tokens", "16",
                     "--temperature", "1.0", "--top-p", "0.95", "--seed", seed});
  };
  // Without --seed one is drawn and reported; given back, it repeats the run.
  const CliRun drawn = generate({"--model", dir.string(), "--prompt", "Tell me a story.", "--max-tokens", "16",
                                 "--temperature", "1.0", "--top-p", "0.95"});
  INFO(drawn.err);
  REQUIRE(drawn.code == 0);
  const size_t at = drawn.err.find("seed: ");
  REQUIRE(at != std::string::npos);
  const std::string seed = drawn.err.substr(at + 6, drawn.err.find('\n', at) - at - 6);
  const CliRun again = sample(seed);
  REQUIRE(again.code == 0);
  REQUIRE_THAT(again.err, !Catch::Contains("seed:"));
  REQUIRE(again.out == drawn.out);
  REQUIRE(stat(again.err, "generated tokens") == stat(drawn.err, "generated tokens"));
  // Another seed, another text (the sampled distribution of a random model is wide).
  const std::string other = seed == "42" ? "43" : "42";
  REQUIRE(sample(other).out != drawn.out);
}

TEST_CASE("generate: usage errors exit 2 and name the flag", "[model][generate]") {
  const auto dir = testing::synth_model("v3-bf16", "v3", "tiny-v3", "bf16").string();
  CliRun r = generate({"--model", dir});
  REQUIRE(r.code == 2);
  REQUIRE_THAT(r.err, Catch::Contains("--prompt is required"));
  r = generate({"--model", dir, "--prompt", "x", "--temperature", "hot"});
  REQUIRE(r.code == 2);
  REQUIRE_THAT(r.err, Catch::Contains("--temperature") && Catch::Contains("\"hot\""));
  r = generate({"--model", dir, "--prompt", "x", "--temperature", "3"});
  REQUIRE(r.code == 2);
  r = generate({"--model", dir, "--prompt", "x", "--kv-cache-dtype", "fp8"});
  REQUIRE(r.code == 2);
  REQUIRE_THAT(r.err, Catch::Contains("--kv-cache-dtype") && Catch::Contains("fp8"));
  r = generate({"--model", dir, "--prompt", "x", "--seed", "-1"});
  REQUIRE(r.code == 2);
  r = generate({"--model", dir, "--prompt", "x", "--max-tokens", "0"});
  REQUIRE(r.code == 2);
  r = generate({"--model", dir, "--prompt", "x", "--colour", "red"});
  REQUIRE(r.code == 2);
  REQUIRE_THAT(r.err, Catch::Contains("--colour"));
  r = generate({"--model", (testing::temp_root() / "no-such-model").string(), "--prompt", "x"});
  REQUIRE(r.code == 1);
  REQUIRE_THAT(r.err, Catch::Contains("no-such-model"));
}

// Engine with the deterministic test-double model: continuous batching, joining mid-way,
// cancellation, capacity and queue limits, stop strings across tokens, shutdown.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "core/utf8.h"
#include "inference/engine.h"
#include "serving_test_util.h"
#include "test_language_model.h"

using namespace warden::inference;
using namespace warden::inference::testing;

namespace {

std::shared_ptr<const Tokenizer> shared_tokenizer() {
  static auto t = Tokenizer::load(deepseek_v3_model_dir());
  return t;
}

// Collects one request's events; wait() blocks until the last event.
class Collector {
 public:
  EventSink sink() {
    return [this](const GenerationEvent& e) {
      std::lock_guard<std::mutex> lock(mutex_);
      events_.push_back(e);
      if (e.kind == GenerationEvent::Kind::kDelta) {
        text_ += e.text;
        ++deltas_;
      } else {
        done_ = true;
      }
      cv_.notify_all();
    };
  }
  const GenerationEvent& wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    bool ok = cv_.wait_for(lock, std::chrono::seconds(20), [&] { return done_; });
    REQUIRE(ok);
    return events_.back();
  }
  void wait_for_deltas(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    REQUIRE(cv_.wait_for(lock, std::chrono::seconds(20), [&] { return deltas_ >= n || done_; }));
  }
  std::string text() {
    std::lock_guard<std::mutex> lock(mutex_);
    return text_;
  }
  std::vector<GenerationEvent> events() {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<GenerationEvent> events_;
  std::string text_;
  int deltas_ = 0;
  bool done_ = false;
};

// The vocabulary token whose bytes are exactly byte `b`.
TokenId byte_token(unsigned char b) {
  static const std::vector<TokenId> table = [] {
    std::vector<TokenId> ids(256, -1);
    const Tokenizer& t = *shared_tokenizer();
    for (TokenId id = 0; id < t.vocab_size(); ++id) {
      std::string_view bytes = t.token_bytes(id);
      if (bytes.size() == 1 && ids[static_cast<unsigned char>(bytes[0])] < 0) {
        ids[static_cast<unsigned char>(bytes[0])] = id;
      }
    }
    return ids;
  }();
  REQUIRE(table[b] >= 0);
  return table[b];
}

// Tokens the random test model favours: words in a few scripts, plus the three byte tokens
// of the euro sign so that characters get split across tokens.
std::vector<TokenId> readable_tokens() {
  std::vector<TokenId> ids = shared_tokenizer()->encode(" the cat sat on a mat. Привет 你好 é! ok");
  for (unsigned char b : std::string("\xE2\x82\xAC")) ids.push_back(byte_token(b));
  return ids;
}

GenerationRequest make_request(const std::string& prompt, uint64_t seed, int max_tokens, Collector& c) {
  GenerationRequest r;
  r.prompt = shared_tokenizer()->encode(prompt);
  r.sampling.temperature = 0.9;
  r.sampling.top_p = 0.95;
  r.sampling.seed = seed;
  r.stop.max_tokens = max_tokens;
  r.sink = c.sink();
  return r;
}

TestLanguageModel::Options random_model_options() {
  TestLanguageModel::Options o;
  o.allowed = readable_tokens();
  o.eos_ids = {1};
  return o;
}

struct Outcome {
  std::string text;
  int completion_tokens;
  FinishReason reason;
};

Outcome run_alone(const std::string& prompt, uint64_t seed, int max_tokens) {
  auto model = std::make_shared<TestLanguageModel>(random_model_options());
  Engine engine(model, shared_tokenizer(), EngineOptions{1, 2048, 512, 8});
  Collector c;
  engine.submit(make_request(prompt, seed, max_tokens, c));
  const GenerationEvent& last = c.wait();
  return {c.text(), last.completion_tokens, last.finish_reason};
}

}  // namespace

TEST_CASE("engine: concurrent requests, one joining mid-way, equal results to running alone", "[engine]") {
  auto model = std::make_shared<TestLanguageModel>(random_model_options());
  Engine engine(model, shared_tokenizer(), EngineOptions{8, 256, 16, 16});
  const std::vector<std::string> prompts = {
      "Tell me a story about a cat.", "Ein kurzer deutscher Satz.", "写一首关于海的诗。",
      std::string(300, 'z') + " long prompt that is prefilled in chunks"};
  Collector a, b, c, late;
  engine.submit(make_request(prompts[0], 11, 40, a));
  engine.submit(make_request(prompts[1], 22, 40, b));
  engine.submit(make_request(prompts[2], 33, 40, c));
  a.wait_for_deltas(5);
  engine.submit(make_request(prompts[3], 44, 30, late));
  Collector* all[] = {&a, &b, &c, &late};
  std::vector<Outcome> batched;
  for (Collector* col : all) {
    const GenerationEvent& last = col->wait();
    REQUIRE(last.kind == GenerationEvent::Kind::kFinished);
    batched.push_back({col->text(), last.completion_tokens, last.finish_reason});
  }
  const uint64_t seeds[] = {11, 22, 33, 44};
  const int max_tokens[] = {40, 40, 40, 30};
  for (size_t i = 0; i < 4; ++i) {
    Outcome alone = run_alone(prompts[i], seeds[i], max_tokens[i]);
    INFO("request " << i);
    CHECK(batched[i].text == alone.text);
    CHECK(batched[i].completion_tokens == alone.completion_tokens);
    CHECK(batched[i].reason == alone.reason);
    CHECK(!alone.text.empty());
  }
  // Continuous batching really happened: a step mixed a prefill chunk with decode tokens,
  // and the late prompt (300+ tokens) was prefilled in chunks of at most 16.
  bool mixed = false;
  int max_chunk = 0;
  for (const auto& step : model->steps()) {
    bool has_decode = false, has_prefill = false;
    for (const auto& [seq, n] : step.items) {
      has_decode |= n == 1;
      has_prefill |= n > 1;
      max_chunk = std::max(max_chunk, n);
    }
    mixed |= has_decode && has_prefill;
  }
  CHECK(mixed);
  CHECK(max_chunk == 16);
  CHECK(model->live_sequences() == 0);  // every finished sequence released its cache
  EngineStats stats = engine.stats();
  CHECK(stats.tokens_generated == static_cast<uint64_t>(batched[0].completion_tokens + batched[1].completion_tokens +
                                                        batched[2].completion_tokens + batched[3].completion_tokens));
  CHECK(stats.running == 0);
}

TEST_CASE("engine: same seed gives the same text, another seed differs", "[engine]") {
  Outcome x = run_alone("Same prompt", 7, 30);
  Outcome y = run_alone("Same prompt", 7, 30);
  Outcome z = run_alone("Same prompt", 8, 30);
  CHECK(x.text == y.text);
  CHECK(x.text != z.text);
  CHECK(x.reason == FinishReason::kLength);
  CHECK(x.completion_tokens == 30);
}

TEST_CASE("engine: cancellation ends a request and frees its cache, others go on", "[engine]") {
  auto model = std::make_shared<TestLanguageModel>(random_model_options());
  Engine engine(model, shared_tokenizer(), EngineOptions{4, 256, 64, 8});
  Collector keep, cancel;
  engine.submit(make_request("keep going", 1, 60, keep));
  RequestHandle h = engine.submit(make_request("cancel me", 2, 3000, cancel));
  cancel.wait_for_deltas(3);
  h.cancel();
  const GenerationEvent& last = cancel.wait();
  CHECK(last.kind == GenerationEvent::Kind::kFinished);
  CHECK(last.finish_reason == FinishReason::kCancelled);
  CHECK(last.completion_tokens < 3000);
  const GenerationEvent& kept = keep.wait();
  CHECK(kept.finish_reason == FinishReason::kLength);
  CHECK(kept.completion_tokens == 60);
  CHECK(model->released().size() == 2);
  h.cancel();  // after the end: harmless
}

TEST_CASE("engine: full queue is refused at once with overloaded", "[engine]") {
  auto model = std::make_shared<TestLanguageModel>(random_model_options());
  Engine engine(model, shared_tokenizer(), EngineOptions{1, 256, 64, 2});
  model->close_gate();
  Collector a, b, c, d;
  engine.submit(make_request("first", 1, 5, a));
  model->wait_until_blocked();  // "first" is in the batch; the engine is inside forward()
  engine.submit(make_request("second", 2, 5, b));
  RequestHandle third = engine.submit(make_request("third", 3, 5, c));
  CHECK(engine.stats().queued == 2);
  try {
    engine.submit(make_request("fourth", 4, 5, d));
    FAIL("expected overloaded");
  } catch (const EngineError& e) {
    CHECK(e.kind() == EngineErrorKind::kOverloaded);
    CHECK(std::string(e.what()).find("overloaded") != std::string::npos);
  }
  third.cancel();  // still waiting: it leaves without ever reaching the model
  model->open_gate();
  CHECK(a.wait().finish_reason == FinishReason::kLength);
  CHECK(b.wait().finish_reason == FinishReason::kLength);
  const GenerationEvent& cancelled = c.wait();
  CHECK(cancelled.finish_reason == FinishReason::kCancelled);
  CHECK(cancelled.completion_tokens == 0);
  CHECK(model->released().size() == 2);
  CHECK(engine.stats().requests_rejected == 1);
}

TEST_CASE("engine: requests wait for KV capacity and give the same results", "[engine]") {
  auto options = random_model_options();
  options.cache_capacity = 120;  // room for about two of the requests below at a time
  auto model = std::make_shared<TestLanguageModel>(options);
  Engine engine(model, shared_tokenizer(), EngineOptions{8, 256, 64, 8});
  std::vector<std::unique_ptr<Collector>> cols;
  for (int i = 0; i < 4; ++i) {
    cols.push_back(std::make_unique<Collector>());
    engine.submit(make_request("request number " + std::to_string(i), 100 + i, 40, *cols.back()));
  }
  for (int i = 0; i < 4; ++i) {
    const GenerationEvent& last = cols[i]->wait();
    CHECK(last.finish_reason == FinishReason::kLength);
    CHECK(cols[i]->text() == run_alone("request number " + std::to_string(i), 100 + i, 40).text);
  }
  for (const auto& step : model->steps()) {
    CHECK(step.items.size() <= 2);
  }
}

TEST_CASE("engine: prompt limits and invalid requests fail at submit", "[engine]") {
  auto options = random_model_options();
  options.max_context = 64;
  auto model = std::make_shared<TestLanguageModel>(options);
  Engine engine(model, shared_tokenizer(), EngineOptions{});
  Collector c;
  GenerationRequest r;
  r.prompt.assign(64, 300);
  r.sink = c.sink();
  try {
    engine.submit(r);
    FAIL("expected prompt too long");
  } catch (const EngineError& e) {
    CHECK(e.kind() == EngineErrorKind::kPromptTooLong);
    CHECK(std::string(e.what()).find("64 tokens") != std::string::npos);
  }
  r.prompt = {300, 200000};
  CHECK_THROWS_AS(engine.submit(r), EngineError);
  r.prompt = {300};
  r.sampling.top_p = 1.5;
  CHECK_THROWS_WITH(engine.submit(r), Catch::Contains("top_p"));
  // A prompt that fits leaves room: generation ends at the context limit with "length".
  r.sampling = SamplingParams{};
  r.sampling.seed = 1;
  r.prompt.assign(60, 300);
  const GenerationEvent* last = nullptr;
  engine.submit(r);
  last = &c.wait();
  CHECK(last->finish_reason == FinishReason::kLength);
  CHECK(last->completion_tokens == 4);
}

TEST_CASE("engine: stop strings across token boundaries, eos, UTF-8 deltas", "[engine]") {
  auto script_of = [&](const std::string& s) {
    std::vector<TokenId> ids;
    for (unsigned char ch : s) ids.push_back(byte_token(ch));
    return ids;
  };
  auto run = [&](std::vector<TokenId> script, std::vector<std::string> stops, int max_tokens, Collector& col) {
    TestLanguageModel::Options o;
    o.script = std::move(script);
    o.script_prompt_len = 3;
    auto model = std::make_shared<TestLanguageModel>(o);
    Engine engine(model, shared_tokenizer(), EngineOptions{});
    GenerationRequest r;
    r.prompt = {300, 301, 302};
    r.sampling.temperature = 0;
    r.stop.stop_strings = std::move(stops);
    r.stop.max_tokens = max_tokens;
    r.sink = col.sink();
    engine.submit(std::move(r));
    return col.wait();
  };

  SECTION("a stop string spread over five tokens is cut, nothing of it leaks") {
    Collector col;
    GenerationEvent last = run(script_of("ab<END>cd"), {"<END>"}, 50, col);
    CHECK(last.finish_reason == FinishReason::kStop);
    CHECK(col.text() == "ab");
    CHECK(last.completion_tokens == 7);
  }
  SECTION("a partial match that is not a stop is released") {
    Collector col;
    GenerationEvent last = run(script_of("a<EN!x<E"), {"<END>"}, 8, col);
    CHECK(last.finish_reason == FinishReason::kLength);
    CHECK(col.text() == "a<EN!x<E");
    for (const auto& e : col.events()) CHECK(e.text != "a<EN");  // "<EN" was held until "!" came
  }
  SECTION("the earliest of several stop strings wins") {
    Collector col;
    run(script_of("xx STOP yy END"), {"END", "STOP"}, 50, col);
    CHECK(col.text() == "xx ");
  }
  SECTION("multi-byte characters arrive whole") {
    Collector col;
    run(script_of("\xE2\x82\xAC\xF0\x9F\x98\x80!"), {}, 8, col);
    CHECK(col.text() == "\xE2\x82\xAC\xF0\x9F\x98\x80!");
    for (const auto& e : col.events()) CHECK(warden::core::utf8_valid(e.text));
    CHECK(col.events().size() == 4);  // three deltas (€, 😀, !) and the end
  }
  SECTION("eos ends with stop and adds no text") {
    Collector col;
    std::vector<TokenId> script = script_of("hi");
    script.push_back(1);
    GenerationEvent last = run(script, {}, 50, col);
    CHECK(last.finish_reason == FinishReason::kStop);
    CHECK(col.text() == "hi");
    CHECK(last.completion_tokens == 3);
  }
}

TEST_CASE("engine: shutdown drains or cancels, then refuses", "[engine]") {
  SECTION("drain") {
    auto model = std::make_shared<TestLanguageModel>(random_model_options());
    Engine engine(model, shared_tokenizer(), EngineOptions{2, 256, 64, 8});
    Collector a, b, c;
    engine.submit(make_request("one", 1, 20, a));
    engine.submit(make_request("two", 2, 20, b));
    engine.submit(make_request("three", 3, 20, c));
    engine.shutdown(ShutdownMode::kDrain);
    for (Collector* col : {&a, &b, &c}) CHECK(col->wait().finish_reason == FinishReason::kLength);
    Collector d;
    try {
      engine.submit(make_request("late", 4, 5, d));
      FAIL("expected shutting down");
    } catch (const EngineError& e) {
      CHECK(e.kind() == EngineErrorKind::kShuttingDown);
    }
  }
  SECTION("cancel") {
    auto model = std::make_shared<TestLanguageModel>(random_model_options());
    auto engine = std::make_unique<Engine>(model, shared_tokenizer(), EngineOptions{1, 256, 64, 8});
    Collector a, b;
    RequestHandle handle = engine->submit(make_request("one", 1, 3000, a));
    engine->submit(make_request("two", 2, 3000, b));
    a.wait_for_deltas(2);
    engine.reset();  // destructor cancels
    handle.cancel();  // the handle outlives the engine: still safe
    CHECK(a.wait().finish_reason == FinishReason::kCancelled);
    CHECK(b.wait().finish_reason == FinishReason::kCancelled);
    CHECK(model->live_sequences() == 0);
  }
}

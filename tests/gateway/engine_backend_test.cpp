// The shipped model backend (chat template + engine + tool-call parser) with the real
// DeepSeek-V3 tokenizer and a scripted test-double model: the model's tool-call tokens
// become tool-call events, text stays text, a forced call's beginning (in the prompt) is
// read as part of the call, and the prompt carries the tools.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>

#include "gateway/chat_request.h"
#include "gateway/commands.h"
#include "inference/chat_template.h"
#include "tests/inference/serving/serving_test_util.h"
#include "tests/inference/serving/test_language_model.h"

using namespace warden;
namespace inf = warden::inference;

namespace {

struct Events {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<gateway::GenerationEvent> list;
  bool done = false;

  std::function<void(const gateway::GenerationEvent&)> sink() {
    return [this](const gateway::GenerationEvent& e) {
      std::lock_guard lock(mutex);
      list.push_back(e);
      if (e.kind == gateway::GenerationEvent::Kind::kDone || e.kind == gateway::GenerationEvent::Kind::kError) done = true;
      cv.notify_all();
    };
  }
  void wait() {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return done; });
  }
  std::string text() const {
    std::string t;
    for (const auto& e : list) {
      if (e.kind == gateway::GenerationEvent::Kind::kDelta) t += e.text;
    }
    return t;
  }
  std::vector<gateway::GenerationEvent> calls() const {
    std::vector<gateway::GenerationEvent> out;
    for (const auto& e : list) {
      if (e.kind == gateway::GenerationEvent::Kind::kToolCall) out.push_back(e);
    }
    return out;
  }
};

inf::TokenId id_of(const std::string& token) {
  auto id = inf::testing::deepseek_v3_tokenizer().added_token_id(token);
  REQUIRE(id);
  return *id;
}

std::vector<inf::TokenId> text_ids(const std::string& text) { return inf::testing::deepseek_v3_tokenizer().encode(text); }

gateway::ChatRequest mail_request() {
  gateway::ChatRequest r;
  r.model = "scripted";
  r.messages.push_back({"user", "Mail Ann", "", {}, ""});
  r.tools.push_back({"send_mail", "Sends an e-mail.", R"({"type":"object"})"});
  r.tool_choice.mode = gateway::ToolChoice::Mode::kAuto;
  r.temperature = 0;
  r.max_tokens = 200;
  return r;
}

// Runs `request` against the backend with a model whose output is `script` (then eos).
void run(const gateway::ChatRequest& request, std::vector<inf::TokenId> script, Events& events) {
  auto tokenizer = inf::Tokenizer::load(inf::testing::deepseek_v3_model_dir());
  // The script counts from the prompt's length: render the prompt the way the backend will.
  inf::ChatTemplate chat_template = inf::ChatTemplate::for_tokenizer(*tokenizer);
  std::vector<inf::ChatMessage> messages;
  for (const auto& m : request.messages) messages.push_back({m.role, m.content, {}});
  std::vector<inf::ToolSpec> tools;
  for (const auto& t : request.tools) tools.push_back({t.name, t.description, t.parameters});
  inf::ToolChoice choice;
  choice.mode = request.tool_choice.mode == gateway::ToolChoice::Mode::kFunction ? inf::ToolChoice::Mode::kFunction
                                                                                  : inf::ToolChoice::Mode::kAuto;
  choice.function = request.tool_choice.function;
  const auto prompt = chat_template.render(*tokenizer, messages, true, inf::ToolOptions{tools, choice});

  script.push_back(1);  // <｜end▁of▁sentence｜>
  inf::testing::TestLanguageModel::Options options;
  options.script = script;
  options.script_prompt_len = static_cast<int>(prompt.size());
  auto model = std::make_shared<inf::testing::TestLanguageModel>(options);
  core::ModelConfig config;
  auto backend = gateway::make_loaded_engine_backend("scripted", tokenizer, model, config);
  CHECK(backend->supports_tools());
  CHECK(backend->count_prompt_tokens(request) == static_cast<int64_t>(prompt.size()));
  backend->start(request, events.sink());
  events.wait();
}

}  // namespace

TEST_CASE("engine backend: the model's tool-call tokens become tool-call events") {
  std::vector<inf::TokenId> script = text_ids("I will send it.");
  script.push_back(id_of("<｜tool▁calls▁begin｜>"));
  script.push_back(id_of("<｜tool▁call▁begin｜>"));
  for (auto id : text_ids("function")) script.push_back(id);
  script.push_back(id_of("<｜tool▁sep｜>"));
  for (auto id : text_ids("send_mail\n```json\n{\"to\": \"<EMAIL_ADDRESS_1>\"}\n```")) script.push_back(id);
  script.push_back(id_of("<｜tool▁call▁end｜>"));
  script.push_back(id_of("<｜tool▁calls▁end｜>"));

  Events events;
  run(mail_request(), script, events);
  CHECK(events.text() == "I will send it.");
  auto calls = events.calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].tool_name == "send_mail");
  CHECK(calls[0].tool_arguments == R"({"to": "<EMAIL_ADDRESS_1>"})");
  CHECK(calls[0].tool_call_complete);
  REQUIRE(events.list.back().kind == gateway::GenerationEvent::Kind::kDone);
  CHECK(events.list.back().finish_reason == "stop");
}

TEST_CASE("engine backend: a forced function's call starts in the prompt and is parsed whole") {
  gateway::ChatRequest request = mail_request();
  request.tool_choice.mode = gateway::ToolChoice::Mode::kFunction;
  request.tool_choice.function = "send_mail";
  std::vector<inf::TokenId> script = text_ids("{\"to\": \"ops\"}\n```");
  script.push_back(id_of("<｜tool▁call▁end｜>"));
  script.push_back(id_of("<｜tool▁calls▁end｜>"));
  Events events;
  run(request, script, events);
  CHECK(events.text().empty());
  auto calls = events.calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].tool_name == "send_mail");
  CHECK(calls[0].tool_arguments == R"({"to": "ops"})");
}

TEST_CASE("engine backend: plain answers are untouched, a lone '<' is not held forever") {
  Events events;
  run(mail_request(), text_ids("a < b and <｜ is text"), events);
  CHECK(events.text() == "a < b and <｜ is text");
  CHECK(events.calls().empty());
}

#include <catch2/catch.hpp>

#include "core/json.h"
#include "gateway/api_error.h"
#include "gateway/chat_request.h"

using warden::core::Json;
using warden::gateway::ApiError;
using warden::gateway::parse_chat_request;

namespace {
std::string refusal(const std::string& body) {
  try {
    parse_chat_request(Json::parse(body), {});
  } catch (const ApiError& e) {
    CHECK(e.status() == 400);
    return e.param().value_or("") + ": " + e.what();
  }
  return "accepted";
}
}  // namespace

TEST_CASE("chat request: the OpenAI fields are read") {
  auto r = parse_chat_request(Json::parse(R"({"model":"m","messages":[{"role":"system","content":"s"},
      {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],
      "max_completion_tokens":7,"temperature":0.5,"top_p":0.9,"seed":3,"stop":["x","y"],"n":1,
      "presence_penalty":0.1,"frequency_penalty":-0.2,"user":"u","stream":true,"stream_options":{"include_usage":true}})"), {});
  CHECK(r.messages.size() == 2);
  CHECK(r.messages[1].content == "ab");
  CHECK(r.max_tokens == 7);
  CHECK(r.stop.size() == 2);
  CHECK(r.seed == 3u);
  CHECK(r.include_usage);
}

TEST_CASE("chat request: bad values are refused naming the field") {
  CHECK(refusal(R"({"messages":[]})").rfind("model:", 0) == 0);
  CHECK(refusal(R"({"model":"m","messages":[]})").rfind("messages:", 0) == 0);
  CHECK(refusal(R"({"model":"m","messages":[{"role":"robot","content":"x"}]})").rfind("messages[0].role:", 0) == 0);
  CHECK(refusal(R"({"model":"m","messages":[{"role":"user","content":5}]})").rfind("messages[0].content:", 0) == 0);
  CHECK(refusal(R"({"model":"m","messages":[{"role":"user","content":"x"}],"n":2})").rfind("n:", 0) == 0);
  CHECK(refusal(R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"})").rfind("temperature:", 0) == 0);
  CHECK(refusal(R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":3})").rfind("temperature:", 0) == 0);
  CHECK(refusal(R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0})").rfind("max_tokens:", 0) == 0);
  CHECK(refusal(R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[]})").rfind("tools:", 0) == 0);
  CHECK(refusal(R"({"model":"m","messages":[{"role":"user","content":"x"}],"stop":[1]})").rfind("stop:", 0) == 0);
  CHECK(refusal(R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}})")
            .rfind("stream_options:", 0) == 0);
  std::string many = R"({"model":"m","messages":[)";
  for (int i = 0; i < 2001; ++i) many += std::string(i ? "," : "") + R"({"role":"user","content":"x"})";
  CHECK(refusal(many + "]}").rfind("messages:", 0) == 0);
}

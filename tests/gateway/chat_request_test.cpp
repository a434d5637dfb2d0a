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
  CHECK(refusal(R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[]})").rfind("tools:", 0) == 0);  // empty
  CHECK(refusal(R"({"model":"m","messages":[{"role":"user","content":"x"}],"stop":[1]})").rfind("stop:", 0) == 0);
  CHECK(refusal(R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}})")
            .rfind("stream_options:", 0) == 0);
  std::string many = R"({"model":"m","messages":[)";
  for (int i = 0; i < 2001; ++i) many += std::string(i ? "," : "") + R"({"role":"user","content":"x"})";
  CHECK(refusal(many + "]}").rfind("messages:", 0) == 0);
}

TEST_CASE("chat request: tools, tool_choice, tool calls and tool messages") {
  auto r = parse_chat_request(Json::parse(R"({"model":"m",
      "tools":[{"type":"function","function":{"name":"get_weather","description":"d","parameters":{"type":"object"}}},
               {"type":"function","function":{"name":"ping"}}],
      "tool_choice":{"type":"function","function":{"name":"ping"}},"parallel_tool_calls":false,
      "messages":[{"role":"user","content":"x"},
        {"role":"assistant","content":null,"refusal":null,"tool_calls":[
          {"id":"a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}},
          {"id":"b","type":"function","function":{"name":"ping","arguments":"{}"}}]},
        {"role":"tool","tool_call_id":"b","content":"pong"},
        {"role":"tool","tool_call_id":"a","content":[{"type":"text","text":"cold"}]}]})"), {});
  REQUIRE(r.tools.size() == 2);
  CHECK(r.tools[0].name == "get_weather");
  CHECK(Json::parse(r.tools[0].parameters).at("type").as_string() == "object");
  CHECK(r.tools[1].parameters.empty());
  CHECK(r.tool_choice.mode == warden::gateway::ToolChoice::Mode::kFunction);
  CHECK(r.tool_choice.function == "ping");
  CHECK_FALSE(r.parallel_tool_calls);
  REQUIRE(r.messages[1].tool_calls.size() == 2);
  CHECK(r.messages[1].tool_calls[0].arguments == R"({"city":"Oslo"})");
  CHECK(r.messages[1].content.empty());
  CHECK(r.messages[2].tool_call_id == "b");
  CHECK(r.messages[3].content == "cold");

  auto plain = parse_chat_request(Json::parse(R"({"model":"m","messages":[{"role":"user","content":"x"}]})"), {});
  CHECK(plain.tool_choice.mode == warden::gateway::ToolChoice::Mode::kNone);
  auto with_tools = parse_chat_request(
      Json::parse(R"({"model":"m","tools":[{"type":"function","function":{"name":"f"}}],"messages":[{"role":"user","content":"x"}]})"), {});
  CHECK(with_tools.tool_choice.mode == warden::gateway::ToolChoice::Mode::kAuto);
}

TEST_CASE("chat request: bad tool use is refused naming the field") {
  const std::string user = R"({"role":"user","content":"x"})";
  auto with = [&](const std::string& fields, const std::string& messages = "") {
    return refusal(R"({"model":"m","messages":[)" + user + messages + "]" + fields + "}");
  };
  const std::string fn = R"({"type":"function","function":{"name":"f"}})";
  CHECK(with(R"(,"tools":[{"type":"retrieval"}])").rfind("tools[0].type:", 0) == 0);
  CHECK(with(R"(,"tools":[{"type":"function","function":{"name":"bad name"}}])").rfind("tools[0].function.name:", 0) == 0);
  CHECK(with(R"(,"tools":[)" + fn + "," + fn + "]").rfind("tools[1].function.name:", 0) == 0);
  CHECK(with(R"(,"tools":[{"type":"function","function":{"name":"f","parameters":"{}"}}])")
            .rfind("tools[0].function.parameters:", 0) == 0);
  CHECK(with(R"(,"tools":[{"type":"function","function":{"name":"f","strict":true}}])").rfind("tools[0].function.strict:", 0) == 0);
  CHECK(with(R"(,"tool_choice":"auto")").rfind("tool_choice:", 0) == 0);
  CHECK(with(R"(,"tools":[)" + fn + R"(],"tool_choice":"sometimes")").rfind("tool_choice:", 0) == 0);
  CHECK(with(R"(,"tools":[)" + fn + R"(],"tool_choice":{"type":"function","function":{"name":"g"}})")
            .rfind("tool_choice.function.name:", 0) == 0);
  CHECK(with(R"(,"functions":[])").rfind("functions:", 0) == 0);
  CHECK(with("", R"(,{"role":"tool","tool_call_id":"a","content":"r"})").rfind("messages[1].role:", 0) == 0);
  const std::string call = R"(,{"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]})";
  CHECK(with("", call + R"(,{"role":"tool","tool_call_id":"zzz","content":"r"})").rfind("messages[2].tool_call_id:", 0) == 0);
  CHECK(with("", call + R"(,{"role":"tool","tool_call_id":"a","content":"r"},{"role":"tool","tool_call_id":"a","content":"r"})")
            .rfind("messages[3].tool_call_id:", 0) == 0);
  CHECK(with("", call + R"(,{"role":"tool","content":"r"})").rfind("messages[2].tool_call_id:", 0) == 0);
  CHECK(with("", R"(,{"role":"assistant","content":null})").rfind("messages[1].content:", 0) == 0);
  CHECK(with("", R"(,{"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":{}}}]})")
            .rfind("messages[1].tool_calls[0].function.arguments:", 0) == 0);
  CHECK(with("", R"(,{"role":"user","content":"x","tool_calls":[]})").rfind("messages[1].tool_calls:", 0) == 0);
  CHECK(with("", R"(,{"role":"function","name":"f","content":"x"})").rfind("messages[1].role:", 0) == 0);
}

// Function calling through the whole chain: tools, assistant tool_calls and tool messages
// are redacted for the model like every other text (one vault per request), the calls the
// model makes come back to the caller as OpenAI tool_calls with pseudonyms restored and the
// output policy applied, plain and streamed, and the audit record keeps both sides. The
// model stage is the test double: a "CALL name ARGS" line becomes a tool call.
#include <catch2/catch.hpp>

#include "core/yaml.h"
#include "gateway_fixture.h"

using namespace warden;
using namespace gateway_test;
using warden::core::Json;

namespace {

const std::string kMailTool =
    R"({"type":"function","function":{"name":"send_mail","description":"Sends an e-mail.",)"
    R"("parameters":{"type":"object","properties":{"to":{"type":"string"},"body":{"type":"string"}},"required":["to"]}}})";

std::string tools_body(const std::string& messages, const std::string& extra = "") {
  return R"({"model":"echo-test","tools":[)" + kMailTool + R"(],"messages":)" + messages + extra + "}";
}

std::string user_message(const std::string& content) {
  return R"([{"role":"user","content":)" + core::json_quote(content) + "}]";
}

}  // namespace

TEST_CASE("tool calls: redacted for the model, restored and filtered for the caller, recorded") {
  Gateway gw;
  gw.set_policy(core::load_document_file(guarded_policy_file()), "guarded", 7);

  SECTION("a call's arguments get the caller's values back; the model only saw placeholders") {
    auto r = gw.curl("POST", "/v1/chat/completions", gw.user_key,
                     tools_body(user_message("Mail ann@example.com please\n"
                                             R"(CALL send_mail {"to": "ann@example.com", "body": "see \"q3.pdf\""})")));
    REQUIRE(r.status == 200);
    auto body = Json::parse(r.body);
    const Json& choice = body.at("choices")[0];
    CHECK(choice.at("finish_reason").as_string() == "tool_calls");
    const Json& message = choice.at("message");
    CHECK(message.at("content").as_string() == "Mail ann@example.com please\n");
    REQUIRE(message.at("tool_calls").size() == 1);
    const Json& call = message.at("tool_calls")[0];
    CHECK(call.at("type").as_string() == "function");
    CHECK(call.at("id").as_string().rfind("call_", 0) == 0);
    CHECK(call.at("function").at("name").as_string() == "send_mail");
    auto args = Json::parse(call.at("function").at("arguments").as_string());
    CHECK(args.at("to").as_string() == "ann@example.com");
    CHECK(args.at("body").as_string() == "see \"q3.pdf\"");

    auto seen = gw.backend.seen_request();
    CHECK(seen.messages.back().content.find("ann@example.com") == std::string::npos);
    CHECK(seen.messages.back().content.find("<EMAIL_ADDRESS_1>") != std::string::npos);
    REQUIRE(seen.tools.size() == 1);
    CHECK(seen.tools[0].name == "send_mail");
    CHECK(Json::parse(seen.tools[0].parameters).at("required")[0].as_string() == "to");

    Json records = gw.records();
    REQUIRE(records.size() == 1);
    const Json& answer = records[0].at("payload").at("answer");
    REQUIRE(answer.at("tool_calls").size() == 1);
    CHECK(answer.at("tool_calls")[0].at("produced_arguments").as_string().find("<EMAIL_ADDRESS_1>") != std::string::npos);
    CHECK(answer.at("tool_calls")[0].at("delivered_arguments").as_string().find("ann@example.com") != std::string::npos);
    CHECK(records[0].at("payload").at("request").at("tools").size() == 1);
  }

  SECTION("streamed: the call arrives as a tool_calls delta, then finish_reason tool_calls and [DONE]") {
    auto r = gw.curl("POST", "/v1/chat/completions", gw.user_key,
                     tools_body(user_message(R"(CALL send_mail {"to":"bo@example.org"})"), R"(,"stream":true)"));
    REQUIRE(r.status == 200);
    auto streamed = parse_sse(r.body);
    REQUIRE(streamed.tool_calls.size() == 1);
    CHECK(streamed.tool_calls[0].name == "send_mail");
    CHECK(streamed.tool_calls[0].id.rfind("call_", 0) == 0);
    CHECK(Json::parse(streamed.tool_calls[0].arguments).at("to").as_string() == "bo@example.org");
    CHECK(streamed.content.empty());
    CHECK(streamed.finish_reason == "tool_calls");
    CHECK(streamed.done);
  }

  SECTION("history: call arguments, tool outputs and tool descriptions share the request's placeholders") {
    std::string messages = R"([{"role":"user","content":"Who is cy@example.com?"},
      {"role":"assistant","content":null,"tool_calls":[{"id":"call_a","type":"function",
        "function":{"name":"send_mail","arguments":"{\"to\": \"cy@example.com\", \"n\": [1, 2.5]}"}}]},
      {"role":"tool","tool_call_id":"call_a","content":"sent to cy@example.com and dee@example.com"},
      {"role":"user","content":"thanks"}])";
    auto r = gw.curl("POST", "/v1/chat/completions", gw.user_key, tools_body(messages));
    REQUIRE(r.status == 200);
    CHECK(Json::parse(r.body).at("choices")[0].at("message").at("content").as_string() == "thanks");
    auto seen = gw.backend.seen_request();
    REQUIRE(seen.messages.size() == 4);
    CHECK(seen.messages[0].content == "Who is <EMAIL_ADDRESS_1>?");
    REQUIRE(seen.messages[1].tool_calls.size() == 1);
    CHECK(seen.messages[1].tool_calls[0].arguments == R"({"to": "<EMAIL_ADDRESS_1>", "n": [1, 2.5]})");
    CHECK(seen.messages[2].role == "tool");
    CHECK(seen.messages[2].tool_call_id == "call_a");
    CHECK(seen.messages[2].content == "sent to <EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_2>");
  }

  SECTION("a secret inside call arguments blocks the request, naming the type only") {
    std::string messages = R"([{"role":"user","content":"deploy"},
      {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",
        "function":{"name":"send_mail","arguments":"{\"to\":\"ops\",\"body\":\"key AKIAIOSFODNN7EXAMPLE\"}"}}]},
      {"role":"tool","tool_call_id":"c1","content":"ok"}])";
    auto r = gw.curl("POST", "/v1/chat/completions", gw.user_key, tools_body(messages));
    CHECK(r.status == 400);
    CHECK(error_code(r) == "content_filter");
    CHECK(r.body.find("AWS_ACCESS_KEY") != std::string::npos);
    CHECK(r.body.find("AKIA") == std::string::npos);
  }

  SECTION("an output rule that fires inside a call's arguments withholds the call") {
    auto r = gw.curl("POST", "/v1/chat/completions", gw.user_key,
                     tools_body(user_message(R"(CALL send_mail {"to":"press","body":"the launch date is May 3"})")));
    REQUIRE(r.status == 200);
    const Json parsed = Json::parse(r.body);
    const Json& choice = parsed.at("choices")[0];
    CHECK(choice.at("finish_reason").as_string() == "content_filter");
    CHECK(choice.at("message").find("tool_calls") == nullptr);
    Json records = gw.records();
    REQUIRE(records.size() == 1);
    CHECK(records[0].at("decision").as_string() == "blocked");
    CHECK(records[0].at("payload").at("answer").at("tool_calls")[0].at("withheld").as_string() == "policy");
  }

  SECTION("tool_choice none and parallel_tool_calls false are kept") {
    auto none = gw.curl("POST", "/v1/chat/completions", gw.user_key,
                        tools_body(user_message("CALL send_mail {}"), R"(,"tool_choice":"none")"));
    REQUIRE(none.status == 200);
    const Json c1_body = Json::parse(none.body);
    const Json& c1 = c1_body.at("choices")[0];
    CHECK(c1.at("finish_reason").as_string() == "stop");
    CHECK(c1.at("message").find("tool_calls") == nullptr);

    auto one = gw.curl("POST", "/v1/chat/completions", gw.user_key,
                       tools_body(user_message("CALL send_mail {\"to\":\"a\"}\nCALL send_mail {\"to\":\"b\"}"),
                                  R"(,"parallel_tool_calls":false)"));
    REQUIRE(one.status == 200);
    const Json c2_body = Json::parse(one.body);
    const Json& c2 = c2_body.at("choices")[0];
    REQUIRE(c2.at("message").at("tool_calls").size() == 1);
    CHECK(c2.at("message").at("tool_calls")[0].at("function").at("arguments").as_string() == R"({"to":"a"})");

    auto two = gw.curl("POST", "/v1/chat/completions", gw.user_key,
                       tools_body(user_message("CALL send_mail {\"to\":\"a\"}\nCALL send_mail {\"to\":\"b\"}")));
    const Json c3_body = Json::parse(two.body);
    const Json& c3 = c3_body.at("choices")[0];
    REQUIRE(c3.at("message").at("tool_calls").size() == 2);
    CHECK(c3.at("message").at("tool_calls")[0].at("id").as_string() != c3.at("message").at("tool_calls")[1].at("id").as_string());
  }

  SECTION("a model without a tool-call format refuses tools by name") {
    gw.backend.tools = false;
    auto r = gw.curl("POST", "/v1/chat/completions", gw.user_key, tools_body(user_message("hi")));
    CHECK(r.status == 400);
    CHECK(Json::parse(r.body).at("error").at("param").as_string() == "tools");
    CHECK(gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("hi")).status == 200);
  }
}

TEST_CASE("tool calls with the official openai npm client") {
  Gateway gw;
  gw.set_policy(core::load_document_file(guarded_policy_file()), "guarded", 7);
  std::string out = run("cd " + std::string(WARDEN_SOURCE_DIR) + " && node tests/gateway/tools/openai_tools_client.mjs " +
                        shell_quote(gw.base + "/v1") + " " + shell_quote(gw.user_key) + " 2>&1");
  INFO(out);
  auto result = Json::parse(out.substr(out.rfind("\n{") == std::string::npos ? 0 : out.rfind("\n{") + 1));
  CHECK(result.at("finish_reason").as_string() == "tool_calls");
  CHECK(result.at("name").as_string() == "send_mail");
  CHECK(Json::parse(result.at("arguments").as_string()).at("to").as_string() == "eve@example.com");
  CHECK(result.at("stream_name").as_string() == "send_mail");
  CHECK(Json::parse(result.at("stream_arguments").as_string()).at("to").as_string() == "eve@example.com");
  CHECK(result.at("stream_finish_reason").as_string() == "tool_calls");
  CHECK(result.at("after_tool").as_string() == "sent");
}

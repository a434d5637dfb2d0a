// The gateway's HTTP surface against a real PostgreSQL, driven by real clients: curl and
// the official `openai` npm package. The model stage is a test double (tests only): it
// streams the last user message back word by word, so the assertions can check content.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "gateway_fixture.h"

using namespace warden;
using namespace gateway_test;
using warden::core::Json;

TEST_CASE("gateway HTTP API with curl and the openai client against a real PostgreSQL") {
  Gateway gw;

  SECTION("health, readiness, metrics and request ids") {
    CHECK(gw.curl("GET", "/healthz", "").status == 200);
    auto ready = gw.curl("GET", "/readyz", "");
    CHECK(ready.status == 200);
    CHECK(Json::parse(ready.body).at("database").as_bool());
    auto echoed = gw.curl("GET", "/healthz", "", "", "-H 'x-request-id: abc-123'");
    CHECK(echoed.headers.find("x-request-id: abc-123") != std::string::npos);
    auto fresh = gw.curl("GET", "/healthz", "");
    CHECK(fresh.headers.find("x-request-id: req_") != std::string::npos);
    gw.curl("GET", "/v1/models", gw.user_key);
    auto metrics = gw.curl("GET", "/metrics", "");
    CHECK(metrics.body.find("warden_http_requests_total{route=\"/v1/models\",status=\"200\"} 1") != std::string::npos);
    CHECK(metrics.body.find("warden_http_request_duration_seconds_bucket") != std::string::npos);
  }

  SECTION("authentication and roles") {
    CHECK(error_code(gw.curl("GET", "/v1/models", "")) == "invalid_api_key");
    CHECK(gw.curl("GET", "/v1/models", "").status == 401);
    CHECK(gw.curl("GET", "/v1/models", "sk-not-ours").status == 401);
    auto basic = gw.curl("GET", "/v1/models", "", "", "-H 'Authorization: Basic dXNlcjpwYXNz'");
    CHECK(basic.status == 401);
    CHECK(basic.body.find("Bearer") != std::string::npos);
    std::string forged = gw.user_key;
    forged.back() = forged.back() == 'a' ? 'b' : 'a';
    CHECK(gw.curl("GET", "/v1/models", forged).status == 401);
    CHECK(gw.curl("GET", "/v1/models", gw.admin_key).status == 403);
    CHECK(gw.curl("GET", "/admin/v1/keys", gw.user_key).status == 403);
    CHECK(gw.curl("GET", "/audit/v1/records", gw.user_key).status == 403);
    CHECK(gw.curl("GET", "/v1/models", gw.user_key).status == 200);
  }

  SECTION("models") {
    auto list = Json::parse(gw.curl("GET", "/v1/models", gw.user_key).body);
    CHECK(list.at("data")[0].at("id").as_string() == "echo-test");
    CHECK(gw.curl("GET", "/v1/models/echo-test", gw.user_key).status == 200);
    CHECK(error_code(gw.curl("GET", "/v1/models/gpt-9", gw.user_key)) == "model_not_found");
  }

  SECTION("chat completions, plain and streamed") {
    auto r = gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("hello there world"));
    REQUIRE(r.status == 200);
    auto body = Json::parse(r.body);
    CHECK(body.at("object").as_string() == "chat.completion");
    CHECK(body.at("choices")[0].at("message").at("content").as_string() == "hello there world");
    CHECK(body.at("choices")[0].at("finish_reason").as_string() == "stop");
    CHECK(body.at("usage").at("completion_tokens").as_int() == 3);

    auto limited = Json::parse(gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("a b c d", R"(,"max_tokens":2)")).body);
    CHECK(limited.at("choices")[0].at("finish_reason").as_string() == "length");

    auto s = gw.curl("POST", "/v1/chat/completions", gw.user_key,
                     chat_body("one two", R"(,"stream":true,"stream_options":{"include_usage":true})"));
    REQUIRE(s.status == 200);
    CHECK(s.headers.find("text/event-stream") != std::string::npos);
    std::string content;
    int usage_chunks = 0;
    std::string last_line;
    size_t pos = 0;
    while ((pos = s.body.find("data: ", pos)) != std::string::npos) {
      size_t end = s.body.find("\n\n", pos);
      std::string data = s.body.substr(pos + 6, end - pos - 6);
      last_line = data;
      pos = end;
      if (data == "[DONE]") break;
      auto chunk = Json::parse(data);
      CHECK(chunk.at("object").as_string() == "chat.completion.chunk");
      if (chunk.at("choices").size() == 0) {
        ++usage_chunks;
        CHECK(chunk.at("usage").at("completion_tokens").as_int() == 2);
        continue;
      }
      if (const Json* c = chunk.at("choices")[0].at("delta").find("content")) content += c->as_string();
    }
    CHECK(content == "one two");
    CHECK(usage_chunks == 1);
    CHECK(last_line == "[DONE]");
  }

  SECTION("bad input gets clear errors and the server stays up") {
    auto malformed = gw.curl("POST", "/v1/chat/completions", gw.user_key, "{\"model\": ");
    CHECK(malformed.status == 400);
    CHECK(error_code(malformed) == "invalid_json");
    CHECK(gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("x", R"(,"n":3)")).status == 400);
    CHECK(gw.curl("POST", "/v1/chat/completions", gw.user_key, R"({"model":"nope","messages":[{"role":"user","content":"x"}]})")
              .status == 404);
    CHECK(gw.curl("POST", "/v1/chat/completions", gw.user_key, "{\"model\":\"echo-test\",\"messages\":[{\"role\":\"user\",\"content\":\"\xC3\x28\"}]}")
              .status == 400);
    std::string many = R"({"model":"echo-test","messages":[)";
    for (int i = 0; i < 51; ++i) many += std::string(i ? "," : "") + R"({"role":"user","content":"x"})";
    CHECK(gw.curl("POST", "/v1/chat/completions", gw.user_key, many + "]}").status == 400);
    auto huge = gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body(std::string(70000, 'a')));
    CHECK(huge.status == 413);
    CHECK(gw.curl("GET", "/v1/chat/completions", gw.user_key).status == 405);
    CHECK(gw.curl("GET", "/nowhere", "").status == 404);
    CHECK(gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("overload")).status == 503);
    CHECK(gw.curl("GET", "/healthz", "").status == 200);
  }

  SECTION("a slowloris client is cut off at the read deadline") {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(gw.server->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    const char* partial = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    REQUIRE(::send(fd, partial, strlen(partial), 0) > 0);
    auto started = std::chrono::steady_clock::now();
    char buf[64];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);  // blocks until the server closes
    auto waited = std::chrono::steady_clock::now() - started;
    ::close(fd);
    CHECK(n <= 0);
    CHECK(waited < std::chrono::seconds(5));
    CHECK(gw.curl("GET", "/healthz", "").status == 200);
  }

  SECTION("client disconnect cancels generation") {
    run("curl -s -m 0.5 -H " + shell_quote("Authorization: Bearer " + gw.user_key) +
        " -H 'Content-Type: application/json' --data-binary " + shell_quote(chat_body("slow")) + " " +
        shell_quote(gw.base + "/v1/chat/completions") + " 2>&1");
    for (int i = 0; i < 100 && gw.backend.cancelled == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(gw.backend.cancelled == 1);
  }

  SECTION("admin API: create, list and revoke keys; revocation applies to the next request") {
    auto created = gw.curl("POST", "/admin/v1/keys", gw.admin_key, R"({"name":"svc","team":"team-b","role":"user"})");
    REQUIRE(created.status == 201);
    std::string secret = Json::parse(created.body).at("secret").as_string();
    std::string id = Json::parse(created.body).at("id").as_string();
    CHECK(gw.curl("GET", "/v1/models", secret).status == 200);
    auto list = gw.curl("GET", "/admin/v1/keys", gw.admin_key);
    CHECK(list.body.find(id) != std::string::npos);
    CHECK(list.body.find("wdn_") == std::string::npos);  // secrets are never listed
    CHECK(gw.curl("POST", "/admin/v1/keys", gw.admin_key, R"({"name":"x","team":"t","role":"root"})").status == 400);
    CHECK(gw.curl("DELETE", "/admin/v1/keys/" + id, gw.admin_key).status == 200);
    auto after = gw.curl("GET", "/v1/models", secret);
    CHECK(after.status == 401);
    CHECK(after.body.find("revoked") != std::string::npos);
    CHECK(gw.curl("DELETE", "/admin/v1/keys/" + id, gw.admin_key).status == 404);
  }

  SECTION("rate limits answer 429 with Retry-After; team limits apply") {
    // Out of the column's range: a 400 naming the field, not a database error.
    auto huge = gw.curl("PUT", "/admin/v1/teams/team-c", gw.admin_key, R"({"requests_per_minute":3000000000})");
    CHECK(huge.status == 400);
    CHECK(huge.body.find("requests_per_minute") != std::string::npos);
    auto huge_key = gw.curl("POST", "/admin/v1/keys", gw.admin_key,
                            R"({"name":"big","team":"team-c","requests_per_minute":3000000000})");
    CHECK(huge_key.status == 400);
    CHECK(huge_key.body.find("requests_per_minute") != std::string::npos);
    REQUIRE(gw.curl("PUT", "/admin/v1/teams/team-c", gw.admin_key, R"({"requests_per_minute":3})").status == 200);
    auto created = gw.curl("POST", "/admin/v1/keys", gw.admin_key, R"({"name":"limited","team":"team-c"})");
    std::string secret = Json::parse(created.body).at("secret").as_string();
    for (int i = 0; i < 3; ++i) CHECK(gw.curl("GET", "/v1/models", secret).status == 200);
    auto limited = gw.curl("GET", "/v1/models", secret);
    CHECK(limited.status == 429);
    CHECK(limited.headers.find("Retry-After: ") != std::string::npos);
    CHECK(error_code(limited) == "rate_limit_exceeded");
  }

  SECTION("the official openai npm client: models, chat, streamed chat, 401, 429") {
    REQUIRE(gw.curl("PUT", "/admin/v1/teams/team-npm", gw.admin_key, R"({"requests_per_minute":5})").status == 200);
    auto created = gw.curl("POST", "/admin/v1/keys", gw.admin_key, R"({"name":"npm","team":"team-npm"})");
    std::string secret = Json::parse(created.body).at("secret").as_string();
    std::string out = run("cd " + std::string(WARDEN_SOURCE_DIR) + " && node tests/gateway/tools/openai_client.mjs " +
                          shell_quote(gw.base + "/v1") + " " + shell_quote(secret) + " 2>&1");
    INFO(out);
    auto result = Json::parse(out.substr(out.rfind("\n{") == std::string::npos ? 0 : out.rfind("\n{") + 1));
    CHECK(result.at("models").as_string() == "echo-test");
    CHECK(result.at("chat").as_string() == "hello from npm");
    CHECK(result.at("stream").as_string() == "streamed words here");
    CHECK(result.at("unauthorized").as_int() == 401);
    CHECK(result.at("rate_limited").as_int() == 429);
  }
}

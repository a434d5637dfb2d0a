// The gateway's HTTP surface against a real PostgreSQL, driven by real clients: curl and
// the official `openai` npm package. The model stage is a test double (tests only): it
// streams the last user message back word by word, so the assertions can check content.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <thread>

#include "core/embedded_pg.h"
#include "core/json.h"
#include "core/migrations.h"
#include "core/pg_pool.h"
#include "gateway/api_error.h"
#include "gateway/app.h"
#include "gateway/key_store.h"
#include "gateway/server.h"

using namespace warden;
using warden::core::Json;

namespace {

class EchoBackend : public gateway::ChatBackend {
 public:
  std::string model_id() const override { return "echo-test"; }
  int64_t created_at() const override { return 1700000000; }
  bool ready() const override { return true; }
  double queue_depth() const override { return 0; }
  std::atomic<int> cancelled{0};
  std::function<void()> start(const gateway::ChatRequest& request,
                              std::function<void(const gateway::GenerationEvent&)> on_event) override {
    std::string text = request.messages.back().content;
    if (text == "overload") throw gateway::ApiError::unavailable("the model queue is full");
    auto stop = std::make_shared<std::atomic<bool>>(false);
    std::thread([this, text, on_event, stop, slow = text == "slow", max = request.max_tokens.value_or(100)] {
      int words = 0;
      size_t start = 0;
      while (start < text.size() && words < max) {
        if (*stop) {
          ++cancelled;
          return;
        }
        size_t space = text.find(' ', start);
        std::string word = text.substr(start, space == std::string::npos ? std::string::npos : space - start + 1);
        on_event({gateway::GenerationEvent::Kind::kDelta, word});
        ++words;
        start = space == std::string::npos ? text.size() : space + 1;
      }
      for (int i = 0; slow && i < 300; ++i) {
        if (*stop) {
          ++cancelled;
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      gateway::GenerationEvent done{gateway::GenerationEvent::Kind::kDone};
      done.finish_reason = words >= max ? "length" : "stop";
      done.prompt_tokens = 5;
      done.completion_tokens = words;
      on_event(done);
    }).detach();
    return [stop] { *stop = true; };
  }
};

struct CurlResult {
  int status = 0;
  std::string headers;
  std::string body;
};

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  REQUIRE(p);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  pclose(p);
  return out;
}

struct Gateway {
  std::unique_ptr<core::EmbeddedPostgres> pg = core::EmbeddedPostgres::temporary();
  std::unique_ptr<core::PgPool> pool;
  std::unique_ptr<gateway::KeyStore> keys;
  EchoBackend backend;
  gateway::Metrics metrics;
  std::unique_ptr<gateway::App> app;
  std::unique_ptr<gateway::HttpServer> server;
  std::string base, user_key, admin_key, auditor_key;

  Gateway() {
    pg->start();
    pg->create_database("warden");
    {
      pqxx::connection conn(pg->conninfo("warden"));
      core::apply_migrations(conn, std::string(WARDEN_SOURCE_DIR) + "/migrations");
    }
    pool = std::make_unique<core::PgPool>(pg->conninfo("warden"), 4);
    keys = std::make_unique<gateway::KeyStore>(*pool, std::string(32, 'k'));
    user_key = keys->create({"u", "team-a", gateway::Role::kUser, 1000, std::nullopt}).secret;
    admin_key = keys->create({"a", "admins", gateway::Role::kAdmin, std::nullopt, std::nullopt}).secret;
    auditor_key = keys->create({"r", "compliance", gateway::Role::kAuditor, std::nullopt, std::nullopt}).secret;
    gateway::register_gateway_metrics(metrics);
    core::Config config;
    config.server.port = 0;
    config.server.max_body_bytes = 64 * 1024;
    config.server.read_timeout_ms = 1500;
    config.limits.max_messages = 50;
    gateway::AppDeps deps{config, keys.get(), &backend, [this] { return pool->healthy(); }, &metrics};
    app = std::make_unique<gateway::App>(deps);
    server = std::make_unique<gateway::HttpServer>(
        config.server, [this](const gateway::HttpRequest& r, std::shared_ptr<gateway::Responder> w) { app->handle(r, w); },
        [this](int s) { app->count_early_error(s); });
    server->start();
    base = "http://127.0.0.1:" + std::to_string(server->port());
  }
  ~Gateway() { server->shutdown(std::chrono::milliseconds(2000)); }

  CurlResult curl(const std::string& method, const std::string& path, const std::string& key, const std::string& body = "",
                  const std::string& extra = "") {
    std::string cmd = "curl -s -S -D - -o - -X " + method + " " + extra + " ";
    if (!key.empty()) cmd += "-H " + shell_quote("Authorization: Bearer " + key) + " ";
    if (!body.empty()) cmd += "-H 'Content-Type: application/json' --data-binary " + shell_quote(body) + " ";
    cmd += shell_quote(base + path) + " 2>&1";
    std::string out = run(cmd);
    CurlResult r;
    size_t split = out.find("\r\n\r\n");
    REQUIRE(split != std::string::npos);
    r.headers = out.substr(0, split);
    r.body = out.substr(split + 4);
    r.status = std::stoi(r.headers.substr(9, 3));
    return r;
  }
};

std::string chat_body(const std::string& content, const std::string& extra = "") {
  return R"({"model":"echo-test","messages":[{"role":"user","content":)" + core::json_quote(content) + "}]" + extra + "}";
}

std::string error_code(const CurlResult& r) { return Json::parse(r.body).at("error").at("code").as_string(); }

}  // namespace

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

#include "gateway_fixture.h"

#include "tests/support/test_pg.h"

#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <thread>

#include "core/yaml.h"
#include "gateway/api_error.h"

using namespace warden;
using warden::core::Json;

namespace gateway_test {
int64_t EchoBackend::count_prompt_tokens(const gateway::ChatRequest& request) const {
  int64_t words = 0;
  for (const auto& m : request.messages) {
    bool in_word = false;
    for (char c : m.content) {
      bool space = c == ' ' || c == '\n' || c == '\t';
      if (!space && !in_word) ++words;
      in_word = !space;
    }
  }
  return words;
}

std::function<void()> EchoBackend::start(const gateway::ChatRequest& request,
                                         std::function<void(const gateway::GenerationEvent&)> on_event) {
  std::string text = request.messages.back().content;
  {
    std::lock_guard lock(mutex);
    last_prompt = text;
    last_request = request;
  }
  if (on_start) on_start(request);
  if (text == "overload") throw gateway::ApiError::unavailable("the model queue is full");
  auto stop = std::make_shared<std::atomic<bool>>(false);
  std::thread([this, text, on_event, stop, slow = text == "slow", max = request.max_tokens.value_or(100),
               delay = delay_ms.load()] {
    if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    int words = 0;
    size_t start = 0;
    while (start < text.size() && words < max) {
      if (*stop) {
        ++cancelled;
        return;
      }
      const bool line_start = start == 0 || text[start - 1] == '\n';
      if (line_start && (text.compare(start, 5, "CALL ") == 0 || text.compare(start, 8, "PARTIAL ") == 0)) {
        size_t end = text.find('\n', start);
        std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        const bool partial = line[0] == 'P';
        line.erase(0, partial ? 8 : 5);
        size_t sp = line.find(' ');
        gateway::GenerationEvent call;
        call.kind = gateway::GenerationEvent::Kind::kToolCall;
        call.tool_name = line.substr(0, sp);
        call.tool_arguments = sp == std::string::npos ? "" : line.substr(sp + 1);
        call.tool_call_complete = !partial;
        on_event(call);
        ++words;
        start = end == std::string::npos ? text.size() : end + 1;
        continue;
      }
      size_t space = text.find_first_of(" \n", start);
      std::string word = text.substr(start, space == std::string::npos ? std::string::npos : space - start + 1);
      gateway::GenerationEvent delta;
      delta.text = word;
      on_event(delta);
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
    gateway::GenerationEvent done;
    done.kind = gateway::GenerationEvent::Kind::kDone;
    done.finish_reason = words >= max ? "length" : "stop";
    done.prompt_tokens = 5;
    done.completion_tokens = words;
    on_event(done);
  }).detach();
  return [stop] { *stop = true; };
}

std::string EchoBackend::seen_prompt() {
  std::lock_guard lock(mutex);
  return last_prompt;
}

gateway::ChatRequest EchoBackend::seen_request() {
  std::lock_guard lock(mutex);
  return last_request;
}

std::string guarded_policy_file() { return std::string(WARDEN_SOURCE_DIR) + "/tests/policy/data/guarded_test_policy.yaml"; }

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

std::string chat_body(const std::string& content, const std::string& extra) {
  return R"({"model":"echo-test","messages":[{"role":"user","content":)" + core::json_quote(content) + "}]" + extra + "}";
}

std::string error_code(const CurlResult& r) { return Json::parse(r.body).at("error").at("code").as_string(); }

StreamedAnswer parse_sse(const std::string& body) {
  StreamedAnswer a;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    size_t end = body.find("\n\n", pos);
    std::string data = body.substr(pos + 6, end - pos - 6);
    pos = end;
    if (data == "[DONE]") {
      a.done = true;
      break;
    }
    auto chunk = Json::parse(data);
    if (const Json* error = chunk.find("error")) {
      a.error_code = error->at("code").as_string();
      continue;
    }
    if (chunk.at("choices").size() == 0) {
      ++a.usage_chunks;
      continue;
    }
    const Json& choice = chunk.at("choices")[0];
    if (const Json* c = choice.at("delta").find("content")) a.content += c->as_string();
    if (const Json* calls = choice.at("delta").find("tool_calls")) {
      for (const Json& call : calls->as_array()) {
        const size_t index = static_cast<size_t>(call.at("index").as_int());
        if (a.tool_calls.size() <= index) a.tool_calls.resize(index + 1);
        StreamedToolCall& t = a.tool_calls[index];
        if (const Json* id = call.find("id")) t.id += id->as_string();
        if (const Json* fn = call.find("function")) {
          if (const Json* n = fn->find("name")) t.name += n->as_string();
          if (const Json* args = fn->find("arguments")) t.arguments += args->as_string();
        }
      }
    }
    if (!choice.at("finish_reason").is_null()) a.finish_reason = choice.at("finish_reason").as_string();
  }
  return a;
}

std::shared_ptr<const policy::CompiledPolicy> default_policy(int64_t version) {
  Json document = core::load_document_file(std::string(WARDEN_SOURCE_DIR) + "/policy/defaults/default.yaml");
  return policy::CompiledPolicy::compile(document, {"default", version});
}

Gateway::Gateway() {
  static std::atomic<int> counter{0};
  const std::string name = "gw" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  conninfo = test_pg::fresh_database(name);
  dir = std::filesystem::temp_directory_path() / ("warden-" + name);
  std::filesystem::create_directories(dir);
  pool = std::make_unique<core::PgPool>(conninfo + " user=warden_gateway", 4);  // the run-time role
  keys = std::make_unique<gateway::KeyStore>(*pool, std::string(32, 'k'));
  user_key = keys->create({"u", "team-a", gateway::Role::kUser, 1000, std::nullopt}).secret;
  admin_key = keys->create({"a", "admins", gateway::Role::kAdmin, std::nullopt, std::nullopt}).secret;
  auditor_key = keys->create({"r", "compliance", gateway::Role::kAuditor, std::nullopt, std::nullopt}).secret;

  audit::WriterConfig wc;
  wc.conninfo = conninfo + " user=warden_gateway";
  wc.reviewers = {reviewer->public_key()};
  std::shared_ptr<const audit::SigningKey> signing = audit::generate_signing_key();
  signing_public = signing->public_key();
  wc.signing_key = signing;
  wc.spool_path = dir / "audit.spool";
  wc.reconnect_interval = std::chrono::milliseconds(100);
  wc.log = [](const std::string&) {};
  writer = std::make_unique<audit::AuditWriter>(wc);

  auto fallback = default_policy();
  policies_ = std::make_shared<policy::PolicySet>(std::vector<std::shared_ptr<const policy::CompiledPolicy>>{fallback},
                                                  fallback);
  gateway::register_gateway_metrics(metrics);
  core::Config config;
  config.server.port = 0;
  config.server.max_body_bytes = 64 * 1024;
  config.server.read_timeout_ms = 1500;
  config.limits.max_messages = 50;
  gateway::AppDeps deps;
  deps.config = config;
  deps.keys = keys.get();
  deps.backend = &backend;
  deps.database_ready = [this] { return pool->healthy(); };
  deps.metrics = &metrics;
  deps.policies = [this] {
    std::lock_guard lock(policy_mutex_);
    return policies_;
  };
  deps.audit = writer.get();
  deps.audit_conninfo = conninfo + " user=warden_gateway";
  deps.trusted_signing_keys = {signing_public};
  app = std::make_unique<gateway::App>(deps);
  server = std::make_unique<gateway::HttpServer>(
      config.server, [this](const gateway::HttpRequest& r, std::shared_ptr<gateway::Responder> w) { app->handle(r, w); },
      [this](int s) { app->count_early_error(s); });
  server->start();
  base = "http://127.0.0.1:" + std::to_string(server->port());
}

Gateway::~Gateway() {
  server->shutdown(std::chrono::milliseconds(2000));
  writer->close();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

CurlResult Gateway::curl(const std::string& method, const std::string& path, const std::string& key, const std::string& body,
                         const std::string& extra) {
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

void Gateway::set_policies(std::shared_ptr<const policy::PolicySet> set) {
  std::lock_guard lock(policy_mutex_);
  policies_ = std::move(set);
}

void Gateway::set_policy(const Json& document, const std::string& name, int64_t version) {
  auto compiled = policy::CompiledPolicy::compile(document, {name, version});
  set_policies(std::make_shared<policy::PolicySet>(std::vector<std::shared_ptr<const policy::CompiledPolicy>>{compiled}, nullptr));
}

Json Gateway::records(const std::string& kind) {
  writer->flush();
  audit::AuditReader reader(conninfo);
  audit::SearchQuery q;
  q.kind = kind;
  q.limit = 1000;
  return reader.search(q, reviewer.get()).at("records");
}

}  // namespace gateway_test

// Policy activation under load (issue 5): a few thousand chat requests in flight through
// App::handle while another thread keeps activating versions of one policy through the
// PolicyStore, so that the PolicyRegistry swaps its snapshot via LISTEN/NOTIFY as it does
// in `warden serve`. Every version differs observably — its own blocked word, its own
// placeholder for a custom entity, its own required system prompt — so the response, the
// prompt the model got and the decrypted audit record each name the version a request was
// served under, and all three must name the same one. That version must also have been
// active while the request ran (no stale snapshot).
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "audit/reader.h"
#include "core/log.h"
#include "gateway/app.h"
#include "gateway_fixture.h"
#include "policy/policy_registry.h"
#include "policy/policy_store.h"

using namespace warden;
using namespace gateway_test;
using warden::core::Json;

namespace {

constexpr int kVersions = 5;
constexpr int kRequests = 3000;
constexpr int kClientThreads = 8;
constexpr int kInFlightPerClient = 24;  // 192 requests in flight at most
constexpr int kModelDelayMs = 3;
const char* const kPolicyName = "concurrency";

std::string system_prompt_of(int version) { return "You are served by policy version " + std::to_string(version) + "."; }
std::string block_message_of(int version) {
  return "Version " + std::to_string(version) + " refuses alpha" + std::to_string(version) + ".";
}
std::string placeholder_of(int version) { return "<TAG_V" + std::to_string(version) + ">"; }

// Version k blocks "alphaK", masks ZZ-dddd as <TAG_VK> and prepends a system prompt naming k.
// Builtin detectors are off (default_action: allow) so that a version compiles in about a
// millisecond and nothing else changes the text.
std::string version_document(int k) {
  std::string n = std::to_string(k);
  return "description: concurrency test, version " + n +
         "\n"
         "bindings: {default: true}\n"
         "redaction:\n"
         "  default_action: allow\n"
         "  custom:\n"
         "    - name: TAG_V" + n +
         "\n"
         "      regex: '\\bZZ-\\d{4}\\b'\n"
         "      max_len: 16\n"
         "      action: mask\n"
         "guardrails:\n"
         "  input:\n"
         "    - id: block-alpha" + n +
         "\n"
         "      kind: deny_topics\n"
         "      action: block\n"
         "      message: " + block_message_of(k) +
         "\n"
         "      phrases: [alpha" + n +
         "]\n"
         "    - id: prompt-v" + n +
         "\n"
         "      kind: system_prompt\n"
         "      text: " + system_prompt_of(k) + "\n";
}

// The user message of request `id`; `word` picks which version's blocked word it carries.
std::string user_text(int id, int word) {
  return "r" + std::to_string(id) + " alpha" + std::to_string(word) + " ZZ-" + std::to_string(1000 + id % 9000);
}
std::string answer_under(int id, int word, int version) {
  return "r" + std::to_string(id) + " alpha" + std::to_string(word) + " " + placeholder_of(version);
}

// "r<id> ..." -> id, or -1.
int request_id_of(const std::string& text) {
  if (text.size() < 2 || text[0] != 'r') return -1;
  size_t end = text.find(' ');
  try {
    return std::stoi(text.substr(1, end - 1));
  } catch (const std::exception&) {
    return -1;
  }
}

struct Exchange {
  int id = 0;
  int word = 0;
  bool stream = false;
  gateway::HttpRequest http;  // kept alive until the response ends
  uint64_t start_ticket = 0;
  uint64_t end_ticket = 0;
  int status = 0;
  std::string body;
  int sends = 0;  // send() or end() calls: exactly one is expected
};

// Collects one response (plain or streamed) and reports when it is complete.
class CapturingResponder : public gateway::Responder {
 public:
  CapturingResponder(Exchange* exchange, std::function<void(Exchange&)> finished)
      : exchange_(exchange), finished_(std::move(finished)) {}
  void send(gateway::HttpResponse response) override {
    exchange_->status = response.status;
    exchange_->body = std::move(response.body);
    ++exchange_->sends;
    finished_(*exchange_);
  }
  void start_stream(int status, std::string, std::vector<std::pair<std::string, std::string>>) override {
    std::lock_guard lock(mutex_);
    exchange_->status = status;
  }
  void write(std::string chunk) override {
    std::lock_guard lock(mutex_);
    exchange_->body += chunk;
  }
  void end() override {
    {
      std::lock_guard lock(mutex_);
      ++exchange_->sends;
    }
    finished_(*exchange_);
  }
  bool disconnected() const override { return false; }
  void on_disconnect(std::function<void()>) override {}

 private:
  Exchange* exchange_;
  std::function<void(Exchange&)> finished_;
  std::mutex mutex_;
};

// What the model was given, by request id.
struct ModelLog {
  std::mutex mutex;
  std::map<int, std::vector<gateway::ChatMessage>> prompts;
  std::vector<std::string> problems;
};

// Registry swaps in the order they happened, each with a ticket from the same counter the
// requests draw from when they start and end.
struct SwapLog {
  std::mutex mutex;
  std::vector<std::pair<uint64_t, int64_t>> swaps;  // (ticket, version)
};

int64_t version_in(const policy::PolicySet& set) {
  for (const auto& p : set.active()) {
    if (p->identity().name == kPolicyName) return p->identity().version;
  }
  return -1;
}

// The versions a request that started at `start` and ended at `end` may have pinned: the one
// active at its start, any installed while it ran, and the next one after its end (the swap
// callback runs just after the snapshot is visible, so its ticket may trail a reader's).
std::set<int64_t> allowed_versions(const std::vector<std::pair<uint64_t, int64_t>>& swaps, uint64_t start, uint64_t end) {
  std::set<int64_t> allowed;
  int64_t before = -1;
  for (const auto& [ticket, version] : swaps) {
    if (ticket < start) {
      before = version;
    } else if (ticket <= end) {
      allowed.insert(version);
    } else {
      allowed.insert(version);
      break;
    }
  }
  if (before >= 0) allowed.insert(before);
  return allowed;
}

Json message(const std::string& role, const std::string& content) {
  Json m = Json::object();
  m["role"] = role;
  m["content"] = content;
  return m;
}

}  // namespace

TEST_CASE("requests in flight while policy versions are activated each see exactly one version, and their records name it") {
  core::log_init(core::LogLevel::kWarn, "");  // not a "policies loaded" line per swap
  Gateway gw;
  // The store, the registry and the App as `warden serve` wires them (gateway/serve.cpp),
  // on the fixture's database, audit writer and key store.
  core::PgPool store_pool(gw.conninfo + " user=warden_gateway", 2);
  policy::PolicyStore store(store_pool);
  for (int k = 1; k <= kVersions; ++k) {
    auto saved = store.save(kPolicyName, version_document(k), "tester", "version " + std::to_string(k));
    REQUIRE(saved.version.version == k);
  }
  store.activate(kPolicyName, 1, "tester");

  std::atomic<uint64_t> tickets{1};
  SwapLog swap_log;
  policy::PolicyRegistry::Options registry_options;
  registry_options.seed_when_empty = false;
  policy::PolicyRegistry registry(store, gw.conninfo + " user=warden_gateway", registry_options);
  registry.on_reload([&](const policy::PolicySet& set) {
    std::lock_guard lock(swap_log.mutex);
    swap_log.swaps.push_back({tickets++, version_in(set)});
  });
  auto loaded = registry.start();
  REQUIRE(loaded.ok);
  REQUIRE(registry.current());
  {
    std::lock_guard lock(swap_log.mutex);
    if (swap_log.swaps.empty()) swap_log.swaps.push_back({tickets++, version_in(*registry.current())});
    REQUIRE(swap_log.swaps.back().second == 1);
  }
  // Wait for the LISTEN connection, else early activations are only seen by the poll.
  for (int i = 0; i < 200 && !registry.watching(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(registry.watching());

  std::string key =
      gw.keys->create({"load", "team-load", gateway::Role::kUser, int64_t{100000000}, int64_t{1000000000}}).secret;
  gateway::Metrics metrics;
  gateway::register_gateway_metrics(metrics);
  gateway::AppDeps deps;
  deps.config.limits.max_messages = 50;
  deps.keys = gw.keys.get();
  deps.backend = &gw.backend;
  deps.metrics = &metrics;
  deps.database_ready = [] { return true; };
  deps.policies = [&registry] { return registry.current(); };
  deps.audit = gw.writer.get();
  deps.policy_store = &store;
  deps.policy_registry = &registry;
  gateway::App app(deps);

  auto model_log = std::make_shared<ModelLog>();
  gw.backend.delay_ms = kModelDelayMs;
  gw.backend.on_start = [model_log](const gateway::ChatRequest& request) {
    int id = request.messages.empty() ? -1 : request_id_of(request.messages.back().content);
    std::lock_guard lock(model_log->mutex);
    if (id < 0) {
      model_log->problems.push_back("the model got a request without an id");
    } else if (!model_log->prompts.emplace(id, request.messages).second) {
      model_log->problems.push_back("the model got request r" + std::to_string(id) + " twice");
    }
  };

  std::vector<Exchange> exchanges(kRequests);
  std::mt19937 rng(20240605);
  for (int i = 0; i < kRequests; ++i) {
    exchanges[i].id = i;
    exchanges[i].word = 1 + static_cast<int>(rng() % kVersions);
    exchanges[i].stream = i % 2 == 1;
  }

  // Activations: a different version every few milliseconds until the requests are done.
  std::atomic<bool> requests_done{false};
  std::atomic<int> activations{0};
  std::vector<std::string> activation_errors;
  std::thread activator([&] {
    std::mt19937 pick(7);
    int64_t active = 1;
    while (!requests_done) {
      int64_t next = 1 + static_cast<int64_t>(pick() % (kVersions - 1));
      if (next >= active) ++next;  // any version but the active one
      try {
        store.activate(kPolicyName, next, "tester");
        active = next;
        ++activations;
      } catch (const std::exception& e) {
        activation_errors.push_back(e.what());
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(8));
    }
  });

  std::mutex done_mutex;
  std::condition_variable done_cv;
  int completed = 0;
  std::vector<int> in_flight(kClientThreads, 0);
  int total_in_flight = 0;
  int max_in_flight = 0;
  auto started_at = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < kClientThreads; ++c) {
    clients.emplace_back([&, c] {
      for (int i = c; i < kRequests; i += kClientThreads) {
        {
          std::unique_lock lock(done_mutex);
          done_cv.wait(lock, [&] { return in_flight[c] < kInFlightPerClient; });
          ++in_flight[c];
          max_in_flight = std::max(max_in_flight, ++total_in_flight);
        }
        Exchange& x = exchanges[i];
        x.http.method = "POST";
        x.http.target = x.http.path = "/v1/chat/completions";
        x.http.headers["authorization"] = "Bearer " + key;
        x.http.headers["content-type"] = "application/json";
        x.http.body = chat_body(user_text(x.id, x.word), x.stream ? R"(,"stream":true)" : "");
        x.http.remote_address = "127.0.0.1";
        x.http.request_id = "conc-" + std::to_string(i);
        auto responder = std::make_shared<CapturingResponder>(&x, [&, c](Exchange& finished) {
          finished.end_ticket = tickets++;
          std::lock_guard lock(done_mutex);
          --in_flight[c];
          --total_in_flight;
          ++completed;
          done_cv.notify_all();
        });
        x.start_ticket = tickets++;
        app.handle(x.http, responder);
      }
    });
  }
  for (auto& t : clients) t.join();
  bool all_answered;
  {
    std::unique_lock lock(done_mutex);
    all_answered = done_cv.wait_for(lock, std::chrono::seconds(60), [&] { return completed >= kRequests; });
  }
  double load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count();
  requests_done = true;
  activator.join();
  gw.backend.on_start = nullptr;
  REQUIRE(all_answered);
  REQUIRE(activation_errors.empty());
  gw.writer->flush();
  registry.stop();

  // Every request's audit record, decrypted with the reviewer key, by request id.
  std::map<int, Json> records;
  std::vector<std::string> problems;
  {
    audit::AuditReader reader(gw.conninfo);
    audit::SearchQuery query;
    query.kind = "request";
    query.limit = kRequests + 100;  // one page holds them all (and any extra would show)
    Json page = reader.search(query, gw.reviewer.get());
    for (const Json& r : page.at("records").as_array()) {
      const Json* payload = r.find("payload");
      if (!payload) {
        problems.push_back("a record could not be opened with the reviewer key");
        continue;
      }
      int id = request_id_of(payload->at("request").at("messages")[0].at("content").as_string());
      if (!records.emplace(id, r).second) problems.push_back("two records for request r" + std::to_string(id));
    }
  }

  std::vector<std::pair<uint64_t, int64_t>> swaps;
  {
    std::lock_guard lock(swap_log.mutex);
    swaps = swap_log.swaps;
  }
  std::map<int64_t, int> served_by;  // version -> requests
  int blocked = 0;
  {
    std::lock_guard lock(model_log->mutex);
    problems.insert(problems.end(), model_log->problems.begin(), model_log->problems.end());
  }
  for (const Exchange& x : exchanges) {
    std::string tag = "r" + std::to_string(x.id) + (x.stream ? " (streamed)" : "") + ": ";
    auto problem = [&](const std::string& what) { problems.push_back(tag + what); };
    if (x.sends != 1) {
      problem("the response ended " + std::to_string(x.sends) + " times");
      continue;
    }
    // 1. The response names one version.
    int64_t version = -1;
    if (x.status == 400) {
      Json error = Json::parse(x.body).at("error");
      if (error.at("code").as_string() != "content_filter") problem("400 with code " + error.at("code").as_string());
      for (int k = 1; k <= kVersions; ++k) {
        if (error.at("message").as_string().find(block_message_of(k)) != std::string::npos) version = k;
      }
      if (version != x.word) {
        problem("blocked by version " + std::to_string(version) + " but it carries alpha" + std::to_string(x.word));
        continue;
      }
      ++blocked;
    } else if (x.status == 200) {
      std::string content;
      std::string finish_reason;
      if (x.stream) {
        StreamedAnswer a = parse_sse(x.body);
        if (!a.done) problem("the stream did not end with [DONE]");
        content = a.content;
        finish_reason = a.finish_reason;
      } else {
        Json choice = Json::parse(x.body).at("choices")[0];
        content = choice.at("message").at("content").as_string();
        finish_reason = choice.at("finish_reason").as_string();
      }
      for (int k = 1; k <= kVersions; ++k) {
        if (content == answer_under(x.id, x.word, k)) version = k;
      }
      if (version < 0) {
        problem("the answer \"" + content + "\" matches no version");
        continue;
      }
      if (version == x.word) problem("version " + std::to_string(version) + " should have blocked it");
      if (finish_reason != "stop") problem("finish_reason " + finish_reason);
    } else {
      problem("HTTP " + std::to_string(x.status) + ": " + x.body.substr(0, 200));
      continue;
    }
    ++served_by[version];

    // 2. The model saw the prompt of that version (and nothing when it was blocked).
    std::vector<gateway::ChatMessage> prompt;
    bool model_called;
    {
      std::lock_guard lock(model_log->mutex);
      auto it = model_log->prompts.find(x.id);
      model_called = it != model_log->prompts.end();
      if (model_called) prompt = it->second;
    }
    if (x.status == 400 && model_called) problem("blocked, yet the model got it");
    if (x.status == 200) {
      if (!model_called) {
        problem("answered, yet the model never got it");
      } else if (prompt.size() != 2 || prompt[0].role != "system" || prompt[0].content != system_prompt_of(version) ||
                 prompt[1].role != "user" || prompt[1].content != answer_under(x.id, x.word, version)) {
        std::string got;
        for (const auto& m : prompt) got += "[" + m.role + "] " + m.content + " ";
        problem("answered under version " + std::to_string(version) + " but the model got: " + got);
      }
    }

    // 3. The audit record names the same version and holds what happened.
    auto rec = records.find(x.id);
    if (rec == records.end()) {
      problem("no audit record");
    } else {
      const Json& r = rec->second;
      if (r.at("policy_name").as_string() != kPolicyName) problem("record names policy " + r.at("policy_name").as_string());
      if (r.at("policy_version").as_int() != version) {
        problem("served under version " + std::to_string(version) + ", record says " +
                std::to_string(r.at("policy_version").as_int()));
      }
      if (r.at("http_status").as_int() != x.status) problem("record status " + std::to_string(r.at("http_status").as_int()));
      std::string decision = r.at("decision").as_string();
      if (decision != (x.status == 400 ? "blocked" : "redacted")) problem("record decision " + decision);
      if (x.status == 200) {
        const Json& payload = r.at("payload");
        Json expected_messages = Json::array();
        expected_messages.push_back(message("system", system_prompt_of(version)));
        expected_messages.push_back(message("user", answer_under(x.id, x.word, version)));
        if (payload.at("model_request").at("messages").dump() != expected_messages.dump()) {
          problem("record's model_request is " + payload.at("model_request").at("messages").dump());
        }
        if (payload.at("answer").at("delivered").as_string() != answer_under(x.id, x.word, version)) {
          problem("record's delivered answer is " + payload.at("answer").at("delivered").as_string());
        }
      }
    }

    // 4. That version was active while the request ran.
    std::set<int64_t> allowed = allowed_versions(swaps, x.start_ticket, x.end_ticket);
    if (!allowed.count(version)) {
      std::string list;
      for (int64_t v : allowed) list += std::to_string(v) + " ";
      problem("served under version " + std::to_string(version) + ", but only " + list + "were active while it ran");
    }
  }
  if (records.size() != static_cast<size_t>(kRequests)) {
    problems.push_back(std::to_string(records.size()) + " request records for " + std::to_string(kRequests) + " requests");
  }

  std::string served;
  for (const auto& [v, n] : served_by) served += "v" + std::to_string(v) + "=" + std::to_string(n) + " ";
  INFO(kRequests << " requests in " << load_seconds << " s (up to " << max_in_flight << " in flight), "
                 << activations.load() << " activations, " << swaps.size()
                 << " registry swaps, " << blocked << " blocked; served by " << served);
  std::string first_problems;
  for (size_t i = 0; i < problems.size() && i < 20; ++i) first_problems += problems[i] + "\n";
  INFO(problems.size() << " problems, the first ones:\n" << first_problems);
  CHECK(problems.empty());
  // The test must be able to fail: several versions really served requests, the snapshot
  // really changed while requests were in flight, and both outcomes occurred.
  CHECK(served_by.size() >= 3);
  CHECK(swaps.size() >= 10);
  CHECK(blocked > 0);
  CHECK(blocked < kRequests);
  CHECK(max_in_flight > kClientThreads);
}

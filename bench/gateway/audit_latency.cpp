// audit_latency: the latency the audit stage adds to a chat request (issue 6), p50/p99.
//
//   audit_latency [--seconds S] [--warmup S] [--concurrency 1,16] [--prompt-bytes N]
//
// Drives gateway::App::handle in-process — authentication against PostgreSQL, rate limits,
// the default policy's input and output stages, an instant echo model, the audit record —
// so that the figures hold the whole request path but not HTTP parsing and client noise,
// which have nothing to do with the audit stage. A throwaway embedded PostgreSQL with
// fsync on; audit transactions commit with synchronous_commit=on. Modes, each with a fresh
// writer on the same database and N closed-loop clients (each sends its next request when
// the previous one was answered):
//
//   with_audit            the real writer, durability wait_durable: the response ends once
//                         its record is committed (what `warden serve` does).
//   without_audit_wait    the same App with a fail-open writer that is closed: each record is
//                         built and sealed (encryption included) and then dropped, the
//                         durable callback runs at once. Everything but the queue and the
//                         commit wait.
//   bounded_lag_config    the real writer configured `durability: bounded_lag`.
//   audit_stage_isolated  no App: N threads submit records shaped like the chat records
//                         (same header fields and payload sizes) and wait for durability;
//                         submit -> durable, the audit stage on its own.
//
// One JSON line per mode and concurrency, then one per concurrency with the difference
// with_audit - without_audit_wait. Bench only: never run by the test suite.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <future>
#include <iostream>
#include <mutex>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "audit/writer.h"
#include "core/embedded_pg.h"
#include "core/json.h"
#include "core/migrations.h"
#include "core/pg_pool.h"
#include "core/yaml.h"
#include "gateway/app.h"
#include "gateway/key_store.h"
#include "gateway/metrics.h"
#include "policy/policy.h"
#include "policy/policy_registry.h"

using namespace warden;
using Clock = std::chrono::steady_clock;
using core::Json;

namespace {

// The model stage at no cost: answers with the last message, at once, on the caller's
// thread (ChatStream accepts events from inside start()).
class InstantBackend : public gateway::ChatBackend {
 public:
  std::string model_id() const override { return "instant"; }
  int64_t created_at() const override { return 1700000000; }
  bool ready() const override { return true; }
  double queue_depth() const override { return 0; }
  std::function<void()> start(const gateway::ChatRequest& request,
                              std::function<void(const gateway::GenerationEvent&)> on_event) override {
    gateway::GenerationEvent delta;
    delta.text = request.messages.back().content;
    on_event(delta);
    gateway::GenerationEvent done;
    done.kind = gateway::GenerationEvent::Kind::kDone;
    done.finish_reason = "stop";
    done.prompt_tokens = static_cast<int>(delta.text.size() / 4);
    done.completion_tokens = static_cast<int>(delta.text.size() / 4);
    on_event(done);
    return [] {};
  }
};

// Waits for one response.
class WaitingResponder : public gateway::Responder {
 public:
  void send(gateway::HttpResponse response) override {
    std::lock_guard lock(mutex_);
    status_ = response.status;
    done_ = true;
    cv_.notify_one();
  }
  void start_stream(int status, std::string, std::vector<std::pair<std::string, std::string>>) override { status_ = status; }
  void write(std::string) override {}
  void end() override { send({status_, {}, "", ""}); }
  bool disconnected() const override { return false; }
  void on_disconnect(std::function<void()>) override {}
  int wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return done_; });
    return status_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  int status_ = 0;
};

struct Stats {
  size_t samples = 0;
  size_t errors = 0;
  double per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double mean_ms = 0;
  double max_ms = 0;
};

Stats summarize(std::vector<double> ms, size_t errors, double seconds) {
  Stats s;
  s.samples = ms.size();
  s.errors = errors;
  s.per_s = ms.size() / seconds;
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  s.p50_ms = ms[ms.size() / 2];
  s.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  double sum = 0;
  for (double v : ms) sum += v;
  s.mean_ms = sum / ms.size();
  s.max_ms = ms.back();
  return s;
}

// `concurrency` closed-loop clients call `one()` (which returns false on an error) for
// `warmup` then `seconds`; returns the latencies of the measured part.
Stats closed_loop(int concurrency, double warmup, double seconds, const std::function<bool()>& one) {
  std::vector<std::vector<double>> per_thread(concurrency);
  std::atomic<size_t> errors{0};
  auto measure_from = Clock::now() + std::chrono::duration<double>(warmup);
  auto until = measure_from + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      for (;;) {
        auto start = Clock::now();
        if (start >= until) break;
        bool ok = one();
        auto end = Clock::now();
        if (start < measure_from) continue;
        if (!ok) ++errors;
        else per_thread[t].push_back(std::chrono::duration<double, std::milli>(end - start).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (auto& v : per_thread) all.insert(all.end(), v.begin(), v.end());
  return summarize(std::move(all), errors.load(), seconds);
}

Json stats_json(const Stats& s) {
  Json j = Json::object();
  j["samples"] = static_cast<int64_t>(s.samples);
  j["errors"] = static_cast<int64_t>(s.errors);
  j["per_s"] = s.per_s;
  j["p50_ms"] = s.p50_ms;
  j["p99_ms"] = s.p99_ms;
  j["mean_ms"] = s.mean_ms;
  j["max_ms"] = s.max_ms;
  return j;
}

std::string prompt_text(size_t bytes) {
  // Prose with one e-mail address, so the default policy redacts (and the record carries spans).
  std::string text = "Please summarise the notes from Tuesday's planning meeting and send them to jane.doe@example.com. ";
  const std::string filler = "The team agreed to revisit the rollout plan after the quarterly review of open items. ";
  while (text.size() < bytes) text += filler;
  text.resize(bytes);
  return text;
}

// A record shaped like the one run_chat_exchange writes for this prompt (same header
// fields, payload parts and sizes), for the isolated measurement.
audit::AuditRecord chat_like_record(const std::string& body, const std::string& prompt) {
  audit::AuditRecord r;
  auto& h = r.header;
  h.record_id = audit::new_record_id();
  h.kind = "request";
  h.action = "chat.completions";
  h.key_id = "key_0123456789ab";
  h.team = "bench";
  h.role = "user";
  h.route = "/v1/chat/completions";
  h.model = "instant";
  h.policy_name = "default";
  h.policy_version = 1;
  h.decision = "redacted";
  h.entity_counts = {{"EMAIL_ADDRESS", 2}};
  h.prompt_tokens = static_cast<int>(prompt.size() / 4);
  h.completion_tokens = static_cast<int>(prompt.size() / 4);
  h.latency_ms = 1;
  h.http_status = 200;
  h.client_addr = "127.0.0.1";
  r.payload["request"] = Json::parse(body);
  Json input = Json::object();
  input["decision"] = "redacted";
  input["verdicts"] = Json::array();
  input["spans"] = Json::array();
  Json span = Json::object();
  span["where"] = "messages[0].content";
  span["start"] = int64_t{77};
  span["end"] = int64_t{97};
  span["type"] = "EMAIL_ADDRESS";
  span["score"] = 0.95;
  span["action"] = "pseudonymize";
  input["spans"].push_back(span);
  r.payload["input"] = input;
  Json model_request = Json::object();
  model_request["messages"] = Json::array();
  Json m = Json::object();
  m["role"] = "user";
  m["content"] = prompt;
  model_request["messages"].push_back(m);
  r.payload["model_request"] = model_request;
  Json output = Json::object();
  output["decision"] = "allowed";
  output["verdicts"] = Json::array();
  output["spans"] = Json::array();
  r.payload["output"] = output;
  Json answer = Json::object();
  answer["produced"] = prompt;
  answer["delivered"] = prompt;
  answer["finish_reason"] = "stop";
  r.payload["answer"] = answer;
  return r;
}

struct Setup {
  std::string conninfo;
  std::filesystem::path spool_dir;
  std::shared_ptr<const audit::ReviewerSecretKey> reviewer;
};

audit::WriterConfig writer_config(const Setup& s, const std::string& name) {
  audit::WriterConfig c;
  c.conninfo = s.conninfo;
  c.reviewers = {s.reviewer->public_key()};
  c.signing_key = audit::generate_signing_key();
  c.spool_path = s.spool_dir / (name + ".spool");
  c.log = [](const std::string& line) {
    if (line.find("fail-open") == std::string::npos) std::cerr << "audit: " << line << "\n";
  };
  return c;
}

void print_line(Json line) { std::cout << line.dump() << std::endl; }

std::vector<int> parse_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoi(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 4;
  double warmup = 0.5;
  size_t prompt_bytes = 300;
  std::vector<int> concurrencies = {1, 16};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "audit_latency: " << a << " needs a value\n";
      return 2;
    }
    std::string v = argv[++i];
    try {
      if (a == "--seconds") seconds = std::stod(v);
      else if (a == "--warmup") warmup = std::stod(v);
      else if (a == "--prompt-bytes") prompt_bytes = std::stoul(v);
      else if (a == "--concurrency") concurrencies = parse_list(v);
      else {
        std::cerr << "audit_latency: unknown option " << a
                  << " (expected --seconds, --warmup, --prompt-bytes, --concurrency)\n";
        return 2;
      }
    } catch (const std::exception&) {
      std::cerr << "audit_latency: " << a << ": not a number: " << v << "\n";
      return 2;
    }
  }
  if (seconds <= 0 || concurrencies.empty()) {
    std::cerr << "audit_latency: --seconds must be positive and --concurrency a list like 1,16\n";
    return 2;
  }

  auto pg = core::EmbeddedPostgres::temporary(/*fsync=*/true);
  Setup setup;
  setup.conninfo = pg->conninfo();
  {
    pqxx::connection c{setup.conninfo};
    core::apply_migrations(c, core::default_migrations_dir());
  }
  char spool_dir[] = "/tmp/warden-audit-latency-XXXXXX";
  if (!::mkdtemp(spool_dir)) return 1;
  setup.spool_dir = spool_dir;
  setup.reviewer = audit::generate_reviewer_key();

  int max_concurrency = *std::max_element(concurrencies.begin(), concurrencies.end());
  core::PgPool pool(setup.conninfo, static_cast<size_t>(max_concurrency) + 2);
  gateway::KeyStore keys(pool, std::string(32, 'b'));
  std::string key = keys.create({"bench", "bench", gateway::Role::kUser, int64_t{1000000000}, int64_t{2000000000}}).secret;

  auto policy = policy::CompiledPolicy::compile(core::load_document_file(policy::default_policy_file()), {"default", 1});
  auto policies = std::make_shared<const policy::PolicySet>(std::vector<std::shared_ptr<const policy::CompiledPolicy>>{policy},
                                                            policy);
  InstantBackend backend;
  gateway::Metrics metrics;
  gateway::register_gateway_metrics(metrics);

  const std::string prompt = prompt_text(prompt_bytes);
  Json body_json = Json::object();
  body_json["model"] = backend.model_id();
  body_json["messages"] = Json::array();
  {
    Json m = Json::object();
    m["role"] = "user";
    m["content"] = prompt;
    body_json["messages"].push_back(m);
  }
  const std::string body = body_json.dump();

  auto app_for = [&](audit::AuditWriter* writer) {
    gateway::AppDeps deps;
    deps.config.limits.max_messages = 50;
    deps.keys = &keys;
    deps.backend = &backend;
    deps.metrics = &metrics;
    deps.database_ready = [] { return true; };
    deps.policies = [policies] { return policies; };
    deps.audit = writer;
    return std::make_unique<gateway::App>(deps);
  };
  auto one_request = [&](gateway::App& app) {
    gateway::HttpRequest r;
    r.method = "POST";
    r.target = r.path = "/v1/chat/completions";
    r.headers["authorization"] = "Bearer " + key;
    r.headers["content-type"] = "application/json";
    r.body = body;
    r.remote_address = "127.0.0.1";
    r.request_id = "bench";
    auto responder = std::make_shared<WaitingResponder>();
    app.handle(r, responder);
    return responder->wait() == 200;
  };

  print_line([&] {
    Json j = Json::object();
    j["bench"] = "audit_latency";
    j["what"] = "setup";
    j["seconds_per_mode"] = seconds;
    j["warmup_s"] = warmup;
    j["prompt_bytes"] = static_cast<int64_t>(prompt_bytes);
    j["fsync"] = true;
    j["synchronous_commit"] = "on";
    j["hardware_threads"] = static_cast<int64_t>(std::thread::hardware_concurrency());
    return j;
  }());

  for (int concurrency : concurrencies) {
    auto emit = [&](const std::string& mode, const Stats& s, Json extra = Json::object()) {
      Json j = Json::object();
      j["bench"] = "audit_latency";
      j["mode"] = mode;
      j["concurrency"] = static_cast<int64_t>(concurrency);
      Json stats = stats_json(s);
      for (const auto& [k, v] : stats.as_object()) j[k] = v;
      for (const auto& [k, v] : extra.as_object()) j[k] = v;
      print_line(j);
    };

    Stats with;
    {
      audit::AuditWriter writer(writer_config(setup, "with"));
      auto app = app_for(&writer);
      with = closed_loop(concurrency, warmup, seconds, [&] { return one_request(*app); });
      writer.close();
      Json extra = Json::object();
      extra["records_stored"] = static_cast<int64_t>(writer.stats().stored_in_db);
      emit("with_audit", with, extra);
    }
    Stats without;
    {
      audit::WriterConfig c = writer_config(setup, "without");
      c.fail_open = true;
      audit::AuditWriter writer(c);
      writer.close();  // from here on every record is sealed, then dropped at once
      auto app = app_for(&writer);
      without = closed_loop(concurrency, warmup, seconds, [&] { return one_request(*app); });
      Json extra = Json::object();
      extra["records_dropped"] = static_cast<int64_t>(writer.stats().dropped_fail_open);
      emit("without_audit_wait", without, extra);
    }
    {
      audit::WriterConfig c = writer_config(setup, "lag");
      c.durability = audit::Durability::kBoundedLag;
      c.max_lag_records = 1000;
      audit::AuditWriter writer(c);
      auto app = app_for(&writer);
      Stats lag = closed_loop(concurrency, warmup, seconds, [&] { return one_request(*app); });
      writer.close();
      emit("bounded_lag_config", lag);
    }
    {
      audit::AuditWriter writer(writer_config(setup, "isolated"));
      Stats isolated = closed_loop(concurrency, warmup, seconds, [&] {
        auto done = std::make_shared<std::promise<bool>>();
        auto result = done->get_future();
        writer.submit(chat_like_record(body, prompt), [done](std::exception_ptr e) { done->set_value(!e); });
        return result.get();
      });
      writer.close();
      emit("audit_stage_isolated", isolated);
    }
    Json diff = Json::object();
    diff["bench"] = "audit_latency";
    diff["what"] = "difference";
    diff["concurrency"] = static_cast<int64_t>(concurrency);
    diff["with_p50_ms"] = with.p50_ms;
    diff["without_p50_ms"] = without.p50_ms;
    diff["added_p50_ms"] = with.p50_ms - without.p50_ms;
    diff["with_p99_ms"] = with.p99_ms;
    diff["without_p99_ms"] = without.p99_ms;
    diff["added_p99_ms"] = with.p99_ms - without.p99_ms;
    print_line(diff);
  }
  std::filesystem::remove_all(setup.spool_dir);
  return 0;
}

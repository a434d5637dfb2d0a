// A whole gateway in one test process: a real PostgreSQL (one throwaway cluster per test
// binary, a fresh migrated database per fixture), the real App and HTTP server, a real
// audit writer sealing to a test reviewer key, a policy snapshot the test can swap, and
// a test double for the model stage (tests only): it streams the last message it received
// back word by word, so assertions can see exactly what the model was given (and turns
// "CALL name ARGS" lines into tool calls).
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "audit/keys.h"
#include "audit/reader.h"
#include "audit/writer.h"
#include "core/json.h"
#include "core/pg_pool.h"
#include "gateway/app.h"
#include "gateway/key_store.h"
#include "gateway/server.h"
#include "policy/policy.h"

namespace gateway_test {

class EchoBackend : public warden::gateway::ChatBackend {
 public:
  std::string model_id() const override { return "echo-test"; }
  int64_t created_at() const override { return 1700000000; }
  bool ready() const override { return true; }
  double queue_depth() const override { return 0; }
  int64_t count_prompt_tokens(const warden::gateway::ChatRequest& request) const override;
  bool supports_tools() const override { return tools; }
  std::function<void()> start(const warden::gateway::ChatRequest& request,
                              std::function<void(const warden::gateway::GenerationEvent&)> on_event) override;
  std::atomic<int> cancelled{0};
  std::mutex mutex;
  std::string last_prompt;  // the last message of the last request, as the model got it
  // For concurrency tests: sees every request as the model gets it (set before requests
  // start), and a pause before the first word so that requests stay in flight a while.
  std::function<void(const warden::gateway::ChatRequest&)> on_start;
  std::atomic<int> delay_ms{0};
  // Function calling: with `tools` on, a line "CALL name ARGS" of the last message becomes a
  // whole tool-call event (a line "PARTIAL name ARGS" one the answer ended inside); other
  // lines are echoed as text. Off: requests using tools are refused like a V2 model's.
  std::atomic<bool> tools{true};
  warden::gateway::ChatRequest last_request;  // the last request as the model got it

  // The same two, read under the lock.
  std::string seen_prompt();
  warden::gateway::ChatRequest seen_request();
};

// tests/policy/data/guarded_test_policy.yaml: the policy the chain tests run under.
std::string guarded_policy_file();

struct CurlResult {
  int status = 0;
  std::string headers;
  std::string body;
};

std::string shell_quote(const std::string& s);
std::string run(const std::string& command);
std::string chat_body(const std::string& content, const std::string& extra = "");
std::string error_code(const CurlResult& r);
// Concatenated delta contents, the finish reason and whether the stream ended with [DONE].
struct StreamedToolCall {
  std::string id, name, arguments;  // deltas of one index joined
};
struct StreamedAnswer {
  std::string content;
  std::vector<StreamedToolCall> tool_calls;
  std::string finish_reason;
  int usage_chunks = 0;
  bool done = false;
  std::string error_code;  // an error event inside the stream
};
StreamedAnswer parse_sse(const std::string& body);

// A policy document from policy/defaults/default.yaml, compiled.
std::shared_ptr<const warden::policy::CompiledPolicy> default_policy(int64_t version = 1);

struct Gateway {
  Gateway();
  ~Gateway();

  CurlResult curl(const std::string& method, const std::string& path, const std::string& key, const std::string& body = "",
                  const std::string& extra = "");
  // Replaces the active policies (every later request pins the new snapshot).
  void set_policies(std::shared_ptr<const warden::policy::PolicySet> set);
  void set_policy(const warden::core::Json& document, const std::string& name, int64_t version);
  // Decrypted request records, oldest first (waits for the writer to flush).
  warden::core::Json records(const std::string& kind = "request");

  std::filesystem::path dir;
  std::string conninfo;
  std::unique_ptr<warden::core::PgPool> pool;
  std::unique_ptr<warden::gateway::KeyStore> keys;
  std::unique_ptr<warden::audit::ReviewerSecretKey> reviewer = warden::audit::generate_reviewer_key();
  std::unique_ptr<warden::audit::AuditWriter> writer;
  warden::audit::SigningPublicKey signing_public;
  EchoBackend backend;
  warden::gateway::Metrics metrics;
  std::unique_ptr<warden::gateway::App> app;
  std::unique_ptr<warden::gateway::HttpServer> server;
  std::string base, user_key, admin_key, auditor_key;

 private:
  std::mutex policy_mutex_;
  std::shared_ptr<const warden::policy::PolicySet> policies_;
};

}  // namespace gateway_test

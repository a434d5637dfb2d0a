// The filter chain for one chat completion, after authentication and rate limiting:
//
//   policy (input)  → inference → policy (output, streaming) → audit record → response end
//
// The request pins the policy snapshot it started with. A request the input stage blocks
// gets HTTP 400 `content_filter`; an answer an output rule stops ends with finish_reason
// "content_filter". Every outcome — allowed, redacted, flagged, blocked, failed, abandoned
// by the client — leaves one audit record, and the response completes only once that record
// is durable (or, if it cannot be made durable, ends with an error instead).
#pragma once

#include <optional>

#include <functional>
#include <memory>
#include <string>

#include "audit/record.h"
#include "core/json.h"
#include "gateway/chat_backend.h"
#include "gateway/chat_stream.h"
#include "gateway/http_types.h"
#include "gateway/key_store.h"
#include "gateway/metrics.h"
#include "policy/policy.h"

namespace warden::audit {
class AuditWriter;
}

namespace warden::gateway {

// Submits audit records for the HTTP handlers. `then(durable)` runs exactly once, on the
// writer thread or at once when the record cannot even be queued. Never throws.
class AuditTrail {
 public:
  AuditTrail(audit::AuditWriter* writer, Metrics* metrics) : writer_(writer), metrics_(metrics) {}
  // False when new requests must be refused (503): no writer, or the writer is unhealthy.
  bool available() const;
  // A request's record: `then(true)` once it is durable, or at once when the writer allows
  // bounded lag (audit.durability: bounded_lag) and the bound holds; `then(false)` when it
  // cannot be stored.
  void record(audit::AuditRecord record, std::function<void(bool durable)> then) const;
  // Blocks until durable, whatever the durability mode; for admin and audit-access paths.
  // Returns false when it failed.
  bool record_and_wait(audit::AuditRecord record) const;
  audit::AuditWriter* writer() const { return writer_; }

 private:
  void submit(audit::AuditRecord record, std::function<void(bool)> then, bool allow_lag) const;

  audit::AuditWriter* writer_;
  Metrics* metrics_;
};

struct ChatExchangeContext {
  const HttpRequest* http = nullptr;
  Principal principal;
  std::string model_id;
  ChatBackend* backend = nullptr;
  const AuditTrail* audit = nullptr;
  Metrics* metrics = nullptr;
  std::shared_ptr<const policy::PolicySet> policies;  // the snapshot this request pins
  std::chrono::steady_clock::time_point started;
};

// Runs the chain; the response is always sent (or streamed) through `responder`, and
// `done(status, prompt_tokens, completion_tokens)` runs once at the end for metrics and
// token rate limits. Throws nothing.
void run_chat_exchange(ChatExchangeContext context, const core::Json& body, ChatRequest chat,
                       std::shared_ptr<Responder> responder,
                       std::function<void(int status, int prompt_tokens, int completion_tokens)> done);

// A record for a chat request refused before the chain ran (validation, unknown model...).
audit::AuditRecord failed_chat_record(const ChatExchangeContext& context, const core::Json* body, int status,
                                      const std::string& error_message);

// Prompt tokens as `backend` counts them (chat template applied), for max_input_tokens
// rules and dry runs; estimated at 4 bytes a token when the backend cannot tell.
// `tool_choice`: the request's; without one, "auto" when the request has tools.
policy::TokenCounter backend_token_counter(ChatBackend* backend, std::optional<ToolChoice> tool_choice = std::nullopt);

// Registers the chain's metric families (policy decisions, rules fired, redactions).
void register_chain_metrics(Metrics& metrics);

}  // namespace warden::gateway

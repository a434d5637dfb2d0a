// A policy: one document (redaction + guardrails + bindings), validated and compiled into
// an immutable snapshot that requests pin, plus the two filters every chat request passes
// through. The gateway and the dry run (`POST /admin/v1/policies/{name}/test`,
// `warden policy test`) call the same functions, so a dry run shows exactly what a live
// request would get.
//
//   auto policy = CompiledPolicy::compile(document_json, {"default", 3});  // PolicyError lists every problem
//   RedactionSession session(policy->redactor());                         // per request
//   InputResult in = filter_input(*policy, session, request, count_tokens);
//   if (in.decision == Decision::kBlocked) refuse with in.block_message (HTTP 400 content_filter)
//   OutputFilter out(*policy, session);                                   // per answer
//   send(out.feed(delta)) ... send(out.finish()); if (out.stopped()) finish_reason "content_filter"
//
// Failing closed: filter_input, feed and finish throw RedactionError when a text cannot
// be checked; the caller refuses the request or ends the stream, never passes text on.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "policy/errors.h"
#include "policy/redactor.h"

namespace warden::policy {

// Which stored version a compiled policy came from. version 0: a draft or a file.
struct PolicyIdentity {
  std::string name;
  int64_t version = 0;
};

// Who is asking; bindings match on these.
struct Subject {
  std::string key_id;
  std::string team;
  std::string role;  // user | admin | auditor
};

// kAllow: a regex rule in mode allow (it exempts text from later deny rules).
// kNone: rules that only shape the request (max_output_tokens, system_prompt).
enum class RuleAction { kBlock, kRedact, kFlag, kAllow, kNone };
std::string_view rule_action_name(RuleAction action);  // block | redact | flag | allow | none

enum class Decision { kAllowed, kFlagged, kRedacted, kBlocked };
std::string_view decision_name(Decision decision);  // allowed | flagged | redacted | blocked

// The parts of a chat request a policy looks at and may change. The gateway converts its
// own request type to and from this.

// A function call an assistant message made earlier in the conversation.
struct PolicyToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text as the client sent it (may be invalid JSON)
};

struct PolicyMessage {
  std::string role;  // system | developer | user | assistant | tool
  std::string content;
  std::string name;
  // `{}`: brace-initialising {role, content, name} stays free of -Wmissing-field-initializers.
  std::vector<PolicyToolCall> tool_calls{};  // assistant messages
  std::string tool_call_id{};                // tool messages: the call this output answers
};

// A function the client offers the model (`tools[i].function`).
struct PolicyTool {
  std::string name;
  std::string description;
  std::string parameters;  // JSON Schema as JSON text; "" when absent
};

struct PolicyRequest {
  std::string model;
  std::vector<PolicyMessage> messages;
  std::vector<std::string> stop;
  std::string user;
  std::optional<int> max_tokens;
  std::vector<PolicyTool> tools;
};

// Prompt tokens as the model would count them (chat template applied); the gateway passes
// the model's tokenizer. May be empty: then 1 token per 4 bytes is assumed.
using TokenCounter = std::function<int64_t(const PolicyRequest&)>;

// One rule's result for one request. Every rule of the stage is reported, fired or not.
struct RuleVerdict {
  std::string rule;    // the rule's id in the document (unique within the policy)
  std::string kind;    // deny_topics | regex | injection | max_input_tokens | ...
  std::string stage;   // input | output
  RuleAction action = RuleAction::kFlag;
  bool fired = false;
  std::string where;   // "messages[2].content", "model", "output", ...
  // What matched and why. Contains request text: it goes into the encrypted audit payload
  // and dry-run answers only, never into logs, metrics or the caller's error message.
  std::string detail;
};

struct SpanReport {
  // "messages[1].content", "stop[0]", "user", "output", "tools[0].function.description";
  // a JSON string value inside tool-call arguments or a tool's parameters adds its path:
  //   "messages[2].tool_calls[0].function.arguments.to"
  //   "tools[0].function.parameters.properties.city.description"
  //   "tool_calls[1].function.arguments.items[2].name"  (a call the model made)
  std::string where;
  RedactedSpan span;  // byte offsets into that text (a JSON string: its decoded value) as
                      // it was before PII redaction
};

struct InputResult {
  Decision decision = Decision::kAllowed;
  PolicyRequest request;  // what the model gets: rules' redactions, PII redaction, required
                          // system prompt prepended, max_tokens capped by the policy
  std::vector<RuleVerdict> verdicts;
  std::vector<SpanReport> spans;
  std::map<std::string, int64_t> entity_counts;  // entity type -> replaced or blocked count
  // When blocked: the caller's message names the rule or the entity types, never the text.
  std::string block_message;
  std::string block_rule;                  // rule id, or "redaction" for a blocked entity type
  std::vector<std::string> blocked_types;  // entity types that caused a block
};

class CompiledPolicy {
 public:
  // Validates the whole document (YAML or JSON arrive as the same Json tree) and compiles
  // it. Throws PolicyError listing every problem as "path: reason"; nothing is half-built.
  // `base_dir` resolves relative dictionary files.
  static std::shared_ptr<const CompiledPolicy> compile(const core::Json& document, PolicyIdentity identity,
                                                       const std::string& base_dir = "",
                                                       const HashKeyResolver& resolver = default_hash_key_resolver);
  ~CompiledPolicy();
  CompiledPolicy(const CompiledPolicy&) = delete;
  CompiledPolicy& operator=(const CompiledPolicy&) = delete;

  const PolicyIdentity& identity() const;
  const std::shared_ptr<const Redactor>& redactor() const;
  const core::Json& document() const;  // as validated

  // How specifically the bindings match `subject`: 0 not at all, 1 default policy,
  // 2 by role, 3 by team, 4 by key id.
  int binding_rank(const Subject& subject) const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  CompiledPolicy();
  std::unique_ptr<Impl> impl_;
};

// Prompt tokens when no tokenizer counts them: 1 per 4 bytes of everything the model reads
// (message contents, tool-call names and arguments, tool definitions).
int64_t estimate_prompt_tokens(const PolicyRequest& request);

// The request as JSON in the OpenAI shapes (tool_calls and tools with type/function;
// parameters as the JSON text the model gets): what the dry run shows, and what the
// gateway's audit record keeps as `model_request`.
core::Json policy_request_json(const PolicyRequest& request);

// The input stage: guardrails.input in document order on the request as sent, then the
// redaction of every text with one vault, then limits. The texts: message contents (any
// role), each JSON string value of tool-call arguments (the whole text when not JSON; role
// assistant for content rules), tool descriptions and each string in a tool's parameters
// (role system), stop strings and user (redaction only). Changed JSON strings are spliced
// back into the original text, so arguments and parameters stay valid JSON.
InputResult filter_input(const CompiledPolicy& policy, RedactionSession& session, const PolicyRequest& request,
                         const TokenCounter& count_tokens = {});

// The output stage for one answer: pseudonym restoration and PII policy (OutputScanner),
// then guardrails.output, holding back only as many bytes as a pending match could need.
// Not thread-safe (one answer, one filter); the policy and the session must outlive it.
class OutputFilter {
 public:
  OutputFilter(const CompiledPolicy& policy, RedactionSession& session);
  ~OutputFilter();
  std::string feed(std::string_view delta);  // text that may be sent now
  std::string finish();                      // the rest
  // A tool call of the answer, checked whole once the model has finished it (the answer
  // text around it goes through feed/finish). Every JSON string in `arguments` (the whole
  // text when it is not JSON) passes the answer's three steps: pii_leak on the raw value,
  // pseudonyms restored and new PII handled per policy, guardrails.output. Returns the
  // arguments the caller gets, valid JSON whenever the model's were. When a block fires,
  // stopped() turns true: the call must not be sent (finish_reason "content_filter").
  // `index` is the call's position in the answer; spans are reported with where
  // "tool_calls[<index>].function.arguments" plus the JSON path of the string. Only the
  // strings are re-encoded; keys, numbers and whitespace stay as the model wrote them.
  // Returns "" when the filter has stopped (now or earlier). Throws RedactionError when a
  // value cannot be scanned: the call must not be sent. Tallies count in verdicts(),
  // entity_counts() and decision() with the answer text's.
  std::string check_tool_call(size_t index, std::string_view name, std::string_view arguments);
  const std::vector<SpanReport>& tool_call_spans() const;
  // A block (guardrail or entity type) ended the answer: finish_reason "content_filter".
  bool stopped() const;
  const std::string& stop_rule() const;  // rule id, or "redaction"
  std::vector<RuleVerdict> verdicts() const;
  const std::vector<RedactedSpan>& spans() const;  // offsets into the model's output
  std::map<std::string, int64_t> entity_counts() const;
  Decision decision() const;

 private:
  friend struct OutputFilterAccess;  // dry_run reads the per-match details
  struct State;
  std::unique_ptr<State> state_;
};

// The dry run. `sample`: {"model"?, "messages": [...], "stop"?, "user"?, "max_tokens"?,
// "tools"?, "answer"?: text run through the output stage, "answer_tool_calls"?: [{"name",
// "arguments"}] run through check_tool_call}. Messages, tools and tool calls have the
// OpenAI request's shape. Returns {"policy": {name, version},
// "decision", "input": {verdicts, spans, redacted messages, block}, "output"?: {...}}.
// Throws PolicyError naming the field when the sample is malformed.
core::Json dry_run(const CompiledPolicy& policy, const core::Json& sample, const TokenCounter& count_tokens = {});

// The active policies at one moment: immutable, shared by the requests that pinned it.
class PolicySet {
 public:
  PolicySet(std::vector<std::shared_ptr<const CompiledPolicy>> active, std::shared_ptr<const CompiledPolicy> fallback);
  // The most specific binding wins (key id, then team, then role, then the default
  // policy); ties go to the policy name that sorts first. `fallback` when none binds.
  std::shared_ptr<const CompiledPolicy> select(const Subject& subject) const;
  const std::vector<std::shared_ptr<const CompiledPolicy>>& active() const { return active_; }

 private:
  std::vector<std::shared_ptr<const CompiledPolicy>> active_;
  std::shared_ptr<const CompiledPolicy> fallback_;
};

}  // namespace warden::policy

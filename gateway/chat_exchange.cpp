#include "gateway/chat_exchange.h"

#include <future>

#include "audit/writer.h"
#include "core/log.h"
#include "gateway/api_error.h"

namespace warden::gateway {
namespace {

using Clock = std::chrono::steady_clock;

core::Json verdict_json(const policy::RuleVerdict& v) {
  core::Json j = core::Json::object();
  j["rule"] = v.rule;
  j["kind"] = v.kind;
  j["stage"] = v.stage;
  j["action"] = std::string(policy::rule_action_name(v.action));
  j["fired"] = v.fired;
  j["where"] = v.where;
  j["detail"] = v.detail;
  return j;
}

core::Json span_json(const std::string& where, const policy::RedactedSpan& s) {
  core::Json j = core::Json::object();
  j["where"] = where;
  j["start"] = static_cast<int64_t>(s.start);
  j["end"] = static_cast<int64_t>(s.end);
  j["type"] = s.type;
  j["score"] = s.score;
  j["action"] = std::string(policy::action_name(s.action));
  return j;
}

policy::PolicyRequest to_policy_request(const ChatRequest& chat) {
  policy::PolicyRequest r;
  r.model = chat.model;
  for (const auto& m : chat.messages) {
    policy::PolicyMessage pm{m.role, m.content, m.name, {}, m.tool_call_id};
    for (const auto& c : m.tool_calls) pm.tool_calls.push_back({c.id, c.name, c.arguments});
    r.messages.push_back(std::move(pm));
  }
  for (const auto& t : chat.tools) r.tools.push_back({t.name, t.description, t.parameters});
  r.stop = chat.stop;
  r.user = chat.user;
  r.max_tokens = chat.max_tokens;
  return r;
}

// What the model gets: the policy's version of every text the policy may change.
void apply_policy_request(ChatRequest& chat, const policy::PolicyRequest& r) {
  chat.messages.clear();
  for (const auto& m : r.messages) {
    ChatMessage cm{m.role, m.content, m.name, {}, m.tool_call_id};
    for (const auto& c : m.tool_calls) cm.tool_calls.push_back({c.id, c.name, c.arguments});
    chat.messages.push_back(std::move(cm));
  }
  chat.tools.clear();
  for (const auto& t : r.tools) chat.tools.push_back({t.name, t.description, t.parameters});
  chat.stop = r.stop;
  chat.user = r.user;
  chat.max_tokens = r.max_tokens;
}

int decision_rank(const std::string& d) {
  if (d == "failed") return 5;
  if (d == "blocked") return 4;
  if (d == "redacted") return 3;
  if (d == "flagged") return 2;
  return 1;
}

audit::AuditHeader base_header(const ChatExchangeContext& c) {
  audit::AuditHeader h;
  h.record_id = audit::new_record_id();
  h.kind = "request";
  h.action = "chat.completions";
  h.key_id = c.principal.key_id;
  h.team = c.principal.team;
  h.role = role_name(c.principal.role);
  h.route = c.http ? c.http->path : "/v1/chat/completions";
  h.model = c.model_id;
  h.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - c.started).count();
  h.client_addr = c.http ? c.http->remote_address : "";
  return h;
}

void count_rules(Metrics* m, const std::string& policy_name, const std::vector<policy::RuleVerdict>& verdicts) {
  if (!m) return;
  for (const auto& v : verdicts) {
    if (!v.fired) continue;
    m->increment("warden_guardrail_rules_fired_total",
                 {{"policy", policy_name}, {"rule", v.rule}, {"action", std::string(policy::rule_action_name(v.action))}});
  }
}

void count_entities(Metrics* m, const std::map<std::string, int64_t>& counts, const char* stage) {
  if (!m) return;
  for (const auto& [type, n] : counts) m->increment("warden_redactions_total", {{"entity_type", type}, {"stage", stage}}, static_cast<double>(n));
}

}  // namespace

void register_chain_metrics(Metrics& m) {
  m.add_counter("warden_policy_decisions_total", "Chat requests by policy, version and final decision.");
  m.add_counter("warden_guardrail_rules_fired_total", "Guardrail rules that fired, by policy, rule and action.");
  m.add_counter("warden_redactions_total", "Entities redacted, pseudonymized, hashed or blocked, by type and stage.");
  m.add_counter("warden_audit_unavailable_total", "Requests refused or answers withheld because the audit log could not take a record.");
}

policy::TokenCounter backend_token_counter(ChatBackend* backend, std::optional<ToolChoice> tool_choice) {
  return [backend, tool_choice](const policy::PolicyRequest& r) -> int64_t {
    ChatRequest request;
    apply_policy_request(request, r);
    request.tool_choice.mode = r.tools.empty() ? ToolChoice::Mode::kNone : ToolChoice::Mode::kAuto;
    if (tool_choice) request.tool_choice = *tool_choice;
    int64_t tokens = backend ? backend->count_prompt_tokens(request) : -1;
    // Unknown: the policy's estimate rather than let a limit pass unchecked.
    return tokens >= 0 ? tokens : policy::estimate_prompt_tokens(r);
  };
}

bool AuditTrail::available() const { return writer_ && (writer_->healthy() || writer_->fail_open()); }

void AuditTrail::record(audit::AuditRecord record, std::function<void(bool)> then) const {
  submit(std::move(record), std::move(then), true);
}

void AuditTrail::submit(audit::AuditRecord record, std::function<void(bool)> then, bool allow_lag) const {
  if (!writer_) {
    then(false);
    return;
  }
  Metrics* metrics = metrics_;
  try {
    if (allow_lag && writer_->may_lag()) {
      // The writer logs a record it cannot store; the response does not wait for it.
      writer_->submit(std::move(record), [metrics](std::exception_ptr error) {
        if (!error) return;
        core::log_error("a request's audit record could not be stored after its response (bounded_lag)");
        if (metrics) metrics->increment("warden_audit_unavailable_total");
      });
      then(true);
      return;
    }
    writer_->submit(std::move(record), [then, metrics](std::exception_ptr error) {
      if (error && metrics) metrics->increment("warden_audit_unavailable_total");
      then(!error);
    });
  } catch (const std::exception& e) {
    core::log_error("audit record refused", {{"error", e.what()}});
    if (metrics) metrics->increment("warden_audit_unavailable_total");
    then(false);
  }
}

bool AuditTrail::record_and_wait(audit::AuditRecord record) const {
  auto done = std::make_shared<std::promise<bool>>();
  auto result = done->get_future();
  submit(std::move(record), [done](bool durable) { done->set_value(durable); }, false);
  return result.get();
}

audit::AuditRecord failed_chat_record(const ChatExchangeContext& context, const core::Json* body, int status,
                                      const std::string& error_message) {
  audit::AuditRecord record;
  record.header = base_header(context);
  record.header.decision = "failed";
  record.header.http_status = status;
  if (body) record.payload["request"] = *body;
  record.payload["error"] = error_message;
  return record;
}

void run_chat_exchange(ChatExchangeContext c, const core::Json& body, ChatRequest chat,
                       std::shared_ptr<Responder> responder, std::function<void(int, int, int)> done) {
  const AuditTrail* audit = c.audit;
  // Ends the request with `response` once `record` is durable (503 when it cannot be).
  auto respond_recorded = [audit, responder, done](audit::AuditRecord record, HttpResponse response) {
    audit->record(std::move(record), [responder, done, response](bool durable) {
      HttpResponse r = durable ? response
                               : ApiError::unavailable("The request could not be recorded in the audit log.", "audit_unavailable")
                                     .to_response();
      int status = r.status;
      responder->send(std::move(r));
      done(status, 0, 0);
    });
  };

  std::shared_ptr<const policy::CompiledPolicy> pinned;
  if (c.policies) {
    pinned = c.policies->select({c.principal.key_id, c.principal.team, role_name(c.principal.role)});
  }
  if (!pinned) {
    // Fail closed: without a policy nothing is checked, so nothing goes to the model.
    ApiError e = ApiError::unavailable("No policy is loaded for this key; the request was not processed.", "policy_unavailable");
    return respond_recorded(failed_chat_record(c, &body, 503, e.what()), e.to_response());
  }
  const policy::CompiledPolicy& policy = *pinned;
  const std::string policy_name = policy.identity().name;
  const int64_t policy_version = policy.identity().version;
  auto with_policy = [&](audit::AuditRecord r) {
    r.header.policy_name = policy_name;
    r.header.policy_version = policy_version;
    return r;
  };

  auto session = std::make_shared<policy::RedactionSession>(policy.redactor());
  ChatBackend* backend = c.backend;
  policy::TokenCounter counter = backend_token_counter(backend, chat.tool_choice);
  policy::InputResult input;
  try {
    input = policy::filter_input(policy, *session, to_policy_request(chat), counter);
  } catch (const std::exception& e) {
    core::log_error("input filter failed", {{"request_id", c.http ? c.http->request_id : ""}, {"error", e.what()}});
    ApiError err(500, "The request could not be checked against the policy; it was not processed.", "server_error",
                 "policy_error");
    return respond_recorded(with_policy(failed_chat_record(c, &body, 500, err.what())), err.to_response());
  }
  count_rules(c.metrics, policy_name, input.verdicts);
  count_entities(c.metrics, input.entity_counts, "input");

  core::Json input_json = core::Json::object();
  input_json["decision"] = std::string(policy::decision_name(input.decision));
  input_json["verdicts"] = core::Json::array();
  for (const auto& v : input.verdicts) input_json["verdicts"].push_back(verdict_json(v));
  input_json["spans"] = core::Json::array();
  for (const auto& s : input.spans) input_json["spans"].push_back(span_json(s.where, s.span));

  auto header_for = [&, input_decision = std::string(policy::decision_name(input.decision))] {
    audit::AuditHeader h = base_header(c);
    h.policy_name = policy_name;
    h.policy_version = policy_version;
    h.decision = input_decision;
    h.entity_counts = input.entity_counts;
    for (const auto& v : input.verdicts) {
      if (v.fired) h.rules_fired.push_back(v.rule);
    }
    return h;
  };

  if (input.decision == policy::Decision::kBlocked) {
    if (c.metrics) {
      c.metrics->increment("warden_policy_decisions_total",
                           {{"policy", policy_name}, {"version", std::to_string(policy_version)}, {"decision", "blocked"}});
    }
    ApiError e(400, input.block_message, "invalid_request_error", "content_filter");
    audit::AuditRecord record;
    record.header = header_for();
    record.header.http_status = 400;
    record.payload["request"] = body;
    record.payload["input"] = std::move(input_json);
    record.payload["input"]["block"] = core::Json::object();
    record.payload["input"]["block"]["rule"] = input.block_rule;
    record.payload["input"]["block"]["message"] = input.block_message;
    return respond_recorded(std::move(record), e.to_response());
  }

  apply_policy_request(chat, input.request);
  core::Json model_request = policy::policy_request_json(input.request);

  auto filter = std::make_unique<policy::OutputFilter>(policy, *session);
  Metrics* metrics = c.metrics;
  auto on_finish = [audit, metrics, pinned, done, started = c.started, header = header_for(), request_body = body,
                    input_json, model_request](const ChatOutcome& o, const policy::OutputFilter* f,
                                               ChatStream::Complete complete) mutable {
    audit::AuditRecord record;
    record.header = header;
    auto& h = record.header;
    h.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    h.http_status = o.status;
    h.prompt_tokens = o.prompt_tokens;
    h.completion_tokens = o.completion_tokens;
    core::Json output = core::Json::object();
    if (f) {
      std::string out_decision(policy::decision_name(f->decision()));
      if (decision_rank(out_decision) > decision_rank(h.decision)) h.decision = out_decision;
      for (const auto& [type, n] : f->entity_counts()) h.entity_counts[type] += n;
      output["decision"] = out_decision;
      output["verdicts"] = core::Json::array();
      auto verdicts = f->verdicts();
      for (const auto& v : verdicts) {
        output["verdicts"].push_back(verdict_json(v));
        if (v.fired) h.rules_fired.push_back(v.rule);
      }
      output["spans"] = core::Json::array();
      for (const auto& s : f->spans()) output["spans"].push_back(span_json("output", s));
      for (const auto& s : f->tool_call_spans()) output["spans"].push_back(span_json(s.where, s.span));
      if (f->stopped()) output["stop_rule"] = f->stop_rule();
      count_rules(metrics, h.policy_name, verdicts);
      count_entities(metrics, f->entity_counts(), "output");
    }
    if (o.status >= 500) h.decision = "failed";
    if (metrics) {
      metrics->increment("warden_policy_decisions_total",
                         {{"policy", h.policy_name}, {"version", std::to_string(h.policy_version)}, {"decision", h.decision}});
    }
    record.payload["request"] = std::move(request_body);
    record.payload["input"] = std::move(input_json);
    record.payload["model_request"] = std::move(model_request);
    record.payload["output"] = std::move(output);
    core::Json answer = core::Json::object();
    answer["produced"] = o.produced;
    answer["delivered"] = o.delivered;
    answer["finish_reason"] = o.finish_reason;
    if (!o.error_message.empty()) answer["error"] = o.error_message;
    if (!o.tool_calls.empty()) {
      answer["tool_calls"] = core::Json::array();
      for (const ToolCallOutcome& call : o.tool_calls) {
        core::Json j = core::Json::object();
        j["id"] = call.id;
        j["name"] = call.name;
        j["produced_arguments"] = call.produced_arguments;
        if (call.withheld.empty()) j["delivered_arguments"] = call.delivered_arguments;
        else j["withheld"] = call.withheld;
        j["complete"] = call.complete;
        answer["tool_calls"].push_back(std::move(j));
      }
    }
    record.payload["answer"] = std::move(answer);
    // The response ends (final chunk, [DONE], or the whole body) once the record is durable.
    audit->record(std::move(record), [complete, done, status = o.status, prompt = o.prompt_tokens,
                                      completion = o.completion_tokens](bool durable) {
      complete(durable);
      done(durable ? status : 503, prompt, completion);
    });
  };
  auto stream = std::make_shared<ChatStream>(chat, c.http ? c.http->request_id : "", c.model_id, responder, session,
                                             std::move(filter), std::move(on_finish));
  try {
    stream->run(*backend);
  } catch (const ApiError& e) {
    audit::AuditRecord record;
    record.header = header_for();
    record.header.decision = "failed";
    record.header.http_status = e.status();
    record.payload["request"] = body;
    record.payload["input"] = input_json;
    record.payload["error"] = std::string(e.what());
    return respond_recorded(std::move(record), e.to_response());
  }
}

}  // namespace warden::gateway

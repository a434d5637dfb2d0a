// The input stage works on "text slots": every text of the request that a rule or the
// redaction reads. A slot has a `where` (for verdicts and spans), the role content rules
// filter on, and its text:
//   messages[k].content                                   the message's role (tool included)
//   messages[k].tool_calls[j].function.arguments<path>    assistant; one slot per JSON string
//                                                         value, the whole text when not JSON
//   tools[t].function.description                         system
//   tools[t].function.parameters<path>                    system; one slot per JSON string value
//   stop[j], user                                         redaction only
// Order: content rules (deny_topics, regex, injection) in document order on the slots of the
// roles they read, as sent; then per slot the rules' redactions and PII/secret redaction with
// the request's one vault (the same value gets the same placeholder in a message and in a
// call's arguments); the slots are written back (JSON texts by splicing the changed strings
// into the original text, json_strings.h); then the required system prompt and the limits
// (max_messages, allowed_models, max_input_tokens, max_output_tokens) in document order.
// The first block stops it.
#include <algorithm>
#include <cstdio>
#include <set>

#include "policy/guardrails.h"
#include "policy/injection.h"
#include "policy/json_strings.h"

namespace warden::policy {
namespace {

std::string fmt_score(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string span_text(size_t s, size_t e) { return "[" + std::to_string(s) + ":" + std::to_string(e) + "]"; }

RuleVerdict base_verdict(const GuardRule& rule) {
  RuleVerdict v;
  v.rule = rule.id;
  v.kind = std::string(rule_kind_name(rule.kind));
  v.stage = rule.output ? "output" : "input";
  v.action = rule.action;
  return v;
}

bool model_allowed(const GuardRule& rule, const std::string& model) {
  for (const std::string& m : rule.models) {
    if (!m.empty() && m.back() == '*') {
      if (model.compare(0, m.size() - 1, m, 0, m.size() - 1) == 0) return true;
    } else if (m == model) {
      return true;
    }
  }
  return false;
}

constexpr uint32_t kRedactionOnly = 0;  // a slot no content rule reads (stop, user)
constexpr size_t kNone = static_cast<size_t>(-1);

struct TextSlot {
  std::string where;
  uint32_t role = kRedactionOnly;  // role bit for the rules' `roles`
  std::string text;                // as sent; after the redaction step, as the model gets it
  bool changed = false;
};

// A field of InputResult::request that slots were cut from and are written back to.
struct SlotField {
  std::string* text;                                 // points into the result's request
  std::optional<std::vector<JsonStringValue>> json;  // set: one slot per string value
  size_t first_slot = 0;
};

std::string tool_call_where(size_t message, size_t call) {
  return "messages[" + std::to_string(message) + "].tool_calls[" + std::to_string(call) + "].function.arguments";
}

std::string tool_where(size_t tool, const char* field) {
  return "tools[" + std::to_string(tool) + "].function." + field;
}

struct InputRun {
  const CompiledPolicy::Impl& p;
  const PolicyRequest& original;
  const TokenCounter& count_tokens;
  std::vector<MatchReport>* matches;
  InputResult r;
  std::vector<std::optional<RuleVerdict>> verdicts;
  // Built from r.request before any rule runs; r.request's vectors are not resized until
  // write_back() has run, so the field pointers stay valid.
  std::vector<TextSlot> slots;
  std::vector<SlotField> fields;
  std::vector<std::vector<RedactSpan>> redactions;  // by slot
  bool flagged = false;
  bool changed = false;

  bool blocked() const { return r.decision == Decision::kBlocked; }

  void add_text(std::string& field, std::string where, uint32_t role) {
    fields.push_back(SlotField{&field, std::nullopt, slots.size()});
    slots.push_back(TextSlot{std::move(where), role, field, false});
  }

  // JSON text: a slot per string value (keys are not scanned), `where` + its JSON path.
  void add_json(std::string& field, const std::string& where, uint32_t role) {
    auto values = json_string_values(field);
    if (!values) {
      add_text(field, where, role);
      return;
    }
    const size_t first = slots.size();
    for (const JsonStringValue& v : *values) slots.push_back(TextSlot{where + v.path, role, v.value, false});
    fields.push_back(SlotField{&field, std::move(values), first});
  }

  void collect_slots() {
    PolicyRequest& req = r.request;
    for (size_t k = 0; k < req.messages.size(); ++k) {
      PolicyMessage& m = req.messages[k];
      add_text(m.content, message_where(k), role_bit(m.role));
      for (size_t j = 0; j < m.tool_calls.size(); ++j) add_json(m.tool_calls[j].arguments, tool_call_where(k, j), kRoleAssistant);
    }
    for (size_t t = 0; t < req.tools.size(); ++t) {
      add_text(req.tools[t].description, tool_where(t, "description"), kRoleSystem);
      if (!req.tools[t].parameters.empty()) add_json(req.tools[t].parameters, tool_where(t, "parameters"), kRoleSystem);
    }
    for (size_t j = 0; j < req.stop.size(); ++j) add_text(req.stop[j], "stop[" + std::to_string(j) + "]", kRedactionOnly);
    if (!req.user.empty()) add_text(req.user, "user", kRedactionOnly);
  }

  void write_back() {
    for (SlotField& f : fields) {
      if (!f.json) {
        if (slots[f.first_slot].changed) *f.text = slots[f.first_slot].text;
        continue;
      }
      const size_t n = f.json->size();
      bool any = false;
      std::vector<std::string> replacements;
      replacements.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        any |= slots[f.first_slot + i].changed;
        replacements.push_back(slots[f.first_slot + i].text);
      }
      if (any) *f.text = splice_json_strings(*f.text, *f.json, replacements);
    }
  }

  void block(const GuardRule& rule) {
    r.decision = Decision::kBlocked;
    r.block_rule = rule.id;
    r.block_message = rule.block_message();
  }

  void report(size_t rule, const std::string& where, size_t s, size_t e, std::string what, std::string exempted = {}) {
    if (matches) matches->push_back(MatchReport{rule, where, s, e, std::move(what), std::move(exempted)});
  }

  // Collects what fired for a content rule; returns the verdict.
  RuleVerdict content_rule(size_t index, std::vector<size_t>& text_exempt,
                           std::vector<std::vector<std::pair<size_t, size_t>>>& allowed) {
    const GuardRule& rule = p.input[index];
    RuleVerdict v = base_verdict(rule);
    size_t total = 0;
    std::string first;
    double best_score = 0.0;
    const DenyProbe probe = [this](std::string_view decoded) { return probe_deny_rules(p.input, decoded); };
    for (size_t k = 0; k < slots.size(); ++k) {
      const TextSlot& slot = slots[k];
      if (!(slot.role & rule.roles)) continue;
      const std::string& where = slot.where;
      if (rule.kind == RuleKind::kRegex && rule.allow) {
        for (const RuleHit& h : regex_hits(rule, slot.text)) {
          if (rule.scope_text) text_exempt[k] = std::min(text_exempt[k], index);
          else allowed[k].emplace_back(h.start, h.end);
          report(index, where, h.start, h.end, h.what);
          if (total++ == 0) first = excerpt(h.what) + " at " + where + span_text(h.start, h.end);
        }
        continue;
      }
      std::vector<RuleHit> hits;
      if (rule.kind == RuleKind::kInjection) {
        const InjectionResult res = InjectionDetector::instance().analyze(slot.text, rule.checks, probe);
        best_score = std::max(best_score, res.score);
        if (res.score < rule.threshold) continue;
        std::string cues;
        for (const InjectionEvidence& ev : res.evidence) {
          hits.push_back(RuleHit{ev.start, ev.end, std::string(injection_check_name(ev.check)) + ":" + ev.cue});
          cues += std::string(cues.empty() ? "" : ", ") + std::string(injection_check_name(ev.check)) + "/" + ev.cue +
                  " " + fmt_score(ev.weight) + " at " + span_text(ev.start, ev.end);
        }
        if (first.empty()) first = "score " + fmt_score(res.score) + " >= " + fmt_score(rule.threshold) + " in " + where + " (" + cues + ")";
      } else {
        hits = rule.kind == RuleKind::kDenyTopics ? deny_topic_hits(rule, slot.text) : regex_hits(rule, slot.text);
        if (text_exempt[k] < index) {
          for (const RuleHit& h : hits) report(index, where, h.start, h.end, h.what, p.input[text_exempt[k]].id);
          continue;
        }
        std::vector<RuleHit> kept;
        for (RuleHit& h : hits) {
          const auto covering = std::find_if(allowed[k].begin(), allowed[k].end(),
                                             [&](const auto& a) { return a.first <= h.start && h.end <= a.second; });
          if (covering != allowed[k].end()) {
            report(index, where, h.start, h.end, h.what, "an earlier allow rule");
            continue;
          }
          kept.push_back(std::move(h));
        }
        hits = std::move(kept);
        if (!hits.empty() && first.empty()) {
          first = "matched " + excerpt(hits[0].what) + " at " + where + span_text(hits[0].start, hits[0].end);
        }
      }
      if (hits.empty()) continue;
      if (rule.kind != RuleKind::kInjection) total += hits.size();
      else ++total;
      for (const RuleHit& h : hits) {
        report(index, where, h.start, h.end, h.what);
        if (rule.action == RuleAction::kRedact) redactions[k].push_back(RedactSpan{h.start, h.end, index, &rule.id});
      }
      if (v.where.empty()) v.where = where;
    }
    v.fired = total > 0;
    if (rule.kind == RuleKind::kRegex && rule.allow) {
      v.detail = v.fired ? "allowed " + first + (total > 1 ? " (+" + std::to_string(total - 1) + " more)" : "") +
                               (rule.scope_text ? "; exempts those texts from later deny rules"
                                                : "; exempts the matched text from later deny rules")
                         : "no match";
    } else if (rule.kind == RuleKind::kInjection) {
      v.detail = v.fired ? first + (total > 1 ? " (+" + std::to_string(total - 1) + " more texts)" : "")
                         : "highest score " + fmt_score(best_score) + " (threshold " + fmt_score(rule.threshold) + ")";
    } else {
      v.detail = v.fired ? first + (total > 1 ? " (+" + std::to_string(total - 1) + " more)" : "") : "no match";
    }
    return v;
  }

  // The rules' redactions, then PII/secret redaction of every slot with the one vault.
  void redact_slots(RedactionSession& session) {
    for (size_t k = 0; k < slots.size(); ++k) {
      if (redactions[k].empty()) continue;
      slots[k].text = apply_rule_redactions(slots[k].text, redactions[k]);
      slots[k].changed = changed = true;
    }
    std::set<std::string> blocked_types;
    for (TextSlot& slot : slots) {
      RedactionResult res = session.redact(slot.text);
      for (const RedactedSpan& s : res.spans) {
        ++r.entity_counts[s.type];
        r.spans.push_back(SpanReport{slot.where, s});
      }
      blocked_types.insert(res.blocked_types.begin(), res.blocked_types.end());
      if (res.spans.empty()) continue;
      slot.changed = changed = true;
      slot.text = std::move(res.text);
    }
    if (blocked_types.empty()) return;
    r.decision = Decision::kBlocked;
    r.block_rule = "redaction";
    r.blocked_types.assign(blocked_types.begin(), blocked_types.end());
    std::string names;
    for (const auto& t : r.blocked_types) names += std::string(names.empty() ? "" : ", ") + t;
    r.block_message = "This request was blocked by policy: it contains data that may not be sent to the model (" +
                      names + ").";
  }

  RuleVerdict limit_rule(size_t index) {
    const GuardRule& rule = p.input[index];
    RuleVerdict v = base_verdict(rule);
    switch (rule.kind) {
      case RuleKind::kMaxMessages: {
        const size_t n = original.messages.size();
        v.where = "messages";
        v.fired = n > static_cast<size_t>(rule.limit);
        v.detail = std::to_string(n) + " messages" + (v.fired ? " > " : " <= ") + "limit " + std::to_string(rule.limit);
        break;
      }
      case RuleKind::kAllowedModels:
        v.where = "model";
        v.fired = !model_allowed(rule, original.model);
        v.detail = "model \"" + original.model + (v.fired ? "\" is not in the allowed list" : "\" is allowed");
        break;
      case RuleKind::kMaxInputTokens: {
        int64_t tokens = 0;
        tokens = count_tokens ? count_tokens(r.request) : estimate_prompt_tokens(r.request);
        v.where = "messages";
        v.fired = tokens > rule.limit;
        v.detail = std::to_string(tokens) + " prompt tokens" + (v.fired ? " > " : " <= ") + "limit " +
                   std::to_string(rule.limit) + (count_tokens ? "" : " (estimated at 4 bytes per token)");
        break;
      }
      case RuleKind::kMaxOutputTokens: {
        v.where = "max_tokens";
        const auto& asked = r.request.max_tokens;
        if (!asked) {
          v.detail = "max_tokens set to " + std::to_string(rule.limit) + " (the request gave none)";
          r.request.max_tokens = static_cast<int>(rule.limit);
        } else if (*asked > rule.limit) {
          v.fired = true;
          v.detail = "max_tokens " + std::to_string(*asked) + " capped to " + std::to_string(rule.limit);
          r.request.max_tokens = static_cast<int>(rule.limit);
        } else {
          v.detail = "max_tokens " + std::to_string(*asked) + " within limit " + std::to_string(rule.limit);
        }
        break;
      }
      default: break;
    }
    return v;
  }

  void run(RedactionSession& session) {
    collect_slots();
    const size_t n = p.input.size();
    verdicts.resize(n);
    redactions.resize(slots.size());
    std::vector<size_t> text_exempt(slots.size(), kNone);  // by slot: the allow rule (scope text) exempting it
    std::vector<std::vector<std::pair<size_t, size_t>>> allowed(slots.size());  // by slot: allow matches
    auto act = [&](size_t i, const RuleVerdict& v) {
      const GuardRule& rule = p.input[i];
      if (!v.fired) return;
      if (rule.action == RuleAction::kBlock) block(rule);
      else if (rule.action == RuleAction::kFlag) flagged = true;
    };
    for (size_t i = 0; i < n && !blocked(); ++i) {
      if (!p.input[i].is_content()) continue;
      verdicts[i] = content_rule(i, text_exempt, allowed);
      act(i, *verdicts[i]);
    }
    if (!blocked()) {
      redact_slots(session);
      write_back();
    }
    if (!blocked()) {
      for (size_t i = 0; i < n; ++i) {
        const GuardRule& rule = p.input[i];
        if (rule.kind != RuleKind::kSystemPrompt) continue;
        PolicyMessage system;
        system.role = "system";
        system.content = rule.text;
        r.request.messages.insert(r.request.messages.begin(), std::move(system));
        RuleVerdict v = base_verdict(rule);
        v.fired = true;
        v.where = "messages[0]";
        v.detail = "prepended a system message of " + std::to_string(rule.text.size()) + " bytes";
        verdicts[i] = v;
      }
      for (size_t i = 0; i < n && !blocked(); ++i) {
        const GuardRule& rule = p.input[i];
        if (rule.is_content() || rule.kind == RuleKind::kSystemPrompt) continue;
        verdicts[i] = limit_rule(i);
        act(i, *verdicts[i]);
      }
    }
    for (size_t i = 0; i < n; ++i) {
      if (verdicts[i]) {
        r.verdicts.push_back(std::move(*verdicts[i]));
        continue;
      }
      RuleVerdict v = base_verdict(p.input[i]);
      v.detail = "not evaluated: the request was already blocked by " +
                 (r.block_rule == "redaction" ? std::string("the redaction policy") : "rule '" + r.block_rule + "'");
      r.verdicts.push_back(std::move(v));
    }
    if (!blocked()) r.decision = changed ? Decision::kRedacted : flagged ? Decision::kFlagged : Decision::kAllowed;
  }
};

}  // namespace

int64_t estimate_prompt_tokens(const PolicyRequest& request) {
  size_t bytes = 0;
  for (const PolicyMessage& m : request.messages) {
    bytes += m.content.size();
    for (const PolicyToolCall& c : m.tool_calls) bytes += c.name.size() + c.arguments.size();
  }
  for (const PolicyTool& t : request.tools) bytes += t.name.size() + t.description.size() + t.parameters.size();
  return static_cast<int64_t>((bytes + 3) / 4);
}

InputResult run_input_filter(const CompiledPolicy& policy, RedactionSession& session, const PolicyRequest& request,
                             const TokenCounter& count_tokens, std::vector<MatchReport>* matches) {
  InputRun run{policy.impl(), request, count_tokens, matches, {}, {}, {}, {}, {}};
  run.r.request = request;
  run.run(session);
  return std::move(run.r);
}

InputResult filter_input(const CompiledPolicy& policy, RedactionSession& session, const PolicyRequest& request,
                         const TokenCounter& count_tokens) {
  return run_input_filter(policy, session, request, count_tokens, nullptr);
}

}  // namespace warden::policy

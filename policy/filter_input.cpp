// The input stage: content rules (deny_topics, regex, injection) in document order on the
// texts as sent, then PII/secret redaction of every text with the request's vault, then
// the required system prompt and the limits (max_messages, allowed_models,
// max_input_tokens, max_output_tokens) in document order. The first block stops it.
#include <algorithm>
#include <cstdio>
#include <set>

#include "policy/guardrails.h"
#include "policy/injection.h"

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

struct InputRun {
  const CompiledPolicy::Impl& p;
  const PolicyRequest& original;
  const TokenCounter& count_tokens;
  std::vector<MatchReport>* matches;
  InputResult r;
  std::vector<std::optional<RuleVerdict>> verdicts;
  std::vector<std::vector<RedactSpan>> redactions;  // by message
  bool flagged = false;
  bool changed = false;

  bool blocked() const { return r.decision == Decision::kBlocked; }

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
    for (size_t k = 0; k < original.messages.size(); ++k) {
      const PolicyMessage& m = original.messages[k];
      if (!(role_bit(m.role) & rule.roles)) continue;
      const std::string where = message_where(k);
      if (rule.kind == RuleKind::kRegex && rule.allow) {
        for (const RuleHit& h : regex_hits(rule, m.content)) {
          if (rule.scope_text) text_exempt[k] = std::min(text_exempt[k], index);
          else allowed[k].emplace_back(h.start, h.end);
          report(index, where, h.start, h.end, h.what);
          if (total++ == 0) first = excerpt(h.what) + " at " + where + span_text(h.start, h.end);
        }
        continue;
      }
      std::vector<RuleHit> hits;
      if (rule.kind == RuleKind::kInjection) {
        const InjectionResult res = InjectionDetector::instance().analyze(m.content, rule.checks, probe);
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
        hits = rule.kind == RuleKind::kDenyTopics ? deny_topic_hits(rule, m.content) : regex_hits(rule, m.content);
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

  void redact_texts(RedactionSession& session) {
    std::set<std::string> blocked_types;
    auto one = [&](std::string& text, const std::string& where) {
      RedactionResult res = session.redact(text);
      for (const RedactedSpan& s : res.spans) {
        ++r.entity_counts[s.type];
        r.spans.push_back(SpanReport{where, s});
      }
      blocked_types.insert(res.blocked_types.begin(), res.blocked_types.end());
      if (!res.spans.empty()) changed = true;
      text = std::move(res.text);
    };
    for (size_t k = 0; k < r.request.messages.size(); ++k) one(r.request.messages[k].content, message_where(k));
    for (size_t j = 0; j < r.request.stop.size(); ++j) one(r.request.stop[j], "stop[" + std::to_string(j) + "]");
    if (!r.request.user.empty()) one(r.request.user, "user");
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
        if (count_tokens) {
          tokens = count_tokens(r.request);
        } else {
          size_t bytes = 0;
          for (const auto& m : r.request.messages) bytes += m.content.size();
          tokens = static_cast<int64_t>((bytes + 3) / 4);
        }
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
    const size_t n = p.input.size();
    verdicts.resize(n);
    redactions.resize(original.messages.size());
    std::vector<size_t> text_exempt(original.messages.size(), static_cast<size_t>(-1));
    std::vector<std::vector<std::pair<size_t, size_t>>> allowed(original.messages.size());
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
      for (size_t k = 0; k < redactions.size(); ++k) {
        if (redactions[k].empty()) continue;
        r.request.messages[k].content = apply_rule_redactions(original.messages[k].content, redactions[k]);
        changed = true;
      }
      redact_texts(session);
    }
    if (!blocked()) {
      for (size_t i = 0; i < n; ++i) {
        const GuardRule& rule = p.input[i];
        if (rule.kind != RuleKind::kSystemPrompt) continue;
        r.request.messages.insert(r.request.messages.begin(), PolicyMessage{"system", rule.text, ""});
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

InputResult run_input_filter(const CompiledPolicy& policy, RedactionSession& session, const PolicyRequest& request,
                             const TokenCounter& count_tokens, std::vector<MatchReport>* matches) {
  InputRun run{policy.impl(), request, count_tokens, matches, {}, {}, {}};
  run.r.request = request;
  run.run(session);
  return std::move(run.r);
}

InputResult filter_input(const CompiledPolicy& policy, RedactionSession& session, const PolicyRequest& request,
                         const TokenCounter& count_tokens) {
  return run_input_filter(policy, session, request, count_tokens, nullptr);
}

}  // namespace warden::policy

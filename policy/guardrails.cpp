#include "policy/guardrails.h"

#include <algorithm>

#include "policy/text_fold.h"

namespace warden::policy {
namespace {

constexpr const char* kKindNames[] = {"deny_topics",      "regex",          "injection",
                                      "max_input_tokens", "max_output_tokens", "max_messages",
                                      "allowed_models",   "system_prompt",  "pii_leak"};

}  // namespace

std::string_view rule_action_name(RuleAction action) {
  switch (action) {
    case RuleAction::kBlock: return "block";
    case RuleAction::kRedact: return "redact";
    case RuleAction::kFlag: return "flag";
    case RuleAction::kAllow: return "allow";
    case RuleAction::kNone: return "none";
  }
  return "none";
}

std::string_view decision_name(Decision decision) {
  switch (decision) {
    case Decision::kAllowed: return "allowed";
    case Decision::kFlagged: return "flagged";
    case Decision::kRedacted: return "redacted";
    case Decision::kBlocked: return "blocked";
  }
  return "allowed";
}

std::string_view rule_kind_name(RuleKind kind) { return kKindNames[static_cast<size_t>(kind)]; }

std::optional<RuleKind> rule_kind_by_name(std::string_view name) {
  for (size_t i = 0; i < std::size(kKindNames); ++i) {
    if (name == kKindNames[i]) return static_cast<RuleKind>(i);
  }
  return std::nullopt;
}

uint32_t role_bit(std::string_view role) {
  if (role == "system" || role == "developer") return kRoleSystem;
  if (role == "user") return kRoleUser;
  if (role == "assistant") return kRoleAssistant;
  if (role == "tool") return kRoleTool;
  return kRoleOther;
}

std::vector<RuleHit> deny_topic_hits(const GuardRule& rule, std::string_view text) {
  std::vector<RuleHit> hits;
  if (!rule.matcher) return hits;
  std::vector<PhraseMatcher::Match> found;
  rule.matcher->scan(text, 0, true, found);
  std::vector<PhraseMatcher::Match> denies;
  std::vector<PhraseMatcher::Match> exceptions;
  for (const auto& m : found) (rule.exception[m.term] ? exceptions : denies).push_back(m);
  auto by_start = [](const auto& a, const auto& b) { return a.start < b.start || (a.start == b.start && a.end > b.end); };
  std::sort(denies.begin(), denies.end(), by_start);
  std::sort(exceptions.begin(), exceptions.end(), by_start);
  // An exception covers a match when it starts at or before it and ends at or after it.
  size_t next_exception = 0;
  size_t covered_to = 0;
  bool any_exception = false;
  for (const auto& d : denies) {
    while (next_exception < exceptions.size() && exceptions[next_exception].start <= d.start) {
      covered_to = std::max(covered_to, exceptions[next_exception].end);
      any_exception = true;
      ++next_exception;
    }
    if (any_exception && covered_to >= d.end) continue;
    hits.push_back(RuleHit{d.start, d.end, std::string(text.substr(d.start, d.end - d.start))});
  }
  return hits;
}

std::vector<RuleHit> regex_hits(const GuardRule& rule, std::string_view text) {
  std::vector<RuleHit> hits;
  if (!rule.regex) return hits;
  for (const auto& [s, e] : rule.regex->find_all(text)) hits.push_back(RuleHit{s, e, std::string(text.substr(s, e - s))});
  return hits;
}

std::optional<std::string> probe_deny_rules(const std::vector<GuardRule>& rules, std::string_view text) {
  for (const GuardRule& rule : rules) {
    if (!rule.is_deny()) continue;
    const bool hit = rule.kind == RuleKind::kDenyTopics ? !deny_topic_hits(rule, text).empty()
                                                        : !regex_hits(rule, text).empty();
    if (hit) return rule.id;
  }
  return std::nullopt;
}

std::string excerpt(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return "\"" + std::string(text) + "\"";
  size_t cut = max_bytes;
  while (cut > 0 && text::is_continuation(text[cut])) --cut;
  return "\"" + std::string(text.substr(0, cut)) + "...\"";
}

std::string apply_rule_redactions(std::string_view text, std::vector<RedactSpan> spans) {
  if (spans.empty()) return std::string(text);
  std::sort(spans.begin(), spans.end(), [](const RedactSpan& a, const RedactSpan& b) {
    return a.start < b.start || (a.start == b.start && a.rule_index < b.rule_index);
  });
  std::string out;
  size_t pos = 0;
  size_t i = 0;
  while (i < spans.size()) {
    const RedactSpan& first = spans[i];
    size_t end = first.end;
    size_t j = i + 1;
    while (j < spans.size() && spans[j].start < end) end = std::max(end, spans[j++].end);
    out.append(text.substr(pos, first.start - pos));
    out += "[REDACTED:" + *first.rule_id + "]";
    pos = end;
    i = j;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace warden::policy

// Internal: compiled guardrail rules and the inside of a CompiledPolicy. Built once by
// CompiledPolicy::compile (policy_document.cpp), then read-only and shared by every
// request that pinned the policy. Used by filter_input, OutputFilter and dry_run.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/phrase_matcher.h"
#include "policy/policy.h"
#include "policy/windowed_regex.h"

namespace warden::policy {

enum class RuleKind {
  kDenyTopics,
  kRegex,
  kInjection,
  kMaxInputTokens,
  kMaxOutputTokens,
  kMaxMessages,
  kAllowedModels,
  kSystemPrompt,
  kPiiLeak,
};
std::string_view rule_kind_name(RuleKind kind);
std::optional<RuleKind> rule_kind_by_name(std::string_view name);

// Message roles a content rule looks at (bit set; "developer" counts as "system").
enum RoleBits : uint32_t {
  kRoleSystem = 1u << 0,
  kRoleUser = 1u << 1,
  kRoleAssistant = 1u << 2,
  kRoleTool = 1u << 3,
  kRoleOther = 1u << 4,
  kAllRoles = 0x1Fu,
};
uint32_t role_bit(std::string_view role);

struct GuardRule {
  std::string id;
  RuleKind kind = RuleKind::kDenyTopics;
  bool output = false;  // stage
  RuleAction action = RuleAction::kBlock;
  std::string message;  // shown to the caller on block
  uint32_t roles = kAllRoles;

  // deny_topics: one matcher for phrases and exceptions; `exception[term]` tells which.
  std::unique_ptr<PhraseMatcher> matcher;
  std::vector<std::string> term_text;  // as written in the document, by term index
  std::vector<bool> exception;

  // regex
  std::unique_ptr<WindowedRegex> regex;
  bool allow = false;       // mode allow: exempts what it matches from later deny rules
  bool scope_text = false;  // allow scope: the whole text (input only) instead of the match

  // injection
  uint32_t checks = 0;
  double threshold = 0.5;

  // limits
  int64_t limit = 0;
  std::vector<std::string> models;  // allowed_models; "prefix*" matches by prefix
  std::string text;                 // system_prompt

  // pii_leak: entity type -> threshold
  std::map<std::string, double> types;

  bool is_content() const { return kind == RuleKind::kDenyTopics || kind == RuleKind::kRegex || kind == RuleKind::kInjection; }
  bool is_deny() const { return kind == RuleKind::kDenyTopics || (kind == RuleKind::kRegex && !allow); }
  std::string block_message() const {
    return message.empty() ? "This request was blocked by policy rule '" + id + "'." : message;
  }
};

struct Bindings {
  bool is_default = false;
  std::vector<std::string> teams;
  std::vector<std::string> roles;
  std::vector<std::string> keys;
};

struct CompiledPolicy::Impl {
  PolicyIdentity identity;
  core::Json document;
  std::shared_ptr<const Redactor> redactor;
  Bindings bindings;
  std::vector<GuardRule> input;
  std::vector<GuardRule> output;
  // pii_leak detection over the raw answer: its own redactor (only the listed types
  // wanted); `leak_rule` maps an entity type to the first pii_leak rule naming it.
  std::shared_ptr<const Redactor> leak_redactor;
  std::map<std::string, size_t> leak_rule;
};

// A deny or allow match of a content rule in one text, byte offsets into that text.
struct RuleHit {
  size_t start = 0;
  size_t end = 0;
  std::string what;  // the matched phrase / cue (request text: audit and dry run only)
};

// Phrase matches of a deny_topics rule that no exception covers (complete text).
std::vector<RuleHit> deny_topic_hits(const GuardRule& rule, std::string_view text);
// Matches of a regex rule (complete text).
std::vector<RuleHit> regex_hits(const GuardRule& rule, std::string_view text);
// The first deny rule among `rules` (deny_topics and regex deny, every role) that `text`
// trips, for the encoded-payload check.
std::optional<std::string> probe_deny_rules(const std::vector<GuardRule>& rules, std::string_view text);

// "messages[2].content"
inline std::string message_where(size_t index) { return "messages[" + std::to_string(index) + "].content"; }
// A short, quoted excerpt for verdict details (cut at a character boundary).
std::string excerpt(std::string_view text, size_t max_bytes = 80);

// Replaces each maximal union of overlapping spans by "[REDACTED:<rule id>]", naming the
// rule of the span that starts first (ties: the earlier rule).
struct RedactSpan {
  size_t start;
  size_t end;
  size_t rule_index;
  const std::string* rule_id;
};
std::string apply_rule_redactions(std::string_view text, std::vector<RedactSpan> spans);

}  // namespace warden::policy

namespace warden::policy {

// One match of a rule, for the dry run: where it is and what it matched.
struct MatchReport {
  size_t rule = 0;  // index in its stage
  std::string where;
  size_t start = 0;
  size_t end = 0;
  std::string what;         // matched text or cue name (request text: dry run and audit only)
  std::string exempted_by;  // allow rule that exempted it, or exception note; empty when it counted
};

// filter_input with per-match reports (dry run).
InputResult run_input_filter(const CompiledPolicy& policy, RedactionSession& session, const PolicyRequest& request,
                             const TokenCounter& count_tokens, std::vector<MatchReport>* matches);

}  // namespace warden::policy

namespace warden::policy {
// Per-match details of an answer's output stage (dry run).
std::vector<MatchReport> output_match_reports(const OutputFilter& filter);
}  // namespace warden::policy

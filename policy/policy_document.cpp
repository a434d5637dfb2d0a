// CompiledPolicy::compile: validates a whole policy document, listing every problem as
// "path: reason", and compiles it. Nothing is half-built: any problem throws PolicyError.
#include <re2/re2.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <stdexcept>

#include "policy/entity_type.h"
#include "policy/guardrails.h"
#include "policy/injection.h"
#include "policy/text_fold.h"

namespace warden::policy {
namespace {

using core::Json;

constexpr size_t kMaxMessageBytes = 1000;
constexpr size_t kMaxSystemPromptBytes = 64 * 1024;
constexpr size_t kMaxRegexLen = 4096;
constexpr size_t kMaxPhrases = 100000;
constexpr int64_t kMaxLimit = int64_t{1} << 31;

template <typename Names>
std::string join(const Names& names) {
  std::string out;
  for (const char* n : names) out += std::string(out.empty() ? "" : ", ") + n;
  return out;
}

class Checker {
 public:
  void problem(const std::string& path, const std::string& reason) { problems.push_back(path + ": " + reason); }

  bool object(const Json& v, const std::string& path) {
    if (v.is_object()) return true;
    problem(path, std::string("expected an object, got ") + v.type_name());
    return false;
  }
  void keys(const Json& obj, const std::string& prefix, std::initializer_list<const char*> allowed) {
    for (const auto& entry : obj.as_object()) {
      const std::string& key = entry.first;
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
        problem(prefix + key, "unknown key (expected one of " + join(allowed) + ")");
      }
    }
  }
  const std::string* string(const Json& obj, const char* key, const std::string& path, bool required = false) {
    const Json* v = obj.find(key);
    if (!v) {
      if (required) problem(path + "." + key, "required");
      return nullptr;
    }
    if (!v->is_string()) {
      problem(path + "." + key, std::string("expected a string, got ") + v->type_name());
      return nullptr;
    }
    return &v->as_string();
  }
  // A list of strings; every element checked. Returns nullptr when absent or not a list.
  const Json* string_list(const Json& obj, const char* key, const std::string& path, bool required = false) {
    const Json* v = obj.find(key);
    if (!v) {
      if (required) problem(path + "." + key, "required");
      return nullptr;
    }
    if (!v->is_array()) {
      problem(path + "." + key, std::string("expected a list of strings, got ") + v->type_name());
      return nullptr;
    }
    if (v->size() == 0) problem(path + "." + key, "must not be empty");
    for (size_t i = 0; i < v->size(); ++i) {
      const Json& e = (*v)[i];
      if (!e.is_string()) {
        problem(path + "." + key + "[" + std::to_string(i) + "]", std::string("must be a string, got ") + e.type_name());
      } else if (e.as_string().empty()) {
        problem(path + "." + key + "[" + std::to_string(i) + "]", "must not be empty");
      }
    }
    return v;
  }
  std::optional<int64_t> integer(const Json& obj, const char* key, const std::string& path, int64_t lo, int64_t hi,
                                 bool required = false) {
    const Json* v = obj.find(key);
    if (!v) {
      if (required) problem(path + "." + key, "required");
      return std::nullopt;
    }
    if (!v->is_int() && !(v->is_number() && v->as_double() == static_cast<double>(static_cast<int64_t>(v->as_double())))) {
      problem(path + "." + key, std::string("expected an integer, got ") + v->type_name());
      return std::nullopt;
    }
    const int64_t n = v->as_int();
    if (n < lo || n > hi) {
      problem(path + "." + key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
      return std::nullopt;
    }
    return n;
  }
  std::optional<double> number(const Json& obj, const char* key, const std::string& path, double lo, double hi,
                               bool lo_open) {
    const Json* v = obj.find(key);
    if (!v) return std::nullopt;
    if (!v->is_number()) {
      problem(path + "." + key, std::string("expected a number, got ") + v->type_name());
      return std::nullopt;
    }
    const double d = v->as_double();
    if ((lo_open ? d <= lo : d < lo) || d > hi) {
      std::ostringstream os;
      os << "must be " << (lo_open ? "greater than " : "at least ") << lo << " and at most " << hi;
      problem(path + "." + key, os.str());
      return std::nullopt;
    }
    return d;
  }

  std::vector<std::string> problems;
};

// Which common keys a kind takes and which actions it allows (empty: no action).
struct KindSpec {
  RuleKind kind;
  const char* name;
  bool input;
  bool output;
  std::vector<RuleAction> actions;
  bool roles;  // takes `roles`
  std::vector<const char*> keys;
};

const std::vector<KindSpec>& kind_specs() {
  using A = RuleAction;
  static const std::vector<KindSpec> specs = {
      {RuleKind::kDenyTopics, "deny_topics", true, true, {A::kBlock, A::kRedact, A::kFlag}, true,
       {"id", "kind", "action", "message", "roles", "phrases", "exceptions"}},
      {RuleKind::kRegex, "regex", true, true, {A::kBlock, A::kRedact, A::kFlag}, true,
       {"id", "kind", "action", "message", "roles", "pattern", "mode", "max_len", "scope"}},
      {RuleKind::kInjection, "injection", true, false, {A::kBlock, A::kRedact, A::kFlag}, true,
       {"id", "kind", "action", "message", "roles", "checks", "threshold"}},
      {RuleKind::kMaxInputTokens, "max_input_tokens", true, false, {A::kBlock, A::kFlag}, false,
       {"id", "kind", "action", "message", "limit"}},
      {RuleKind::kMaxOutputTokens, "max_output_tokens", true, false, {}, false, {"id", "kind", "limit"}},
      {RuleKind::kMaxMessages, "max_messages", true, false, {A::kBlock, A::kFlag}, false,
       {"id", "kind", "action", "message", "limit"}},
      {RuleKind::kAllowedModels, "allowed_models", true, false, {A::kBlock, A::kFlag}, false,
       {"id", "kind", "action", "message", "models"}},
      {RuleKind::kSystemPrompt, "system_prompt", true, false, {}, false, {"id", "kind", "text"}},
      {RuleKind::kPiiLeak, "pii_leak", false, true, {A::kBlock, A::kFlag}, false,
       {"id", "kind", "action", "types", "threshold"}},
  };
  return specs;
}

const KindSpec* kind_spec(RuleKind kind) {
  for (const auto& s : kind_specs()) {
    if (s.kind == kind) return &s;
  }
  return nullptr;
}

std::optional<RuleAction> parse_rule_action(const std::string& s) {
  if (s == "block") return RuleAction::kBlock;
  if (s == "redact") return RuleAction::kRedact;
  if (s == "flag") return RuleAction::kFlag;
  return std::nullopt;
}

bool valid_rule_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

struct Context {
  Checker& ck;
  std::set<std::string> entity_names;  // builtin and declared custom types
};

void parse_deny_topics(Context& cx, const Json& v, const std::string& path, GuardRule& rule) {
  Checker& ck = cx.ck;
  rule.matcher = std::make_unique<PhraseMatcher>();
  std::map<std::string, std::string> phrase_paths;  // folded phrase -> path
  auto add_list = [&](const char* key, bool exception) {
    const Json* list = ck.string_list(v, key, path, !exception);
    if (!list) return;
    if (list->size() > kMaxPhrases) {
      ck.problem(path + "." + key, "more than " + std::to_string(kMaxPhrases) + " phrases; split them over several rules");
      return;
    }
    for (size_t i = 0; i < list->size(); ++i) {
      if (!(*list)[i].is_string() || (*list)[i].as_string().empty()) continue;
      const std::string& phrase = (*list)[i].as_string();
      const std::string item = path + "." + key + "[" + std::to_string(i) + "]";
      const std::string folded = text::fold_phrase(phrase);
      if (folded.empty()) {
        ck.problem(item, "has no characters to match");
        continue;
      }
      if (folded.size() > PhraseMatcher::kMaxPhraseBytes) {
        ck.problem(item, "longer than " + std::to_string(PhraseMatcher::kMaxPhraseBytes) + " bytes");
        continue;
      }
      if (exception) {
        auto it = phrase_paths.find(folded);
        if (it != phrase_paths.end()) {
          ck.problem(item, "\"" + phrase + "\" is also listed in phrases (" + it->second + ")");
          continue;
        }
      } else {
        phrase_paths.emplace(folded, item);
      }
      const uint32_t term = rule.matcher->add(phrase);
      if (term < rule.term_text.size()) continue;  // same phrase twice in one list
      rule.term_text.push_back(phrase);
      rule.exception.push_back(exception);
    }
  };
  add_list("phrases", false);
  add_list("exceptions", true);
  try {
    rule.matcher->build();
  } catch (const std::length_error& e) {
    ck.problem(path + ".phrases", e.what());
    return;
  }
  // An exception that contains none of the phrases can never apply: a typo, most likely.
  if (const Json* list = v.find("exceptions"); list && list->is_array()) {
    for (size_t i = 0; i < list->size(); ++i) {
      if (!(*list)[i].is_string()) continue;
      const std::string& phrase = (*list)[i].as_string();
      if (text::fold_phrase(phrase).empty() || phrase_paths.count(text::fold_phrase(phrase))) continue;
      std::vector<PhraseMatcher::Match> found;
      rule.matcher->scan(phrase, 0, true, found);
      const bool covers = std::any_of(found.begin(), found.end(), [&](const auto& m) { return !rule.exception[m.term]; });
      if (!covers) {
        ck.problem(path + ".exceptions[" + std::to_string(i) + "]",
                   "\"" + phrase + "\" contains none of the rule's phrases, so it can never apply");
      }
    }
  }
}

void parse_regex(Context& cx, const Json& v, const std::string& path, GuardRule& rule) {
  Checker& ck = cx.ck;
  if (const std::string* mode = ck.string(v, "mode", path)) {
    if (*mode == "allow") rule.allow = true;
    else if (*mode != "deny") ck.problem(path + ".mode", "unknown mode \"" + *mode + "\" (expected deny, allow)");
  }
  if (rule.allow) {
    if (v.contains("action")) ck.problem(path + ".action", "not valid for mode allow (an allow rule only exempts text)");
    if (v.contains("message")) ck.problem(path + ".message", "not valid for mode allow");
    rule.action = RuleAction::kAllow;
  }
  if (const std::string* scope = ck.string(v, "scope", path)) {
    if (!rule.allow) {
      ck.problem(path + ".scope", "applies to mode allow only");
    } else if (*scope == "text") {
      if (rule.output) ck.problem(path + ".scope", "text is not valid for output rules (an answer is checked as it streams; use match)");
      rule.scope_text = true;
    } else if (*scope != "match") {
      ck.problem(path + ".scope", "unknown scope \"" + *scope + "\" (expected text, match)");
    }
  } else if (rule.allow && !rule.output) {
    rule.scope_text = true;  // input default: the whole text
  }
  const auto max_len = ck.integer(v, "max_len", path, 1, static_cast<int64_t>(kMaxRegexLen));
  const std::string* pattern = ck.string(v, "pattern", path, true);
  if (!pattern) return;
  if (pattern->empty()) {
    ck.problem(path + ".pattern", "must not be empty");
    return;
  }
  try {
    rule.regex = std::make_unique<WindowedRegex>(*pattern, max_len ? static_cast<size_t>(*max_len)
                                                                   : WindowedRegex::kDefaultMaxLen);
  } catch (const std::invalid_argument& e) {
    ck.problem(path + ".pattern", std::string("invalid regex: ") + e.what());
    return;
  }
  if (rule.regex->matches_empty()) ck.problem(path + ".pattern", "matches the empty string");
}

void parse_injection(Context& cx, const Json& v, const std::string& path, GuardRule& rule) {
  Checker& ck = cx.ck;
  rule.checks = kAllInjectionChecks;
  if (const Json* list = ck.string_list(v, "checks", path)) {
    rule.checks = 0;
    for (size_t i = 0; i < list->size(); ++i) {
      if (!(*list)[i].is_string()) continue;
      const std::string& name = (*list)[i].as_string();
      const std::string item = path + ".checks[" + std::to_string(i) + "]";
      auto check = injection_check_by_name(name);
      if (!check) {
        ck.problem(item, "unknown check \"" + name +
                             "\" (expected ignore_instructions, role_play_override, reveal_system_prompt, "
                             "special_tokens, encoded_payload)");
      } else if (rule.checks & injection_check_bit(*check)) {
        ck.problem(item, "\"" + name + "\" is listed twice");
      } else {
        rule.checks |= injection_check_bit(*check);
      }
    }
  }
  if (auto t = ck.number(v, "threshold", path, 0.0, 1.0, true)) rule.threshold = *t;
  // Tool outputs are the classic path of indirect injection (a fetched page, a file).
  if (!v.contains("roles")) rule.roles = kRoleUser | kRoleTool;
}

void parse_kind_fields(Context& cx, const Json& v, const std::string& path, GuardRule& rule) {
  Checker& ck = cx.ck;
  switch (rule.kind) {
    case RuleKind::kDenyTopics: parse_deny_topics(cx, v, path, rule); break;
    case RuleKind::kRegex: parse_regex(cx, v, path, rule); break;
    case RuleKind::kInjection: parse_injection(cx, v, path, rule); break;
    case RuleKind::kMaxInputTokens:
    case RuleKind::kMaxOutputTokens:
    case RuleKind::kMaxMessages:
      if (auto n = ck.integer(v, "limit", path, 1, kMaxLimit, true)) rule.limit = *n;
      break;
    case RuleKind::kAllowedModels:
      if (const Json* list = ck.string_list(v, "models", path, true)) {
        for (size_t i = 0; i < list->size(); ++i) {
          if (!(*list)[i].is_string() || (*list)[i].as_string().empty()) continue;
          const std::string& model = (*list)[i].as_string();
          const size_t star = model.find('*');
          if (star != std::string::npos && star + 1 != model.size()) {
            ck.problem(path + ".models[" + std::to_string(i) + "]", "'*' is only allowed at the end (a prefix match)");
            continue;
          }
          rule.models.push_back(model);
        }
      }
      break;
    case RuleKind::kSystemPrompt:
      if (const std::string* t = ck.string(v, "text", path, true)) {
        if (t->empty()) ck.problem(path + ".text", "must not be empty");
        else if (t->size() > kMaxSystemPromptBytes) ck.problem(path + ".text", "longer than 64 KiB");
        else rule.text = *t;
      }
      break;
    case RuleKind::kPiiLeak: {
      std::optional<double> threshold = ck.number(v, "threshold", path, 0.0, 1.0, false);
      if (const Json* list = ck.string_list(v, "types", path, true)) {
        for (size_t i = 0; i < list->size(); ++i) {
          if (!(*list)[i].is_string() || (*list)[i].as_string().empty()) continue;
          const std::string& type = (*list)[i].as_string();
          if (!cx.entity_names.count(type)) {
            ck.problem(path + ".types[" + std::to_string(i) + "]",
                       "unknown entity type \"" + type + "\" (not builtin and not declared under redaction.custom)");
            continue;
          }
          rule.types[type] = threshold.value_or(-1.0);  // -1: the redaction section's threshold
        }
      }
      break;
    }
  }
}

void parse_rule(Context& cx, const Json& v, const std::string& path, bool output, GuardRule& rule) {
  Checker& ck = cx.ck;
  rule.output = output;
  if (!ck.object(v, path)) return;
  if (const std::string* id = ck.string(v, "id", path, true)) {
    if (!valid_rule_id(*id)) ck.problem(path + ".id", "\"" + *id + "\" is not a valid rule id (1-64 of A-Z a-z 0-9 _ . -)");
    else if (*id == "redaction") ck.problem(path + ".id", "\"redaction\" is reserved (it names blocks by entity type)");
    else rule.id = *id;
  }
  const std::string* kind_name = ck.string(v, "kind", path, true);
  if (!kind_name) return;
  const auto kind = rule_kind_by_name(*kind_name);
  if (!kind) {
    ck.problem(path + ".kind", "unknown kind \"" + *kind_name +
                                   "\" (expected deny_topics, regex, injection, max_input_tokens, max_output_tokens, "
                                   "max_messages, allowed_models, system_prompt, pii_leak)");
    return;
  }
  rule.kind = *kind;
  const KindSpec& spec = *kind_spec(*kind);
  if (output && !spec.output) {
    ck.problem(path + ".kind", std::string(spec.name) + " is an input rule; it is not valid under guardrails.output");
    return;
  }
  if (!output && !spec.input) {
    ck.problem(path + ".kind", std::string(spec.name) + " is an output rule; it is not valid under guardrails.input");
    return;
  }
  for (const auto& entry : v.as_object()) {
    const std::string& key = entry.first;
    if (std::none_of(spec.keys.begin(), spec.keys.end(), [&](const char* k) { return key == k; })) {
      const bool common = key == "action" || key == "message" || key == "roles";
      ck.problem(path + "." + key, common ? "not valid for kind " + std::string(spec.name)
                                          : "unknown key (expected one of " + join(spec.keys) + ")");
    }
  }
  rule.action = spec.actions.empty() ? RuleAction::kNone : RuleAction::kBlock;
  if (const std::string* a = spec.actions.empty() ? nullptr : ck.string(v, "action", path)) {
    auto parsed = parse_rule_action(*a);
    if (!parsed || std::find(spec.actions.begin(), spec.actions.end(), *parsed) == spec.actions.end()) {
      std::string expected;
      for (RuleAction x : spec.actions) expected += std::string(expected.empty() ? "" : ", ") + std::string(rule_action_name(x));
      ck.problem(path + ".action", "unknown action \"" + *a + "\" for kind " + spec.name + " (expected " + expected + ")");
    } else {
      rule.action = *parsed;
    }
  }
  const bool takes_message =
      std::any_of(spec.keys.begin(), spec.keys.end(), [](const char* k) { return std::string_view(k) == "message"; });
  if (takes_message && v.contains("message")) {
    if (output) {
      ck.problem(path + ".message", "not shown for output rules (the answer ends with finish_reason content_filter)");
    } else if (const std::string* m = ck.string(v, "message", path)) {
      if (rule.action != RuleAction::kBlock) ck.problem(path + ".message", "only shown when the action is block");
      else if (m->empty()) ck.problem(path + ".message", "must not be empty");
      else if (m->size() > kMaxMessageBytes) ck.problem(path + ".message", "longer than 1000 bytes");
      else rule.message = *m;
    }
  }
  if (spec.roles && v.contains("roles")) {
    if (output) {
      ck.problem(path + ".roles", "not valid for output rules (the answer has one role)");
    } else if (const Json* list = ck.string_list(v, "roles", path)) {
      rule.roles = 0;
      for (size_t i = 0; i < list->size(); ++i) {
        if (!(*list)[i].is_string()) continue;
        const std::string& role = (*list)[i].as_string();
        if (role != "system" && role != "developer" && role != "user" && role != "assistant" && role != "tool") {
          ck.problem(path + ".roles[" + std::to_string(i) + "]",
                     "unknown role \"" + role + "\" (expected system, developer, user, assistant, tool)");
        } else {
          rule.roles |= role_bit(role);
        }
      }
    }
  }
  parse_kind_fields(cx, v, path, rule);
}

void parse_bindings(Checker& ck, const Json& v, Bindings& out) {
  const std::string path = "bindings";
  if (!ck.object(v, path)) return;
  ck.keys(v, path + ".", {"default", "teams", "roles", "keys"});
  if (const Json* d = v.find("default")) {
    if (!d->is_bool()) ck.problem(path + ".default", std::string("expected true or false, got ") + d->type_name());
    else out.is_default = d->as_bool();
  }
  auto list = [&](const char* key, std::vector<std::string>& into) {
    if (const Json* l = ck.string_list(v, key, path)) {
      for (size_t i = 0; i < l->size(); ++i) {
        if ((*l)[i].is_string() && !(*l)[i].as_string().empty()) into.push_back((*l)[i].as_string());
      }
    }
  };
  list("teams", out.teams);
  list("keys", out.keys);
  list("roles", out.roles);
  for (size_t i = 0; i < out.roles.size(); ++i) {
    const std::string& r = out.roles[i];
    if (r != "user" && r != "admin" && r != "auditor") {
      ck.problem(path + ".roles", "unknown role \"" + r + "\" (expected user, admin, auditor)");
    }
  }
}

// Conflicts between rules: duplicate ids, a second singleton rule in one stage, an entity
// type watched by two pii_leak rules.
void check_conflicts(Checker& ck, const std::vector<GuardRule>& input, const std::vector<GuardRule>& output) {
  std::map<std::string, std::string> ids;
  std::map<std::string, std::string> leak_types;
  for (const auto* stage : {&input, &output}) {
    const std::string prefix = stage == &input ? "guardrails.input[" : "guardrails.output[";
    std::map<RuleKind, std::string> singletons;
    for (size_t i = 0; i < stage->size(); ++i) {
      const GuardRule& r = (*stage)[i];
      const std::string path = prefix + std::to_string(i) + "]";
      if (!r.id.empty()) {
        auto [it, fresh] = ids.emplace(r.id, path);
        if (!fresh) ck.problem(path + ".id", "duplicate rule id \"" + r.id + "\" (also " + it->second + ")");
      }
      if (r.kind == RuleKind::kMaxInputTokens || r.kind == RuleKind::kMaxOutputTokens ||
          r.kind == RuleKind::kMaxMessages || r.kind == RuleKind::kAllowedModels || r.kind == RuleKind::kSystemPrompt) {
        auto [it, fresh] = singletons.emplace(r.kind, path);
        if (!fresh) {
          ck.problem(path, "a second " + std::string(rule_kind_name(r.kind)) + " rule in this stage (first: " +
                               it->second + ")");
        }
      }
      for (const auto& [type, threshold] : r.types) {
        auto [it, fresh] = leak_types.emplace(type, path);
        if (!fresh) ck.problem(path + ".types", type + " is already watched by " + it->second);
      }
    }
  }
}

void parse_stage(Context& cx, const Json& guardrails, const char* key, bool output, std::vector<GuardRule>& rules) {
  const Json* list = guardrails.find(key);
  if (!list) return;
  const std::string path = std::string("guardrails.") + key;
  if (!list->is_array()) {
    cx.ck.problem(path, std::string("expected a list of rules, got ") + list->type_name());
    return;
  }
  rules.resize(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    parse_rule(cx, (*list)[i], path + "[" + std::to_string(i) + "]", output, rules[i]);
  }
}

std::shared_ptr<const Redactor> compile_leak_redactor(const RedactionConfig& config, const std::vector<GuardRule>& output,
                                                      std::map<std::string, size_t>& leak_rule) {
  RedactionConfig leak = config;
  leak.defaults.action = Action::kAllow;
  leak.entities.clear();
  leak.restore_pseudonyms = false;
  leak.hash_key.clear();
  for (size_t i = 0; i < output.size(); ++i) {
    for (const auto& [type, threshold] : output[i].types) {
      EntityPolicy p;
      p.action = Action::kMask;
      p.threshold = threshold >= 0 ? threshold : config.policy_for(type).threshold;
      leak.entities[type] = p;
      leak_rule.emplace(type, i);
    }
  }
  if (leak.entities.empty()) return nullptr;
  return Redactor::compile(leak);
}

}  // namespace

std::shared_ptr<const CompiledPolicy> CompiledPolicy::compile(const Json& document, PolicyIdentity identity,
                                                              const std::string& base_dir,
                                                              const HashKeyResolver& resolver) {
  if (!document.is_object()) {
    throw PolicyError({std::string("policy: expected an object, got ") + document.type_name()});
  }
  Checker ck;
  auto impl = std::make_unique<Impl>();
  impl->identity = std::move(identity);
  ck.keys(document, "", {"description", "bindings", "redaction", "guardrails"});
  if (const Json* d = document.find("description"); d && !d->is_string()) {
    ck.problem("description", std::string("expected a string, got ") + d->type_name());
  }
  if (const Json* b = document.find("bindings")) parse_bindings(ck, *b, impl->bindings);

  RedactionConfig redaction;
  bool redaction_ok = true;
  const Json* section = document.find("redaction");
  try {
    redaction = RedactionConfig::from_json(section ? *section : Json::object(), base_dir);
  } catch (const PolicyError& e) {
    redaction_ok = false;
    for (const std::string& p : e.problems()) ck.problems.push_back(p.rfind("redaction", 0) == 0 ? p : "redaction." + p);
  }

  Context cx{ck, {}};
  for (EntityId id = 0; id < kBuiltinEntityCount; ++id) cx.entity_names.emplace(builtin_entity_name(id));
  if (section && section->is_object()) {
    if (const Json* custom = section->find("custom"); custom && custom->is_array()) {
      for (const Json& c : custom->as_array()) {
        if (const Json* n = c.find("name"); n && n->is_string()) cx.entity_names.insert(n->as_string());
      }
    }
  }
  if (const Json* g = document.find("guardrails")) {
    if (ck.object(*g, "guardrails")) {
      ck.keys(*g, "guardrails.", {"input", "output"});
      parse_stage(cx, *g, "input", false, impl->input);
      parse_stage(cx, *g, "output", true, impl->output);
    }
  }
  check_conflicts(ck, impl->input, impl->output);
  if (!ck.problems.empty() || !redaction_ok) throw PolicyError(ck.problems);

  impl->redactor = Redactor::compile(redaction, resolver);
  impl->leak_redactor = compile_leak_redactor(redaction, impl->output, impl->leak_rule);
  impl->document = document;
  std::shared_ptr<CompiledPolicy> policy(new CompiledPolicy());
  policy->impl_ = std::move(impl);
  return policy;
}

}  // namespace warden::policy

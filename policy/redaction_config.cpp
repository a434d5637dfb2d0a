#include "policy/redaction_config.h"

#include <re2/re2.h>

#include <cctype>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "core/utf8.h"
#include "policy/entity_type.h"
#include "policy/errors.h"

namespace warden::policy {

std::string_view action_name(Action a) {
  switch (a) {
    case Action::kMask: return "mask";
    case Action::kPseudonymize: return "pseudonymize";
    case Action::kHash: return "hash";
    case Action::kBlock: return "block";
    case Action::kAllow: return "allow";
  }
  return "mask";
}

namespace {

using core::Json;

// Collects problems while walking the tree; every check records and carries on.
class Checker {
 public:
  void problem(const std::string& path, const std::string& reason) {
    problems_.push_back(path + ": " + reason);
  }
  const std::vector<std::string>& problems() const { return problems_; }

  bool expect_object(const Json& v, const std::string& path) {
    if (v.is_object()) return true;
    problem(path, std::string("expected an object, got ") + v.type_name());
    return false;
  }
  void check_keys(const Json& obj, const std::string& path, std::initializer_list<const char*> allowed) {
    for (const auto& [key, value] : obj.as_object()) {
      bool ok = false;
      for (const char* a : allowed) ok |= key == a;
      if (ok) continue;
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      problem(path + "." + key, "unknown key (expected one of " + list + ")");
    }
  }
  std::optional<std::string> get_string(const Json& obj, const char* key, const std::string& path) {
    const Json* v = obj.find(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) {
      problem(path + "." + key, std::string("expected a string, got ") + v->type_name());
      return std::nullopt;
    }
    return v->as_string();
  }
  std::optional<double> get_number(const Json& obj, const char* key, const std::string& path,
                                   double lo, double hi) {
    const Json* v = obj.find(key);
    if (!v) return std::nullopt;
    if (!v->is_number()) {
      problem(path + "." + key, std::string("expected a number, got ") + v->type_name());
      return std::nullopt;
    }
    double d = v->as_double();
    if (d < lo || d > hi) {
      std::ostringstream os;
      os << "value " << d << " out of range [" << lo << ", " << hi << "]";
      problem(path + "." + key, os.str());
      return std::nullopt;
    }
    return d;
  }
  std::optional<bool> get_bool(const Json& obj, const char* key, const std::string& path) {
    const Json* v = obj.find(key);
    if (!v) return std::nullopt;
    if (!v->is_bool()) {
      problem(path + "." + key, std::string("expected true or false, got ") + v->type_name());
      return std::nullopt;
    }
    return v->as_bool();
  }

 private:
  std::vector<std::string> problems_;
};

std::optional<Action> parse_action(const std::string& s) {
  if (s == "mask") return Action::kMask;
  if (s == "pseudonymize") return Action::kPseudonymize;
  if (s == "hash") return Action::kHash;
  if (s == "block") return Action::kBlock;
  if (s == "allow") return Action::kAllow;
  return std::nullopt;
}

void parse_mask(Checker& ck, const Json& v, const std::string& path, MaskOptions& out) {
  if (!ck.expect_object(v, path)) return;
  ck.check_keys(v, path, {"style", "char", "keep_last"});
  if (auto style = ck.get_string(v, "style", path)) {
    if (*style == "placeholder") out.style = MaskStyle::kPlaceholder;
    else if (*style == "chars") out.style = MaskStyle::kChars;
    else ck.problem(path + ".style", "unknown mask style \"" + *style + "\" (expected placeholder, chars)");
  }
  if (auto c = ck.get_string(v, "char", path)) {
    if (c->empty() || !core::utf8_valid(*c) || core::utf8_sequence_length(*c) != c->size())
      ck.problem(path + ".char", "expected exactly one character");
    else
      out.mask_char = *c;
  }
  if (auto keep = ck.get_number(v, "keep_last", path, 0, 64)) {
    if (*keep != static_cast<int>(*keep)) ck.problem(path + ".keep_last", "expected an integer");
    out.keep_last = static_cast<int>(*keep);
  }
}

// Fields shared by `entities.X`, the top level defaults and custom entries.
void parse_entity_policy(Checker& ck, const Json& v, const std::string& path, EntityPolicy& out) {
  if (auto a = ck.get_string(v, "action", path)) {
    if (auto parsed = parse_action(*a)) out.action = *parsed;
    else ck.problem(path, "unknown action \"" + *a + "\" (expected mask, pseudonymize, hash, block, allow)");
  }
  if (auto t = ck.get_number(v, "threshold", path, 0.0, 1.0)) out.threshold = *t;
  if (const Json* m = v.find("mask")) parse_mask(ck, *m, path + ".mask", out.mask);
}

std::string resolve_path(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p[0] == '/' || base_dir.empty()) return p;
  return base_dir + "/" + p;
}

void parse_custom(Checker& ck, const Json& v, const std::string& path, const std::string& base_dir,
                  RedactionConfig& cfg, std::set<std::string>& names) {
  if (!ck.expect_object(v, path)) return;
  ck.check_keys(v, path, {"name", "regex", "dictionary", "dictionary_file", "score", "max_len",
                          "context", "action", "threshold", "mask"});
  CustomEntityConfig c;
  auto name = ck.get_string(v, "name", path);
  if (!name) {
    if (!v.contains("name")) ck.problem(path + ".name", "required");
    return;
  }
  c.name = *name;
  if (!is_valid_entity_name(c.name)) {
    ck.problem(path + ".name", "\"" + c.name + "\" is not a valid entity name (A-Z, 0-9, _; starts with a letter)");
    return;
  }
  const bool builtin = builtin_entity_by_name(c.name).has_value();
  if (!builtin && !names.insert(c.name).second) {
    ck.problem(path + ".name", "entity \"" + c.name + "\" is declared twice");
  }
  const bool has_regex = v.contains("regex");
  const bool has_dict = v.contains("dictionary") || v.contains("dictionary_file");
  if (has_regex == has_dict) {
    ck.problem(path, "entity " + c.name + ": give exactly one of regex or dictionary/dictionary_file");
  }
  if (auto re = ck.get_string(v, "regex", path)) {
    RE2::Options o;
    o.set_log_errors(false);
    o.set_longest_match(true);
    RE2 compiled(*re, o);
    if (!compiled.ok()) {
      ck.problem(path + ".regex", "entity " + c.name + ": invalid regex: " + compiled.error());
    } else if (RE2::FullMatch("", compiled)) {
      ck.problem(path + ".regex", "entity " + c.name + ": regex matches the empty string");
    } else {
      c.regex = *re;
    }
  }
  if (const Json* d = v.find("dictionary")) {
    if (!d->is_array()) {
      ck.problem(path + ".dictionary", std::string("expected a list of strings, got ") + d->type_name());
    } else {
      for (size_t i = 0; i < d->size(); ++i) {
        const Json& t = (*d)[i];
        if (!t.is_string() || t.as_string().empty() || t.as_string().size() > 128)
          ck.problem(path + ".dictionary[" + std::to_string(i) + "]", "expected a non-empty string of at most 128 bytes");
        else
          c.terms.push_back(t.as_string());
      }
    }
  }
  if (auto file = ck.get_string(v, "dictionary_file", path)) {
    std::ifstream in(resolve_path(base_dir, *file));
    if (!in) {
      ck.problem(path + ".dictionary_file", "cannot read \"" + *file + "\"");
    } else {
      std::string line;
      size_t line_no = 0;
      while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        if (line.size() > 128) {
          ck.problem(path + ".dictionary_file", *file + ":" + std::to_string(line_no) + ": term longer than 128 bytes");
          continue;
        }
        c.terms.push_back(line);
      }
    }
  }
  if (has_dict && c.terms.empty() && v.contains("dictionary") && !v.contains("dictionary_file"))
    ck.problem(path + ".dictionary", "entity " + c.name + ": dictionary is empty");
  if (auto s = ck.get_number(v, "score", path, 0.0, 1.0)) c.score = *s;
  if (auto m = ck.get_number(v, "max_len", path, 1, 512)) c.max_len = static_cast<int>(*m);
  if (const Json* ctx = v.find("context")) {
    if (!ctx->is_array()) {
      ck.problem(path + ".context", "expected a list of words");
    } else {
      for (size_t i = 0; i < ctx->size(); ++i) {
        const Json& w = (*ctx)[i];
        if (!w.is_string() || w.as_string().empty()) {
          ck.problem(path + ".context[" + std::to_string(i) + "]", "expected a non-empty string");
          continue;
        }
        std::string lw = w.as_string();
        for (char& ch : lw) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        c.context.push_back(lw);
      }
    }
  }
  const bool sets_policy = v.contains("action") || v.contains("threshold") || v.contains("mask");
  if (builtin && sets_policy) {
    ck.problem(path, "entity " + c.name + " is builtin: set its action under redaction.entities." + c.name);
  } else if (!builtin) {
    EntityPolicy p = cfg.defaults;
    parse_entity_policy(ck, v, path, p);
    if (!v.contains("action")) ck.problem(path + ".action", "required for custom entity " + c.name);
    cfg.entities[c.name] = p;
  }
  cfg.custom.push_back(std::move(c));
}

}  // namespace

RedactionConfig RedactionConfig::from_json(const Json& section, const std::string& base_dir) {
  Checker ck;
  RedactionConfig cfg;
  const std::string root = "redaction";
  if (!ck.expect_object(section, root)) throw PolicyError(ck.problems());
  ck.check_keys(section, root, {"default_action", "threshold", "mask", "restore_pseudonyms",
                                "hash_key", "entities", "custom"});
  if (auto a = ck.get_string(section, "default_action", root)) {
    if (auto parsed = parse_action(*a)) cfg.defaults.action = *parsed;
    else ck.problem(root + ".default_action", "unknown action \"" + *a + "\" (expected mask, pseudonymize, hash, block, allow)");
  }
  if (auto t = ck.get_number(section, "threshold", root, 0.0, 1.0)) cfg.defaults.threshold = *t;
  if (const Json* m = section.find("mask")) parse_mask(ck, *m, root + ".mask", cfg.defaults.mask);
  if (auto r = ck.get_bool(section, "restore_pseudonyms", root)) cfg.restore_pseudonyms = *r;
  if (auto h = ck.get_string(section, "hash_key", root)) {
    if (h->rfind("env:", 0) == 0 && h->size() > 4) cfg.hash_key = *h;
    else if (h->rfind("file:", 0) == 0 && h->size() > 5) cfg.hash_key = *h;
    else ck.problem(root + ".hash_key", "expected a reference \"env:NAME\" or \"file:PATH\" (never the key itself)");
  }
  std::set<std::string> custom_names;
  if (const Json* custom = section.find("custom")) {
    if (!custom->is_array()) {
      ck.problem(root + ".custom", std::string("expected a list, got ") + custom->type_name());
    } else {
      for (size_t i = 0; i < custom->size(); ++i)
        parse_custom(ck, (*custom)[i], root + ".custom[" + std::to_string(i) + "]", base_dir, cfg, custom_names);
    }
  }
  if (const Json* entities = section.find("entities")) {
    if (ck.expect_object(*entities, root + ".entities")) {
      for (const auto& [name, value] : entities->as_object()) {
        const std::string path = root + ".entities." + name;
        if (!builtin_entity_by_name(name) && !custom_names.count(name)) {
          ck.problem(path, "unknown entity type (not builtin and not declared under redaction.custom)");
          continue;
        }
        if (value.is_string()) {  // shorthand: EMAIL_ADDRESS: mask
          EntityPolicy p = cfg.defaults;
          if (auto parsed = parse_action(value.as_string())) p.action = *parsed;
          else ck.problem(path, "unknown action \"" + value.as_string() + "\" (expected mask, pseudonymize, hash, block, allow)");
          cfg.entities[name] = p;
          continue;
        }
        if (!ck.expect_object(value, path)) continue;
        ck.check_keys(value, path, {"action", "threshold", "mask"});
        EntityPolicy p = cfg.entities.count(name) ? cfg.entities[name] : cfg.defaults;
        parse_entity_policy(ck, value, path, p);
        cfg.entities[name] = p;
      }
    }
  }
  // A hash action needs a key.
  bool needs_key = cfg.defaults.action == Action::kHash;
  std::string user;
  for (const auto& [name, p] : cfg.entities) {
    if (p.action == Action::kHash) {
      needs_key = true;
      user = name;
    }
  }
  if (needs_key && cfg.hash_key.empty())
    ck.problem(root + ".hash_key", "required because " + (user.empty() ? std::string("default_action") : user) + " uses action hash");
  if (!ck.problems().empty()) throw PolicyError(ck.problems());
  return cfg;
}

RedactionConfig RedactionConfig::from_policy_document(const Json& document, const std::string& base_dir) {
  if (!document.is_object()) throw PolicyError({std::string("policy: expected an object, got ") + document.type_name()});
  const Json* section = document.find("redaction");
  if (!section) throw PolicyError({"redaction: required"});
  return from_json(*section, base_dir);
}

const EntityPolicy& RedactionConfig::policy_for(const std::string& type_name) const {
  auto it = entities.find(type_name);
  return it == entities.end() ? defaults : it->second;
}

}  // namespace warden::policy

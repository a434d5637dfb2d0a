#include "policy/redactor.h"

#include <re2/re2.h>
#include <sodium.h>

#include <algorithm>
#include <set>

#include "policy/errors.h"
#include "policy/hash_key.h"
#include "policy/output_scanner.h"
#include "policy/overlap.h"

namespace warden::policy {
namespace {

const RE2& placeholder_regex() {
  static const RE2 re(R"(<([A-Z][A-Z0-9_]{0,62})_([1-9][0-9]{0,5})>)");
  return re;
}

bool uses_hash(const RedactionConfig& config) {
  if (config.defaults.action == Action::kHash) return true;
  for (const auto& [name, p] : config.entities) {
    if (p.action == Action::kHash) return true;
  }
  return false;
}

}  // namespace

std::shared_ptr<const Redactor> Redactor::compile(const RedactionConfig& config,
                                                  const HashKeyResolver& resolver) {
  if (sodium_init() < 0) throw RedactionError("libsodium failed to initialise");
  std::shared_ptr<Redactor> r(new Redactor());
  r->config_ = config;
  for (EntityId id = 0; id < kBuiltinEntityCount; ++id) r->type_names_.emplace_back(builtin_entity_name(id));
  std::vector<CustomRegexEntity> regexes;
  std::vector<DictionaryEntity> dictionaries;
  for (const auto& c : config.custom) {
    auto builtin = builtin_entity_by_name(c.name);
    EntityId id = 0;
    if (builtin) {
      id = *builtin;
    } else {
      auto it = std::find(r->type_names_.begin(), r->type_names_.end(), c.name);
      id = static_cast<EntityId>(it - r->type_names_.begin());
      if (it == r->type_names_.end()) r->type_names_.push_back(c.name);
    }
    if (c.is_dictionary()) {
      dictionaries.push_back(DictionaryEntity{id, c.name, c.terms, c.score});
    } else {
      regexes.push_back(CustomRegexEntity{id, c.name, c.regex, c.score, c.max_len, c.context});
    }
  }
  std::vector<bool> wanted;
  for (const auto& name : r->type_names_) {
    r->type_policies_.push_back(config.policy_for(name));
    wanted.push_back(r->type_policies_.back().action != Action::kAllow);
  }
  r->detector_ = std::make_unique<Detector>(wanted, regexes, dictionaries);
  if (uses_hash(config)) {
    std::string material;
    try {
      material = resolver(config.hash_key);
    } catch (const std::exception& e) {
      throw PolicyError({"redaction.hash_key: " + std::string(e.what())});
    }
    if (material.size() < 16)
      throw PolicyError({"redaction.hash_key: key from " + config.hash_key + " is shorter than 16 bytes"});
    r->hash_key_ = std::make_unique<HashKey>(material);
    sodium_memzero(material.data(), material.size());
  }
  return r;
}

Redactor::~Redactor() = default;

std::string_view Redactor::type_name(EntityId id) const {
  if (id < 0 || static_cast<size_t>(id) >= type_names_.size()) return "UNKNOWN";
  return type_names_[static_cast<size_t>(id)];
}

const EntityPolicy& Redactor::policy(EntityId id) const {
  if (id < 0 || static_cast<size_t>(id) >= type_policies_.size()) return config_.defaults;
  return type_policies_[static_cast<size_t>(id)];
}

std::vector<Finding> Redactor::collect(std::string_view text, size_t cut,
                                       const PseudonymVault* restore_from, size_t restore_limit,
                                       std::vector<Finding>* candidates) const {
  std::vector<Finding> raw;
  detector_->scan(text, 0, raw);
  std::vector<Finding> kept;
  kept.reserve(raw.size());
  for (const Finding& f : raw) {
    if (f.start < cut || f.end > text.size()) continue;
    const EntityPolicy& p = policy(f.type);
    if (p.action == Action::kAllow || f.score < p.threshold) continue;
    kept.push_back(f);
  }
  if (restore_from && restore_from->size() > 0) {
    const RE2& re = placeholder_regex();
    re2::StringPiece m;
    size_t pos = cut;
    while (pos < text.size() && re.Match(re2::StringPiece(text.data(), text.size()), pos, text.size(),
                                         RE2::UNANCHORED, &m, 1)) {
      const size_t s = static_cast<size_t>(m.data() - text.data());
      pos = s + m.size();
      if (!restore_from->original_of(std::string_view(m.data(), m.size()), restore_limit)) continue;
      Finding f;
      f.start = f.match_start = s;
      f.end = pos;
      f.flags = kFindingPlaceholder;
      f.score = 1.0;
      kept.push_back(f);
    }
  }
  if (candidates) *candidates = kept;
  return resolve_overlaps(std::move(kept));
}

std::vector<Finding> Redactor::findings(std::string_view text) const { return collect(text, 0, nullptr); }

RedactionSession::RedactionSession(std::shared_ptr<const Redactor> redactor) : redactor_(std::move(redactor)) {
  if (!redactor_) throw RedactionError("no compiled redaction policy");
}

RedactionSession::~RedactionSession() = default;

RedactionResult RedactionSession::redact(std::string_view text) {
  RedactionResult r;
  std::vector<Finding> found = redactor_->collect(text, 0, nullptr);
  r.text.reserve(text.size());
  redactor_->apply(text, found, 0, text.size(), Redactor::Direction::kInput, vault_, r.text, r.spans,
                   r.blocked_types, 0);
  return r;
}

RedactionResult RedactionSession::scan_output(std::string_view text) {
  RedactionResult r;
  const bool restore = redactor_->config().restore_pseudonyms;
  const size_t limit = vault_.size();
  std::vector<Finding> found = redactor_->collect(text, 0, restore ? &vault_ : nullptr, limit);
  redactor_->apply(text, found, 0, text.size(), Redactor::Direction::kOutput, vault_, r.text, r.spans,
                   r.blocked_types, 0, limit);
  return r;
}

std::string RedactionSession::restore(std::string_view text) const {
  std::string out;
  const RE2& re = placeholder_regex();
  re2::StringPiece m;
  size_t pos = 0;
  while (pos < text.size() &&
         re.Match(re2::StringPiece(text.data(), text.size()), pos, text.size(), RE2::UNANCHORED, &m, 1)) {
    const size_t s = static_cast<size_t>(m.data() - text.data());
    out.append(text.substr(pos, s - pos));
    auto original = vault_.original_of(std::string_view(m.data(), m.size()));
    out.append(original ? std::string_view(*original) : std::string_view(m.data(), m.size()));
    pos = s + m.size();
  }
  out.append(text.substr(std::min(pos, text.size())));
  return out;
}

std::unique_ptr<OutputScanner> RedactionSession::output_scanner() {
  return std::make_unique<OutputScanner>(*this);
}

}  // namespace warden::policy

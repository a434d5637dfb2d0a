// The `redaction` section of a policy document, parsed and validated.
//
// Built from a warden::core::Json tree (policy files in YAML arrive as the same tree).
// Validation rejects the document as a whole and lists every problem with its path.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/json.h"

namespace warden::policy {

enum class Action { kMask, kPseudonymize, kHash, kBlock, kAllow };
enum class MaskStyle { kPlaceholder, kChars };

std::string_view action_name(Action a);

struct MaskOptions {
  MaskStyle style = MaskStyle::kPlaceholder;
  std::string mask_char = "*";  // one UTF-8 character
  int keep_last = 0;            // characters left visible at the end (style kChars)
};

struct EntityPolicy {
  Action action = Action::kMask;
  double threshold = 0.5;  // findings scoring below are ignored
  MaskOptions mask;
};

struct CustomEntityConfig {
  std::string name;                    // entity type it reports (may be a builtin name)
  std::string regex;                   // exactly one of regex / dictionary terms
  std::vector<std::string> terms;      // inline terms plus those read from dictionary_file
  double score = 0.85;
  int max_len = 256;
  std::vector<std::string> context;    // lower-case words that raise the score
  bool is_dictionary() const { return regex.empty(); }
};

struct RedactionConfig {
  EntityPolicy defaults;                         // for builtin types not listed
  std::map<std::string, EntityPolicy> entities;  // by entity type name
  std::vector<CustomEntityConfig> custom;
  bool restore_pseudonyms = true;
  std::string hash_key;  // reference: "env:NAME" or "file:PATH"; the key itself never here

  // Parses the value of the `redaction` key. `base_dir` resolves relative
  // dictionary_file paths. Throws PolicyError listing every problem.
  static RedactionConfig from_json(const core::Json& section, const std::string& base_dir = "");
  // Convenience: a whole policy document ({"redaction": {...}, ...}); other top-level
  // keys belong to other filters and are ignored here.
  static RedactionConfig from_policy_document(const core::Json& document,
                                              const std::string& base_dir = "");

  // Policy for a type name (entities entry, else defaults).
  const EntityPolicy& policy_for(const std::string& type_name) const;
};

}  // namespace warden::policy

// Redaction API used by the gateway for every part of a request and its answer.
//
//   auto redactor = Redactor::compile(config);        // once per policy version; const, shared
//   RedactionSession session(redactor);               // once per request / conversation
//   RedactionResult r = session.redact(message);      // each prompt text; same value -> same <PERSON_1>
//   if (r.blocked()) refuse, naming r.blocked_types (never the values)
//   auto scanner = session.output_scanner();          // streaming answer: feed()/finish()
//   RedactionResult a = session.scan_output(answer);  // or the whole answer at once
//
// Failing closed: compile() throws PolicyError for a bad policy (or an unresolvable hash
// key); redact(), scan_output(), feed() and finish() throw RedactionError (or
// std::bad_alloc) when the text cannot be scanned. A caller that gets an exception must
// refuse the request or end the stream; no API returns text that was not scanned.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policy/detector.h"
#include "policy/finding.h"
#include "policy/pseudonym_vault.h"
#include "policy/redaction_config.h"

namespace warden::policy {

class OutputScanner;

// One replaced span, in byte offsets of the text that was scanned.
struct RedactedSpan {
  size_t start = 0;
  size_t end = 0;
  std::string type;
  double score = 0.0;
  Action action = Action::kMask;
  bool embedded_credentials = false;  // URL with user:password@
};

struct RedactionResult {
  std::string text;
  std::vector<RedactedSpan> spans;
  std::vector<std::string> blocked_types;  // sorted, unique; values are never included
  bool blocked() const { return !blocked_types.empty(); }
};

// Resolves a hash key reference ("env:NAME", "file:PATH") to key bytes.
using HashKeyResolver = std::function<std::string(const std::string& reference)>;
std::string default_hash_key_resolver(const std::string& reference);

class Redactor {
 public:
  enum class Direction { kInput, kOutput };

  static std::shared_ptr<const Redactor> compile(const RedactionConfig& config,
                                                 const HashKeyResolver& resolver = default_hash_key_resolver);
  ~Redactor();
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  // Final findings for `text`: thresholds and `allow` applied, overlaps resolved
  // (longest, then highest score, then type priority), sorted by start.
  std::vector<Finding> findings(std::string_view text) const;

  std::string_view type_name(EntityId id) const;
  const EntityPolicy& policy(EntityId id) const;
  const RedactionConfig& config() const { return config_; }
  const Detector& detector() const { return *detector_; }

  // Building blocks of sessions and scanners. `collect` keeps findings starting at or after
  // `cut`; with `restore_from`, placeholders issued by that vault become findings too.
  // Only the first `restore_limit` placeholders of the vault count (those issued before
  // the answer began), so placeholders issued while scanning an answer are never restored.
  // `candidates` (optional) receives every finding that passed thresholds, before overlap
  // resolution: the streaming scanner never cuts inside one of them.
  std::vector<Finding> collect(std::string_view text, size_t cut, const PseudonymVault* restore_from,
                               size_t restore_limit = static_cast<size_t>(-1),
                               std::vector<Finding>* candidates = nullptr) const;
  // Appends text[from, to) with findings applied. Returns false when an output-side block
  // stopped it (then `out` ends just before the blocked value).
  bool apply(std::string_view text, const std::vector<Finding>& findings, size_t from, size_t to,
             Direction direction, PseudonymVault& vault, std::string& out,
             std::vector<RedactedSpan>& spans, std::vector<std::string>& blocked, size_t span_offset,
             size_t restore_limit = static_cast<size_t>(-1)) const;

 private:
  Redactor() = default;
  std::string replacement(const Finding& f, std::string_view value, Direction direction,
                          PseudonymVault& vault, size_t restore_limit) const;

  RedactionConfig config_;
  std::vector<std::string> type_names_;     // by EntityId
  std::vector<EntityPolicy> type_policies_;  // by EntityId
  std::unique_ptr<Detector> detector_;
  struct HashKey;
  std::unique_ptr<HashKey> hash_key_;
};

// Per request (or conversation) state: the pseudonym vault. Thread-safe. Keeps the
// compiled policy it started with alive (a policy swap does not affect it).
class RedactionSession {
 public:
  explicit RedactionSession(std::shared_ptr<const Redactor> redactor);
  ~RedactionSession();

  RedactionResult redact(std::string_view text);
  // Replaces placeholders this vault issued by their originals; others stay as they are.
  std::string restore(std::string_view text) const;
  // Whole answer at once: restores pseudonyms (if the policy says so) and applies the
  // policy to new PII; an output `block` truncates the text before the value.
  RedactionResult scan_output(std::string_view text);
  // Streaming equivalent of scan_output; the session must outlive the scanner.
  std::unique_ptr<OutputScanner> output_scanner();

  PseudonymVault& vault() { return vault_; }
  const Redactor& redactor() const { return *redactor_; }

 private:
  std::shared_ptr<const Redactor> redactor_;
  PseudonymVault vault_;
};

}  // namespace warden::policy

#include "audit/verifier.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "audit/store.h"

namespace warden::audit {
namespace {

struct CheckedCheckpoint {
  Checkpoint cp;
  std::string origin;  // "store" or "export"
};

ChainReport verify_one_chain(AuditStore& store, const std::string& chain, const std::vector<Checkpoint>& external,
                             const VerifyOptions& options) {
  ChainReport report;
  report.chain = chain;
  auto problem = [&](uint64_t seq, std::string record_id, std::string what) {
    report.problems.push_back({chain, seq, std::move(record_id), std::move(what)});
  };

  // 1. Checkpoints: signatures first, so that only valid ones anchor the chain.
  std::vector<CheckedCheckpoint> valid;
  std::vector<CheckedCheckpoint> all;
  for (auto& cp : store.checkpoints(chain)) all.push_back({cp, "store"});
  for (const auto& cp : external) all.push_back({cp, "export"});
  std::map<uint64_t, std::string> hash_needed;  // seq -> recomputed hash (filled below)
  std::optional<Checkpoint> prune_marker;
  for (const auto& c : all) {
    ++report.checkpoints_checked;
    std::string why = checkpoint_problem(c.cp, options.trusted_signing_keys);
    if (!why.empty()) {
      problem(c.cp.seq, "", c.cp.kind + " checkpoint at seq " + std::to_string(c.cp.seq) + " (" + c.origin + "): " + why);
      continue;
    }
    valid.push_back(c);
    hash_needed[c.cp.seq] = "";
    if (c.cp.kind == "prune" && c.origin == "store" && (!prune_marker || c.cp.seq > prune_marker->seq)) {
      prune_marker = c.cp;
    }
  }
  uint64_t start_seq = 1;
  std::string prev = genesis_hash();
  uint64_t prune_seq = 0;
  std::string prune_hash;
  if (prune_marker) {
    prune_seq = prune_marker->seq;
    prune_hash = prune_marker->head_hash;
    start_seq = prune_seq + 1;
    prev = prune_hash;
  }

  // 2. Records in seq order, page by page.
  uint64_t expected = start_seq;
  uint64_t next_from = 0;
  bool first = true;
  constexpr size_t kPage = 2000;
  for (;;) {
    std::vector<LoadedRecord> page = store.records_from(chain, next_from, kPage);
    if (page.empty()) break;
    for (const auto& loaded : page) {
      const StoredRecord& r = loaded.record;
      const std::string& id = r.sealed.header.record_id;
      next_from = r.seq + 1;
      ++report.records_checked;
      if (first) report.first_seq = r.seq;
      first = false;
      report.last_seq = r.seq;
      if (r.seq <= prune_seq) {
        problem(r.seq, id, "record seq " + std::to_string(r.seq) + " lies before the signed prune marker at seq " +
                               std::to_string(prune_seq) + " (inserted or restored record)");
        continue;
      }
      if (std::string written_to = header_chain(r.sealed.header); written_to != chain) {
        problem(r.seq, id, "record seq " + std::to_string(r.seq) + " (" + id + ") was moved: it is stored in chain " +
                               chain + " but was written to chain " + written_to);
      }
      if (r.seq > expected) {
        problem(expected, "", "records seq " + std::to_string(expected) + ".." + std::to_string(r.seq - 1) +
                                  " are missing (deleted)");
      }
      if (r.prev_hash != prev) {
        problem(r.seq, id, "record seq " + std::to_string(r.seq) + " (" + id +
                               ") does not link to the previous record's hash (record removed, reordered or inserted)");
      }
      std::string recomputed = compute_record_hash(r.seq, r.prev_hash, r.sealed);
      if (recomputed != r.hash) {
        problem(r.seq, id, "record seq " + std::to_string(r.seq) + " (" + id +
                               ") was altered: its hash does not match its header, ciphertext and sealed keys");
      }
      if (!loaded.column_mismatch.empty()) {
        problem(r.seq, id, "record seq " + std::to_string(r.seq) + " (" + id + ") was altered: " + loaded.column_mismatch);
      }
      if (auto it = hash_needed.find(r.seq); it != hash_needed.end()) it->second = recomputed;
      prev = r.hash;
      expected = r.seq + 1;
    }
  }
  if (report.records_checked == 0 && prune_seq > 0) report.last_seq = prune_seq;

  // 3. Every valid checkpoint must match the recomputed chain and must not point past its end.
  for (const auto& c : valid) {
    const Checkpoint& cp = c.cp;
    if (cp.kind == "prune" && c.origin == "store") {
      report.attested_seq = std::max(report.attested_seq, cp.seq);
      continue;
    }
    if (cp.seq <= prune_seq) continue;  // covers pruned records: nothing left to compare
    if (report.records_checked == 0 || cp.seq > report.last_seq) {
      uint64_t from = (report.records_checked == 0 ? prune_seq : report.last_seq) + 1;
      problem(from, "", "records seq " + std::to_string(from) + ".." + std::to_string(cp.seq) +
                            " are missing: a " + cp.kind + " checkpoint (" + c.origin + ") covers seq " +
                            std::to_string(cp.seq) + " but the store ends before it (truncated)");
      continue;
    }
    const std::string& recomputed = hash_needed[cp.seq];
    if (recomputed.empty()) continue;  // that record is missing: already reported as a gap
    if (recomputed != cp.head_hash) {
      problem(cp.seq, "", cp.kind + " checkpoint (" + c.origin + ") at seq " + std::to_string(cp.seq) +
                              " does not match the stored chain: records up to seq " + std::to_string(cp.seq) +
                              " were altered or re-hashed");
    } else {
      report.attested_seq = std::max(report.attested_seq, cp.seq);
    }
  }
  if (report.records_checked > 0 && report.attested_seq < report.last_seq) {
    std::string msg = "records seq " + std::to_string(std::max(report.attested_seq + 1, report.first_seq)) + ".." +
                      std::to_string(report.last_seq) + " are not covered by a valid signed checkpoint yet";
    if (options.strict) problem(std::max(report.attested_seq + 1, report.first_seq), "", msg);
    else report.warnings.push_back(msg);
  }
  std::stable_sort(report.problems.begin(), report.problems.end(),
                   [](const VerifyProblem& a, const VerifyProblem& b) { return a.seq < b.seq; });
  report.ok = report.problems.empty();
  return report;
}

core::Json problems_json(const std::vector<VerifyProblem>& problems) {
  core::Json list = core::Json::array();
  for (const auto& p : problems) {
    core::Json e = core::Json::object();
    e.set("chain", p.chain);
    e.set("seq", static_cast<long long>(p.seq));
    e.set("record_id", p.record_id);
    e.set("problem", p.what);
    list.push_back(std::move(e));
  }
  return list;
}

core::Json strings_json(const std::vector<std::string>& items) {
  core::Json list = core::Json::array();
  for (const auto& w : items) list.push_back(w);
  return list;
}

}  // namespace

VerifyReport verify_chain(AuditStore& store, const VerifyOptions& options) {
  // Every chain in the store, plus any that only the external checkpoints know: a chain
  // deleted from the store entirely shows up as truncated.
  std::set<std::string> chains;
  if (options.chain) {
    chains.insert(*options.chain);
  } else {
    for (auto& c : store.chains()) chains.insert(std::move(c));
    for (const auto& cp : options.external_checkpoints) chains.insert(cp.chain);
  }
  VerifyReport report;
  for (const auto& chain : chains) {
    std::vector<Checkpoint> external;
    for (const auto& cp : options.external_checkpoints) {
      if (cp.chain == chain) external.push_back(cp);
    }
    ChainReport one = verify_one_chain(store, chain, external, options);
    report.records_checked += one.records_checked;
    report.checkpoints_checked += one.checkpoints_checked;
    report.problems.insert(report.problems.end(), one.problems.begin(), one.problems.end());
    for (const auto& w : one.warnings) report.warnings.push_back("chain " + chain + ": " + w);
    report.chains.push_back(std::move(one));
  }
  report.ok = report.problems.empty();
  return report;
}

const ChainReport* VerifyReport::chain(const std::string& id) const {
  for (const auto& c : chains) {
    if (c.chain == id) return &c;
  }
  return nullptr;
}

core::Json ChainReport::to_json() const {
  core::Json o = core::Json::object();
  o.set("chain", chain);
  o.set("ok", ok);
  o.set("records_checked", static_cast<long long>(records_checked));
  o.set("checkpoints_checked", static_cast<long long>(checkpoints_checked));
  o.set("first_seq", static_cast<long long>(first_seq));
  o.set("last_seq", static_cast<long long>(last_seq));
  o.set("attested_seq", static_cast<long long>(attested_seq));
  o.set("problems", problems_json(problems));
  o.set("warnings", strings_json(warnings));
  return o;
}

core::Json VerifyReport::to_json() const {
  core::Json o = core::Json::object();
  o.set("ok", ok);
  o.set("records_checked", static_cast<long long>(records_checked));
  o.set("checkpoints_checked", static_cast<long long>(checkpoints_checked));
  core::Json list = core::Json::array();
  for (const auto& c : chains) list.push_back(c.to_json());
  o.set("chains", list);
  o.set("problems", problems_json(problems));
  o.set("warnings", strings_json(warnings));
  return o;
}

}  // namespace warden::audit

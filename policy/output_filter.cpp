// The output stage for one answer, three streaming steps in a row:
//   1. pii_leak gate on the raw model output (before pseudonyms are restored): its own
//      scanner finds the listed entity types; a `block` ends the answer before the value;
//   2. the redaction scanner (OutputScanner): restores pseudonyms, applies the policy to
//      new PII;
//   3. guardrails.output (GuardStream) on the text the caller would see.
// Each step holds back only what it must, and each gives the same result for any
// chunking, so the whole does too.
//
// A tool call the model makes is checked whole (check_tool_call): each JSON string value
// of its arguments passes the same three steps as a complete text, with a fresh scanner
// and guard per value whose tallies are merged into the filter's; the checked values are
// spliced back into the model's arguments text (json_strings.h).
#include <algorithm>

#include "policy/guard_stream.h"
#include "policy/guardrails.h"
#include "policy/json_strings.h"
#include "policy/output_scanner.h"

namespace warden::policy {
namespace {

std::string span_text(size_t start, size_t end) {
  return "[" + std::to_string(start) + ":" + std::to_string(end) + "]";
}

}  // namespace

struct OutputFilter::State {
  const CompiledPolicy::Impl& p;
  RedactionSession& session;
  std::unique_ptr<OutputScanner> scanner;
  GuardStream guard;

  // pii_leak gate over the raw output.
  std::unique_ptr<RedactionSession> leak_session;
  std::unique_ptr<OutputScanner> leak_scanner;
  std::string raw;  // raw output from absolute offset raw_base on, not yet passed on
  size_t raw_base = 0;
  size_t raw_total = 0;
  size_t leak_spans_seen = 0;
  bool gate_stopped = false;
  std::vector<GuardStream::RuleTally> leak_tallies;
  std::vector<MatchReport> leak_matches;

  bool stopped = false;
  bool finished = false;
  std::string stop_rule;
  std::string pending_stop;  // a block upstream of the guardrails; final once they are done

  // Tool calls. Only placeholders issued before the answer began (for the request) are
  // restored in them, as in the text.
  struct ToolTally {
    size_t hits = 0;
    std::string first;  // first match, for the verdict detail
    std::string where;  // where that first match was
  };
  size_t restore_limit;
  std::vector<ToolTally> tool_tallies;  // by output rule index
  std::vector<SpanReport> tool_spans;
  std::vector<std::string> tool_blocked_types;
  std::vector<MatchReport> tool_matches;
  bool tool_redacted = false;  // a guardrail redaction in a call

  State(const CompiledPolicy& policy, RedactionSession& s)
      : p(policy.impl()), session(s), scanner(s.output_scanner()), guard(policy.impl().output),
        leak_tallies(policy.impl().output.size()), restore_limit(s.vault().size()),
        tool_tallies(policy.impl().output.size()) {
    if (p.leak_redactor) {
      leak_session = std::make_unique<RedactionSession>(p.leak_redactor);
      leak_scanner = leak_session->output_scanner();
    }
  }

  // Passes raw text up to `settled` on, acting on pii_leak findings before it.
  std::string gate(size_t settled) {
    std::string passed;
    const auto& spans = leak_scanner->spans();
    for (; leak_spans_seen < spans.size(); ++leak_spans_seen) {
      const RedactedSpan& span = spans[leak_spans_seen];
      auto it = p.leak_rule.find(span.type);
      if (it == p.leak_rule.end() || span.start < raw_base) continue;
      const size_t index = it->second;
      const GuardRule& rule = p.output[index];
      GuardStream::RuleTally& t = leak_tallies[index];
      if (t.hits++ == 0) {
        t.first = span.type + " at raw output[" + std::to_string(span.start) + ":" + std::to_string(span.end) + "]";
      }
      leak_matches.push_back(MatchReport{index, "output (raw)", span.start, span.end, span.type, {}});
      if (rule.action == RuleAction::kBlock) {
        passed.append(raw, 0, span.start - raw_base);
        raw.clear();
        raw_base = span.start;
        gate_stopped = true;
        pending_stop = rule.id;
        return passed;
      }
    }
    const size_t upto = std::min(settled, raw_base + raw.size());
    passed.append(raw, 0, upto - raw_base);
    raw.erase(0, upto - raw_base);
    raw_base = upto;
    return passed;
  }

  std::string downstream(const std::string& passed, bool final) {
    std::string scanned = scanner->feed(passed);
    const bool upstream_end = final || gate_stopped;
    if (upstream_end) scanned += scanner->finish();
    if (scanner->blocked() && pending_stop.empty()) pending_stop = "redaction";
    const bool last = upstream_end || scanner->blocked();
    std::string out = guard.push(scanned, last);
    if (guard.blocked()) {
      stopped = true;
      stop_rule = p.output[guard.block_rule()].id;
    } else if (last && !pending_stop.empty()) {
      stopped = true;
      stop_rule = pending_stop;
    }
    if (last) finished = true;
    return out;
  }

  std::string feed(std::string_view delta) {
    if (finished) return {};
    raw_total += delta.size();
    if (!leak_scanner) return downstream(std::string(delta), false);
    raw.append(delta);
    leak_scanner->feed(delta);
    return downstream(gate(raw_total - leak_scanner->held_bytes()), false);
  }

  std::string finish() {
    if (finished) return {};
    if (!leak_scanner) return downstream({}, true);
    leak_scanner->finish();
    return downstream(gate(raw_total), true);
  }

  // A block in a tool call: the call is not sent and the answer ends here.
  void stop_with(std::string rule) {
    stopped = true;
    finished = true;
    stop_rule = std::move(rule);
  }

  void tally(size_t rule, std::string first, const std::string& where) {
    ToolTally& t = tool_tallies[rule];
    if (t.hits++ > 0) return;
    t.first = std::move(first);
    t.where = where;
  }

  // One string value of a call's arguments through the three steps; false when a block
  // stopped the answer. `out` gets the value the caller may see.
  bool check_value(std::string_view value, const std::string& where, std::string& out) {
    if (p.leak_redactor) {
      for (const Finding& f : p.leak_redactor->findings(value)) {
        const std::string type(p.leak_redactor->type_name(f.type));
        auto it = p.leak_rule.find(type);
        if (it == p.leak_rule.end()) continue;
        const GuardRule& rule = p.output[it->second];
        tally(it->second, type + " at raw " + where + span_text(f.start, f.end), where);
        tool_matches.push_back(MatchReport{it->second, where + " (raw)", f.start, f.end, type, {}});
        if (rule.action == RuleAction::kBlock) {
          stop_with(rule.id);
          return false;
        }
      }
    }
    const Redactor& redactor = session.redactor();
    const bool restore = redactor.config().restore_pseudonyms;
    const std::vector<Finding> findings = redactor.collect(value, 0, restore ? &session.vault() : nullptr, restore_limit);
    std::string scanned;
    std::vector<RedactedSpan> spans;
    std::vector<std::string> blocked;
    redactor.apply(value, findings, 0, value.size(), Redactor::Direction::kOutput, session.vault(), scanned, spans,
                   blocked, 0, restore_limit);
    for (RedactedSpan& s : spans) tool_spans.push_back(SpanReport{where, std::move(s)});
    if (!blocked.empty()) {
      for (std::string& t : blocked) tool_blocked_types.push_back(std::move(t));
      stop_with("redaction");
      return false;
    }
    GuardStream guard_value(p.output);
    out = guard_value.push(scanned, true);
    for (const MatchReport& m : guard_value.matches()) {
      tool_matches.push_back(MatchReport{m.rule, where, m.start, m.end, m.what, m.exempted_by});
      if (!m.exempted_by.empty()) continue;
      tally(m.rule, (p.output[m.rule].allow ? "allowed " : "matched ") + excerpt(m.what) + " at " + where +
                        span_text(m.start, m.end),
            where);
    }
    tool_redacted |= guard_value.redacted();
    if (guard_value.blocked()) {
      stop_with(p.output[guard_value.block_rule()].id);
      return false;
    }
    return true;
  }

  std::string check_tool_call(size_t index, std::string_view arguments) {
    if (stopped) return {};
    const std::string where = "tool_calls[" + std::to_string(index) + "].function.arguments";
    const auto values = json_string_values(arguments);
    if (!values) {
      std::string out;
      return check_value(arguments, where, out) ? out : std::string();
    }
    std::vector<std::string> checked(values->size());
    for (size_t i = 0; i < values->size(); ++i) {
      if (!check_value((*values)[i].value, where + (*values)[i].path, checked[i])) return {};
    }
    return splice_json_strings(arguments, *values, checked);
  }
};

struct OutputFilterAccess {
  static const OutputFilter::State& state(const OutputFilter& f) { return *f.state_; }
};

std::vector<MatchReport> output_match_reports(const OutputFilter& filter) {
  const auto& st = OutputFilterAccess::state(filter);
  std::vector<MatchReport> out = st.leak_matches;
  out.insert(out.end(), st.guard.matches().begin(), st.guard.matches().end());
  out.insert(out.end(), st.tool_matches.begin(), st.tool_matches.end());
  return out;
}

OutputFilter::OutputFilter(const CompiledPolicy& policy, RedactionSession& session)
    : state_(std::make_unique<State>(policy, session)) {}

OutputFilter::~OutputFilter() = default;

std::string OutputFilter::feed(std::string_view delta) { return state_->feed(delta); }
std::string OutputFilter::finish() { return state_->finish(); }
// The name is the client's own tool name (from `tools`), not model prose: not scanned.
std::string OutputFilter::check_tool_call(size_t index, std::string_view /*name*/, std::string_view arguments) {
  return state_->check_tool_call(index, arguments);
}
const std::vector<SpanReport>& OutputFilter::tool_call_spans() const { return state_->tool_spans; }
bool OutputFilter::stopped() const { return state_->stopped; }
const std::string& OutputFilter::stop_rule() const { return state_->stop_rule; }
const std::vector<RedactedSpan>& OutputFilter::spans() const { return state_->scanner->spans(); }

std::map<std::string, int64_t> OutputFilter::entity_counts() const {
  std::map<std::string, int64_t> counts;
  for (const RedactedSpan& s : state_->scanner->spans()) ++counts[s.type];
  for (const std::string& t : state_->scanner->blocked_types()) ++counts[t];
  for (const SpanReport& s : state_->tool_spans) ++counts[s.span.type];
  for (const std::string& t : state_->tool_blocked_types) ++counts[t];
  return counts;
}

std::vector<RuleVerdict> OutputFilter::verdicts() const {
  const State& st = *state_;
  std::vector<RuleVerdict> out;
  for (size_t i = 0; i < st.p.output.size(); ++i) {
    const GuardRule& rule = st.p.output[i];
    const GuardStream::RuleTally& t = rule.kind == RuleKind::kPiiLeak ? st.leak_tallies[i] : st.guard.tallies()[i];
    const State::ToolTally& calls = st.tool_tallies[i];
    const size_t hits = t.hits + calls.hits;
    RuleVerdict v;
    v.rule = rule.id;
    v.kind = std::string(rule_kind_name(rule.kind));
    v.stage = "output";
    v.action = rule.action;
    v.fired = hits > 0;
    // Where the first match was: the answer text, else the tool call's JSON path.
    v.where = t.hits == 0 && calls.hits > 0 ? calls.where : "output";
    if (v.fired) {
      v.detail = (t.hits > 0 ? t.first : calls.first) + (hits > 1 ? " (+" + std::to_string(hits - 1) + " more)" : "");
      if (rule.allow) v.detail += "; exempts the matched text from later deny rules";
    } else {
      v.detail = st.stopped ? "no match before the answer was stopped" : "no match";
    }
    out.push_back(std::move(v));
  }
  return out;
}

Decision OutputFilter::decision() const {
  const State& st = *state_;
  if (st.stopped) return Decision::kBlocked;
  if (!st.scanner->spans().empty() || st.guard.redacted() || !st.tool_spans.empty() || st.tool_redacted) {
    return Decision::kRedacted;
  }
  for (size_t i = 0; i < st.p.output.size(); ++i) {
    const GuardRule& rule = st.p.output[i];
    const size_t hits = (rule.kind == RuleKind::kPiiLeak ? st.leak_tallies[i].hits : st.guard.tallies()[i].hits) +
                        st.tool_tallies[i].hits;
    if (hits > 0 && rule.action == RuleAction::kFlag) return Decision::kFlagged;
  }
  return Decision::kAllowed;
}

}  // namespace warden::policy

#include "policy/guard_stream.h"

#include <algorithm>

#include "core/utf8.h"
#include "policy/text_fold.h"

namespace warden::policy {
namespace {

// Bytes kept before the emitted position: the previous character for word boundaries
// and the regex context.
constexpr size_t kKeepBefore = 8;

bool covers(const std::pair<size_t, size_t>& outer, size_t start, size_t end) {
  return outer.first <= start && end <= outer.second;
}

}  // namespace

GuardStream::GuardStream(const std::vector<GuardRule>& rules)
    : rules_(rules), regex_(rules.size()), phrase_(rules.size()), tallies_(rules.size()) {
  for (const GuardRule& r : rules) any_rules_ |= r.kind == RuleKind::kDenyTopics || r.kind == RuleKind::kRegex;
}

// Runs every rule over the buffer; returns the position before which everything is
// decided and fills `candidates` with the matches that start in [emitted_, frontier).
size_t GuardStream::frontier(bool final, std::vector<Candidate>& candidates) {
  const size_t end = base_ + buffer_.size();
  const size_t from = emitted_;
  const std::string_view view(buffer_);
  size_t f = end;
  std::vector<std::vector<PhraseMatcher::Match>> denies(rules_.size());
  for (size_t i = 0; i < rules_.size(); ++i) {
    const GuardRule& rule = rules_[i];
    if (rule.kind == RuleKind::kRegex && rule.regex) {
      RegexState& st = regex_[i];
      st.pos = std::max(st.pos, from);
      rule.regex->advance(view, base_, final, &st.pos, st.found);
      if (!final) f = std::min(f, st.pos);
    } else if (rule.kind == RuleKind::kDenyTopics && rule.matcher) {
      std::vector<PhraseMatcher::Match> found;
      size_t unsettled = view.size();
      rule.matcher->scan(view, from - base_, final, found, &unsettled);
      if (!final) f = std::min(f, base_ + unsettled);
      PhraseState& st = phrase_[i];
      for (const auto& m : found) {
        if (rule.exception[m.term]) st.exceptions.emplace_back(base_ + m.start, base_ + m.end);
        else denies[i].push_back(m);
      }
    }
  }
  if (!final) {
    while (f > from && f < end && text::is_continuation(buffer_[f - base_])) --f;
  }
  f = std::max(f, from);

  std::vector<std::pair<size_t, size_t>> allowed;  // matches of allow rules seen so far
  auto exempted = [&](size_t s, size_t e) {
    return std::any_of(allowed.begin(), allowed.end(), [&](const auto& a) { return covers(a, s, e); });
  };
  for (size_t i = 0; i < rules_.size(); ++i) {
    const GuardRule& rule = rules_[i];
    if (rule.kind == RuleKind::kRegex && rule.regex) {
      for (const auto& [s, e] : regex_[i].found) {
        if (s < from || s >= f) continue;
        Candidate c{s, e, i, std::string(view.substr(s - base_, e - s)), {}};
        if (!rule.allow && exempted(s, e)) c.exempted_by = "an earlier allow rule";
        candidates.push_back(std::move(c));
      }
      if (rule.allow) allowed.insert(allowed.end(), regex_[i].found.begin(), regex_[i].found.end());
    } else if (rule.kind == RuleKind::kDenyTopics) {
      for (const auto& m : denies[i]) {
        const size_t s = base_ + m.start;
        const size_t e = base_ + m.end;
        if (s >= f) continue;
        Candidate c{s, e, i, std::string(view.substr(m.start, m.end - m.start)), {}};
        const auto& ex = phrase_[i].exceptions;
        if (std::any_of(ex.begin(), ex.end(), [&](const auto& x) { return covers(x, s, e); })) continue;
        if (exempted(s, e)) c.exempted_by = "an earlier allow rule";
        candidates.push_back(std::move(c));
      }
    }
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.start < b.start || (a.start == b.start && a.rule < b.rule);
  });
  return f;
}

void GuardStream::record(const Candidate& c) {
  matches_.push_back(MatchReport{c.rule, "output", c.start, c.end, c.what, c.exempted_by});
  if (!c.exempted_by.empty()) return;
  RuleTally& t = tallies_[c.rule];
  if (t.hits++ == 0) {
    t.first = (rules_[c.rule].allow ? "allowed " : "matched ") + excerpt(c.what) + " at output[" +
              std::to_string(c.start) + ":" + std::to_string(c.end) + "]";
  }
}

std::string GuardStream::push(std::string_view text, bool final) {
  if (done_) return {};
  if (!any_rules_) {
    // Nothing to check: pass through, holding back only an unfinished character.
    buffer_.append(text);
    const size_t cut = final ? buffer_.size() : core::utf8_complete_prefix(buffer_);
    std::string out = buffer_.substr(0, cut);
    buffer_.erase(0, cut);
    base_ += cut;
    emitted_ = base_;
    done_ = final;
    return out;
  }
  buffer_.append(text);
  std::vector<Candidate> candidates;
  size_t f = frontier(final, candidates);

  // Redactions: merge overlapping redact matches; a union that may still grow (it reaches
  // past the frontier) waits for the next push.
  struct Component {
    size_t start;
    size_t end;
    size_t first;  // candidate index
  };
  std::vector<Component> components;
  for (size_t k = 0; k < candidates.size(); ++k) {
    const Candidate& c = candidates[k];
    if (!c.exempted_by.empty() || rules_[c.rule].action != RuleAction::kRedact) continue;
    if (!components.empty() && c.start < components.back().end) {
      components.back().end = std::max(components.back().end, c.end);
    } else {
      components.push_back(Component{c.start, c.end, k});
    }
  }
  if (!final && !components.empty() && components.back().end > f) {
    f = components.back().start;
    components.pop_back();
  }
  const Candidate* block = nullptr;
  for (const Candidate& c : candidates) {
    if (c.start >= f) break;
    if (c.exempted_by.empty() && rules_[c.rule].action == RuleAction::kBlock) {
      block = &c;
      break;
    }
  }
  const size_t stop = block ? block->start : f;

  std::string out;
  size_t pos = emitted_;
  for (const Component& comp : components) {
    if (comp.start >= stop) break;
    out.append(buffer_, pos - base_, comp.start - pos);
    out += "[REDACTED:" + rules_[candidates[comp.first].rule].id + "]";
    ++redactions_;
    pos = comp.end;
  }
  if (pos < stop) out.append(buffer_, pos - base_, stop - pos);
  for (const Candidate& c : candidates) {
    if (c.start < stop || (block && c.start == stop)) record(c);
  }
  if (block) {
    blocked_ = true;
    block_rule_ = block->rule;
    done_ = true;
    buffer_.clear();
    return out;
  }
  emitted_ = std::max(f, pos);
  for (size_t i = 0; i < rules_.size(); ++i) {
    auto& found = regex_[i].found;
    const bool allow = rules_[i].allow;
    found.erase(std::remove_if(found.begin(), found.end(),
                               [&](const auto& m) { return allow ? m.second <= emitted_ : m.first < emitted_; }),
                found.end());
    auto& ex = phrase_[i].exceptions;
    ex.erase(std::remove_if(ex.begin(), ex.end(),
                            [&](const auto& x) { return x.second <= emitted_ || x.first >= emitted_; }),
             ex.end());
  }
  const size_t keep_from = emitted_ > kKeepBefore ? emitted_ - kKeepBefore : 0;
  if (keep_from > base_) {
    buffer_.erase(0, keep_from - base_);
    base_ = keep_from;
  }
  done_ = final;
  return out;
}

}  // namespace warden::policy

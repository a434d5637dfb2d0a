#include "policy/injection.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <stdexcept>

#include "core/utf8.h"
#include "policy/injection_cues.h"
#include "policy/text_fold.h"

namespace warden::policy {
namespace {

constexpr const char* kCheckNames[kInjectionCheckCount] = {"ignore_instructions", "role_play_override",
                                                           "reveal_system_prompt", "special_tokens", "encoded_payload"};
constexpr const char* kSeparator = R"([ \n,;:\-]{0,3})";
constexpr int kMaxDepth = 2;               // base64 inside base64 is still looked at
constexpr size_t kMinEncodedChars = 16;    // shorter runs are ordinary words and ids
constexpr size_t kMaxDecodedBytes = 64 * 1024;
constexpr size_t kMaxGroupHits = 1 << 16;  // per vocabulary and text
constexpr size_t kMaxGroupMatch = 256;     // longest vocabulary match the pair search expects

std::string expand(const std::string& pattern) {
  std::string out;
  for (char c : pattern) {
    if (c == '~') out += kSeparator;
    else out.push_back(c);
  }
  return out;
}

bool is_ascii_letter(char c) { return c >= 'a' && c <= 'z'; }

// Step 1: fold, drop zero-width characters, collapse white space (a run with a line
// break becomes '\n', otherwise ' '), typographic quotes to ASCII. ASCII takes a fast path.
void fold_pass(std::string_view text, NormalizedText& out) {
  size_t run_start = std::string::npos;
  bool run_newline = false;
  auto flush_run = [&] {
    if (run_start == std::string::npos) return;
    out.text.push_back(run_newline ? '\n' : ' ');
    out.source.push_back(static_cast<uint32_t>(run_start));
    run_start = std::string::npos;
    run_newline = false;
  };
  std::string folded;
  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      if (b == ' ' || (b >= 0x09 && b <= 0x0D)) {
        if (run_start == std::string::npos) run_start = i;
        run_newline |= b == '\n';
      } else {
        flush_run();
        out.text.push_back(static_cast<char>(b >= 'A' && b <= 'Z' ? b + 32 : b));
        out.source.push_back(static_cast<uint32_t>(i));
      }
      ++i;
      continue;
    }
    const text::Char c = text::decode(text, i);
    const size_t start = i;
    i += c.length;
    if (c.valid && text::is_ignorable(c.cp)) continue;
    if (c.valid && text::is_space(c.cp)) {
      if (run_start == std::string::npos) run_start = start;
      run_newline |= c.cp == 0x2028 || c.cp == 0x2029;
      continue;
    }
    flush_run();
    folded.clear();
    if (c.valid && (c.cp == 0x2018 || c.cp == 0x2019 || c.cp == 0x02BC)) folded = "'";
    else if (c.valid && (c.cp == 0x201C || c.cp == 0x201D)) folded = "\"";
    else text::append_folded(c, folded);
    for (char f : folded) {
      out.text.push_back(f);
      out.source.push_back(static_cast<uint32_t>(start));
    }
  }
  flush_run();
}

// Step 2: digits and a few symbols inside words read as letters ("1gn0re" -> "ignore",
// "rul35" -> "rules"): a run of at most 3 such characters touching a letter.
void leet_pass(NormalizedText& n) {
  std::string& s = n.text;
  auto leet = [](char c) -> char {
    switch (c) {
      case '0': return 'o';
      case '1': return 'i';
      case '3': return 'e';
      case '4': return 'a';
      case '5': return 's';
      case '7': return 't';
      case '8': return 'b';
      case '@': return 'a';
      case '$': return 's';
      default: return 0;
    }
  };
  for (size_t i = 0; i < s.size();) {
    if (!leet(s[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && leet(s[j])) ++j;
    const bool letter_before = i > 0 && is_ascii_letter(s[i - 1]);
    const bool letter_after = j < s.size() && is_ascii_letter(s[j]);
    if (j - i <= 3 && (letter_before || letter_after)) {
      for (size_t k = i; k < j; ++k) s[k] = leet(s[k]);
    }
    i = j;
  }
}

// Step 3: letters spelt out one at a time ("i g n o r e", "i.g.n.o.r.e") are joined.
void spaced_letters_pass(NormalizedText& n) {
  const std::string& s = n.text;
  auto single_letter_at = [&](size_t i) {
    return i < s.size() && is_ascii_letter(s[i]) && (i == 0 || !is_ascii_letter(s[i - 1])) &&
           (i + 1 >= s.size() || !is_ascii_letter(s[i + 1]));
  };
  auto is_sep = [](char c) { return c == ' ' || c == '.' || c == '-' || c == '_' || c == '*'; };
  std::vector<bool> drop(s.size(), false);
  bool any = false;
  for (size_t i = 0; i < s.size();) {
    if (!single_letter_at(i)) {
      ++i;
      continue;
    }
    size_t j = i;
    size_t letters = 1;
    while (j + 2 < s.size() && is_sep(s[j + 1]) && single_letter_at(j + 2)) {
      j += 2;
      ++letters;
    }
    if (letters >= 4) {
      for (size_t k = i + 1; k < j; k += 2) drop[k] = true;
      any = true;
    }
    i = j + 1;
  }
  if (!any) return;
  NormalizedText out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (drop[i]) continue;
    out.text.push_back(s[i]);
    out.source.push_back(n.source[i]);
  }
  n = std::move(out);
}

// End in the source of the character normalised byte `k` came from.
size_t source_end(std::string_view text, const NormalizedText& n, size_t k) {
  const size_t start = n.source[k];
  if (start >= text.size()) return text.size();
  size_t end = start + text::decode(text, start).length;
  // A collapsed white space run ends where the next normalised character begins.
  if (text::is_space(text::decode(text, start).cp)) end = k + 1 < n.source.size() ? n.source[k + 1] : text.size();
  return end;
}

double combine(double a, double b) { return 1.0 - (1.0 - a) * (1.0 - b); }

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

std::string decode_base64(std::string_view run) {
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : run) {
    const int v = base64_value(c);
    if (v < 0) break;  // padding
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
      if (out.size() >= kMaxDecodedBytes) break;
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode_hex(std::string_view digits) {
  std::string out;
  for (size_t i = 0; i + 1 < digits.size() && out.size() < kMaxDecodedBytes; i += 2) {
    out.push_back(static_cast<char>(hex_value(digits[i]) * 16 + hex_value(digits[i + 1])));
  }
  return out;
}

// Decoded bytes that read as text: valid UTF-8, few control characters, mostly letters.
bool looks_like_text(std::string_view s) {
  if (s.size() < 8 || !core::utf8_valid(s)) return false;
  size_t chars = 0, letters = 0, controls = 0;
  for (size_t i = 0; i < s.size();) {
    const text::Char c = text::decode(s, i);
    i += c.length;
    ++chars;
    if (c.cp < 0x20 && c.cp != '\n' && c.cp != '\r' && c.cp != '\t') ++controls;
    else if (c.cp == 0x7F) ++controls;
    else if (text::is_word(c) || c.cp == ' ') ++letters;
  }
  return controls == 0 && letters * 10 >= chars * 7;
}

struct EncodedRun {
  size_t start;
  size_t end;
  std::string decoded;
  const char* encoding;
};

std::vector<EncodedRun> find_encoded_runs(std::string_view text) {
  std::vector<EncodedRun> runs;
  size_t i = 0;
  while (i < text.size()) {
    // \xNN escapes.
    if (text[i] == '\\' && i + 3 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X')) {
      size_t j = i;
      std::string digits;
      while (j + 3 < text.size() + 0 && text[j] == '\\' && (text[j + 1] == 'x' || text[j + 1] == 'X') &&
             hex_value(text[j + 2]) >= 0 && hex_value(text[j + 3]) >= 0) {
        digits.push_back(text[j + 2]);
        digits.push_back(text[j + 3]);
        j += 4;
      }
      if (digits.size() >= kMinEncodedChars) {
        runs.push_back({i, j, decode_hex(digits), "hex"});
        i = j;
        continue;
      }
    }
    if (base64_value(text[i]) < 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && base64_value(text[j]) >= 0) ++j;
    size_t end = j;
    while (end < text.size() && end < j + 2 && text[end] == '=') ++end;
    const std::string_view run = text.substr(i, j - i);
    if (run.size() >= kMinEncodedChars) {
      std::string_view hex = run;
      if (hex.size() > 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
      const bool all_hex = std::all_of(hex.begin(), hex.end(), [](char c) { return hex_value(c) >= 0; });
      if (all_hex && hex.size() % 2 == 0) runs.push_back({i, end, decode_hex(hex), "hex"});
      runs.push_back({i, end, decode_base64(run), "base64"});
    }
    i = end;
  }
  return runs;
}

}  // namespace

std::string_view injection_check_name(InjectionCheck check) { return kCheckNames[static_cast<size_t>(check)]; }

std::optional<InjectionCheck> injection_check_by_name(std::string_view name) {
  for (size_t i = 0; i < kInjectionCheckCount; ++i) {
    if (name == kCheckNames[i]) return static_cast<InjectionCheck>(i);
  }
  return std::nullopt;
}

NormalizedText normalize_for_injection(std::string_view text) {
  NormalizedText n;
  n.text.reserve(text.size());
  n.source.reserve(text.size());
  fold_pass(text, n);
  leet_pass(n);
  spaced_letters_pass(n);
  return n;
}

struct InjectionDetector::Cues {
  struct Cue {
    InjectionCheck check;
    std::string name;
    double weight;
    std::unique_ptr<RE2> re;
  };
  std::vector<Cue> cues;
  std::unique_ptr<RE2::Set> set;
  std::vector<std::unique_ptr<RE2>> groups;
  struct Pair {
    InjectionCheck check;
    std::string name;
    double weight;
    size_t a;
    size_t b;
    size_t max_gap;
  };
  std::vector<Pair> pairs;
};

InjectionDetector::InjectionDetector() : cues_(std::make_unique<Cues>()) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(64 << 20);
  cues_->set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
  for (const InjectionCueSpec& spec : injection_cue_specs()) {
    const std::string pattern = expand(spec.pattern);
    auto re = std::make_unique<RE2>(pattern, options);
    std::string error;
    if (!re->ok() || cues_->set->Add(pattern, &error) < 0) {
      throw std::logic_error("injection cue " + spec.name + " does not compile: " + re->error() + error);
    }
    cues_->cues.push_back(Cues::Cue{spec.check, spec.name, spec.weight, std::move(re)});
  }
  if (!cues_->set->Compile()) throw std::logic_error("injection cue set does not compile");
  const auto& groups = injection_group_specs();
  for (const InjectionGroupSpec& g : groups) {
    auto re = std::make_unique<RE2>(expand(g.pattern), options);
    if (!re->ok()) throw std::logic_error("injection group " + g.name + " does not compile: " + re->error());
    cues_->groups.push_back(std::move(re));
  }
  auto group_index = [&](const std::string& name) {
    for (size_t i = 0; i < groups.size(); ++i) {
      if (groups[i].name == name) return i;
    }
    throw std::logic_error("injection pair names unknown group " + name);
  };
  for (const InjectionPairSpec& p : injection_pair_specs()) {
    cues_->pairs.push_back(Cues::Pair{p.check, p.name, p.weight, group_index(p.a), group_index(p.b), p.max_gap});
  }
}

InjectionDetector::~InjectionDetector() = default;

const InjectionDetector& InjectionDetector::instance() {
  static const InjectionDetector detector;
  return detector;
}

InjectionResult InjectionDetector::analyze(std::string_view text, uint32_t checks, const DenyProbe& probe) const {
  return analyze_at_depth(text, checks, probe, 0);
}

InjectionResult InjectionDetector::analyze_at_depth(std::string_view text, uint32_t checks, const DenyProbe& probe,
                                                    int depth) const {
  InjectionResult result;
  const bool any_cue_check = (checks & ~injection_check_bit(InjectionCheck::kEncodedPayload)) != 0;
  const NormalizedText n = any_cue_check ? normalize_for_injection(text) : NormalizedText{};
  std::vector<int> hits;
  RE2::Set::ErrorInfo error{RE2::Set::kNoError};
  if (any_cue_check && !cues_->set->Match(n.text, &hits, &error) && error.kind != RE2::Set::kNoError) {
    // The set ran out of memory on this text: test every cue on its own instead.
    hits.clear();
    for (size_t i = 0; i < cues_->cues.size(); ++i) {
      if (RE2::PartialMatch(n.text, *cues_->cues[i].re)) hits.push_back(static_cast<int>(i));
    }
  }
  std::sort(hits.begin(), hits.end());
  for (int index : hits) {
    const Cues::Cue& cue = cues_->cues[static_cast<size_t>(index)];
    if (!(checks & injection_check_bit(cue.check)) || cue.check == InjectionCheck::kEncodedPayload) continue;
    re2::StringPiece m;
    if (!cue.re->Match(n.text, 0, n.text.size(), RE2::UNANCHORED, &m, 1)) continue;
    size_t s = static_cast<size_t>(m.data() - n.text.data());
    size_t e = s + m.size();
    // Leading separators (a line-start anchor) are not part of the evidence.
    while (s < e && (n.text[s] == '\n' || n.text[s] == ' ')) ++s;
    InjectionEvidence ev;
    ev.check = cue.check;
    ev.weight = cue.weight;
    ev.cue = cue.name;
    ev.start = s < n.source.size() ? n.source[s] : text.size();
    ev.end = e > s ? source_end(text, n, e - 1) : ev.start;
    auto& score = result.check_scores[static_cast<size_t>(cue.check)];
    score = combine(score, cue.weight);
    result.evidence.push_back(std::move(ev));
  }
  // Co-occurrence cues: two vocabularies close to each other.
  std::vector<std::optional<std::vector<std::pair<size_t, size_t>>>> group_hits(cues_->groups.size());
  auto hits_of = [&](size_t g) -> const std::vector<std::pair<size_t, size_t>>& {
    if (!group_hits[g]) {
      std::vector<std::pair<size_t, size_t>> found;
      re2::StringPiece m;
      size_t pos = 0;
      while (pos < n.text.size() && found.size() < kMaxGroupHits &&
             cues_->groups[g]->Match(n.text, pos, n.text.size(), RE2::UNANCHORED, &m, 1)) {
        const size_t s = static_cast<size_t>(m.data() - n.text.data());
        found.emplace_back(s, s + m.size());
        pos = std::max(s + m.size(), s + 1);
      }
      group_hits[g] = std::move(found);
    }
    return *group_hits[g];
  };
  for (const Cues::Pair& pair : cues_->pairs) {
    if (!(checks & injection_check_bit(pair.check))) continue;
    const auto& a = hits_of(pair.a);
    if (a.empty()) continue;
    const auto& b = hits_of(pair.b);
    bool found = false;
    for (size_t i = 0; i < a.size() && !found; ++i) {
      // b is sorted by start: look only at matches that can be within max_gap of a[i].
      const size_t lowest = a[i].first > pair.max_gap + kMaxGroupMatch ? a[i].first - pair.max_gap - kMaxGroupMatch : 0;
      auto first = std::lower_bound(b.begin(), b.end(), std::make_pair(lowest, size_t{0}));
      for (size_t j = static_cast<size_t>(first - b.begin());
           j < b.size() && b[j].first <= a[i].second + pair.max_gap && !found; ++j) {
        const size_t lo = std::max(a[i].first, b[j].first);
        const size_t hi = std::min(a[i].second, b[j].second);
        const size_t gap = lo > hi ? lo - hi : 0;
        if (gap > pair.max_gap) continue;
        found = true;
        const size_t s = std::min(a[i].first, b[j].first);
        const size_t e = std::max(a[i].second, b[j].second);
        InjectionEvidence ev;
        ev.check = pair.check;
        ev.weight = pair.weight;
        ev.cue = pair.name;
        ev.start = n.source[s];
        ev.end = source_end(text, n, e - 1);
        auto& score = result.check_scores[static_cast<size_t>(pair.check)];
        score = combine(score, pair.weight);
        result.evidence.push_back(std::move(ev));
      }
    }
  }
  if ((checks & injection_check_bit(InjectionCheck::kEncodedPayload)) && depth < kMaxDepth) {
    scan_encoded(text, checks, probe, depth, result);
  }
  for (size_t c = 0; c < kInjectionCheckCount; ++c) {
    if (checks & (1u << c)) result.score = combine(result.score, result.check_scores[c]);
  }
  return result;
}

void InjectionDetector::scan_encoded(std::string_view text, uint32_t checks, const DenyProbe& probe, int depth,
                                     InjectionResult& result) const {
  auto& score = result.check_scores[static_cast<size_t>(InjectionCheck::kEncodedPayload)];
  size_t last_end = 0;
  for (const EncodedRun& run : find_encoded_runs(text)) {
    if (run.start < last_end || !looks_like_text(run.decoded)) continue;
    double weight = 0.0;
    std::string cue;
    if (probe) {
      if (auto rule = probe(run.decoded)) {
        weight = 0.95;
        cue = std::string(run.encoding) + "-decodes-to-denied-content:" + *rule;
      }
    }
    if (weight == 0.0) {
      const InjectionResult inner = analyze_at_depth(run.decoded, checks, probe, depth + 1);
      if (inner.score >= 0.3) {
        weight = std::min(1.0, inner.score + 0.3);
        size_t best = 0;
        for (size_t c = 1; c < kInjectionCheckCount; ++c) {
          if (inner.check_scores[c] > inner.check_scores[best]) best = c;
        }
        cue = std::string(run.encoding) + "-decodes-to:" + std::string(kCheckNames[best]);
      }
    }
    if (weight == 0.0) continue;
    last_end = run.end;
    score = combine(score, weight);
    result.evidence.push_back(InjectionEvidence{InjectionCheck::kEncodedPayload, run.start, run.end, weight, cue});
  }
}

}  // namespace warden::policy

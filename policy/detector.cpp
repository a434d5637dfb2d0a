#include "policy/detector.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "policy/builtin_patterns.h"
#include "core/utf8.h"
#include "policy/errors.h"
#include "policy/start_filter.h"
#include "policy/validators.h"

namespace warden::policy {
namespace {

constexpr size_t kBlockBytes = 4096;
constexpr size_t kGateOverlap = 512;
constexpr const char* kPlaceholderPending = R"(<[A-Z0-9_]{0,72})";

RE2::Options detect_options() {
  RE2::Options o;
  o.set_longest_match(true);
  o.set_log_errors(false);
  o.set_max_mem(32 << 20);
  return o;
}

RE2::Options pending_options() {
  RE2::Options o = detect_options();
  o.set_encoding(RE2::Options::EncodingLatin1);
  o.set_max_mem(64 << 20);
  return o;
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Start of the valid UTF-8 sequence that contains position p (p itself when p starts one,
// is a stray byte, or is text.size()).
size_t char_start(std::string_view text, size_t p) {
  if (p >= text.size() || !is_continuation(text[p])) return p;
  for (size_t back = 1; back <= 3 && back <= p; ++back) {
    const size_t q = p - back;
    if (is_continuation(text[q])) continue;
    const size_t len = core::utf8_sequence_length(text.substr(q));
    return len > back ? q : p;
  }
  return p;
}

// ASCII letters and their lower case, as std::isalpha / std::tolower in the "C" locale.
struct AsciiTables {
  std::array<bool, 256> alpha{};
  std::array<unsigned char, 256> lower{};
  AsciiTables() {
    for (int c = 0; c < 256; ++c) {
      alpha[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      lower[c] = static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
  }
};
const AsciiTables kAscii;

// Words (lower-case) looked for in the bytes before a match: context words that raise the
// score, negative words that refuse it. Compares in place, no allocation per call.
class ContextWords {
 public:
  ContextWords() = default;
  ContextWords(const std::vector<std::string>& words, bool whole_word) : whole_word_(whole_word) {
    for (const auto& w : words) {
      if (w.empty()) continue;
      words_.push_back(w);
      for (int c = 0; c < 256; ++c)
        if (kAscii.lower[c] == static_cast<unsigned char>(w[0])) first_[c] = true;
      if (std::find(firsts_.begin(), firsts_.end(), w[0]) == firsts_.end()) firsts_.push_back(w[0]);
    }
  }
  bool empty() const { return words_.empty(); }

  // Whether a word occurs in `window` starting at a word start (and, when whole_word,
  // ending at a word end); the window's first byte counts as a word start.
  bool found_in(std::string_view window) const {
    if (words_.empty()) return false;
    const unsigned char* p = reinterpret_cast<const unsigned char*>(window.data());
    const size_t n = window.size();
#if defined(__SSE2__)
    // A context window (48 bytes) at once: word starts whose lower case is a first letter.
    if (n <= 64 && firsts_.size() <= kMaxVectorFirsts) {
      uint64_t starts = vector_starts(p, n);
      while (starts != 0) {
        const size_t pos = static_cast<size_t>(__builtin_ctzll(starts));
        starts &= starts - 1;
        if (word_at(p, n, pos)) return true;
      }
      return false;
    }
#endif
    for (size_t pos = 0; pos < n; ++pos) {
      if (!first_[p[pos]] || (pos > 0 && kAscii.alpha[p[pos - 1]])) continue;
      if (word_at(p, n, pos)) return true;
    }
    return false;
  }

 private:
  static constexpr size_t kMaxVectorFirsts = 8;

  // A word of the list at `pos` (a word start whose lower case is a first letter).
  bool word_at(const unsigned char* p, size_t n, size_t pos) const {
    for (const auto& w : words_) {
      if (static_cast<unsigned char>(w[0]) != kAscii.lower[p[pos]] || n - pos < w.size()) continue;
      size_t k = 1;
      while (k < w.size() && kAscii.lower[p[pos + k]] == static_cast<unsigned char>(w[k])) ++k;
      if (k != w.size()) continue;
      const size_t after = pos + w.size();
      if (whole_word_ && after < n && kAscii.alpha[p[after]]) continue;
      return true;
    }
    return false;
  }

#if defined(__SSE2__)
  // Bit pos: byte pos starts a word (no ASCII letter before it) and its lower case is the
  // first letter of a word of the list. n <= 64.
  uint64_t vector_starts(const unsigned char* p, size_t n) const {
    alignas(16) unsigned char bytes[64] = {};
    std::memcpy(bytes, p, n);
    auto in_range = [](__m128i x, char lo, char hi) {  // unsigned lo <= x <= hi
      const __m128i t = _mm_sub_epi8(x, _mm_set1_epi8(lo));
      return _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(static_cast<char>(hi - lo))), t);
    };
    uint64_t first = 0, alpha = 0;
    for (int k = 0; k < 4; ++k) {
      const __m128i x = _mm_load_si128(reinterpret_cast<const __m128i*>(bytes + 16 * k));
      const __m128i lower = _mm_or_si128(x, _mm_and_si128(in_range(x, 'A', 'Z'), _mm_set1_epi8(0x20)));
      __m128i is_first = _mm_setzero_si128();
      for (char c : firsts_) is_first = _mm_or_si128(is_first, _mm_cmpeq_epi8(lower, _mm_set1_epi8(c)));
      first |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(is_first))) << (16 * k);
      alpha |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(in_range(lower, 'a', 'z')))) << (16 * k);
    }
    const uint64_t inside = n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
    return first & ~(alpha << 1) & inside;
  }
#endif

  std::vector<std::string> words_;
  std::array<bool, 256> first_{};  // bytes whose lower case starts a word
  std::vector<char> firsts_;       // the distinct first bytes of the words
  bool whole_word_ = false;
};

// The regex with \p{L}, \p{Lu}, \p{Ll} narrowed to ASCII letters: on ASCII text it matches
// exactly what the original matches (any other letter is a non-ASCII byte sequence), with a
// far smaller program: counted repetitions of a Unicode class compile to tens of thousands
// of instructions, which make RE2's DFA slow and its state cache thrash. Empty when the
// regex has no such class or another Unicode property class.
std::string ascii_letters_variant(std::string_view regex) {
  std::string out;
  bool in_class = false;
  bool changed = false;
  for (size_t i = 0; i < regex.size(); ++i) {
    const char c = regex[i];
    if (c == '\\' && i + 1 < regex.size()) {
      const char next = regex[i + 1];
      if (next == 'p' || next == 'P') {
        const size_t close = regex.find('}', i);
        if (next == 'P' || i + 2 >= regex.size() || regex[i + 2] != '{' || close == std::string_view::npos) return "";
        const std::string_view name = regex.substr(i + 3, close - i - 3);
        const char* letters = name == "Lu" ? "A-Z" : name == "Ll" ? "a-z" : name == "L" ? "A-Za-z" : nullptr;
        if (!letters) return "";
        out += in_class ? std::string(letters) : "[" + std::string(letters) + "]";
        changed = true;
        i = close;
        continue;
      }
      out += c;
      out += next;
      ++i;
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
      out += c;
      if (i + 1 < regex.size() && regex[i + 1] == '^') out += regex[++i];
      if (i + 1 < regex.size() && regex[i + 1] == ']') out += regex[++i];  // a literal ']'
      continue;
    }
    if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return changed ? out : std::string();
}

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

// Negative cues only count close before the match and within the same sentence.
std::string_view negative_window(std::string_view text, size_t match_start) {
  constexpr size_t kNegativeLookback = 24;
  size_t begin = match_start > kNegativeLookback ? match_start - kNegativeLookback : 0;
  for (size_t i = match_start; i > begin; --i) {
    const char c = text[i - 1];
    const char next = i < text.size() ? text[i] : ' ';
    if (c == '\n' || ((c == '.' || c == '!' || c == '?' || c == ';') && next == ' ' && i + 1 < match_start)) {
      begin = i;
      break;
    }
  }
  return text.substr(begin, match_start - begin);
}

}  // namespace

struct Detector::Compiled {
  PatternSpec spec;
  std::unique_ptr<RE2> re;
  bool has_group = false;
  std::unique_ptr<RE2> value_prefix;  // spec.value_prefix
  // ascii_letters_variant of regex and value_prefix, used where text[s, limit) is ASCII.
  std::unique_ptr<RE2> ascii_re;
  std::unique_ptr<RE2> ascii_value_prefix;
  ContextWords context;               // spec.context_words
  ContextWords negative;              // spec.negative_words, whole words

  // The anchored leftmost-longest match at s within text[..limit): groups[0] the match,
  // groups[1] the value group when the pattern has one.
  bool match(std::string_view text, size_t s, size_t limit, re2::StringPiece* groups) const {
    if (spec.shape_match) {
      size_t end = 0;
      if (!spec.shape_match(text.substr(0, limit), s, end)) return false;
      groups[0] = re2::StringPiece(text.data() + s, end - s);
      groups[1] = re2::StringPiece();
      return true;
    }
    const bool ascii = ascii_re && is_ascii(text.substr(s, limit - s));
    const RE2& whole = ascii ? *ascii_re : *re;
    const RE2* prefix_re = ascii && ascii_value_prefix ? ascii_value_prefix.get() : value_prefix.get();
    const re2::StringPiece subject(text.data(), limit);
    if (prefix_re) {
      // The whole match (a DFA search), then where its prefix ends (another one).
      if (!whole.Match(subject, s, limit, RE2::ANCHOR_START, groups, 1)) return false;
      const size_t end = s + groups[0].size();
      re2::StringPiece prefix;
      if (prefix_re->Match(re2::StringPiece(text.data(), end), s, end, RE2::ANCHOR_START, &prefix, 1) &&
          prefix.size() < groups[0].size()) {
        groups[1] = re2::StringPiece(text.data() + s + prefix.size(), end - s - prefix.size());
        return true;
      }
    }
    return whole.Match(subject, s, limit, RE2::ANCHOR_START, groups, has_group ? 2 : 1);
  }
};

struct GateSet {
  explicit GateSet(const RE2::Options& o) : set(o, RE2::UNANCHORED) {}
  RE2::Set set;
};

Detector::Detector(const std::vector<bool>& wanted, const std::vector<CustomRegexEntity>& regexes,
                   const std::vector<DictionaryEntity>& dictionaries) {
  auto is_wanted = [&](EntityId id) {
    return id >= 0 && static_cast<size_t>(id) < wanted.size() && wanted[static_cast<size_t>(id)];
  };
  std::vector<PatternSpec> specs;
  for (const auto& spec : builtin_patterns()) {
    if (is_wanted(spec.type) || (spec.also_emits >= 0 && is_wanted(spec.also_emits)))
      specs.push_back(spec);
  }
  std::vector<std::string> problems;
  for (const auto& custom : regexes) {
    if (!is_wanted(custom.type)) continue;
    PatternSpec p;
    p.type = custom.type;
    p.regex = custom.pattern;
    p.max_len = std::clamp(custom.max_len, 1, static_cast<int>(kGateOverlap));
    p.score = custom.score;
    p.context_words = custom.context_words;
    p.context_boost = custom.context_words.empty() ? 0.0 : 0.15;
    RE2 probe(custom.pattern, detect_options());
    if (!probe.ok()) {
      problems.push_back("custom entity " + custom.name + ": invalid regex: " + probe.error());
      continue;
    }
    // Streaming hold-back: all matches share the prefix common to the least and greatest
    // possible match, and start with a byte between their first bytes.
    std::string lo, hi;
    std::string tail = "\\C{0," + std::to_string(p.max_len + 2) + "}";
    if (probe.PossibleMatchRange(&lo, &hi, 16) && !lo.empty() && !hi.empty()) {
      size_t common = 0;
      while (common < lo.size() && common < hi.size() && lo[common] == hi[common]) ++common;
      if (common > 0) {
        std::string prefix = lo.substr(0, common);
        std::string alts = literal_prefix_alternation({prefix});
        p.pending = (alts.empty() ? "" : alts + "|") + regex_escape_latin1(prefix) + tail;
      } else {
        char buf[32];
        std::snprintf(buf, sizeof(buf), "[\\x%02x-\\x%02x]", static_cast<unsigned char>(lo[0]),
                      static_cast<unsigned char>(hi[0]));
        p.pending = std::string(buf) + tail;
      }
    } else {
      p.pending = tail;
    }
    specs.push_back(std::move(p));
  }
  if (!problems.empty()) throw PolicyError(problems);

  gate_ = std::make_unique<GateSet>(detect_options());
  start_filter_ = std::make_unique<StartFilter>();
  std::string pending_alternation;
  for (auto& spec : specs) {
    auto c = std::make_unique<Compiled>();
    c->spec = spec;
    c->re = std::make_unique<RE2>(spec.regex, detect_options());
    if (!c->re->ok()) throw RedactionError("detector pattern failed to compile: " + c->re->error());
    c->has_group = c->re->NumberOfCapturingGroups() >= 1;
    auto compile_extra = [](const std::string& regex) {
      auto re = std::make_unique<RE2>(regex, detect_options());
      if (!re->ok()) throw RedactionError("detector pattern failed to compile: " + re->error());
      return re;
    };
    if (!spec.value_prefix.empty()) c->value_prefix = compile_extra(spec.value_prefix);
    if (const std::string ascii = ascii_letters_variant(spec.regex); !ascii.empty()) {
      c->ascii_re = compile_extra(ascii);
      if (c->value_prefix) {
        const std::string ascii_prefix = ascii_letters_variant(spec.value_prefix);
        c->ascii_value_prefix = compile_extra(ascii_prefix.empty() ? spec.value_prefix : ascii_prefix);
      }
    }
    c->context = ContextWords(spec.context_words, false);
    c->negative = ContextWords(spec.negative_words, true);
    if (spec.start.shape == StartShape::kAny) {
      std::string error;
      const std::string& gate = spec.gate.empty() ? spec.regex : spec.gate;
      const int gate_id = gate_->set.Add(gate, &error);
      if (gate_id < 0) throw RedactionError("detector gate failed to compile: " + error);
      gated_.push_back(static_cast<int>(patterns_.size()));
    } else {
      start_filter_->add(static_cast<int>(patterns_.size()), spec.start);
    }
    if (!pending_alternation.empty()) pending_alternation.push_back('|');
    // Long counted repetitions become unbounded: still a superset of the viable prefixes,
    // and the DFA stays small (bounded counts multiply its states). The window bounds length.
    std::string loose = spec.pending;
    RE2::GlobalReplace(&loose, RE2(R"(\{(\d+),(\d\d\d+|[5-9]\d)\})"), R"({\1,})");
    pending_alternation += "(?:" + loose + ")";
    max_pending_len_ = std::max(max_pending_len_, static_cast<size_t>(spec.max_len) + 4);
    patterns_.push_back(std::move(c));
  }
  if (!gated_.empty() && !gate_->set.Compile()) throw RedactionError("detector prefilter failed to compile");
  start_filter_->build();

  private_keys_ = is_wanted(kPrivateKey);
  for (const auto& dict : dictionaries) {
    if (!is_wanted(dict.type)) continue;
    for (const auto& term : dict.terms) {
      try {
        dictionary_.add(term, dict.type, dict.score);
      } catch (const std::invalid_argument& e) {
        problems.push_back("dictionary entity " + dict.name + ": " + e.what());
      }
    }
  }
  if (!problems.empty()) throw PolicyError(problems);
  dictionary_.build();

  std::string base = pending_alternation.empty() ? std::string("(?:$^)") : pending_alternation;
  pending_ = std::make_unique<RE2>("(?:" + base + ")\\z", pending_options());
  pending_with_placeholders_ = std::make_unique<RE2>(
      "(?:" + base + "|" + kPlaceholderPending + ")\\z", pending_options());
  if (!pending_->ok() || !pending_with_placeholders_->ok())
    throw RedactionError("detector hold-back rule failed to compile: " + pending_->error());
}

Detector::~Detector() = default;

void Detector::scan(std::string_view text, size_t from, std::vector<Finding>& out) const {
  if (from > text.size()) return;
  scan_patterns(text, from, out);
  if (private_keys_) scan_private_keys(text, from, out);
  dictionary_.scan(text, from, out);
}

void Detector::scan_patterns(std::string_view text, size_t from, std::vector<Finding>& out) const {
  if (patterns_.empty()) return;
  const size_t n = text.size();
  // Builtin patterns: RE2 only where the prefilter says a match may start.
  if (!start_filter_->empty()) {
    std::vector<std::pair<int, size_t>> starts;
    start_filter_->candidates(text, from, starts);
    for (const auto& [id, s] : starts) evaluate_at(*patterns_[static_cast<size_t>(id)], text, s, out);
  }
  if (gated_.empty()) return;
  // Patterns without a known start shape (custom regexes): a RE2::Set over 4 KiB blocks
  // says which of them can match there, then each is searched.
  std::vector<int> hits;
  for (size_t b0 = from; b0 < n; b0 += kBlockBytes) {
    const size_t b1 = std::min(n, b0 + kBlockBytes);
    const size_t gate_end = std::min(n, b1 + kGateOverlap);
    hits.clear();
    if (!gate_->set.Match(re2::StringPiece(text.data() + b0, gate_end - b0), &hits)) continue;
    std::sort(hits.begin(), hits.end());
    for (int hit : hits) {
      const Compiled& c = *patterns_[static_cast<size_t>(gated_[static_cast<size_t>(hit)])];
      const size_t search_end = std::min(n, b1 + static_cast<size_t>(c.spec.max_len));
      const re2::StringPiece search_text(text.data(), search_end);
      size_t pos = b0;
      while (pos < b1) {
        re2::StringPiece m;
        if (!c.re->Match(search_text, pos, search_end, RE2::UNANCHORED, &m, 1)) break;
        const size_t s = static_cast<size_t>(m.data() - text.data());
        if (s >= b1) break;
        pos = s + 1;
        evaluate_at(c, text, s, out);
      }
    }
  }
}

// Canonical match at `s` (it depends only on the bytes up to s + max_len, never on where
// the scan began), then the validator and the context words.
void Detector::evaluate_at(const Compiled& c, std::string_view text, size_t s, std::vector<Finding>& out) const {
  const size_t n = text.size();
  const size_t limit = std::min(n, s + static_cast<size_t>(c.spec.max_len));
  re2::StringPiece groups[2];
  if (!c.match(text, s, limit, groups)) return;
  Candidate cand;
  cand.text = text;
  cand.match_start = s;
  const re2::StringPiece& value = (c.has_group && groups[1].data()) ? groups[1] : groups[0];
  cand.value_start = static_cast<size_t>(value.data() - text.data());
  cand.value_end = cand.value_start + value.size();
  if (cand.value_end <= cand.value_start) return;
  cand.score = c.spec.score;
  if (c.spec.validate && !c.spec.validate(cand)) return;
  if (cand.value_end <= cand.value_start) return;
  const size_t ctx_begin = s > kContextLookback ? s - kContextLookback : 0;
  const std::string_view context = text.substr(ctx_begin, s - ctx_begin);
  if (c.negative.found_in(negative_window(text, s))) return;
  if (c.spec.context_boost > 0 && c.context.found_in(context))
    cand.score = std::min(1.0, cand.score + c.spec.context_boost);
  // Never split a valid UTF-8 character (stray continuation bytes are characters of
  // their own and stay where they are: looking further would make a span depend on an
  // unbounded run of bytes after it).
  cand.value_start = char_start(text, cand.value_start);
  cand.value_end = char_start(text, cand.value_end);
  if (cand.value_end <= cand.value_start) return;
  Finding f;
  f.start = cand.value_start;
  f.end = cand.value_end;
  f.match_start = std::min(s, cand.value_start);
  f.type = c.spec.type;
  f.score = cand.score;
  if (cand.extra_type >= 0) {
    f.flags |= kFindingEmbeddedCredentials;
    Finding extra = f;
    extra.type = cand.extra_type;
    extra.start = cand.extra_start;
    extra.end = cand.extra_end;
    extra.flags = kFindingEmbeddedCredentials;
    extra.score = 0.95;
    if (extra.end > extra.start) out.push_back(extra);
  }
  out.push_back(f);
}

}  // namespace warden::policy

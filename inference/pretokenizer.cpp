#include "inference/pretokenizer.h"

#include <stdexcept>

#include "inference/pretokenizer_unicode.h"

namespace warden::inference {
namespace {

using SplitPattern = PreTokenizer::SplitPattern;

// The regexes exactly as tokenizer.json spells them.
constexpr std::string_view kDigitsRegex = "\\p{N}{1,3}";
constexpr std::string_view kCjkRegex =
    "[\xE4\xB8\x80-\xE9\xBE\xA5\xE3\x81\x80-\xE3\x82\x9F\xE3\x82\xA0-\xE3\x83\xBF]+";
constexpr std::string_view kDeepSeekV3WordsRegex =
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+|"
    " ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+";

struct CharAt {
  char32_t code_point = 0;
  size_t length = 0;
  uint8_t flags = 0;
};

inline CharAt char_at(std::string_view s, size_t pos) {
  CharAt c;
  c.code_point = decode_utf8_at(s, pos, c.length);
  c.flags = unicode_class(c.code_point);
  return c;
}

// End of the run of characters whose class intersects `mask`, starting at pos.
size_t run_end(std::string_view s, size_t pos, uint8_t mask) {
  while (pos < s.size()) {
    CharAt c = char_at(s, pos);
    if (!(c.flags & mask)) break;
    pos += c.length;
  }
  return pos;
}

bool is_ascii_punct(char32_t c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
         (c >= '{' && c <= '~');
}

bool is_ascii_letter(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

bool is_cjk(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FA5) || (c >= 0x3040 && c <= 0x309F) || (c >= 0x30A0 && c <= 0x30FF);
}

size_t match_digits(std::string_view s, size_t pos) {
  size_t end = pos;
  for (int n = 0; n < 3 && end < s.size(); ++n) {
    CharAt c = char_at(s, end);
    if (!(c.flags & kNumber)) break;
    end += c.length;
  }
  return end - pos;
}

size_t match_cjk(std::string_view s, size_t pos) {
  size_t end = pos;
  while (end < s.size()) {
    size_t len = 0;
    if (!is_cjk(decode_utf8_at(s, end, len))) break;
    end += len;
  }
  return end - pos;
}

// Alternatives tried in order at `pos`, as a backtracking regex engine would:
//   A [!"#...~][A-Za-z]+   B [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+   C ' '?[\p{P}\p{S}]+[\r\n]*
//   D \s*[\r\n]+           E \s+(?!\S)                              F \s+
size_t match_v3_words(std::string_view s, size_t pos) {
  const CharAt c0 = char_at(s, pos);
  const size_t next = pos + c0.length;
  // A
  if (c0.code_point < 0x80 && is_ascii_punct(c0.code_point)) {
    size_t end = next;
    while (end < s.size() && is_ascii_letter(static_cast<unsigned char>(s[end]))) ++end;
    if (end > next) return end - pos;
  }
  // B: first with the optional leading character, then without it.
  const bool may_lead = c0.code_point != '\r' && c0.code_point != '\n' &&
                        !(c0.flags & (kLetter | kPunctuation | kSymbol));
  if (may_lead && next < s.size()) {
    size_t end = run_end(s, next, kLetter | kMark);
    if (end > next) return end - pos;
  }
  if (c0.flags & (kLetter | kMark)) return run_end(s, pos, kLetter | kMark) - pos;
  // C
  size_t symbols_start = pos;
  if (c0.code_point == ' ' && next < s.size() && (char_at(s, next).flags & (kPunctuation | kSymbol))) {
    symbols_start = next;
  }
  size_t symbols_end = run_end(s, symbols_start, kPunctuation | kSymbol);
  if (symbols_end > symbols_start) {
    while (symbols_end < s.size() && (s[symbols_end] == '\r' || s[symbols_end] == '\n')) ++symbols_end;
    return symbols_end - pos;
  }
  if (!(c0.flags & kSpace)) return 0;
  // D: the whitespace run up to and including its last line break.
  size_t space_end = pos;
  size_t after_last_break = 0;
  size_t last_char_start = pos;
  while (space_end < s.size()) {
    CharAt c = char_at(s, space_end);
    if (!(c.flags & kSpace)) break;
    last_char_start = space_end;
    space_end += c.length;
    if (c.code_point == '\r' || c.code_point == '\n') after_last_break = space_end;
  }
  if (after_last_break > 0) return after_last_break - pos;
  // E: the run, minus its last character when a non-space follows (that character then
  // leads the next word, e.g. the space before "world" in "a   world").
  if (space_end == s.size()) return space_end - pos;
  if (last_char_start > pos) return last_char_start - pos;
  // F
  return c0.length;
}

std::optional<SplitPattern> v3_pattern_from_regex(std::string_view regex) {
  if (regex == kDigitsRegex) return SplitPattern::kDigitsUpTo3;
  if (regex == kCjkRegex) return SplitPattern::kCjkRun;
  if (regex == kDeepSeekV3WordsRegex) return SplitPattern::kDeepSeekV3Words;
  return std::nullopt;
}

void check_byte_level(const core::Json& step) {
  const core::Json* use_regex = step.find("use_regex");
  const core::Json* prefix = step.find("add_prefix_space");
  if (use_regex && use_regex->as_bool()) {
    throw std::runtime_error("tokenizer.json: pre_tokenizer: ByteLevel with use_regex true is not supported");
  }
  if (prefix && prefix->as_bool()) {
    throw std::runtime_error(
        "tokenizer.json: pre_tokenizer: ByteLevel with add_prefix_space true is not supported");
  }
}

}  // namespace

size_t match_split_pattern(SplitPattern pattern, std::string_view piece, size_t pos) {
  switch (pattern) {
    case SplitPattern::kDigitsUpTo3: return match_digits(piece, pos);
    case SplitPattern::kCjkRun: return match_cjk(piece, pos);
    case SplitPattern::kDeepSeekV3Words: return match_v3_words(piece, pos);
  }
  return 0;
}

PreTokenizer PreTokenizer::from_json(const core::Json& config) {
  if (!config.is_object() || config.at("type").as_string() != "Sequence") {
    throw std::runtime_error("tokenizer.json: pre_tokenizer: expected a Sequence");
  }
  PreTokenizer result;
  const auto& steps = config.at("pretokenizers").as_array();
  bool saw_byte_level = false;
  for (size_t i = 0; i < steps.size(); ++i) {
    const core::Json& step = steps[i];
    const std::string& type = step.at("type").as_string();
    const std::string where = "tokenizer.json: pre_tokenizer.pretokenizers[" + std::to_string(i) + "]";
    if (saw_byte_level) throw std::runtime_error(where + ": only ByteLevel may be the last step");
    if (type == "ByteLevel") {
      check_byte_level(step);
      saw_byte_level = true;
    } else if (type == "Split") {
      if (step.at("behavior").as_string() != "Isolated") {
        throw std::runtime_error(where + ": unsupported Split behavior \"" +
                                 step.at("behavior").as_string() + "\" (expected Isolated)");
      }
      const core::Json* invert = step.find("invert");
      if (invert && invert->as_bool()) throw std::runtime_error(where + ": Split with invert true is not supported");
      const core::Json* regex = step.at("pattern").find("Regex");
      if (!regex) throw std::runtime_error(where + ": only Regex Split patterns are supported");
      const std::string& text = regex->as_string();
      Step parsed;
      parsed.v3 = v3_pattern_from_regex(text);
      if (!parsed.v3) {
        try {
          parsed.simple = SimpleSplitPattern::parse(text);
        } catch (const std::invalid_argument& e) {
          throw std::runtime_error(where + ": unsupported Split regex \"" + text + "\": " + e.what());
        }
      }
      result.steps_.push_back(std::move(parsed));
    } else if (type == "Digits") {
      // HF: each numeric character alone, or each run of them (Split \p{N} / \p{N}+).
      const core::Json* individual = step.find("individual_digits");
      CharClass digits;
      digits.add_flags(kNumber);
      const int most = individual && individual->as_bool() ? 1 : SimpleSplitPattern::kUnbounded;
      Step parsed;
      parsed.simple = SimpleSplitPattern::repeat(std::move(digits), 1, most);
      result.steps_.push_back(std::move(parsed));
    } else {
      throw std::runtime_error(where + ": unsupported pre-tokenizer type \"" + type + "\"");
    }
  }
  if (!saw_byte_level) throw std::runtime_error("tokenizer.json: pre_tokenizer: expected a final ByteLevel step");
  return result;
}

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& pieces) const {
  std::vector<std::string_view> current{text};
  std::vector<std::string_view> next;
  if (text.empty()) return;
  for (const Step& step : steps_) {
    next.clear();
    for (std::string_view piece : current) {
      size_t gap_start = 0;
      size_t pos = 0;
      while (pos < piece.size()) {
        size_t len = 0;
        size_t next_try = pos;
        if (step.v3) {
          len = match_split_pattern(*step.v3, piece, pos);
          if (len == 0) {
            size_t char_len = 0;
            decode_utf8_at(piece, pos, char_len);
            next_try = pos + char_len;
          }
        } else {
          len = step.simple.match_at(piece, pos, &next_try);
        }
        if (len == 0) {
          pos = next_try;
          continue;
        }
        if (gap_start < pos) next.push_back(piece.substr(gap_start, pos - gap_start));
        next.push_back(piece.substr(pos, len));
        pos += len;
        gap_start = pos;
      }
      if (gap_start < piece.size()) next.push_back(piece.substr(gap_start));
    }
    current.swap(next);
  }
  pieces.insert(pieces.end(), current.begin(), current.end());
}

}  // namespace warden::inference

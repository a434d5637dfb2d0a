#include "inference/pretokenizer_pattern.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "core/utf8.h"
#include "inference/pretokenizer_unicode.h"

namespace warden::inference {

void CharClass::add_range(char32_t first, char32_t last) { ranges_.emplace_back(first, last); }

void CharClass::finish() {
  std::sort(ranges_.begin(), ranges_.end());
  std::vector<std::pair<char32_t, char32_t>> merged;
  for (const auto& r : ranges_) {
    if (!merged.empty() && r.first <= merged.back().second + 1) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  ranges_.swap(merged);
  ascii_[0] = ascii_[1] = 0;
  for (char32_t c = 0; c < 128; ++c) {
    bool in = (unicode_class(c) & flags_) != 0;
    for (const auto& r : ranges_) in = in || (c >= r.first && c <= r.second);
    if (in) ascii_[c >> 6] |= uint64_t{1} << (c & 63);
  }
}

bool CharClass::contains(char32_t cp) const {
  if (cp < 128) return (ascii_[cp >> 6] >> (cp & 63)) & 1;
  if (unicode_class(cp) & flags_) return true;
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), cp,
                             [](char32_t v, const std::pair<char32_t, char32_t>& r) { return v < r.first; });
  return it != ranges_.begin() && cp <= std::prev(it)->second;
}

namespace {

struct Item {
  CharClass cls;
  int min = 1;
  int max = 1;
};

// Recursive-descent reader of the supported regex subset (see the header).
class RegexReader {
 public:
  explicit RegexReader(std::string_view regex) : re_(regex) {}

  // Items of the pattern and whether it ends with `$`.
  std::vector<Item> read(bool& at_line_end) {
    std::vector<Item> items;
    at_line_end = false;
    while (pos_ < re_.size()) {
      const char c = re_[pos_];
      if (c == '$') {
        if (pos_ + 1 != re_.size()) fail("'$' is supported only at the end");
        at_line_end = true;
        ++pos_;
        break;
      }
      Item item;
      read_atom(item.cls);
      item.cls.finish();
      read_quantifier(item.min, item.max);
      items.push_back(std::move(item));
    }
    return items;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw std::invalid_argument(why + " (at offset " + std::to_string(pos_) + ")");
  }

  char32_t next_code_point() {
    const size_t n = core::utf8_sequence_length(re_.substr(pos_));
    if (n == 0) fail("the regex is not valid UTF-8");
    size_t len = 0;
    const char32_t cp = decode_utf8_at(re_, pos_, len);
    pos_ += len;
    return cp;
  }

  uint32_t read_hex(size_t max_digits, bool braced) {
    uint32_t v = 0;
    size_t digits = 0;
    while (pos_ < re_.size() && digits < max_digits) {
      const char h = re_[pos_];
      int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
      if (d < 0) break;
      v = v * 16 + static_cast<uint32_t>(d);
      ++digits;
      ++pos_;
    }
    if (digits == 0 || (!braced && digits != max_digits)) fail("bad hexadecimal escape");
    if (v > 0x10FFFF) fail("code point beyond U+10FFFF");
    return v;
  }

  // After a backslash. Returns true with `literal` set, or false after adding a class to `cls`.
  bool read_escape(char32_t& literal, CharClass& cls) {
    if (pos_ >= re_.size()) fail("the regex ends with a lone backslash");
    const char e = re_[pos_++];
    switch (e) {
      case 'r': literal = '\r'; return true;
      case 'n': literal = '\n'; return true;
      case 't': literal = '\t'; return true;
      case 'f': literal = '\f'; return true;
      case 'v': literal = '\v'; return true;
      case 'a': literal = 0x07; return true;
      case 'e': literal = 0x1B; return true;
      case 's': cls.add_flags(kSpace); return false;
      case 'u': literal = read_hex(4, false); return true;
      case 'x':
        if (pos_ < re_.size() && re_[pos_] == '{') {
          ++pos_;
          literal = read_hex(6, true);
          if (pos_ >= re_.size() || re_[pos_] != '}') fail("unterminated \\x{...}");
          ++pos_;
        } else {
          literal = read_hex(2, false);
        }
        return true;
      case 'p': {
        static constexpr std::pair<std::string_view, uint8_t> kCategories[] = {
            {"{L}", kLetter}, {"{M}", kMark}, {"{N}", kNumber}, {"{P}", kPunctuation}, {"{S}", kSymbol}};
        for (const auto& [name, flag] : kCategories) {
          if (re_.substr(pos_, name.size()) == name) {
            pos_ += name.size();
            cls.add_flags(flag);
            return false;
          }
        }
        fail("only \\p{L}, \\p{M}, \\p{N}, \\p{P} and \\p{S} are supported");
      }
      default:
        break;
    }
    const auto u = static_cast<unsigned char>(e);
    if (u < 0x80 && !std::isalnum(u) && u > 0x20) {
      literal = u;  // escaped punctuation stands for itself
      return true;
    }
    --pos_;
    fail(std::string("the escape \\") + e + " is not supported");
  }

  void read_atom(CharClass& cls) {
    const char c = re_[pos_];
    if (c == '[') {
      ++pos_;
      read_bracket(cls);
      return;
    }
    if (c == '\\') {
      ++pos_;
      char32_t literal = 0;
      if (read_escape(literal, cls)) cls.add_range(literal, literal);
      return;
    }
    if (c == '(' || c == ')' || c == '|' || c == '.' || c == '^' || c == '?' || c == '*' || c == '+' ||
        c == '{' || c == '}') {
      fail(std::string("'") + c + "' is not supported here (groups, alternation, '.', anchors other than a final '$')");
    }
    const char32_t cp = next_code_point();
    cls.add_range(cp, cp);
  }

  void read_bracket(CharClass& cls) {
    if (pos_ < re_.size() && re_[pos_] == '^') fail("negated classes [^...] are not supported");
    bool first = true;
    for (;;) {
      if (pos_ >= re_.size()) fail("unterminated character class");
      const char c = re_[pos_];
      if (c == ']') {
        if (first) fail("empty character class");
        ++pos_;
        return;
      }
      if (c == '[') fail("nested classes and set operations are not supported");
      if (c == '&' && re_.substr(pos_, 2) == "&&") fail("class intersection && is not supported");
      first = false;
      char32_t low = 0;
      if (c == '\\') {
        ++pos_;
        if (!read_escape(low, cls)) {
          if (pos_ < re_.size() && re_[pos_] == '-' && pos_ + 1 < re_.size() && re_[pos_ + 1] != ']')
            fail("a range cannot start at a class escape");
          continue;
        }
      } else {
        low = next_code_point();
      }
      // A '-' between two characters makes a range; first or last in the class it is literal.
      if (pos_ + 1 < re_.size() && re_[pos_] == '-' && re_[pos_ + 1] != ']') {
        ++pos_;
        char32_t high = 0;
        if (re_[pos_] == '\\') {
          ++pos_;
          CharClass ignored;
          if (!read_escape(high, ignored)) fail("a range cannot end at a class escape");
        } else if (re_[pos_] == '[') {
          fail("nested classes and set operations are not supported");
        } else {
          high = next_code_point();
        }
        if (high < low) fail("empty range in character class (end before start)");
        cls.add_range(low, high);
      } else {
        cls.add_range(low, low);
      }
    }
  }

  int read_count() {
    size_t digits = 0;
    long v = 0;
    while (pos_ < re_.size() && re_[pos_] >= '0' && re_[pos_] <= '9') {
      v = v * 10 + (re_[pos_++] - '0');
      if (v > 100000) fail("repeat count too large");
      ++digits;
    }
    return digits ? static_cast<int>(v) : -1;
  }

  void read_quantifier(int& min, int& max) {
    min = max = 1;
    if (pos_ >= re_.size()) return;
    const char c = re_[pos_];
    if (c == '?') min = 0, max = 1;
    else if (c == '+') min = 1, max = SimpleSplitPattern::kUnbounded;
    else if (c == '*') min = 0, max = SimpleSplitPattern::kUnbounded;
    else if (c != '{') return;
    ++pos_;
    if (c == '{') {
      const int lo = read_count();
      if (pos_ < re_.size() && re_[pos_] == '}') {
        if (lo < 0) fail("bad {m,n} repeat");
        min = max = lo;
      } else if (pos_ < re_.size() && re_[pos_] == ',') {
        ++pos_;
        const int hi = read_count();
        min = lo < 0 ? 0 : lo;
        max = hi < 0 ? SimpleSplitPattern::kUnbounded : hi;
        if (lo < 0 && hi < 0) fail("bad {m,n} repeat");
        if (max != SimpleSplitPattern::kUnbounded && max < min) fail("repeat {m,n} with n < m");
      } else {
        fail("bad {m,n} repeat");
      }
      if (pos_ >= re_.size() || re_[pos_] != '}') fail("bad {m,n} repeat");
      ++pos_;
    }
    if (pos_ < re_.size() && (re_[pos_] == '?' || re_[pos_] == '+'))
      fail("lazy and possessive quantifiers are not supported");
  }

  std::string_view re_;
  size_t pos_ = 0;
};

}  // namespace

SimpleSplitPattern SimpleSplitPattern::parse(std::string_view regex) {
  RegexReader reader(regex);
  bool at_line_end = false;
  std::vector<Item> items = reader.read(at_line_end);
  SimpleSplitPattern p;
  p.at_line_end_ = at_line_end;
  if (items.size() == 2) {
    if (items[0].min != 0 || items[0].max != 1)
      throw std::invalid_argument("only an optional single character (as \\s?) may come before the repeated class");
    p.has_prefix_ = true;
    p.prefix_ = std::move(items[0].cls);
    items.erase(items.begin());
  }
  if (items.size() != 1)
    throw std::invalid_argument("expected an optional prefix character and one repeated class, got " +
                                std::to_string(items.size() + (p.has_prefix_ ? 1 : 0)) + " parts");
  if (items[0].min < 1) throw std::invalid_argument("the pattern can match the empty string");
  p.body_ = std::move(items[0].cls);
  p.min_ = items[0].min;
  p.max_ = items[0].max;
  return p;
}

SimpleSplitPattern SimpleSplitPattern::repeat(CharClass cls, int min, int max) {
  SimpleSplitPattern p;
  cls.finish();
  p.body_ = std::move(cls);
  p.min_ = min;
  p.max_ = max;
  return p;
}

size_t SimpleSplitPattern::match_repeat(std::string_view piece, size_t pos, size_t* run_end) const {
  // Greedy: take as many body characters as allowed. Without `$` the longest run wins (or
  // fails when shorter than min). With `$`, backtracking settles on the longest count whose
  // end is at the piece's end or before a "\n", which one forward pass finds.
  size_t end = pos;
  size_t best = std::string_view::npos;
  int count = 0;
  while (end < piece.size() && (max_ == kUnbounded || count < max_)) {
    size_t len = 0;
    const char32_t cp = decode_utf8_at(piece, end, len);
    if (!body_.contains(cp)) break;
    end += len;
    ++count;
    if (at_line_end_ && count >= min_ && (end == piece.size() || piece[end] == '\n')) best = end;
  }
  *run_end = end;
  if (count < min_) return std::string_view::npos;
  return at_line_end_ ? best : end;
}

size_t SimpleSplitPattern::match_at(std::string_view piece, size_t pos, size_t* next_try) const {
  size_t len = 0;
  const char32_t cp = decode_utf8_at(piece, pos, len);
  size_t run_end = pos;
  if (has_prefix_ && prefix_.contains(cp)) {
    const size_t end = match_repeat(piece, pos + len, &run_end);
    if (end != std::string_view::npos) return end - pos;
  }
  const size_t end = match_repeat(piece, pos, &run_end);
  if (end != std::string_view::npos) return end - pos;
  // From any later start inside the run [pos, run_end) the run ends at the same place and
  // is shorter, so it fails too (with or without the prefix); only a bounded run anchored
  // by `$` could still succeed from inside.
  *next_try = pos + len;
  if (max_ == kUnbounded || !at_line_end_) *next_try = std::max(*next_try, run_end);
  return 0;
}

}  // namespace warden::inference

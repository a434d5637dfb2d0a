#include "test_corpus.h"

#include <random>

#include "core/utf8.h"

namespace warden::inference::testing {
namespace {

const std::vector<std::string> kFragments = {
    "Hello, world!", "The quick brown fox jumps over the lazy dog.", " don't", "I'm", "we'll",
    "naïve café résumé", "Straße", "ÀÉÎÕÜ", "ﬁnancial", "Ǆemal",
    "你好，世界！", "深度求索是一家人工智能公司。", "機械学習", "ひらがなカタカナ", "ｶﾀｶﾅ", "한국어 텍스트",
    "Привет, мир!", "Съешь же ещё этих мягких французских булок", "Ελληνικά γράμματα",
    "مرحبا بالعالم", "العربية ١٢٣٤٥", "שלום עולם", "नमस्ते दुनिया", "हिन्दी में लिखा गया पाठ", "สวัสดีชาวโลก",
    "😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇩🇪🇯🇵", "❤️", "🧑🏿‍💻", "e\xCC\x81", "a\xCC\x8A\xCC\x81",
    "    ", "\t", "\t\t", "\n", "\n\n", "\r\n", "  \n  ", " \t \n", "\xC2\xA0", "\xE3\x80\x80",
    "\xE2\x80\x89", "\xE2\x80\xA8", " \n\n\n ", "        x",
    "0", "42", "1234567", "3.14159", "1,000,000", "2024-11-23", "٣٤٥", "१२३", "①②③", "Ⅻ",
    "int main() { return 0; }", "for (int i = 0; i < n; ++i) {\n    sum += a[i];\n}",
    "def f(x):\n\treturn x**2  # square", "const s = `${a}+${b}`;", "SELECT * FROM t WHERE id=7;",
    "<div class=\"x\">&amp;</div>", "https://example.com/a?b=c&d=e#f", "user@example.org",
    "!!!", "...", "?!?!", "—", "«»", "“quoted”", "(((nested)))", "#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "--flag", "__init__", "::", "->", "=>", "/*", "*/",
    "<｜end▁of▁sentence｜>", "<｜begin▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>",
    "<｜tool▁calls▁begin｜>", "<|EOT|>", "<｜place▁holder▁no▁7｜>", "<｜fim▁hole｜>", "<|endoftext|>",
    "<｜end of sentence｜>", "｜", "▁",
};

// Ranges random code points are drawn from (assigned and unassigned alike).
const std::vector<std::pair<char32_t, char32_t>> kRanges = {
    {0x20, 0x7E},     {0x00, 0x1F},     {0xA0, 0x24F},    {0x300, 0x36F},   {0x370, 0x52F},
    {0x590, 0x6FF},   {0x900, 0x97F},   {0xE00, 0xE7F},   {0x1100, 0x11FF}, {0x2000, 0x206F},
    {0x2070, 0x2BFF}, {0x3000, 0x30FF}, {0x4E00, 0x9FFF}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF},
    {0xFE00, 0xFE0F}, {0xFF00, 0xFFEF}, {0x1F300, 0x1FAFF}, {0x10000, 0x2FFFF}, {0xE0000, 0xE007F},
};

}  // namespace

std::vector<std::string> make_tokenizer_corpus(uint64_t seed, size_t line_count) {
  std::mt19937_64 rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  std::vector<std::string> lines;
  lines.reserve(line_count);
  for (size_t l = 0; l < line_count; ++l) {
    std::string line;
    size_t parts = 1 + pick(40);
    for (size_t p = 0; p < parts; ++p) {
      switch (pick(6)) {
        case 0:
        case 1:
        case 2:
          line += kFragments[pick(kFragments.size())];
          break;
        case 3: {  // a run of random code points from one range
          auto [lo, hi] = kRanges[pick(kRanges.size())];
          size_t n = 1 + pick(6);
          for (size_t i = 0; i < n; ++i) {
            char32_t c = lo + static_cast<char32_t>(pick(hi - lo + 1));
            if ((c >= 0xD800 && c <= 0xDFFF) || c == 0x85 || c == 0xFEFF) continue;
            core::utf8_append(line, c);
          }
          break;
        }
        case 4: {  // whitespace run
          static const char* kSpaces[] = {" ", " ", " ", "\t", "\n", "\r", "\xC2\xA0", "\xE3\x80\x80"};
          size_t n = 1 + pick(8);
          for (size_t i = 0; i < n; ++i) line += kSpaces[pick(8)];
          break;
        }
        default: {  // ASCII word or number with a space
          static const char* kWords[] = {" the", " of", " and", " token", " Warden", "GPU", " 2048", " x1",
                                         "ing", " un", "able", "'s", " 9", " MoE", " latent"};
          line += kWords[pick(15)];
          break;
        }
      }
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace warden::inference::testing

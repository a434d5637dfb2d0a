// ToolCallParser: text and DeepSeek-V3 tool calls out of a streamed answer, whatever the cuts.
#include <catch2/catch.hpp>

#include <random>
#include <sstream>

#include "inference/chat_template.h"
#include "inference/deepseek_v3_tokens.h"
#include "inference/tool_call_parser.h"
#include "inference/utf8_stream.h"
#include "serving_test_util.h"

using namespace warden::inference;
using namespace warden::inference::testing;

namespace {

const std::string kCallsBegin(v3_tokens::kToolCallsBegin);
const std::string kCallsEnd(v3_tokens::kToolCallsEnd);
const std::string kCallBegin(v3_tokens::kToolCallBegin);
const std::string kCallEnd(v3_tokens::kToolCallEnd);
const std::string kSep(v3_tokens::kToolSep);

// A call as the model writes it.
std::string call_text(const std::string& name, const std::string& args) {
  return kCallBegin + "function" + kSep + name + "\n```json\n" + args + "\n```" + kCallEnd;
}

// One line per piece, adjacent text merged and empty text dropped: what a client sees.
std::vector<std::string> describe(const std::vector<OutputPiece>& pieces) {
  std::vector<std::string> out;
  bool last_text = false;
  for (const auto& p : pieces) {
    if (p.kind == OutputPiece::Kind::kText) {
      if (p.text.empty()) continue;
      if (last_text) {
        out.back() += p.text;
      } else {
        out.push_back("text:" + p.text);
      }
      last_text = true;
    } else {
      out.push_back("call:" + p.call.type + "|" + p.call.name + "|" + p.call.arguments + "|" +
                    (p.call.complete ? "complete" : "cut"));
      last_text = false;
    }
  }
  return out;
}

void append(std::vector<OutputPiece>& to, std::vector<OutputPiece> from) {
  for (auto& p : from) to.push_back(std::move(p));
}

// Parses `text` pushed in pieces ending at `cuts` (ascending), then finish().
std::vector<std::string> parse(const std::string& text, const std::vector<size_t>& cuts = {},
                               bool* saw_calls = nullptr) {
  ToolCallParser parser;
  std::vector<OutputPiece> pieces;
  size_t prev = 0;
  for (size_t cut : cuts) {
    append(pieces, parser.push(std::string_view(text).substr(prev, cut - prev)));
    prev = cut;
  }
  append(pieces, parser.push(std::string_view(text).substr(prev)));
  append(pieces, parser.finish());
  if (saw_calls) *saw_calls = parser.saw_tool_calls();
  return describe(pieces);
}

// Every single cut and every pair of cuts gives the same result as one push.
void check_all_cuts(const std::string& text, const std::vector<std::string>& expected) {
  INFO(text);
  REQUIRE(parse(text) == expected);
  for (size_t a = 0; a <= text.size(); ++a) {
    REQUIRE(parse(text, {a}) == expected);
    for (size_t b = a; b <= text.size(); ++b) REQUIRE(parse(text, {a, b}) == expected);
  }
  std::vector<size_t> every_byte;
  for (size_t i = 1; i < text.size(); ++i) every_byte.push_back(i);
  REQUIRE(parse(text, every_byte) == expected);
}

// All text returned by push() so far.
std::string texts(const std::vector<OutputPiece>& pieces) {
  std::string out;
  for (const auto& p : pieces) {
    if (p.kind == OutputPiece::Kind::kText) out += p.text;
  }
  return out;
}

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("plain text passes through unchanged, including < and ｜", "[tool_parser]") {
  for (const std::string text : {"", "Hello, world.", "a < b and b > a", "a｜b ｜ <｜User｜> <tool>",
                                 "<｜tool▁call", "ends with <", "ends with <｜tool", "emoji 👨‍👩‍👧 <｜"}) {
    bool saw = true;
    CHECK(parse(text, {}, &saw) == (text.empty() ? Lines{} : Lines{"text:" + text}));
    CHECK_FALSE(saw);
    check_all_cuts(text, text.empty() ? Lines{} : Lines{"text:" + text});
  }
}

TEST_CASE("text streams at once; only a possible marker start is held", "[tool_parser]") {
  ToolCallParser parser;
  CHECK(texts(parser.push("Hello <")) == "Hello ");
  CHECK(texts(parser.push("｜")).empty());
  CHECK(texts(parser.push("tool")).empty());
  CHECK(texts(parser.push("x")) == "<｜toolx");  // ruled out: released in full
  CHECK(texts(parser.push("a < ")) == "a < ");     // "< " cannot start a marker
  CHECK(texts(parser.push("b <")) == "b ");
  CHECK(texts(parser.push("｜User｜>")) == "<｜User｜>");
  CHECK(texts(parser.push("｜ alone")) == "｜ alone");
  CHECK(texts(parser.push("<｜tool▁calls")).empty());
  CHECK(texts(parser.finish()) == "<｜tool▁calls");  // the answer ended: held text is text
  CHECK_FALSE(parser.saw_tool_calls());
}

TEST_CASE("two calls after some text, under every cut", "[tool_parser]") {
  const std::string text = "Checking." + kCallsBegin + call_text("get_weather", R"({"city": "Paris"})") + "\n" +
                           call_text("get_time", "{}") + kCallsEnd;
  const Lines expected = {"text:Checking.", R"(call:function|get_weather|{"city": "Paris"}|complete)",
                          "call:function|get_time|{}|complete"};
  bool saw = false;
  CHECK(parse(text, {}, &saw) == expected);
  CHECK(saw);
  check_all_cuts(text, expected);
}

TEST_CASE("each call comes out when its end marker arrives", "[tool_parser]") {
  ToolCallParser parser;
  auto first = parser.push("Sure." + kCallsBegin + kCallBegin + "function" + kSep + "f\n```json\n{\"a\":");
  CHECK(describe(first) == Lines{"text:Sure."});
  CHECK(parser.saw_tool_calls());
  CHECK(parser.push(" 1}\n```").empty());
  CHECK(describe(parser.push(kCallEnd + "\n")) == Lines{"call:function|f|{\"a\": 1}|complete"});
  CHECK(parser.push(kCallsEnd).empty());
  CHECK(describe(parser.push(" Done.")) == Lines{"text: Done."});
  CHECK(parser.finish().empty());
}

TEST_CASE("arguments spanning many pushes", "[tool_parser]") {
  std::string args = "{\"items\": [";
  for (int i = 0; i < 400; ++i) args += (i ? ", " : "") + std::string("\"élément ") + std::to_string(i) + "\"";
  args += "], \"note\": \"a < b, ｜, ``` inside\"}";
  const std::string text = kCallsBegin + call_text("store", args) + kCallsEnd;
  ToolCallParser parser;
  std::vector<OutputPiece> pieces;
  const size_t end_marker = text.find(kCallEnd);
  for (size_t i = 0; i < text.size(); i += 3) {
    auto got = parser.push(std::string_view(text).substr(i, 3));
    if (i + 3 <= end_marker) REQUIRE(got.empty());  // nothing before the call is whole
    append(pieces, std::move(got));
  }
  append(pieces, parser.finish());
  CHECK(describe(pieces) == Lines{"call:function|store|" + args + "|complete"});
}

TEST_CASE("text after the calls block is text again", "[tool_parser]") {
  const std::string text = "A" + kCallsBegin + call_text("f", "{}") + kCallsEnd + "B <｜ C";
  check_all_cuts(text, {"text:A", "call:function|f|{}|complete", "text:B <｜ C"});
}

TEST_CASE("a call the answer ended inside is reported incomplete", "[tool_parser]") {
  const std::string start = "x" + kCallsBegin + kCallBegin + "function" + kSep;
  check_all_cuts(start + "f\n```json\n{\"a\": 1", {"text:x", "call:function|f|{\"a\": 1|cut"});
  check_all_cuts(start + "get_wea", {"text:x", "call:function|get_wea||cut"});
  check_all_cuts(start + "f\n```json\n{}\n```", {"text:x", "call:function|f|{}|cut"});
  // Cut right after the block opened, or between calls: no call to report.
  bool saw = false;
  CHECK(parse("x" + kCallsBegin, {}, &saw) == Lines{"text:x"});
  CHECK(saw);
  check_all_cuts("x" + kCallsBegin + call_text("f", "{}") + "\n", {"text:x", "call:function|f|{}|complete"});
}

TEST_CASE("malformed calls are reported with what was read", "[tool_parser]") {
  // No <｜tool▁sep｜>: no type, the name line is still read.
  check_all_cuts(kCallsBegin + kCallBegin + "get_weather\n```json\n{}\n```" + kCallEnd + kCallsEnd,
                 {"call:|get_weather|{}|complete"});
  // No fence: the arguments are the text after the name line.
  check_all_cuts(kCallsBegin + kCallBegin + "function" + kSep + "f\n{\"a\": 2}\n" + kCallEnd + kCallsEnd,
                 {"call:function|f|{\"a\": 2}|complete"});
  // No call end: the next call or the block's end closes it.
  check_all_cuts(kCallsBegin + kCallBegin + "function" + kSep + "f\n```json\n{}\n```" + call_text("g", "[]") +
                     kCallsEnd + "ok",
                 {"call:function|f|{}|complete", "call:function|g|[]|complete", "text:ok"});
  // A call without the block's begin marker; text between calls ends the block.
  check_all_cuts("a" + call_text("f", "{}") + " b", {"text:a", "call:function|f|{}|complete", "text: b"});
}

TEST_CASE("a forced call: the prompt's prefix first, then the model's continuation", "[tool_parser]") {
  ChatTemplate tmpl(ChatTemplateKind::kDeepSeekV3);
  ToolChoice named{ToolChoice::Mode::kFunction, "get_weather"};
  ToolChoice required{ToolChoice::Mode::kRequired, ""};
  {
    ToolCallParser parser;
    CHECK(parser.push(tmpl.forced_output_prefix(named)).empty());
    std::vector<OutputPiece> pieces = parser.push("{\"city\": \"Oslo\"}\n```" + kCallEnd + kCallsEnd);
    append(pieces, parser.finish());
    CHECK(describe(pieces) == Lines{R"(call:function|get_weather|{"city": "Oslo"}|complete)"});
  }
  {
    ToolCallParser parser;
    CHECK(parser.push(tmpl.forced_output_prefix(required)).empty());
    std::vector<OutputPiece> pieces = parser.push("get_time\n```json\n{}\n```" + kCallEnd + "\n");
    append(pieces, parser.push(call_text("get_weather", "{}") + kCallsEnd));
    append(pieces, parser.finish());
    CHECK(describe(pieces) == Lines{"call:function|get_time|{}|complete", "call:function|get_weather|{}|complete"});
  }
  {
    // The model stopped (max_tokens) inside the forced call.
    ToolCallParser parser;
    parser.push(tmpl.forced_output_prefix(named));
    std::vector<OutputPiece> pieces = parser.push("{\"ci");
    append(pieces, parser.finish());
    CHECK(describe(pieces) == Lines{"call:function|get_weather|{\"ci|cut"});
  }
}

TEST_CASE("long random answers give the same result under random cuts", "[tool_parser]") {
  std::mt19937 rng(20261123);
  // Fragments chosen to sit near markers: partial markers, '<', '｜', fences, newlines.
  const std::vector<std::string> fragments = {
      "word ", "<", "｜", "<｜", "<｜tool", "<｜tool▁call", "\n", "```", "```json\n", "{\"k\": 1}", "é", "👍",
      kCallsBegin, kCallsEnd, kCallBegin, kCallEnd, kSep, "function", "name_1", " ", "<｜User｜>"};
  for (int round = 0; round < 300; ++round) {
    std::string text;
    const size_t parts = 20 + rng() % 80;
    for (size_t i = 0; i < parts; ++i) {
      if (rng() % 4 == 0) {
        text += call_text("f" + std::to_string(rng() % 10), "{\"n\": " + std::to_string(rng()) + "}");
      } else {
        text += fragments[rng() % fragments.size()];
      }
    }
    const Lines whole = parse(text);
    for (int trial = 0; trial < 10; ++trial) {
      std::vector<size_t> cuts;
      for (size_t i = 1; i < text.size(); ++i) {
        if (rng() % 7 == 0) cuts.push_back(i);
      }
      INFO(text);
      REQUIRE(parse(text, cuts) == whole);
    }
    // Nothing is lost: every byte outside the markup comes back in text or a call.
    if (text.find("<｜tool") == std::string::npos) REQUIRE(whole == (text.empty() ? Lines{} : Lines{"text:" + text}));
  }
}

TEST_CASE("decoded DeepSeek-V3 tokens parse into the expected calls", "[tool_parser][tokenizer]") {
  const Tokenizer& tk = deepseek_v3_tokenizer();
  auto id = [&](const std::string& content) {
    auto found = tk.added_token_id(content);
    REQUIRE(found);
    REQUIRE_FALSE(tk.is_special(*found));  // so decode keeps their text
    return *found;
  };
  CHECK(id(kCallsBegin) == 128806);
  CHECK(id(kCallsEnd) == 128807);
  CHECK(id(kCallBegin) == 128808);
  CHECK(id(kCallEnd) == 128809);
  CHECK(id(kSep) == 128814);

  std::vector<TokenId> ids = tk.encode("Let me look that up for you – über-quick.");
  auto add_text = [&](const std::string& s) {
    auto more = tk.encode(s);
    ids.insert(ids.end(), more.begin(), more.end());
  };
  auto add_call = [&](const std::string& name, const std::string& args) {
    ids.push_back(id(kCallBegin));
    add_text("function");
    ids.push_back(id(kSep));
    add_text(name + "\n```json\n" + args + "\n```");
    ids.push_back(id(kCallEnd));
  };
  ids.push_back(id(kCallsBegin));
  add_call("get_weather", R"({"city": "Zürich", "unit": "celsius"})");
  add_text("\n");
  add_call("get_time", R"({"tz": "Europe/Zurich"})");
  ids.push_back(id(kCallsEnd));
  ids.push_back(*tk.eos_id());

  const Lines expected = {"text:Let me look that up for you – über-quick.",
                          R"(call:function|get_weather|{"city": "Zürich", "unit": "celsius"}|complete)",
                          R"(call:function|get_time|{"tz": "Europe/Zurich"}|complete)"};
  CHECK(parse(tk.decode(ids, /*skip_special=*/true)) == expected);

  // Token by token, as the engine streams it.
  Utf8StreamDecoder decoder(tk);
  ToolCallParser parser;
  std::vector<OutputPiece> pieces;
  for (TokenId t : ids) append(pieces, parser.push(decoder.push(t)));
  append(pieces, parser.push(decoder.flush()));
  append(pieces, parser.finish());
  CHECK(describe(pieces) == expected);
}

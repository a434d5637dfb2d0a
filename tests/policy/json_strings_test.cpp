// json_strings: the string values of a JSON text with their paths, and splicing new values
// back into the original text. The reference is core::Json: every value found must be
// what the parser decodes at that path, and every spliced text must parse to the
// original tree with exactly the replaced strings changed.
#include <catch2/catch.hpp>

#include <functional>
#include <random>

#include "core/json.h"
#include "policy/json_strings.h"

using warden::core::Json;
using namespace warden::policy;

namespace {

// "path=value" for each string value, in text order.
std::vector<std::string> listing(std::string_view text) {
  auto values = json_string_values(text);
  REQUIRE(values.has_value());
  std::vector<std::string> out;
  for (const auto& v : *values) out.push_back(v.path + "=" + v.value);
  return out;
}

// Every string of a parsed tree with its path, built with the parser's tree (the
// independent reference for the walker).
void reference_strings(const Json& j, const std::string& path, std::vector<std::string>& out) {
  if (j.is_string()) {
    out.push_back(path + "=" + j.as_string());
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) reference_strings(j[i], path + "[" + std::to_string(i) + "]", out);
  } else if (j.is_object()) {
    for (const auto& [key, value] : j.as_object()) reference_strings(value, path + json_path_key(key), out);
  }
}

}  // namespace

TEST_CASE("json_string_values: paths and decoded values", "[policy][json_strings]") {
  struct Case {
    const char* text;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {R"({"city": "Paris", "n": 3})", {".city=Paris"}},
      {R"({"items": [{"name": "a"}, {"name": "b\"c"}], "x": null, "y": [1, -2.5e3, true, false]})",
       {".items[0].name=a", ".items[1].name=b\"c"}},
      {R"("top")", {"=top"}},
      {R"(["a", ["b", {"c": "d"}]])", {"[0]=a", "[1][0]=b", "[1][1].c=d"}},
      {R"({"first name": "x", "9a": "y", "a-b_c$": "z", "": "e", "é": "f"})",
       {R"(["first name"]=x)", R"(["9a"]=y)", ".a-b_c$=z", R"([""]=e)", "[\"\xC3\xA9\"]=f"}},
      {R"({"k": "\u00e9\ud83d\ude00\n\\\/\t"})", {".k=\xC3\xA9\xF0\x9F\x98\x80\n\\/\t"}},
      {" \n\t{ \"a\" :\r\n \"b\" , \"c\":{}, \"d\":[] } \n", {".a=b"}},
      {R"({"a": {"b": {"c": [[["deep"]]]}}})", {".a.b.c[0][0][0]=deep"}},
      {"42", {}},
      {"[]", {}},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    CHECK(listing(c.text) == c.expected);
  }
}

TEST_CASE("json_string_values: not JSON gives nullopt", "[policy][json_strings]") {
  for (const char* text : {"", "   ", "{", R"({"a": })", "{'a': 1}", "not json", R"({"a": "b"} x)", R"(["\ud800"])",
                           "[\"\xff\"]", R"({"a": 1, "a": 2})", "[01]"}) {
    INFO(text);
    CHECK_FALSE(json_string_values(text).has_value());
  }
}

TEST_CASE("json_string_values: byte ranges cover the literals", "[policy][json_strings]") {
  const std::string text = R"({"a": "x\"y", "b": ["", "\\"]})";
  auto values = json_string_values(text);
  REQUIRE(values);
  REQUIRE(values->size() == 3);
  CHECK(text.substr((*values)[0].start, (*values)[0].end - (*values)[0].start) == R"("x\"y")");
  CHECK(text.substr((*values)[1].start, (*values)[1].end - (*values)[1].start) == R"("")");
  CHECK(text.substr((*values)[2].start, (*values)[2].end - (*values)[2].start) == R"("\\")");
}

TEST_CASE("splice_json_strings: only changed strings are re-encoded", "[policy][json_strings]") {
  const std::string text = "{ \"to\" : \"bob@example.com\",\n  \"amount\": 1.50, \"memo\": \"\\u0041BC\", \"tags\": [\"x\"] }";
  auto values = json_string_values(text);
  REQUIRE(values);
  REQUIRE(values->size() == 3);
  std::vector<std::string> replacements = {"say \"hi\" \\ C:\\dir\n\x01", "ABC", "x"};
  const std::string out = splice_json_strings(text, *values, replacements);
  // Untouched bytes stay as sent: whitespace, the number's form, the unchanged escape.
  CHECK(out == "{ \"to\" : \"say \\\"hi\\\" \\\\ C:\\\\dir\\n\\u0001\",\n  \"amount\": 1.50, \"memo\": \"\\u0041BC\", "
               "\"tags\": [\"x\"] }");
  const Json parsed = Json::parse(out);
  CHECK(parsed.at("to").as_string() == replacements[0]);
  CHECK(parsed.at("memo").as_string() == "ABC");
  // Nothing changed: the text comes back byte for byte.
  std::vector<std::string> same;
  for (const auto& v : *values) same.push_back(v.value);
  CHECK(splice_json_strings(text, *values, same) == text);
  CHECK_THROWS_AS(splice_json_strings(text, *values, {"a"}), std::logic_error);
}

TEST_CASE("json_strings: random documents match the parser and round-trip", "[policy][json_strings]") {
  std::mt19937 rng(20240611);
  const std::vector<std::string> pieces = {"a", "\"", "\\", "/", "\n", "\t", "\x01", "\xC3\xA9", "\xF0\x9F\x98\x80",
                                           " ", "<EMAIL_ADDRESS_1>", "{", "]", ":", ","};
  auto random_string = [&] {
    std::string s;
    for (int n = static_cast<int>(rng() % 5); n > 0; --n) s += pieces[rng() % pieces.size()];
    return s;
  };
  std::function<Json(int)> random_value = [&](int depth) -> Json {
    const unsigned kind = depth > 3 ? rng() % 3 : rng() % 5;
    switch (kind) {
      case 0: return Json(random_string());
      case 1: return Json(static_cast<int64_t>(rng() % 1000) - 500);
      case 2: return rng() % 2 ? Json(true) : Json(nullptr);
      case 3: {
        Json a = Json::array();
        for (int n = static_cast<int>(rng() % 4); n > 0; --n) a.push_back(random_value(depth + 1));
        return a;
      }
      default: {
        Json o = Json::object();
        for (int n = static_cast<int>(rng() % 4); n > 0; --n) o[random_string() + std::to_string(n)] = random_value(depth + 1);
        return o;
      }
    }
  };
  for (int iteration = 0; iteration < 300; ++iteration) {
    const Json doc = random_value(0);
    const std::string text = doc.dump(iteration % 2 ? 2 : -1);
    INFO(text);
    std::vector<std::string> expected;
    reference_strings(doc, "", expected);
    REQUIRE(listing(text) == expected);
    auto values = json_string_values(text);
    std::vector<std::string> replacements;
    for (const auto& v : *values) replacements.push_back(rng() % 2 ? v.value : v.value + "\"\\" + random_string());
    const std::string out = splice_json_strings(text, *values, replacements);
    auto again = json_string_values(out);
    REQUIRE(again);
    REQUIRE(again->size() == values->size());
    for (size_t i = 0; i < again->size(); ++i) {
      CHECK((*again)[i].path == (*values)[i].path);
      CHECK((*again)[i].value == replacements[i]);
    }
  }
}

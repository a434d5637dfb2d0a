#include <catch2/catch.hpp>

#include "core/json.h"
#include "core/utf8.h"

using warden::core::Json;
using warden::core::JsonError;

TEST_CASE("json parses and round-trips the RFC 8259 value kinds") {
  Json v = Json::parse(R"({"a":[1,-2,3.5,true,false,null],"b":"x\u00e9\ud83d\ude00\n","c":{}})");
  REQUIRE(v.at("a").size() == 6);
  CHECK(v.at("a")[0].as_int() == 1);
  CHECK(v.at("a")[1].as_int() == -2);
  CHECK(v.at("a")[2].as_double() == 3.5);
  CHECK(v.at("b").as_string() == "x\xC3\xA9\xF0\x9F\x98\x80\n");
  CHECK(Json::parse(v.dump()) == v);
  CHECK(Json::parse(v.dump(2)) == v);
}

TEST_CASE("json rejects malformed text with a position") {
  const char* bad[] = {"", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"abc", "\"\\x\"", "tru",
                       "[1] x", "\"\\ud800\"", "\"\\udc00\"", "{\"a\":1,}", "\"a\tb\"", "\"\xC3\x28\"",
                       "\"\xED\xA0\x80\"", "\"\xF8\x88\x80\x80\x80\"", "1e", "NaN"};
  for (const char* text : bad) {
    INFO(text);
    CHECK_THROWS_AS(Json::parse(text), JsonError);
  }
  try {
    Json::parse("{\n  \"a\": tru\n}");
    FAIL("no throw");
  } catch (const JsonError& e) {
    CHECK(std::string(e.what()).find("line 2") != std::string::npos);
  }
}

TEST_CASE("json refuses duplicate object keys, in small and large objects") {
  // Parsers disagree on which duplicate wins; a filter must see what the model sees.
  CHECK_THROWS_WITH(Json::parse(R"({"role":"user","role":"system"})"), Catch::Contains("duplicate key \"role\""));
  CHECK_THROWS_AS(Json::parse(R"([{"a":{"k":"","k":1}}])"), JsonError);
  CHECK_THROWS_AS(Json::parse(R"({"\u0061":1,"a":2})"), JsonError);  // the same key, escaped
  std::string big = "{";
  for (int i = 0; i < 40; ++i) big += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  CHECK(Json::parse(big.substr(0, big.size() - 1) + "}").size() == 40);
  CHECK_THROWS_AS(Json::parse(big + "\"k3\":0}"), JsonError);
  CHECK_THROWS_AS(Json::parse(big + "\"k39\":0}"), JsonError);
  CHECK(Json::parse(R"({"a":{"a":1},"b":{"a":2}})").at("b").at("a").as_int() == 2);  // per object
}

TEST_CASE("json limits nesting depth") {
  std::string deep(300, '[');
  deep += std::string(300, ']');
  CHECK_THROWS_AS(Json::parse(deep), JsonError);
  CHECK_NOTHROW(Json::parse(deep, 400));
}

TEST_CASE("json typed accessors name the mismatch") {
  Json v = Json::parse(R"({"n": "x"})");
  try {
    v.at("n").as_int();
    FAIL("no throw");
  } catch (const JsonError& e) {
    CHECK(std::string(e.what()) == "expected integer, got string");
  }
  CHECK_THROWS_WITH(v.at("missing"), Catch::Contains("missing"));
  CHECK(Json::parse("12345678901234567890").is_number());
  CHECK(Json::parse("2.0").as_int() == 2);
}

TEST_CASE("json dump escapes control characters and replaces invalid UTF-8") {
  Json s(std::string("a\x01\"\\\xFF" "b"));
  CHECK(s.dump() == "\"a\\u0001\\\"\\\\\xEF\xBF\xBD" "b\"");
  CHECK(Json(1.0).dump() == "1.0");
  CHECK(Json(0.1).dump() == "0.1");
}

TEST_CASE("utf8 helpers") {
  using namespace warden::core;
  CHECK(utf8_valid("plain"));
  CHECK_FALSE(utf8_valid("\xC0\xAF"));        // overlong '/'
  CHECK(utf8_invalid_offset("abc\xFF") == 3);
  std::string euro = "\xE2\x82\xAC";
  CHECK(utf8_complete_prefix("ab" + euro.substr(0, 2)) == 2);
  CHECK(utf8_complete_prefix("ab" + euro) == 5);
  std::string out;
  utf8_append(out, U'\U0001F600');
  CHECK(out == "\xF0\x9F\x98\x80");
}

#include "core/yaml.h"

TEST_CASE("yaml maps onto the json tree") {
  using warden::core::parse_yaml;
  Json v = parse_yaml("server:\n  port: 8080\n  host: \"127.0.0.1\"\nlist: [1, two, 3.5]\nflag: true\nnone: ~\nquoted: '42'\n");
  CHECK(v.at("server").at("port").as_int() == 8080);
  CHECK(v.at("server").at("host").as_string() == "127.0.0.1");
  CHECK(v.at("list")[1].as_string() == "two");
  CHECK(v.at("list")[2].as_double() == 3.5);
  CHECK(v.at("flag").as_bool());
  CHECK(v.at("none").is_null());
  CHECK(v.at("quoted").is_string());
  CHECK_THROWS_WITH(parse_yaml("a: 1\na: 2\n"), Catch::Contains("duplicate key"));
  CHECK_THROWS_WITH(parse_yaml("a: [1, 2\n"), Catch::Contains("line"));
  CHECK_THROWS_WITH(parse_yaml("a: &x 1\nb: *x\n"), Catch::Contains("not supported"));
}

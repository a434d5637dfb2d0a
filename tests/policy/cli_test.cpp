#include <catch2/catch.hpp>

#include <sstream>

#include "core/json.h"
#include "policy/cli.h"
#include "test_support.h"

using warden::core::Json;
using warden::policy::run_redact_command;

TEST_CASE("cli: warden redact writes text and byte-offset spans per line", "[policy][cli]") {
  for (const char* policy : {"policy/defaults/default.json", "policy/defaults/default.yaml"}) {
    std::istringstream in("{\"text\": \"mail john@example.com, card 4111 1111 1111 1111\"}\n\n{\"text\": \"again john@example.com\"}\n");
    std::ostringstream out, err;
    const int rc = run_redact_command({"--policy", warden::policy::testing::source_path(policy)}, in, out, err);
    INFO(err.str());
    REQUIRE(rc == 0);
    std::istringstream lines(out.str());
    std::string first, second;
    std::getline(lines, first);
    std::getline(lines, second);
    Json a = Json::parse(first);
    CHECK(a.at("text").as_string() == "mail <EMAIL_ADDRESS_1>, card ***************1111");
    const auto& spans = a.at("spans").as_array();
    REQUIRE(spans.size() == 2);
    CHECK(spans[0].at("start").as_int() == 5);
    CHECK(spans[0].at("end").as_int() == 21);
    CHECK(spans[0].at("type").as_string() == "EMAIL_ADDRESS");
    CHECK(spans[0].at("action").as_string() == "pseudonymize");
    CHECK(spans[0].at("score").as_double() == Approx(0.95));
    CHECK(spans[1].at("type").as_string() == "CREDIT_CARD");
    CHECK(spans[1].at("action").as_string() == "mask");
    // Same session for the whole input: the same value keeps its pseudonym.
    CHECK(Json::parse(second).at("text").as_string() == "again <EMAIL_ADDRESS_1>");
  }
}

TEST_CASE("cli: usage and failures", "[policy][cli]") {
  std::istringstream in("");
  std::ostringstream out, err;
  CHECK(run_redact_command({}, in, out, err) == 2);
  CHECK(err.str().find("--policy FILE is required") != std::string::npos);
  std::ostringstream err2;
  CHECK(run_redact_command({"--policy", "/nonexistent/policy.json"}, in, out, err2) == 1);
  CHECK(err2.str().find("/nonexistent/policy.json") != std::string::npos);
  std::istringstream bad("{\"txt\": 1}\n");
  std::ostringstream err3;
  CHECK(run_redact_command({"--policy", warden::policy::testing::source_path("policy/defaults/default.json")}, bad, out,
                           err3) == 1);
  CHECK(err3.str().find("line 1: expected an object with a string field \"text\"") != std::string::npos);
}

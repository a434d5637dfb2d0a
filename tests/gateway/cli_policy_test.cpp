// `warden policy ...` against a throwaway PostgreSQL (database.url), and `test --policy FILE`
// offline.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "core/json.h"
#include "gateway/cli_policy.h"
#include "store_fixture.h"

using namespace warden;
using core::Json;

namespace {

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run run(const core::Config& config, std::vector<std::string> args, const std::string& input = "") {
  std::istringstream in(input);
  std::ostringstream out, err;
  int code = gateway::run_policy_command(config, args, in, out, err);
  return {code, out.str(), err.str()};
}

std::string write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path.string();
}

core::Config config_for(const std::string& conninfo) {
  core::Config c;
  c.database.url = conninfo;
  return c;
}

}  // namespace

TEST_CASE("warden policy apply, list, show, history, activate, diff, rollback", "[cli_policy]") {
  store_test::TempDir dir;
  core::Config config = config_for(store_test::fresh_database("cli_policy"));
  const std::string v1_text = store_test::research_policy("salary");
  const std::string file = write(dir.path / "research.yaml", v1_text);

  Run saved = run(config, {"apply", file, "--comment", "first"});
  INFO(saved.err);
  REQUIRE(saved.code == 0);
  CHECK(saved.out.find("policy research: saved version 1 (sha256 ") == 0);
  Run again = run(config, {"apply", file});
  CHECK(again.code == 0);
  CHECK(again.out == "policy research: unchanged (identical to version 1)\n");

  write(dir.path / "research.yaml", store_test::research_policy("salary, bonus"));
  Run v2 = run(config, {"apply", file, "--activate"});
  CHECK(v2.code == 0);
  CHECK(v2.out.find("saved version 2") != std::string::npos);
  CHECK(v2.out.find("policy research: version 2 activated\n") != std::string::npos);

  Run list = run(config, {"list"});
  CHECK(list.code == 0);
  CHECK(list.out.rfind("NAME", 0) == 0);
  CHECK(list.out.find("\nresearch                2       2       ") != std::string::npos);

  Run source = run(config, {"show", "research", "--version", "1", "--source"});
  CHECK(source.code == 0);
  CHECK(source.out == v1_text);
  Run show = run(config, {"show", "research"});
  REQUIRE(show.code == 0);
  Json shown = Json::parse(show.out);
  CHECK(shown.at("version").as_int() == 2);
  CHECK(shown.at("active").as_bool());

  Run activate = run(config, {"activate", "research", "1"});
  CHECK(activate.code == 0);
  CHECK(activate.out == "policy research: version 1 activated (was 2)\n");
  Run diff = run(config, {"diff", "research", "1", "2"});
  CHECK(diff.code == 0);
  CHECK(diff.out.rfind("--- research@1\n+++ research@2\n", 0) == 0);
  CHECK(diff.out.find("+          \"bonus\"") != std::string::npos);
  Run rollback = run(config, {"rollback", "research"});
  CHECK(rollback.code == 0);
  CHECK(rollback.out == "policy research: rolled back to version 2 (was 1)\n");
  Run rollback_to = run(config, {"rollback", "research", "--to", "1"});
  CHECK(rollback_to.out == "policy research: rolled back to version 1 (was 2)\n");

  Run history = run(config, {"history", "research"});
  REQUIRE(history.code == 0);
  Json h = Json::parse(history.out);
  CHECK(h.at("versions").size() == 2);
  REQUIRE(h.at("activations").size() == 4);
  CHECK(h.at("activations")[3].at("kind").as_string() == "rollback");
  CHECK(h.at("activations")[3].at("actor").as_string().rfind("cli:", 0) == 0);

  // A policy on stdin needs a name.
  Run from_stdin = run(config, {"apply", "-", "--name", "legal"}, store_test::research_policy("lawsuit"));
  CHECK(from_stdin.code == 0);
  CHECK(from_stdin.out.find("policy legal: saved version 1") == 0);
  CHECK(run(config, {"apply", "-"}, "x: 1").code == 1);
}

TEST_CASE("warden policy refuses invalid policies and usage with exit code 1", "[cli_policy]") {
  store_test::TempDir dir;
  core::Config config = config_for(store_test::fresh_database("cli_policy"));
  const std::string bad = write(dir.path / "bad.yaml", "owner: x\nguardrails:\n  input:\n    - id: r\n      kind: regex\n      pattern: '(a'\n");
  Run refused = run(config, {"apply", bad, "--name", "research"});
  CHECK(refused.code == 1);
  CHECK(refused.out.empty());
  CHECK(refused.err.find("warden policy apply: invalid policy (2 problems):\n") == 0);
  CHECK(refused.err.find("  - owner: unknown key") != std::string::npos);
  CHECK(refused.err.find("  - guardrails.input[0].pattern") != std::string::npos);
  CHECK(run(config, {"list"}).out == "no policies stored\n");

  CHECK(run(config, {}).code == 1);
  CHECK(run(config, {"frobnicate"}).code == 1);
  CHECK(run(config, {"activate", "research", "x"}).code == 1);
  CHECK(run(config, {"activate", "research"}).code == 1);
  CHECK(run(config, {"show", "research", "--colour", "red"}).code == 1);
  Run missing = run(config, {"show", "research"});
  CHECK(missing.code == 1);
  CHECK(missing.err == "warden policy show: policy \"research\" not found\n");
  Run bad_name = run(config, {"apply", bad, "--name", "Bad Name"});
  CHECK(bad_name.code == 1);
  CHECK(bad_name.err.find("must start with a lowercase letter") != std::string::npos);
  CHECK(run(config, {"help"}).code == 0);
}

TEST_CASE("warden policy test dry-runs a file offline and a stored version", "[cli_policy]") {
  store_test::TempDir dir;
  // No database is reachable here: `test --policy` must not need one.
  core::Config offline = config_for("host=/nonexistent-warden-socket-dir connect_timeout=1");
  const std::string policy = write(dir.path / "research.yaml", store_test::research_policy("salary"));
  const std::string one = write(dir.path / "one.json", "{\n  \"messages\": [{\"role\": \"user\", \"content\": \"my salary?\"}]\n}\n");
  Run single = run(offline, {"test", "--policy", policy, "--sample", one});
  INFO(single.err);
  REQUIRE(single.code == 0);
  Json result = Json::parse(single.out);
  CHECK(result.at("decision").as_string() == "blocked");
  CHECK(result.at("policy").at("name").as_string() == "research");
  CHECK(result.at("policy").at("version").as_int() == 0);

  const std::string lines = write(dir.path / "many.jsonl",
                                  "{\"messages\": [{\"role\": \"user\", \"content\": \"hello\"}]}\n"
                                  "\n"
                                  "{\"messages\": [{\"role\": \"user\", \"content\": \"salary\"}], \"answer\": \"ok\"}\n");
  Run many = run(offline, {"test", "--policy", policy, "--sample", lines});
  REQUIRE(many.code == 0);
  std::istringstream out(many.out);
  std::string first, second, third;
  std::getline(out, first);
  std::getline(out, second);
  CHECK_FALSE(std::getline(out, third));
  CHECK(Json::parse(first).at("decision").as_string() == "allowed");
  CHECK(Json::parse(second).at("decision").as_string() == "blocked");

  Run from_stdin = run(offline, {"test", "--policy", policy, "--sample", "-"}, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
  CHECK(from_stdin.code == 0);

  Run bad_sample = run(offline, {"test", "--policy", policy, "--sample", write(dir.path / "bad.json", "{\"messages\": 3}")});
  CHECK(bad_sample.code == 1);
  CHECK(bad_sample.err.find("sample.messages") != std::string::npos);
  Run broken_lines = run(offline, {"test", "--policy", policy, "--sample", write(dir.path / "broken.jsonl", "{}\n{\n")});
  CHECK(broken_lines.code == 1);
  CHECK(broken_lines.err.find("sample file line 2") != std::string::npos);
  CHECK(run(offline, {"test", "--policy", policy}).code == 1);
  CHECK(run(offline, {"test", "--sample", one}).code == 1);
  Run bad_policy = run(offline, {"test", "--policy", write(dir.path / "p.yaml", "owner: 1\n"), "--sample", one});
  CHECK(bad_policy.code == 1);
  CHECK(bad_policy.err.find("owner: unknown key") != std::string::npos);

  // A stored version, by name: the active one unless --version says otherwise.
  core::Config config = config_for(store_test::fresh_database("cli_policy"));
  REQUIRE(run(config, {"apply", policy, "--activate"}).code == 0);
  write(dir.path / "research.yaml", store_test::research_policy("bonus"));
  REQUIRE(run(config, {"apply", policy}).code == 0);
  Run active = run(config, {"test", "--name", "research", "--sample", one});
  REQUIRE(active.code == 0);
  CHECK(Json::parse(active.out).at("decision").as_string() == "blocked");
  CHECK(Json::parse(active.out).at("policy").at("version").as_int() == 1);
  Run v2 = run(config, {"test", "--name", "research", "--version", "2", "--sample", one});
  REQUIRE(v2.code == 0);
  CHECK(Json::parse(v2.out).at("decision").as_string() == "allowed");
}

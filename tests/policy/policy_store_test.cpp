// The policy store against a throwaway PostgreSQL, used as the gateway's database role
// (warden_gateway), so the grants of migrations/0003_policies.sql are exercised too.
#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include "core/pg_pool.h"
#include "policy/policy_store.h"
#include "store_fixture.h"

using namespace warden;
using core::Json;
using policy::PolicyError;
using policy::PolicyStore;
using policy::PolicyStoreError;

namespace {

std::string as_gateway(const std::string& conninfo) { return conninfo + " user=warden_gateway"; }

int64_t count_rows(const std::string& conninfo, const std::string& table) {
  pqxx::connection c{conninfo};
  pqxx::read_transaction tx(c);
  return tx.exec("SELECT count(*) FROM " + table)[0][0].as<int64_t>();
}

template <typename F>
PolicyStoreError::Kind store_error_kind(F&& f) {
  try {
    f();
  } catch (const PolicyStoreError& e) {
    return e.kind();
  }
  FAIL("expected a PolicyStoreError");
  return PolicyStoreError::Kind::kInvalidArgument;
}

}  // namespace

TEST_CASE("policy names follow [a-z0-9][a-z0-9_.-]{0,63}", "[policy_store]") {
  CHECK(policy::policy_name_problem("default").empty());
  CHECK(policy::policy_name_problem("team-research_v2.1").empty());
  CHECK(policy::policy_name_problem("0").empty());
  CHECK(policy::policy_name_problem(std::string(64, 'a')).empty());
  CHECK_FALSE(policy::policy_name_problem("").empty());
  CHECK_FALSE(policy::policy_name_problem(std::string(65, 'a')).empty());
  CHECK_FALSE(policy::policy_name_problem("Research").empty());
  CHECK_FALSE(policy::policy_name_problem("-lead").empty());
  CHECK_FALSE(policy::policy_name_problem("a/b").empty());
  CHECK_FALSE(policy::policy_name_problem("a b").empty());
  CHECK(policy::policy_name_problem("Research").find("lowercase") != std::string::npos);
}

TEST_CASE("canonical documents sort keys at every level and hash with SHA-256", "[policy_store]") {
  Json a = Json::parse(R"({"b": {"y": 1, "x": [{"d": 1, "c": 2}]}, "a": "t"})");
  Json b = Json::parse(R"({"a": "t", "b": {"x": [{"c": 2, "d": 1}], "y": 1}})");
  CHECK(policy::canonical_policy_document(a).dump() == R"({"a":"t","b":{"x":[{"c":2,"d":1}],"y":1}})");
  CHECK(policy::canonical_policy_document(a).dump() == policy::canonical_policy_document(b).dump());
  // Known answer: SHA-256("abc").
  CHECK(policy::policy_content_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("save validates with CompiledPolicy::compile; a rejected document changes nothing", "[policy_store]") {
  const std::string db = store_test::fresh_database();
  core::PgPool pool(as_gateway(db), 2);
  PolicyStore store(pool);

  const std::string bad =
      "bindings: {teams: [research]}\n"
      "owner: nobody\n"
      "guardrails:\n"
      "  input:\n"
      "    - id: r1\n"
      "      kind: regex\n"
      "      pattern: '(abc'\n";
  try {
    store.save("research", bad, "key_admin", "broken");
    FAIL("an invalid document was accepted");
  } catch (const PolicyError& e) {
    REQUIRE(e.problems().size() >= 2);
    std::string all;
    for (const auto& p : e.problems()) all += p + "\n";
    CHECK(all.find("owner: unknown key") != std::string::npos);
    CHECK(all.find("guardrails.input[0].pattern") != std::string::npos);
  }
  CHECK_THROWS_AS(store.save("research", "guardrails: [unclosed", "key_admin"), PolicyError);
  CHECK_THROWS_AS(store.save("research", "   \n", "key_admin"), PolicyError);
  CHECK_THROWS_AS(store.save("research", "{\"bindings\": ", "key_admin"), PolicyError);
  CHECK(store_error_kind([&] { store.save("Research", store_test::research_policy("salary"), "key_admin"); }) ==
        PolicyStoreError::Kind::kInvalidArgument);
  CHECK(store_error_kind([&] { store.save("research", store_test::research_policy("salary"), ""); }) ==
        PolicyStoreError::Kind::kInvalidArgument);
  CHECK(store_error_kind([&] { store.save("research", store_test::research_policy("salary"), "k", std::string(3000, 'c')); }) ==
        PolicyStoreError::Kind::kInvalidArgument);

  CHECK(store.list().empty());
  CHECK(count_rows(db, "policies") == 0);
  CHECK(count_rows(db, "policy_versions") == 0);
  CHECK(store_error_kind([&] { store.get("research"); }) == PolicyStoreError::Kind::kNotFound);
}

TEST_CASE("versions are numbered, keep the source as given, and identical content is not a new version", "[policy_store]") {
  const std::string db = store_test::fresh_database();
  core::PgPool pool(as_gateway(db), 2);
  PolicyStore store(pool);

  const std::string yaml_v1 = "# the research team\n" + store_test::research_policy("salary");
  auto v1 = store.save("research", yaml_v1, "key_alice", "first");
  CHECK(v1.created);
  CHECK(v1.version.version == 1);
  CHECK(v1.version.author == "key_alice");
  CHECK(v1.version.comment == "first");
  CHECK_FALSE(v1.version.active);

  // The same policy written as JSON with other key order: same canonical text, same hash.
  const std::string json_v1 =
      R"({"guardrails": {"input": [{"action": "block", "phrases": ["salary"], "kind": "deny_topics", "id": "no-topics"}]},)"
      R"( "redaction": {"default_action": "allow"}, "bindings": {"teams": ["research"]}, "description": "research policy"})";
  auto again = store.save("research", json_v1, "key_bob", "same thing");
  CHECK_FALSE(again.created);
  CHECK(again.version.version == 1);
  CHECK(again.version.author == "key_alice");

  auto v2 = store.save_document("research", policy::parse_policy_source(store_test::research_policy("salary, bonus")),
                                "key_bob", "add bonus");
  CHECK(v2.created);
  CHECK(v2.version.version == 2);
  CHECK(v2.version.content_hash != v1.version.content_hash);
  // Equal to an older version, not to the latest: a new version.
  auto v3 = store.save("research", yaml_v1, "key_alice", "back to salary only");
  CHECK(v3.created);
  CHECK(v3.version.version == 3);
  CHECK(v3.version.content_hash == v1.version.content_hash);

  auto got1 = store.get("research", 1);
  CHECK(got1.source == yaml_v1);
  CHECK(got1.source_format == "yaml");
  CHECK(got1.document == policy::canonical_policy_document(policy::parse_policy_source(yaml_v1)));
  CHECK(store.get("research", 2).source_format == "json");
  CHECK(store.get("research").info.version == 3);
  CHECK(store_error_kind([&] { store.get("research", 4); }) == PolicyStoreError::Kind::kNotFound);
  try {
    store.get("research", 9);
  } catch (const PolicyStoreError& e) {
    CHECK(std::string(e.what()) == "policy \"research\" has no version 9 (versions 1 to 3)");
  }

  // The stored hash is SHA-256 of the stored canonical text, as PostgreSQL computes it.
  {
    pqxx::connection c{db};
    pqxx::read_transaction tx(c);
    auto rows = tx.exec("SELECT count(*) FROM policy_versions"
                        " WHERE content_hash <> encode(sha256(convert_to(canonical, 'UTF8')), 'hex')");
    CHECK(rows[0][0].as<int64_t>() == 0);
  }

  auto versions = store.versions("research");
  REQUIRE(versions.size() == 3);
  CHECK(versions[0].version == 1);
  CHECK(versions[2].comment == "back to salary only");
  auto list = store.list();
  REQUIRE(list.size() == 1);
  CHECK(list[0].name == "research");
  CHECK(list[0].latest_version == 3);
  CHECK_FALSE(list[0].active_version);
  CHECK(list[0].description == "research policy");
}

TEST_CASE("versions and history rows are immutable in the database", "[policy_store]") {
  const std::string db = store_test::fresh_database();
  core::PgPool pool(as_gateway(db), 2);
  PolicyStore store(pool);
  store.save("research", store_test::research_policy("salary"), "key_alice");
  store.activate("research", 1, "key_alice");

  auto refused = [](const std::string& conninfo, const std::string& sql) {
    pqxx::connection c{conninfo};
    pqxx::work tx(c);
    try {
      tx.exec(sql);
    } catch (const pqxx::sql_error& e) {
      return true;
    }
    return false;
  };
  // The gateway's role has no UPDATE/DELETE grant; the owner is stopped by the triggers.
  for (const std::string& who : {as_gateway(db), db}) {
    CHECK(refused(who, "UPDATE policy_versions SET comment = 'rewritten' WHERE name = 'research'"));
    CHECK(refused(who, "UPDATE policy_versions SET canonical = '{}' WHERE name = 'research'"));
    CHECK(refused(who, "DELETE FROM policy_versions WHERE name = 'research'"));
    CHECK(refused(who, "TRUNCATE policy_versions CASCADE"));
    CHECK(refused(who, "UPDATE policy_activations SET actor = 'someone else'"));
    CHECK(refused(who, "DELETE FROM policy_activations"));
  }
  CHECK(refused(as_gateway(db), "UPDATE policies SET name = 'other'"));
  CHECK(refused(as_gateway(db), "DELETE FROM policies"));
  CHECK(count_rows(db, "policy_versions") == 1);
  CHECK(store.get("research", 1).info.comment.empty());
  CHECK(store.history("research").size() == 1);
}

TEST_CASE("activate and rollback move the active version and keep a history", "[policy_store]") {
  const std::string db = store_test::fresh_database();
  core::PgPool pool(as_gateway(db), 2);
  PolicyStore store(pool);
  store.save("research", store_test::research_policy("salary"), "key_alice");
  store.save("research", store_test::research_policy("salary, bonus"), "key_alice");
  store.save("research", store_test::research_policy("salary, bonus, layoffs"), "key_alice");

  CHECK(store_error_kind([&] { store.rollback("research", "key_bob"); }) == PolicyStoreError::Kind::kConflict);
  auto a1 = store.activate("research", 1, "key_bob");
  CHECK(a1.changed);
  CHECK(a1.kind == "activate");
  CHECK_FALSE(a1.previous_version);
  CHECK(store.active_version("research") == 1);
  // Nothing before the first activation to roll back to.
  CHECK(store_error_kind([&] { store.rollback("research", "key_bob"); }) == PolicyStoreError::Kind::kConflict);

  auto same = store.activate("research", 1, "key_bob");
  CHECK_FALSE(same.changed);
  CHECK(store.history("research").size() == 1);

  auto a3 = store.activate("research", 3, "key_bob");
  CHECK(a3.previous_version == 1);
  CHECK(store.get("research", 3).info.active);
  CHECK_FALSE(store.get("research", 1).info.active);

  auto back = store.rollback("research", "key_carol");
  CHECK(back.kind == "rollback");
  CHECK(back.version == 1);
  CHECK(back.previous_version == 3);
  CHECK(store.active_version("research") == 1);
  // The version active before the current activation: a second rollback undoes the first.
  CHECK(store.rollback("research", "key_carol").version == 3);
  auto to2 = store.rollback("research", "key_carol", 2);
  CHECK(to2.version == 2);
  CHECK(to2.previous_version == 3);
  CHECK(store_error_kind([&] { store.rollback("research", "key_carol", 2); }) == PolicyStoreError::Kind::kConflict);
  CHECK(store_error_kind([&] { store.rollback("research", "key_carol", 7); }) == PolicyStoreError::Kind::kNotFound);
  CHECK(store_error_kind([&] { store.activate("research", 7, "key_bob"); }) == PolicyStoreError::Kind::kNotFound);
  CHECK(store_error_kind([&] { store.activate("nobody", 1, "key_bob"); }) == PolicyStoreError::Kind::kNotFound);
  CHECK(store_error_kind([&] { store.rollback("nobody", "key_bob"); }) == PolicyStoreError::Kind::kNotFound);
  CHECK(store.active_version("research") == 2);

  auto history = store.history("research");
  REQUIRE(history.size() == 5);
  std::vector<std::string> kinds;
  std::vector<int64_t> versions;
  for (const auto& h : history) {
    kinds.push_back(h.kind);
    versions.push_back(h.version);
  }
  CHECK(kinds == std::vector<std::string>{"activate", "activate", "rollback", "rollback", "rollback"});
  CHECK(versions == std::vector<int64_t>{1, 3, 1, 3, 2});
  CHECK(history[2].actor == "key_carol");
  CHECK(history[4].activated_at.size() == 24);  // 2024-11-23T08:34:54.123Z

  auto docs = store.active_documents();
  REQUIRE(docs.size() == 1);
  CHECK(docs[0].identity.name == "research");
  CHECK(docs[0].identity.version == 2);
  CHECK(docs[0].document == store.get("research", 2).document);
  auto list = store.list();
  REQUIRE(list.size() == 1);
  CHECK(list[0].active_version == 2);
}

TEST_CASE("activation notifies warden_policies in its transaction", "[policy_store]") {
  const std::string db = store_test::fresh_database();
  core::PgPool pool(as_gateway(db), 2);
  PolicyStore store(pool);
  store.save("research", store_test::research_policy("salary"), "key_alice");

  struct Receiver : pqxx::notification_receiver {
    Receiver(pqxx::connection_base& c) : pqxx::notification_receiver(c, "warden_policies") {}
    void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
    std::vector<std::string> payloads;
  };
  pqxx::connection listener{db};
  Receiver receiver(listener);
  store.activate("research", 1, "key_alice");
  for (int i = 0; i < 20 && receiver.payloads.empty(); ++i) listener.await_notification(0, 100000);
  REQUIRE(receiver.payloads.size() == 1);
  Json payload = Json::parse(receiver.payloads[0]);
  CHECK(payload.at("name").as_string() == "research");
  CHECK(payload.at("version").as_int() == 1);
  // A refused activation sends nothing.
  CHECK_THROWS(store.activate("research", 5, "key_alice"));
  listener.await_notification(0, 200000);
  CHECK(receiver.payloads.size() == 1);
}

TEST_CASE("diff compares the canonical documents of two versions", "[policy_store]") {
  const std::string db = store_test::fresh_database();
  core::PgPool pool(as_gateway(db), 2);
  PolicyStore store(pool);
  store.save("research", store_test::research_policy("salary"), "key_alice");
  store.save("research", store_test::research_policy("salary, bonus"), "key_alice");
  const std::string expected =
      "--- research@1\n"
      "+++ research@2\n"
      "@@ -12,7 +12,8 @@\n"
      "         \"id\": \"no-topics\",\n"
      "         \"kind\": \"deny_topics\",\n"
      "         \"phrases\": [\n"
      "-          \"salary\"\n"
      "+          \"salary\",\n"
      "+          \"bonus\"\n"
      "         ]\n"
      "       }\n"
      "     ]\n";
  CHECK(store.diff("research", 1, 2) == expected);
  CHECK(store.diff("research", 2, 2).empty());
  CHECK(store_error_kind([&] { store.diff("research", 1, 3); }) == PolicyStoreError::Kind::kNotFound);
}

TEST_CASE("seed_if_empty seeds and activates only an empty store", "[policy_store]") {
  const std::string db = store_test::fresh_database();
  core::PgPool pool(as_gateway(db), 2);
  PolicyStore store(pool);
  CHECK(store.active_documents().empty());
  CHECK(store.seed_if_empty("default", store_test::research_policy("salary"), "system", "seed"));
  CHECK_FALSE(store.seed_if_empty("default", store_test::research_policy("bonus"), "system", "seed"));
  CHECK_FALSE(store.seed_if_empty("other", store_test::research_policy("bonus"), "system", "seed"));
  auto docs = store.active_documents();
  REQUIRE(docs.size() == 1);
  CHECK(docs[0].identity.name == "default");
  CHECK(docs[0].identity.version == 1);
  auto history = store.history("default");
  REQUIRE(history.size() == 1);
  CHECK(history[0].actor == "system");
  CHECK(store.versions("default").size() == 1);
}

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "core/config.h"
#include "core/yaml.h"

using warden::core::Config;
using warden::core::ConfigError;
using warden::core::config_from_json;
using warden::core::parse_yaml;

TEST_CASE("config: defaults, file values and environment overrides") {
  Config c = config_from_json(parse_yaml("server:\n  port: 9000\nmodel:\n  compute: bf16\n"), {{"WARDEN_SERVER_PORT", "9100"}});
  CHECK(c.server.port == 9100);
  CHECK(c.model.compute == "bf16");
  CHECK(c.server.host == "127.0.0.1");
}

TEST_CASE("config: every problem is listed with the key that has it") {
  try {
    config_from_json(parse_yaml("server:\n  port: 70000\n  prot: 1\nmodel:\n  compute: fp4\nlogging: 3\n"),
                     {{"WARDEN_DATABASE_POOL_SIZE", "many"}});
    FAIL("accepted a bad configuration");
  } catch (const ConfigError& e) {
    std::string m = e.what();
    CHECK(m.find("server.port: 70000 is out of range") != std::string::npos);
    CHECK(m.find("server.prot: unknown setting") != std::string::npos);
    CHECK(m.find("model.compute: unknown value \"fp4\"") != std::string::npos);
    CHECK(m.find("logging: expected a mapping") != std::string::npos);
    CHECK(m.find("WARDEN_DATABASE_POOL_SIZE: expected an integer") != std::string::npos);
  }
}

TEST_CASE("config: docs/configuration.md documents every setting") {
  std::ifstream in(std::string(WARDEN_SOURCE_DIR) + "/docs/configuration.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  for (const auto& s : warden::core::config_settings()) {
    INFO(s.path);
    CHECK(text.str().find("`" + s.path + "`") != std::string::npos);
  }
}

// `warden logits` / `warden model synth` through their run_*_command functions.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "core/json.h"
#include "inference/model_cli.h"
#include "inference/model_deepseek.h"
#include "model_test_support.h"

using namespace warden::inference;

TEST_CASE("logits command: one row per position, equal to the model's forward", "[model][cli]") {
  const auto dir = testing::synth_model("v2-bf16", "v2", "tiny-v2", "bf16");
  std::istringstream in("{\"ids\":[0,17,4242]}\n\n{\"ids\":[99],\"logits_from\":0}\n");
  std::ostringstream out, err;
  REQUIRE(run_logits_command({"--model", dir.string()}, in, out, err) == 0);
  std::istringstream lines(out.str());
  std::string first, second;
  REQUIRE(std::getline(lines, first));
  REQUIRE(std::getline(lines, second));
  const auto j1 = warden::core::Json::parse(first);
  REQUIRE(j1.at("logits").size() == 3);
  REQUIRE(j1.at("logits")[0].size() == 129280);
  REQUIRE(warden::core::Json::parse(second).at("logits").size() == 1);

  auto model = load_model(dir, ModelLoadOptions{});
  const std::vector<TokenId> ids = {0, 17, 4242};
  std::vector<float> logits;
  StepItem item{1, ids};
  model->forward_all_positions(std::span<const StepItem>(&item, 1), logits);
  for (int r = 0; r < 3; ++r)
    for (int k : {0, 1, 500, 129279})
      REQUIRE(j1.at("logits")[r][k].as_double() == Approx(logits[static_cast<size_t>(r) * 129280 + k]).epsilon(1e-7));
}

TEST_CASE("model CLI: usage errors exit 2 and name the problem", "[model][cli]") {
  std::istringstream in;
  std::ostringstream out, err;
  REQUIRE(run_logits_command({}, in, out, err) == 2);
  REQUIRE_THAT(err.str(), Catch::Contains("--model"));
  err.str("");
  REQUIRE(run_logits_command({"--model", "x", "--compute", "fp4"}, in, out, err) == 2);
  REQUIRE_THAT(err.str(), Catch::Contains("fp4"));
  err.str("");
  REQUIRE(run_model_command({"synth", "--arch", "v3", "--preset", "huge", "--out", (testing::temp_root() / "h").string()},
                            in, out, err) == 1);
  REQUIRE_THAT(err.str(), Catch::Contains("unknown --preset \"huge\""));
  err.str("");
  REQUIRE(run_model_command({"synth", "--arch", "v3"}, in, out, err) == 2);
  REQUIRE(run_bench_command({"--prompt", "5"}, in, out, err) == 2);
  err.str("");
  std::istringstream bad_line("{\"ids\":[0, 999999]}\n");
  const auto dir = testing::synth_model("v2-bf16", "v2", "tiny-v2", "bf16");
  REQUIRE(run_logits_command({"--model", dir.string()}, bad_line, out, err) == 1);
  REQUIRE_THAT(err.str(), Catch::Contains("line 1") && Catch::Contains("999999"));
}

TEST_CASE("synth: fp8 layout matches the DeepSeek-V3 release", "[model][cli]") {
  const auto dir = testing::synth_model("v3-fp8", "v3", "tiny-v3", "fp8");
  std::ifstream f(dir / "model.safetensors.index.json");
  const auto index = warden::core::Json::parse(std::string(std::istreambuf_iterator<char>(f), {}));
  const auto& map = index.at("weight_map");
  REQUIRE(map.contains("model.layers.1.mlp.experts.3.up_proj.weight_scale_inv"));
  REQUIRE(map.contains("model.layers.0.self_attn.q_a_proj.weight_scale_inv"));
  REQUIRE_FALSE(map.contains("model.embed_tokens.weight_scale_inv"));
  REQUIRE(map.contains("model.layers.1.mlp.gate.e_score_correction_bias"));
  REQUIRE(map.contains("model.layers.3.eh_proj.weight"));  // the MTP layer (num_hidden_layers = 3)
  std::set<std::string> shards;
  for (const auto& [name, shard] : map.as_object()) shards.insert(shard.as_string());
  REQUIRE(shards.size() >= 2);
  REQUIRE(std::filesystem::exists(dir / "tokenizer.json"));
  REQUIRE(std::filesystem::exists(dir / "tokenizer_config.json"));
}

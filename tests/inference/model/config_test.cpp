// config.json validation: every field the forward pass uses is checked and named.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "inference/config.h"
#include "inference/synth.h"

using namespace warden::inference;
using warden::core::Json;

namespace {
std::string error_of(const Json& j) {
  try {
    parse_model_config(j);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("config: presets parse and derive the published scales", "[config]") {
  const ModelConfig v3 = parse_model_config(synth_preset_config("v3", "tiny-v3"));
  REQUIRE(v3.arch == DeepseekArch::kV3);
  REQUIRE(v3.q_lora_rank == 48);
  REQUIRE(v3.topk_method == "noaux_tc");
  REQUIRE(v3.vocab_size == 129280);
  REQUIRE(!v3.is_moe_layer(0));
  REQUIRE(v3.is_moe_layer(1));
  const ModelConfig v2 = parse_model_config(synth_preset_config("v2", "tiny-v2"));
  REQUIRE(v2.q_lora_rank == 0);
  REQUIRE(v2.scoring_func == "softmax");

  // The real V3 numbers: (128+64)^-0.5 * (0.1 ln 40 + 1)^2 = 0.135234 (MODEL_NOTES §2).
  Json real = synth_preset_config("v3", "tiny-v3");
  real.set("qk_nope_head_dim", 128);
  real.set("qk_rope_head_dim", 64);
  REQUIRE(parse_model_config(real).softmax_scale() == Approx(0.135234).epsilon(1e-5));
  Json lite = synth_preset_config("v2", "tiny-v2");
  lite.set("qk_nope_head_dim", 128);
  lite.set("qk_rope_head_dim", 64);
  REQUIRE(parse_model_config(lite).softmax_scale() == Approx(0.114721).epsilon(1e-5));
}

TEST_CASE("config: bad fields are named", "[config]") {
  Json c = synth_preset_config("v3", "tiny-v3");
  Json missing = c;
  missing.as_object().erase(std::remove_if(missing.as_object().begin(), missing.as_object().end(),
                                           [](const auto& kv) { return kv.first == "kv_lora_rank"; }),
                            missing.as_object().end());
  REQUIRE_THAT(error_of(missing), Catch::Contains("\"kv_lora_rank\"") && Catch::Contains("missing"));
  Json bad = c;
  bad.set("hidden_size", -4);
  REQUIRE_THAT(error_of(bad), Catch::Contains("\"hidden_size\"") && Catch::Contains("out of range"));
  bad = c;
  bad.set("n_group", 3);
  REQUIRE_THAT(error_of(bad), Catch::Contains("\"n_group\""));
  bad = c;
  bad.set("topk_method", "magic");
  REQUIRE_THAT(error_of(bad), Catch::Contains("\"topk_method\"") && Catch::Contains("magic"));
  bad = c;
  bad.set("qk_rope_head_dim", 7);
  REQUIRE_THAT(error_of(bad), Catch::Contains("\"qk_rope_head_dim\""));
  bad = c;
  Json archs = Json::array();
  archs.push_back("LlamaForCausalLM");
  bad.set("architectures", archs);
  REQUIRE_THAT(error_of(bad), Catch::Contains("unsupported architecture"));
  bad = c;
  bad.set("num_experts_per_tok", 17);
  REQUIRE_THAT(error_of(bad), Catch::Contains("\"num_experts_per_tok\""));
  bad = c;
  bad.set("rope_scaling", Json::object());
  REQUIRE_THAT(error_of(bad), Catch::Contains("rope_scaling"));
}

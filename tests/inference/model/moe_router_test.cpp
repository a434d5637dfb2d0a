// Router known answers, worked by hand.
#include <catch2/catch.hpp>

#include <cmath>

#include "inference/config.h"
#include "inference/moe.h"
#include "inference/synth.h"

using namespace warden::inference;

namespace {
ModelConfig router_config(const std::string& method, const std::string& scoring, int groups, int topk_groups, int k,
                          bool norm, double scale) {
  auto j = synth_preset_config("v3", "tiny-v3");
  j.set("n_routed_experts", 8);
  j.set("n_group", groups);
  j.set("topk_group", topk_groups);
  j.set("num_experts_per_tok", k);
  j.set("topk_method", method);
  j.set("scoring_func", scoring);
  j.set("norm_topk_prob", norm);
  j.set("routed_scaling_factor", scale);
  return parse_model_config(j);
}
float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
}  // namespace

TEST_CASE("router: V3 noaux_tc uses the bias for choice only, groups by top-2 sum", "[moe]") {
  // 4 groups of 2. Group sums (scores + bias): g0 uses experts 0,1 ...
  const ModelConfig c = router_config("noaux_tc", "sigmoid", 4, 2, 2, true, 2.5);
  const float logits[8] = {3.0f, -3.0f, 0.5f, 0.4f, 0.0f, 0.1f, 2.0f, 1.9f};
  // Bias pushes expert 1 up a lot: group 0 = sig(3)+sig(-3)+bias -> group 0 strongest.
  std::vector<float> bias = {0.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  auto r = route_token(c, logits, bias);
  // Groups kept: 0 (sum ~2.0) and 3 (sig(2)+sig(1.9) ~1.75). Best two by score+bias: 1 (1.047), 0 (0.953).
  REQUIRE(r.size() == 2);
  REQUIRE(r[0].expert == 0);
  REQUIRE(r[1].expert == 1);
  // Weights use the unbiased sigmoid, normalized, times 2.5.
  const float s0 = sigmoid(3.0f), s1 = sigmoid(-3.0f);
  REQUIRE(r[0].weight == Approx(2.5 * s0 / (s0 + s1)));
  REQUIRE(r[1].weight == Approx(2.5 * s1 / (s0 + s1)));
  // Without the bias group 0 sums to 1.0 and loses to groups 3 (1.75) and 1 (1.22), so
  // expert 0 (the single best score) is masked out: experts 6 and 7 win.
  auto r2 = route_token(c, logits, std::vector<float>(8, 0.0f));
  REQUIRE(r2[0].expert == 6);
  REQUIRE(r2[1].expert == 7);
}

TEST_CASE("router: groups masked with -inf even when scores are negative", "[moe]") {
  const ModelConfig c = router_config("noaux_tc", "sigmoid", 4, 1, 2, true, 1.0);
  const float logits[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  // Large negative bias everywhere except group 2; masked groups must never be chosen
  // even though their (masked) value would be 0 > negative scores.
  std::vector<float> bias = {-5, -5, -5, -5, -1, -1.5f, -5, -5};
  auto r = route_token(c, logits, bias);
  REQUIRE(r.size() == 2);
  REQUIRE(r[0].expert == 4);
  REQUIRE(r[1].expert == 5);
  REQUIRE(r[0].weight == Approx(0.5));
}

TEST_CASE("router: V2 softmax greedy and group_limited_greedy", "[moe]") {
  const float logits[8] = {1.0f, 0.0f, 2.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.5f};
  double z = 0;
  for (float l : logits) z += std::exp(l);
  const ModelConfig greedy = router_config("greedy", "softmax", 1, 1, 2, false, 1.0);
  auto r = route_token(greedy, logits, {});
  REQUIRE(r[0].expert == 2);
  REQUIRE(r[1].expert == 7);
  REQUIRE(r[0].weight == Approx(std::exp(2.0) / z));  // no renormalization
  // Group-limited: 4 groups of 2, keep 1 group by max -> group 1 (experts 2,3).
  const ModelConfig limited = router_config("group_limited_greedy", "softmax", 4, 1, 2, false, 16.0);
  auto r2 = route_token(limited, logits, {});
  REQUIRE(r2[0].expert == 2);
  REQUIRE(r2[1].expert == 3);
  REQUIRE(r2[1].weight == Approx(16.0 * std::exp(0.0) / z));
}

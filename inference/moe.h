// DeepSeekMoE feed-forward: the router (V3 sigmoid + correction bias with group-limited
// top-k, or V2 softmax greedy / group_limited_greedy), routed experts and shared experts.
// Also the dense SwiGLU MLP used by the first_k_dense_replace layers.
#pragma once

#include <vector>

#include "inference/config.h"
#include "inference/weights.h"

namespace warden::inference {

struct RoutedExpert {
  int expert = 0;
  float weight = 0.0f;
};

// Chooses num_experts_per_tok experts for one token from its router logits [n_routed].
// `correction_bias` is empty unless topk_method is noaux_tc. Result sorted by expert id.
std::vector<RoutedExpert> route_token(const ModelConfig& config, const float* router_logits,
                                      const std::vector<float>& correction_bias);

// y = W_down(silu(W_gate x) * W_up x); x: [T, hidden] -> y: [T, hidden].
void mlp_forward(const MlpWeights& w, const float* x, int T, float* y);

// x: [T, hidden] (already normed) -> y: [T, hidden]. Per token, expert outputs are added
// in expert-id order, then the shared experts, so batching does not change the result.
void moe_forward(const ModelConfig& config, const MoeWeights& w, const float* x, int T, float* y);

}  // namespace warden::inference

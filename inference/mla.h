// Multi-head Latent Attention, absorbed form (DeepSeek's attn_impl="absorb").
//
// Per token: q from the low-rank path (or q_proj), [ĉ | k_r] from kv_a_proj_with_mqa ->
// RMSNorm / RoPE, written to the latent cache. Each head folds W_UK into its query
// (q̃ = W_UKᵀ q_nope), scores against the cached [ĉ | k_r] as MQA with key width
// kv_lora_rank + rope, sums ĉ with the softmax weights and applies W_UV afterwards.
// Prefill and decode take the same path, so a token's result does not depend on how
// the step was batched.
#pragma once

#include <vector>

#include "inference/config.h"
#include "inference/kv_cache.h"
#include "inference/rope.h"
#include "inference/weights.h"

namespace warden::inference {

// Where each token of a step sits: its position and its sequence's cache pages.
struct StepTokens {
  std::vector<int> positions;                         // [T]
  std::vector<const std::vector<LatentKvCache::Page>*> page_table;  // [T]
  int count() const { return static_cast<int>(positions.size()); }
};

class MlaAttention {
 public:
  MlaAttention(const ModelConfig& config, const RopeTable& rope, const LatentKvCache& cache)
      : config_(config), rope_(rope), cache_(cache) {}

  // x: [T, hidden] (already normed) -> out: [T, hidden].
  void forward(const MlaWeights& w, int layer, const float* x, const StepTokens& tokens,
               float* out) const;

 private:
  const ModelConfig& config_;
  const RopeTable& rope_;
  const LatentKvCache& cache_;
};

}  // namespace warden::inference

// The DeepSeek model's weights as the CPU forward pass keeps them: every matrix converted
// at load time from the checkpoint dtype (F32/F16/BF16/F8_E4M3 + 128x128 block scales)
// to the compute format (f32, bf16 or int8 blocks). Norm vectors, router weights and the
// router bias stay f32: they are small and routing is sensitive to rounding.
#pragma once

#include <vector>

#include "inference/config.h"
#include "inference/safetensors.h"
#include "kernels/cpu/weight_matrix.h"

namespace warden::inference {

using kernels::WeightFormat;
using kernels::WeightMatrix;

struct MlaWeights {
  std::vector<float> q_a_norm;      // [q_lora_rank] (empty without q_lora)
  WeightMatrix q_a;                 // [q_lora_rank, hidden]
  WeightMatrix q_b;                 // [heads*qk_head_dim, q_lora_rank], or q_proj [.., hidden]
  WeightMatrix kv_a;                // [kv_lora_rank + rope, hidden]
  std::vector<float> kv_a_norm;     // [kv_lora_rank]
  std::vector<WeightMatrix> uk_t;   // per head W_UK^T: [kv_lora_rank, qk_nope] (query absorption)
  std::vector<WeightMatrix> uv;     // per head W_UV: [v_head_dim, kv_lora_rank]
  WeightMatrix o;                   // [hidden, heads*v_head_dim]
};

struct MlpWeights {
  // gate_proj rows then up_proj rows, [2*inter, hidden]: one pass over x for both.
  WeightMatrix gate_up;
  WeightMatrix down;  // [hidden, inter]
  int inter() const { return gate_up.rows / 2; }
  size_t bytes() const { return gate_up.bytes() + down.bytes(); }
};

struct MoeWeights {
  std::vector<float> router;           // [n_routed, hidden]
  std::vector<float> correction_bias;  // [n_routed] (noaux_tc only)
  std::vector<MlpWeights> experts;     // n_routed
  bool has_shared = false;
  MlpWeights shared;                   // inter = n_shared * moe_intermediate
};

struct LayerWeights {
  std::vector<float> attn_norm, ffn_norm;  // [hidden]
  MlaWeights attn;
  bool is_moe = false;
  MlpWeights dense;
  MoeWeights moe;
};

struct ModelWeights {
  WeightMatrix embed;    // [vocab, hidden]
  std::vector<float> final_norm;
  WeightMatrix lm_head;  // [vocab, hidden]; empty when tied (use embed)
  bool tied_head = false;
  std::vector<LayerWeights> layers;

  const WeightMatrix& head() const { return tied_head ? embed : lm_head; }
};

// Loads and converts every weight the forward pass uses, and validates (shapes, dtypes,
// scales) the multi-token-prediction layers without keeping them. Throws naming the tensor.
ModelWeights load_weights(const Checkpoint& ckpt, const ModelConfig& config, WeightFormat format);

// Dequantizes a checkpoint matrix (applying F8 block scales) to f32 [rows, cols].
std::vector<float> load_matrix_f32(const Checkpoint& ckpt, const std::string& name, int rows, int cols);

}  // namespace warden::inference

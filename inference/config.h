// DeepSeek-V3 / V2 model configuration, read from a Hugging Face `config.json`.
//
// Every field the forward pass uses is checked on load; a missing or out-of-range field
// is an error naming it. Shared (immutable) by the loader, the forward pass and the CLI.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/json.h"

namespace warden::inference {

enum class DeepseekArch { kV3, kV2 };

struct YarnScaling {
  bool enabled = false;
  double factor = 1.0;
  int original_max_position = 4096;
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  double mscale = 1.0;
  double mscale_all_dim = 0.0;
};

struct ModelConfig {
  DeepseekArch arch = DeepseekArch::kV3;
  std::string architecture_name;
  int vocab_size = 0;
  int hidden_size = 0;
  int intermediate_size = 0;
  int moe_intermediate_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  int q_lora_rank = 0;  // 0: direct q_proj (V2-Lite)
  int kv_lora_rank = 0;
  int qk_nope_head_dim = 0;
  int qk_rope_head_dim = 0;
  int v_head_dim = 0;
  int n_routed_experts = 0;  // 0: every layer dense
  int n_shared_experts = 0;
  int num_experts_per_tok = 0;
  int first_k_dense_replace = 0;
  int moe_layer_freq = 1;
  int n_group = 1;
  int topk_group = 1;
  std::string topk_method = "greedy";  // greedy | group_limited_greedy | noaux_tc
  std::string scoring_func = "softmax";  // softmax | sigmoid
  bool norm_topk_prob = false;
  double routed_scaling_factor = 1.0;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  YarnScaling yarn;
  int max_position_embeddings = 0;
  int bos_token_id = -1;
  std::vector<int> eos_token_ids;
  bool tie_word_embeddings = false;
  int num_nextn_predict_layers = 0;

  int qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
  bool is_moe_layer(int layer) const {
    return n_routed_experts > 0 && layer >= first_k_dense_replace && layer % moe_layer_freq == 0;
  }
  // Attention softmax scale: qk_head_dim^-0.5, times the YaRN mscale squared.
  double softmax_scale() const;
};

// Parses and validates. `source` names the file in error messages.
ModelConfig parse_model_config(const core::Json& json, const std::string& source = "config.json");
ModelConfig load_model_config(const std::filesystem::path& config_json);
// YaRN attention-temperature factor 0.1 * m * ln(factor) + 1 (1 when factor <= 1).
double yarn_mscale(double factor, double m);

}  // namespace warden::inference

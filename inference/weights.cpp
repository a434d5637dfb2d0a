#include "inference/weights.h"

#include <stdexcept>

namespace warden::inference {
namespace {

constexpr int kFp8Block = 128;

std::string layer_prefix(int layer) { return "model.layers." + std::to_string(layer) + "."; }

// Loads (or, with `keep == false`, only validates) checkpoint tensors for one model.
class WeightReader {
 public:
  WeightReader(const Checkpoint& ckpt, const ModelConfig& config, WeightFormat format, bool keep)
      : ckpt_(ckpt), config_(config), format_(format), keep_(keep) {}

  std::vector<float> vector(const std::string& name, int n) const {
    const TensorView& t = ckpt_.tensor(name, {n});
    if (t.dtype == DType::kF8E4M3) throw std::runtime_error("checkpoint: tensor \"" + name + "\" must not be F8_E4M3");
    std::vector<float> out;
    if (keep_) {
      out.resize(n);
      tensor_to_f32(t, out.data());
    }
    return out;
  }

  std::vector<float> matrix_f32(const std::string& name, int rows, int cols) const {
    const TensorView& t = ckpt_.tensor(name + ".weight", {rows, cols});
    std::vector<float> out;
    const TensorView* scale = nullptr;
    if (t.dtype == DType::kF8E4M3) {
      const int64_t srows = (rows + kFp8Block - 1) / kFp8Block, scols = (cols + kFp8Block - 1) / kFp8Block;
      scale = &ckpt_.tensor(name + ".weight_scale_inv", {srows, scols});
      if (scale->dtype != DType::kF32 && scale->dtype != DType::kBF16)
        throw std::runtime_error("checkpoint: tensor \"" + name + ".weight_scale_inv\" must be F32 or BF16, got " +
                                 dtype_name(scale->dtype));
    }
    if (!keep_) return out;
    out.resize(static_cast<size_t>(rows) * cols);
    tensor_to_f32(t, out.data());
    if (scale) {
      std::vector<float> s(scale->numel());
      tensor_to_f32(*scale, s.data());
      const int scols = (cols + kFp8Block - 1) / kFp8Block;
      for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
          out[static_cast<size_t>(r) * cols + c] *= s[(r / kFp8Block) * scols + c / kFp8Block];
    }
    return out;
  }

  WeightMatrix linear(const std::string& name, int rows, int cols) const {
    std::vector<float> f = matrix_f32(name, rows, cols);
    if (!keep_) return {};
    return kernels::make_weight_matrix(f.data(), rows, cols, format_);
  }

  MlpWeights mlp(const std::string& prefix, int inter) const {
    const int hidden = config_.hidden_size;
    MlpWeights m;
    std::vector<float> gate_up = matrix_f32(prefix + "gate_proj", inter, hidden);
    const std::vector<float> up = matrix_f32(prefix + "up_proj", inter, hidden);
    gate_up.insert(gate_up.end(), up.begin(), up.end());
    if (keep_) m.gate_up = kernels::make_weight_matrix(gate_up.data(), 2 * inter, hidden, format_);
    m.down = linear(prefix + "down_proj", hidden, inter);
    return m;
  }

  MlaWeights attention(const std::string& prefix) const {
    const ModelConfig& c = config_;
    const int heads = c.num_attention_heads, hidden = c.hidden_size;
    MlaWeights a;
    if (c.q_lora_rank > 0) {
      a.q_a = linear(prefix + "q_a_proj", c.q_lora_rank, hidden);
      a.q_a_norm = vector(prefix + "q_a_layernorm.weight", c.q_lora_rank);
      a.q_b = linear(prefix + "q_b_proj", heads * c.qk_head_dim(), c.q_lora_rank);
    } else {
      a.q_b = linear(prefix + "q_proj", heads * c.qk_head_dim(), hidden);
    }
    a.kv_a = linear(prefix + "kv_a_proj_with_mqa", c.kv_lora_rank + c.qk_rope_head_dim, hidden);
    a.kv_a_norm = vector(prefix + "kv_a_layernorm.weight", c.kv_lora_rank);
    const int per_head = c.qk_nope_head_dim + c.v_head_dim;
    std::vector<float> kv_b = matrix_f32(prefix + "kv_b_proj", heads * per_head, c.kv_lora_rank);
    if (keep_) {
      const int dc = c.kv_lora_rank, dn = c.qk_nope_head_dim, dv = c.v_head_dim;
      for (int h = 0; h < heads; ++h) {
        const float* uk = kv_b.data() + static_cast<size_t>(h) * per_head * dc;  // [dn, dc]
        std::vector<float> uk_t(static_cast<size_t>(dc) * dn);
        for (int i = 0; i < dn; ++i)
          for (int j = 0; j < dc; ++j) uk_t[static_cast<size_t>(j) * dn + i] = uk[static_cast<size_t>(i) * dc + j];
        a.uk_t.push_back(kernels::make_weight_matrix(uk_t.data(), dc, dn, format_));
        a.uv.push_back(kernels::make_weight_matrix(uk + static_cast<size_t>(dn) * dc, dv, dc, format_));
      }
    }
    a.o = linear(prefix + "o_proj", hidden, heads * c.v_head_dim);
    return a;
  }

  MoeWeights moe(const std::string& prefix) const {
    const ModelConfig& c = config_;
    MoeWeights m;
    m.router = matrix_f32(prefix + "gate", c.n_routed_experts, c.hidden_size);
    if (c.topk_method == "noaux_tc") m.correction_bias = vector(prefix + "gate.e_score_correction_bias", c.n_routed_experts);
    for (int e = 0; e < c.n_routed_experts; ++e)
      m.experts.push_back(mlp(prefix + "experts." + std::to_string(e) + ".", c.moe_intermediate_size));
    if (c.n_shared_experts > 0) {
      m.has_shared = true;
      m.shared = mlp(prefix + "shared_experts.", c.n_shared_experts * c.moe_intermediate_size);
    }
    return m;
  }

  LayerWeights layer(int index) const {
    const std::string p = layer_prefix(index);
    LayerWeights l;
    l.attn_norm = vector(p + "input_layernorm.weight", config_.hidden_size);
    l.ffn_norm = vector(p + "post_attention_layernorm.weight", config_.hidden_size);
    l.attn = attention(p + "self_attn.");
    l.is_moe = config_.is_moe_layer(index);
    if (l.is_moe) l.moe = moe(p + "mlp.");
    else l.dense = mlp(p + "mlp.", config_.intermediate_size);
    return l;
  }

  // The MTP block: its own norms and projection, then a full decoder layer (MoE when the
  // model has routed experts, as in DeepSeek-V3's layer 61).
  void validate_mtp_layer(int index) const {
    const std::string p = layer_prefix(index);
    const int hidden = config_.hidden_size;
    vector(p + "enorm.weight", hidden);
    vector(p + "hnorm.weight", hidden);
    matrix_f32(p + "eh_proj", hidden, 2 * hidden);
    vector(p + "shared_head.norm.weight", hidden);
    if (ckpt_.has(p + "shared_head.head.weight")) matrix_f32(p + "shared_head.head", config_.vocab_size, hidden);
    if (ckpt_.has(p + "embed_tokens.weight")) matrix_f32(p + "embed_tokens", config_.vocab_size, hidden);
    vector(p + "input_layernorm.weight", hidden);
    vector(p + "post_attention_layernorm.weight", hidden);
    attention(p + "self_attn.");
    if (config_.n_routed_experts > 0) moe(p + "mlp.");
    else mlp(p + "mlp.", config_.intermediate_size);
  }

 private:
  const Checkpoint& ckpt_;
  const ModelConfig& config_;
  WeightFormat format_;
  bool keep_;
};

}  // namespace

std::vector<float> load_matrix_f32(const Checkpoint& ckpt, const std::string& name, int rows, int cols) {
  ModelConfig unused;
  return WeightReader(ckpt, unused, WeightFormat::kF32, true).matrix_f32(name, rows, cols);
}

ModelWeights load_weights(const Checkpoint& ckpt, const ModelConfig& config, WeightFormat format) {
  const WeightReader reader(ckpt, config, format, true);
  const WeightReader validator(ckpt, config, format, false);
  for (int j = 0; j < config.num_nextn_predict_layers; ++j) validator.validate_mtp_layer(config.num_hidden_layers + j);

  ModelWeights w;
  w.embed = reader.linear("model.embed_tokens", config.vocab_size, config.hidden_size);
  w.final_norm = reader.vector("model.norm.weight", config.hidden_size);
  w.tied_head = config.tie_word_embeddings && !ckpt.has("lm_head.weight");
  if (!w.tied_head) w.lm_head = reader.linear("lm_head", config.vocab_size, config.hidden_size);
  for (int l = 0; l < config.num_hidden_layers; ++l) w.layers.push_back(reader.layer(l));
  return w;
}

}  // namespace warden::inference

#include "inference/model_deepseek.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>

#include "inference/mla.h"
#include "inference/moe.h"
#include "inference/safetensors.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/rms_norm.h"
#include "kernels/cpu/thread_pool.h"

namespace warden::inference {

DeepseekModel::DeepseekModel(ModelConfig config, ModelWeights weights, ModelInfo info, size_t kv_cache_bytes,
                             KvCacheDtype kv_cache_dtype)
    : config_(std::move(config)),
      weights_(std::move(weights)),
      info_(std::move(info)),
      rope_(config_),
      cache_(config_.num_hidden_layers, config_.kv_lora_rank + config_.qk_rope_head_dim, kv_cache_bytes,
             kv_cache_dtype) {}

bool DeepseekModel::can_hold(SequenceId sequence, int extra_tokens) const {
  if (cache_.length(sequence) + extra_tokens > info_.max_context) return false;
  return cache_.can_hold(sequence, extra_tokens);
}

void DeepseekModel::forward(std::span<const StepItem> items, std::vector<float>& logits) {
  run_step(items, false, logits);
}

void DeepseekModel::forward_all_positions(std::span<const StepItem> items, std::vector<float>& logits) {
  run_step(items, true, logits);
}

void DeepseekModel::run_step(std::span<const StepItem> items, bool all_positions, std::vector<float>& logits) {
  const ModelConfig& c = config_;
  const int hidden = c.hidden_size;

  // Validate the whole step before touching the cache.
  std::set<SequenceId> seen;
  int pages = 0;
  for (const StepItem& item : items) {
    if (!seen.insert(item.sequence).second)
      throw std::runtime_error("forward: sequence " + std::to_string(item.sequence) + " appears twice in one step");
    if (item.tokens.empty())
      throw std::runtime_error("forward: sequence " + std::to_string(item.sequence) + " appends no tokens");
    for (TokenId id : item.tokens)
      if (id < 0 || id >= c.vocab_size)
        throw std::runtime_error("forward: token id " + std::to_string(id) + " outside the vocabulary (" +
                                 std::to_string(c.vocab_size) + ")");
    const int new_length = cache_.length(item.sequence) + static_cast<int>(item.tokens.size());
    if (new_length > info_.max_context)
      throw std::runtime_error("forward: sequence " + std::to_string(item.sequence) + " would hold " +
                               std::to_string(new_length) + " tokens, above the context limit " +
                               std::to_string(info_.max_context));
    pages += cache_.pages_needed(item.sequence, new_length);
  }
  if (pages > cache_.free_pages())
    throw std::runtime_error("forward: KV cache full (step needs " + std::to_string(pages) + " pages, " +
                             std::to_string(cache_.free_pages()) + " free)");

  StepTokens tokens;
  std::vector<TokenId> ids;
  std::vector<int> last_row;  // index of each item's last token
  for (const StepItem& item : items) {
    const int start = cache_.length(item.sequence);
    cache_.reserve(item.sequence, start + static_cast<int>(item.tokens.size()));
    for (size_t i = 0; i < item.tokens.size(); ++i) {
      ids.push_back(item.tokens[i]);
      tokens.positions.push_back(start + static_cast<int>(i));
      tokens.page_table.push_back(&cache_.pages(item.sequence));
    }
    last_row.push_back(static_cast<int>(ids.size()) - 1);
  }
  const int T = static_cast<int>(ids.size());

  // Residual stream h: [T, hidden].
  std::vector<float> h(static_cast<size_t>(T) * hidden), normed(h.size()), branch(h.size());
  for (int t = 0; t < T; ++t) kernels::dequantize_row(weights_.embed, ids[t], h.data() + static_cast<size_t>(t) * hidden);

  const float eps = static_cast<float>(c.rms_norm_eps);
  const MlaAttention attention(c, rope_, cache_);
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const LayerWeights& layer = weights_.layers[l];
    kernels::rms_norm(h.data(), layer.attn_norm.data(), T, hidden, eps, normed.data());
    attention.forward(layer.attn, l, normed.data(), tokens, branch.data());
    for (size_t i = 0; i < h.size(); ++i) h[i] += branch[i];
    kernels::rms_norm(h.data(), layer.ffn_norm.data(), T, hidden, eps, normed.data());
    if (layer.is_moe) moe_forward(c, layer.moe, normed.data(), T, branch.data());
    else mlp_forward(layer.dense, normed.data(), T, branch.data());
    for (size_t i = 0; i < h.size(); ++i) h[i] += branch[i];
  }

  for (const StepItem& item : items)
    cache_.set_length(item.sequence, cache_.length(item.sequence) + static_cast<int>(item.tokens.size()));

  // Final norm and head on the rows asked for.
  std::vector<int> rows = last_row;
  if (all_positions) {
    rows.resize(T);
    for (int t = 0; t < T; ++t) rows[t] = t;
  }
  const int R = static_cast<int>(rows.size());
  std::vector<float> final_rows(static_cast<size_t>(R) * hidden);
  for (int r = 0; r < R; ++r)
    kernels::rms_norm(h.data() + static_cast<size_t>(rows[r]) * hidden, weights_.final_norm.data(), 1, hidden, eps,
                      final_rows.data() + static_cast<size_t>(r) * hidden);
  logits.resize(static_cast<size_t>(R) * c.vocab_size);
  kernels::matmul(weights_.head(), final_rows.data(), R, logits.data());
}

size_t DeepseekModel::weight_bytes_per_token() const {
  const ModelConfig& c = config_;
  size_t bytes = weights_.head().bytes() + weights_.embed.bytes() / std::max(1, c.vocab_size);
  for (const LayerWeights& l : weights_.layers) {
    const MlaWeights& a = l.attn;
    bytes += a.q_a.bytes() + a.q_b.bytes() + a.kv_a.bytes() + a.o.bytes();
    for (const auto& m : a.uk_t) bytes += m.bytes();
    for (const auto& m : a.uv) bytes += m.bytes();
    if (l.is_moe) {
      bytes += l.moe.router.size() * 4;
      if (l.moe.has_shared) bytes += l.moe.shared.bytes();
      if (!l.moe.experts.empty()) bytes += l.moe.experts[0].bytes() * c.num_experts_per_tok;
    } else {
      bytes += l.dense.bytes();
    }
  }
  return bytes;
}

size_t DeepseekModel::weight_bytes_total() const {
  size_t bytes = weights_.embed.bytes() + (weights_.tied_head ? 0 : weights_.lm_head.bytes());
  for (const LayerWeights& l : weights_.layers) {
    const MlaWeights& a = l.attn;
    bytes += a.q_a.bytes() + a.q_b.bytes() + a.kv_a.bytes() + a.o.bytes();
    for (const auto& m : a.uk_t) bytes += m.bytes();
    for (const auto& m : a.uv) bytes += m.bytes();
    if (l.is_moe) {
      for (const auto& e : l.moe.experts) bytes += e.bytes();
      if (l.moe.has_shared) bytes += l.moe.shared.bytes();
    } else {
      bytes += l.dense.bytes();
    }
  }
  return bytes;
}

WeightFormat parse_compute_format(const std::string& name) {
  if (name == "f32") return WeightFormat::kF32;
  if (name == "bf16") return WeightFormat::kBF16;
  if (name == "int8") return WeightFormat::kInt8;
  throw std::runtime_error("unknown compute format \"" + name + "\" (expected f32, bf16, int8)");
}

std::unique_ptr<DeepseekModel> load_model(const std::filesystem::path& dir, const ModelLoadOptions& options) {
  if (options.threads > 0 && options.threads != kernels::default_pool().threads())
    kernels::set_default_threads(options.threads);
  ModelConfig config = load_model_config(dir / "config.json");
  auto ckpt = Checkpoint::open(dir);
  ModelWeights weights = load_weights(*ckpt, config, options.compute);

  ModelInfo info;
  info.name = std::filesystem::absolute(dir).lexically_normal().filename().string();
  if (info.name.empty()) info.name = std::filesystem::absolute(dir).parent_path().filename().string();
  info.vocab_size = config.vocab_size;
  info.max_context = options.max_context > 0 ? std::min(options.max_context, config.max_position_embeddings)
                                             : config.max_position_embeddings;
  info.eos_ids.assign(config.eos_token_ids.begin(), config.eos_token_ids.end());
  info.bos_id = config.bos_token_id;
  return std::make_unique<DeepseekModel>(std::move(config), std::move(weights), std::move(info),
                                         options.kv_cache_bytes, options.kv_cache_dtype);
}

}  // namespace warden::inference

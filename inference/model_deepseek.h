// DeepSeek-V3 / V2 model on the CPU: the LanguageModel the engine drives.
//
// Loaded from a Hugging Face checkpoint folder (config.json + safetensors). Weights are
// converted at load to the chosen compute format; activations, norms, router and
// attention run in f32. Owns its paged latent KV cache. Only the engine loop thread may
// call it (the kernels' thread pool is used inside a step).
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "inference/config.h"
#include "inference/kv_cache.h"
#include "inference/language_model.h"
#include "inference/rope.h"
#include "inference/weights.h"

namespace warden::inference {

struct ModelLoadOptions {
  WeightFormat compute = WeightFormat::kF32;  // f32 | bf16 | int8 (per-32 block scales)
  size_t kv_cache_bytes = size_t{1} << 30;    // latent cache budget
  KvCacheDtype kv_cache_dtype = KvCacheDtype::kF32;  // bf16 halves the bytes per token
  int threads = 0;                            // kernel threads; 0 = all cores
  int max_context = 0;                        // 0 = max_position_embeddings
};

class DeepseekModel : public LanguageModel {
 public:
  DeepseekModel(ModelConfig config, ModelWeights weights, ModelInfo info, size_t kv_cache_bytes,
                KvCacheDtype kv_cache_dtype = KvCacheDtype::kF32);

  const ModelInfo& info() const override { return info_; }
  bool can_hold(SequenceId sequence, int extra_tokens) const override;
  int cached_tokens(SequenceId sequence) const override { return cache_.length(sequence); }
  void release(SequenceId sequence) override { cache_.release(sequence); }
  void forward(std::span<const StepItem> items, std::vector<float>& logits) override;

  // Like forward, but returns one row of logits per appended token (all items' tokens in
  // order); used by `warden logits` and the reference tests.
  void forward_all_positions(std::span<const StepItem> items, std::vector<float>& logits);

  const ModelConfig& config() const { return config_; }
  // Bytes of weights a single decoded token reads (attention, dense/shared MLPs, the
  // chosen routed experts on average, the head, one embedding row).
  size_t weight_bytes_per_token() const;
  size_t weight_bytes_total() const;
  // Latent cache bytes one token takes over all layers (halved by a bf16 cache).
  size_t kv_bytes_per_token() const { return cache_.bytes_per_token(); }
  KvCacheDtype kv_cache_dtype() const { return cache_.dtype(); }

 private:
  void run_step(std::span<const StepItem> items, bool all_positions, std::vector<float>& logits);

  ModelConfig config_;
  ModelWeights weights_;
  ModelInfo info_;
  RopeTable rope_;
  LatentKvCache cache_;
};

std::unique_ptr<DeepseekModel> load_model(const std::filesystem::path& dir, const ModelLoadOptions& options);

// Parses "f32" | "bf16" | "int8"; throws naming the value otherwise.
WeightFormat parse_compute_format(const std::string& name);

}  // namespace warden::inference

#include "inference/synth.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "inference/config.h"
#include "inference/safetensors_writer.h"
#include "kernels/cpu/thread_pool.h"
#include "kernels/cpu/weight_matrix.h"

namespace warden::inference {
namespace {

namespace fs = std::filesystem;
using core::Json;

constexpr int kTokenizerVocab = 129280;  // DeepSeek-V3 tokenizer incl. added tokens

enum class Init { kLinear, kNorm, kEmbedding, kBias };

struct SynthTensor {
  TensorEntry entry;
  Init init = Init::kLinear;
  bool fp8_scale = false;  // this is a weight_scale_inv of the previous tensor
};

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t name_seed(uint64_t seed, const std::string& name) {
  uint64_t h = 1469598103934665603ull ^ seed;
  for (char ch : name) h = (h ^ static_cast<uint8_t>(ch)) * 1099511628211ull;
  return h;
}

// Fills `out` with N(0,1) * scale (+ offset), deterministically per (seed, chunk).
void fill_normal(uint64_t seed, float scale, float offset, std::vector<float>& out) {
  constexpr int kChunk = 1 << 16;
  const int chunks = static_cast<int>((out.size() + kChunk - 1) / kChunk);
  kernels::default_pool().parallel_for(chunks, 1, [&](int begin, int end) {
    for (int c = begin; c < end; ++c) {
      uint64_t state = seed ^ (0xd1b54a32d192ed03ull * (c + 1));
      const size_t lo = static_cast<size_t>(c) * kChunk, hi = std::min(out.size(), lo + kChunk);
      for (size_t i = lo; i < hi; i += 2) {
        const double u1 = ((splitmix(state) >> 11) + 1.0) * 0x1.0p-53;
        const double u2 = (splitmix(state) >> 11) * 0x1.0p-53;
        const double r = std::sqrt(-2.0 * std::log(u1));
        out[i] = static_cast<float>(r * std::cos(2 * M_PI * u2)) * scale + offset;
        if (i + 1 < hi) out[i + 1] = static_cast<float>(r * std::sin(2 * M_PI * u2)) * scale + offset;
      }
    }
  });
}

class TensorPlan {
 public:
  TensorPlan(const ModelConfig& c, bool fp8) : c_(c), fp8_(fp8) {}

  void vector(const std::string& name, int n, Init init = Init::kNorm) {
    tensors_.push_back({{name, init == Init::kBias ? DType::kF32 : DType::kBF16, {n}}, init});
  }
  void matrix(const std::string& name, int rows, int cols, bool quantizable = true, Init init = Init::kLinear) {
    const bool as_fp8 = fp8_ && quantizable;
    tensors_.push_back({{name + ".weight", as_fp8 ? DType::kF8E4M3 : DType::kBF16, {rows, cols}}, init});
    if (as_fp8)
      tensors_.push_back({{name + ".weight_scale_inv", DType::kF32, {(rows + 127) / 128, (cols + 127) / 128}},
                          Init::kLinear, true});
  }
  void mlp(const std::string& p, int inter) {
    matrix(p + "gate_proj", inter, c_.hidden_size);
    matrix(p + "up_proj", inter, c_.hidden_size);
    matrix(p + "down_proj", c_.hidden_size, inter);
  }
  void layer(int index, bool mtp) {
    const std::string p = "model.layers." + std::to_string(index) + ".";
    const int H = c_.num_attention_heads, hidden = c_.hidden_size;
    if (mtp) {
      vector(p + "enorm.weight", hidden);
      vector(p + "hnorm.weight", hidden);
      matrix(p + "eh_proj", hidden, 2 * hidden, false);
      vector(p + "shared_head.norm.weight", hidden);
    }
    vector(p + "input_layernorm.weight", hidden);
    if (c_.q_lora_rank > 0) {
      matrix(p + "self_attn.q_a_proj", c_.q_lora_rank, hidden);
      vector(p + "self_attn.q_a_layernorm.weight", c_.q_lora_rank);
      matrix(p + "self_attn.q_b_proj", H * c_.qk_head_dim(), c_.q_lora_rank);
    } else {
      matrix(p + "self_attn.q_proj", H * c_.qk_head_dim(), hidden);
    }
    matrix(p + "self_attn.kv_a_proj_with_mqa", c_.kv_lora_rank + c_.qk_rope_head_dim, hidden);
    vector(p + "self_attn.kv_a_layernorm.weight", c_.kv_lora_rank);
    matrix(p + "self_attn.kv_b_proj", H * (c_.qk_nope_head_dim + c_.v_head_dim), c_.kv_lora_rank);
    matrix(p + "self_attn.o_proj", hidden, H * c_.v_head_dim);
    vector(p + "post_attention_layernorm.weight", hidden);
    if (mtp ? c_.n_routed_experts > 0 : c_.is_moe_layer(index)) {
      matrix(p + "mlp.gate", c_.n_routed_experts, hidden, false);
      if (c_.topk_method == "noaux_tc") vector(p + "mlp.gate.e_score_correction_bias", c_.n_routed_experts, Init::kBias);
      for (int e = 0; e < c_.n_routed_experts; ++e) mlp(p + "mlp.experts." + std::to_string(e) + ".", c_.moe_intermediate_size);
      if (c_.n_shared_experts > 0) mlp(p + "mlp.shared_experts.", c_.n_shared_experts * c_.moe_intermediate_size);
    } else {
      mlp(p + "mlp.", c_.intermediate_size);
    }
  }
  void model() {
    matrix("model.embed_tokens", c_.vocab_size, c_.hidden_size, false, Init::kEmbedding);
    for (int l = 0; l < c_.num_hidden_layers; ++l) layer(l, false);
    for (int j = 0; j < c_.num_nextn_predict_layers; ++j) layer(c_.num_hidden_layers + j, true);
    vector("model.norm.weight", c_.hidden_size);
    if (!c_.tie_word_embeddings) matrix("lm_head", c_.vocab_size, c_.hidden_size, false);
  }
  std::vector<SynthTensor>& tensors() { return tensors_; }

 private:
  const ModelConfig& c_;
  bool fp8_;
  std::vector<SynthTensor> tensors_;
};

// Produces the bytes of tensor i; an F8 weight leaves its block scales for the next call.
class TensorFiller {
 public:
  explicit TensorFiller(uint64_t seed) : seed_(seed) {}

  void fill(const SynthTensor& t, std::vector<uint8_t>& out) {
    const TensorEntry& e = t.entry;
    if (t.fp8_scale) {
      out.resize(pending_scales_.size() * 4);
      std::memcpy(out.data(), pending_scales_.data(), out.size());
      return;
    }
    size_t n = 1;
    for (int64_t d : e.shape) n *= static_cast<size_t>(d);
    std::vector<float> values(n);
    const uint64_t s = name_seed(seed_, e.name);
    switch (t.init) {
      case Init::kLinear: fill_normal(s, 1.0f / std::sqrt(static_cast<float>(e.shape.back())), 0.0f, values); break;
      case Init::kNorm: fill_normal(s, 0.1f, 1.0f, values); break;
      case Init::kEmbedding: fill_normal(s, 1.0f, 0.0f, values); break;
      case Init::kBias: fill_normal(s, 0.05f, 0.0f, values); break;
    }
    out.resize(e.bytes());
    switch (e.dtype) {
      case DType::kF32:
        std::memcpy(out.data(), values.data(), n * 4);
        break;
      case DType::kBF16:
        for (size_t i = 0; i < n; ++i) {
          const uint16_t b = kernels::f32_to_bf16(values[i]);
          std::memcpy(out.data() + 2 * i, &b, 2);
        }
        break;
      case DType::kF8E4M3:
        quantize_fp8(values, static_cast<int>(e.shape[0]), static_cast<int>(e.shape[1]), out);
        break;
      case DType::kF16:
        throw std::logic_error("synth never writes F16");
    }
  }

 private:
  // 128x128 blocks, scale = amax / 448 (stored as weight_scale_inv, a multiplier).
  void quantize_fp8(const std::vector<float>& w, int rows, int cols, std::vector<uint8_t>& out) {
    const int br = (rows + 127) / 128, bc = (cols + 127) / 128;
    pending_scales_.assign(static_cast<size_t>(br) * bc, 0.0f);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        float& s = pending_scales_[(r / 128) * bc + c / 128];
        s = std::max(s, std::fabs(w[static_cast<size_t>(r) * cols + c]));
      }
    for (float& s : pending_scales_) s = s > 0 ? s / 448.0f : 1.0f;
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        const size_t i = static_cast<size_t>(r) * cols + c;
        out[i] = f32_to_f8e4m3(w[i] / pending_scales_[(r / 128) * bc + c / 128]);
      }
  }

  uint64_t seed_;
  std::vector<float> pending_scales_;
};

Json yarn(double mscale) {
  Json r = Json::object();
  r.set("type", "yarn");
  r.set("factor", 40);
  r.set("original_max_position_embeddings", 4096);
  r.set("beta_fast", 32);
  r.set("beta_slow", 1);
  r.set("mscale", mscale);
  r.set("mscale_all_dim", mscale);
  return r;
}

bool has_tokenizer(const fs::path& dir) {
  return fs::exists(dir / "tokenizer.json") && fs::exists(dir / "tokenizer_config.json");
}

}  // namespace

Json synth_preset_config(const std::string& arch, const std::string& preset) {
  if (arch != "v3" && arch != "v2") throw std::runtime_error("synth: --arch must be v3 or v2, got \"" + arch + "\"");
  struct Dims {
    int hidden, inter, moe_inter, layers, heads, q_lora, kv_lora, nope, rope, v, routed, shared, per_tok,
        dense, groups, topk_groups;
  };
  Dims d{};
  std::string want_arch;
  if (preset == "tiny-v3") {
    d = {144, 192, 48, 3, 4, 48, 32, 16, 8, 16, 16, 1, 4, 1, 4, 2};
    want_arch = "v3";
  } else if (preset == "tiny-v2") {
    d = {128, 160, 32, 3, 4, 0, 32, 16, 8, 16, 16, 2, 4, 1, 1, 1};
    want_arch = "v2";
  } else if (preset == "small-1b") {
    d = {1024, 2816, 512, 10, 8, 384, 256, 64, 32, 64, 64, 1, 6, 1, 8, 4};
    want_arch = "v3";
  } else {
    throw std::runtime_error("synth: unknown --preset \"" + preset + "\" (expected tiny-v3, tiny-v2, small-1b)");
  }
  if (arch != want_arch) throw std::runtime_error("synth: preset " + preset + " is a " + want_arch + " model, not " + arch);
  const bool v3 = arch == "v3";
  Json c = Json::object();
  Json archs = Json::array();
  archs.push_back(v3 ? "DeepseekV3ForCausalLM" : "DeepseekV2ForCausalLM");
  c.set("architectures", archs);
  c.set("model_type", v3 ? "deepseek_v3" : "deepseek_v2");
  c.set("vocab_size", kTokenizerVocab);
  c.set("hidden_size", d.hidden);
  c.set("intermediate_size", d.inter);
  c.set("moe_intermediate_size", d.moe_inter);
  c.set("num_hidden_layers", d.layers);
  c.set("num_attention_heads", d.heads);
  c.set("num_key_value_heads", d.heads);
  c.set("q_lora_rank", d.q_lora > 0 ? Json(d.q_lora) : Json(nullptr));
  c.set("kv_lora_rank", d.kv_lora);
  c.set("qk_nope_head_dim", d.nope);
  c.set("qk_rope_head_dim", d.rope);
  c.set("v_head_dim", d.v);
  c.set("n_routed_experts", d.routed);
  c.set("n_shared_experts", d.shared);
  c.set("num_experts_per_tok", d.per_tok);
  c.set("first_k_dense_replace", d.dense);
  c.set("moe_layer_freq", 1);
  c.set("n_group", d.groups);
  c.set("topk_group", d.topk_groups);
  c.set("topk_method", v3 ? "noaux_tc" : "greedy");
  c.set("scoring_func", v3 ? "sigmoid" : "softmax");
  c.set("norm_topk_prob", v3);
  c.set("routed_scaling_factor", v3 ? 2.5 : 1.0);
  c.set("rms_norm_eps", 1e-6);
  c.set("rope_theta", 10000);
  c.set("rope_scaling", yarn(v3 ? 1.0 : 0.707));
  c.set("max_position_embeddings", 163840);
  c.set("bos_token_id", 0);
  c.set("eos_token_id", 1);
  c.set("tie_word_embeddings", !v3);  // tiny-v2 exercises the tied head
  c.set("hidden_act", "silu");
  c.set("torch_dtype", "bfloat16");
  if (v3) c.set("num_nextn_predict_layers", 1);
  return c;
}

fs::path find_tokenizer_dir(const fs::path& explicit_dir) {
  if (!explicit_dir.empty()) {
    if (!has_tokenizer(explicit_dir))
      throw std::runtime_error("--tokenizer-dir " + explicit_dir.string() + ": no tokenizer.json + tokenizer_config.json");
    return explicit_dir;
  }
  const fs::path rel = fs::path("tools") / "node_modules" / "@lenml" / "tokenizer-deepseek_v3" / "models";
  std::vector<fs::path> roots;
#ifdef WARDEN_SOURCE_DIR
  roots.push_back(WARDEN_SOURCE_DIR);
#endif
  roots.push_back(fs::path(__FILE__).parent_path().parent_path());  // <repo>/inference/synth.cpp
  std::error_code ec;
  for (fs::path p = fs::current_path(ec); !p.empty(); p = p.parent_path()) {
    roots.push_back(p);
    if (p == p.root_path()) break;
  }
  for (fs::path p = fs::read_symlink("/proc/self/exe", ec).parent_path(); !ec && !p.empty(); p = p.parent_path()) {
    roots.push_back(p);
    if (p == p.root_path()) break;
  }
  for (const fs::path& root : roots)
    if (has_tokenizer(root / rel)) return root / rel;
  throw std::runtime_error("synth: cannot find " + rel.string() + " (pass --tokenizer-dir DIR)");
}

void synth_checkpoint(const Json& config_json, const SynthOptions& options) {
  if (options.dtype != "bf16" && options.dtype != "fp8")
    throw std::runtime_error("synth: --dtype must be bf16 or fp8, got \"" + options.dtype + "\"");
  if (options.out.empty()) throw std::runtime_error("synth: --out is required");
  const ModelConfig config = parse_model_config(config_json, "synth config");
  const fs::path tokenizer_dir = find_tokenizer_dir(options.tokenizer_dir);
  fs::create_directories(options.out);

  Json written = config_json;
  if (options.dtype == "fp8") {
    Json q = Json::object();
    q.set("quant_method", "fp8");
    q.set("fmt", "e4m3");
    q.set("activation_scheme", "dynamic");
    Json block = Json::array();
    block.push_back(128);
    block.push_back(128);
    q.set("weight_block_size", block);
    written.set("quantization_config", q);
  }
  std::ofstream(options.out / "config.json") << written.dump(2) << "\n";

  TensorPlan plan(config, options.dtype == "fp8");
  plan.model();
  std::vector<SynthTensor>& tensors = plan.tensors();

  // Split into shards of about equal size; a weight and its scale stay together.
  size_t total = 0;
  for (const auto& t : tensors) total += t.entry.bytes();
  const int shards = std::max<int>(options.min_shards, static_cast<int>(total / (2ull << 30)) + 1);
  std::vector<std::vector<size_t>> shard_members(shards);
  size_t running = 0;
  int previous_shard = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    int s = static_cast<int>(std::min<size_t>(shards - 1, running * shards / std::max<size_t>(1, total)));
    if (tensors[i].fp8_scale) s = previous_shard;  // a scale lives beside its weight
    shard_members[s].push_back(i);
    previous_shard = s;
    running += tensors[i].entry.bytes();
  }

  Json weight_map = Json::object();
  TensorFiller filler(options.seed);
  for (int s = 0; s < shards; ++s) {
    char name[64];
    std::snprintf(name, sizeof(name), "model-%05d-of-%05d.safetensors", s + 1, shards);
    std::vector<TensorEntry> entries;
    for (size_t i : shard_members[s]) {
      entries.push_back(tensors[i].entry);
      weight_map.set(tensors[i].entry.name, name);
    }
    write_safetensors(options.out / name, entries, [&](size_t k, std::vector<uint8_t>& out) {
      filler.fill(tensors[shard_members[s][k]], out);
    });
  }
  Json index = Json::object();
  Json meta = Json::object();
  meta.set("total_size", static_cast<unsigned long long>(total));
  index.set("metadata", meta);
  index.set("weight_map", weight_map);
  std::ofstream(options.out / "model.safetensors.index.json") << index.dump(2) << "\n";

  for (const char* f : {"tokenizer.json", "tokenizer_config.json"})
    fs::copy_file(tokenizer_dir / f, options.out / f, fs::copy_options::overwrite_existing);
}

void synth_checkpoint(const SynthOptions& options) {
  synth_checkpoint(synth_preset_config(options.arch, options.preset), options);
}

}  // namespace warden::inference

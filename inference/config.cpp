#include "inference/config.h"

#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace warden::inference {
namespace {

class FieldReader {
 public:
  FieldReader(const core::Json& json, std::string source) : json_(json), source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
    throw std::runtime_error(source_ + ": field \"" + field + "\": " + problem);
  }

  const core::Json* get(const std::string& field) const {
    const core::Json* v = json_.find(field);
    return (v && !v->is_null()) ? v : nullptr;
  }

  int int_field(const std::string& field, int min, int max) const {
    const core::Json* v = get(field);
    if (!v) fail(field, "missing");
    return checked_int(field, *v, min, max);
  }
  int int_or(const std::string& field, int fallback, int min, int max) const {
    const core::Json* v = get(field);
    return v ? checked_int(field, *v, min, max) : fallback;
  }
  double double_or(const std::string& field, double fallback, double min, double max) const {
    const core::Json* v = get(field);
    if (!v) return fallback;
    return checked_double(field, *v, min, max);
  }
  double checked_double(const std::string& field, const core::Json& v, double min, double max) const {
    if (!v.is_number()) fail(field, std::string("expected a number, got ") + v.type_name());
    const double d = v.as_double();
    if (!(d >= min && d <= max)) {
      std::ostringstream os;
      os << "value " << d << " out of range [" << min << ", " << max << "]";
      fail(field, os.str());
    }
    return d;
  }
  bool bool_or(const std::string& field, bool fallback) const {
    const core::Json* v = get(field);
    if (!v) return fallback;
    if (!v->is_bool()) fail(field, std::string("expected a boolean, got ") + v->type_name());
    return v->as_bool();
  }
  std::string string_or(const std::string& field, const std::string& fallback,
                        const std::vector<std::string>& allowed) const {
    const core::Json* v = get(field);
    if (!v) return fallback;
    if (!v->is_string()) fail(field, std::string("expected a string, got ") + v->type_name());
    for (const auto& a : allowed)
      if (v->as_string() == a) return a;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    fail(field, "unknown value \"" + v->as_string() + "\" (expected " + list + ")");
  }
  int checked_int(const std::string& field, const core::Json& v, int min, int max) const {
    if (!v.is_number() || v.as_double() != std::floor(v.as_double()))
      fail(field, std::string("expected an integer, got ") + v.type_name());
    const double d = v.as_double();
    if (d < min || d > max) {
      std::ostringstream os;
      os << "value " << static_cast<long long>(d) << " out of range [" << min << ", " << max << "]";
      fail(field, os.str());
    }
    return static_cast<int>(d);
  }

 private:
  const core::Json& json_;
  std::string source_;
};

constexpr int kMaxDim = 1 << 20;

}  // namespace

double yarn_mscale(double factor, double m) {
  if (factor <= 1.0) return 1.0;
  return 0.1 * m * std::log(factor) + 1.0;
}

double ModelConfig::softmax_scale() const {
  double scale = 1.0 / std::sqrt(static_cast<double>(qk_head_dim()));
  if (yarn.enabled) {
    // DeepSeek's release (model.py MLA.__init__) scales by mscale^2 with `mscale`; the HF
    // code uses mscale_all_dim. They agree on every released config; we follow the release.
    const double m = yarn_mscale(yarn.factor, yarn.mscale);
    scale *= m * m;
  }
  return scale;
}

ModelConfig parse_model_config(const core::Json& json, const std::string& source) {
  if (!json.is_object()) throw std::runtime_error(source + ": expected a JSON object");
  FieldReader r(json, source);
  ModelConfig c;

  const core::Json* archs = r.get("architectures");
  if (!archs || !archs->is_array() || archs->size() == 0 || !(*archs)[0].is_string())
    r.fail("architectures", "missing (expected [\"DeepseekV3ForCausalLM\"] or [\"DeepseekV2ForCausalLM\"])");
  c.architecture_name = (*archs)[0].as_string();
  if (c.architecture_name == "DeepseekV3ForCausalLM") c.arch = DeepseekArch::kV3;
  else if (c.architecture_name == "DeepseekV2ForCausalLM") c.arch = DeepseekArch::kV2;
  else r.fail("architectures", "unsupported architecture \"" + c.architecture_name + "\"");

  c.vocab_size = r.int_field("vocab_size", 1, 1 << 24);
  c.hidden_size = r.int_field("hidden_size", 1, kMaxDim);
  c.intermediate_size = r.int_field("intermediate_size", 1, kMaxDim);
  c.num_hidden_layers = r.int_field("num_hidden_layers", 1, 4096);
  c.num_attention_heads = r.int_field("num_attention_heads", 1, 4096);
  c.q_lora_rank = r.int_or("q_lora_rank", 0, 1, kMaxDim);
  c.kv_lora_rank = r.int_field("kv_lora_rank", 1, kMaxDim);
  c.qk_nope_head_dim = r.int_field("qk_nope_head_dim", 1, kMaxDim);
  c.qk_rope_head_dim = r.int_field("qk_rope_head_dim", 2, kMaxDim);
  if (c.qk_rope_head_dim % 2 != 0) r.fail("qk_rope_head_dim", "must be even (rotated in pairs)");
  c.v_head_dim = r.int_field("v_head_dim", 1, kMaxDim);
  c.n_routed_experts = r.int_or("n_routed_experts", 0, 1, 1 << 16);
  c.max_position_embeddings = r.int_field("max_position_embeddings", 1, 1 << 30);
  c.rms_norm_eps = r.double_or("rms_norm_eps", 1e-6, 0.0, 1.0);
  c.rope_theta = r.double_or("rope_theta", 10000.0, 1.0, 1e12);
  c.tie_word_embeddings = r.bool_or("tie_word_embeddings", false);
  c.num_nextn_predict_layers = r.int_or("num_nextn_predict_layers", 0, 0, 16);
  c.bos_token_id = r.int_or("bos_token_id", -1, 0, c.vocab_size - 1);
  if (const core::Json* eos = r.get("eos_token_id")) {
    if (eos->is_array()) {
      for (const auto& e : eos->as_array()) c.eos_token_ids.push_back(r.checked_int("eos_token_id", e, 0, c.vocab_size - 1));
    } else {
      c.eos_token_ids.push_back(r.checked_int("eos_token_id", *eos, 0, c.vocab_size - 1));
    }
  }

  if (c.n_routed_experts > 0) {
    c.moe_intermediate_size = r.int_field("moe_intermediate_size", 1, kMaxDim);
    c.n_shared_experts = r.int_or("n_shared_experts", 0, 0, 1024);
    c.num_experts_per_tok = r.int_field("num_experts_per_tok", 1, c.n_routed_experts);
    c.first_k_dense_replace = r.int_or("first_k_dense_replace", 0, 0, c.num_hidden_layers);
    c.moe_layer_freq = r.int_or("moe_layer_freq", 1, 1, c.num_hidden_layers);
    c.n_group = r.int_or("n_group", 1, 1, c.n_routed_experts);
    if (c.n_routed_experts % c.n_group != 0)
      r.fail("n_group", "must divide n_routed_experts (" + std::to_string(c.n_routed_experts) + ")");
    c.topk_group = r.int_or("topk_group", 1, 1, c.n_group);
    const bool v3 = c.arch == DeepseekArch::kV3;
    c.scoring_func = r.string_or("scoring_func", v3 ? "sigmoid" : "softmax", {"softmax", "sigmoid"});
    c.topk_method = r.string_or("topk_method", v3 ? "noaux_tc" : "greedy",
                                {"greedy", "group_limited_greedy", "noaux_tc"});
    if (c.topk_method == "noaux_tc" && c.scoring_func != "sigmoid")
      r.fail("topk_method", "noaux_tc needs scoring_func \"sigmoid\"");
    const int per_group = c.n_routed_experts / c.n_group;
    if (c.topk_method != "greedy" && c.num_experts_per_tok > c.topk_group * per_group)
      r.fail("num_experts_per_tok", "exceeds the experts in topk_group groups");
    if (c.topk_method == "noaux_tc" && c.n_group > 1 && per_group < 2)
      r.fail("n_group", "noaux_tc group scores need at least 2 experts per group");
    c.norm_topk_prob = r.bool_or("norm_topk_prob", false);
    c.routed_scaling_factor = r.double_or("routed_scaling_factor", 1.0, 0.0, 1e6);
  }

  if (const core::Json* rs = r.get("rope_scaling")) {
    if (!rs->is_object()) r.fail("rope_scaling", "expected an object or null");
    FieldReader s(*rs, source + ": rope_scaling");
    const core::Json* type = s.get("type");
    if (!type) type = s.get("rope_type");
    if (!type || !type->is_string()) s.fail("type", "missing");
    if (type->as_string() != "yarn") s.fail("type", "unsupported \"" + type->as_string() + "\" (expected yarn)");
    c.yarn.enabled = true;
    c.yarn.factor = s.double_or("factor", 1.0, 1.0, 1e6);
    c.yarn.original_max_position = s.int_or("original_max_position_embeddings", 4096, 1, 1 << 30);
    c.yarn.beta_fast = s.double_or("beta_fast", 32.0, 1e-6, 1e6);
    c.yarn.beta_slow = s.double_or("beta_slow", 1.0, 1e-6, 1e6);
    c.yarn.mscale = s.double_or("mscale", 1.0, 0.0, 1e3);
    c.yarn.mscale_all_dim = s.double_or("mscale_all_dim", 0.0, 0.0, 1e3);
  }
  return c;
}

ModelConfig load_model_config(const std::filesystem::path& config_json) {
  std::ifstream in(config_json, std::ios::binary);
  if (!in) throw std::runtime_error(config_json.string() + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  core::Json json;
  try {
    json = core::Json::parse(ss.str());
  } catch (const std::exception& e) {
    throw std::runtime_error(config_json.string() + ": " + e.what());
  }
  return parse_model_config(json, config_json.string());
}

}  // namespace warden::inference

// The engine against the independent PyTorch reference (tools/reference/deepseek_ref.py,
// naive MLA in float64) on synthetic checkpoints: V3-style (groups, q_lora, MTP layer)
// in bf16 and fp8, V2-Lite-style (direct q_proj, softmax gate, tied head) and a V2
// group_limited_greedy variant. Prompts of 1..300 tokens, then 32 greedy decode steps.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>

#include "inference/model_deepseek.h"
#include "model_test_support.h"

using namespace warden::inference;
using warden::core::Json;

namespace {

// f32 engine vs f64 reference on logits of unit scale.
constexpr float kLogitTolerance = 2e-3f;

struct Case {
  std::string key, arch, preset, dtype;
  Json overrides;
};

Json ids_json(const std::vector<TokenId>& ids) {
  Json a = Json::array();
  for (TokenId id : ids) a.push_back(id);
  return a;
}

float max_abs_diff(const float* a, const float* b, size_t n) {
  float m = 0.0f;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

void check_against_reference(const Case& c) {
  std::string why;
  if (!testing::reference_available(&why)) {
    WARN("skipping reference comparison: " << why);
    return;
  }
  const auto dir = testing::synth_model(c.key, c.arch, c.preset, c.dtype, c.overrides);
  ModelLoadOptions options;
  options.kv_cache_bytes = 64 << 20;
  auto model = load_model(dir, options);
  const int vocab = model->info().vocab_size;

  // Short prompts: every position's logits.
  const std::vector<int> short_lengths = {1, 2, 9};
  std::vector<Json> requests;
  std::vector<float> engine_short;
  SequenceId seq = 1;
  for (int len : short_lengths) {
    const auto ids = testing::random_ids(100 + len, len, vocab);
    std::vector<float> logits;
    StepItem item{seq, ids};
    model->forward_all_positions(std::span<const StepItem>(&item, 1), logits);
    model->release(seq++);
    engine_short.insert(engine_short.end(), logits.begin(), logits.end());
    Json r = Json::object();
    r.set("ids", ids_json(ids));
    requests.push_back(r);
  }

  // A 300-token prompt, then 32 greedy decode steps through the absorbed decode path.
  const int prompt_len = 300, steps = 32;
  std::vector<TokenId> sequence = testing::random_ids(7, prompt_len, vocab);
  std::vector<float> engine_long;
  std::vector<float> logits;
  StepItem prefill{seq, sequence};
  model->forward(std::span<const StepItem>(&prefill, 1), logits);
  engine_long.insert(engine_long.end(), logits.begin(), logits.end());
  for (int s = 0; s < steps; ++s) {
    const TokenId next = testing::argmax(logits.data(), vocab);
    sequence.push_back(next);
    StepItem step{seq, std::span<const TokenId>(&sequence.back(), 1)};
    model->forward(std::span<const StepItem>(&step, 1), logits);
    engine_long.insert(engine_long.end(), logits.begin(), logits.end());
  }
  REQUIRE(model->cached_tokens(seq) == prompt_len + steps);
  Json r = Json::object();
  r.set("ids", ids_json(sequence));
  r.set("logits_from", prompt_len - 1);
  requests.push_back(r);

  const std::vector<float> ref = testing::run_reference(dir, requests);
  REQUIRE(ref.size() == engine_short.size() + engine_long.size());
  const float short_diff = max_abs_diff(engine_short.data(), ref.data(), engine_short.size());
  const float* ref_long = ref.data() + engine_short.size();
  const float long_diff = max_abs_diff(engine_long.data(), ref_long, engine_long.size());
  std::printf("[model-ref] %-16s max|engine-ref| prompts<=9: %.3g, 300-token prefill + 32 decode: %.3g\n",
              c.key.c_str(), short_diff, long_diff);
  CHECK(short_diff <= kLogitTolerance);
  CHECK(long_diff <= kLogitTolerance);
  // Greedy continuation: the reference's argmax at every step is the token we chose.
  for (int s = 0; s < steps; ++s) {
    INFO("decode step " << s);
    REQUIRE(testing::argmax(ref_long + static_cast<size_t>(s) * vocab, vocab) == sequence[prompt_len + s]);
  }

  // Quantized compute formats against the same reference: bf16 is exact on a bf16
  // checkpoint (every stored value is a bf16) and rounds fp8*scale products otherwise;
  // int8 stays within its quantization error.
  for (WeightFormat format : {WeightFormat::kBF16, WeightFormat::kInt8}) {
    options.compute = format;
    auto qmodel = load_model(dir, options);
    std::vector<float> q_logits;
    StepItem item{1, sequence};
    qmodel->forward(std::span<const StepItem>(&item, 1), q_logits);
    const float* ref_last = ref_long + static_cast<size_t>(steps) * vocab;
    double err2 = 0, ref2 = 0;
    for (int k = 0; k < vocab; ++k) {
      err2 += std::pow(q_logits[k] - ref_last[k], 2);
      ref2 += std::pow(ref_last[k], 2);
    }
    const double rel = std::sqrt(err2 / ref2);
    std::printf("[model-ref] %-16s compute %s: relative RMS error %.3g, max abs %.3g\n", c.key.c_str(),
                warden::kernels::weight_format_name(format), rel, max_abs_diff(q_logits.data(), ref_last, vocab));
    if (format == WeightFormat::kBF16 && c.dtype == "bf16")
      CHECK(max_abs_diff(q_logits.data(), ref_last, vocab) <= kLogitTolerance);
    else if (format == WeightFormat::kBF16)
      CHECK(rel <= 0.02);
    else
      CHECK(rel <= 0.05);
  }
}

}  // namespace

TEST_CASE("model vs reference: V3 tiny, bf16 weights", "[model][reference]") {
  check_against_reference({"v3-bf16", "v3", "tiny-v3", "bf16", Json()});
}

TEST_CASE("model vs reference: V3 tiny, fp8 block-scaled weights", "[model][reference]") {
  check_against_reference({"v3-fp8", "v3", "tiny-v3", "fp8", Json()});
}

TEST_CASE("model vs reference: V2-Lite style tiny, bf16", "[model][reference]") {
  check_against_reference({"v2-bf16", "v2", "tiny-v2", "bf16", Json()});
}

TEST_CASE("model vs reference: V2 group_limited_greedy with scaling", "[model][reference]") {
  Json o = Json::object();
  o.set("topk_method", "group_limited_greedy");
  o.set("n_group", 4);
  o.set("topk_group", 2);
  o.set("routed_scaling_factor", 16.0);
  o.set("tie_word_embeddings", false);
  check_against_reference({"v2-grouped", "v2", "tiny-v2", "bf16", o});
}

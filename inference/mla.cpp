#include "inference/mla.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/matmul.h"
#include "kernels/cpu/rms_norm.h"
#include "kernels/cpu/thread_pool.h"
#include "kernels/cpu/vec_ops.h"

namespace warden::inference {

void MlaAttention::forward(const MlaWeights& w, int layer, const float* x, const StepTokens& tokens,
                           float* out) const {
  const ModelConfig& c = config_;
  const int T = tokens.count();
  const int H = c.num_attention_heads, dn = c.qk_nope_head_dim, dr = c.qk_rope_head_dim;
  const int dc = c.kv_lora_rank, dv = c.v_head_dim, dq = dn + dr, entry = dc + dr;
  const float eps = static_cast<float>(c.rms_norm_eps);

  // Queries: [T, H*dq].
  std::vector<float> q(static_cast<size_t>(T) * H * dq);
  if (c.q_lora_rank > 0) {
    std::vector<float> qa(static_cast<size_t>(T) * c.q_lora_rank);  // [T, q_lora_rank]
    kernels::matmul(w.q_a, x, T, qa.data());
    kernels::rms_norm(qa.data(), w.q_a_norm.data(), T, c.q_lora_rank, eps, qa.data());
    kernels::matmul(w.q_b, qa.data(), T, q.data());
  } else {
    kernels::matmul(w.q_b, x, T, q.data());
  }

  // Latent + rope key, normalized/roped and stored in the cache: [T, dc + dr].
  std::vector<float> kv(static_cast<size_t>(T) * entry), cached(entry);
  kernels::matmul(w.kv_a, x, T, kv.data());
  for (int t = 0; t < T; ++t) {
    float* row = kv.data() + static_cast<size_t>(t) * entry;
    kernels::rms_norm(row, w.kv_a_norm.data(), 1, dc, eps, cached.data());
    std::copy(row + dc, row + entry, cached.data() + dc);
    rope_.apply(cached.data() + dc, tokens.positions[t]);
    cache_.store(cache_.entry_in(*tokens.page_table[t], layer, tokens.positions[t]), cached.data());
  }

  // Absorbed queries [T, H, dc + dr]: q̃ = W_UKᵀ q_nope, then the roped q_pe.
  std::vector<float> q_abs(static_cast<size_t>(T) * H * entry);
  {
    std::vector<float> q_nope(static_cast<size_t>(T) * dn), q_lat(static_cast<size_t>(T) * dc);
    for (int h = 0; h < H; ++h) {
      for (int t = 0; t < T; ++t)
        std::copy_n(q.data() + (static_cast<size_t>(t) * H + h) * dq, dn, q_nope.data() + static_cast<size_t>(t) * dn);
      kernels::matmul(w.uk_t[h], q_nope.data(), T, q_lat.data());
      for (int t = 0; t < T; ++t) {
        float* dst = q_abs.data() + (static_cast<size_t>(t) * H + h) * entry;
        std::copy_n(q_lat.data() + static_cast<size_t>(t) * dc, dc, dst);
        std::copy_n(q.data() + (static_cast<size_t>(t) * H + h) * dq + dn, dr, dst + dc);
        rope_.apply(dst + dc, tokens.positions[t]);
      }
    }
  }

  // Scores over the cache and the weighted latent sum u: [T, H, dc].
  // The cache holds f32 or bf16 values; the loops are the same, only the loads differ.
  const float scale = static_cast<float>(c.softmax_scale());
  const bool bf16_cache = cache_.dtype() == KvCacheDtype::kBF16;
  auto dot_entry = [&](const float* q_row, const std::byte* e) {
    return bf16_cache ? kernels::vec_dot_bf16(q_row, reinterpret_cast<const uint16_t*>(e), entry)
                      : kernels::vec_dot(q_row, reinterpret_cast<const float*>(e), entry);
  };
  auto add_latent = [&](float weight, const std::byte* e, float* acc) {
    if (bf16_cache) kernels::vec_axpy_bf16(weight, reinterpret_cast<const uint16_t*>(e), acc, dc);
    else kernels::vec_axpy(weight, reinterpret_cast<const float*>(e), acc, dc);
  };
  std::vector<float> u(static_cast<size_t>(T) * H * dc, 0.0f);
  kernels::default_pool().parallel_for(T * H, 1, [&](int begin, int end) {
    std::vector<float> scores;
    for (int i = begin; i < end; ++i) {
      const int t = i / H;
      const int n = tokens.positions[t] + 1;
      const auto& pages = *tokens.page_table[t];
      const float* qi = q_abs.data() + static_cast<size_t>(i) * entry;
      scores.resize(n);
      float max_score = -INFINITY;
      for (int s = 0; s < n; ++s) {
        scores[s] = scale * dot_entry(qi, cache_.entry_in(pages, layer, s));
        max_score = std::max(max_score, scores[s]);
      }
      double sum = 0.0;
      for (int s = 0; s < n; ++s) {
        scores[s] = std::exp(scores[s] - max_score);
        sum += scores[s];
      }
      const float inv = static_cast<float>(1.0 / sum);
      float* ui = u.data() + static_cast<size_t>(i) * dc;
      for (int s = 0; s < n; ++s) add_latent(scores[s] * inv, cache_.entry_in(pages, layer, s), ui);
    }
  });

  // Per-head value up-projection o^h = W_UV^h u^h into [T, H*dv], then o_proj.
  std::vector<float> heads_out(static_cast<size_t>(T) * H * dv);
  {
    std::vector<float> u_h(static_cast<size_t>(T) * dc), o_h(static_cast<size_t>(T) * dv);
    for (int h = 0; h < H; ++h) {
      for (int t = 0; t < T; ++t)
        std::copy_n(u.data() + (static_cast<size_t>(t) * H + h) * dc, dc, u_h.data() + static_cast<size_t>(t) * dc);
      kernels::matmul(w.uv[h], u_h.data(), T, o_h.data());
      for (int t = 0; t < T; ++t)
        std::copy_n(o_h.data() + static_cast<size_t>(t) * dv, dv, heads_out.data() + (static_cast<size_t>(t) * H + h) * dv);
    }
  }
  kernels::matmul(w.o, heads_out.data(), T, out);
}

}  // namespace warden::inference

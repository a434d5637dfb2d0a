// Micro-benchmark of the small CPU kernels the model calls per token: silu_mul (SwiGLU
// combine) per backend, and attention over an f32 vs a bf16 latent cache (dot of a query
// with every cached entry, then the weighted sum of the latents). Best of several passes,
// so a busy machine shows the code's speed rather than the neighbours'.
//   usage: model_kernels_bench [--positions N] [--reps N]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/cpu/backend.h"
#include "kernels/cpu/vec_ops.h"
#include "kernels/cpu/weight_matrix.h"

using namespace warden::kernels;
using Clock = std::chrono::steady_clock;

namespace {

template <typename F>
double best_seconds(int reps, F&& body) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto start = Clock::now();
    body();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return best;
}

volatile float g_sink = 0.0f;

}  // namespace

int main(int argc, char** argv) {
  int positions = 4096, reps = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--positions")) positions = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--reps")) reps = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: model_kernels_bench [--positions N] [--reps N]\n");
      return 2;
    }
  }
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 2.0f);

  // silu_mul over one token's expert activations: small-1b runs 8 routed experts + the
  // shared one of width 512 per MoE layer, i.e. ~4.6K values; use 8 x 512 and a long row.
  for (int n : {512, 4608, 65536}) {
    std::vector<float> gate(n), up(n), out(n);
    for (int i = 0; i < n; ++i) gate[i] = normal(rng), up[i] = normal(rng);
    for (Backend b : available_backends()) {
      const double s = best_seconds(reps, [&] {
        for (int k = 0; k < 20; ++k) silu_mul(gate.data(), up.data(), out.data(), n, b);
        g_sink = g_sink + out[n / 2];
      });
      std::printf("{\"op\":\"silu_mul\",\"backend\":\"%s\",\"n\":%d,\"ns_per_value\":%.3f}\n", backend_name(b), n,
                  s / 20 / n * 1e9);
    }
  }

  // One head's attention over `positions` cached entries of 576 values (V3: 512 + 64).
  const int entry = 576, latent = 512;
  std::vector<float> cache_f32(static_cast<size_t>(positions) * entry), query(entry), acc(latent), scores(positions);
  std::vector<uint16_t> cache_bf16(cache_f32.size());
  for (size_t i = 0; i < cache_f32.size(); ++i) {
    cache_f32[i] = normal(rng);
    cache_bf16[i] = f32_to_bf16(cache_f32[i]);
  }
  for (auto& q : query) q = normal(rng);
  const Backend b = active_backend();
  for (const char* dtype : {"f32", "bf16"}) {
    const bool bf16 = dtype[0] == 'b';
    const double s = best_seconds(reps, [&] {
      for (int p = 0; p < positions; ++p)
        scores[p] = bf16 ? vec_dot_bf16(query.data(), cache_bf16.data() + static_cast<size_t>(p) * entry, entry, b)
                         : vec_dot(query.data(), cache_f32.data() + static_cast<size_t>(p) * entry, entry, b);
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int p = 0; p < positions; ++p) {
        if (bf16) vec_axpy_bf16(1e-3f * scores[p], cache_bf16.data() + static_cast<size_t>(p) * entry, acc.data(), latent, b);
        else vec_axpy(1e-3f * scores[p], cache_f32.data() + static_cast<size_t>(p) * entry, acc.data(), latent, b);
      }
      g_sink = g_sink + acc[3];
    });
    const double bytes = static_cast<double>(positions) * (entry + latent) * (bf16 ? 2 : 4);
    std::printf("{\"op\":\"attention_head\",\"cache\":\"%s\",\"backend\":\"%s\",\"positions\":%d,\"us\":%.1f,"
                "\"cache_bytes_read_gb_per_s\":%.2f}\n",
                dtype, backend_name(b), positions, s * 1e6, bytes / s / 1e9);
  }
  return 0;
}

#include "kernels/cpu/rms_norm.h"

#include <immintrin.h>

// GCC 12 warns spuriously inside _mm512_reduce_add_ps (an intentionally undefined lane).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <cmath>

namespace warden::kernels {
namespace {

// Sum of squares is accumulated in double in the reference so it is the exact yardstick.
void rms_norm_row_scalar(const float* x, const float* weight, int dim, float eps, float* y) {
  double sum = 0.0;
  for (int k = 0; k < dim; ++k) sum += static_cast<double>(x[k]) * x[k];
  const float inv = static_cast<float>(1.0 / std::sqrt(sum / dim + eps));
  for (int k = 0; k < dim; ++k) y[k] = weight[k] * (x[k] * inv);
}

__attribute__((target("avx2,fma"))) void rms_norm_row_avx2(const float* x, const float* weight,
                                                           int dim, float eps, float* y) {
  __m256 acc = _mm256_setzero_ps();
  int k = 0;
  for (; k + 8 <= dim; k += 8) {
    __m256 v = _mm256_loadu_ps(x + k);
    acc = _mm256_fmadd_ps(v, v, acc);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  double sum = 0.0;
  for (float l : lanes) sum += l;
  for (; k < dim; ++k) sum += static_cast<double>(x[k]) * x[k];
  const float inv = static_cast<float>(1.0 / std::sqrt(sum / dim + eps));
  const __m256 vinv = _mm256_set1_ps(inv);
  k = 0;
  for (; k + 8 <= dim; k += 8) {
    __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + k), vinv);
    _mm256_storeu_ps(y + k, _mm256_mul_ps(_mm256_loadu_ps(weight + k), v));
  }
  for (; k < dim; ++k) y[k] = weight[k] * (x[k] * inv);
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void rms_norm_row_avx512(
    const float* x, const float* weight, int dim, float eps, float* y) {
  __m512 acc = _mm512_setzero_ps();
  int k = 0;
  for (; k + 16 <= dim; k += 16) {
    __m512 v = _mm512_loadu_ps(x + k);
    acc = _mm512_fmadd_ps(v, v, acc);
  }
  double sum = _mm512_reduce_add_ps(acc);
  for (; k < dim; ++k) sum += static_cast<double>(x[k]) * x[k];
  const float inv = static_cast<float>(1.0 / std::sqrt(sum / dim + eps));
  const __m512 vinv = _mm512_set1_ps(inv);
  k = 0;
  for (; k + 16 <= dim; k += 16) {
    __m512 v = _mm512_mul_ps(_mm512_loadu_ps(x + k), vinv);
    _mm512_storeu_ps(y + k, _mm512_mul_ps(_mm512_loadu_ps(weight + k), v));
  }
  for (; k < dim; ++k) y[k] = weight[k] * (x[k] * inv);
}

}  // namespace

void rms_norm(const float* x, const float* weight, int n, int dim, float eps, float* y) {
  rms_norm(x, weight, n, dim, eps, y, active_backend());
}

void rms_norm(const float* x, const float* weight, int n, int dim, float eps, float* y,
              Backend backend) {
  auto row = backend == Backend::kAvx512 ? rms_norm_row_avx512
             : backend == Backend::kAvx2 ? rms_norm_row_avx2
                                         : rms_norm_row_scalar;
  for (int t = 0; t < n; ++t) {
    const size_t off = static_cast<size_t>(t) * dim;
    row(x + off, weight, dim, eps, y + off);
  }
}

}  // namespace warden::kernels

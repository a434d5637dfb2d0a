#include "kernels/cpu/vec_ops.h"

#include <immintrin.h>

#include "kernels/cpu/matmul.h"

namespace warden::kernels {
namespace {

void axpy_scalar(float alpha, const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] += alpha * x[i];
}

__attribute__((target("avx2,fma"))) void axpy_avx2(float alpha, const float* x, float* y, int n) {
  const __m256 a = _mm256_set1_ps(alpha);
  int i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(a, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += alpha * x[i];
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void axpy_avx512(float alpha, const float* x,
                                                                      float* y, int n) {
  const __m512 a = _mm512_set1_ps(alpha);
  int i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(a, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += alpha * x[i];
}

}  // namespace

float vec_dot(const float* a, const float* b, int n) { return vec_dot(a, b, n, active_backend()); }

float vec_dot(const float* a, const float* b, int n, Backend backend) {
  float out = 0.0f;
  switch (backend) {
    case Backend::kAvx512: detail::rows_f32_avx512(a, b, 0, 1, n, &out); break;
    case Backend::kAvx2: detail::rows_f32_avx2(a, b, 0, 1, n, &out); break;
    case Backend::kScalar: detail::rows_f32_scalar(a, b, 0, 1, n, &out); break;
  }
  return out;
}

void vec_axpy(float alpha, const float* x, float* y, int n) {
  vec_axpy(alpha, x, y, n, active_backend());
}

void vec_axpy(float alpha, const float* x, float* y, int n, Backend backend) {
  switch (backend) {
    case Backend::kAvx512: return axpy_avx512(alpha, x, y, n);
    case Backend::kAvx2: return axpy_avx2(alpha, x, y, n);
    case Backend::kScalar: break;
  }
  axpy_scalar(alpha, x, y, n);
}

}  // namespace warden::kernels

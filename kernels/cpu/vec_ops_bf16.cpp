// Dot and axpy against bf16 vectors: attention over a latent KV cache stored in bf16
// (scores q·[ĉ | k_r] and the weighted sum of ĉ). Values widen exactly to f32 (bf16 is
// the top half of an f32), so only the f32 accumulation differs between backends.
#include <immintrin.h>

// GCC 12 warns spuriously inside the AVX-512 intrinsics (an intentionally undefined lane).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "kernels/cpu/matmul.h"
#include "kernels/cpu/vec_ops.h"

namespace warden::kernels {
namespace {

void axpy_bf16_scalar(float alpha, const uint16_t* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] += alpha * bf16_to_f32(x[i]);
}

__attribute__((target("avx2,fma"))) void axpy_bf16_avx2(float alpha, const uint16_t* x, float* y, int n) {
  const __m256 a = _mm256_set1_ps(alpha);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i)));
    const __m256 xv = _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(a, xv, _mm256_loadu_ps(y + i)));
  }
  for (; i < n; ++i) y[i] += alpha * bf16_to_f32(x[i]);
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void axpy_bf16_avx512(float alpha, const uint16_t* x,
                                                                           float* y, int n) {
  const __m512 a = _mm512_set1_ps(alpha);
  for (int i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512i wide = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, x + i));
    const __m512 xv = _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
    _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(a, xv, _mm512_maskz_loadu_ps(m, y + i)));
  }
}

}  // namespace

float vec_dot_bf16(const float* a, const uint16_t* x, int n) { return vec_dot_bf16(a, x, n, active_backend()); }

float vec_dot_bf16(const float* a, const uint16_t* x, int n, Backend backend) {
  // The matmul row kernels compute exactly this (one bf16 row against one f32 vector).
  float out = 0.0f;
  switch (backend) {
    case Backend::kAvx512: detail::rows_bf16_avx512(x, a, 0, 1, n, &out); break;
    case Backend::kAvx2: detail::rows_bf16_avx2(x, a, 0, 1, n, &out); break;
    case Backend::kScalar: detail::rows_bf16_scalar(x, a, 0, 1, n, &out); break;
  }
  return out;
}

void vec_axpy_bf16(float alpha, const uint16_t* x, float* y, int n) {
  vec_axpy_bf16(alpha, x, y, n, active_backend());
}

void vec_axpy_bf16(float alpha, const uint16_t* x, float* y, int n, Backend backend) {
  switch (backend) {
    case Backend::kAvx512: return axpy_bf16_avx512(alpha, x, y, n);
    case Backend::kAvx2: return axpy_bf16_avx2(alpha, x, y, n);
    case Backend::kScalar: break;
  }
  axpy_bf16_scalar(alpha, x, y, n);
}

}  // namespace warden::kernels

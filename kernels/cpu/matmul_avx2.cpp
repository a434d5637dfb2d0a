// AVX2 + FMA row dots. Compiled with per-function target attributes so the library
// builds without -mavx2; only called after the runtime check in backend.cpp. Same
// one-row-against-NT-activations shape as matmul_avx512.cpp.
#include <immintrin.h>

#include "kernels/cpu/matmul.h"

#define WARDEN_AVX2 __attribute__((target("avx2,fma")))

namespace warden::kernels::detail {
namespace {

WARDEN_AVX2 inline float hsum256(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

WARDEN_AVX2 inline __m256 load_bf16x8(const uint16_t* p) {
  __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

WARDEN_AVX2 inline __m256 load_i8x8(const int8_t* p) {
  __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes));
}

template <int NT>
WARDEN_AVX2 void f32_rows(const float* w, const float* x, size_t xs, int cols, float* out) {
  __m256 a0[NT], a1[NT];
  for (int i = 0; i < NT; ++i) a0[i] = a1[i] = _mm256_setzero_ps();
  int k = 0;
  for (; k + 16 <= cols; k += 16) {
    const __m256 w0 = _mm256_loadu_ps(w + k), w1 = _mm256_loadu_ps(w + k + 8);
    for (int i = 0; i < NT; ++i) {
      a0[i] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + i * xs + k), a0[i]);
      a1[i] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + i * xs + k + 8), a1[i]);
    }
  }
  for (int i = 0; i < NT; ++i) {
    float acc = hsum256(_mm256_add_ps(a0[i], a1[i]));
    for (int j = k; j < cols; ++j) acc += w[j] * x[i * xs + j];
    out[i] = acc;
  }
}

template <int NT>
WARDEN_AVX2 void bf16_rows(const uint16_t* w, const float* x, size_t xs, int cols, float* out) {
  __m256 a0[NT], a1[NT];
  for (int i = 0; i < NT; ++i) a0[i] = a1[i] = _mm256_setzero_ps();
  int k = 0;
  for (; k + 16 <= cols; k += 16) {
    const __m256 w0 = load_bf16x8(w + k), w1 = load_bf16x8(w + k + 8);
    for (int i = 0; i < NT; ++i) {
      a0[i] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + i * xs + k), a0[i]);
      a1[i] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + i * xs + k + 8), a1[i]);
    }
  }
  for (int i = 0; i < NT; ++i) {
    float acc = hsum256(_mm256_add_ps(a0[i], a1[i]));
    for (int j = k; j < cols; ++j) acc += bf16_to_f32(w[j]) * x[i * xs + j];
    out[i] = acc;
  }
}

template <int NT>
WARDEN_AVX2 void q8_rows(const int8_t* w, const float* scales, const float* x, size_t xs, int cols, float* out) {
  __m256 total[NT];
  for (int i = 0; i < NT; ++i) total[i] = _mm256_setzero_ps();
  const int full_blocks = cols / kInt8BlockSize;
  for (int b = 0; b < full_blocks; ++b) {
    const int k = b * kInt8BlockSize;
    const __m256 w0 = load_i8x8(w + k), w1 = load_i8x8(w + k + 8);
    const __m256 w2 = load_i8x8(w + k + 16), w3 = load_i8x8(w + k + 24);
    const __m256 s = _mm256_set1_ps(scales[b]);
    for (int i = 0; i < NT; ++i) {
      const float* xi = x + i * xs + k;
      __m256 block = _mm256_mul_ps(w0, _mm256_loadu_ps(xi));
      block = _mm256_fmadd_ps(w1, _mm256_loadu_ps(xi + 8), block);
      block = _mm256_fmadd_ps(w2, _mm256_loadu_ps(xi + 16), block);
      block = _mm256_fmadd_ps(w3, _mm256_loadu_ps(xi + 24), block);
      total[i] = _mm256_fmadd_ps(block, s, total[i]);
    }
  }
  const int tail = full_blocks * kInt8BlockSize;
  for (int i = 0; i < NT; ++i) {
    float acc = hsum256(total[i]);
    if (tail < cols) {
      float block = 0.0f;
      for (int k = tail; k < cols; ++k) block += static_cast<float>(w[k]) * x[i * xs + k];
      acc += block * scales[full_blocks];
    }
    out[i] = acc;
  }
}

}  // namespace

void rows_f32_avx2(const float* w, const float* x, size_t xs, int nt, int cols, float* out) {
  switch (nt) {
    case 1: return f32_rows<1>(w, x, xs, cols, out);
    case 2: return f32_rows<2>(w, x, xs, cols, out);
    case 3: return f32_rows<3>(w, x, xs, cols, out);
    default: return f32_rows<4>(w, x, xs, cols, out);
  }
}

void rows_bf16_avx2(const uint16_t* w, const float* x, size_t xs, int nt, int cols, float* out) {
  switch (nt) {
    case 1: return bf16_rows<1>(w, x, xs, cols, out);
    case 2: return bf16_rows<2>(w, x, xs, cols, out);
    case 3: return bf16_rows<3>(w, x, xs, cols, out);
    default: return bf16_rows<4>(w, x, xs, cols, out);
  }
}

void rows_q8_avx2(const int8_t* w, const float* scales, const float* x, size_t xs, int nt, int cols, float* out) {
  switch (nt) {
    case 1: return q8_rows<1>(w, scales, x, xs, cols, out);
    case 2: return q8_rows<2>(w, scales, x, xs, cols, out);
    case 3: return q8_rows<3>(w, scales, x, xs, cols, out);
    default: return q8_rows<4>(w, scales, x, xs, cols, out);
  }
}

}  // namespace warden::kernels::detail

// AVX-512 (F, BW, VL) row dots; see matmul_avx2.cpp for why target attributes.
// Each kernel takes one weight row against NT activation rows: the row is loaded and
// converted once and used NT times (prefill, batched decode). Per activation row the
// instruction sequence does not depend on NT, so results are bit-identical for any NT.
#include <immintrin.h>

// GCC 12 warns spuriously inside _mm512_reduce_add_ps (an intentionally undefined lane).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "kernels/cpu/matmul.h"

#define WARDEN_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

namespace warden::kernels::detail {
namespace {

WARDEN_AVX512 inline __m512 load_bf16x16(const uint16_t* p) {
  __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
}

WARDEN_AVX512 inline __m512 load_i8x16(const int8_t* p) {
  __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytes));
}

template <int NT>
WARDEN_AVX512 void f32_rows(const float* w, const float* x, size_t xs, int cols, float* out) {
  __m512 a0[NT], a1[NT];
  for (int i = 0; i < NT; ++i) a0[i] = a1[i] = _mm512_setzero_ps();
  int k = 0;
  for (; k + 32 <= cols; k += 32) {
    const __m512 w0 = _mm512_loadu_ps(w + k), w1 = _mm512_loadu_ps(w + k + 16);
    for (int i = 0; i < NT; ++i) {
      a0[i] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + i * xs + k), a0[i]);
      a1[i] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + i * xs + k + 16), a1[i]);
    }
  }
  if (k + 16 <= cols) {
    const __m512 w0 = _mm512_loadu_ps(w + k);
    for (int i = 0; i < NT; ++i) a0[i] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + i * xs + k), a0[i]);
    k += 16;
  }
  if (k < cols) {
    const __mmask16 m = static_cast<__mmask16>((1u << (cols - k)) - 1);
    const __m512 w0 = _mm512_maskz_loadu_ps(m, w + k);
    for (int i = 0; i < NT; ++i) a1[i] = _mm512_fmadd_ps(w0, _mm512_maskz_loadu_ps(m, x + i * xs + k), a1[i]);
  }
  for (int i = 0; i < NT; ++i) out[i] = _mm512_reduce_add_ps(_mm512_add_ps(a0[i], a1[i]));
}

template <int NT>
WARDEN_AVX512 void bf16_rows(const uint16_t* w, const float* x, size_t xs, int cols, float* out) {
  __m512 a0[NT], a1[NT];
  for (int i = 0; i < NT; ++i) a0[i] = a1[i] = _mm512_setzero_ps();
  int k = 0;
  for (; k + 32 <= cols; k += 32) {
    const __m512 w0 = load_bf16x16(w + k), w1 = load_bf16x16(w + k + 16);
    for (int i = 0; i < NT; ++i) {
      a0[i] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + i * xs + k), a0[i]);
      a1[i] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + i * xs + k + 16), a1[i]);
    }
  }
  for (int i = 0; i < NT; ++i) {
    float acc = _mm512_reduce_add_ps(_mm512_add_ps(a0[i], a1[i]));
    for (int j = k; j < cols; ++j) acc += bf16_to_f32(w[j]) * x[i * xs + j];
    out[i] = acc;
  }
}

template <int NT>
WARDEN_AVX512 void q8_rows(const int8_t* w, const float* scales, const float* x, size_t xs, int cols, float* out) {
  __m512 t0[NT], t1[NT];
  for (int i = 0; i < NT; ++i) t0[i] = t1[i] = _mm512_setzero_ps();
  const int full_blocks = cols / kInt8BlockSize;
  int b = 0;
  for (; b + 2 <= full_blocks; b += 2) {
    const int k = b * kInt8BlockSize;
    const __m512 w0 = load_i8x16(w + k), w1 = load_i8x16(w + k + 16);
    const __m512 w2 = load_i8x16(w + k + 32), w3 = load_i8x16(w + k + 48);
    const __m512 s0 = _mm512_set1_ps(scales[b]), s1 = _mm512_set1_ps(scales[b + 1]);
    for (int i = 0; i < NT; ++i) {
      const float* xi = x + i * xs + k;
      __m512 b0 = _mm512_mul_ps(w0, _mm512_loadu_ps(xi));
      b0 = _mm512_fmadd_ps(w1, _mm512_loadu_ps(xi + 16), b0);
      __m512 b1 = _mm512_mul_ps(w2, _mm512_loadu_ps(xi + 32));
      b1 = _mm512_fmadd_ps(w3, _mm512_loadu_ps(xi + 48), b1);
      t0[i] = _mm512_fmadd_ps(b0, s0, t0[i]);
      t1[i] = _mm512_fmadd_ps(b1, s1, t1[i]);
    }
  }
  if (b < full_blocks) {
    const int k = b * kInt8BlockSize;
    const __m512 w0 = load_i8x16(w + k), w1 = load_i8x16(w + k + 16);
    const __m512 s0 = _mm512_set1_ps(scales[b]);
    for (int i = 0; i < NT; ++i) {
      const float* xi = x + i * xs + k;
      __m512 b0 = _mm512_mul_ps(w0, _mm512_loadu_ps(xi));
      b0 = _mm512_fmadd_ps(w1, _mm512_loadu_ps(xi + 16), b0);
      t0[i] = _mm512_fmadd_ps(b0, s0, t0[i]);
    }
  }
  const int tail = full_blocks * kInt8BlockSize;
  for (int i = 0; i < NT; ++i) {
    float acc = _mm512_reduce_add_ps(_mm512_add_ps(t0[i], t1[i]));
    if (tail < cols) {
      float block = 0.0f;
      for (int k = tail; k < cols; ++k) block += static_cast<float>(w[k]) * x[i * xs + k];
      acc += block * scales[full_blocks];
    }
    out[i] = acc;
  }
}

}  // namespace

void rows_f32_avx512(const float* w, const float* x, size_t xs, int nt, int cols, float* out) {
  switch (nt) {
    case 1: return f32_rows<1>(w, x, xs, cols, out);
    case 2: return f32_rows<2>(w, x, xs, cols, out);
    case 3: return f32_rows<3>(w, x, xs, cols, out);
    default: return f32_rows<4>(w, x, xs, cols, out);
  }
}

void rows_bf16_avx512(const uint16_t* w, const float* x, size_t xs, int nt, int cols, float* out) {
  switch (nt) {
    case 1: return bf16_rows<1>(w, x, xs, cols, out);
    case 2: return bf16_rows<2>(w, x, xs, cols, out);
    case 3: return bf16_rows<3>(w, x, xs, cols, out);
    default: return bf16_rows<4>(w, x, xs, cols, out);
  }
}

void rows_q8_avx512(const int8_t* w, const float* scales, const float* x, size_t xs, int nt, int cols, float* out) {
  switch (nt) {
    case 1: return q8_rows<1>(w, scales, x, xs, cols, out);
    case 2: return q8_rows<2>(w, scales, x, xs, cols, out);
    case 3: return q8_rows<3>(w, scales, x, xs, cols, out);
    default: return q8_rows<4>(w, scales, x, xs, cols, out);
  }
}

}  // namespace warden::kernels::detail

// SwiGLU combine out[i] = silu(gate[i]) * up[i], silu(v) = v / (1 + exp(-v)), per backend.
//
// The SIMD versions evaluate exp with their own range reduction and polynomial
// (exp(x) = 2^n * e^r, |r| <= ln2/2, e^r = 1 + r + r^2 P(r) with the classic Cephes expf
// coefficients), a couple of ulp from expf;
// arguments are clamped to the range where 2^n is a normal float, so a very negative gate
// gives a tiny negative number where the scalar path gives -0. Both vector widths use the
// same constants and operation order, so AVX2 and AVX-512 agree bit for bit.
#include <immintrin.h>

// GCC 12 warns spuriously inside the AVX-512 intrinsics (an intentionally undefined lane).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <cmath>

#include "kernels/cpu/vec_ops.h"

namespace warden::kernels {
namespace {

// Clamp bounds, ln2 split in two for an exact reduction, and P's coefficients.
constexpr float kExpHi = 88.3762626647949f;
constexpr float kExpLo = -87.3365478515625f;  // 2^n stays a normal float above this
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;
constexpr float kLn2Lo = -2.12194440e-4f;
constexpr float kP0 = 1.9875691500e-4f;
constexpr float kP1 = 1.3981999507e-3f;
constexpr float kP2 = 8.3334519073e-3f;
constexpr float kP3 = 4.1665795894e-2f;
constexpr float kP4 = 1.6666665459e-1f;
constexpr float kP5 = 5.0000001201e-1f;

void silu_mul_scalar(const float* gate, const float* up, float* out, int n) {
  for (int i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

__attribute__((target("avx2,fma"))) inline __m256 exp_avx2(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(kExpLo)), _mm256_set1_ps(kExpHi));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_set1_ps(kP0);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP1));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP5));
  const __m256 r2 = _mm256_mul_ps(r, r);
  p = _mm256_fmadd_ps(p, r2, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // 2^n through the exponent field; n is in [-126, 127] after the clamp.
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

__attribute__((target("avx2,fma"))) void silu_mul_avx2(const float* gate, const float* up, float* out, int n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 zero = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = exp_avx2(_mm256_sub_ps(zero, g));
    const __m256 s = _mm256_div_ps(g, _mm256_add_ps(one, e));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(s, _mm256_loadu_ps(up + i)));
  }
  if (i < n) {
    // Tail through the same vector code so every element gets the same arithmetic.
    alignas(32) float g_tail[8] = {}, u_tail[8] = {}, o_tail[8];
    for (int k = 0; k < n - i; ++k) g_tail[k] = gate[i + k], u_tail[k] = up[i + k];
    const __m256 g = _mm256_load_ps(g_tail);
    const __m256 e = exp_avx2(_mm256_sub_ps(zero, g));
    _mm256_store_ps(o_tail, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_load_ps(u_tail)));
    for (int k = 0; k < n - i; ++k) out[i + k] = o_tail[k];
  }
}

#define WARDEN_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

WARDEN_AVX512 inline __m512 exp_avx512(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(kExpLo)), _mm512_set1_ps(kExpHi));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), r);
  __m512 p = _mm512_set1_ps(kP0);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP1));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP5));
  const __m512 r2 = _mm512_mul_ps(r, r);
  p = _mm512_fmadd_ps(p, r2, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
}

WARDEN_AVX512 void silu_mul_avx512(const float* gate, const float* up, float* out, int n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  int i = 0;
  for (; i < n; i += 16) {
    // Masked loads and stores cover the tail with the same arithmetic.
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
    const __m512 e = exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), g));
    const __m512 s = _mm512_div_ps(g, _mm512_add_ps(one, e));
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(s, _mm512_maskz_loadu_ps(m, up + i)));
  }
}

}  // namespace

void silu_mul(const float* gate, const float* up, float* out, int n) {
  silu_mul(gate, up, out, n, active_backend());
}

void silu_mul(const float* gate, const float* up, float* out, int n, Backend backend) {
  switch (backend) {
    case Backend::kAvx512: return silu_mul_avx512(gate, up, out, n);
    case Backend::kAvx2: return silu_mul_avx2(gate, up, out, n);
    case Backend::kScalar: break;
  }
  silu_mul_scalar(gate, up, out, n);
}

}  // namespace warden::kernels

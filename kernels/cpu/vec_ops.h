// Small vector ops used by attention (score dots, weighted sums of the latent
// cache) and the residual stream.
#pragma once

#include <cstdint>

#include "kernels/cpu/backend.h"

namespace warden::kernels {

float vec_dot(const float* a, const float* b, int n);
float vec_dot(const float* a, const float* b, int n, Backend backend);
// y += alpha * x
void vec_axpy(float alpha, const float* x, float* y, int n);
void vec_axpy(float alpha, const float* x, float* y, int n, Backend backend);
// SwiGLU combine: out[i] = silu(gate[i]) * up[i], silu(v) = v / (1 + exp(-v))
// (silu_mul.cpp). The AVX2 / AVX-512 versions use their own exp, within a few ulp of the
// scalar reference (see kernels_test.cpp for the bound).
void silu_mul(const float* gate, const float* up, float* out, int n);
void silu_mul(const float* gate, const float* up, float* out, int n, Backend backend);

// Attention over a bf16 latent cache (vec_ops_bf16.cpp): x holds bf16 bit patterns.
// dot(a, x) with a in f32, accumulated in f32.
float vec_dot_bf16(const float* a, const uint16_t* x, int n);
float vec_dot_bf16(const float* a, const uint16_t* x, int n, Backend backend);
// y += alpha * x
void vec_axpy_bf16(float alpha, const uint16_t* x, float* y, int n);
void vec_axpy_bf16(float alpha, const uint16_t* x, float* y, int n, Backend backend);

}  // namespace warden::kernels

// Small vector ops on fp32 used by attention (score dots, weighted sums of the latent
// cache) and the residual stream.
#pragma once

#include "kernels/cpu/backend.h"

namespace warden::kernels {

float vec_dot(const float* a, const float* b, int n);
float vec_dot(const float* a, const float* b, int n, Backend backend);
// y += alpha * x
void vec_axpy(float alpha, const float* x, float* y, int n);
void vec_axpy(float alpha, const float* x, float* y, int n, Backend backend);
// SwiGLU combine: out[i] = silu(gate[i]) * up[i], silu(v) = v / (1 + exp(-v)).
// exp dominates and the op is tiny next to the matmuls around it, so it has one (scalar)
// implementation shared by all backends.
void silu_mul(const float* gate, const float* up, float* out, int n);

}  // namespace warden::kernels

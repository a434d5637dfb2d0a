// Matrix times activations: y[t, r] = sum_k W[r, k] * x[t, k] for t in [0, n).
// n == 1 is the decode matvec; n > 1 is prefill / batched decode. Every (t, r) output is
// computed by the same instruction sequence whatever n is, so a sequence gives the same
// bits alone or inside a batch.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/backend.h"
#include "kernels/cpu/weight_matrix.h"

namespace warden::kernels {

class ThreadPool;

// x: [n, w.cols] contiguous; y: [n, w.rows] contiguous. Rows are split over `pool`
// (default_pool() when null).
void matmul(const WeightMatrix& w, const float* x, int n, float* y);
void matmul(const WeightMatrix& w, const float* x, int n, float* y, Backend backend,
            ThreadPool* pool);

// One row of W against one activation vector, per format (exposed for tests).
float row_dot(const WeightMatrix& w, int row, const float* x, Backend backend);

namespace detail {
// Per-backend kernels: one weight row (`cols` elements; int8 with one scale per
// kInt8BlockSize) against `nt` (1..4) activation rows x + i*xs, results in out[0..nt).
// kMaxRowsPerCall activation rows share one pass over the weight row.
constexpr int kMaxRowsPerCall = 4;
void rows_f32_scalar(const float* w, const float* x, size_t xs, int nt, int cols, float* out);
void rows_bf16_scalar(const uint16_t* w, const float* x, size_t xs, int nt, int cols, float* out);
void rows_q8_scalar(const int8_t* w, const float* scales, const float* x, size_t xs, int nt, int cols, float* out);
void rows_f32_avx2(const float* w, const float* x, size_t xs, int nt, int cols, float* out);
void rows_bf16_avx2(const uint16_t* w, const float* x, size_t xs, int nt, int cols, float* out);
void rows_q8_avx2(const int8_t* w, const float* scales, const float* x, size_t xs, int nt, int cols, float* out);
void rows_f32_avx512(const float* w, const float* x, size_t xs, int nt, int cols, float* out);
void rows_bf16_avx512(const uint16_t* w, const float* x, size_t xs, int nt, int cols, float* out);
void rows_q8_avx512(const int8_t* w, const float* scales, const float* x, size_t xs, int nt, int cols, float* out);
}  // namespace detail

}  // namespace warden::kernels

// Matmul dispatcher: picks the row-dot for (format, backend) once, then splits rows over
// the pool. Rows are the outer loop inside a range so a weight row stays in L1 while all
// n activations pass over it (prefill), and decode (n == 1) streams each row once.
#include "kernels/cpu/matmul.h"

#include <algorithm>
#include <stdexcept>

#include "kernels/cpu/thread_pool.h"

namespace warden::kernels {
namespace {

using RowsF32 = void (*)(const float*, const float*, size_t, int, int, float*);
using RowsBF16 = void (*)(const uint16_t*, const float*, size_t, int, int, float*);
using RowsQ8 = void (*)(const int8_t*, const float*, const float*, size_t, int, int, float*);

struct KernelSet {
  RowsF32 f32;
  RowsBF16 bf16;
  RowsQ8 q8;
};

KernelSet kernels_for(Backend backend) {
  switch (backend) {
    case Backend::kAvx512:
      return {detail::rows_f32_avx512, detail::rows_bf16_avx512, detail::rows_q8_avx512};
    case Backend::kAvx2:
      return {detail::rows_f32_avx2, detail::rows_bf16_avx2, detail::rows_q8_avx2};
    case Backend::kScalar:
      break;
  }
  return {detail::rows_f32_scalar, detail::rows_bf16_scalar, detail::rows_q8_scalar};
}

// Weight row r against activation rows [t, t+nt) -> out[0..nt).
inline void row_against(const WeightMatrix& w, const KernelSet& k, int r, const float* x, int nt, float* out) {
  const size_t cols = static_cast<size_t>(w.cols);
  switch (w.format) {
    case WeightFormat::kF32: return k.f32(w.f32.data() + r * cols, x, cols, nt, w.cols, out);
    case WeightFormat::kBF16: return k.bf16(w.bf16.data() + r * cols, x, cols, nt, w.cols, out);
    case WeightFormat::kInt8: break;
  }
  k.q8(w.q8.data() + r * cols, w.q8_scales.data() + static_cast<size_t>(r) * w.blocks_per_row(), x, cols, nt,
       w.cols, out);
}

void matmul_rows(const WeightMatrix& w, const KernelSet& k, const float* x, int n, float* y, int row_begin,
                 int row_end) {
  float out[detail::kMaxRowsPerCall];
  for (int r = row_begin; r < row_end; ++r) {
    for (int t = 0; t < n; t += detail::kMaxRowsPerCall) {
      const int nt = std::min(detail::kMaxRowsPerCall, n - t);
      row_against(w, k, r, x + static_cast<size_t>(t) * w.cols, nt, out);
      for (int i = 0; i < nt; ++i) y[static_cast<size_t>(t + i) * w.rows + r] = out[i];
    }
  }
}

}  // namespace

float row_dot(const WeightMatrix& w, int row, const float* x, Backend backend) {
  if (row < 0 || row >= w.rows) throw std::out_of_range("row_dot: row out of range");
  float out = 0.0f;
  row_against(w, kernels_for(backend), row, x, 1, &out);
  return out;
}

void matmul(const WeightMatrix& w, const float* x, int n, float* y) {
  matmul(w, x, n, y, active_backend(), nullptr);
}

void matmul(const WeightMatrix& w, const float* x, int n, float* y, Backend backend,
            ThreadPool* pool) {
  if (n <= 0 || w.rows == 0) return;
  const KernelSet k = kernels_for(backend);
  ThreadPool& p = pool ? *pool : default_pool();
  // Keep each range big enough that thread hand-off is cheap next to the work.
  const long long work_per_row = static_cast<long long>(w.cols) * n;
  const int min_rows = static_cast<int>(std::max<long long>(1, 32768 / std::max<long long>(1, work_per_row)));
  p.parallel_for(w.rows, min_rows, [&](int begin, int end) {
    matmul_rows(w, k, x, n, y, begin, end);
  });
}

}  // namespace warden::kernels

// Plain C++ reference for the matmul row dots; every SIMD backend is tested against it.
#include "kernels/cpu/matmul.h"

namespace warden::kernels::detail {

void rows_f32_scalar(const float* w, const float* x, size_t xs, int nt, int cols, float* out) {
  for (int i = 0; i < nt; ++i) {
    float acc = 0.0f;
    for (int k = 0; k < cols; ++k) acc += w[k] * x[i * xs + k];
    out[i] = acc;
  }
}

void rows_bf16_scalar(const uint16_t* w, const float* x, size_t xs, int nt, int cols, float* out) {
  for (int i = 0; i < nt; ++i) {
    float acc = 0.0f;
    for (int k = 0; k < cols; ++k) acc += bf16_to_f32(w[k]) * x[i * xs + k];
    out[i] = acc;
  }
}

void rows_q8_scalar(const int8_t* w, const float* scales, const float* x, size_t xs, int nt, int cols, float* out) {
  for (int i = 0; i < nt; ++i) {
    float acc = 0.0f;
    for (int begin = 0, b = 0; begin < cols; begin += kInt8BlockSize, ++b) {
      const int end = begin + kInt8BlockSize < cols ? begin + kInt8BlockSize : cols;
      float block = 0.0f;
      for (int k = begin; k < end; ++k) block += static_cast<float>(w[k]) * x[i * xs + k];
      acc += block * scales[b];
    }
    out[i] = acc;
  }
}

}  // namespace warden::kernels::detail

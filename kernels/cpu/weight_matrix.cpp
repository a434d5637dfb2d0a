#include "kernels/cpu/weight_matrix.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "kernels/cpu/thread_pool.h"

namespace warden::kernels {

const char* weight_format_name(WeightFormat format) {
  switch (format) {
    case WeightFormat::kF32: return "f32";
    case WeightFormat::kBF16: return "bf16";
    case WeightFormat::kInt8: return "int8";
  }
  return "unknown";
}

float bf16_to_f32(uint16_t v) {
  uint32_t bits = static_cast<uint32_t>(v) << 16;
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

uint16_t f32_to_bf16(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);
  uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

size_t WeightMatrix::bytes() const {
  return f32.size() * 4 + bf16.size() * 2 + q8.size() + q8_scales.size() * 4;
}

WeightMatrix make_weight_matrix(const float* src, int rows, int cols, WeightFormat format) {
  if (rows < 0 || cols < 0) throw std::invalid_argument("make_weight_matrix: negative shape");
  WeightMatrix w;
  w.format = format;
  w.rows = rows;
  w.cols = cols;
  const size_t n = static_cast<size_t>(rows) * cols;
  switch (format) {
    case WeightFormat::kF32:
      w.f32.assign(src, src + n);
      break;
    case WeightFormat::kBF16:
      w.bf16.resize(n);
      default_pool().parallel_for(rows, 64, [&](int begin, int end) {
        for (size_t i = static_cast<size_t>(begin) * cols; i < static_cast<size_t>(end) * cols; ++i)
          w.bf16[i] = f32_to_bf16(src[i]);
      });
      break;
    case WeightFormat::kInt8: {
      const int blocks = w.blocks_per_row();
      w.q8.resize(n);
      w.q8_scales.resize(static_cast<size_t>(rows) * blocks);
      default_pool().parallel_for(rows, 64, [&](int row_begin, int row_end) {
      for (int r = row_begin; r < row_end; ++r) {
        const float* row = src + static_cast<size_t>(r) * cols;
        for (int b = 0; b < blocks; ++b) {
          const int begin = b * kInt8BlockSize;
          const int end = std::min(cols, begin + kInt8BlockSize);
          float amax = 0.0f;
          for (int k = begin; k < end; ++k) amax = std::max(amax, std::fabs(row[k]));
          const float scale = amax / 127.0f;
          const float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
          w.q8_scales[static_cast<size_t>(r) * blocks + b] = scale;
          for (int k = begin; k < end; ++k) {
            const float q = std::nearbyint(row[k] * inv);
            w.q8[static_cast<size_t>(r) * cols + k] = static_cast<int8_t>(std::max(-127.0f, std::min(127.0f, q)));
          }
        }
      }
      });
      break;
    }
  }
  return w;
}

void dequantize_row(const WeightMatrix& w, int row, float* out) {
  if (row < 0 || row >= w.rows) throw std::out_of_range("dequantize_row: row out of range");
  const size_t base = static_cast<size_t>(row) * w.cols;
  switch (w.format) {
    case WeightFormat::kF32:
      std::memcpy(out, w.f32.data() + base, sizeof(float) * w.cols);
      break;
    case WeightFormat::kBF16:
      for (int k = 0; k < w.cols; ++k) out[k] = bf16_to_f32(w.bf16[base + k]);
      break;
    case WeightFormat::kInt8: {
      const float* scales = w.q8_scales.data() + static_cast<size_t>(row) * w.blocks_per_row();
      for (int k = 0; k < w.cols; ++k) out[k] = w.q8[base + k] * scales[k / kInt8BlockSize];
      break;
    }
  }
}

}  // namespace warden::kernels

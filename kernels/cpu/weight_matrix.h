// A row-major weight matrix [rows, cols] in one of the CPU compute formats, as the
// model keeps it after loading. Decode is memory-bandwidth bound, so the format decides
// tokens/s: f32 (4 B/weight), bf16 (2 B), int8 with one f32 scale per 32 weights along
// a row (1.125 B).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace warden::kernels {

enum class WeightFormat { kF32, kBF16, kInt8 };

// Weights per int8 scale block along K (a row).
constexpr int kInt8BlockSize = 32;

const char* weight_format_name(WeightFormat format);

struct WeightMatrix {
  WeightFormat format = WeightFormat::kF32;
  int rows = 0;
  int cols = 0;
  std::vector<float> f32;          // [rows, cols] when kF32
  std::vector<uint16_t> bf16;      // [rows, cols] when kBF16
  std::vector<int8_t> q8;          // [rows, cols] when kInt8
  std::vector<float> q8_scales;    // [rows, blocks_per_row()] when kInt8

  int blocks_per_row() const { return (cols + kInt8BlockSize - 1) / kInt8BlockSize; }
  // Bytes a full pass over the matrix reads (what one decoded token touches).
  size_t bytes() const;
};

// Converts f32 data [rows, cols] to `format`. int8 uses symmetric absmax scales per block.
WeightMatrix make_weight_matrix(const float* src, int rows, int cols, WeightFormat format);
// Writes row `row` back as f32 (exact for f32/bf16, dequantized for int8).
void dequantize_row(const WeightMatrix& w, int row, float* out);

float bf16_to_f32(uint16_t v);
// Round-to-nearest-even, NaN preserved.
uint16_t f32_to_bf16(float v);

}  // namespace warden::kernels

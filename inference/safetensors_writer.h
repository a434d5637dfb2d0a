// Streams a .safetensors file: the header is written from the tensor list first, then
// each tensor's bytes are produced by a callback, so large checkpoints never sit in
// memory whole. Used by `warden model synth` and the loader tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "inference/safetensors.h"

namespace warden::inference {

struct TensorEntry {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  size_t bytes() const;
};

// fill(index, out) must write exactly entries[index].bytes() bytes to `out`.
void write_safetensors(const std::filesystem::path& path, const std::vector<TensorEntry>& entries,
                       const std::function<void(size_t, std::vector<uint8_t>&)>& fill);

// Nearest float8 e4m3fn code for v (saturating at ±448).
uint8_t f32_to_f8e4m3(float v);

}  // namespace warden::inference

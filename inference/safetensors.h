// Memory-mapped safetensors files and checkpoints (one file, or an index + shards).
//
// The header is validated completely before any tensor is handed out: every dtype known,
// every shape consistent with its byte range, every range inside the file and no two
// ranges overlapping. Tensor views point into the mapping, so nothing outside it is read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace warden::inference {

enum class DType { kF32, kF16, kBF16, kF8E4M3 };

const char* dtype_name(DType dtype);
size_t dtype_size(DType dtype);

struct TensorView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // inside the file mapping
  size_t bytes = 0;
  std::string file;               // for messages

  int64_t numel() const;
  std::string shape_string() const;
};

// One mapped .safetensors file.
class SafetensorsFile {
 public:
  static std::unique_ptr<SafetensorsFile> open(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const TensorView* find(const std::string& name) const;
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  size_t file_size() const { return size_; }

 private:
  SafetensorsFile() = default;
  void* map_ = nullptr;
  size_t size_ = 0;
  std::map<std::string, TensorView> tensors_;
};

// A checkpoint folder: model.safetensors.index.json + shards, or model.safetensors.
class Checkpoint {
 public:
  static std::unique_ptr<Checkpoint> open(const std::filesystem::path& dir);

  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  // Throws naming the tensor when it is absent.
  const TensorView& tensor(const std::string& name) const;
  // Throws naming the tensor when it is absent or its shape differs.
  const TensorView& tensor(const std::string& name, const std::vector<int64_t>& shape) const;
  const std::map<std::string, const TensorView*>& tensors() const { return tensors_; }
  size_t total_bytes() const;

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorView*> tensors_;
};

// Converts a stored tensor to f32 (F8 values unscaled). `out` holds numel() floats.
void tensor_to_f32(const TensorView& t, float* out);
float f16_to_f32(uint16_t h);
float f8e4m3_to_f32(uint8_t v);

}  // namespace warden::inference

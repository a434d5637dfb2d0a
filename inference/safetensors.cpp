#include "inference/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/json.h"

namespace warden::inference {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

bool parse_dtype(const std::string& s, DType* out) {
  if (s == "F32") *out = DType::kF32;
  else if (s == "F16") *out = DType::kF16;
  else if (s == "BF16") *out = DType::kBF16;
  else if (s == "F8_E4M3") *out = DType::kF8E4M3;
  else return false;
  return true;
}

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw std::runtime_error(path.string() + ": " + what);
}

}  // namespace

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kF8E4M3: return "F8_E4M3";
  }
  return "?";
}

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kF32: return 4;
    case DType::kF16:
    case DType::kBF16: return 2;
    case DType::kF8E4M3: return 1;
  }
  return 0;
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string TensorView::shape_string() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    ::close(fd);
    fail(path, "cannot stat");
  }
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->size_ = static_cast<size_t>(st.st_size);
  if (file->size_ < 8) {
    ::close(fd);
    fail(path, "truncated: " + std::to_string(file->size_) + " bytes, no 8-byte header length");
  }
  void* map = mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) fail(path, "mmap failed");
  file->map_ = map;
  const uint8_t* base = static_cast<const uint8_t*>(map);

  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | base[i];
  if (header_len > kMaxHeaderBytes || header_len > file->size_ - 8)
    fail(path, "header length " + std::to_string(header_len) + " exceeds the file (" +
                   std::to_string(file->size_) + " bytes): truncated or not safetensors");
  const uint8_t* data = base + 8 + header_len;
  const uint64_t data_size = file->size_ - 8 - header_len;

  core::Json header;
  try {
    header = core::Json::parse(std::string_view(reinterpret_cast<const char*>(base + 8), header_len));
  } catch (const std::exception& e) {
    fail(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) fail(path, "header is not a JSON object");

  struct Range {
    uint64_t begin, end;
    const std::string* name;
  };
  std::vector<Range> ranges;
  for (const auto& [name, entry] : header.as_object()) {
    if (name == "__metadata__") continue;
    const std::string where = "tensor \"" + name + "\": ";
    if (!entry.is_object()) fail(path, where + "entry is not an object");
    TensorView t;
    t.name = name;
    t.file = path.string();
    const core::Json* dtype = entry.find("dtype");
    if (!dtype || !dtype->is_string()) fail(path, where + "missing dtype");
    if (!parse_dtype(dtype->as_string(), &t.dtype))
      fail(path, where + "unsupported dtype \"" + dtype->as_string() + "\" (expected F32, F16, BF16, F8_E4M3)");
    const core::Json* shape = entry.find("shape");
    if (!shape || !shape->is_array()) fail(path, where + "missing shape");
    uint64_t numel = 1;
    for (const auto& d : shape->as_array()) {
      if (!d.is_int() || d.as_int() < 0 || d.as_int() > (int64_t{1} << 40))
        fail(path, where + "bad shape dimension");
      t.shape.push_back(d.as_int());
      numel *= static_cast<uint64_t>(d.as_int());
      if (numel > (uint64_t{1} << 42)) fail(path, where + "shape too large");
    }
    const core::Json* offs = entry.find("data_offsets");
    if (!offs || !offs->is_array() || offs->size() != 2 || !(*offs)[0].is_int() || !(*offs)[1].is_int())
      fail(path, where + "missing data_offsets [begin, end]");
    const int64_t begin = (*offs)[0].as_int(), end = (*offs)[1].as_int();
    if (begin < 0 || end < begin || static_cast<uint64_t>(end) > data_size)
      fail(path, where + "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                     "] outside the data section (" + std::to_string(data_size) + " bytes)");
    const uint64_t expect = numel * dtype_size(t.dtype);
    if (static_cast<uint64_t>(end - begin) != expect)
      fail(path, where + "byte range " + std::to_string(end - begin) + " does not match shape " +
                     t.shape_string() + " of " + dtype_name(t.dtype) + " (" + std::to_string(expect) + " bytes)");
    t.data = data + begin;
    t.bytes = static_cast<size_t>(expect);
    auto [it, inserted] = file->tensors_.emplace(name, std::move(t));
    if (!inserted) fail(path, where + "listed twice");
    ranges.push_back({static_cast<uint64_t>(begin), static_cast<uint64_t>(end), &it->first});
  }
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].begin < ranges[i - 1].end)
      fail(path, "tensors \"" + *ranges[i - 1].name + "\" and \"" + *ranges[i].name + "\" overlap");
  }
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) munmap(map_, size_);
}

const TensorView* SafetensorsFile::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

std::unique_ptr<Checkpoint> Checkpoint::open(const std::filesystem::path& dir) {
  auto ckpt = std::make_unique<Checkpoint>();
  const auto index_path = dir / "model.safetensors.index.json";
  const auto single_path = dir / "model.safetensors";
  if (std::filesystem::exists(index_path)) {
    std::ifstream in(index_path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    core::Json index;
    try {
      index = core::Json::parse(ss.str());
    } catch (const std::exception& e) {
      fail(index_path, e.what());
    }
    const core::Json* map = index.find("weight_map");
    if (!map || !map->is_object()) fail(index_path, "field \"weight_map\": missing or not an object");
    std::map<std::string, SafetensorsFile*> by_shard;
    for (const auto& [name, shard] : map->as_object()) {
      if (!shard.is_string()) fail(index_path, "weight_map \"" + name + "\": shard is not a string");
      const std::string& shard_name = shard.as_string();
      if (shard_name.find('/') != std::string::npos || shard_name == ".." || shard_name.empty())
        fail(index_path, "weight_map \"" + name + "\": bad shard file name \"" + shard_name + "\"");
      auto it = by_shard.find(shard_name);
      if (it == by_shard.end()) {
        ckpt->files_.push_back(SafetensorsFile::open(dir / shard_name));
        it = by_shard.emplace(shard_name, ckpt->files_.back().get()).first;
      }
      const TensorView* t = it->second->find(name);
      if (!t) fail(dir / shard_name, "tensor \"" + name + "\" listed in the index is missing from this shard");
      ckpt->tensors_[name] = t;
    }
  } else if (std::filesystem::exists(single_path)) {
    ckpt->files_.push_back(SafetensorsFile::open(single_path));
    for (const auto& [name, t] : ckpt->files_.back()->tensors()) ckpt->tensors_[name] = &t;
  } else {
    fail(dir, "no model.safetensors.index.json or model.safetensors");
  }
  return ckpt;
}

const TensorView& Checkpoint::tensor(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw std::runtime_error("checkpoint: missing tensor \"" + name + "\"");
  return *it->second;
}

const TensorView& Checkpoint::tensor(const std::string& name, const std::vector<int64_t>& shape) const {
  const TensorView& t = tensor(name);
  if (t.shape != shape) {
    TensorView expect;
    expect.shape = shape;
    throw std::runtime_error("checkpoint: tensor \"" + name + "\" has shape " + t.shape_string() +
                             ", expected " + expect.shape_string());
  }
  return t;
}

size_t Checkpoint::total_bytes() const {
  size_t n = 0;
  for (const auto& [name, t] : tensors_) n += t->bytes;
  return n;
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0) v = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31) v = mant ? NAN : INFINITY;
  else v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  return sign ? -v : v;
}

float f8e4m3_to_f32(uint8_t b) {
  const int sign = b >> 7, exp = (b >> 3) & 0xf, mant = b & 7;
  float v;
  if (exp == 0xf && mant == 7) v = NAN;  // e4m3fn: no infinities, one NaN pattern
  else if (exp == 0) v = std::ldexp(static_cast<float>(mant), -9);
  else v = std::ldexp(static_cast<float>(mant | 8), exp - 10);
  return sign ? -v : v;
}

void tensor_to_f32(const TensorView& t, float* out) {
  const int64_t n = t.numel();
  switch (t.dtype) {
    case DType::kF32:
      std::memcpy(out, t.data, n * 4);
      break;
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, t.data + 2 * i, 2);
        out[i] = f16_to_f32(h);
      }
      break;
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, t.data + 2 * i, 2);
        const uint32_t bits = static_cast<uint32_t>(h) << 16;
        std::memcpy(&out[i], &bits, 4);
      }
      break;
    case DType::kF8E4M3: {
      float table[256];
      for (int i = 0; i < 256; ++i) table[i] = f8e4m3_to_f32(static_cast<uint8_t>(i));
      for (int64_t i = 0; i < n; ++i) out[i] = table[t.data[i]];
      break;
    }
  }
}

}  // namespace warden::inference

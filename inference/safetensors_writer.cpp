#include "inference/safetensors_writer.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>

#include "core/json.h"

namespace warden::inference {

size_t TensorEntry::bytes() const {
  size_t n = dtype_size(dtype);
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

void write_safetensors(const std::filesystem::path& path, const std::vector<TensorEntry>& entries,
                       const std::function<void(size_t, std::vector<uint8_t>&)>& fill) {
  core::Json header = core::Json::object();
  core::Json meta = core::Json::object();
  meta.set("format", "pt");
  header.set("__metadata__", meta);
  size_t offset = 0;
  for (const TensorEntry& e : entries) {
    core::Json t = core::Json::object();
    t.set("dtype", dtype_name(e.dtype));
    core::Json shape = core::Json::array();
    for (int64_t d : e.shape) shape.push_back(static_cast<long long>(d));
    t.set("shape", shape);
    core::Json offs = core::Json::array();
    offs.push_back(static_cast<unsigned long long>(offset));
    offs.push_back(static_cast<unsigned long long>(offset + e.bytes()));
    t.set("data_offsets", offs);
    header.set(e.name, t);
    offset += e.bytes();
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text.push_back(' ');  // keep tensor data 8-byte aligned
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(path.string() + ": cannot create");
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));
  out.write(reinterpret_cast<const char*>(len), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  std::vector<uint8_t> buffer;
  for (size_t i = 0; i < entries.size(); ++i) {
    buffer.clear();
    fill(i, buffer);
    if (buffer.size() != entries[i].bytes())
      throw std::logic_error("write_safetensors: tensor " + entries[i].name + " produced the wrong byte count");
    out.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
  }
  if (!out) throw std::runtime_error(path.string() + ": write failed");
}

uint8_t f32_to_f8e4m3(float v) {
  static const std::vector<float> magnitudes = [] {
    std::vector<float> m(127);  // codes 0x00..0x7E (0x7F is NaN)
    for (int i = 0; i < 127; ++i) m[i] = f8e4m3_to_f32(static_cast<uint8_t>(i));
    return m;
  }();
  if (std::isnan(v)) return 0x7f;
  const uint8_t sign = std::signbit(v) ? 0x80 : 0x00;
  const float a = std::min(std::fabs(v), 448.0f);
  auto it = std::lower_bound(magnitudes.begin(), magnitudes.end(), a);
  int code = static_cast<int>(it - magnitudes.begin());
  if (code >= 127) code = 126;
  if (code > 0) {
    const float hi = magnitudes[code], lo = magnitudes[code - 1];
    if (a - lo < hi - a || (a - lo == hi - a && (code - 1) % 2 == 0)) code -= 1;
  }
  return static_cast<uint8_t>(sign | code);
}

}  // namespace warden::inference

// Loader errors: every inconsistency in a safetensors file or checkpoint is a clear error
// that names the tensor or file; valid files round-trip.
#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <fstream>

#include "inference/safetensors.h"
#include "inference/safetensors_writer.h"
#include "model_test_support.h"

using namespace warden::inference;
namespace fs = std::filesystem;

namespace {

fs::path write_raw(const std::string& name, const std::string& header, size_t data_bytes) {
  const fs::path p = testing::temp_root() / name;
  std::ofstream f(p, std::ios::binary);
  uint64_t len = header.size();
  f.write(reinterpret_cast<const char*>(&len), 8);
  f << header;
  f << std::string(data_bytes, '\0');
  return p;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

fs::path write_valid(const fs::path& p) {
  std::vector<TensorEntry> entries = {{"a.weight", DType::kBF16, {2, 3}}, {"b", DType::kF32, {4}}};
  write_safetensors(p, entries, [](size_t i, std::vector<uint8_t>& out) {
    if (i == 0) {
      const uint16_t v[6] = {0x3f80, 0x4000, 0xbf80, 0x0000, 0x4040, 0x3f00};  // 1 2 -1 0 3 .5
      out.assign(reinterpret_cast<const uint8_t*>(v), reinterpret_cast<const uint8_t*>(v) + 12);
    } else {
      const float v[4] = {1.5f, -2.0f, 0.25f, 8.0f};
      out.assign(reinterpret_cast<const uint8_t*>(v), reinterpret_cast<const uint8_t*>(v) + 16);
    }
  });
  return p;
}

}  // namespace

TEST_CASE("safetensors: a valid file round-trips", "[safetensors]") {
  auto file = SafetensorsFile::open(write_valid(testing::temp_root() / "valid.safetensors"));
  const TensorView* a = file->find("a.weight");
  REQUIRE(a);
  REQUIRE(a->shape == std::vector<int64_t>{2, 3});
  std::vector<float> f(6);
  tensor_to_f32(*a, f.data());
  REQUIRE(f == std::vector<float>{1, 2, -1, 0, 3, 0.5f});
  const TensorView* b = file->find("b");
  std::vector<float> g(4);
  tensor_to_f32(*b, g.data());
  REQUIRE(g == std::vector<float>{1.5f, -2.0f, 0.25f, 8.0f});
}

TEST_CASE("safetensors: truncated file names the problem", "[safetensors]") {
  const fs::path p = write_valid(testing::temp_root() / "trunc.safetensors");
  fs::resize_file(p, fs::file_size(p) - 5);
  REQUIRE_THAT(error_of([&] { SafetensorsFile::open(p); }), Catch::Contains("b") && Catch::Contains("outside the data section"));
  fs::resize_file(p, 6);
  REQUIRE_THAT(error_of([&] { SafetensorsFile::open(p); }), Catch::Contains("truncated"));
}

TEST_CASE("safetensors: lying headers are rejected", "[safetensors]") {
  // Header length larger than the file.
  {
    const fs::path p = testing::temp_root() / "huge_len.safetensors";
    std::ofstream f(p, std::ios::binary);
    uint64_t len = 1 << 20;
    f.write(reinterpret_cast<const char*>(&len), 8);
    f << "{}";
    f.close();
    REQUIRE_THAT(error_of([&] { SafetensorsFile::open(p); }), Catch::Contains("header length"));
  }
  REQUIRE_THAT(error_of([&] {
                 SafetensorsFile::open(write_raw("overlap.safetensors",
                     R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12));
               }),
               Catch::Contains("overlap") && Catch::Contains("\"x\"") && Catch::Contains("\"y\""));
  REQUIRE_THAT(error_of([&] {
                 SafetensorsFile::open(write_raw("shape.safetensors",
                     R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8));
               }),
               Catch::Contains("\"x\"") && Catch::Contains("does not match shape"));
  REQUIRE_THAT(error_of([&] {
                 SafetensorsFile::open(write_raw("dtype.safetensors",
                     R"({"x":{"dtype":"Q4_K","shape":[2],"data_offsets":[0,8]}})", 8));
               }),
               Catch::Contains("\"x\"") && Catch::Contains("unsupported dtype \"Q4_K\""));
  REQUIRE_THAT(error_of([&] {
                 SafetensorsFile::open(write_raw("negative.safetensors",
                     R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8));
               }),
               Catch::Contains("\"x\""));
  REQUIRE_THAT(error_of([&] { SafetensorsFile::open(write_raw("json.safetensors", "{\"x\":", 8)); }),
               Catch::Contains("not valid JSON"));
}

TEST_CASE("checkpoint: missing tensors and shapes name the tensor", "[safetensors]") {
  const fs::path dir = testing::temp_root() / "ckpt_single";
  fs::create_directories(dir);
  write_valid(dir / "model.safetensors");
  auto ckpt = Checkpoint::open(dir);
  REQUIRE(ckpt->has("a.weight"));
  REQUIRE_THAT(error_of([&] { ckpt->tensor("model.norm.weight"); }), Catch::Contains("missing tensor \"model.norm.weight\""));
  REQUIRE_THAT(error_of([&] { ckpt->tensor("a.weight", {3, 2}); }),
               Catch::Contains("\"a.weight\"") && Catch::Contains("[2, 3]") && Catch::Contains("[3, 2]"));
  // An index naming a tensor its shard lacks.
  const fs::path dir2 = testing::temp_root() / "ckpt_index";
  fs::create_directories(dir2);
  write_valid(dir2 / "shard1.safetensors");
  std::ofstream(dir2 / "model.safetensors.index.json") << R"({"weight_map":{"a.weight":"shard1.safetensors","ghost":"shard1.safetensors"}})";
  REQUIRE_THAT(error_of([&] { Checkpoint::open(dir2); }), Catch::Contains("\"ghost\""));
  REQUIRE_THAT(error_of([&] { Checkpoint::open(testing::temp_root() / "nowhere"); }), Catch::Contains("no model.safetensors"));
}

TEST_CASE("fp8 e4m3: decode table and nearest encoding", "[safetensors]") {
  REQUIRE(f8e4m3_to_f32(0x00) == 0.0f);
  REQUIRE(f8e4m3_to_f32(0x38) == 1.0f);        // exp 7, mantissa 0
  REQUIRE(f8e4m3_to_f32(0x7e) == 448.0f);      // largest finite
  REQUIRE(f8e4m3_to_f32(0x01) == std::ldexp(1.0f, -9));  // smallest subnormal
  REQUIRE(f8e4m3_to_f32(0xb8) == -1.0f);
  REQUIRE(std::isnan(f8e4m3_to_f32(0x7f)));
  for (int b = 0; b < 256; ++b) {
    if ((b & 0x7f) == 0x7f || b == 0x80) continue;
    REQUIRE(f32_to_f8e4m3(f8e4m3_to_f32(static_cast<uint8_t>(b))) == b);
  }
  REQUIRE(f32_to_f8e4m3(1000.0f) == 0x7e);       // saturates
  REQUIRE(f8e4m3_to_f32(f32_to_f8e4m3(1.06f)) == 1.0f);  // 1.0 and 1.125: nearer 1.0
  REQUIRE(f16_to_f32(0x3c00) == 1.0f);
  REQUIRE(f16_to_f32(0xc000) == -2.0f);
  REQUIRE(f16_to_f32(0x0001) == std::ldexp(1.0f, -24));
}

#include "model_test_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <stdexcept>

#include "inference/synth.h"

namespace warden::inference::testing {
namespace fs = std::filesystem;

namespace {
struct TempRoot {
  fs::path path;
  TempRoot() {
    path = fs::temp_directory_path() / ("warden_model_tests_" + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempRoot() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};
}  // namespace

fs::path temp_root() {
  static TempRoot root;
  return root.path;
}

fs::path synth_model(const std::string& key, const std::string& arch, const std::string& preset,
                     const std::string& dtype, const core::Json& overrides) {
  static std::map<std::string, fs::path> made;
  auto it = made.find(key);
  if (it != made.end()) return it->second;
  SynthOptions options;
  options.arch = arch;
  options.preset = preset;
  options.seed = 1234;
  options.dtype = dtype;
  options.out = temp_root() / key;
  core::Json config = synth_preset_config(arch, preset);
  if (overrides.is_object())
    for (const auto& [k, v] : overrides.as_object()) config.set(k, v);
  synth_checkpoint(config, options);
  made[key] = options.out;
  return options.out;
}

bool reference_available(std::string* why) {
  static int state = -1;
  if (state < 0) {
    if (!fs::exists("/usr/bin/python3")) {
      state = 0;
    } else {
      state = std::system("/usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1") == 0 ? 1 : 0;
    }
  }
  if (!state && why) *why = "/usr/bin/python3 with torch and numpy is not available";
  return state == 1;
}

std::vector<float> run_reference(const fs::path& model_dir, const std::vector<core::Json>& requests,
                                 const std::string& extra_args) {
  static int counter = 0;
  const fs::path in = temp_root() / ("ref_in_" + std::to_string(counter) + ".jsonl");
  const fs::path out = temp_root() / ("ref_out_" + std::to_string(counter++) + ".bin");
  {
    std::ofstream f(in);
    for (const auto& r : requests) f << r.dump() << "\n";
  }
  const std::string cmd = std::string("/usr/bin/python3 ") + WARDEN_SOURCE_DIR +
                          "/tools/reference/deepseek_ref.py --model '" + model_dir.string() + "' --binary-out '" +
                          out.string() + "' " + extra_args + " < '" + in.string() + "' 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot start the reference");
  std::string output;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) output.append(buf, n);
  const int status = ::pclose(pipe);
  if (status != 0) throw std::runtime_error("reference failed: " + output);
  std::ifstream f(out, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<float> rows(bytes.size() / 4);
  std::memcpy(rows.data(), bytes.data(), rows.size() * 4);
  return rows;
}

std::vector<TokenId> random_ids(uint32_t seed, int n, int vocab) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(0, vocab - 1);
  std::vector<TokenId> ids(n);
  for (auto& id : ids) id = dist(rng);
  return ids;
}

int argmax(const float* row, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i)
    if (row[i] > row[best]) best = i;
  return best;
}

}  // namespace warden::inference::testing

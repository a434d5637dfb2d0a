#include "inference/model_cli.h"

#include <cstdio>
#include <iostream>
#include <string>

#include "core/json.h"
#include "inference/model_cli_args.h"
#include "inference/model_deepseek.h"
#include "inference/synth.h"

namespace warden::inference {

std::map<std::string, std::string> parse_flags(const std::vector<std::string>& args, size_t first,
                                               const std::set<std::string>& known) {
  std::map<std::string, std::string> flags;
  for (size_t i = first; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0 || !known.count(a.substr(2))) throw UsageError("unknown argument \"" + a + "\"");
    if (i + 1 >= args.size()) throw UsageError(a + ": missing value");
    flags[a.substr(2)] = args[++i];
  }
  return flags;
}

int flag_int(const std::map<std::string, std::string>& flags, const std::string& name, int fallback, int min,
             int max) {
  auto it = flags.find(name);
  if (it == flags.end()) return fallback;
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(it->second, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != it->second.size() || v < min || v > max)
    throw UsageError("--" + name + ": expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
                     "], got \"" + it->second + "\"");
  return static_cast<int>(v);
}

void apply_load_flags(const std::map<std::string, std::string>& flags, ModelLoadOptions& options) {
  if (auto it = flags.find("compute"); it != flags.end()) {
    try {
      options.compute = parse_compute_format(it->second);
    } catch (const std::exception& e) {
      throw UsageError(std::string("--compute: ") + e.what());
    }
  }
  if (auto it = flags.find("kv-cache-dtype"); it != flags.end()) {
    try {
      options.kv_cache_dtype = parse_kv_cache_dtype(it->second);
    } catch (const std::exception& e) {
      throw UsageError(std::string("--kv-cache-dtype: ") + e.what());
    }
  } else {
    options.kv_cache_dtype = KvCacheDtype::kF32;
  }
  options.threads = flag_int(flags, "threads", 0, 0, 4096);
}

namespace {

constexpr const char* kModelUsage =
    "usage: warden model synth --arch v3|v2 --preset tiny-v3|tiny-v2|small-1b --seed N --out DIR "
    "[--dtype bf16|fp8] [--tokenizer-dir DIR]";
constexpr const char* kLogitsUsage =
    "usage: warden logits --model DIR [--compute f32|bf16|int8] [--kv-cache-dtype f32|bf16] [--threads N]";

void append_float(std::string& out, float v) {
  char buf[32];
  const int n = std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(v));
  out.append(buf, n);
}

}  // namespace

int run_model_command(const std::vector<std::string>& args, std::istream&, std::ostream& out, std::ostream& err) {
  try {
    if (args.empty() || args[0] != "synth") throw UsageError("expected a subcommand: synth");
    auto flags = parse_flags(args, 1, {"arch", "preset", "seed", "out", "dtype", "tokenizer-dir"});
    for (const char* required : {"arch", "preset", "out"})
      if (!flags.count(required)) throw UsageError(std::string("--") + required + " is required");
    SynthOptions options;
    options.arch = flags["arch"];
    options.preset = flags["preset"];
    options.seed = static_cast<uint64_t>(flag_int(flags, "seed", 1, 0, 2147483647));
    options.out = flags["out"];
    if (flags.count("dtype")) options.dtype = flags["dtype"];
    if (flags.count("tokenizer-dir")) options.tokenizer_dir = flags["tokenizer-dir"];
    if (options.dtype != "bf16" && options.dtype != "fp8") throw UsageError("--dtype must be bf16 or fp8");
    synth_checkpoint(options);
    out << "wrote " << options.preset << " (" << options.dtype << ") to " << options.out.string() << "\n";
    return 0;
  } catch (const UsageError& e) {
    err << "warden model: " << e.what() << "\n" << kModelUsage << "\n";
    return 2;
  } catch (const std::exception& e) {
    err << "warden model synth: " << e.what() << "\n";
    return 1;
  }
}

int run_logits_command(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  std::unique_ptr<DeepseekModel> model;
  try {
    auto flags = parse_flags(args, 0, {"model", "compute", "kv-cache-dtype", "threads"});
    if (!flags.count("model")) throw UsageError("--model is required");
    ModelLoadOptions options;
    apply_load_flags(flags, options);
    model = load_model(flags["model"], options);
  } catch (const UsageError& e) {
    err << "warden logits: " << e.what() << "\n" << kLogitsUsage << "\n";
    return 2;
  } catch (const std::exception& e) {
    err << "warden logits: " << e.what() << "\n";
    return 1;
  }

  const int vocab = model->info().vocab_size;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      const core::Json request = core::Json::parse(line);
      const core::Json* ids_json = request.find("ids");
      if (!ids_json || !ids_json->is_array() || ids_json->size() == 0)
        throw std::runtime_error("field \"ids\": expected a non-empty array of token ids");
      std::vector<TokenId> ids;
      for (const auto& v : ids_json->as_array()) {
        if (!v.is_int()) throw std::runtime_error("field \"ids\": expected integers");
        ids.push_back(static_cast<TokenId>(v.as_int()));
      }
      int from = 0;
      if (const core::Json* f = request.find("logits_from")) {
        if (!f->is_int() || f->as_int() < 0 || f->as_int() >= static_cast<int64_t>(ids.size()))
          throw std::runtime_error("field \"logits_from\": expected an index into ids");
        from = static_cast<int>(f->as_int());
      }
      const SequenceId seq = line_no;
      StepItem item{seq, ids};
      std::vector<float> logits;
      try {
        model->forward_all_positions(std::span<const StepItem>(&item, 1), logits);
      } catch (...) {
        model->release(seq);
        throw;
      }
      model->release(seq);
      std::string text = "{\"logits\":[";
      for (size_t r = from; r < ids.size(); ++r) {
        text += r > static_cast<size_t>(from) ? ",[" : "[";
        const float* row = logits.data() + r * vocab;
        for (int k = 0; k < vocab; ++k) {
          if (k) text += ',';
          append_float(text, row[k]);
        }
        text += ']';
      }
      text += "]}\n";
      out << text;
      out.flush();
    } catch (const std::exception& e) {
      err << "warden logits: stdin line " << line_no << ": " << e.what() << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace warden::inference

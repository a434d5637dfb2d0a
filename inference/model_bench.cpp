// `warden bench`: prefill and decode throughput of a checkpoint on this CPU, next to the
// bound set by memory bandwidth (decode reads every active weight once per token).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

#include "core/json.h"
#include "inference/model_cli.h"
#include "inference/model_cli_args.h"
#include "inference/model_deepseek.h"
#include "kernels/cpu/backend.h"
#include "kernels/cpu/thread_pool.h"
#include "kernels/cpu/vec_ops.h"

namespace warden::inference {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// STREAM-like read test: every thread sums its slice of a buffer far larger than the
// caches (dot of the slice with itself reads each byte once). Best of several passes.
double measure_read_bandwidth(size_t bytes) {
  const size_t n = bytes / sizeof(float);
  std::vector<float> buffer(n);
  kernels::default_pool().parallel_for(static_cast<int>(n / 4096), 1, [&](int b, int e) {
    for (size_t i = static_cast<size_t>(b) * 4096; i < static_cast<size_t>(e) * 4096; ++i) buffer[i] = 1.0f / (1 + i % 7);
  });
  double best = 0.0;
  volatile float sink = 0.0f;
  for (int pass = 0; pass < 5; ++pass) {
    const auto start = Clock::now();
    std::vector<float> partial(kernels::default_pool().threads(), 0.0f);
    const int chunks = static_cast<int>(n / 65536);
    kernels::default_pool().parallel_for(chunks, 1, [&](int b, int e) {
      float acc = 0.0f;
      for (int c = b; c < e; ++c) acc += kernels::vec_dot(buffer.data() + static_cast<size_t>(c) * 65536,
                                                          buffer.data() + static_cast<size_t>(c) * 65536, 65536);
      partial[b * static_cast<long long>(partial.size()) / std::max(1, chunks)] += acc;
    });
    const double t = seconds_since(start);
    for (float p : partial) sink = sink + p;
    best = std::max(best, static_cast<double>(chunks) * 65536 * sizeof(float) / t);
  }
  return best;
}

std::vector<TokenId> random_tokens(std::mt19937& rng, int n, int vocab) {
  std::uniform_int_distribution<int> dist(2, std::min(vocab, 100000) - 1);
  std::vector<TokenId> out(n);
  for (auto& t : out) t = dist(rng);
  return out;
}

int argmax(const float* row, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i)
    if (row[i] > row[best]) best = i;
  return best;
}

// Decodes `steps` tokens for `batch` sequences already prefilled; returns tokens/s.
double decode_rate(DeepseekModel& model, std::vector<SequenceId> seqs, std::vector<TokenId> next, int steps) {
  const int vocab = model.info().vocab_size;
  std::vector<float> logits;
  const auto start = Clock::now();
  for (int s = 0; s < steps; ++s) {
    std::vector<StepItem> items;
    for (size_t i = 0; i < seqs.size(); ++i) items.push_back({seqs[i], std::span<const TokenId>(&next[i], 1)});
    model.forward(items, logits);
    for (size_t i = 0; i < seqs.size(); ++i) next[i] = argmax(logits.data() + i * vocab, vocab);
  }
  return static_cast<double>(steps) * seqs.size() / seconds_since(start);
}

}  // namespace

int run_bench_command(const std::vector<std::string>& args, std::istream&, std::ostream& out, std::ostream& err) {
  std::map<std::string, std::string> flags;
  ModelLoadOptions options;
  options.compute = WeightFormat::kInt8;
  int prompt = 0, decode = 0;
  try {
    flags = parse_flags(args, 0, {"model", "compute", "kv-cache-dtype", "prompt", "decode", "threads"});
    if (!flags.count("model")) throw UsageError("--model is required");
    apply_load_flags(flags, options);
    prompt = flag_int(flags, "prompt", 128, 1, 1 << 16);
    decode = flag_int(flags, "decode", 16, 1, 1 << 16);
  } catch (const UsageError& e) {
    err << "warden bench: " << e.what() << "\nusage: warden bench --model DIR [--compute int8|bf16|f32] "
        << "[--kv-cache-dtype f32|bf16] [--prompt N] [--decode N] [--threads N]\n";
    return 2;
  }
  try {
    options.kv_cache_bytes = size_t{2} << 30;
    const auto load_start = Clock::now();
    auto model = load_model(flags["model"], options);
    const double load_s = seconds_since(load_start);
    const double bandwidth = measure_read_bandwidth(size_t{1} << 30);
    const int vocab = model->info().vocab_size;
    std::mt19937 rng(7);

    std::vector<TokenId> prompt_ids = random_tokens(rng, prompt, vocab);
    std::vector<float> logits;
    StepItem item{1, prompt_ids};
    auto start = Clock::now();
    model->forward(std::span<const StepItem>(&item, 1), logits);
    const double prefill_rate = prompt / seconds_since(start);
    const double decode1 = decode_rate(*model, {1}, {argmax(logits.data(), vocab)}, decode);
    model->release(1);

    std::vector<SequenceId> seqs;
    std::vector<TokenId> next;
    for (int i = 0; i < 8; ++i) {
      std::vector<TokenId> p = random_tokens(rng, 16, vocab);
      StepItem it{100 + i, p};
      model->forward(std::span<const StepItem>(&it, 1), logits);
      seqs.push_back(100 + i);
      next.push_back(argmax(logits.data(), vocab));
    }
    const double decode8 = decode_rate(*model, seqs, next, decode);

    const double bytes_per_token = static_cast<double>(model->weight_bytes_per_token());
    const double bound = bandwidth / bytes_per_token;
    core::Json report = core::Json::object();
    report.set("model", model->info().name);
    report.set("compute", kernels::weight_format_name(options.compute));
    report.set("backend", kernels::backend_name(kernels::active_backend()));
    report.set("kv_cache_dtype", kv_cache_dtype_name(options.kv_cache_dtype));
    report.set("kv_cache_bytes_per_token", static_cast<double>(model->kv_bytes_per_token()));
    report.set("threads", kernels::default_pool().threads());
    report.set("load_seconds", load_s);
    report.set("weight_bytes_total", static_cast<double>(model->weight_bytes_total()));
    report.set("prefill_tokens", prompt);
    report.set("prefill_tokens_per_s", prefill_rate);
    report.set("decode_batch1_tokens_per_s", decode1);
    report.set("decode_batch8_tokens_per_s", decode8);
    report.set("weight_bytes_per_decoded_token", bytes_per_token);
    report.set("memory_read_bandwidth_gb_per_s", bandwidth / 1e9);
    report.set("decode_bound_tokens_per_s", bound);
    report.set("batch1_fraction_of_bound", decode1 / bound);
    out << report.dump(2) << "\n";
    return 0;
  } catch (const std::exception& e) {
    err << "warden bench: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace warden::inference

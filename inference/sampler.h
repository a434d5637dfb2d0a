// Next-token choice from a row of logits, per request: penalties, temperature, top-k,
// top-p, min-p, and a seeded random draw.
//
// Order of the transforms: presence/frequency penalties (OpenAI semantics: for each token
// already generated c times, logit -= c·frequency_penalty + presence_penalty) →
// temperature → top-k → top-p (smallest set of most likely tokens whose probability sums to
// at least top_p) → min-p (drop tokens below min_p × the top probability) → draw.
// Temperature 0 is greedy (argmax, lowest id on ties).
//
// Reproducible: the same seed and the same logits give the same tokens on every platform
// (own uniform conversion from std::mt19937_64, whose output the standard fixes).
// A Sampler belongs to one request and is used by the engine thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "inference/language_model.h"

namespace warden::inference {

struct SamplingParams {
  double temperature = 1.0;  // 0: greedy; otherwise (0, 2]
  int top_k = 0;             // 0: off
  double top_p = 1.0;        // (0, 1]; 1: off
  double min_p = 0.0;        // [0, 1]; 0: off
  std::optional<uint64_t> seed;  // none: seeded from std::random_device
  double presence_penalty = 0.0;   // [-2, 2]
  double frequency_penalty = 0.0;  // [-2, 2]

  // Throws std::invalid_argument naming the field and its allowed range.
  void validate() const;
};

// One candidate of the final distribution.
struct TokenProbability {
  TokenId id = 0;
  double probability = 0.0;
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);

  // Chooses the next token. `logits` is one row (vocab_size floats) and may be modified.
  TokenId sample(std::span<float> logits);
  // Records a generated token so that later penalties count it.
  void accept(TokenId id) { ++generated_counts_[id]; }

  // The distribution sample() draws from, most likely first (one entry with probability 1
  // when greedy). Exposed for tests and diagnostics.
  std::vector<TokenProbability> distribution(std::span<float> logits) const;

 private:
  void apply_penalties(std::span<float> logits) const;
  double next_uniform();  // [0, 1)

  SamplingParams params_;
  std::mt19937_64 rng_;
  std::unordered_map<TokenId, int> generated_counts_;
};

// Index of the largest logit, lowest index on ties.
TokenId argmax(std::span<const float> logits);

}  // namespace warden::inference

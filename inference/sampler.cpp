#include "inference/sampler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace warden::inference {
namespace {

void check_range(const char* field, double value, double lo, double hi) {
  if (!(value >= lo && value <= hi)) {
    throw std::invalid_argument(std::string(field) + ": " + std::to_string(value) + " is out of range [" +
                                std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
}

struct Candidate {
  float logit;
  TokenId id;
};

bool more_likely(const Candidate& a, const Candidate& b) {
  return a.logit != b.logit ? a.logit > b.logit : a.id < b.id;
}

}  // namespace

void SamplingParams::validate() const {
  check_range("temperature", temperature, 0.0, 2.0);
  check_range("top_p", top_p, 0.0, 1.0);
  if (top_p <= 0.0) throw std::invalid_argument("top_p: must be greater than 0");
  check_range("min_p", min_p, 0.0, 1.0);
  check_range("presence_penalty", presence_penalty, -2.0, 2.0);
  check_range("frequency_penalty", frequency_penalty, -2.0, 2.0);
  if (top_k < 0) throw std::invalid_argument("top_k: must be 0 (off) or positive");
}

Sampler::Sampler(const SamplingParams& params) : params_(params) {
  params_.validate();
  rng_.seed(params_.seed ? *params_.seed : (static_cast<uint64_t>(std::random_device{}()) << 32) ^
                                               std::random_device{}());
}

TokenId argmax(std::span<const float> logits) {
  if (logits.empty()) throw std::invalid_argument("sampler: empty logits");
  return static_cast<TokenId>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

double Sampler::next_uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

void Sampler::apply_penalties(std::span<float> logits) const {
  if (params_.presence_penalty == 0.0 && params_.frequency_penalty == 0.0) return;
  for (const auto& [id, count] : generated_counts_) {
    if (id < 0 || static_cast<size_t>(id) >= logits.size()) continue;
    logits[static_cast<size_t>(id)] -=
        static_cast<float>(count * params_.frequency_penalty + params_.presence_penalty);
  }
}

std::vector<TokenProbability> Sampler::distribution(std::span<float> logits) const {
  if (logits.empty()) throw std::invalid_argument("sampler: empty logits");
  apply_penalties(logits);
  if (params_.temperature == 0.0 || params_.top_k == 1) return {{argmax(logits), 1.0}};

  std::vector<Candidate> candidates(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) {
    candidates[i] = {static_cast<float>(logits[i] / params_.temperature), static_cast<TokenId>(i)};
  }
  size_t keep = candidates.size();
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < keep) {
    keep = static_cast<size_t>(params_.top_k);
    std::nth_element(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep - 1),
                     candidates.end(), more_likely);
  }
  // Sort only as far as needed: top-p usually stops within the first few dozen tokens.
  size_t sorted = std::min<size_t>(keep, 64);
  auto sort_prefix = [&](size_t n) {
    std::nth_element(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(n - 1),
                     candidates.begin() + static_cast<std::ptrdiff_t>(keep), more_likely);
    std::sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(n), more_likely);
  };
  sort_prefix(sorted);
  const double max_logit = candidates[0].logit;
  double total = 0.0;
  for (size_t i = 0; i < keep; ++i) total += std::exp(static_cast<double>(candidates[i].logit) - max_logit);

  if (params_.top_p < 1.0) {
    for (;;) {
      double cumulative = 0.0;
      size_t n = 0;
      while (n < sorted) {
        cumulative += std::exp(static_cast<double>(candidates[n].logit) - max_logit) / total;
        ++n;
        if (cumulative >= params_.top_p) break;
      }
      if (cumulative >= params_.top_p || sorted == keep) {
        keep = n;
        break;
      }
      sorted = std::min(keep, sorted * 8);
      sort_prefix(sorted);
    }
  } else if (sorted < keep) {
    sorted = keep;
    sort_prefix(sorted);
  }
  std::vector<TokenProbability> result;
  result.reserve(keep);
  for (size_t i = 0; i < keep; ++i) {
    result.push_back({candidates[i].id, std::exp(static_cast<double>(candidates[i].logit) - max_logit) / total});
  }
  if (params_.min_p > 0.0) {
    const double threshold = params_.min_p * result[0].probability;
    while (result.size() > 1 && result.back().probability < threshold) result.pop_back();
  }
  double kept = 0.0;
  for (const auto& c : result) kept += c.probability;
  for (auto& c : result) c.probability /= kept;
  return result;
}

TokenId Sampler::sample(std::span<float> logits) {
  if (logits.empty()) throw std::invalid_argument("sampler: empty logits");
  if (params_.temperature > 0.0 && params_.top_k == 0 && params_.top_p >= 1.0) {
    // Fast path without sorting (the common case over a 100k+ vocabulary): weights relative
    // to the top token, so min-p is simply weight >= min_p.
    apply_penalties(logits);
    const double inv_t = 1.0 / params_.temperature;
    const double max_logit = *std::max_element(logits.begin(), logits.end());
    double kept_total = 0.0;
    for (float& l : logits) {
      double w = std::exp((static_cast<double>(l) - max_logit) * inv_t);
      if (w < params_.min_p) w = 0.0;
      l = static_cast<float>(w);  // the row now holds weights
      kept_total += w;
    }
    double target = next_uniform() * kept_total;
    double cumulative = 0.0;
    TokenId last_kept = 0;
    for (size_t i = 0; i < logits.size(); ++i) {
      if (logits[i] <= 0.0f) continue;
      cumulative += logits[i];
      last_kept = static_cast<TokenId>(i);
      if (target < cumulative) return last_kept;
    }
    return last_kept;
  }
  std::vector<TokenProbability> choices = distribution(logits);
  if (choices.size() == 1) return choices[0].id;
  double u = next_uniform();
  double cumulative = 0.0;
  for (const auto& c : choices) {
    cumulative += c.probability;
    if (u < cumulative) return c.id;
  }
  return choices.back().id;
}

}  // namespace warden::inference

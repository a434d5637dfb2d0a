#include "inference/rope.h"

#include <algorithm>
#include <cmath>

namespace warden::inference {
namespace {

// Dimension index at which a frequency completes `rotations` turns over `seq_len`.
double correction_dim(double rotations, int dim, double base, int seq_len) {
  return dim * std::log(seq_len / (rotations * 2.0 * M_PI)) / (2.0 * std::log(base));
}

}  // namespace

RopeTable::RopeTable(const ModelConfig& config) : dim_(config.qk_rope_head_dim) {
  const int half = dim_ / 2;
  const double base = config.rope_theta;
  inv_freq_.resize(half);
  for (int i = 0; i < half; ++i) inv_freq_[i] = 1.0 / std::pow(base, 2.0 * i / dim_);
  const YarnScaling& y = config.yarn;
  if (y.enabled && y.factor > 1.0) {
    // DeepSeek's release: low from beta_fast, high from beta_slow, clamped to [0, dim-1];
    // ramp 0 keeps the original frequency, ramp 1 divides it by the factor.
    double low = std::floor(correction_dim(y.beta_fast, dim_, base, y.original_max_position));
    double high = std::ceil(correction_dim(y.beta_slow, dim_, base, y.original_max_position));
    low = std::max(low, 0.0);
    high = std::min(high, static_cast<double>(dim_ - 1));
    if (low == high) high += 0.001;
    for (int i = 0; i < half; ++i) {
      const double ramp = std::clamp((i - low) / (high - low), 0.0, 1.0);
      inv_freq_[i] = inv_freq_[i] / y.factor * ramp + inv_freq_[i] * (1.0 - ramp);
    }
  }
}

void RopeTable::apply(float* x, int pos) const {
  for (int i = 0; i < dim_ / 2; ++i) {
    const double angle = pos * inv_freq_[i];
    const double c = std::cos(angle), s = std::sin(angle);
    const double a = x[2 * i], b = x[2 * i + 1];
    x[2 * i] = static_cast<float>(a * c - b * s);
    x[2 * i + 1] = static_cast<float>(a * s + b * c);
  }
}

}  // namespace warden::inference

// Decoupled rotary embedding of MLA's rope part (qk_rope_head_dim wide), with YaRN
// frequency interpolation. Rotates adjacent pairs (x[2i], x[2i+1]) as DeepSeek's release
// does (apply_rotary_emb on view_as_complex); checkpoints are not permuted.
#pragma once

#include <vector>

#include "inference/config.h"

namespace warden::inference {

class RopeTable {
 public:
  explicit RopeTable(const ModelConfig& config);

  // Rotates x[0..dim) in place for position `pos`.
  void apply(float* x, int pos) const;
  const std::vector<double>& inv_freq() const { return inv_freq_; }

 private:
  int dim_ = 0;
  std::vector<double> inv_freq_;  // [dim / 2]
};

}  // namespace warden::inference

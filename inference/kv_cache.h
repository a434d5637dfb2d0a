// Paged latent KV cache for MLA. Per token and layer it stores only the normalized
// latent ĉ (kv_lora_rank) followed by the roped shared key k_r (qk_rope_head_dim), in
// f32. Pages of kPageTokens tokens hold all layers; a byte budget bounds the page count
// and pages are allocated on first use and recycled on release.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <vector>

#include "inference/language_model.h"

namespace warden::inference {

class LatentKvCache {
 public:
  static constexpr int kPageTokens = 16;

  LatentKvCache(int layers, int entry_floats, size_t budget_bytes);

  int length(SequenceId sequence) const;
  // Whether the sequence can grow by `extra_tokens` within the budget right now.
  bool can_hold(SequenceId sequence, int extra_tokens) const;
  // Pages needed to grow `sequence` to `new_length` tokens beyond what it owns.
  int pages_needed(SequenceId sequence, int new_length) const;
  int free_pages() const { return max_pages_ - used_pages_; }
  // Makes room for `new_length` tokens (creating the sequence); throws when over budget.
  void reserve(SequenceId sequence, int new_length);
  void set_length(SequenceId sequence, int length);
  void release(SequenceId sequence);

  // [entry_floats] for (sequence, layer, position); position < reserved capacity.
  float* entry(SequenceId sequence, int layer, int position);
  // Page pointers of a sequence (page p covers positions [p*kPageTokens, (p+1)*kPageTokens)).
  const std::vector<float*>& pages(SequenceId sequence) const;
  float* entry_in(const std::vector<float*>& pages, int layer, int position) const {
    return pages[position / kPageTokens] +
           (static_cast<size_t>(layer) * kPageTokens + position % kPageTokens) * entry_floats_;
  }

  int entry_floats() const { return entry_floats_; }
  size_t page_bytes() const { return page_floats_ * sizeof(float); }
  size_t bytes_per_token() const { return static_cast<size_t>(layers_) * entry_floats_ * sizeof(float); }

 private:
  struct Sequence {
    int length = 0;
    std::vector<float*> pages;
  };

  int layers_;
  int entry_floats_;
  size_t page_floats_;
  int max_pages_;
  int used_pages_ = 0;
  std::vector<std::unique_ptr<float[]>> storage_;
  std::vector<float*> free_list_;
  std::map<SequenceId, Sequence> sequences_;
};

}  // namespace warden::inference

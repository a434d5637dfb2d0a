// Paged latent KV cache for MLA. Per token and layer it stores only the normalized
// latent ĉ (kv_lora_rank) followed by the roped shared key k_r (qk_rope_head_dim), in f32
// or bf16 (half the bytes per token; values rounded to nearest even on write). Pages of
// kPageTokens tokens hold all layers; a byte budget bounds the page count and pages are
// allocated on first use and recycled on release.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "inference/language_model.h"

namespace warden::inference {

enum class KvCacheDtype { kF32, kBF16 };

const char* kv_cache_dtype_name(KvCacheDtype dtype);  // "f32" | "bf16"
size_t kv_cache_dtype_bytes(KvCacheDtype dtype);      // 4 | 2
// Parses "f32" | "bf16"; throws std::runtime_error naming the value otherwise.
KvCacheDtype parse_kv_cache_dtype(const std::string& name);

class LatentKvCache {
 public:
  static constexpr int kPageTokens = 16;
  using Page = std::byte*;

  LatentKvCache(int layers, int entry_values, size_t budget_bytes, KvCacheDtype dtype = KvCacheDtype::kF32);

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

  // Page pointers of a sequence (page p covers positions [p*kPageTokens, (p+1)*kPageTokens)).
  const std::vector<Page>& pages(SequenceId sequence) const;
  // The entry_values() values of (layer, position), as float* (kF32) or uint16_t* bf16
  // bits (kBF16); position < reserved capacity.
  std::byte* entry_in(const std::vector<Page>& pages, int layer, int position) const {
    return pages[position / kPageTokens] +
           (static_cast<size_t>(layer) * kPageTokens + position % kPageTokens) * entry_bytes_;
  }
  // Stores `values` (entry_values() floats) into an entry, converting to the cache dtype.
  void store(std::byte* entry, const float* values) const;

  KvCacheDtype dtype() const { return dtype_; }
  int entry_values() const { return entry_values_; }
  size_t page_bytes() const { return page_bytes_; }
  size_t bytes_per_token() const { return static_cast<size_t>(layers_) * entry_bytes_; }

 private:
  struct Sequence {
    int length = 0;
    std::vector<Page> pages;
  };

  int layers_;
  int entry_values_;
  KvCacheDtype dtype_;
  size_t entry_bytes_;
  size_t page_bytes_;
  int max_pages_;
  int used_pages_ = 0;
  std::vector<std::unique_ptr<std::byte[]>> storage_;  // page blocks (new[] aligns them for float)
  std::vector<Page> free_list_;
  std::map<SequenceId, Sequence> sequences_;
};

}  // namespace warden::inference

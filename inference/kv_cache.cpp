#include "inference/kv_cache.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/cpu/weight_matrix.h"

namespace warden::inference {

const char* kv_cache_dtype_name(KvCacheDtype dtype) { return dtype == KvCacheDtype::kBF16 ? "bf16" : "f32"; }

size_t kv_cache_dtype_bytes(KvCacheDtype dtype) { return dtype == KvCacheDtype::kBF16 ? 2 : 4; }

KvCacheDtype parse_kv_cache_dtype(const std::string& name) {
  if (name == "f32") return KvCacheDtype::kF32;
  if (name == "bf16") return KvCacheDtype::kBF16;
  throw std::runtime_error("unknown KV cache dtype \"" + name + "\" (expected f32, bf16)");
}

LatentKvCache::LatentKvCache(int layers, int entry_values, size_t budget_bytes, KvCacheDtype dtype)
    : layers_(layers),
      entry_values_(entry_values),
      dtype_(dtype),
      entry_bytes_(static_cast<size_t>(entry_values) * kv_cache_dtype_bytes(dtype)),
      page_bytes_(static_cast<size_t>(layers) * kPageTokens * entry_bytes_) {
  const size_t pages = budget_bytes / page_bytes_;
  max_pages_ = static_cast<int>(std::min<size_t>(pages, 1u << 30));
}

int LatentKvCache::length(SequenceId sequence) const {
  auto it = sequences_.find(sequence);
  return it == sequences_.end() ? 0 : it->second.length;
}

int LatentKvCache::pages_needed(SequenceId sequence, int new_length) const {
  auto it = sequences_.find(sequence);
  const int owned = it == sequences_.end() ? 0 : static_cast<int>(it->second.pages.size());
  const int want = (new_length + kPageTokens - 1) / kPageTokens;
  return want > owned ? want - owned : 0;
}

bool LatentKvCache::can_hold(SequenceId sequence, int extra_tokens) const {
  if (extra_tokens < 0) return false;
  return pages_needed(sequence, length(sequence) + extra_tokens) <= free_pages();
}

void LatentKvCache::reserve(SequenceId sequence, int new_length) {
  const int need = pages_needed(sequence, new_length);
  if (need > free_pages())
    throw std::runtime_error("KV cache full: sequence " + std::to_string(sequence) + " needs " +
                             std::to_string(need) + " more pages, " + std::to_string(free_pages()) + " free");
  Sequence& seq = sequences_[sequence];
  for (int i = 0; i < need; ++i) {
    Page page;
    if (!free_list_.empty()) {
      page = free_list_.back();
      free_list_.pop_back();
    } else {
      storage_.push_back(std::make_unique<std::byte[]>(page_bytes_));
      page = storage_.back().get();
    }
    seq.pages.push_back(page);
    ++used_pages_;
  }
}

void LatentKvCache::set_length(SequenceId sequence, int length) {
  Sequence& seq = sequences_.at(sequence);
  if (length > static_cast<int>(seq.pages.size()) * kPageTokens)
    throw std::logic_error("LatentKvCache::set_length beyond reserved pages");
  seq.length = length;
}

void LatentKvCache::release(SequenceId sequence) {
  auto it = sequences_.find(sequence);
  if (it == sequences_.end()) return;
  for (Page page : it->second.pages) free_list_.push_back(page);
  used_pages_ -= static_cast<int>(it->second.pages.size());
  sequences_.erase(it);
}

const std::vector<LatentKvCache::Page>& LatentKvCache::pages(SequenceId sequence) const {
  return sequences_.at(sequence).pages;
}

void LatentKvCache::store(std::byte* entry, const float* values) const {
  if (dtype_ == KvCacheDtype::kF32) {
    std::memcpy(entry, values, entry_bytes_);
    return;
  }
  auto* out = reinterpret_cast<uint16_t*>(entry);
  for (int i = 0; i < entry_values_; ++i) out[i] = kernels::f32_to_bf16(values[i]);
}

}  // namespace warden::inference

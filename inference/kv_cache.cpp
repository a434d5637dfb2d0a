#include "inference/kv_cache.h"

#include <stdexcept>
#include <string>

namespace warden::inference {

LatentKvCache::LatentKvCache(int layers, int entry_floats, size_t budget_bytes)
    : layers_(layers),
      entry_floats_(entry_floats),
      page_floats_(static_cast<size_t>(layers) * kPageTokens * entry_floats) {
  const size_t pages = budget_bytes / (page_floats_ * sizeof(float));
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
    float* page;
    if (!free_list_.empty()) {
      page = free_list_.back();
      free_list_.pop_back();
    } else {
      storage_.push_back(std::make_unique<float[]>(page_floats_));
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
  for (float* page : it->second.pages) free_list_.push_back(page);
  used_pages_ -= static_cast<int>(it->second.pages.size());
  sequences_.erase(it);
}

float* LatentKvCache::entry(SequenceId sequence, int layer, int position) {
  return entry_in(sequences_.at(sequence).pages, layer, position);
}

const std::vector<float*>& LatentKvCache::pages(SequenceId sequence) const {
  return sequences_.at(sequence).pages;
}

}  // namespace warden::inference

#include "test_language_model.h"

#include <stdexcept>

namespace warden::inference::testing {
namespace {

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 31);
}

}  // namespace

TestLanguageModel::TestLanguageModel(Options options) : options_(std::move(options)) {
  info_.name = "test-model";
  info_.vocab_size = options_.vocab_size;
  info_.max_context = options_.max_context;
  info_.eos_ids = options_.eos_ids;
  info_.bos_id = 0;
}

bool TestLanguageModel::can_hold(SequenceId sequence, int extra_tokens) const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t total = 0;
  for (const auto& [id, tokens] : sequences_) total += tokens.size();
  auto it = sequences_.find(sequence);
  size_t own = it == sequences_.end() ? 0 : it->second.size();
  return total + static_cast<size_t>(extra_tokens) <= static_cast<size_t>(options_.cache_capacity) &&
         own + static_cast<size_t>(extra_tokens) <= static_cast<size_t>(options_.max_context);
}

int TestLanguageModel::cached_tokens(SequenceId sequence) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = sequences_.find(sequence);
  return it == sequences_.end() ? 0 : static_cast<int>(it->second.size());
}

void TestLanguageModel::release(SequenceId sequence) {
  std::lock_guard<std::mutex> lock(mutex_);
  sequences_.erase(sequence);
  released_.push_back(sequence);
}

void TestLanguageModel::forward(std::span<const StepItem> items, std::vector<float>& logits) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (gate_closed_) {
    blocked_ = true;
    gate_cv_.notify_all();
    gate_cv_.wait(lock, [&] { return !gate_closed_; });
    blocked_ = false;
  }
  StepRecord record;
  size_t total = 0;
  for (const auto& [id, tokens] : sequences_) total += tokens.size();
  for (const StepItem& item : items) total += item.tokens.size();
  if (total > static_cast<size_t>(options_.cache_capacity)) throw std::runtime_error("test model: cache full");
  const size_t vocab = static_cast<size_t>(info_.vocab_size);
  logits.assign(items.size() * vocab, -30.0f);
  for (size_t i = 0; i < items.size(); ++i) {
    auto& tokens = sequences_[items[i].sequence];
    tokens.insert(tokens.end(), items[i].tokens.begin(), items[i].tokens.end());
    record.items.emplace_back(items[i].sequence, static_cast<int>(items[i].tokens.size()));
    float* row = logits.data() + i * vocab;
    uint64_t h = 0x1234;
    for (TokenId t : tokens) h = mix(h, static_cast<uint64_t>(t));
    for (TokenId a : options_.allowed) {
      row[a] = static_cast<float>(mix(h, static_cast<uint64_t>(a)) % 4000) / 1000.0f;
    }
    if (!options_.script.empty()) {
      size_t produced = tokens.size() - static_cast<size_t>(options_.script_prompt_len);
      row[options_.script[produced % options_.script.size()]] = 20.0f;
    }
  }
  steps_.push_back(std::move(record));
}

std::vector<TestLanguageModel::StepRecord> TestLanguageModel::steps() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return steps_;
}

std::vector<SequenceId> TestLanguageModel::released() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return released_;
}

size_t TestLanguageModel::live_sequences() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sequences_.size();
}

void TestLanguageModel::close_gate() {
  std::lock_guard<std::mutex> lock(mutex_);
  gate_closed_ = true;
}

void TestLanguageModel::open_gate() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    gate_closed_ = false;
  }
  gate_cv_.notify_all();
}

void TestLanguageModel::wait_until_blocked() {
  std::unique_lock<std::mutex> lock(mutex_);
  gate_cv_.wait(lock, [&] { return blocked_; });
}

}  // namespace warden::inference::testing

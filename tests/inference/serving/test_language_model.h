// Deterministic test double of LanguageModel (tests only).
//
// Logits depend only on the sequence's full token content (a hash), so a sequence gets the
// same logits whether it runs alone or batched with others, and however its prompt was
// chunked. Only `allowed` tokens get non-trivial logits so that text stays readable.
// Optionally a script forces greedy output token by token. The model records what the
// engine asked of it (batch shapes, releases) for the tests to check, and a gate can hold
// forward() to keep the engine busy.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <vector>

#include "inference/language_model.h"

namespace warden::inference::testing {

class TestLanguageModel : public LanguageModel {
 public:
  struct Options {
    int vocab_size = 129280;
    int max_context = 4096;
    int cache_capacity = 1 << 20;     // total tokens over all sequences
    std::vector<TokenId> allowed;     // tokens with hashed logits in [0, 4)
    std::vector<TokenId> eos_ids{1};
    std::vector<TokenId> script;      // when set: output i is script[i] (logit 20)
    int script_prompt_len = 0;        // prompt length the script counts from
  };

  explicit TestLanguageModel(Options options);

  const ModelInfo& info() const override { return info_; }
  bool can_hold(SequenceId sequence, int extra_tokens) const override;
  int cached_tokens(SequenceId sequence) const override;
  void release(SequenceId sequence) override;
  void forward(std::span<const StepItem> items, std::vector<float>& logits) override;

  // Observations.
  struct StepRecord {
    std::vector<std::pair<SequenceId, int>> items;  // sequence, tokens appended
  };
  std::vector<StepRecord> steps() const;
  std::vector<SequenceId> released() const;
  size_t live_sequences() const;

  // Gate: while closed, forward() blocks; entered_forward() waits until a forward is blocked.
  void close_gate();
  void open_gate();
  void wait_until_blocked();

 private:
  ModelInfo info_;
  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable gate_cv_;
  bool gate_closed_ = false;
  bool blocked_ = false;
  std::map<SequenceId, std::vector<TokenId>> sequences_;
  std::vector<StepRecord> steps_;
  std::vector<SequenceId> released_;
};

}  // namespace warden::inference::testing

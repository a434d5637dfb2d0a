// The seam between the serving engine (scheduler, sampler) and a model implementation.
//
// The engine loop thread is the only caller. A model owns its KV cache; the engine names
// sequences by id and asks the model to append tokens to them. One `forward` call runs
// one batched step: several sequences, each appending one or more tokens (prefill appends
// many, decode appends one), and returns the logits of each item's last token.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace warden::inference {

using TokenId = int32_t;
using SequenceId = int64_t;

// Static facts the engine needs about a loaded model.
struct ModelInfo {
  std::string name;             // served model id, e.g. the checkpoint folder name
  int vocab_size = 0;           // rows of the logits
  int max_context = 0;          // most tokens one sequence may hold (prompt + generated)
  std::vector<TokenId> eos_ids; // generation stops on any of these
  TokenId bos_id = -1;
};

// One sequence's part of a batched step.
struct StepItem {
  SequenceId sequence = 0;
  std::span<const TokenId> tokens;  // appended after what the sequence already holds
};

class LanguageModel {
 public:
  virtual ~LanguageModel() = default;

  virtual const ModelInfo& info() const = 0;

  // KV capacity. `can_hold` says whether `extra_tokens` more tokens fit for this sequence
  // (new or existing) in the cache budget right now, counting what is already reserved.
  virtual bool can_hold(SequenceId sequence, int extra_tokens) const = 0;
  // Number of tokens already in a sequence's cache (0 for an unknown sequence).
  virtual int cached_tokens(SequenceId sequence) const = 0;
  // Frees a sequence's cache pages. Unknown ids are ignored.
  virtual void release(SequenceId sequence) = 0;

  // Runs one step. `logits` receives items.size() rows of vocab_size floats, row i being
  // the next-token logits after items[i]'s last token. A sequence not seen before is
  // created. Throws std::runtime_error when the cache cannot hold the tokens.
  virtual void forward(std::span<const StepItem> items, std::vector<float>& logits) = 0;
};

}  // namespace warden::inference

// Byte-level BPE model ("model" object of a Hugging Face tokenizer.json): vocabulary and
// ranked merges. Encodes one pre-token piece (raw bytes) into token ids.
//
// Merging works on ids, not strings: each byte starts as its byte-level token, and a merge
// table maps (left id, right id) to (rank, merged id). The lowest-ranked adjacent pair is
// merged first, ties going to the leftmost pair, exactly as Hugging Face tokenizers does.
// Results for short pieces are cached; encode_piece is safe to call from many threads.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/json.h"
#include "inference/language_model.h"

namespace warden::inference {

class BpeModel {
 public:
  // Throws std::runtime_error naming the problem (type not BPE, a merge whose parts are not
  // in the vocabulary, a byte without a token, ...).
  static std::unique_ptr<BpeModel> from_json(const core::Json& model);

  // Appends the ids of `piece` (raw bytes, any content) to `out`.
  void encode_piece(std::string_view piece, std::vector<TokenId>& out) const;

  // Largest vocabulary id plus one.
  int vocab_end() const { return static_cast<int>(token_bytes_.size()); }
  // Raw bytes of a vocabulary token (empty for an id not in the vocabulary).
  const std::string& token_bytes(TokenId id) const;
  // Id of a token by its byte-level spelling, -1 when absent.
  TokenId find_spelling(std::string_view spelling) const;
  size_t merge_count() const { return merges_.size(); }

 private:
  struct Merge {
    int32_t rank;
    TokenId merged;
  };
  struct CacheShard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<TokenId>> entries;
  };
  static constexpr size_t kCacheShards = 16;
  static constexpr size_t kMaxCachedPieceBytes = 256;
  static constexpr size_t kMaxEntriesPerShard = 16384;

  static uint64_t pair_key(TokenId left, TokenId right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  void merge_bytes(std::string_view piece, std::vector<TokenId>& out) const;

  std::array<TokenId, 256> byte_token_{};
  std::unordered_map<uint64_t, Merge> merges_;
  std::unordered_map<std::string, TokenId> spelling_to_id_;
  std::vector<std::string> token_bytes_;
  mutable std::array<CacheShard, kCacheShards> cache_;
};

}  // namespace warden::inference

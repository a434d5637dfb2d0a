#include "inference/bpe_model.h"

#include <functional>
#include <queue>
#include <stdexcept>

#include "inference/bpe_byte_level.h"

namespace warden::inference {
namespace {

std::runtime_error model_error(const std::string& what) {
  return std::runtime_error("tokenizer.json: model: " + what);
}

// A merge read from either format: "left right" (older files) or ["left", "right"].
std::pair<std::string_view, std::string_view> merge_parts(const core::Json& merge, size_t index) {
  if (merge.is_string()) {
    std::string_view s = merge.as_string();
    size_t space = s.find(' ');
    if (space == std::string_view::npos || s.find(' ', space + 1) != std::string_view::npos) {
      throw model_error("merges[" + std::to_string(index) + "]: expected \"left right\", got \"" +
                        std::string(s) + "\"");
    }
    return {s.substr(0, space), s.substr(space + 1)};
  }
  if (merge.is_array() && merge.size() == 2) {
    return {merge[0].as_string(), merge[1].as_string()};
  }
  throw model_error("merges[" + std::to_string(index) + "]: expected a string or a pair");
}

}  // namespace

std::unique_ptr<BpeModel> BpeModel::from_json(const core::Json& model) {
  if (model.at("type").as_string() != "BPE") {
    throw model_error("unsupported type \"" + model.at("type").as_string() + "\" (expected BPE)");
  }
  for (const char* option : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const core::Json* v = model.find(option);
    if (v && !v->is_null() && !(v->is_string() && v->as_string().empty())) {
      throw model_error(std::string(option) + " is not supported");
    }
  }
  if (const core::Json* v = model.find("ignore_merges"); v && v->is_bool() && v->as_bool()) {
    throw model_error("ignore_merges true is not supported");
  }
  auto bpe = std::unique_ptr<BpeModel>(new BpeModel());
  const auto& vocab = model.at("vocab").as_object();
  bpe->spelling_to_id_.reserve(vocab.size() * 2);
  TokenId max_id = -1;
  for (const auto& [spelling, id_json] : vocab) {
    TokenId id = static_cast<TokenId>(id_json.as_int());
    if (id < 0) throw model_error("vocab[\"" + spelling + "\"]: negative id");
    bpe->spelling_to_id_.emplace(spelling, id);
    max_id = std::max(max_id, id);
  }
  bpe->token_bytes_.assign(static_cast<size_t>(max_id + 1), std::string());
  for (const auto& [spelling, id_json] : vocab) {
    auto bytes = byte_level_to_bytes(spelling);
    bpe->token_bytes_[static_cast<size_t>(id_json.as_int())] = bytes ? *bytes : spelling;
  }
  for (int b = 0; b < 256; ++b) {
    TokenId id = bpe->find_spelling(byte_level_spelling(static_cast<unsigned char>(b)));
    if (id < 0) throw model_error("vocab has no token for byte " + std::to_string(b));
    bpe->byte_token_[b] = id;
  }
  const auto& merges = model.at("merges").as_array();
  bpe->merges_.reserve(merges.size() * 2);
  std::string joined;
  for (size_t i = 0; i < merges.size(); ++i) {
    auto [left, right] = merge_parts(merges[i], i);
    TokenId l = bpe->find_spelling(left);
    TokenId r = bpe->find_spelling(right);
    joined.assign(left);
    joined.append(right);
    TokenId m = bpe->find_spelling(joined);
    if (l < 0 || r < 0 || m < 0) {
      throw model_error("merges[" + std::to_string(i) + "]: \"" + std::string(left) + " " +
                        std::string(right) + "\" uses a token missing from the vocab");
    }
    // The first occurrence wins, as in the reference implementations.
    bpe->merges_.emplace(pair_key(l, r), Merge{static_cast<int32_t>(i), m});
  }
  return bpe;
}

const std::string& BpeModel::token_bytes(TokenId id) const {
  static const std::string kEmpty;
  if (id < 0 || static_cast<size_t>(id) >= token_bytes_.size()) return kEmpty;
  return token_bytes_[static_cast<size_t>(id)];
}

TokenId BpeModel::find_spelling(std::string_view spelling) const {
  auto it = spelling_to_id_.find(std::string(spelling));
  return it == spelling_to_id_.end() ? -1 : it->second;
}

void BpeModel::encode_piece(std::string_view piece, std::vector<TokenId>& out) const {
  if (piece.empty()) return;
  if (piece.size() > kMaxCachedPieceBytes) {
    merge_bytes(piece, out);
    return;
  }
  CacheShard& shard = cache_[std::hash<std::string_view>{}(piece) % kCacheShards];
  std::string key(piece);
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.entries.find(key);
    if (it != shard.entries.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  size_t first = out.size();
  merge_bytes(piece, out);
  std::vector<TokenId> ids(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
  std::lock_guard<std::mutex> lock(shard.mutex);
  if (shard.entries.size() >= kMaxEntriesPerShard) shard.entries.clear();
  shard.entries.emplace(std::move(key), std::move(ids));
}

void BpeModel::merge_bytes(std::string_view piece, std::vector<TokenId>& out) const {
  struct Symbol {
    TokenId id;
    int prev;
    int next;
  };
  struct Candidate {
    int32_t rank;
    int left;  // index of the left symbol: its position in the piece breaks rank ties
    TokenId left_id;
    TokenId right_id;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
  };
  const int n = static_cast<int>(piece.size());
  std::vector<Symbol> symbols(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    symbols[i] = Symbol{byte_token_[static_cast<unsigned char>(piece[i])], i - 1, i + 1 < n ? i + 1 : -1};
  }
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  auto consider = [&](int left) {
    int right = symbols[left].next;
    if (right < 0) return;
    auto it = merges_.find(pair_key(symbols[left].id, symbols[right].id));
    if (it != merges_.end()) queue.push(Candidate{it->second.rank, left, symbols[left].id, symbols[right].id});
  };
  for (int i = 0; i + 1 < n; ++i) consider(i);
  while (!queue.empty()) {
    Candidate c = queue.top();
    queue.pop();
    Symbol& left = symbols[c.left];
    // Stale entries: the left symbol was merged away (id -1) or changed, or its neighbour did.
    if (left.id != c.left_id || left.next < 0 || symbols[left.next].id != c.right_id) continue;
    const int right_index = left.next;
    Symbol& right = symbols[right_index];
    left.id = merges_.at(pair_key(c.left_id, c.right_id)).merged;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = c.left;
    right.id = -1;
    if (left.prev >= 0) consider(left.prev);
    consider(c.left);
  }
  for (int i = 0; i >= 0; i = symbols[i].next) out.push_back(symbols[i].id);
}

}  // namespace warden::inference

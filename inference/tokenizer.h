// Text <-> token ids for a Hugging Face byte-level BPE tokenizer (tokenizer.json), plus the
// facts kept beside it in tokenizer_config.json (bos/eos, chat template).
//
// Callers: the gateway (encode prompts via ChatTemplate, count tokens), the engine (decode
// generated ids), `warden tokenize`. A loaded Tokenizer is immutable and thread-safe; share
// it as std::shared_ptr<const Tokenizer>.
//
// encode() never produces added/special tokens: text a user types that looks like
// "<｜end▁of▁sentence｜>" is encoded as ordinary text. Only the chat template puts special
// token ids into a prompt, by id.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/json.h"
#include "inference/bpe_model.h"
#include "inference/language_model.h"
#include "inference/pretokenizer.h"

namespace warden::inference {

struct AddedToken {
  TokenId id = -1;
  std::string content;
  bool special = false;
};

class Tokenizer {
 public:
  // Loads DIR/tokenizer.json and, when present, DIR/tokenizer_config.json.
  // Throws std::runtime_error naming the file and the problem.
  static std::shared_ptr<const Tokenizer> load(const std::filesystem::path& model_dir);
  // `config` may be null (no chat template, bos/eos unknown).
  static std::shared_ptr<const Tokenizer> from_json(const core::Json& tokenizer_json,
                                                    const core::Json* config);

  // Token ids of `text` (valid UTF-8; throws std::invalid_argument otherwise). No special
  // tokens are added or recognized.
  std::vector<TokenId> encode(std::string_view text) const;
  void encode_append(std::string_view text, std::vector<TokenId>& out) const;

  // Raw bytes of one token: the vocabulary bytes, or an added token's content.
  // Ids outside the vocabulary give an empty string.
  std::string_view token_bytes(TokenId id) const;
  // Text of `ids`; invalid UTF-8 becomes U+FFFD (as Rust's from_utf8_lossy does).
  // With `skip_special`, tokens marked special (bos, eos, pad, ...) contribute nothing.
  std::string decode(std::span<const TokenId> ids, bool skip_special = true) const;

  bool is_special(TokenId id) const;
  // Id of an added token by its exact content ("<｜User｜>"), nullopt when there is none.
  std::optional<TokenId> added_token_id(std::string_view content) const;
  const std::vector<AddedToken>& added_tokens() const { return added_tokens_; }

  int vocab_size() const { return vocab_size_; }  // largest id + 1
  std::optional<TokenId> bos_id() const { return bos_id_; }
  std::optional<TokenId> eos_id() const { return eos_id_; }
  // tokenizer_config.json "chat_template", empty when absent.
  const std::string& chat_template() const { return chat_template_; }
  const PreTokenizer& pre_tokenizer() const { return pre_tokenizer_; }

 private:
  Tokenizer() = default;

  PreTokenizer pre_tokenizer_;
  std::unique_ptr<BpeModel> model_;
  std::vector<AddedToken> added_tokens_;
  std::unordered_map<std::string, TokenId> added_by_content_;
  std::unordered_map<TokenId, size_t> added_by_id_;  // index into added_tokens_
  int vocab_size_ = 0;
  std::optional<TokenId> bos_id_;
  std::optional<TokenId> eos_id_;
  std::string chat_template_;
};

}  // namespace warden::inference

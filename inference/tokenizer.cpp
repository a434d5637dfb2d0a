#include "inference/tokenizer.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/utf8.h"
#include "inference/utf8_stream.h"

namespace warden::inference {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open file");
  std::string text;
  in.seekg(0, std::ios::end);
  text.resize(static_cast<size_t>(in.tellg()));
  in.seekg(0, std::ios::beg);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (!in) throw std::runtime_error(path.string() + ": read failed");
  return text;
}

core::Json parse_file(const std::filesystem::path& path) {
  std::string text = read_file(path);
  try {
    return core::Json::parse(text);
  } catch (const core::JsonError& e) {
    throw std::runtime_error(path.string() + ": " + e.what());
  }
}

// bos_token / eos_token are either a string or an AddedToken object with "content".
std::optional<std::string> token_content(const core::Json& config, std::string_view key) {
  const core::Json* v = config.find(key);
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_string()) return v->as_string();
  if (v->is_object()) return v->at("content").as_string();
  throw std::runtime_error("tokenizer_config.json: " + std::string(key) +
                           ": expected a string or an object with \"content\"");
}

}  // namespace

std::shared_ptr<const Tokenizer> Tokenizer::load(const std::filesystem::path& model_dir) {
  const auto tokenizer_path = model_dir / "tokenizer.json";
  const auto config_path = model_dir / "tokenizer_config.json";
  core::Json tokenizer_json = parse_file(tokenizer_path);
  std::optional<core::Json> config;
  if (std::filesystem::exists(config_path)) config = parse_file(config_path);
  try {
    return from_json(tokenizer_json, config ? &*config : nullptr);
  } catch (const std::exception& e) {
    throw std::runtime_error(model_dir.string() + ": " + e.what());
  }
}

std::shared_ptr<const Tokenizer> Tokenizer::from_json(const core::Json& tokenizer_json,
                                                       const core::Json* config) {
  auto t = std::shared_ptr<Tokenizer>(new Tokenizer());
  if (const core::Json* norm = tokenizer_json.find("normalizer"); norm && !norm->is_null()) {
    bool empty_sequence = norm->at("type").as_string() == "Sequence" && norm->at("normalizers").size() == 0;
    if (!empty_sequence) {
      throw std::runtime_error("tokenizer.json: normalizer: only none or an empty Sequence is supported");
    }
  }
  if (const core::Json* dec = tokenizer_json.find("decoder"); dec && !dec->is_null()) {
    if (dec->at("type").as_string() != "ByteLevel") {
      throw std::runtime_error("tokenizer.json: decoder: unsupported type \"" + dec->at("type").as_string() +
                               "\" (expected ByteLevel)");
    }
  }
  t->pre_tokenizer_ = PreTokenizer::from_json(tokenizer_json.at("pre_tokenizer"));
  t->model_ = BpeModel::from_json(tokenizer_json.at("model"));
  t->vocab_size_ = t->model_->vocab_end();
  if (const core::Json* added = tokenizer_json.find("added_tokens")) {
    for (const core::Json& entry : added->as_array()) {
      AddedToken token;
      token.id = static_cast<TokenId>(entry.at("id").as_int());
      token.content = entry.at("content").as_string();
      if (const core::Json* s = entry.find("special")) token.special = s->as_bool();
      t->added_by_content_[token.content] = token.id;
      t->added_by_id_[token.id] = t->added_tokens_.size();
      t->vocab_size_ = std::max(t->vocab_size_, token.id + 1);
      t->added_tokens_.push_back(std::move(token));
    }
  }
  if (config) {
    for (const char* key : {"bos_token", "eos_token"}) {
      auto content = token_content(*config, key);
      if (!content) continue;
      auto id = t->added_token_id(*content);
      if (!id) {
        throw std::runtime_error(std::string("tokenizer_config.json: ") + key + " \"" + *content +
                                 "\" is not an added token of tokenizer.json");
      }
      (std::string_view(key) == "bos_token" ? t->bos_id_ : t->eos_id_) = *id;
    }
    if (const core::Json* tmpl = config->find("chat_template"); tmpl && tmpl->is_string()) {
      t->chat_template_ = tmpl->as_string();
    }
  }
  return t;
}

std::vector<TokenId> Tokenizer::encode(std::string_view text) const {
  std::vector<TokenId> ids;
  ids.reserve(text.size() / 3 + 1);
  encode_append(text, ids);
  return ids;
}

void Tokenizer::encode_append(std::string_view text, std::vector<TokenId>& out) const {
  size_t bad = core::utf8_invalid_offset(text);
  if (bad != std::string_view::npos) {
    throw std::invalid_argument("tokenizer: text is not valid UTF-8 (byte offset " + std::to_string(bad) + ")");
  }
  std::vector<std::string_view> pieces;
  pre_tokenizer_.split(text, pieces);
  for (std::string_view piece : pieces) model_->encode_piece(piece, out);
}

std::string_view Tokenizer::token_bytes(TokenId id) const {
  auto it = added_by_id_.find(id);
  if (it != added_by_id_.end()) return added_tokens_[it->second].content;
  return model_->token_bytes(id);
}

bool Tokenizer::is_special(TokenId id) const {
  auto it = added_by_id_.find(id);
  return it != added_by_id_.end() && added_tokens_[it->second].special;
}

std::optional<TokenId> Tokenizer::added_token_id(std::string_view content) const {
  auto it = added_by_content_.find(std::string(content));
  if (it == added_by_content_.end()) return std::nullopt;
  return it->second;
}

std::string Tokenizer::decode(std::span<const TokenId> ids, bool skip_special) const {
  std::string bytes;
  for (TokenId id : ids) {
    if (skip_special && is_special(id)) continue;
    bytes.append(token_bytes(id));
  }
  std::string text;
  append_utf8_lossy(text, bytes, /*at_end=*/true);
  return text;
}

}  // namespace warden::inference

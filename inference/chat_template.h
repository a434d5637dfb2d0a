// Chat templates of the supported model families, built in rather than interpreted: the
// gateway turns OpenAI messages into prompt token ids with them.
//
// The template is recognized from tokenizer_config.json's `chat_template` by its content
// (DeepSeek-V3's "<｜User｜>...<｜Assistant｜>" form, or DeepSeek-V2's "User: ...\n\nAssistant:"
// form); anything else is refused with an error, because a wrong prompt format silently
// degrades every answer. Special tokens go in by id; message content goes through
// Tokenizer::encode, so a user cannot inject special tokens by typing them.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inference/language_model.h"

namespace warden::inference {

class Tokenizer;

struct ChatMessage {
  std::string role;  // "system", "user", "assistant" (and "tool" for DeepSeek-V3)
  std::string content;
};

enum class ChatTemplateKind { kDeepSeekV3, kDeepSeekV2 };

class ChatTemplate {
 public:
  // Throws std::runtime_error when the text is not a template we recognize.
  static ChatTemplate detect(std::string_view template_text);
  // detect(tokenizer.chat_template()), with an error naming tokenizer_config.json.
  static ChatTemplate for_tokenizer(const Tokenizer& tokenizer);

  explicit ChatTemplate(ChatTemplateKind kind) : kind_(kind) {}
  ChatTemplateKind kind() const { return kind_; }
  const char* name() const;

  // Prompt ids for `messages` (bos first). With `add_generation_prompt`, ends where the
  // assistant's reply begins. Throws std::invalid_argument naming a message with a role the
  // template does not know, and std::runtime_error when a needed special token is missing.
  std::vector<TokenId> render(const Tokenizer& tokenizer, std::span<const ChatMessage> messages,
                              bool add_generation_prompt) const;

 private:
  ChatTemplateKind kind_;
};

}  // namespace warden::inference

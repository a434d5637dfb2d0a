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

// A function call in an assistant message of the conversation (DeepSeek-V3 only).
struct ToolCall {
  std::string id;         // not rendered: the V3 format has no call ids
  std::string name;
  std::string arguments;  // JSON text, rendered as it is
};

struct ChatMessage {
  std::string role;  // "system", "user", "assistant" (and "tool" for DeepSeek-V3)
  std::string content;
  std::vector<ToolCall> tool_calls = {};  // assistant messages (= {}: two-field initializers stay quiet)
};

// A function the model may call: rendered into the system prompt.
struct ToolSpec {
  std::string name;
  std::string description;
  std::string parameters;  // JSON Schema as JSON text; "" when absent
};

// OpenAI's tool_choice. kNone: the tools are not shown to the model. kRequired and
// kFunction make the prompt end inside a tool call, so the model's output continues it.
struct ToolChoice {
  enum class Mode { kAuto, kNone, kRequired, kFunction };
  Mode mode = Mode::kAuto;
  std::string function;  // kFunction
};

struct ToolOptions {
  std::span<const ToolSpec> tools;
  ToolChoice choice;
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
  // With `tools` (DeepSeek-V3 only; V2 throws std::invalid_argument naming `tools`), the
  // functions are described after the system prompts, and assistant tool_calls are
  // rendered in the model's tool-call tokens.
  std::vector<TokenId> render(const Tokenizer& tokenizer, std::span<const ChatMessage> messages,
                              bool add_generation_prompt, const ToolOptions& tools = {}) const;

  bool supports_tools() const { return kind_ == ChatTemplateKind::kDeepSeekV3; }
  // The text (special tokens by their content) that render() put after the generation
  // prompt to force a call for `choice`; the model's output continues it, so a parser of
  // the output must see it first. Empty for kAuto and kNone.
  std::string forced_output_prefix(const ToolChoice& choice) const;

 private:
  ChatTemplateKind kind_;
};

}  // namespace warden::inference

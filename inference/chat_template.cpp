#include "inference/chat_template.h"

#include <stdexcept>

#include "inference/tokenizer.h"

namespace warden::inference {
namespace {

constexpr std::string_view kUser = "<｜User｜>";
constexpr std::string_view kAssistant = "<｜Assistant｜>";
constexpr std::string_view kEndOfSentence = "<｜end▁of▁sentence｜>";
constexpr std::string_view kToolOutputsBegin = "<｜tool▁outputs▁begin｜>";
constexpr std::string_view kToolOutputsEnd = "<｜tool▁outputs▁end｜>";
constexpr std::string_view kToolOutputBegin = "<｜tool▁output▁begin｜>";
constexpr std::string_view kToolOutputEnd = "<｜tool▁output▁end｜>";

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// Collects a prompt as text and special-token ids. Adjacent text is encoded in one go, as a
// template engine followed by the tokenizer would (only special tokens cut the text).
class PromptBuilder {
 public:
  explicit PromptBuilder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

  void text(std::string_view s) { pending_text_.append(s); }
  void special(TokenId id) {
    flush();
    ids_.push_back(id);
  }
  void special(std::string_view content) {
    auto id = tokenizer_.added_token_id(content);
    if (!id) {
      throw std::runtime_error("chat template: the tokenizer has no token \"" + std::string(content) + "\"");
    }
    special(*id);
  }
  std::vector<TokenId> finish() {
    flush();
    return std::move(ids_);
  }

 private:
  void flush() {
    if (pending_text_.empty()) return;
    tokenizer_.encode_append(pending_text_, ids_);
    pending_text_.clear();
  }

  const Tokenizer& tokenizer_;
  std::string pending_text_;
  std::vector<TokenId> ids_;
};

std::invalid_argument bad_role(size_t index, const std::string& role, const char* expected) {
  return std::invalid_argument("messages[" + std::to_string(index) + "].role: unsupported role \"" + role +
                               "\" (expected " + expected + ")");
}

TokenId required_bos(const Tokenizer& tokenizer) {
  if (!tokenizer.bos_id()) throw std::runtime_error("chat template: tokenizer_config.json names no bos_token");
  return *tokenizer.bos_id();
}

// DeepSeek-V3 (tokenizer_config.json of deepseek-ai/DeepSeek-V3): all system prompts first,
// joined by blank lines; no separators between turns; tool outputs wrapped in their tokens.
std::vector<TokenId> render_v3(const Tokenizer& tokenizer, std::span<const ChatMessage> messages,
                               bool add_generation_prompt) {
  PromptBuilder prompt(tokenizer);
  prompt.special(required_bos(tokenizer));
  bool first_system = true;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    if (m.role == "system") {
      if (!first_system) prompt.text("\n\n");
      prompt.text(m.content);
      first_system = false;
    } else if (m.role != "user" && m.role != "assistant" && m.role != "tool") {
      throw bad_role(i, m.role, "system, user, assistant or tool");
    }
  }
  bool in_tool_outputs = false;
  bool first_output = true;  // the template never resets this, so neither do we
  for (const ChatMessage& m : messages) {
    if (m.role == "user") {
      in_tool_outputs = false;
      prompt.special(kUser);
      prompt.text(m.content);
    } else if (m.role == "assistant") {
      prompt.special(in_tool_outputs ? kToolOutputsEnd : kAssistant);
      in_tool_outputs = false;
      prompt.text(m.content);
      prompt.special(kEndOfSentence);
    } else if (m.role == "tool") {
      in_tool_outputs = true;
      if (first_output) {
        prompt.special(kToolOutputsBegin);
        first_output = false;
      } else {
        prompt.text("\n");
      }
      prompt.special(kToolOutputBegin);
      prompt.text(m.content);
      prompt.special(kToolOutputEnd);
    }
  }
  if (in_tool_outputs) prompt.special(kToolOutputsEnd);
  if (add_generation_prompt && !in_tool_outputs) prompt.special(kAssistant);
  return prompt.finish();
}

// DeepSeek-V2 / V2-Lite chat: plain-text "User: ...\n\nAssistant: ..." turns.
std::vector<TokenId> render_v2(const Tokenizer& tokenizer, std::span<const ChatMessage> messages,
                               bool add_generation_prompt) {
  PromptBuilder prompt(tokenizer);
  prompt.special(required_bos(tokenizer));
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    if (m.role == "user") {
      prompt.text("User: " + m.content + "\n\n");
    } else if (m.role == "assistant") {
      prompt.text("Assistant: " + m.content);
      if (!tokenizer.eos_id()) throw std::runtime_error("chat template: tokenizer_config.json names no eos_token");
      prompt.special(*tokenizer.eos_id());
    } else if (m.role == "system") {
      prompt.text(m.content + "\n\n");
    } else {
      throw bad_role(i, m.role, "system, user or assistant");
    }
  }
  if (add_generation_prompt) prompt.text("Assistant:");
  return prompt.finish();
}

}  // namespace

ChatTemplate ChatTemplate::detect(std::string_view t) {
  if (contains(t, "<think>") || contains(t, "</think>")) {
    throw std::runtime_error("chat_template: templates with <think> reasoning blocks (DeepSeek-R1/V3.1 style) "
                             "are not supported");
  }
  if (contains(t, kUser) && contains(t, kAssistant) && contains(t, "ns.system_prompt") &&
      contains(t, kEndOfSentence) && contains(t, "add_generation_prompt")) {
    return ChatTemplate(ChatTemplateKind::kDeepSeekV3);
  }
  if (contains(t, "'User: ' + message['content']") &&
      contains(t, "'Assistant: ' + message['content'] + eos_token") && contains(t, "'Assistant:'") &&
      contains(t, "bos_token")) {
    return ChatTemplate(ChatTemplateKind::kDeepSeekV2);
  }
  if (t.empty()) throw std::runtime_error("chat_template: missing (tokenizer_config.json has no chat_template)");
  throw std::runtime_error("chat_template: unrecognized template (supported: DeepSeek-V3, DeepSeek-V2)");
}

ChatTemplate ChatTemplate::for_tokenizer(const Tokenizer& tokenizer) {
  try {
    return detect(tokenizer.chat_template());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("tokenizer_config.json: ") + e.what());
  }
}

const char* ChatTemplate::name() const {
  return kind_ == ChatTemplateKind::kDeepSeekV3 ? "deepseek-v3" : "deepseek-v2";
}

std::vector<TokenId> ChatTemplate::render(const Tokenizer& tokenizer, std::span<const ChatMessage> messages,
                                          bool add_generation_prompt) const {
  return kind_ == ChatTemplateKind::kDeepSeekV3 ? render_v3(tokenizer, messages, add_generation_prompt)
                                                : render_v2(tokenizer, messages, add_generation_prompt);
}

}  // namespace warden::inference

#include "inference/chat_template.h"

#include <stdexcept>

#include "inference/deepseek_v3_tokens.h"
#include "inference/tokenizer.h"

namespace warden::inference {
namespace {

using namespace v3_tokens;

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// Collects a prompt as text and special-token ids. Adjacent text is encoded in one go, as a
// template engine followed by the tokenizer would (only special tokens cut the text).
class PromptBuilder {
 public:
  explicit PromptBuilder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

  void text(std::string_view s) { pending_text_.append(s); }
  // Text added since the last special token (not yet encoded).
  const std::string& pending_text() const { return pending_text_; }
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

// The text that describes the functions to the model, after the system prompts. It says how
// to call in words only: the markers are tokens, and writing them here as text would encode
// them as ordinary text.
std::string describe_tools(std::span<const ToolSpec> tools) {
  std::string out =
      "## Tools\n\n"
      "You can call the functions listed below when they help you answer. To call functions, "
      "open a tool-call block with your tool-call tokens; write each call as the type "
      "\"function\", the separator token, the function's name on its own line, and then the "
      "arguments as one JSON object inside a ```json code fence; close each call and then the "
      "block with their tokens. One block may hold several calls. Use only the functions below, "
      "with arguments that follow their parameter schema. The results come back to you as tool "
      "outputs.";
  for (const ToolSpec& tool : tools) {
    out += "\n\n### " + tool.name;
    if (!tool.description.empty()) out += "\n" + tool.description;
    if (tool.parameters.empty()) {
      out += "\nParameters: none";
    } else {
      out += "\nParameters (JSON Schema): " + tool.parameters;
    }
  }
  return out;
}

bool has_space(std::string_view s) {
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f') return true;
  }
  return false;
}

// A name goes into the prompt on its own line, so it must be one non-empty word.
void check_name(std::string_view name, const std::string& field) {
  if (name.empty()) throw std::invalid_argument(field + ": empty function name");
  if (has_space(name)) {
    throw std::invalid_argument(field + ": function name \"" + std::string(name) + "\" contains whitespace");
  }
}

bool forces_call(const ToolChoice& choice) {
  return choice.mode == ToolChoice::Mode::kRequired || choice.mode == ToolChoice::Mode::kFunction;
}

void check_tool_options(const ToolOptions& options) {
  for (size_t i = 0; i < options.tools.size(); ++i) {
    check_name(options.tools[i].name, "tools[" + std::to_string(i) + "].name");
  }
  const ToolChoice& choice = options.choice;
  if (choice.mode == ToolChoice::Mode::kRequired && options.tools.empty()) {
    throw std::invalid_argument("tool_choice: \"required\" needs at least one function in tools");
  }
  if (choice.mode == ToolChoice::Mode::kFunction) {
    bool known = false;
    for (const ToolSpec& tool : options.tools) known |= tool.name == choice.function;
    if (!known) {
      throw std::invalid_argument("tool_choice: function \"" + choice.function + "\" is not one of the tools");
    }
  }
}

// One call in the V3 format: the type and the name/arguments texts are separate text
// runs, because the tokens between them cut the text.
void render_call(PromptBuilder& prompt, std::string_view name, std::string_view arguments) {
  prompt.special(kToolCallBegin);
  prompt.text("function");
  prompt.special(kToolSep);
  prompt.text(name);
  prompt.text("\n```json\n");
  prompt.text(arguments);
  prompt.text("\n```");
  prompt.special(kToolCallEnd);
}

// The start of a forced call, piece by piece: render() puts the special pieces in by id,
// forced_output_prefix() joins the same pieces as text, so the two cannot drift apart.
struct PromptPiece {
  bool special;
  std::string text;
};

std::vector<PromptPiece> forced_call_pieces(const ToolChoice& choice) {
  std::vector<PromptPiece> pieces = {{true, std::string(kToolCallsBegin)},
                                     {true, std::string(kToolCallBegin)},
                                     {false, "function"},
                                     {true, std::string(kToolSep)}};
  if (choice.mode == ToolChoice::Mode::kFunction) pieces.push_back({false, choice.function + "\n```json\n"});
  return pieces;
}

void render_forced(PromptBuilder& prompt, const ToolChoice& choice) {
  for (const PromptPiece& piece : forced_call_pieces(choice)) {
    if (piece.special) prompt.special(piece.text);
    else prompt.text(piece.text);
  }
}

// DeepSeek-V3 (tokenizer_config.json of deepseek-ai/DeepSeek-V3): all system prompts first,
// joined by blank lines, then the tools; no separators between turns; tool calls and tool
// outputs wrapped in their tokens.
//
// Where the shipped Jinja template is broken we render the well-formed shape instead. The
// template only gets a content-null assistant message with 2+ calls right when it is the
// first tool-call message of the conversation: for one call it drops
// <｜tool▁calls▁end｜><｜end▁of▁sentence｜>, it never resets its is_first flag (a later message
// starts without <｜Assistant｜><｜tool▁calls▁begin｜>), it drops the calls of a message whose
// content is not null, and it never resets is_output_first (a second round of tool outputs
// lacks <｜tool▁outputs▁begin｜>), nor closes outputs with <｜tool▁outputs▁end｜> before a user
// turn or a tool-call message. Here every assistant message with calls is
//   <｜Assistant｜>content<｜tool▁calls▁begin｜>call("\n"call)*<｜tool▁calls▁end｜><｜end▁of▁sentence｜>
// (after tool outputs <｜tool▁outputs▁end｜> takes the place of <｜Assistant｜>, as in the
// template), and every run of tool messages is one complete outputs block.
std::vector<TokenId> render_v3(const Tokenizer& tokenizer, std::span<const ChatMessage> messages,
                               bool add_generation_prompt, const ToolOptions& options) {
  check_tool_options(options);
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
    if (!m.tool_calls.empty() && m.role != "assistant") {
      throw std::invalid_argument("messages[" + std::to_string(i) +
                                  "].tool_calls: only assistant messages carry tool calls");
    }
    for (size_t j = 0; j < m.tool_calls.size(); ++j) {
      check_name(m.tool_calls[j].name,
                 "messages[" + std::to_string(i) + "].tool_calls[" + std::to_string(j) + "].name");
    }
  }
  const bool show_tools = !options.tools.empty() && options.choice.mode != ToolChoice::Mode::kNone;
  if (show_tools) {
    if (!prompt.pending_text().empty()) prompt.text("\n\n");
    prompt.text(describe_tools(options.tools));
  }
  bool in_tool_outputs = false;
  for (const ChatMessage& m : messages) {
    if (m.role == "user") {
      if (in_tool_outputs) prompt.special(kToolOutputsEnd);
      in_tool_outputs = false;
      prompt.special(kUser);
      prompt.text(m.content);
    } else if (m.role == "assistant") {
      prompt.special(in_tool_outputs ? kToolOutputsEnd : kAssistant);
      in_tool_outputs = false;
      prompt.text(m.content);
      if (!m.tool_calls.empty()) {
        prompt.special(kToolCallsBegin);
        for (size_t j = 0; j < m.tool_calls.size(); ++j) {
          if (j > 0) prompt.text("\n");
          render_call(prompt, m.tool_calls[j].name, m.tool_calls[j].arguments);
        }
        prompt.special(kToolCallsEnd);
      }
      prompt.special(kEndOfSentence);
    } else if (m.role == "tool") {
      if (in_tool_outputs) {
        prompt.text("\n");
      } else {
        prompt.special(kToolOutputsBegin);
        in_tool_outputs = true;
      }
      prompt.special(kToolOutputBegin);
      prompt.text(m.content);
      prompt.special(kToolOutputEnd);
    }
  }
  // After tool outputs the reply continues without <｜Assistant｜>.
  const bool at_reply = add_generation_prompt || in_tool_outputs;
  if (in_tool_outputs) prompt.special(kToolOutputsEnd);
  if (add_generation_prompt && !in_tool_outputs) prompt.special(kAssistant);
  if (forces_call(options.choice)) {
    if (!at_reply) {
      throw std::invalid_argument("tool_choice: a forced call needs a prompt that ends where the reply begins "
                                  "(add_generation_prompt, or tool outputs last)");
    }
    render_forced(prompt, options.choice);
  }
  return prompt.finish();
}

// DeepSeek-V2 / V2-Lite chat: plain-text "User: ...\n\nAssistant: ..." turns.
// It has no tool-call format, so anything about tools is refused rather than dropped.
std::vector<TokenId> render_v2(const Tokenizer& tokenizer, std::span<const ChatMessage> messages,
                               bool add_generation_prompt, const ToolOptions& options) {
  if (!options.tools.empty()) {
    throw std::invalid_argument("tools: the DeepSeek-V2 chat template has no function calling");
  }
  if (forces_call(options.choice)) {
    throw std::invalid_argument("tool_choice: the DeepSeek-V2 chat template has no function calling");
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    if (!messages[i].tool_calls.empty()) {
      throw std::invalid_argument("messages[" + std::to_string(i) +
                                  "].tool_calls: the DeepSeek-V2 chat template has no function calling");
    }
  }
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
      throw bad_role(i, m.role, "system, user or assistant; DeepSeek-V2 has no tool role");
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
                                          bool add_generation_prompt, const ToolOptions& tools) const {
  return kind_ == ChatTemplateKind::kDeepSeekV3 ? render_v3(tokenizer, messages, add_generation_prompt, tools)
                                                : render_v2(tokenizer, messages, add_generation_prompt, tools);
}

std::string ChatTemplate::forced_output_prefix(const ToolChoice& choice) const {
  if (kind_ != ChatTemplateKind::kDeepSeekV3 || !forces_call(choice)) return "";
  std::string prefix;
  for (const PromptPiece& piece : forced_call_pieces(choice)) prefix += piece.text;
  return prefix;
}

}  // namespace warden::inference

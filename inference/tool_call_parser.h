// Splits a DeepSeek-V3 answer into its text and its tool calls, as the answer streams.
//
// The model writes calls with its tool-call tokens, which detokenize to their content:
//   text<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\nARGS\n```<｜tool▁call▁end｜>
//       \n<｜tool▁call▁begin｜>...<｜tool▁call▁end｜><｜tool▁calls▁end｜>
// push() returns the text that is certainly not part of a marker as kText pieces (holding
// back only a possible marker prefix), and each call as one kToolCall piece once its
// <｜tool▁call▁end｜> arrives. finish() returns what is left: held-back text, and a call the
// answer ended inside (complete = false, arguments as far as they got).
//
// The result does not depend on how the text is cut into pushes. Text after
// <｜tool▁calls▁end｜> is text again. Malformed markup inside a call (no <｜tool▁sep｜>, no
// ```json fence) is not an error: the call is reported with what could be read.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace warden::inference {

struct ParsedToolCall {
  std::string type;       // "function" (what the model wrote before <｜tool▁sep｜>)
  std::string name;
  std::string arguments;  // between the ```json fence lines, as the model wrote them
  bool complete = true;   // false: the answer ended inside this call
};

struct OutputPiece {
  enum class Kind { kText, kToolCall };
  Kind kind = Kind::kText;
  std::string text;     // kText
  ParsedToolCall call;  // kToolCall
};

class ToolCallParser {
 public:
  std::vector<OutputPiece> push(std::string_view text);
  std::vector<OutputPiece> finish();
  // True once any tool-call markup was seen.
  bool saw_tool_calls() const { return saw_calls_; }

 private:
  enum class State { kText, kBetweenCalls, kInCall };
  State state_ = State::kText;
  std::string buffer_;  // not yet returned: a possible marker start, or the current call's body
  size_t scanned_ = 0;  // kInCall: buffer_ before this holds no marker start
  bool saw_calls_ = false;
};

}  // namespace warden::inference

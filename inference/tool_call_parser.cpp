#include "inference/tool_call_parser.h"

#include <algorithm>
#include <array>

#include "inference/deepseek_v3_tokens.h"

namespace warden::inference {
namespace {

constexpr std::string_view kCallsBegin = v3_tokens::kToolCallsBegin;
constexpr std::string_view kCallsEnd = v3_tokens::kToolCallsEnd;
constexpr std::string_view kCallBegin = v3_tokens::kToolCallBegin;
constexpr std::string_view kCallEnd = v3_tokens::kToolCallEnd;
constexpr std::string_view kSep = v3_tokens::kToolSep;

// All markers start with this, so a '<' that cannot begin it releases the text before it.
constexpr size_t kLongestMarker = std::max({kCallsBegin.size(), kCallsEnd.size(), kCallBegin.size(),
                                            kCallEnd.size()});

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// `tail` (which runs to the end of the buffer) is a proper, non-empty prefix of `marker`.
bool is_marker_start(std::string_view tail, std::string_view marker) {
  return !tail.empty() && tail.size() < marker.size() && marker.substr(0, tail.size()) == tail;
}

struct Match {
  size_t pos = std::string::npos;  // where the marker starts; npos: none
  std::string_view marker;
  bool partial = false;  // the buffer ends inside a possible marker starting at pos
};

// The first of `markers` in `buffer` at or after `from`, or the first position from which
// the rest of the buffer could still grow into one of them.
template <size_t N>
Match find_first(std::string_view buffer, size_t from, const std::array<std::string_view, N>& markers) {
  for (size_t pos = buffer.find('<', from); pos != std::string_view::npos; pos = buffer.find('<', pos + 1)) {
    std::string_view tail = buffer.substr(pos);
    for (std::string_view marker : markers) {
      if (tail.substr(0, marker.size()) == marker) return {pos, marker, false};
    }
    for (std::string_view marker : markers) {
      if (is_marker_start(tail, marker)) return {pos, {}, true};
    }
  }
  return {};
}

void add_text(std::vector<OutputPiece>& out, std::string_view text) {
  if (text.empty()) return;
  if (!out.empty() && out.back().kind == OutputPiece::Kind::kText) {
    out.back().text.append(text);
    return;
  }
  OutputPiece piece;
  piece.kind = OutputPiece::Kind::kText;
  piece.text.assign(text);
  out.push_back(std::move(piece));
}

// A call's body, between <｜tool▁call▁begin｜> and <｜tool▁call▁end｜>:
//   TYPE<｜tool▁sep｜>NAME\n```json\nARGS\n```
// read leniently: without the separator the type is empty and the body is NAME..., without
// the fence the arguments are the text after the name line, and an unclosed fence (the
// answer stopped) keeps the arguments as far as they got.
ParsedToolCall parse_call(std::string_view body, bool complete) {
  ParsedToolCall call;
  call.complete = complete;
  std::string_view rest = body;
  if (size_t sep = body.find(kSep); sep != std::string_view::npos) {
    call.type.assign(trim(body.substr(0, sep)));
    rest = body.substr(sep + kSep.size());
  }
  size_t name_end = std::min(rest.find('\n'), rest.find("```"));
  if (name_end == std::string_view::npos) {
    call.name.assign(trim(rest));
    return call;
  }
  call.name.assign(trim(rest.substr(0, name_end)));
  rest = rest.substr(name_end);
  std::string_view after_space = rest;
  while (!after_space.empty() && is_space(after_space.front())) after_space.remove_prefix(1);
  if (after_space.substr(0, 3) != "```") {
    call.arguments.assign(trim(rest));
    return call;
  }
  // Skip the opening fence line ("```json").
  size_t line_end = after_space.find('\n');
  if (line_end == std::string_view::npos) return call;  // stopped inside the fence line
  std::string_view args = after_space.substr(line_end + 1);
  std::string_view closed = args;
  while (!closed.empty() && is_space(closed.back())) closed.remove_suffix(1);
  if (closed.size() >= 3 && closed.substr(closed.size() - 3) == "```") {
    args = closed.substr(0, closed.size() - 3);
    if (!args.empty() && args.back() == '\n') args.remove_suffix(1);
    if (!args.empty() && args.back() == '\r') args.remove_suffix(1);
  }
  call.arguments.assign(args);
  return call;
}

OutputPiece call_piece(ParsedToolCall call) {
  OutputPiece piece;
  piece.kind = OutputPiece::Kind::kToolCall;
  piece.call = std::move(call);
  return piece;
}

}  // namespace

std::vector<OutputPiece> ToolCallParser::push(std::string_view text) {
  buffer_.append(text);
  std::vector<OutputPiece> out;
  // Each pass either consumes from the buffer and changes state, or waits for more text.
  for (;;) {
    if (state_ == State::kText) {
      // The model may skip <｜tool▁calls▁begin｜>; a bare call still starts the calls.
      Match m = find_first<2>(buffer_, 0, {kCallsBegin, kCallBegin});
      if (m.pos == std::string::npos) {
        add_text(out, buffer_);
        buffer_.clear();
        return out;
      }
      add_text(out, std::string_view(buffer_).substr(0, m.pos));
      if (m.partial) {
        buffer_.erase(0, m.pos);
        return out;
      }
      buffer_.erase(0, m.pos + m.marker.size());
      saw_calls_ = true;
      state_ = m.marker == kCallBegin ? State::kInCall : State::kBetweenCalls;
      scanned_ = 0;
    } else if (state_ == State::kBetweenCalls) {
      // Only whitespace ("\n" between calls) is expected before the next marker.
      size_t start = 0;
      while (start < buffer_.size() && is_space(buffer_[start])) ++start;
      std::string_view rest = std::string_view(buffer_).substr(start);
      if (rest.empty() || is_marker_start(rest, kCallBegin) || is_marker_start(rest, kCallsEnd)) return out;
      if (rest.substr(0, kCallBegin.size()) == kCallBegin) {
        buffer_.erase(0, start + kCallBegin.size());
        state_ = State::kInCall;
        scanned_ = 0;
      } else if (rest.substr(0, kCallsEnd.size()) == kCallsEnd) {
        buffer_.erase(0, start + kCallsEnd.size());
        state_ = State::kText;
      } else {
        state_ = State::kText;  // the model went on writing without closing the block
      }
    } else {
      // A call ends at its end marker; a new call or the block's end also ends it (markup
      // the model got wrong), so one malformed call does not swallow the rest.
      Match m = find_first<3>(buffer_, scanned_, {kCallEnd, kCallBegin, kCallsEnd});
      if (m.pos == std::string::npos || m.partial) {
        scanned_ = buffer_.size() > kLongestMarker ? buffer_.size() - kLongestMarker : 0;
        return out;
      }
      out.push_back(call_piece(parse_call(std::string_view(buffer_).substr(0, m.pos), true)));
      // The end marker is consumed; a call or block marker is read again in kBetweenCalls.
      buffer_.erase(0, m.pos + (m.marker == kCallEnd ? m.marker.size() : 0));
      state_ = State::kBetweenCalls;
      scanned_ = 0;
    }
  }
}

std::vector<OutputPiece> ToolCallParser::finish() {
  std::vector<OutputPiece> out;
  switch (state_) {
    case State::kText:
      add_text(out, buffer_);
      break;
    case State::kBetweenCalls:
      // Whitespace between calls is markup; anything else is an unfinished text.
      if (!trim(buffer_).empty()) add_text(out, buffer_);
      break;
    case State::kInCall:
      out.push_back(call_piece(parse_call(buffer_, false)));
      break;
  }
  buffer_.clear();
  state_ = State::kText;
  scanned_ = 0;
  return out;
}

}  // namespace warden::inference

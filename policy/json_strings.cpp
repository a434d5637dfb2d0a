#include "policy/json_strings.h"

#include <stdexcept>

#include "core/json.h"

namespace warden::policy {
namespace {

// Walks a text that core::Json::parse accepted, so it needs no error handling of its own:
// every structure is known to be complete and well formed (and at most 256 levels deep,
// which bounds the recursion).
class StringWalker {
 public:
  StringWalker(std::string_view text, std::vector<JsonStringValue>& out) : text_(text), out_(out) {}

  void walk() { value(std::string()); }

 private:
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\r' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }

  // The literal starting at pos_ (an opening quote); leaves pos_ after its closing quote.
  std::string_view literal() {
    const size_t start = pos_++;
    while (text_[pos_] != '"') pos_ += text_[pos_] == '\\' ? 2 : 1;
    ++pos_;
    return text_.substr(start, pos_ - start);
  }

  static std::string decode(std::string_view literal) { return core::Json::parse(literal).as_string(); }

  void value(const std::string& path) {
    skip_space();
    const char c = text_[pos_];
    if (c == '{') {
      ++pos_;
      skip_space();
      if (text_[pos_] == '}') {
        ++pos_;
        return;
      }
      while (true) {
        skip_space();
        const std::string key = decode(literal());
        skip_space();
        ++pos_;  // ':'
        value(path + json_path_key(key));
        skip_space();
        if (text_[pos_++] == '}') return;  // else ','
      }
    }
    if (c == '[') {
      ++pos_;
      skip_space();
      if (text_[pos_] == ']') {
        ++pos_;
        return;
      }
      for (size_t index = 0;; ++index) {
        value(path + "[" + std::to_string(index) + "]");
        skip_space();
        if (text_[pos_++] == ']') return;  // else ','
      }
    }
    if (c == '"') {
      const size_t start = pos_;
      const std::string_view lit = literal();
      out_.push_back(JsonStringValue{start, pos_, path, decode(lit)});
      return;
    }
    // A number, true, false or null: runs to the next delimiter.
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != ']' && text_[pos_] != '}' &&
           text_[pos_] != ' ' && text_[pos_] != '\n' && text_[pos_] != '\r' && text_[pos_] != '\t') {
      ++pos_;
    }
  }

  std::string_view text_;
  std::vector<JsonStringValue>& out_;
  size_t pos_ = 0;
};

bool plain_key_char(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$') return true;
  return !first && ((c >= '0' && c <= '9') || c == '-');
}

}  // namespace

std::optional<std::vector<JsonStringValue>> json_string_values(std::string_view text) {
  try {
    core::Json::parse(text);
  } catch (const core::JsonError&) {
    return std::nullopt;
  }
  std::vector<JsonStringValue> values;
  StringWalker(text, values).walk();
  return values;
}

std::string json_path_key(std::string_view key) {
  bool plain = !key.empty();
  for (size_t i = 0; plain && i < key.size(); ++i) plain = plain_key_char(key[i], i == 0);
  if (plain) return "." + std::string(key);
  return "[" + core::json_quote(key) + "]";
}

std::string splice_json_strings(std::string_view text, const std::vector<JsonStringValue>& values,
                                const std::vector<std::string>& replacements) {
  if (values.size() != replacements.size()) {
    throw std::logic_error("splice_json_strings: " + std::to_string(values.size()) + " values but " +
                           std::to_string(replacements.size()) + " replacements");
  }
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const JsonStringValue& v = values[i];
    if (replacements[i] == v.value) continue;
    out.append(text.substr(pos, v.start - pos));
    core::json_append_quoted(out, replacements[i]);
    pos = v.end;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace warden::policy

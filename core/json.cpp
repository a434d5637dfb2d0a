#include "core/json.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <unordered_set>

#include "core/utf8.h"

namespace warden::core {
namespace {

const char* kTypeNames[] = {"null", "boolean", "integer", "number", "string", "array", "object"};

class Parser {
 public:
  Parser(std::string_view text, int max_depth) : text_(text), max_depth_(max_depth) {}

  Json parse_document() {
    skip_space();
    Json value = parse_value(0);
    skip_space();
    if (pos_ != text_.size()) fail("unexpected data after the JSON value");
    return value;
  }

 private:
  [[noreturn]] void duplicate(const std::string& key, size_t at) {
    pos_ = at;
    fail("duplicate key \"" + (key.size() > 64 ? key.substr(0, 64) + "..." : key) + "\" in an object");
  }

  [[noreturn]] void fail(const std::string& what) const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw JsonError("invalid JSON at line " + std::to_string(line) + " column " +
                    std::to_string(column) + " (byte " + std::to_string(pos_) + "): " + what);
  }

  void skip_space() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        ++pos_;
      } else {
        break;
      }
    }
  }

  bool consume_literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      return true;
    }
    return false;
  }

  Json parse_value(int depth) {
    if (pos_ >= text_.size()) fail("unexpected end of input, expected a value");
    char c = text_[pos_];
    switch (c) {
      case '{':
        return parse_object(depth + 1);
      case '[':
        return parse_array(depth + 1);
      case '"':
        return Json(parse_string());
      case 't':
        if (consume_literal("true")) return Json(true);
        break;
      case 'f':
        if (consume_literal("false")) return Json(false);
        break;
      case 'n':
        if (consume_literal("null")) return Json(nullptr);
        break;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
    }
    fail(std::string("unexpected character '") + printable(c) + "'");
  }

  static std::string printable(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) return std::string(1, c);
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", u);
    return buf;
  }

  Json parse_object(int depth) {
    if (depth > max_depth_) fail("nesting deeper than " + std::to_string(max_depth_));
    ++pos_;  // '{'
    Json::Object members;
    std::unordered_set<std::string> seen;  // keys, once the object has 16 members
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return Json(std::move(members));
    }
    while (true) {
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != '"') fail("expected a string key");
      const size_t key_at = pos_;
      std::string key = parse_string();
      // Duplicate names are refused (as I-JSON, RFC 7493, requires): parsers disagree on
      // which one wins, and a filter must never read another value than the model or a
      // reviewer's tool. Small objects are searched directly, larger ones through a set.
      if (members.size() < 16) {
        for (const auto& member : members) {
          if (member.first == key) duplicate(key, key_at);
        }
      } else {
        if (seen.empty()) {
          for (const auto& member : members) seen.insert(member.first);
        }
        if (!seen.insert(key).second) duplicate(key, key_at);
      }
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != ':') fail("expected ':' after key");
      ++pos_;
      skip_space();
      members.emplace_back(std::move(key), parse_value(depth));
      skip_space();
      if (pos_ >= text_.size()) fail("unexpected end of input inside an object");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == '}') {
        ++pos_;
        return Json(std::move(members));
      }
      fail("expected ',' or '}' in an object");
    }
  }

  Json parse_array(int depth) {
    if (depth > max_depth_) fail("nesting deeper than " + std::to_string(max_depth_));
    ++pos_;  // '['
    Json::Array items;
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return Json(std::move(items));
    }
    while (true) {
      skip_space();
      items.push_back(parse_value(depth));
      skip_space();
      if (pos_ >= text_.size()) fail("unexpected end of input inside an array");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == ']') {
        ++pos_;
        return Json(std::move(items));
      }
      fail("expected ',' or ']' in an array");
    }
  }

  unsigned parse_hex4() {
    if (pos_ + 4 > text_.size()) fail("truncated \\u escape");
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        value |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        value |= c - 'A' + 10;
      } else {
        --pos_;
        fail("invalid hex digit in \\u escape");
      }
    }
    return value;
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      // Copy the longest run of plain bytes at once; this keeps big files fast.
      size_t run_start = pos_;
      while (pos_ < text_.size()) {
        unsigned char c = static_cast<unsigned char>(text_[pos_]);
        if (c == '"' || c == '\\' || c < 0x20) break;
        ++pos_;
      }
      if (pos_ > run_start) {
        std::string_view run = text_.substr(run_start, pos_ - run_start);
        size_t bad = utf8_invalid_offset(run);
        if (bad != std::string_view::npos) {
          pos_ = run_start + bad;
          fail("invalid UTF-8 in string");
        }
        out.append(run);
      }
      if (pos_ >= text_.size()) fail("unterminated string");
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c != '\\') fail("control character in string (must be escaped)");
      ++pos_;
      if (pos_ >= text_.size()) fail("unterminated escape");
      char e = text_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = parse_hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (!(pos_ + 1 < text_.size() && text_[pos_] == '\\' && text_[pos_ + 1] == 'u')) {
              fail("lone high surrogate in \\u escape");
            }
            pos_ += 2;
            unsigned low = parse_hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("invalid low surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail("lone low surrogate in \\u escape");
          }
          utf8_append(out, cp);
          break;
        }
        default:
          --pos_;
          fail(std::string("invalid escape '\\") + printable(e) + "'");
      }
    }
  }

  Json parse_number() {
    size_t start = pos_;
    bool is_integer = true;
    if (text_[pos_] == '-') ++pos_;
    if (pos_ >= text_.size()) fail("truncated number");
    if (text_[pos_] == '0') {
      ++pos_;
      if (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') fail("leading zero in number");
    } else if (text_[pos_] >= '1' && text_[pos_] <= '9') {
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    } else {
      fail("invalid number");
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      is_integer = false;
      ++pos_;
      if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') fail("digit expected after '.'");
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      is_integer = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') fail("digit expected in exponent");
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (is_integer) {
      int64_t value = 0;
      auto result = std::from_chars(first, last, value);
      if (result.ec == std::errc() && result.ptr == last) return Json(value);
      // Too large for int64: fall back to double like most JSON readers.
    }
    double value = 0;
    auto result = std::from_chars(first, last, value);
    if (result.ec == std::errc::result_out_of_range) {
      pos_ = start;
      fail("number out of range");
    }
    if (result.ec != std::errc() || result.ptr != last) {
      pos_ = start;
      fail("invalid number");
    }
    return Json(value);
  }

  std::string_view text_;
  size_t pos_ = 0;
  int max_depth_;
};

[[noreturn]] void type_mismatch(const char* wanted, const Json& got) {
  throw JsonError(std::string("expected ") + wanted + ", got " + got.type_name());
}

void append_indent(std::string& out, int indent, int level) {
  out += '\n';
  out.append(static_cast<size_t>(indent) * level, ' ');
}

}  // namespace

Json Json::parse(std::string_view text, int max_depth) { return Parser(text, max_depth).parse_document(); }

const char* Json::type_name() const { return kTypeNames[value_.index()]; }

bool Json::as_bool() const {
  if (!is_bool()) type_mismatch("boolean", *this);
  return std::get<bool>(value_);
}

int64_t Json::as_int() const {
  if (is_int()) return std::get<int64_t>(value_);
  if (type() == Type::kDouble) {
    double d = std::get<double>(value_);
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.2e18) return static_cast<int64_t>(d);
    throw JsonError("expected integer, got non-integral number");
  }
  type_mismatch("integer", *this);
}

double Json::as_double() const {
  if (is_int()) return static_cast<double>(std::get<int64_t>(value_));
  if (type() == Type::kDouble) return std::get<double>(value_);
  type_mismatch("number", *this);
}

const std::string& Json::as_string() const {
  if (!is_string()) type_mismatch("string", *this);
  return std::get<std::string>(value_);
}

const Json::Array& Json::as_array() const {
  if (!is_array()) type_mismatch("array", *this);
  return std::get<Array>(value_);
}

Json::Array& Json::as_array() {
  if (!is_array()) type_mismatch("array", *this);
  return std::get<Array>(value_);
}

const Json::Object& Json::as_object() const {
  if (!is_object()) type_mismatch("object", *this);
  return std::get<Object>(value_);
}

Json::Object& Json::as_object() {
  if (!is_object()) type_mismatch("object", *this);
  return std::get<Object>(value_);
}

const Json* Json::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [name, value] : std::get<Object>(value_)) {
    if (name == key) return &value;
  }
  return nullptr;
}

Json* Json::find(std::string_view key) {
  return const_cast<Json*>(static_cast<const Json*>(this)->find(key));
}

const Json& Json::at(std::string_view key) const {
  const Json* value = find(key);
  if (!value) {
    if (!is_object()) type_mismatch("object", *this);
    throw JsonError("missing key \"" + std::string(key) + "\"");
  }
  return *value;
}

Json& Json::operator[](std::string_view key) {
  if (is_null()) value_ = Object{};
  if (Json* existing = find(key)) return *existing;
  auto& members = as_object();
  members.emplace_back(std::string(key), Json());
  return members.back().second;
}

void Json::push_back(Json v) {
  if (is_null()) value_ = Array{};
  as_array().push_back(std::move(v));
}

size_t Json::size() const {
  if (is_array()) return std::get<Array>(value_).size();
  if (is_object()) return std::get<Object>(value_).size();
  return 0;
}

bool Json::operator==(const Json& other) const {
  if (is_number() && other.is_number()) {
    if (is_int() && other.is_int()) return std::get<int64_t>(value_) == std::get<int64_t>(other.value_);
    return as_double() == other.as_double();
  }
  if (type() != other.type()) return false;
  if (is_object()) {
    const auto& a = as_object();
    const auto& b = other.as_object();
    if (a.size() != b.size()) return false;
    for (const auto& [key, value] : a) {
      const Json* match = other.find(key);
      if (!match || *match != value) return false;
    }
    return true;
  }
  return value_ == other.value_;
}

void json_append_quoted(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 15];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    size_t len = utf8_sequence_length(s.substr(i));
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD for a byte that does not start a valid sequence
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  out += '"';
}

std::string json_quote(std::string_view s) {
  std::string out;
  json_append_quoted(out, s);
  return out;
}

void Json::dump_to(std::string& out, int indent, int level) const {
  switch (type()) {
    case Type::kNull: out += "null"; break;
    case Type::kBool: out += std::get<bool>(value_) ? "true" : "false"; break;
    case Type::kInt: out += std::to_string(std::get<int64_t>(value_)); break;
    case Type::kDouble: {
      double d = std::get<double>(value_);
      if (!std::isfinite(d)) {
        out += "null";  // JSON has no NaN/Inf
        break;
      }
      char buf[32];
      auto result = std::to_chars(buf, buf + sizeof buf, d);
      std::string_view text(buf, result.ptr - buf);
      out += text;
      // Keep it recognizably a number with a fraction when it is integral.
      if (text.find_first_of(".eEn") == std::string_view::npos) out += ".0";
      break;
    }
    case Type::kString: json_append_quoted(out, std::get<std::string>(value_)); break;
    case Type::kArray: {
      const auto& items = std::get<Array>(value_);
      out += '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        if (indent >= 0) append_indent(out, indent, level + 1);
        items[i].dump_to(out, indent, level + 1);
      }
      if (indent >= 0 && !items.empty()) append_indent(out, indent, level);
      out += ']';
      break;
    }
    case Type::kObject: {
      const auto& members = std::get<Object>(value_);
      out += '{';
      for (size_t i = 0; i < members.size(); ++i) {
        if (i) out += ',';
        if (indent >= 0) append_indent(out, indent, level + 1);
        json_append_quoted(out, members[i].first);
        out += indent >= 0 ? ": " : ":";
        members[i].second.dump_to(out, indent, level + 1);
      }
      if (indent >= 0 && !members.empty()) append_indent(out, indent, level);
      out += '}';
      break;
    }
  }
}

std::string Json::dump(int indent) const {
  std::string out;
  dump_to(out, indent, 0);
  return out;
}

}  // namespace warden::core

// JSON value, strict parser and serializer shared by every module.
//
// Why our own: the gateway must reject malformed client JSON with a message that names
// where it broke (offset, line:column), must refuse invalid UTF-8 and lone surrogates,
// and must stay fast on multi-megabyte files such as tokenizer.json. Objects keep the
// insertion order so that what we write reads the way it was built.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace warden::core {

// Thrown by Json::parse and by the typed accessors. `what()` names the problem and,
// for parse errors, the byte offset plus line:column.
class JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Json {
 public:
  enum class Type { kNull, kBool, kInt, kDouble, kString, kArray, kObject };
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool b) : value_(b) {}
  Json(int v) : value_(static_cast<int64_t>(v)) {}
  Json(unsigned v) : value_(static_cast<int64_t>(v)) {}
  Json(long v) : value_(static_cast<int64_t>(v)) {}
  Json(long long v) : value_(static_cast<int64_t>(v)) {}
  Json(unsigned long v) : value_(static_cast<int64_t>(v)) {}
  Json(unsigned long long v) : value_(static_cast<int64_t>(v)) {}
  Json(double v) : value_(v) {}
  Json(float v) : value_(static_cast<double>(v)) {}
  Json(std::string s) : value_(std::move(s)) {}
  Json(std::string_view s) : value_(std::string(s)) {}
  Json(const char* s) : value_(std::string(s)) {}
  Json(Array a) : value_(std::move(a)) {}
  Json(Object o) : value_(std::move(o)) {}

  static Json object() { return Json(Object{}); }
  static Json array() { return Json(Array{}); }

  // Parses one JSON text (RFC 8259). Rejects trailing garbage, invalid UTF-8, lone
  // surrogate escapes, leading zeros, and nesting deeper than `max_depth`.
  static Json parse(std::string_view text, int max_depth = 256);

  Type type() const { return static_cast<Type>(value_.index()); }
  const char* type_name() const;
  bool is_null() const { return type() == Type::kNull; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_int() const { return type() == Type::kInt; }
  bool is_number() const { return type() == Type::kInt || type() == Type::kDouble; }
  bool is_string() const { return type() == Type::kString; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_object() const { return type() == Type::kObject; }

  // Typed accessors throw JsonError("expected <type>, got <type>") on a mismatch.
  bool as_bool() const;
  int64_t as_int() const;  // a double with an integral value is accepted
  double as_double() const;
  const std::string& as_string() const;
  const Array& as_array() const;
  Array& as_array();
  const Object& as_object() const;
  Object& as_object();

  // Object access. `find` returns nullptr when absent (or when this is not an object).
  const Json* find(std::string_view key) const;
  Json* find(std::string_view key);
  const Json& at(std::string_view key) const;  // throws JsonError naming the key
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  // Inserts null when absent; turns a null value into an object first.
  Json& operator[](std::string_view key);
  void set(std::string_view key, Json value) { (*this)[key] = std::move(value); }

  // Array access.
  const Json& operator[](size_t i) const { return as_array().at(i); }
  Json& operator[](size_t i) { return as_array().at(i); }
  void push_back(Json v);
  size_t size() const;  // elements of an array or object, else 0

  // Serializes compactly (indent < 0) or pretty-printed. Strings are escaped so the
  // output is always valid UTF-8 JSON; invalid UTF-8 bytes in a string become U+FFFD.
  std::string dump(int indent = -1) const;
  void dump_to(std::string& out, int indent = -1, int level = 0) const;

  bool operator==(const Json& other) const;
  bool operator!=(const Json& other) const { return !(*this == other); }

 private:
  std::variant<std::nullptr_t, bool, int64_t, double, std::string, Array, Object> value_;
};

// Appends `s` as a quoted JSON string to `out`.
void json_append_quoted(std::string& out, std::string_view s);
std::string json_quote(std::string_view s);

}  // namespace warden::core

#include "core/yaml.h"

#include <yaml.h>

#include <charconv>
#include <fstream>
#include <memory>
#include <sstream>

namespace warden::core {
namespace {

class EventReader {
 public:
  explicit EventReader(std::string_view text) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }
  ~EventReader() {
    if (has_event_) yaml_event_delete(&event_);
    yaml_parser_delete(&parser_);
  }

  yaml_event_t& next() {
    if (has_event_) yaml_event_delete(&event_);
    has_event_ = false;
    if (!yaml_parser_parse(&parser_, &event_)) {
      std::ostringstream msg;
      msg << "invalid YAML at line " << parser_.problem_mark.line + 1 << " column "
          << parser_.problem_mark.column + 1 << ": " << (parser_.problem ? parser_.problem : "parse error");
      if (parser_.context) msg << " (" << parser_.context << ")";
      throw YamlError(msg.str());
    }
    has_event_ = true;
    return event_;
  }

  [[noreturn]] void fail_at(const yaml_event_t& e, const std::string& what) const {
    throw YamlError("invalid YAML at line " + std::to_string(e.start_mark.line + 1) + " column " +
                    std::to_string(e.start_mark.column + 1) + ": " + what);
  }

 private:
  yaml_parser_t parser_;
  yaml_event_t event_;
  bool has_event_ = false;
};

Json plain_scalar(std::string_view s) {
  if (s.empty() || s == "null" || s == "~" || s == "Null" || s == "NULL") return Json(nullptr);
  if (s == "true" || s == "True" || s == "TRUE") return Json(true);
  if (s == "false" || s == "False" || s == "FALSE") return Json(false);
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (*first == '+') ++first;
  int64_t i = 0;
  auto ri = std::from_chars(first, last, i);
  if (ri.ec == std::errc() && ri.ptr == last) return Json(i);
  bool looks_numeric = (*first >= '0' && *first <= '9') || *first == '-' || *first == '.';
  if (looks_numeric) {
    double d = 0;
    auto rd = std::from_chars(first, last, d);
    if (rd.ec == std::errc() && rd.ptr == last) return Json(d);
  }
  return Json(std::string(s));
}

Json parse_node(EventReader& reader, yaml_event_t& event, int depth);

Json parse_node(EventReader& reader, yaml_event_t& event, int depth) {
  if (depth > 128) reader.fail_at(event, "nesting too deep");
  switch (event.type) {
    case YAML_ALIAS_EVENT:
      reader.fail_at(event, "aliases are not supported");
    case YAML_SCALAR_EVENT: {
      if (event.data.scalar.anchor) reader.fail_at(event, "anchors are not supported");
      std::string_view value(reinterpret_cast<const char*>(event.data.scalar.value), event.data.scalar.length);
      if (event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) return plain_scalar(value);
      return Json(std::string(value));
    }
    case YAML_SEQUENCE_START_EVENT: {
      if (event.data.sequence_start.anchor) reader.fail_at(event, "anchors are not supported");
      Json out = Json::array();
      while (true) {
        yaml_event_t& item = reader.next();
        if (item.type == YAML_SEQUENCE_END_EVENT) return out;
        out.push_back(parse_node(reader, item, depth + 1));
      }
    }
    case YAML_MAPPING_START_EVENT: {
      if (event.data.mapping_start.anchor) reader.fail_at(event, "anchors are not supported");
      Json out = Json::object();
      while (true) {
        yaml_event_t& key_event = reader.next();
        if (key_event.type == YAML_MAPPING_END_EVENT) return out;
        if (key_event.type != YAML_SCALAR_EVENT) reader.fail_at(key_event, "mapping keys must be scalars");
        std::string key(reinterpret_cast<const char*>(key_event.data.scalar.value), key_event.data.scalar.length);
        if (out.contains(key)) reader.fail_at(key_event, "duplicate key \"" + key + "\"");
        yaml_event_t& value_event = reader.next();
        Json value = parse_node(reader, value_event, depth + 1);
        out.as_object().emplace_back(std::move(key), std::move(value));
      }
    }
    default:
      reader.fail_at(event, "unexpected YAML event");
  }
}

}  // namespace

Json parse_yaml(std::string_view text) {
  EventReader reader(text);
  if (reader.next().type != YAML_STREAM_START_EVENT) throw YamlError("invalid YAML: no stream start");
  yaml_event_t* event = &reader.next();
  if (event->type == YAML_STREAM_END_EVENT) return Json(nullptr);  // empty file
  if (event->type != YAML_DOCUMENT_START_EVENT) reader.fail_at(*event, "expected a document");
  Json root = parse_node(reader, reader.next(), 0);
  if (reader.next().type != YAML_DOCUMENT_END_EVENT) throw YamlError("invalid YAML: expected end of document");
  event = &reader.next();
  if (event->type != YAML_STREAM_END_EVENT) reader.fail_at(*event, "only one YAML document per file is allowed");
  return root;
}

Json load_document_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot read " + path);
  std::stringstream buffer;
  buffer << file.rdbuf();
  std::string text = buffer.str();
  try {
    if (path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0) return Json::parse(text);
    return parse_yaml(text);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace warden::core

#include "inference/pretokenizer_unicode.h"

#include <memory>

namespace warden::inference {
namespace {

constexpr uint32_t kCodePointCount = 0x110000;

// One byte per code point (1.1 MB), filled once from the range list: a lookup is then a
// single load, which matters because the scanners classify every character of every text.
const uint8_t* class_table() {
  static const std::unique_ptr<uint8_t[]> table = [] {
    auto t = std::make_unique<uint8_t[]>(kCodePointCount);
    for (size_t i = 0; i < unicode_tables::kRangeCount; ++i) {
      const CodePointRange& r = unicode_tables::kRanges[i];
      for (uint32_t cp = r.first; cp <= r.last && cp < kCodePointCount; ++cp) t[cp] = r.flags;
    }
    return t;
  }();
  return table.get();
}

}  // namespace

uint8_t unicode_class(char32_t code_point) {
  if (code_point >= kCodePointCount) return 0;
  return class_table()[code_point];
}

}  // namespace warden::inference

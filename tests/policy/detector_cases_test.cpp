// Table-driven detector cases: tests/policy/data/detector_cases.jsonl, one JSON object per
// line: {"text": ..., "spans": [{"type": ..., "text": ...}], "note": ...}. The findings of
// the all-mask policy must be exactly the listed spans (positives) and nothing else
// (look-alike negatives list no spans). Adding a case needs no C++.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "test_support.h"

using namespace warden::policy;

TEST_CASE("detector cases from data files", "[policy][detector]") {
  auto redactor = testing::all_mask_redactor();
  std::istringstream lines(testing::read_file(testing::source_path("tests/policy/data/detector_cases.jsonl")));
  std::string line;
  int line_no = 0, cases = 0;
  while (std::getline(lines, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    auto record = warden::core::Json::parse(line);
    const std::string& text = record.at("text").as_string();
    std::vector<std::string> expected, found;
    for (const auto& s : record.at("spans").as_array()) {
      const std::string& value = s.at("text").as_string();
      REQUIRE(text.find(value) != std::string::npos);
      expected.push_back(s.at("type").as_string() + " [" + value + "]");
    }
    for (const auto& f : redactor->findings(text)) {
      REQUIRE(f.end <= text.size());
      found.push_back(std::string(redactor->type_name(f.type)) + " [" + text.substr(f.start, f.end - f.start) + "]");
    }
    std::sort(expected.begin(), expected.end());
    std::sort(found.begin(), found.end());
    INFO("line " << line_no << ": " << text);
    CHECK(found == expected);
    ++cases;
  }
  CHECK(cases >= 100);
}

// Runs the default policy over a generated corpus and scores it per entity type.
#pragma once

#include <map>
#include <string>

#include "corpus_generator.h"
#include "policy/redactor.h"

namespace warden::policy::eval {

inline std::map<std::string, TypeScore> evaluate(const Redactor& redactor, const std::vector<Document>& corpus) {
  std::map<std::string, TypeScore> scores;
  for (const auto& doc : corpus) {
    std::vector<Prediction> predicted;
    for (const auto& f : redactor.findings(doc.text)) {
      predicted.push_back(Prediction{f.start, f.end, std::string(redactor.type_name(f.type))});
    }
    score_document(doc, predicted, scores);
  }
  return scores;
}

}  // namespace warden::policy::eval

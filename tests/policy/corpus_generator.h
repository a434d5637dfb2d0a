// Labelled evaluation corpus: realistic values of every entity type across several
// locales (checksummed values generated valid), embedded in varied sentences, plus
// look-alike negatives, with exact gold spans. Deterministic for a seed.
// Used by the eval test (small corpus) and bench/redaction/redaction_eval (large one).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace warden::policy::eval {

struct GoldSpan {
  size_t start = 0;
  size_t end = 0;
  std::string type;
};

struct Document {
  std::string text;
  std::vector<GoldSpan> spans;
};

std::vector<Document> generate_corpus(size_t documents, uint64_t seed);

struct TypeScore {
  size_t true_positives = 0;
  size_t false_positives = 0;
  size_t false_negatives = 0;
  double precision() const {
    return true_positives + false_positives == 0 ? 1.0
                                                 : double(true_positives) / double(true_positives + false_positives);
  }
  double recall() const {
    return true_positives + false_negatives == 0 ? 1.0
                                                 : double(true_positives) / double(true_positives + false_negatives);
  }
};

// Exact-span scoring per entity type.
struct Prediction {
  size_t start = 0;
  size_t end = 0;
  std::string type;
};
void score_document(const Document& doc, const std::vector<Prediction>& predicted,
                    std::map<std::string, TypeScore>& scores);

}  // namespace warden::policy::eval

// Precision and recall per entity type of the default policy on a generated labelled
// corpus (realistic values across locales, exact spans).
//
//   redaction_eval [DOCUMENTS] [SEED] [TYPE]   (default 20000 documents, seed 1)
// With TYPE, also prints the missed and spurious spans of that type.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/json.h"
#include "policy/redactor.h"
#include "tests/policy/eval_runner.h"

using namespace warden::policy;

int main(int argc, char** argv) {
  const size_t documents = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 20000;
  const uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  std::ifstream in(std::string(WARDEN_SOURCE_DIR) + "/policy/defaults/default.json");
  std::stringstream policy;
  policy << in.rdbuf();
  auto redactor = Redactor::compile(RedactionConfig::from_policy_document(warden::core::Json::parse(policy.str())));
  auto corpus = eval::generate_corpus(documents, seed);
  auto scores = eval::evaluate(*redactor, corpus);
  if (argc > 3) {
    const std::string type = argv[3];
    for (const auto& doc : corpus) {
      std::map<std::string, eval::TypeScore> one;
      std::vector<eval::Prediction> predicted;
      for (const auto& f : redactor->findings(doc.text))
        predicted.push_back(eval::Prediction{f.start, f.end, std::string(redactor->type_name(f.type))});
      eval::score_document(doc, predicted, one);
      if (one[type].false_negatives + one[type].false_positives == 0) continue;
      std::printf("--- %s\n", doc.text.c_str());
      for (const auto& g : doc.spans)
        if (g.type == type) std::printf("  gold [%s]\n", doc.text.substr(g.start, g.end - g.start).c_str());
      for (const auto& p : predicted)
        std::printf("  pred %s [%s]\n", p.type.c_str(), doc.text.substr(p.start, p.end - p.start).c_str());
    }
  }
  std::printf("default policy, %zu generated documents (seed %llu), exact-span matching\n", documents,
              static_cast<unsigned long long>(seed));
  std::printf("%-16s %7s %6s %6s %9s %7s\n", "type", "tp", "fp", "fn", "precision", "recall");
  eval::TypeScore total;
  for (const auto& [type, s] : scores) {
    std::printf("%-16s %7zu %6zu %6zu %9.4f %7.4f\n", type.c_str(), s.true_positives, s.false_positives,
                s.false_negatives, s.precision(), s.recall());
    total.true_positives += s.true_positives;
    total.false_positives += s.false_positives;
    total.false_negatives += s.false_negatives;
  }
  std::printf("%-16s %7zu %6zu %6zu %9.4f %7.4f\n", "ALL", total.true_positives, total.false_positives,
              total.false_negatives, total.precision(), total.recall());
  return 0;
}

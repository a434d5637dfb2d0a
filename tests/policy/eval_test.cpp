// Precision/recall goals on a generated labelled corpus (the full-size run is
// bench/redaction/redaction_eval). Checksummed and secret types: >= 0.98; phone: >= 0.90.
#include <catch2/catch.hpp>

#include "eval_runner.h"
#include "test_support.h"

using namespace warden::policy;

TEST_CASE("eval: precision and recall goals on a generated corpus", "[policy][eval]") {
  auto redactor = testing::default_redactor();
  auto corpus = eval::generate_corpus(1500, 20240315);
  auto scores = eval::evaluate(*redactor, corpus);
  const char* strict[] = {"CREDIT_CARD", "IBAN_CODE", "US_SSN", "CRYPTO", "EMAIL_ADDRESS", "IP_ADDRESS",
                          "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "GITHUB_TOKEN", "SLACK_TOKEN", "JWT",
                          "API_KEY", "PASSWORD"};
  for (const char* type : strict) {
    INFO(type << " tp=" << scores[type].true_positives << " fp=" << scores[type].false_positives
              << " fn=" << scores[type].false_negatives);
    CHECK(scores[type].true_positives > 0);
    CHECK(scores[type].precision() >= 0.98);
    CHECK(scores[type].recall() >= 0.98);
  }
  INFO("PHONE_NUMBER tp=" << scores["PHONE_NUMBER"].true_positives << " fp=" << scores["PHONE_NUMBER"].false_positives
                          << " fn=" << scores["PHONE_NUMBER"].false_negatives);
  CHECK(scores["PHONE_NUMBER"].precision() >= 0.90);
  CHECK(scores["PHONE_NUMBER"].recall() >= 0.90);
}

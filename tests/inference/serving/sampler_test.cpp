// Sampler properties: greedy, top-k, top-p, min-p, penalties, seeds, and the empirical
// distribution against softmax.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <random>

#include "inference/sampler.h"

using namespace warden::inference;

namespace {

std::vector<float> random_logits(uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  std::vector<float> logits(n);
  for (auto& l : logits) l = dist(rng);
  return logits;
}

// Logits whose softmax is exactly `probs`.
std::vector<float> logits_of(const std::vector<double>& probs) {
  std::vector<float> logits;
  for (double p : probs) logits.push_back(static_cast<float>(std::log(p)));
  return logits;
}

std::vector<TokenId> ids_of(const std::vector<TokenProbability>& d) {
  std::vector<TokenId> ids;
  for (const auto& c : d) ids.push_back(c.id);
  return ids;
}

}  // namespace

TEST_CASE("temperature 0 and top-k 1 are greedy", "[sampler]") {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::vector<float> logits = random_logits(seed, 1000);
    TokenId best = argmax(logits);
    SamplingParams greedy;
    greedy.temperature = 0;
    SamplingParams top1;
    top1.top_k = 1;
    top1.seed = seed;
    auto a = logits, b = logits;
    CHECK(Sampler(greedy).sample(a) == best);
    CHECK(Sampler(top1).sample(b) == best);
  }
}

TEST_CASE("top-k keeps the k most likely tokens", "[sampler]") {
  std::vector<float> logits = random_logits(3, 500);
  SamplingParams p;
  p.top_k = 10;
  auto copy = logits;
  auto d = Sampler(p).distribution(copy);
  REQUIRE(d.size() == 10);
  std::vector<float> sorted = logits;
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  for (const auto& c : d) CHECK(logits[static_cast<size_t>(c.id)] >= sorted[9]);
}

TEST_CASE("top-p keeps the smallest set reaching p", "[sampler]") {
  const std::vector<double> probs = {0.05, 0.5, 0.15, 0.3};  // order by likelihood: 1, 3, 2, 0
  auto run = [&](double top_p) {
    SamplingParams p;
    p.top_p = top_p;
    auto logits = logits_of(probs);
    return Sampler(p).distribution(logits);
  };
  CHECK(ids_of(run(0.5)) == std::vector<TokenId>{1});
  CHECK(ids_of(run(0.7)) == std::vector<TokenId>{1, 3});
  CHECK(ids_of(run(0.8)) == std::vector<TokenId>{1, 3});
  CHECK(ids_of(run(0.81)) == std::vector<TokenId>{1, 3, 2});
  CHECK(ids_of(run(1.0)) == std::vector<TokenId>{1, 3, 2, 0});
  auto d = run(0.7);
  CHECK(d[0].probability == Approx(0.5 / 0.8));  // renormalized over the kept set
  // Over a large vocabulary the kept set is still the smallest prefix (expanding sort).
  std::vector<float> big = random_logits(9, 50000);
  SamplingParams p;
  p.top_p = 0.99;
  auto copy = big;
  auto kept = Sampler(p).distribution(copy);
  double max_l = *std::max_element(big.begin(), big.end()), total = 0;
  for (float l : big) total += std::exp(l - max_l);
  double mass = 0;
  for (size_t i = 0; i + 1 < kept.size(); ++i) mass += std::exp(big[kept[i].id] - max_l) / total;
  CHECK(mass < 0.99);  // without the last one it would not reach p
  CHECK(mass + std::exp(big[kept.back().id] - max_l) / total >= 0.99 - 1e-9);
}

TEST_CASE("min-p drops tokens below min_p times the top probability", "[sampler]") {
  SamplingParams p;
  p.min_p = 0.2;  // threshold 0.1
  auto logits = logits_of({0.5, 0.3, 0.15, 0.05});
  CHECK(ids_of(Sampler(p).distribution(logits)) == std::vector<TokenId>{0, 1, 2});
}

TEST_CASE("presence and frequency penalties follow OpenAI's formula", "[sampler]") {
  SamplingParams p;
  p.frequency_penalty = 0.5;
  p.presence_penalty = 0.25;
  Sampler s(p);
  s.accept(2);
  s.accept(2);
  s.accept(0);
  std::vector<float> logits = {1.0f, 1.0f, 1.0f, 1.0f};
  auto d = s.distribution(logits);
  // token 2: 1 - 2*0.5 - 0.25 = -0.25; token 0: 1 - 0.5 - 0.25 = 0.25; others 1.
  std::map<TokenId, double> prob;
  for (const auto& c : d) prob[c.id] = c.probability;
  CHECK(prob[1] / prob[2] == Approx(std::exp(1.25)));
  CHECK(prob[1] / prob[0] == Approx(std::exp(0.75)));
  CHECK(prob[1] == Approx(prob[3]));
}

TEST_CASE("a seed reproduces the same draws", "[sampler]") {
  std::vector<float> logits = random_logits(5, 2000);
  auto draw = [&](uint64_t seed) {
    SamplingParams p;
    p.seed = seed;
    p.temperature = 1.3;
    Sampler s(p);
    std::vector<TokenId> out;
    for (int i = 0; i < 50; ++i) {
      auto copy = logits;
      out.push_back(s.sample(copy));
    }
    return out;
  };
  CHECK(draw(42) == draw(42));
  CHECK(draw(42) != draw(43));
}

TEST_CASE("empirical frequencies match softmax(logits / T)", "[sampler]") {
  const std::vector<float> logits = {2.0f, 1.0f, 0.5f, 0.0f, -1.0f, 1.5f};
  const double temperature = 0.7;
  // top_k 0: the unsorted fast path; top_k 5: the filtered path (token 4 drops out).
  for (int top_k : {0, 5}) {
    SamplingParams p;
    p.seed = 2026;
    p.temperature = temperature;
    p.top_k = top_k;
    Sampler s(p);
    const int draws = 200000;
    std::vector<int> counts(logits.size());
    for (int i = 0; i < draws; ++i) {
      auto copy = logits;
      ++counts[static_cast<size_t>(s.sample(copy))];
    }
    double total = 0;
    for (size_t i = 0; i < logits.size(); ++i) {
      if (top_k == 5 && i == 4) continue;
      total += std::exp(logits[i] / temperature);
    }
    for (size_t i = 0; i < logits.size(); ++i) {
      double expected = (top_k == 5 && i == 4) ? 0.0 : std::exp(logits[i] / temperature) / total;
      double seen = static_cast<double>(counts[i]) / draws;
      INFO("top_k " << top_k << ", token " << i);
      CHECK(std::abs(seen - expected) < 0.005);  // about 5 standard errors at most
    }
  }
}

TEST_CASE("min-p on the fast path never draws a dropped token", "[sampler]") {
  SamplingParams p;
  p.seed = 1;
  p.min_p = 0.2;
  Sampler s(p);
  for (int i = 0; i < 5000; ++i) {
    auto logits = logits_of({0.5, 0.3, 0.15, 0.05});
    CHECK(s.sample(logits) != 3);
  }
}

TEST_CASE("invalid sampling values are refused with the field name", "[sampler]") {
  SamplingParams p;
  p.temperature = -1;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("temperature"));
  p = SamplingParams{};
  p.top_p = 0;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("top_p"));
  p = SamplingParams{};
  p.frequency_penalty = 3;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("frequency_penalty"));
  p = SamplingParams{};
  p.top_k = -2;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("top_k"));
}

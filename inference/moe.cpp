#include "inference/moe.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/cpu/matmul.h"
#include "kernels/cpu/vec_ops.h"

namespace warden::inference {
namespace {

// Indices of the k largest values; ties go to the lower index (torch.topk order on CPU
// is unspecified for ties, which random weights never produce).
std::vector<int> top_k(const std::vector<float>& values, int k) {
  std::vector<int> idx(values.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int a, int b) {
    return values[a] > values[b] || (values[a] == values[b] && a < b);
  });
  idx.resize(k);
  return idx;
}

}  // namespace

std::vector<RoutedExpert> route_token(const ModelConfig& c, const float* router_logits,
                                      const std::vector<float>& correction_bias) {
  const int E = c.n_routed_experts;
  std::vector<float> scores(E);
  if (c.scoring_func == "sigmoid") {
    for (int e = 0; e < E; ++e) scores[e] = 1.0f / (1.0f + std::exp(-router_logits[e]));
  } else {
    const float mx = *std::max_element(router_logits, router_logits + E);
    double sum = 0.0;
    for (int e = 0; e < E; ++e) sum += std::exp(static_cast<double>(router_logits[e]) - mx);
    for (int e = 0; e < E; ++e) scores[e] = static_cast<float>(std::exp(static_cast<double>(router_logits[e]) - mx) / sum);
  }

  // Selection scores: the bias steers the choice only (noaux_tc), never the weights.
  std::vector<float> choice = scores;
  if (!correction_bias.empty())
    for (int e = 0; e < E; ++e) choice[e] += correction_bias[e];

  if (c.topk_method != "greedy" && c.n_group > 1) {
    const int per_group = E / c.n_group;
    std::vector<float> group_score(c.n_group);
    for (int g = 0; g < c.n_group; ++g) {
      std::vector<float> members(choice.begin() + g * per_group, choice.begin() + (g + 1) * per_group);
      if (c.topk_method == "noaux_tc") {
        std::vector<int> best = top_k(members, 2);  // V3: sum of the group's top-2
        group_score[g] = members[best[0]] + members[best[1]];
      } else {
        group_score[g] = *std::max_element(members.begin(), members.end());  // V2: group max
      }
    }
    std::vector<int> kept = top_k(group_score, c.topk_group);
    std::vector<bool> keep(c.n_group, false);
    for (int g : kept) keep[g] = true;
    for (int e = 0; e < E; ++e)
      if (!keep[e / per_group]) choice[e] = -INFINITY;
  }

  std::vector<int> chosen = top_k(choice, c.num_experts_per_tok);
  std::sort(chosen.begin(), chosen.end());
  std::vector<RoutedExpert> out;
  double sum = 0.0;
  for (int e : chosen) {
    out.push_back({e, scores[e]});
    sum += scores[e];
  }
  for (auto& r : out) {
    double w = r.weight;
    if (c.norm_topk_prob) w /= sum;
    r.weight = static_cast<float>(w * c.routed_scaling_factor);
  }
  return out;
}

void mlp_forward(const MlpWeights& w, const float* x, int T, float* y) {
  const int inter = w.inter();
  std::vector<float> gate_up(static_cast<size_t>(T) * 2 * inter), act(static_cast<size_t>(T) * inter);
  kernels::matmul(w.gate_up, x, T, gate_up.data());  // [T, 2*inter]: gate | up
  for (int t = 0; t < T; ++t) {
    const float* row = gate_up.data() + static_cast<size_t>(t) * 2 * inter;
    kernels::silu_mul(row, row + inter, act.data() + static_cast<size_t>(t) * inter, inter);
  }
  kernels::matmul(w.down, act.data(), T, y);
}

void moe_forward(const ModelConfig& c, const MoeWeights& w, const float* x, int T, float* y) {
  const int E = c.n_routed_experts, hidden = c.hidden_size;
  // Router in f32: logits [T, E].
  std::vector<std::vector<std::pair<int, float>>> by_expert(E);  // (token, weight)
  std::vector<float> logits(E);
  for (int t = 0; t < T; ++t) {
    const float* xt = x + static_cast<size_t>(t) * hidden;
    for (int e = 0; e < E; ++e) logits[e] = kernels::vec_dot(w.router.data() + static_cast<size_t>(e) * hidden, xt, hidden);
    for (const RoutedExpert& r : route_token(c, logits.data(), w.correction_bias))
      by_expert[r.expert].push_back({t, r.weight});
  }

  std::fill(y, y + static_cast<size_t>(T) * hidden, 0.0f);
  std::vector<float> gathered, expert_out;
  for (int e = 0; e < E; ++e) {
    const auto& routed = by_expert[e];
    if (routed.empty()) continue;
    const int n = static_cast<int>(routed.size());
    gathered.resize(static_cast<size_t>(n) * hidden);
    expert_out.resize(static_cast<size_t>(n) * hidden);
    for (int i = 0; i < n; ++i)
      std::copy_n(x + static_cast<size_t>(routed[i].first) * hidden, hidden, gathered.data() + static_cast<size_t>(i) * hidden);
    mlp_forward(w.experts[e], gathered.data(), n, expert_out.data());
    for (int i = 0; i < n; ++i)
      kernels::vec_axpy(routed[i].second, expert_out.data() + static_cast<size_t>(i) * hidden,
                        y + static_cast<size_t>(routed[i].first) * hidden, hidden);
  }
  if (w.has_shared) {
    std::vector<float> shared(static_cast<size_t>(T) * hidden);
    mlp_forward(w.shared, x, T, shared.data());
    for (size_t i = 0; i < shared.size(); ++i) y[i] += shared[i];
  }
}

}  // namespace warden::inference

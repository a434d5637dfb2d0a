// Every available CPU backend against the scalar reference, with a per-op error bound
// (in the manner of ggml's test-backend-ops).
#include <catch2/catch.hpp>

#include <cmath>
#include <atomic>
#include <random>
#include <thread>

#include "kernels/cpu/backend.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/rms_norm.h"
#include "kernels/cpu/thread_pool.h"
#include "kernels/cpu/vec_ops.h"
#include "kernels/cpu/weight_matrix.h"

using namespace warden::kernels;

namespace {

std::vector<float> random_vector(std::mt19937& rng, size_t n, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

}  // namespace

TEST_CASE("matmul: every backend matches the scalar reference per format", "[kernels]") {
  std::mt19937 rng(42);
  const auto backends = available_backends();
  INFO("backends available: " << backends.size());
  for (WeightFormat format : {WeightFormat::kF32, WeightFormat::kBF16, WeightFormat::kInt8}) {
    for (int cols : {1, 7, 16, 31, 32, 33, 64, 100, 257, 1030}) {
      for (int n : {1, 3}) {
        const int rows = 13;
        auto w_src = random_vector(rng, static_cast<size_t>(rows) * cols);
        auto x = random_vector(rng, static_cast<size_t>(n) * cols);
        const WeightMatrix w = make_weight_matrix(w_src.data(), rows, cols, format);
        std::vector<float> ref(static_cast<size_t>(n) * rows), got(ref.size());
        matmul(w, x.data(), n, ref.data(), Backend::kScalar, nullptr);
        // The reference itself equals a double-precision dot of the dequantized rows.
        std::vector<float> row(cols);
        for (int r = 0; r < rows; ++r) {
          dequantize_row(w, r, row.data());
          for (int t = 0; t < n; ++t) {
            double exact = 0, magnitude = 0;
            for (int k = 0; k < cols; ++k) {
              exact += static_cast<double>(row[k]) * x[t * cols + k];
              magnitude += std::fabs(static_cast<double>(row[k]) * x[t * cols + k]);
            }
            REQUIRE(std::fabs(ref[t * rows + r] - exact) <= 1e-5 * magnitude + 1e-6);
          }
        }
        for (Backend b : backends) {
          matmul(w, x.data(), n, got.data(), b, nullptr);
          for (size_t i = 0; i < got.size(); ++i) {
            INFO(backend_name(b) << " " << weight_format_name(format) << " cols=" << cols << " n=" << n);
            REQUIRE(std::fabs(got[i] - ref[i]) <= 1e-5f * (1.0f + std::fabs(ref[i])) * std::sqrt(cols));
          }
        }
      }
    }
  }
}

TEST_CASE("matmul: batch rows are bit-identical to single-token calls and thread counts", "[kernels]") {
  std::mt19937 rng(7);
  const int rows = 200, cols = 96, n = 5;
  auto w_src = random_vector(rng, rows * cols);
  auto x = random_vector(rng, n * cols);
  ThreadPool pool3(3);
  for (WeightFormat format : {WeightFormat::kF32, WeightFormat::kBF16, WeightFormat::kInt8}) {
    const WeightMatrix w = make_weight_matrix(w_src.data(), rows, cols, format);
    for (Backend b : available_backends()) {
      std::vector<float> batched(n * rows), single(rows), threaded(n * rows);
      matmul(w, x.data(), n, batched.data(), b, nullptr);
      matmul(w, x.data(), n, threaded.data(), b, &pool3);
      REQUIRE(batched == threaded);
      for (int t = 0; t < n; ++t) {
        matmul(w, x.data() + t * cols, 1, single.data(), b, nullptr);
        for (int r = 0; r < rows; ++r) REQUIRE(single[r] == batched[t * rows + r]);
        REQUIRE(row_dot(w, 17, x.data() + t * cols, b) == batched[t * rows + 17]);
      }
    }
  }
}

TEST_CASE("int8 blocks: dequantized error within half a step of each block's scale", "[kernels]") {
  std::mt19937 rng(3);
  const int rows = 4, cols = 70;
  auto src = random_vector(rng, rows * cols, 3.0f);
  const WeightMatrix w = make_weight_matrix(src.data(), rows, cols, WeightFormat::kInt8);
  REQUIRE(w.blocks_per_row() == 3);
  REQUIRE(w.bytes() == static_cast<size_t>(rows * cols + rows * 3 * 4));
  std::vector<float> row(cols);
  for (int r = 0; r < rows; ++r) {
    dequantize_row(w, r, row.data());
    for (int k = 0; k < cols; ++k) {
      const float scale = w.q8_scales[r * 3 + k / kInt8BlockSize];
      REQUIRE(std::fabs(row[k] - src[r * cols + k]) <= scale * 0.5f + 1e-6f);
    }
  }
}

TEST_CASE("bf16 conversion rounds to nearest even", "[kernels]") {
  REQUIRE(f32_to_bf16(1.0f) == 0x3f80);
  REQUIRE(bf16_to_f32(0x3f80) == 1.0f);
  REQUIRE(f32_to_bf16(1.0f + 1.0f / 256) == 0x3f80);  // halfway: to even
  REQUIRE(f32_to_bf16(1.0f + 3.0f / 256) == 0x3f82);  // halfway: to even (up)
  REQUIRE(bf16_to_f32(f32_to_bf16(-2.5f)) == -2.5f);
}

TEST_CASE("rms_norm, vec_dot, vec_axpy: backends against scalar", "[kernels]") {
  std::mt19937 rng(11);
  for (int dim : {1, 8, 15, 16, 17, 144, 1000}) {
    auto x = random_vector(rng, 2 * dim, 2.0f);
    auto w = random_vector(rng, dim);
    auto z = random_vector(rng, dim);
    std::vector<float> ref(2 * dim), got(2 * dim);
    rms_norm(x.data(), w.data(), 2, dim, 1e-6f, ref.data(), Backend::kScalar);
    // Known answer for the reference: y = w * x / rms(x).
    double ss = 0;
    for (int k = 0; k < dim; ++k) ss += double(x[k]) * x[k];
    REQUIRE(std::fabs(ref[0] - w[0] * x[0] / std::sqrt(ss / dim + 1e-6)) <= 1e-5 * (1 + std::fabs(ref[0])));
    const float dot_ref = vec_dot(x.data(), z.data(), dim, Backend::kScalar);
    std::vector<float> axpy_ref = z;
    vec_axpy(0.37f, x.data(), axpy_ref.data(), dim, Backend::kScalar);
    for (Backend b : available_backends()) {
      INFO(backend_name(b) << " dim=" << dim);
      rms_norm(x.data(), w.data(), 2, dim, 1e-6f, got.data(), b);
      for (int i = 0; i < 2 * dim; ++i) REQUIRE(std::fabs(got[i] - ref[i]) <= 1e-5f * (1 + std::fabs(ref[i])));
      REQUIRE(std::fabs(vec_dot(x.data(), z.data(), dim, b) - dot_ref) <= 1e-5f * dim);
      std::vector<float> axpy = z;
      vec_axpy(0.37f, x.data(), axpy.data(), dim, b);
      for (int i = 0; i < dim; ++i) REQUIRE(std::fabs(axpy[i] - axpy_ref[i]) <= 1e-6f * (1 + std::fabs(axpy_ref[i])));
    }
  }
  const float g[3] = {0.0f, 1.0f, -2.0f}, u[3] = {5.0f, 2.0f, 1.0f};
  float out[3];
  silu_mul(g, u, out, 3);
  REQUIRE(out[0] == 0.0f);
  REQUIRE(out[1] == Approx(2.0 / (1 + std::exp(-1.0))));
  REQUIRE(out[2] == Approx(-2.0 / (1 + std::exp(2.0))));
}

TEST_CASE("thread pool: covers the range once, from concurrent and nested callers", "[kernels]") {
  ThreadPool pool(3);
  for (int n : {1, 2, 3, 7, 1000}) {
    std::vector<std::atomic<int>> hits(n);
    std::atomic<int> outer_ranges{0}, nested_covered{0};
    pool.parallel_for(n, 1, [&](int b, int e) {
      for (int i = b; i < e; ++i) hits[i]++;
      ++outer_ranges;
      // A nested call must still cover its whole range exactly once (inline when busy).
      pool.parallel_for(4, 1, [&](int nb, int ne) { nested_covered += ne - nb; });
    });
    for (auto& h : hits) REQUIRE(h.load() == 1);
    REQUIRE(nested_covered.load() == 4 * outer_ranges.load());
  }
  std::atomic<long> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c)
    callers.emplace_back([&] {
      for (int rep = 0; rep < 200; ++rep)
        pool.parallel_for(100, 1, [&](int b, int e) { total += e - b; });
    });
  for (auto& t : callers) t.join();
  REQUIRE(total.load() == 4 * 200 * 100);
}

// silu_mul and the bf16 attention ops (vec_dot_bf16, vec_axpy_bf16): every available
// backend against the scalar reference, with the error bound each op promises.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>

#include "kernels/cpu/backend.h"
#include "kernels/cpu/vec_ops.h"
#include "kernels/cpu/weight_matrix.h"

using namespace warden::kernels;

namespace {

// Distance in units in the last place between two finite floats of the same sign.
double ulps(float a, float b) {
  if (a == b) return 0.0;
  const float scale = std::max(std::fabs(a), std::fabs(b));
  return std::fabs(static_cast<double>(a) - b) / (std::nextafter(scale, INFINITY) - scale);
}

}  // namespace

TEST_CASE("silu_mul: every backend within a few ulp of the scalar reference", "[kernels]") {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 4.0f);
  // Random gates plus the edges: zero, tiny, the clamp of exp's argument and beyond.
  std::vector<float> gate, up;
  for (float g : {0.0f, -0.0f, 1e-30f, -1e-30f, 1.0f, -1.0f, 20.0f, -20.0f, 87.0f, -87.0f, 88.5f, -88.5f, 89.0f,
                  -89.0f, 100.0f, -100.0f, 1000.0f, -1000.0f}) {
    gate.push_back(g);
    up.push_back(1.5f);
  }
  for (int i = 0; i < 4000; ++i) {
    gate.push_back(normal(rng));
    up.push_back(normal(rng));
  }
  std::vector<float> ref(gate.size());
  silu_mul(gate.data(), up.data(), ref.data(), static_cast<int>(gate.size()), Backend::kScalar);
  // Known answers for the reference itself.
  REQUIRE(ref[0] == 0.0f);
  REQUIRE(ref[4] == Approx(1.5 / (1 + std::exp(-1.0))).epsilon(1e-6));
  REQUIRE(ref[5] == Approx(-1.5 / (1 + std::exp(1.0))).epsilon(1e-6));

  std::vector<std::vector<float>> results;
  for (Backend b : available_backends()) {
    INFO(backend_name(b));
    // Every length 1..67 exercises the vector tails.
    for (int n = 1; n <= 67; ++n) {
      std::vector<float> got(n + 1, 7.0f);
      silu_mul(gate.data() + 20, up.data() + 20, got.data(), n, b);
      REQUIRE(got[n] == 7.0f);  // nothing written past n
      for (int i = 0; i < n; ++i) REQUIRE(ulps(got[i], ref[20 + i]) <= 8.0);
    }
    std::vector<float> got(gate.size());
    silu_mul(gate.data(), up.data(), got.data(), static_cast<int>(gate.size()), b);
    double worst = 0.0;
    for (size_t i = 0; i < gate.size(); ++i) {
      INFO("gate " << gate[i] << " up " << up[i] << " ref " << ref[i] << " got " << got[i]);
      // Below the clamp the scalar path gives -0 and the SIMD path a denormal-free tiny value.
      if (std::fabs(ref[i]) < 1e-30f) {
        REQUIRE(std::fabs(got[i]) <= 1e-30f);
        continue;
      }
      const double e = ulps(got[i], ref[i]);
      worst = std::max(worst, e);
      REQUIRE(e <= 8.0);
    }
    std::printf("[kernels] silu_mul %s: max %.1f ulp from scalar over %zu values\n", backend_name(b), worst,
                gate.size());
    results.push_back(got);
  }
  // AVX2 and AVX-512 share constants and operation order.
  if (results.size() == 3)
    REQUIRE(std::memcmp(results[1].data(), results[2].data(), results[1].size() * sizeof(float)) == 0);
}

TEST_CASE("vec_dot_bf16 and vec_axpy_bf16: backends against scalar", "[kernels]") {
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int n : {1, 7, 8, 15, 16, 17, 31, 33, 512, 576}) {
    std::vector<float> a(n), y0(n);
    std::vector<uint16_t> x(n);
    for (int i = 0; i < n; ++i) {
      a[i] = normal(rng);
      x[i] = f32_to_bf16(normal(rng));
      y0[i] = normal(rng);
    }
    // The scalar reference against a double-precision sum of the widened values.
    double exact = 0.0;
    for (int i = 0; i < n; ++i) exact += static_cast<double>(a[i]) * bf16_to_f32(x[i]);
    const float dot_ref = vec_dot_bf16(a.data(), x.data(), n, Backend::kScalar);
    REQUIRE(std::fabs(dot_ref - exact) <= 1e-5 * n);
    std::vector<float> axpy_ref = y0;
    vec_axpy_bf16(-0.75f, x.data(), axpy_ref.data(), n, Backend::kScalar);
    for (int i = 0; i < n; ++i)
      REQUIRE(std::fabs(axpy_ref[i] - (y0[i] - 0.75 * bf16_to_f32(x[i]))) <= 1e-6 * (1 + std::fabs(axpy_ref[i])));
    for (Backend b : available_backends()) {
      INFO(backend_name(b) << " n=" << n);
      REQUIRE(std::fabs(vec_dot_bf16(a.data(), x.data(), n, b) - dot_ref) <= 1e-5f * n);
      std::vector<float> y = y0;
      y.push_back(3.0f);  // sentinel past n
      vec_axpy_bf16(-0.75f, x.data(), y.data(), n, b);
      REQUIRE(y[n] == 3.0f);
      for (int i = 0; i < n; ++i) REQUIRE(std::fabs(y[i] - axpy_ref[i]) <= 1e-6f * (1 + std::fabs(axpy_ref[i])));
    }
  }
}

// Newton's stopping tests (models/optim/optimizers.hpp): the gradient test, and the squared
// Newton decrement test, which stops at the current point without the step or its evaluation.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <span>
#include <vector>

#include "models/optim/optimizers.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

/// f(x) = Σ (e^{x_i} − a_i x_i) + (x_0 − x_1)²: smooth and strictly convex; counts evaluations.
struct Convex {
  int evaluations = 0;
  std::vector<double> a = {2.0, 0.5, 3.0};
  double operator()(std::span<double const> x, std::span<double> gradient,
                    std::vector<double>* hessian) {
    ++evaluations;
    std::size_t const n = x.size();
    double value = (x[0] - x[1]) * (x[0] - x[1]);
    if (hessian != nullptr) hessian->assign(n * n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      value += std::exp(x[i]) - a[i] * x[i];
      gradient[i] = std::exp(x[i]) - a[i];
      if (hessian != nullptr) (*hessian)[i * n + i] = std::exp(x[i]);
    }
    gradient[0] += 2.0 * (x[0] - x[1]);
    gradient[1] -= 2.0 * (x[0] - x[1]);
    if (hessian != nullptr) {
      (*hessian)[0] += 2.0;
      (*hessian)[n + 1] += 2.0;
      (*hessian)[1] -= 2.0;
      (*hessian)[n] -= 2.0;
    }
    return value;
  }
};

/// gᵀH⁻¹g of Convex at x (H is the 2 × 2 block plus a diagonal).
double squared_decrement(Convex& f, std::vector<double> const& x) {
  std::vector<double> g(3), h;
  f(x, g, &h);
  double const det = h[0] * h[4] - h[1] * h[3];
  double const p0 = (h[4] * g[0] - h[1] * g[1]) / det, p1 = (h[0] * g[1] - h[3] * g[0]) / det;
  return g[0] * p0 + g[1] * p1 + g[2] * g[2] / h[8];
}

TEST(OptimNewton, DecrementTestStopsAtTheCurrentPointOnePassEarlier) {
  optim::MinimizeOptions options;
  options.tol = 1e-12;
  Convex plain;
  optim::MinimizeResult const full =
      optim::minimize_newton(std::ref(plain), {2.0, -1.0, 0.0}, options);
  ASSERT_TRUE(full.converged);
  EXPECT_LE(full.gradient_norm, 1e-12);

  options.newton_decrement_tol = 1e-8;
  Convex early;
  optim::MinimizeResult const stopped =
      optim::minimize_newton(std::ref(early), {2.0, -1.0, 0.0}, options);
  ASSERT_TRUE(stopped.converged);
  EXPECT_LT(early.evaluations, plain.evaluations);
  EXPECT_LT(stopped.iterations, full.iterations);
  Convex check;
  std::vector<double> gradient(3);
  EXPECT_EQ(check(stopped.x, gradient, nullptr), stopped.value);  // the point's own value
  EXPECT_GT(stopped.gradient_norm, 1e-12);
  EXPECT_LE(squared_decrement(check, stopped.x), 1e-8);
  // Within the decrement's reach of the minimum: f − f* ≈ gᵀH⁻¹g / 2.
  EXPECT_LE(stopped.value - full.value, 1e-8);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(stopped.x[i], full.x[i], 1e-3) << i;
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

// Linear-model kernels: the shared per-row rules by hand and at extreme margins, and each
// backend's passes against a direct double computation (the CUDA instantiation skips with the
// reason where no GPU is usable).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "kernels/linear.hpp"
#include "kernels/linear_rules.hpp"
#include "tests/test_support.hpp"

namespace cie::kernels {
namespace CIE_TEST_FILE_ID {

TEST(LinearRules, SigmoidAndLossByHand) {
  EXPECT_EQ(stable_sigmoid(0.0), 0.5);
  EXPECT_DOUBLE_EQ(logistic_loss(0.0, 0.0), std::log(2.0));
  EXPECT_DOUBLE_EQ(logistic_loss(0.0, 1.0), std::log(2.0));
  for (double z : {-30.0, -2.5, -0.1, 0.3, 4.0, 25.0}) {
    double const naive_p = 1.0 / (1.0 + std::exp(-z));
    EXPECT_NEAR(stable_sigmoid(z), naive_p, 1e-15) << "z " << z;
    for (double y : {0.0, 1.0}) {
      double const naive_loss = std::log(1.0 + std::exp(z)) - y * z;
      EXPECT_NEAR(logistic_loss(z, y), naive_loss, 1e-13 * std::max(1.0, std::abs(z))) << "z " << z;
      LogisticTerms const terms = logistic_terms(z, y);
      EXPECT_EQ(terms.loss, logistic_loss(z, y));
      EXPECT_NEAR(terms.residual, naive_p - y, 1e-15);
      EXPECT_NEAR(terms.curvature, naive_p * (1.0 - naive_p), 1e-15);
    }
  }
}

/// How many representable doubles lie between a and b (both >= 0, finite): for non-negative
/// doubles the bit patterns are ordered like the values, subnormals included.
std::int64_t ulps_apart(double a, double b) {
  std::int64_t const ia = std::bit_cast<std::int64_t>(a);
  std::int64_t const ib = std::bit_cast<std::int64_t>(b);
  return ia > ib ? ia - ib : ib - ia;
}

TEST(LinearRules, ExpNonpositiveIsWithinTwoUlpsOfStdExp) {
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> whole(-745.5, 0.0);  // down to where exp rounds to 0
  std::uniform_real_distribution<double> near_zero(-1.0, 0.0);
  std::uniform_real_distribution<double> exponent(-300.0, 0.0);
  std::int64_t worst = 0;
  for (int i = 0; i < 1000000; ++i) {
    for (double x : {whole(rng), near_zero(rng), -std::pow(10.0, exponent(rng))}) {
      std::int64_t const apart = ulps_apart(exp_nonpositive(x), std::exp(x));
      worst = std::max(worst, apart);
      ASSERT_LE(apart, 2) << "x " << x;
    }
  }
  EXPECT_LE(worst, 2);
  // Subnormal results (one rounding), the cut-off, and the ends of the domain.
  for (double x : {-708.5, -720.0, -744.0, -745.0, -745.13}) {
    EXPECT_LE(ulps_apart(exp_nonpositive(x), std::exp(x)), 1) << "x " << x;
  }
  EXPECT_EQ(exp_nonpositive(0.0), 1.0);
  EXPECT_EQ(exp_nonpositive(-0.0), 1.0);
  EXPECT_EQ(exp_nonpositive(-1e-300), 1.0);
  EXPECT_EQ(exp_nonpositive(-745.6), 0.0);
  EXPECT_EQ(exp_nonpositive(-1e300), 0.0);
  EXPECT_EQ(exp_nonpositive(-std::numeric_limits<double>::infinity()), 0.0);
}

TEST(LinearRules, Log1pUnitIsWithinTwoUlpsOfStdLog1p) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_real_distribution<double> exponent(-700.0, 0.0);
  for (int i = 0; i < 1000000; ++i) {
    for (double e : {unit(rng), std::exp(exponent(rng))}) {
      ASSERT_LE(ulps_apart(log1p_unit(e), std::log1p(e)), 2) << "e " << e;
    }
  }
  EXPECT_EQ(log1p_unit(0.0), 0.0);
  EXPECT_EQ(log1p_unit(1e-300), 1e-300);
  EXPECT_LE(ulps_apart(log1p_unit(1.0), std::log(2.0)), 1);
}

TEST(LinearRules, ExtremeMarginsStayFinite) {
  for (double z : {-1e300, -1e6, -800.0, 800.0, 1e6, 1e300}) {
    SCOPED_TRACE(::testing::Message() << "z " << z);
    double const p = stable_sigmoid(z);
    EXPECT_TRUE(p >= 0.0 && p <= 1.0);
    for (double y : {0.0, 1.0}) {
      LogisticTerms const terms = logistic_terms(z, y);
      EXPECT_TRUE(std::isfinite(terms.loss) && terms.loss >= 0.0);
      EXPECT_TRUE(std::isfinite(terms.residual));
      EXPECT_TRUE(std::isfinite(terms.curvature) && terms.curvature >= 0.0);
    }
  }
  EXPECT_EQ(logistic_loss(1000.0, 1.0), 0.0);     // confidently right: no loss
  EXPECT_EQ(logistic_loss(1000.0, 0.0), 1000.0);  // confidently wrong: grows like |z|
  EXPECT_EQ(logistic_loss(-1000.0, 1.0), 1000.0);
  EXPECT_GT(logistic_terms(40.0, 1.0).curvature, 0.0);  // not rounded to 0 where σ rounds to 1
}

struct Problem {
  std::vector<float> x;  // column-major
  std::vector<float> y;
  std::vector<double> weight;
  std::vector<double> coef;
  double intercept = 0.0;
  std::int64_t rows = 0;
  int cols = 0;
};

Problem make_problem(std::int64_t rows, int cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> weight(0, 3);
  std::bernoulli_distribution label(0.4);
  Problem p;
  p.rows = rows;
  p.cols = cols;
  p.x.resize(static_cast<std::size_t>(rows) * cols);
  for (float& v : p.x) v = normal(rng);
  p.y.resize(static_cast<std::size_t>(rows));
  for (float& v : p.y) v = label(rng) ? 1.0f : 0.0f;
  p.weight.resize(static_cast<std::size_t>(rows));
  for (double& w : p.weight) w = 0.5 * weight(rng);
  p.coef.resize(static_cast<std::size_t>(cols));
  for (double& c : p.coef) c = 0.7 * normal(rng);
  p.intercept = -0.3;
  return p;
}

double margin(Problem const& p, std::int64_t i, std::span<double const> coef, double intercept) {
  double z = intercept;
  for (int j = 0; j < p.cols; ++j) z += coef[j] * p.x[j * p.rows + i];
  return z;
}

/// The pass computed directly, row by row, in double.
LogisticPassStats reference_pass(Problem const& p, std::span<double const> coef, double intercept) {
  int const n = p.cols + 1;
  LogisticPassStats stats;
  stats.gradient.assign(n, 0.0);
  stats.hessian.assign(static_cast<std::size_t>(n) * n, 0.0);
  for (std::int64_t i = 0; i < p.rows; ++i) {
    double const z = margin(p, i, coef, intercept);
    double const prob = 1.0 / (1.0 + std::exp(-z));
    double const s = p.weight[i];
    stats.loss += s * (std::log1p(std::exp(-std::abs(z))) + std::max(z, 0.0) - p.y[i] * z);
    for (int j = 0; j < n; ++j) {
      double const a_j = j < p.cols ? p.x[j * p.rows + i] : 1.0;
      stats.gradient[j] += s * (prob - p.y[i]) * a_j;
      for (int k = 0; k < n; ++k) {
        double const a_k = k < p.cols ? p.x[k * p.rows + i] : 1.0;
        stats.hessian[j * n + k] += s * prob * (1.0 - prob) * a_j * a_k;
      }
    }
  }
  return stats;
}

class LinearKernelBackends : public cie::testing::BackendTest {};

TEST_P(LinearKernelBackends, PassMatchesDirectComputationAcrossSizes) {
  struct Size {
    std::int64_t rows;
    int cols;
  };
  for (Size size : {Size{1, 1}, Size{257, 3}, Size{1000, 17}, Size{40009, 8}, Size{3001, 40}}) {
    std::uint64_t const seed = 91 + static_cast<std::uint64_t>(size.rows);
    SCOPED_TRACE(::testing::Message()
                 << "rows " << size.rows << " cols " << size.cols << " seed " << seed);
    Problem p = make_problem(size.rows, size.cols, seed);
    auto workspace = make_logistic_workspace(context(), p.x.data(), p.rows, p.cols, p.y, p.weight);
    ASSERT_EQ(workspace->rows(), p.rows);
    ASSERT_EQ(workspace->cols(), p.cols);
    LogisticPassStats const expected = reference_pass(p, p.coef, p.intercept);
    LogisticPassStats const with = workspace->pass(p.coef, p.intercept, true);
    LogisticPassStats const without = workspace->pass(p.coef, p.intercept, false);
    double const scale = 1e-12 * std::max(1.0, expected.loss);
    EXPECT_NEAR(with.loss, expected.loss, scale);
    EXPECT_EQ(with.loss, without.loss);
    EXPECT_TRUE(without.hessian.empty());
    ASSERT_EQ(with.gradient.size(), expected.gradient.size());
    ASSERT_EQ(with.hessian.size(), expected.hessian.size());
    for (std::size_t e = 0; e < expected.gradient.size(); ++e) {
      EXPECT_NEAR(with.gradient[e], expected.gradient[e], scale) << "gradient " << e;
      EXPECT_EQ(with.gradient[e], without.gradient[e]);
    }
    for (std::size_t e = 0; e < expected.hessian.size(); ++e) {
      EXPECT_NEAR(with.hessian[e], expected.hessian[e], scale) << "hessian " << e;
    }
  }
}

TEST_P(LinearKernelBackends, GradientAndHessianMatchFiniteDifferences) {
  Problem p = make_problem(5000, 6, 5);
  auto workspace = make_logistic_workspace(context(), p.x.data(), p.rows, p.cols, p.y, p.weight);
  LogisticPassStats const at = workspace->pass(p.coef, p.intercept, true);
  int const n = p.cols + 1;
  double const h = 1e-5;
  for (int e = 0; e < n; ++e) {
    std::vector<double> up = p.coef, down = p.coef;
    double b_up = p.intercept, b_down = p.intercept;
    (e < p.cols ? up[e] : b_up) += h;
    (e < p.cols ? down[e] : b_down) -= h;
    LogisticPassStats const plus = workspace->pass(up, b_up, false);
    LogisticPassStats const minus = workspace->pass(down, b_down, false);
    double const slope = (plus.loss - minus.loss) / (2 * h);
    EXPECT_NEAR(at.gradient[e], slope, 1e-6 * std::max(1.0, std::abs(slope))) << "entry " << e;
    for (int k = 0; k < n; ++k) {
      double const curvature = (plus.gradient[k] - minus.gradient[k]) / (2 * h);
      EXPECT_NEAR(at.hessian[e * n + k], curvature, 1e-6 * std::max(1.0, std::abs(curvature)))
          << "hessian " << e << "," << k;
    }
  }
}

TEST_P(LinearKernelBackends, ProbabilitiesAreTheSigmoidOfTheMargin) {
  Problem p = make_problem(20011, 5, 3);
  std::vector<double> probability(static_cast<std::size_t>(p.rows));
  logistic_probabilities(context(), p.x.data(), p.rows, p.cols, p.coef, p.intercept, probability);
  for (std::int64_t i = 0; i < p.rows; ++i) {
    ASSERT_NEAR(probability[i], stable_sigmoid(margin(p, i, p.coef, p.intercept)), 1e-15)
        << "row " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, LinearKernelBackends,
                         ::testing::Values(Backend::kCpu, Backend::kCuda),
                         cie::testing::backend_name);

TEST(LinearKernelsCpu, SameBitsWithOneAndTwoThreads) {
  Problem p = make_problem(100003, 9, 11);
  std::string unused;
  auto one = cie::testing::make_backend_context(Backend::kCpu, unused, 1);
  auto two = cie::testing::make_backend_context(Backend::kCpu, unused, 2);
  auto a = make_logistic_workspace(*one, p.x.data(), p.rows, p.cols, p.y, p.weight);
  auto b = make_logistic_workspace(*two, p.x.data(), p.rows, p.cols, p.y, p.weight);
  LogisticPassStats const sa = a->pass(p.coef, p.intercept, true);
  LogisticPassStats const sb = b->pass(p.coef, p.intercept, true);
  EXPECT_EQ(sa.loss, sb.loss);
  EXPECT_EQ(sa.gradient, sb.gradient);
  EXPECT_EQ(sa.hessian, sb.hessian);
}

// The block loops run compiled for AVX2 where the processor has it; the baseline (SSE2) clone
// must give the same bits. (On a processor without AVX2 both runs use the baseline.)
TEST(LinearKernelsCpu, SameBitsWithTheBaselineAndTheAvx2Loops) {
  auto const ctx = Context::cpu(2);
  // Row counts off the 8-row lanes and the 1024-row blocks; column counts off the groups of 4.
  for (auto [rows, cols] :
       {std::pair<std::int64_t, int>{5, 3}, {1031, 7}, {40009, 9}, {70001, 32}}) {
    SCOPED_TRACE(::testing::Message() << "rows " << rows << " cols " << cols);
    Problem p = make_problem(rows, cols, 17 + static_cast<std::uint64_t>(rows));
    auto run = [&](bool baseline) {
      cpu_impl::force_baseline_isa(baseline);
      auto workspace = make_logistic_workspace(ctx, p.x.data(), p.rows, p.cols, p.y, p.weight);
      std::pair<LogisticPassStats, std::vector<double>> out{
          workspace->pass(p.coef, p.intercept, true), std::vector<double>(p.y.size())};
      logistic_probabilities(ctx, p.x.data(), p.rows, p.cols, p.coef, p.intercept, out.second);
      cpu_impl::force_baseline_isa(false);
      return out;
    };
    auto const [fast, fast_probability] = run(false);
    auto const [base, base_probability] = run(true);
    EXPECT_EQ(fast.loss, base.loss);
    EXPECT_EQ(fast.gradient, base.gradient);
    EXPECT_EQ(fast.hessian, base.hessian);
    EXPECT_EQ(fast_probability, base_probability);
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::kernels

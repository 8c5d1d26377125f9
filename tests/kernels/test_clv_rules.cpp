// The per-customer CLV maths of kernels/clv_rules.hpp against closed forms, finite differences
// and a quadrature of the BG/NBD model, and the pass's sums against a plain loop (the same bits
// for any thread count).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/clv.hpp"
#include "kernels/clv_mbgnbd_rules.hpp"
#include "kernels/clv_rules.hpp"

namespace cie::kernels {
namespace CIE_TEST_FILE_ID {

TEST(ClvRules, DigammaMatchesKnownValuesAndRecurrence) {
  double const euler = 0.57721566490153286;
  EXPECT_NEAR(digamma(1.0), -euler, 1e-15);
  EXPECT_NEAR(digamma(0.5), -euler - 2.0 * std::log(2.0), 1e-14);
  for (double v : {1e-6, 0.01, 0.3, 2.7, 7.9, 8.0, 55.5, 1e6}) {
    EXPECT_NEAR(digamma(v + 1.0) - digamma(v), 1.0 / v, 1e-13 * (1.0 + 1.0 / v)) << v;
    double const h = 1e-5 * v;
    double const derivative = (std::lgamma(v + h) - std::lgamma(v - h)) / (2.0 * h);
    EXPECT_NEAR(digamma(v), derivative, 1e-6 * (1.0 + std::abs(derivative))) << v;
  }
}

TEST(ClvRules, Hyp2f1MatchesClosedForms) {
  for (double z : {0.0, 0.1, 0.5, 0.9, 0.99}) {
    double const expected = z == 0.0 ? 0.0 : std::log(-std::log1p(-z) / z);  // ₂F₁(1,1;2;z)
    EXPECT_NEAR(log_hyp2f1_positive(1.0, 1.0, 2.0, z), expected, 1e-13) << z;
    // ₂F₁(a,b;b;z) = (1 − z)^{−a}, also with terms far beyond double's range before scaling.
    for (double a : {0.3, 4.0, 900.0}) {
      EXPECT_NEAR(log_hyp2f1_positive(a, 2.5, 2.5, z), -a * std::log1p(-z), 1e-12 * (1.0 + a))
          << a << " " << z;
    }
  }
  EXPECT_TRUE(std::isnan(log_hyp2f1_positive(1.0, 1.0, -0.5, 0.3)));
  EXPECT_TRUE(std::isnan(log_hyp2f1_positive(1.0, 1.0, 2.0, 1.0)));
}

TEST(ClvRules, Hyp2f1SideBySideGivesTheBitsOfEachSeries) {
  // z = 0, invalid z, series that finish at different terms, and a = 900 (rescaled terms), with
  // valid and invalid (c <= 0) parameters.
  std::vector<double> const z = {0.5, 0.0, 0.99, 1.0, -0.1, NAN, 0.9, 1e-9, 0.3, 0.999, 0.7};
  int const count = static_cast<int>(z.size());
  for (double const a : {0.3, 4.0, 900.0}) {
    for (double const c : {2.5, 0.7, -1.0}) {
      std::vector<double> scratch(3 * z.size()), out(z.size());
      log_hyp2f1_positive_many(a, 2.5, c, z.data(), count, scratch.data(), out.data());
      for (std::size_t j = 0; j < z.size(); ++j) {
        double const one = log_hyp2f1_positive(a, 2.5, c, z[j]);
        EXPECT_TRUE(std::bit_cast<std::uint64_t>(out[j]) == std::bit_cast<std::uint64_t>(one))
            << a << " " << c << " " << z[j] << ": " << out[j] << " vs " << one;
      }
    }
  }
}

/// ∂ℓ/∂ln θ by central differences.
template <typename LogLikelihood>
std::vector<double> numeric_gradient(LogLikelihood ll, std::vector<double> params) {
  std::vector<double> grad(params.size());
  for (std::size_t j = 0; j < params.size(); ++j) {
    std::vector<double> up = params, down = params;
    double const h = 1e-6;
    up[j] *= std::exp(h);
    down[j] *= std::exp(-h);
    grad[j] = (ll(up) - ll(down)) / (2.0 * h);
  }
  return grad;
}

TEST(ClvRules, BgNbdGradientMatchesFiniteDifferences) {
  struct Customer {
    double x, t_x, age;
  };
  for (Customer c : {Customer{0, 0, 38.9}, Customer{1, 1.7, 38.9}, Customer{7, 29.4, 31.0},
                     Customer{40, 12.0, 12.5}, Customer{2, 0.0, 0.0}}) {
    for (std::vector<double> p : {std::vector<double>{0.243, 4.414, 0.793, 2.426},
                                  std::vector<double>{2.0, 0.5, 3.0, 0.2}}) {
      double grad[4];
      bgnbd_log_likelihood(p[0], p[1], p[2], p[3], c.x, c.t_x, c.age, grad);
      std::vector<double> const expected = numeric_gradient(
          [&](std::vector<double> const& q) {
            return bgnbd_log_likelihood(q[0], q[1], q[2], q[3], c.x, c.t_x, c.age, nullptr);
          },
          p);
      for (int j = 0; j < 4; ++j) {
        EXPECT_NEAR(grad[j], expected[j], 1e-6 * (1.0 + std::abs(expected[j])))
            << "x=" << c.x << " param " << j;
      }
    }
  }
}

TEST(ClvRules, GammaGammaGradientMatchesFiniteDifferences) {
  for (double x : {1.0, 3.0, 25.0}) {
    for (double m : {0.5, 35.2, 900.0}) {
      std::vector<double> const p = {6.25, 3.74, 15.44};
      double grad[3];
      gamma_gamma_log_likelihood(p[0], p[1], p[2], x, m, grad);
      std::vector<double> const expected = numeric_gradient(
          [&](std::vector<double> const& q) {
            return gamma_gamma_log_likelihood(q[0], q[1], q[2], x, m, nullptr);
          },
          p);
      for (int j = 0; j < 3; ++j) {
        EXPECT_NEAR(grad[j], expected[j], 1e-6 * (1.0 + std::abs(expected[j]))) << x << " " << m;
      }
    }
  }
}

TEST(ClvRules, TrigammaMatchesKnownValuesAndRecurrence) {
  double const pi = 3.14159265358979324;
  EXPECT_NEAR(trigamma(1.0), pi * pi / 6.0, 1e-15);
  EXPECT_NEAR(trigamma(0.5), pi * pi / 2.0, 1e-14);
  for (double v : {1e-6, 0.01, 0.3, 2.7, 7.9, 9.5, 10.0, 55.5, 1e6}) {
    double const step = trigamma(v) - trigamma(v + 1.0);
    EXPECT_NEAR(step, 1.0 / (v * v), 1e-14 / (v * v) + 1e-16) << v;
    double const h = 1e-5 * v;
    double const derivative = (digamma(v + h) - digamma(v - h)) / (2.0 * h);
    EXPECT_NEAR(trigamma(v), derivative, 1e-7 * derivative) << v;
  }
}

/// Checks `hess` (packed, clv_hessian_index) against central differences of the analytic
/// gradient `gradient(params, grad)` in the log-parameters.
template <typename Gradient>
void expect_hessian_of_gradient(Gradient gradient, std::vector<double> const& params,
                                double const* hess) {
  int const k = static_cast<int>(params.size());
  for (int j = 0; j < k; ++j) {
    std::vector<double> up = params, down = params;
    double const h = 1e-5;
    up[static_cast<std::size_t>(j)] *= std::exp(h);
    down[static_cast<std::size_t>(j)] *= std::exp(-h);
    double grad_up[4], grad_down[4];
    gradient(up, grad_up);
    gradient(down, grad_down);
    for (int i = 0; i < k; ++i) {
      double const expected = (grad_up[i] - grad_down[i]) / (2.0 * h);
      EXPECT_NEAR(hess[clv_hessian_index(i, j)], expected, 1e-6 * (1.0 + std::abs(expected)))
          << "entry " << i << "," << j;
    }
  }
}

TEST(ClvRules, BgNbdFamilyAndGammaGammaHessiansMatchFiniteDifferencesOfTheGradient) {
  struct Customer {
    double x, t_x, age;
  };
  for (bool modified : {false, true}) {
    for (Customer c : {Customer{0, 0, 38.9}, Customer{1, 1.7, 38.9}, Customer{7, 29.4, 31.0},
                       Customer{40, 12.0, 12.5}, Customer{2, 0.0, 0.0}}) {
      for (std::vector<double> p : {std::vector<double>{0.243, 4.414, 0.793, 2.426},
                                    std::vector<double>{2.0, 0.5, 3.0, 0.2}}) {
        SCOPED_TRACE(::testing::Message() << "modified " << modified << " x=" << c.x);
        auto const gradient = [&](std::vector<double> const& q, double* grad) {
          ClvCountTerms const terms = modified ? mbgnbd_count_terms(q[0], q[1], q[2], q[3], c.x)
                                               : bgnbd_count_terms(q[0], q[1], q[2], q[3], c.x);
          return bgnbd_log_likelihood(terms, q[0], q[1], q[2], q[3], c.x, c.t_x, c.age, grad,
                                      modified);
        };
        double grad[4], hess[kClvHessianEntries] = {}, plain[4];
        ClvCountTerms const terms = modified ? mbgnbd_count_terms(p[0], p[1], p[2], p[3], c.x)
                                             : bgnbd_count_terms(p[0], p[1], p[2], p[3], c.x);
        double const ll = bgnbd_log_likelihood(terms, p[0], p[1], p[2], p[3], c.x, c.t_x, c.age,
                                               grad, modified, {}, hess);
        EXPECT_EQ(ll, gradient(p, plain));  // the Hessian changes neither ℓ nor the gradient
        for (int j = 0; j < 4; ++j) EXPECT_EQ(grad[j], plain[j]);
        expect_hessian_of_gradient(gradient, p, hess);
      }
    }
  }
  for (double x : {1.0, 3.0, 25.0}) {
    for (double m : {0.5, 35.2, 900.0}) {
      SCOPED_TRACE(::testing::Message() << "gamma-gamma x=" << x << " m=" << m);
      std::vector<double> const p = {6.25, 3.74, 15.44};
      double grad[3], hess[kClvHessianEntries] = {};
      gamma_gamma_log_likelihood(gamma_gamma_count_terms(p[0], p[1], p[2], x), p[0], p[1], p[2], x,
                                 m, grad, hess);
      expect_hessian_of_gradient(
          [&](std::vector<double> const& q, double* g) {
            gamma_gamma_log_likelihood(q[0], q[1], q[2], x, m, g);
          },
          p, hess);
      for (int i = 0; i < 4; ++i) EXPECT_EQ(hess[clv_hessian_index(i, 3)], 0.0);
    }
  }
}

TEST(ClvRules, ExpectedPurchasesOfANewCustomerEqualTheModelsIntegral) {
  // A customer just acquired (x = t_x = T = 0) with dropout p ~ Beta(a, b) and rate
  // λ ~ Gamma(r, α): E[X(t)] = E_p[(1 − (α/(α + p t))^r) / p], by Simpson's rule in p.
  double const r = 0.7, alpha = 6.0, a = 2.5, b = 4.0;
  for (double t : {1.0, 13.0, 52.0, 400.0}) {
    int const n = 200000;
    double integral = 0.0;
    double const log_beta = std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b);
    for (int i = 0; i <= n; ++i) {
      double const p = std::max(static_cast<double>(i) / n, 1e-300);
      double const density =
          i == n ? 0.0 : std::exp((a - 1) * std::log(p) + (b - 1) * std::log1p(-p) - log_beta);
      double const value = i == 0 ? 0.0 : -std::expm1(r * std::log(alpha / (alpha + p * t))) / p;
      integral += (i == 0 || i == n ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0)) * density * value;
    }
    integral /= 3.0 * n;
    EXPECT_NEAR(bgnbd_expected_purchases(r, alpha, a, b, 0, 0, 0, t), integral, 1e-7 * integral)
        << t;
  }
  EXPECT_EQ(bgnbd_expected_purchases(r, alpha, a, b, 3, 10, 20, 0.0), 0.0);
}

TEST(ClvRules, PAliveIsOneWithoutRepeatsAndFallsWithTimeSinceLastPurchase) {
  EXPECT_EQ(bgnbd_p_alive(0.243, 4.414, 0.793, 2.426, 0, 0, 38.0), 1.0);
  double previous = 1.0;
  for (double age : {10.0, 20.0, 30.0, 40.0}) {
    double const p = bgnbd_p_alive(0.243, 4.414, 0.793, 2.426, 3, 10.0, age);
    EXPECT_LT(p, previous);
    EXPECT_GT(p, 0.0);
    previous = p;
  }
  // At t_x = T the odds of having dropped out are a / (b + x − 1).
  EXPECT_NEAR(bgnbd_p_alive(0.5, 3.0, 0.8, 2.0, 4, 25.0, 25.0), 1.0 / (1.0 + 0.8 / 5.0), 1e-15);
}

TEST(ClvRules, ExpectedSpendShrinksTowardThePopulationMean) {
  double const p = 6.25, q = 3.74, g = 15.44;
  double const population = p * g / (q - 1.0);
  EXPECT_DOUBLE_EQ(gamma_gamma_expected_spend(p, q, g, 0, 0), population);
  double const one = gamma_gamma_expected_spend(p, q, g, 1, 100.0);
  double const many = gamma_gamma_expected_spend(p, q, g, 50, 100.0);
  EXPECT_GT(one, population);
  EXPECT_LT(one, many);
  EXPECT_LT(many, 100.0 * p * 50 / (p * 50 + q - 1) + 1.0);
  EXPECT_TRUE(std::isnan(gamma_gamma_expected_spend(p, 0.9, g, 0, 0)));
}

TEST(ClvPass, SumsEqualAPlainLoopWithTheSameBitsForAnyThreadCount) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::size_t const n = 3 * static_cast<std::size_t>(kClvBatchRows) + 17;
  std::vector<double> x(n), t_x(n), age(n), m(n), w(n);
  for (std::size_t i = 0; i < n; ++i) {
    age[i] = 40.0 * uniform(rng);
    x[i] = std::floor(8.0 * uniform(rng) * uniform(rng));
    t_x[i] = x[i] > 0 ? age[i] * uniform(rng) : 0.0;
    m[i] = 1.0 + 100.0 * uniform(rng);
    w[i] = 1.0 + std::floor(3.0 * uniform(rng));
  }
  ClvRows const rows{x, t_x, age, m, w};
  std::vector<double> const params = {0.243, 4.414, 0.793, 2.426};
  Context const one = Context::cpu(1);
  Context const four = Context::cpu(4);
  ClvPassStats const a = clv_log_likelihood_pass(one, ClvLikelihood::kBgNbd, params, rows);
  ClvPassStats const b = clv_log_likelihood_pass(four, ClvLikelihood::kBgNbd, params, rows);
  EXPECT_EQ(a.log_likelihood, b.log_likelihood);
  EXPECT_EQ(a.gradient, b.gradient);
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    sum += w[i] * bgnbd_log_likelihood(params[0], params[1], params[2], params[3], x[i], t_x[i],
                                       age[i], nullptr);
  }
  EXPECT_NEAR(a.log_likelihood, sum, 1e-11 * std::abs(sum));

  std::vector<double> xs, ms;
  for (std::size_t i = 0; i < n; ++i) {
    if (x[i] > 0) {
      xs.push_back(x[i]);
      ms.push_back(m[i]);
    }
  }
  ClvRows const spend{xs, {}, {}, ms, {}};
  std::vector<double> const gg = {6.25, 3.74, 15.44};
  ClvPassStats const c = clv_log_likelihood_pass(one, ClvLikelihood::kGammaGamma, gg, spend);
  ClvPassStats const d = clv_log_likelihood_pass(four, ClvLikelihood::kGammaGamma, gg, spend);
  EXPECT_EQ(c.log_likelihood, d.log_likelihood);
  EXPECT_EQ(c.gradient, d.gradient);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::kernels

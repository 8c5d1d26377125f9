// The modified BG/NBD and the P(n purchases) rules of kernels/clv_mbgnbd_rules.hpp: gradients
// against finite differences, the likelihood against a quadrature of the model, and the pmf's
// consistency with P(alive) and the expected purchases (eq. 10 and Wagner & Hoppe's form).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/clv.hpp"
#include "kernels/clv_mbgnbd_rules.hpp"

namespace cie::kernels {
namespace CIE_TEST_FILE_ID {

struct Customer {
  double x, t_x, age;
};

std::vector<Customer> const kCustomers = {{0, 0, 38.9},     {1, 1.7, 38.9}, {7, 29.4, 31.0},
                                          {40, 12.0, 12.5}, {2, 0.0, 0.0},  {0, 0, 0.5}};
std::vector<std::vector<double>> const kParams = {{0.525, 6.183, 0.891, 1.614},
                                                  {2.0, 0.5, 3.0, 0.2}};

TEST(ClvMbgNbdRules, GradientMatchesFiniteDifferences) {
  for (Customer const& c : kCustomers) {
    for (std::vector<double> const& p : kParams) {
      double grad[4];
      mbgnbd_log_likelihood(p[0], p[1], p[2], p[3], c.x, c.t_x, c.age, grad);
      for (int j = 0; j < 4; ++j) {
        std::vector<double> up = p, down = p;
        double const h = 1e-6;
        up[j] *= std::exp(h);
        down[j] *= std::exp(-h);
        double const numeric =
            (mbgnbd_log_likelihood(up[0], up[1], up[2], up[3], c.x, c.t_x, c.age, nullptr) -
             mbgnbd_log_likelihood(down[0], down[1], down[2], down[3], c.x, c.t_x, c.age,
                                   nullptr)) /
            (2.0 * h);
        EXPECT_NEAR(grad[j], numeric, 1e-6 * (1.0 + std::abs(numeric)))
            << "x=" << c.x << " param " << j;
      }
    }
  }
}

TEST(ClvMbgNbdRules, LikelihoodEqualsTheModelIntegratedOverTheDropoutProbability) {
  // Given λ and p, the history (x, t_x, T) has density λ^x e^{−λT}(1−p)^{x+1} (alive) +
  // λ^x e^{−λ t_x}(1−p)^x p (dropped out after the last purchase); λ ~ Gamma(r, α) is integrated
  // in closed form, p ~ Beta(a, b) by Simpson's rule.
  double const r = 0.7, alpha = 6.0, a = 2.5, b = 4.0;
  for (Customer const& c : kCustomers) {
    double const log_gamma_part = std::lgamma(r + c.x) - std::lgamma(r) + r * std::log(alpha);
    double const alive = std::exp(log_gamma_part - (r + c.x) * std::log(alpha + c.age));
    double const dead = std::exp(log_gamma_part - (r + c.x) * std::log(alpha + c.t_x));
    double const log_beta = std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b);
    int const n = 100000;
    double integral = 0.0;
    for (int i = 1; i < n; ++i) {
      double const p = static_cast<double>(i) / n;
      double const density = std::exp((a - 1) * std::log(p) + (b - 1) * std::log1p(-p) - log_beta);
      double const value = alive * std::pow(1 - p, c.x + 1) + dead * std::pow(1 - p, c.x) * p;
      integral += (i % 2 == 1 ? 4.0 : 2.0) * density * value;
    }
    integral /= 3.0 * n;
    EXPECT_NEAR(mbgnbd_log_likelihood(r, alpha, a, b, c.x, c.t_x, c.age, nullptr),
                std::log(integral), 1e-8)
        << "x=" << c.x;
  }
}

TEST(ClvMbgNbdRules, PAliveIsBelowOneWithoutRepeats) {
  double const p = mbgnbd_p_alive(0.525, 6.183, 0.891, 1.614, 0, 0, 38.0);
  EXPECT_LT(p, 1.0);
  EXPECT_GT(p, 0.0);
  // At t_x = T the odds of having dropped out are a / (b + x).
  EXPECT_NEAR(mbgnbd_p_alive(0.5, 3.0, 0.8, 2.0, 4, 25.0, 25.0), 1.0 / (1.0 + 0.8 / 6.0), 1e-15);
}

/// Σ_n P(n) and Σ_n n P(n) over n = 0..max.
std::pair<double, double> pmf_moments(double const* p, double x, double t_x, double age, double t,
                                      bool modified, int max) {
  double total = 0.0, mean = 0.0;
  for (int n = 0; n <= max; ++n) {
    double const value = bgnbd_conditional_pmf(p[0], p[1], p[2], p[3], x, t_x, age, n, t, modified);
    EXPECT_GE(value, 0.0);
    total += value;
    mean += n * value;
  }
  return {total, mean};
}

TEST(ClvPurchasesPmf, SumsToOneWithTheExpectedPurchasesAsMean) {
  for (bool modified : {false, true}) {
    for (Customer const& c : kCustomers) {
      for (double t : {1.0, 13.0, 52.0}) {
        double const p[4] = {0.525, 6.183, 1.891, 1.614};
        auto const [total, mean] = pmf_moments(p, c.x, c.t_x, c.age, t, modified, 600);
        double const expected =
            modified ? mbgnbd_expected_purchases(p[0], p[1], p[2], p[3], c.x, c.t_x, c.age, t)
                     : bgnbd_expected_purchases(p[0], p[1], p[2], p[3], c.x, c.t_x, c.age, t);
        EXPECT_NEAR(total, 1.0, 1e-12) << modified << " x=" << c.x << " t=" << t;
        EXPECT_NEAR(mean, expected, 1e-9 * (1.0 + expected))
            << modified << " x=" << c.x << " t=" << t;
        // P(0) is at least the probability of having dropped out.
        double const alive = modified ? mbgnbd_p_alive(p[0], p[1], p[2], p[3], c.x, c.t_x, c.age)
                                      : bgnbd_p_alive(p[0], p[1], p[2], p[3], c.x, c.t_x, c.age);
        EXPECT_GE(bgnbd_conditional_pmf(p[0], p[1], p[2], p[3], c.x, c.t_x, c.age, 0, t, modified),
                  1.0 - alive - 1e-15);
      }
    }
  }
}

TEST(ClvPurchasesPmf, ModifiedUnconditionalPmfIsANewCustomersWithTheFirstCoin) {
  // A new modified-BG/NBD customer drops out at once with probability a/(a+b); otherwise it is a
  // BG/NBD customer with p ~ Beta(a, b+1).
  double const r = 0.525, alpha = 6.183, a = 0.891, b = 1.614;
  for (double t : {0.5, 10.0, 78.0}) {
    double total = 0.0;
    for (int n = 0; n <= 5; ++n) {
      double const stay = b / (a + b);
      double const expected =
          stay * bgnbd_unconditional_pmf(r, alpha, a, b + 1.0, n, t) + (n == 0 ? 1.0 - stay : 0.0);
      EXPECT_NEAR(mbgnbd_unconditional_pmf(r, alpha, a, b, n, t), expected, 1e-14) << n;
      EXPECT_NEAR(bgnbd_conditional_pmf(r, alpha, a, b, 0, 0, 0, n, t, true), expected, 1e-14);
      total += expected;
    }
    EXPECT_LT(total, 1.0);
  }
  EXPECT_EQ(bgnbd_unconditional_pmf(r, alpha, a, b, 0, 0.0), 1.0);
  EXPECT_EQ(bgnbd_unconditional_pmf(r, alpha, a, b, 2, 0.0), 0.0);
}

TEST(ClvMbgNbdPass, SumsEqualAPlainLoopAndPredictionsTheRules) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::size_t const n = 2 * static_cast<std::size_t>(kClvBatchRows) + 5;
  std::vector<double> x(n), t_x(n), age(n), m(n, 1.0);
  for (std::size_t i = 0; i < n; ++i) {
    age[i] = 40.0 * uniform(rng);
    x[i] = std::floor(8.0 * uniform(rng) * uniform(rng));
    t_x[i] = x[i] > 0 ? age[i] * uniform(rng) : 0.0;
  }
  ClvRows const rows{x, t_x, age, m, {}};
  std::vector<double> const params = {0.525, 6.183, 0.891, 1.614};
  ClvPassStats const one =
      clv_log_likelihood_pass(Context::cpu(1), ClvLikelihood::kMbgNbd, params, rows);
  ClvPassStats const four =
      clv_log_likelihood_pass(Context::cpu(4), ClvLikelihood::kMbgNbd, params, rows);
  EXPECT_EQ(one.log_likelihood, four.log_likelihood);
  EXPECT_EQ(one.gradient, four.gradient);
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    sum += mbgnbd_log_likelihood(params[0], params[1], params[2], params[3], x[i], t_x[i], age[i],
                                 nullptr);
  }
  EXPECT_NEAR(one.log_likelihood, sum, 1e-11 * std::abs(sum));

  ClvPredictionSettings settings;
  settings.horizon = 26.0;
  settings.max_purchases = 2;
  std::vector<double> alive(n), expected(n), value(n), clv(n), pmf(3 * n);
  clv_predict(Context::cpu(2), ClvLikelihood::kMbgNbd, params, {}, settings, rows,
              {alive, expected, value, clv, pmf});
  for (std::size_t i = 0; i < n; i += 997) {
    EXPECT_EQ(alive[i],
              mbgnbd_p_alive(params[0], params[1], params[2], params[3], x[i], t_x[i], age[i]));
    EXPECT_EQ(expected[i], mbgnbd_expected_purchases(params[0], params[1], params[2], params[3],
                                                     x[i], t_x[i], age[i], 26.0));
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(pmf[3 * i + k], bgnbd_conditional_pmf(params[0], params[1], params[2], params[3],
                                                      x[i], t_x[i], age[i], k, 26.0, true));
    }
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::kernels

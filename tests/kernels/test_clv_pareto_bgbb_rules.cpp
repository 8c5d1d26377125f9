// Pareto/NBD and BG/BB per-customer maths: the Pareto/NBD integral form against Fader & Hardie's
// hypergeometric form, gradients against finite differences, BG/BB's likelihood summing to 1
// over every possible history and its P(n purchases) against the likelihoods of the extended
// histories.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>
#include <vector>

#include "kernels/clv_bgbb_rules.hpp"
#include "kernels/clv_pareto_rules.hpp"

namespace cie::kernels {
namespace CIE_TEST_FILE_ID {

/// Pareto/NBD log-likelihood by Fader & Hardie (2005, note 009, eq. 22) with ₂F₁ series.
double pareto_hypergeometric(double r, double alpha, double s, double beta, double x, double t_x,
                             double age) {
  double const big = alpha >= beta ? alpha : beta;
  double const c = r + s + x;
  double const b = alpha >= beta ? s + 1.0 : r + x;
  double const diff = std::abs(alpha - beta);
  double const l1 =
      log_hyp2f1_positive(c, b, c + 1.0, diff / (big + t_x)) - c * std::log(big + t_x);
  double const l2 =
      log_hyp2f1_positive(c, b, c + 1.0, diff / (big + age)) - c * std::log(big + age);
  double const a0 = std::exp(l1) - std::exp(l2);
  double const alive = std::exp(-(r + x) * std::log(alpha + age) - s * std::log(beta + age));
  return std::lgamma(r + x) - std::lgamma(r) + r * std::log(alpha) + s * std::log(beta) +
         std::log(alive + s / (r + s + x) * a0);
}

TEST(ClvParetoRules, IntegralFormEqualsTheHypergeometricForm) {
  struct Case {
    double r, alpha, s, beta, x, t_x, age;
  };
  for (Case c :
       {Case{0.55, 10.58, 0.61, 11.67, 0, 0, 38.9}, Case{0.55, 10.58, 0.61, 11.67, 2, 30.4, 38.9},
        Case{0.55, 10.58, 0.61, 11.67, 14, 5.0, 38.9}, Case{2.0, 30.0, 1.5, 3.0, 4, 10, 52},
        Case{0.3, 2.0, 0.2, 40.0, 30, 20, 21}, Case{1.0, 5.0, 1.0, 5.0, 1, 0.5, 80}}) {
    double const ours =
        pareto_nbd_log_likelihood(c.r, c.alpha, c.s, c.beta, c.x, c.t_x, c.age, nullptr);
    double const reference = pareto_hypergeometric(c.r, c.alpha, c.s, c.beta, c.x, c.t_x, c.age);
    EXPECT_NEAR(ours, reference, 1e-11 * std::abs(reference)) << c.x << " " << c.t_x;
  }
}

TEST(ClvParetoRules, StableWhereTheHypergeometricFormIsNot) {
  // α ≫ β puts the ₂F₁ argument next to 1 and the two terms cancel; the integral has neither
  // problem. At t_x = T the dead term vanishes exactly.
  double const ll = pareto_nbd_log_likelihood(0.4, 5000.0, 0.3, 0.01, 120, 0.2, 300.0, nullptr);
  EXPECT_TRUE(std::isfinite(ll));
  double grad[4];
  pareto_nbd_log_likelihood(0.4, 5000.0, 0.3, 0.01, 120, 0.2, 300.0, grad);
  for (double g : grad) EXPECT_TRUE(std::isfinite(g));
  EXPECT_EQ(pareto_nbd_p_alive(0.5, 10, 0.6, 12, 3, 20, 20), 1.0);
  EXPECT_LT(pareto_nbd_p_alive(0.5, 10, 0.6, 12, 3, 2, 20), 1.0);
}

template <typename F>
void expect_gradient(F ll, std::vector<double> p, double x, double t_x, double age) {
  double grad[4];
  ll(p, x, t_x, age, grad);
  for (int j = 0; j < 4; ++j) {
    std::vector<double> up = p, down = p;
    double const h = 1e-6;
    up[j] *= std::exp(h);
    down[j] *= std::exp(-h);
    double const expected =
        (ll(up, x, t_x, age, nullptr) - ll(down, x, t_x, age, nullptr)) / (2 * h);
    EXPECT_NEAR(grad[j], expected, 1e-6 * (1.0 + std::abs(expected)))
        << "param " << j << " x=" << x << " t_x=" << t_x << " T=" << age;
  }
}

TEST(ClvParetoRules, GradientMatchesFiniteDifferences) {
  auto const ll = [](std::vector<double> const& p, double x, double t_x, double age, double* g) {
    return pareto_nbd_log_likelihood(p[0], p[1], p[2], p[3], x, t_x, age, g);
  };
  for (std::vector<double> p :
       {std::vector<double>{0.55, 10.58, 0.61, 11.67}, std::vector<double>{2.0, 30.0, 1.5, 3.0}}) {
    expect_gradient(ll, p, 0, 0, 38.9);
    expect_gradient(ll, p, 3, 12.5, 38.9);
    expect_gradient(ll, p, 25, 30.0, 31.0);
    expect_gradient(ll, p, 2, 10.0, 10.0);
  }
}

TEST(ClvParetoRules, PurchasesPmfSumsToOneWithTheExpectedPurchasesAsMean) {
  struct Customer {
    double x, t_x, age;
  };
  for (std::vector<double> const& p :
       {std::vector<double>{0.553, 10.58, 0.606, 11.67}, std::vector<double>{2.0, 5.0, 3.0, 40.0},
        std::vector<double>{0.3, 50.0, 1.0, 2.0}}) {
    for (Customer const c : {Customer{0, 0, 38.9}, Customer{1, 1.7, 38.9}, Customer{7, 29.4, 31.0},
                             Customer{40, 12.0, 12.5}, Customer{0, 0, 0}}) {
      for (double t : {1.0, 13.0, 52.0}) {
        double total = 0.0, mean = 0.0;
        for (int n = 0; n <= 500; ++n) {
          double const pn =
              pareto_nbd_conditional_pmf(p[0], p[1], p[2], p[3], c.x, c.t_x, c.age, n, t);
          ASSERT_GE(pn, 0.0);
          total += pn;
          mean += n * pn;
        }
        double const expected =
            pareto_nbd_expected_purchases(p[0], p[1], p[2], p[3], c.x, c.t_x, c.age, t);
        EXPECT_NEAR(total, 1.0, 1e-10) << p[0] << " x=" << c.x << " t=" << t;
        EXPECT_NEAR(mean, expected, 1e-8 * (1.0 + expected)) << p[0] << " x=" << c.x << " t=" << t;
      }
    }
  }
  EXPECT_EQ(pareto_nbd_conditional_pmf(0.5, 10, 0.6, 11, 2, 3, 10, 0, 0.0), 1.0);
}

TEST(ClvBgBbRules, GradientMatchesFiniteDifferences) {
  auto const ll = [](std::vector<double> const& p, double x, double t_x, double n, double* g) {
    return bgbb_log_likelihood(p[0], p[1], p[2], p[3], x, t_x, n, g);
  };
  std::vector<double> const p = {1.204, 0.750, 0.657, 2.783};
  expect_gradient(ll, p, 0, 0, 6);
  expect_gradient(ll, p, 3, 5, 6);
  expect_gradient(ll, p, 6, 6, 6);
  expect_gradient(ll, p, 1, 1, 6);
}

TEST(ClvBgBbRules, LikelihoodIsADistributionOverHistories) {
  // Σ over every 0/1 sequence of n opportunities of P(sequence) = 1; the likelihood depends on a
  // sequence through (x, t_x) only, so sum L(x, t_x) times the number of sequences with them.
  double const alpha = 1.204, beta = 0.750, g = 0.657, d = 2.783;
  for (int n : {1, 4, 7}) {
    double total = std::exp(bgbb_log_likelihood(alpha, beta, g, d, 0, 0, n, nullptr));
    for (int t_x = 1; t_x <= n; ++t_x) {
      for (int x = 1; x <= t_x; ++x) {
        // the last purchase at t_x, x − 1 others among the t_x − 1 before it
        double const ways = std::exp(std::lgamma(t_x) - std::lgamma(x) - std::lgamma(t_x - x + 1));
        total += ways * std::exp(bgbb_log_likelihood(alpha, beta, g, d, x, t_x, n, nullptr));
      }
    }
    EXPECT_NEAR(total, 1.0, 1e-12) << n;
  }
  EXPECT_GT(bgbb_p_alive(alpha, beta, g, d, 5, 6, 6), bgbb_p_alive(alpha, beta, g, d, 5, 5, 6));
  EXPECT_GT(bgbb_expected_purchases(alpha, beta, g, d, 5, 6, 6, 5.0), 0.0);
}

TEST(ClvBgBbRules, PurchasesPmfIsTheLikelihoodOfTheExtendedHistories) {
  // P(k in the next f opportunities | x, t_x, n) = Σ over future 0/1 sequences with k ones of
  // L(extended history) / L(history): with k > 0 the last purchase at n + j (C(j−1, k−1) such
  // sequences), so the extended history is (x + k, n + j, n + f); with k = 0 it is (x, t_x, n + f).
  double const alpha = 1.204, beta = 0.750, g = 0.657, d = 2.783;
  auto const l = [&](double x, double t_x, double n) {
    return std::exp(bgbb_log_likelihood(alpha, beta, g, d, x, t_x, n, nullptr));
  };
  for (auto [x, t_x, n] : {std::tuple{0, 0, 6}, {3, 5, 6}, {6, 6, 6}, {1, 1, 11}}) {
    for (int f : {1, 3, 7}) {
      double total = 0.0, mean = 0.0;
      for (int k = 0; k <= f + 1; ++k) {
        double expected = k == 0 ? l(x, t_x, n + f) : 0.0;
        for (int j = k; k > 0 && j <= f; ++j) {
          double const ways = std::exp(std::lgamma(j) - std::lgamma(k) - std::lgamma(j - k + 1));
          expected += ways * l(x + k, n + j, n + f);
        }
        expected /= l(x, t_x, n);
        double const p = bgbb_conditional_pmf(alpha, beta, g, d, x, t_x, n, k, f);
        EXPECT_NEAR(p, expected, 1e-13) << x << " " << t_x << " " << n << " " << f << " " << k;
        total += p;
        mean += k * p;
      }
      EXPECT_NEAR(total, 1.0, 1e-13);
      EXPECT_NEAR(mean, bgbb_expected_purchases(alpha, beta, g, d, x, t_x, n, f), 1e-12);
    }
  }
  // A new customer (x = t_x = n = 0): the unconditional pmf.
  for (int k = 0; k <= 3; ++k) {
    EXPECT_NEAR(bgbb_conditional_pmf(alpha, beta, g, d, 0, 0, 0, k, 3),
                bgbb_unconditional_pmf(alpha, beta, g, d, k, 3), 1e-15);
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::kernels

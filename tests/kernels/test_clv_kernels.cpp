// The CLV log-likelihood pass on both backends (the CUDA instance skips with the reason where no
// GPU is usable; the emulation build runs it): every model's weighted sums against a plain loop
// in long double over the row rules computed from the parameters alone (no count table), the same
// bits on a second run, and the CUDA twin against the CPU twin.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/clv.hpp"
#include "kernels/clv_bgbb_rules.hpp"
#include "kernels/clv_mbgnbd_rules.hpp"
#include "kernels/clv_pareto_rules.hpp"
#include "kernels/clv_rules.hpp"
#include "tests/test_support.hpp"

namespace cie::kernels {
namespace CIE_TEST_FILE_ID {

/// Columns of a random data set for `model`; x reaches `max_x` on a few rows.
struct Columns {
  std::vector<double> x, t_x, age, m, w;
  [[nodiscard]] ClvRows rows(bool weighted) const {
    return {x, t_x, age, m, weighted ? std::span<double const>(w) : std::span<double const>()};
  }
};

Columns make_columns(ClvLikelihood model, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  Columns c;
  for (std::size_t i = 0; i < n; ++i) {
    double x = std::floor(8.0 * uniform(rng) * uniform(rng));
    if (i % 1000 == 7) x = 40.0 + std::floor(60.0 * uniform(rng));  // a long tail of x
    double age = 0.5 + 40.0 * uniform(rng);
    double t_x = x > 0 ? age * uniform(rng) : 0.0;
    if (model == ClvLikelihood::kBgBb) {  // whole opportunities, 0 <= x <= t_x <= n
      age = 1.0 + std::floor(12.0 * uniform(rng));
      x = std::floor((age + 1.0) * uniform(rng));
      x = x > age ? age : x;
      t_x = x > 0 ? x + std::floor((age - x + 1.0) * uniform(rng)) : 0.0;
      t_x = t_x > age ? age : t_x;
    }
    if (model == ClvLikelihood::kGammaGamma && x == 0.0) x = 1.0;
    c.x.push_back(x);
    c.t_x.push_back(t_x);
    c.age.push_back(age);
    c.m.push_back(1.0 + 100.0 * uniform(rng));
    c.w.push_back(1.0 + std::floor(3.0 * uniform(rng)));
  }
  return c;
}

double row_rule(ClvLikelihood model, std::vector<double> const& p, Columns const& c, std::size_t i,
                double* grad) {
  switch (model) {
    case ClvLikelihood::kBgNbd:
      return bgnbd_log_likelihood(p[0], p[1], p[2], p[3], c.x[i], c.t_x[i], c.age[i], grad);
    case ClvLikelihood::kMbgNbd:
      return mbgnbd_log_likelihood(p[0], p[1], p[2], p[3], c.x[i], c.t_x[i], c.age[i], grad);
    case ClvLikelihood::kGammaGamma:
      return gamma_gamma_log_likelihood(p[0], p[1], p[2], c.x[i], c.m[i], grad);
    case ClvLikelihood::kParetoNbd:
      return pareto_nbd_log_likelihood(p[0], p[1], p[2], p[3], c.x[i], c.t_x[i], c.age[i], grad);
    case ClvLikelihood::kBgBb:
      return bgbb_log_likelihood(p[0], p[1], p[2], p[3], c.x[i], c.t_x[i], c.age[i], grad);
  }
  return NAN;
}

/// The packed Hessian of row i (models with an analytic Hessian), from the count terms computed
/// for the row.
void row_hessian(ClvLikelihood model, std::vector<double> const& p, Columns const& c, std::size_t i,
                 double* hess) {
  double grad[4];
  switch (model) {
    case ClvLikelihood::kBgNbd:
      bgnbd_log_likelihood(bgnbd_count_terms(p[0], p[1], p[2], p[3], c.x[i]), p[0], p[1], p[2],
                           p[3], c.x[i], c.t_x[i], c.age[i], grad, false, {}, hess);
      return;
    case ClvLikelihood::kMbgNbd:
      mbgnbd_log_likelihood(mbgnbd_count_terms(p[0], p[1], p[2], p[3], c.x[i]), p[0], p[1], p[2],
                            p[3], c.x[i], c.t_x[i], c.age[i], grad, {}, hess);
      return;
    default:
      gamma_gamma_log_likelihood(gamma_gamma_count_terms(p[0], p[1], p[2], c.x[i]), p[0], p[1],
                                 p[2], c.x[i], c.m[i], grad, hess);
  }
}

struct Case {
  std::string name;
  ClvLikelihood model;
  std::vector<double> params;
  std::size_t rows;
};

std::vector<Case> cases() {
  std::size_t const many = 2 * static_cast<std::size_t>(kClvBatchRows) + 17;
  std::size_t const few = cie::testing::emulated_size<std::size_t>(3001, 1201);
  return {{"bgnbd", ClvLikelihood::kBgNbd, {0.243, 4.414, 0.793, 2.426}, many},
          {"mbgnbd", ClvLikelihood::kMbgNbd, {0.525, 6.183, 0.891, 1.614}, many},
          {"gamma-gamma", ClvLikelihood::kGammaGamma, {6.25, 3.74, 15.44}, many},
          {"pareto-nbd", ClvLikelihood::kParetoNbd, {0.553, 10.58, 0.606, 11.67}, few},
          {"bgbb", ClvLikelihood::kBgBb, {1.204, 0.750, 0.657, 2.783}, few}};
}

using ClvKernelBackends = cie::testing::BackendTest;

TEST_P(ClvKernelBackends, PassEqualsAPlainLoopForEveryModelWithTheSameBitsTwice) {
  for (Case const& test : cases()) {
    for (bool weighted : {true, false}) {
      SCOPED_TRACE(test.name + (weighted ? " weighted" : " unweighted"));
      Columns const c = make_columns(test.model, test.rows, 17 + test.rows);
      int const k = parameter_count(test.model);
      long double sum = 0.0L, scale = 0.0L;
      long double grad_sum[4] = {0.0L, 0.0L, 0.0L, 0.0L}, grad_scale[4] = {0.0L, 0.0L, 0.0L, 0.0L};
      for (std::size_t i = 0; i < test.rows; ++i) {
        double grad[4] = {0.0, 0.0, 0.0, 0.0};
        double const w = weighted ? c.w[i] : 1.0;
        double const ll = row_rule(test.model, test.params, c, i, grad);
        sum += w * ll;
        scale += std::abs(w * ll);
        for (int j = 0; j < k; ++j) {
          grad_sum[j] += w * grad[j];
          grad_scale[j] += std::abs(w * grad[j]);
        }
      }
      ClvPassStats const a =
          clv_log_likelihood_pass(context(), test.model, test.params, c.rows(weighted));
      ClvPassStats const b =
          clv_log_likelihood_pass(context(), test.model, test.params, c.rows(weighted));
      EXPECT_EQ(a.log_likelihood, b.log_likelihood);
      EXPECT_EQ(a.gradient, b.gradient);
      EXPECT_NEAR(a.log_likelihood, static_cast<double>(sum), 1e-12 * static_cast<double>(scale));
      for (int j = 0; j < k; ++j) {
        EXPECT_NEAR(a.gradient[j], static_cast<double>(grad_sum[j]),
                    1e-12 * static_cast<double>(grad_scale[j]))
            << j;
      }
      for (int j = k; j < 4; ++j) EXPECT_EQ(a.gradient[j], 0.0) << j;
      if (context().is_cuda()) {  // the CPU twin: the same terms summed in another order
        ClvPassStats const cpu = cpu_impl::clv_log_likelihood_pass(
            Context::cpu(2), test.model, test.params, c.rows(weighted), false);
        EXPECT_NEAR(a.log_likelihood, cpu.log_likelihood, 1e-13 * static_cast<double>(scale));
        for (int j = 0; j < k; ++j) {
          EXPECT_NEAR(a.gradient[j], cpu.gradient[j], 1e-13 * static_cast<double>(grad_scale[j]))
              << j;
        }
      }
    }
  }
}

TEST_P(ClvKernelBackends, PassOverNoRowsOrOneRowIsThatSum) {
  std::vector<double> const params = {0.243, 4.414, 0.793, 2.426};
  ClvPassStats const none = clv_log_likelihood_pass(context(), ClvLikelihood::kBgNbd, params, {});
  EXPECT_EQ(none.log_likelihood, 0.0);
  EXPECT_EQ(none.gradient, (std::array<double, 4>{0.0, 0.0, 0.0, 0.0}));
  std::vector<double> x = {3.0}, t_x = {20.5}, age = {38.0}, w = {7.0};
  ClvPassStats const one =
      clv_log_likelihood_pass(context(), ClvLikelihood::kBgNbd, params, {x, t_x, age, {}, w});
  double grad[4];
  double const ll =
      bgnbd_log_likelihood(params[0], params[1], params[2], params[3], 3.0, 20.5, 38.0, grad);
  EXPECT_NEAR(one.log_likelihood, 7.0 * ll, 1e-14 * std::abs(7.0 * ll));
  for (int j = 0; j < 4; ++j)
    EXPECT_NEAR(one.gradient[j], 7.0 * grad[j], 1e-14 * std::abs(grad[j]));
}

TEST_P(ClvKernelBackends, HessianPassEqualsAPlainLoopAndLeavesTheOtherSumsUnchanged) {
  for (Case const& test : cases()) {
    if (!has_analytic_hessian(test.model)) continue;
    for (bool weighted : {true, false}) {
      SCOPED_TRACE(test.name + (weighted ? " weighted" : " unweighted"));
      Columns const c = make_columns(test.model, test.rows, 29 + test.rows);
      long double sum[kClvHessianEntries] = {}, scale[kClvHessianEntries] = {};
      for (std::size_t i = 0; i < test.rows; ++i) {
        double hess[kClvHessianEntries] = {};
        row_hessian(test.model, test.params, c, i, hess);
        double const w = weighted ? c.w[i] : 1.0;
        for (int e = 0; e < kClvHessianEntries; ++e) {
          sum[e] += w * hess[e];
          scale[e] += std::abs(w * hess[e]);
        }
      }
      ClvPassStats const plain =
          clv_log_likelihood_pass(context(), test.model, test.params, c.rows(weighted));
      ClvPassStats const with =
          clv_log_likelihood_pass(context(), test.model, test.params, c.rows(weighted), true);
      EXPECT_EQ(with.log_likelihood, plain.log_likelihood);
      EXPECT_EQ(with.gradient, plain.gradient);
      EXPECT_EQ(plain.hessian, (std::array<double, kClvHessianEntries>{}));
      ClvPassStats const cpu = cpu_impl::clv_log_likelihood_pass(
          Context::cpu(2), test.model, test.params, c.rows(weighted), true);
      for (int e = 0; e < kClvHessianEntries; ++e) {
        EXPECT_NEAR(with.hessian[e], static_cast<double>(sum[e]),
                    1e-12 * static_cast<double>(scale[e]))
            << e;
        // The CUDA twin against the CPU twin: the same terms summed in another order.
        EXPECT_NEAR(with.hessian[e], cpu.hessian[e], 1e-13 * static_cast<double>(scale[e])) << e;
      }
    }
  }
}

/// The rows' value tables as the collapse builds them (ClvRows): the distinct values of `column`
/// ascending, and each row's index into them.
struct ValueTable {
  std::vector<std::uint32_t> code;
  std::vector<double> values;
};

ValueTable value_table(std::vector<double> const& column) {
  ValueTable table;
  table.values = column;
  std::sort(table.values.begin(), table.values.end());
  table.values.erase(std::unique(table.values.begin(), table.values.end()), table.values.end());
  for (double v : column) {
    table.code.push_back(static_cast<std::uint32_t>(
        std::lower_bound(table.values.begin(), table.values.end(), v) - table.values.begin()));
  }
  return table;
}

TEST_P(ClvKernelBackends, TabledLogarithmsGiveTheBitsOfThePerRowPass) {
  // ln(α + t_x) and ln(α + T) per distinct value, and ln m per row: the same bits as the pass
  // that computes them for each row, with many distinct values (continuous times) and few (times
  // rounded to whole units, runs of equal T and t_x, T = t_x and t_x = 0 included).
  for (Case const& test : cases()) {
    if (test.model == ClvLikelihood::kParetoNbd || test.model == ClvLikelihood::kBgBb) continue;
    for (bool few : {false, true}) {
      SCOPED_TRACE(test.name + (few ? " few distinct times" : " many distinct times"));
      Columns c = make_columns(test.model, test.rows, 41 + test.rows);
      if (few) {
        for (std::size_t i = 0; i < c.x.size(); ++i) {
          c.age[i] = std::floor(c.age[i] / 4.0);
          c.t_x[i] = c.x[i] > 0.0 ? std::floor(c.t_x[i] / 4.0) : 0.0;
          if (i % 5 == 0) c.t_x[i] = c.x[i] > 0.0 ? c.age[i] : 0.0;
        }
      }
      ValueTable const recency = value_table(c.t_x), age = value_table(c.age);
      EXPECT_EQ(few, recency.values.size() < 20);
      std::vector<double> log_value;
      for (double m : c.m) log_value.push_back(std::log(m));
      for (bool hessian : {false, true}) {
        ClvRows plain = c.rows(true);
        ClvRows tabled = plain;
        tabled.recency_code = recency.code;
        tabled.recency_values = recency.values;
        tabled.age_code = age.code;
        tabled.age_values = age.values;
        tabled.log_value = log_value;
        ClvPassStats const want =
            clv_log_likelihood_pass(context(), test.model, test.params, plain, hessian);
        ClvPassStats const got =
            clv_log_likelihood_pass(context(), test.model, test.params, tabled, hessian);
        EXPECT_EQ(std::bit_cast<std::uint64_t>(got.log_likelihood),
                  std::bit_cast<std::uint64_t>(want.log_likelihood));
        for (std::size_t j = 0; j < 4; ++j) {
          EXPECT_EQ(std::bit_cast<std::uint64_t>(got.gradient[j]),
                    std::bit_cast<std::uint64_t>(want.gradient[j]))
              << j;
        }
        for (std::size_t e = 0; e < kClvHessianEntries; ++e) {
          EXPECT_EQ(std::bit_cast<std::uint64_t>(got.hessian[e]),
                    std::bit_cast<std::uint64_t>(want.hessian[e]))
              << e;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ClvKernelBackends,
                         ::testing::Values(Backend::kCpu, Backend::kCuda),
                         cie::testing::backend_name);

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::kernels

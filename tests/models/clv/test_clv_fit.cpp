// BG/NBD and Gamma-Gamma fits: recovery of known parameters from simulated customers within
// their standard errors, collapsed rows equal to the raw ones, thread-independent results,
// exclusion of non-positive spend, refusals of data that cannot identify a model, and the model
// document's round trip.
#include <Eigen/Dense>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "kernels/clv.hpp"
#include "kernels/clv_rules.hpp"
#include "models/clv/clv_fit.hpp"
#include "models/clv/clv_model.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

/// Customers drawn from BG/NBD (r, α, a, b) observed for T ~ U(20, 52) weeks, with repeat
/// values from Gamma-Gamma (p, q, γ): ν ~ Gamma(q, rate γ), each value ~ Gamma(p, rate ν).
ClvSummary simulate(std::size_t customers, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::gamma_distribution<double> rate_shape(0.5, 1.0 / 5.0);  // λ ~ Gamma(r = 0.5, α = 5)
  std::gamma_distribution<double> beta_a(0.8, 1.0), beta_b(2.5, 1.0);
  std::gamma_distribution<double> nu_shape(3.5, 1.0 / 20.0);  // ν ~ Gamma(q = 3.5, γ = 20)
  ClvSummary s;
  for (std::size_t i = 0; i < customers; ++i) {
    double const age = 20.0 + 32.0 * uniform(rng);
    double const lambda = rate_shape(rng);
    double const ga = beta_a(rng), gb = beta_b(rng);
    double const dropout = ga / (ga + gb);
    std::exponential_distribution<double> gap(lambda);
    double t = 0.0, x = 0.0, t_x = 0.0;
    while (true) {
      t += gap(rng);
      if (t > age) break;
      x += 1.0;
      t_x = t;
      if (uniform(rng) < dropout) break;
    }
    double const nu = nu_shape(rng);
    std::gamma_distribution<double> value(4.0, 1.0 / nu);  // p = 4
    double total = 0.0;
    for (int k = 0; k < static_cast<int>(x); ++k) total += value(rng);
    s.frequency.push_back(x);
    s.recency.push_back(t_x);
    s.age.push_back(std::round(age));  // whole weeks, so rows repeat and collapse
    s.value.push_back(x > 0 ? total / x : 0.0);
  }
  for (std::size_t i = 0; i < customers; ++i) s.recency[i] = std::min(s.recency[i], s.age[i]);
  return s;
}

TEST(ClvFit, BgNbdRecoversSimulatedParametersWithinTheirStandardErrors) {
  Context const ctx = Context::cpu(2);
  ClvSummary const s = simulate(20000, 5);
  ASSERT_FALSE(find_invalid_row(s).has_value());
  FittedDistribution const fit = fit_purchases(ctx, {}, "bgnbd", s);
  ASSERT_TRUE(fit.converged) << fit.gradient_norm;
  EXPECT_TRUE(fit.warnings.empty());
  EXPECT_LE(fit.gradient_norm, 1e-9);
  double const truth[4] = {0.5, 5.0, 0.8, 2.5};
  for (int j = 0; j < 4; ++j) {
    ASSERT_TRUE(std::isfinite(fit.std_errors[j]) && fit.std_errors[j] > 0.0);
    EXPECT_LT(std::abs(fit.values[j] - truth[j]), 4.0 * fit.std_errors[j])
        << fit.names[j] << " = " << fit.values[j] << " se " << fit.std_errors[j];
  }
  EXPECT_LT(fit.rows, s.size());  // equal (x, t_x, T) collapsed
  EXPECT_EQ(fit.customers, 20000.0);
}

TEST(ClvFit, GammaGammaRecoversParametersAndExcludesNonPositiveValues) {
  Context const ctx = Context::cpu(2);
  ClvSummary s = simulate(20000, 9);
  SpendFit const clean = fit_gamma_gamma(ctx, {}, s);
  ASSERT_TRUE(clean.fit.converged);
  double const truth[3] = {4.0, 3.5, 20.0};
  for (int j = 0; j < 3; ++j) {
    EXPECT_LT(std::abs(clean.fit.values[j] - truth[j]), 4.0 * clean.fit.std_errors[j])
        << clean.fit.names[j] << " = " << clean.fit.values[j];
  }
  EXPECT_LT(std::abs(clean.frequency_value_correlation), 0.1);
  double no_repeat = 0.0;
  for (double x : s.frequency) no_repeat += x == 0.0;
  EXPECT_EQ(clean.no_repeat, no_repeat);
  EXPECT_EQ(clean.excluded_nonpositive, 0.0);

  // Customers with a mean value <= 0 (returns netted in) are left out and counted.
  ClvSummary dirty = s;
  int changed = 0;
  for (std::size_t i = 0; i < dirty.size() && changed < 30; ++i) {
    if (dirty.frequency[i] > 0) dirty.value[i] = changed++ % 2 == 0 ? -12.5 : 0.0;
  }
  ClvSummary kept;
  for (std::size_t i = 0; i < dirty.size(); ++i) {
    if (dirty.value[i] <= 0.0 && dirty.frequency[i] > 0) continue;
    kept.frequency.push_back(dirty.frequency[i]);
    kept.recency.push_back(dirty.recency[i]);
    kept.age.push_back(dirty.age[i]);
    kept.value.push_back(dirty.value[i]);
  }
  SpendFit const with_bad = fit_gamma_gamma(ctx, {}, dirty);
  SpendFit const without = fit_gamma_gamma(ctx, {}, kept);
  EXPECT_EQ(with_bad.excluded_nonpositive, 30.0);
  EXPECT_EQ(with_bad.fit.values, without.fit.values);
  EXPECT_EQ(with_bad.fit.customers, without.fit.customers);
}

TEST(ClvFit, WeightedRowsEqualRepeatedCustomersAndThreadsDoNotChangeBits) {
  ClvSummary const s = simulate(3000, 21);
  ClvSummary const collapsed = collapse_purchase_rows(s);
  ASSERT_LT(collapsed.size(), s.size());
  Context const one = Context::cpu(1);
  Context const three = Context::cpu(3);
  FittedDistribution const raw = fit_purchases(one, {}, "bgnbd", s);
  FittedDistribution const weighted = fit_purchases(three, {}, "bgnbd", collapsed);
  FittedDistribution const raw_three = fit_purchases(three, {}, "bgnbd", s);
  EXPECT_EQ(raw.values, raw_three.values);  // collapsing inside makes both the same rows
  EXPECT_EQ(raw.values, weighted.values);
  EXPECT_EQ(raw.log_likelihood, weighted.log_likelihood);
}

TEST(ClvFit, PenalizerShrinksTheParameters) {
  Context const ctx = Context::cpu(2);
  ClvSummary const s = simulate(3000, 3);
  ClvFitParams penalized;
  penalized.penalizer = 0.1;
  FittedDistribution const plain = fit_purchases(ctx, {}, "bgnbd", s);
  FittedDistribution const shrunk = fit_purchases(ctx, penalized, "bgnbd", s);
  ASSERT_TRUE(shrunk.converged);
  EXPECT_LT(shrunk.log_likelihood, plain.log_likelihood);
  EXPECT_LT(shrunk["b"], plain["b"]);
  cie::testing::expect_error([&] { fit_purchases(ctx, {.penalizer = -1.0}, "bgnbd", s); },
                             ExitCode::kUsage, "penalizer must be >= 0");
}

TEST(ClvFit, RefusesDataThatCannotIdentifyTheModel) {
  Context const ctx = Context::cpu(2);
  ClvSummary one_timers;
  one_timers.frequency = {0, 0, 0};
  one_timers.recency = {0, 0, 0};
  one_timers.age = {10, 20, 30};
  one_timers.value = {0, 0, 0};
  cie::testing::expect_error([&] { fit_purchases(ctx, {}, "bgnbd", one_timers); },
                             ExitCode::kInputData, "no customer made a repeat purchase");
  cie::testing::expect_error([&] { fit_gamma_gamma(ctx, {}, one_timers); }, ExitCode::kInputData,
                             "fewer than 2 customers");
  ClvSummary bad = one_timers;
  bad.recency[1] = 25.0;
  std::optional<InvalidRow> const invalid = find_invalid_row(bad);
  ASSERT_TRUE(invalid.has_value());
  EXPECT_EQ(invalid->row, 1u);
  bad = one_timers;
  bad.frequency[2] = 1.5;
  EXPECT_EQ(find_invalid_row(bad)->row, 2u);
}

TEST(ClvFit, ABoundaryFitIsReported) {
  // Nobody ever drops out: purchases at a steady rate up to T, so a → 0 relative to b and the
  // BG/NBD dropout probability goes to 0: a boundary, reported as a warning.
  Context const ctx = Context::cpu(2);
  ClvSummary s;
  for (int i = 0; i < 400; ++i) {
    double const age = 20.0 + i % 20;
    s.frequency.push_back(std::floor(age / (2.0 + i % 3)));
    s.recency.push_back(age - 0.5);
    s.age.push_back(age);
    s.value.push_back(10.0);
  }
  FittedDistribution const fit = fit_purchases(ctx, {}, "bgnbd", s);
  EXPECT_FALSE(fit.warnings.empty());
}

/// The CDNOW summary with its mean repeat values (x, t_x, T, zbar).
ClvSummary read_cdnow_summary() {
  std::ifstream in(CIE_REAL_DATA_DIR "/cdnow/cdnow_customers_summary_with_transactions.csv");
  std::string line;
  std::getline(in, line);  // ID,x,t_x,T,zbar
  ClvSummary s;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string field;
    std::vector<double> v;
    while (std::getline(fields, field, ',')) v.push_back(std::stod(field));
    s.frequency.push_back(v.at(1));
    s.recency.push_back(v.at(2));
    s.age.push_back(v.at(3));
    s.value.push_back(v.at(4));
  }
  return s;
}

/// Standard errors e^θ·sqrt(diag(I⁻¹)) from an information matrix in θ.
std::vector<double> standard_errors(Eigen::MatrixXd const& information,
                                    std::vector<double> const& values) {
  Eigen::MatrixXd const covariance = information.inverse();
  std::vector<double> se;
  for (std::size_t j = 0; j < values.size(); ++j) {
    se.push_back(values[j] *
                 std::sqrt(covariance(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(j))));
  }
  return se;
}

/// The pass's analytic Hessian at a fit against central differences (step 1e-4 in θ) of its
/// gradient, entry by entry to 1e-6 of the entry's scale, and the fit's standard errors against
/// those of the differenced information.
void expect_information_equals_finite_differences(kernels::ClvLikelihood model,
                                                  ClvSummary const& rows,
                                                  FittedDistribution const& fit) {
  Context const ctx = Context::cpu(2);
  int const k = kernels::parameter_count(model);
  kernels::ClvPassStats const at =
      kernels::clv_log_likelihood_pass(ctx, model, fit.values, rows.rows(), true);
  Eigen::MatrixXd analytic(k, k), differenced(k, k);
  for (int j = 0; j < k; ++j) {
    std::vector<double> up = fit.values, down = fit.values;
    up[static_cast<std::size_t>(j)] *= std::exp(1e-4);
    down[static_cast<std::size_t>(j)] *= std::exp(-1e-4);
    kernels::ClvPassStats const plus =
        kernels::clv_log_likelihood_pass(ctx, model, up, rows.rows());
    kernels::ClvPassStats const minus =
        kernels::clv_log_likelihood_pass(ctx, model, down, rows.rows());
    for (int i = 0; i < k; ++i) {
      analytic(i, j) = -at.hessian[static_cast<std::size_t>(kernels::clv_hessian_index(i, j))];
      differenced(i, j) = -(plus.gradient[static_cast<std::size_t>(i)] -
                            minus.gradient[static_cast<std::size_t>(i)]) /
                          2e-4;
    }
  }
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < k; ++j) {
      double const scale = std::sqrt(std::abs(analytic(i, i) * analytic(j, j)));
      EXPECT_NEAR(analytic(i, j), differenced(i, j), 1e-6 * scale) << i << "," << j;
    }
  }
  std::vector<double> const se =
      standard_errors(0.5 * (differenced + differenced.transpose()), fit.values);
  for (int j = 0; j < k; ++j) {
    EXPECT_NEAR(fit.std_errors[static_cast<std::size_t>(j)], se[static_cast<std::size_t>(j)],
                1e-6 * se[static_cast<std::size_t>(j)])
        << fit.names[static_cast<std::size_t>(j)];
  }
}

TEST(ClvFit, AnalyticInformationEqualsFiniteDifferencesOnCdnow) {
  Context const ctx = Context::cpu(2);
  ClvSummary const s = read_cdnow_summary();
  ASSERT_EQ(s.size(), 2357u);
  for (std::string const model : {"bgnbd", "mbgnbd"}) {
    SCOPED_TRACE(model);
    FittedDistribution const fit = fit_purchases(ctx, {}, model, s);
    ASSERT_TRUE(fit.converged);
    expect_information_equals_finite_differences(purchase_likelihood(model),
                                                 collapse_purchase_rows(s), fit);
  }
  SpendFit const spend = fit_gamma_gamma(ctx, {}, s);
  ASSERT_TRUE(spend.fit.converged);
  EXPECT_NEAR(spend.fit["p"], 6.25, 0.01);  // Fader & Hardie's 6.25, 3.74, 15.44
  double excluded = 0.0;
  expect_information_equals_finite_differences(kernels::ClvLikelihood::kGammaGamma,
                                               collapse_spend_rows(s, excluded), spend.fit);
}

TEST(ClvFit, LargeFitsStartFromASampleAndStopWithinAFractionOfAStandardErrorOfTheMaximum) {
  // Continuous recency: more distinct rows than the sample, so the fit runs L-BFGS on a sample
  // and Newton on every row.
  ClvSummary const s = simulate(60000, 11);
  ClvSummary const rows = collapse_purchase_rows(s);
  ASSERT_GT(rows.size(), 20000u);
  Context const ctx = Context::cpu(2);
  FittedDistribution const fit = fit_purchases(ctx, {}, "bgnbd", s);
  ASSERT_TRUE(fit.converged);
  kernels::ClvPassStats const at = kernels::clv_log_likelihood_pass(
      ctx, kernels::ClvLikelihood::kBgNbd, fit.values, rows.rows());
  EXPECT_EQ(at.log_likelihood, fit.log_likelihood);
  expect_information_equals_finite_differences(kernels::ClvLikelihood::kBgNbd, rows, fit);
  // Newton stops within 0.05 standard errors of the maximum (by its decrement): Newton steps in
  // ln θ from the fit reach ‖∇f‖∞ <= 1e-9; the fit lies within 0.05 standard errors of that point
  // in each parameter, and its log-likelihood at most 0.05² / 2 below (plus rounding).
  std::vector<double> best = fit.values;
  kernels::ClvPassStats stats;
  for (int step = 0;; ++step) {
    stats = kernels::clv_log_likelihood_pass(ctx, kernels::ClvLikelihood::kBgNbd, best, rows.rows(),
                                             true);
    Eigen::Matrix4d information;
    Eigen::Vector4d gradient;
    for (int i = 0; i < 4; ++i) {
      gradient(i) = stats.gradient[static_cast<std::size_t>(i)];
      for (int j = 0; j < 4; ++j) {
        information(i, j) =
            -stats.hessian[static_cast<std::size_t>(kernels::clv_hessian_index(i, j))];
      }
    }
    Eigen::Vector4d const move = information.llt().solve(gradient);
    if (step == 0) EXPECT_LE(gradient.dot(move), 0.05 * 0.05);  // the decrement the fit saw
    if (step == 2) break;
    for (int i = 0; i < 4; ++i) best[static_cast<std::size_t>(i)] *= std::exp(move(i));
  }
  for (int j = 0; j < 4; ++j) EXPECT_LE(std::abs(stats.gradient[j]) / 60000.0, 1e-9) << j;
  for (std::size_t j = 0; j < 4; ++j) {
    EXPECT_LE(std::abs(fit.values[j] - best[j]), 0.05 * fit.std_errors[j]) << j;
  }
  EXPECT_GE(stats.log_likelihood, fit.log_likelihood - 1e-6);
  EXPECT_LE(stats.log_likelihood - fit.log_likelihood, 0.05 * 0.05 / 2.0 + 1e-6);
}

TEST(ClvModel, DocumentRoundTripsAndPredictsTheSame) {
  Context const ctx = Context::cpu(2);
  ClvSummary const s = simulate(2000, 4);
  ClvModel model;
  model.transactions = fit_purchases(ctx, {}, "bgnbd", s);
  model.spend = fit_gamma_gamma(ctx, {}, s);
  model.calibration_end = "2025-06-30";
  std::string const text = model_file_text(model.to_document(fingerprint_summary(s)));
  ClvModel const back =
      ClvModel::from_document(parse_model_file(text, "m.json", kClvModelKind), "m.json");
  EXPECT_EQ(back.transactions.values, model.transactions.values);
  EXPECT_EQ(back.spend->fit.values, model.spend->fit.values);
  EXPECT_EQ(back.calibration_end, "2025-06-30");
  ClvPredictions const a = predict_clv(ctx, model, {}, s);
  ClvPredictions const b = predict_clv(ctx, back, {}, s);
  EXPECT_EQ(a.clv, b.clv);
  for (std::size_t i = 0; i < s.size(); ++i) {
    ASSERT_TRUE(std::isfinite(a.clv[i]) && a.clv[i] >= 0.0) << i;
    ASSERT_GE(a.p_alive[i], 0.0);
    ASSERT_LE(a.p_alive[i], 1.0);
  }
  cie::testing::expect_error([&] { predict_clv(ctx, model, {.horizon = 0.0}, s); },
                             ExitCode::kUsage, "horizon must be > 0");
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

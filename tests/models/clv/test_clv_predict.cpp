// predict_clv computes only the outputs asked for (ClvPredictParams::outputs), each with the bits
// of the full prediction, for every purchase model, with and without a spend model; BG/NBD's
// P(alive) and expected purchases with the bits of the per-customer rules, the BG/NBD family's
// CLV equal to its definition from those rules; and
// fingerprint_summary, which hashes the summary in chunks, equals fingerprint_matrix of the whole
// 4n-float matrix.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/clv.hpp"
#include "kernels/clv_mbgnbd_rules.hpp"
#include "kernels/clv_rules.hpp"
#include "models/clv/clv_model.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

/// Customers with whole times (valid for BG/BB too), ties, T = 0, x = 0 and values <= 0.
ClvSummary random_summary(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> age_of(0, 40), count(0, 8);
  std::uniform_real_distribution<double> value(-5.0, 60.0);
  ClvSummary s;
  for (std::size_t i = 0; i < n; ++i) {
    double const age = age_of(rng);
    double t_x = age > 0 ? std::uniform_int_distribution<int>(0, static_cast<int>(age))(rng) : 0;
    double const x = t_x > 0 ? std::min<double>(count(rng) + 1, t_x) : 0.0;
    if (x == 0.0) t_x = 0.0;
    s.frequency.push_back(x);
    s.recency.push_back(t_x);
    s.age.push_back(age);
    s.value.push_back(x > 0 ? value(rng) : 0.0);
  }
  return s;
}

void expect_same_bits(std::vector<double> const& got, std::vector<double> const& full,
                      std::string const& what) {
  ASSERT_EQ(got.size(), full.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(std::bit_cast<std::uint64_t>(got[i]), std::bit_cast<std::uint64_t>(full[i]))
        << what << " row " << i << ": " << got[i] << " vs " << full[i];
  }
}

TEST(ClvPredict, EachOutputAloneEqualsTheFullPredictionBitForBit) {
  struct Case {
    char const* model;
    std::vector<double> params;
  };
  Case const cases[] = {{"bgnbd", {0.24, 4.4, 0.79, 2.4}},
                        {"mbgnbd", {0.53, 6.2, 0.89, 1.6}},
                        {"pareto-nbd", {0.55, 10.6, 0.61, 11.7}},
                        {"bgbb", {1.2, 0.75, 0.66, 2.8}}};
  ClvSummary const s = random_summary(3000, 5);
  Context const ctx = Context::cpu(2);
  for (Case const& c : cases) {
    for (bool const with_spend : {false, true}) {
      ClvModel model;
      model.transactions.model = c.model;
      model.transactions.values = c.params;
      if (with_spend) {
        model.spend.emplace();
        model.spend->fit.values = {6.25, 3.74, 15.44};
      }
      ClvPredictParams full_params;
      full_params.horizon = 10.0;
      full_params.max_purchases = 2;
      ClvPredictions const full = predict_clv(ctx, model, full_params, s);
      for (int mask = 0; mask < 16; ++mask) {
        std::string const what = std::string(c.model) + (with_spend ? " + spend" : "") +
                                 " outputs " + std::to_string(mask);
        ClvPredictParams params = full_params;
        params.outputs = {(mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0, (mask & 8) != 0};
        params.max_purchases = mask == 0 ? 2 : -1;
        ClvPredictions const got = predict_clv(ctx, model, params, s);
        std::vector<double> const none;
        expect_same_bits(got.p_alive, (mask & 1) != 0 ? full.p_alive : none, what);
        expect_same_bits(got.expected_purchases, (mask & 2) != 0 ? full.expected_purchases : none,
                         what);
        expect_same_bits(got.expected_value, (mask & 4) != 0 ? full.expected_value : none, what);
        expect_same_bits(got.clv, (mask & 8) != 0 ? full.clv : none, what);
        expect_same_bits(got.p_purchases, mask == 0 ? full.p_purchases : none, what);
      }
    }
  }
}

TEST(ClvPredict, BgNbdPAliveAndExpectedPurchasesEqualTheRowRulesBitForBit) {
  // The kernel's tables per x (a/(b+x−1) and its log) against the per-customer rules, which
  // compute them for each row; x up to 300, x = 0 and T = 0 included.
  ClvSummary s = random_summary(2000, 11);
  for (std::size_t i = 0; i < s.size(); i += 37) {
    s.frequency[i] = 100.0 + static_cast<double>(i % 201);
    s.age[i] = 60.0;
    s.recency[i] = 30.0 + static_cast<double>(i % 30);
  }
  double const p[4] = {0.24, 4.4, 0.79, 2.4}, spend[3] = {6.0, 4.0, 15.0};
  std::vector<double> alive(s.size()), expected(s.size()), clv(s.size());
  kernels::ClvPredictionSettings settings;
  settings.horizon = 10.0;
  // With the CLV asked for too, the horizon's series runs beside the 12 months' (vectorized).
  kernels::clv_predict(Context::cpu(2), kernels::ClvLikelihood::kBgNbd, p, spend, settings, s,
                       {alive, expected, {}, clv, {}});
  for (std::size_t i = 0; i < s.size(); ++i) {
    double const x = s.frequency[i], t_x = s.recency[i], age = s.age[i];
    ASSERT_EQ(
        std::bit_cast<std::uint64_t>(alive[i]),
        std::bit_cast<std::uint64_t>(kernels::bgnbd_p_alive(p[0], p[1], p[2], p[3], x, t_x, age)))
        << "row " << i;
    ASSERT_EQ(std::bit_cast<std::uint64_t>(expected[i]),
              std::bit_cast<std::uint64_t>(
                  kernels::bgnbd_expected_purchases(p[0], p[1], p[2], p[3], x, t_x, age, 10.0)))
        << "row " << i;
  }
}

TEST(ClvPredict, BgNbdFamilyClvEqualsTheDiscountedMonthlyExpectedPurchasesOfTheRowRules) {
  // The kernel sums the discounted monthly brackets once per (x, T) and scales the sum per
  // customer; the definition: Σ_m value (E(t_m) − E(t_{m−1})) / (1 + d)^m from the row rules.
  ClvSummary const s = random_summary(3000, 5);
  double const p[4] = {0.24, 4.4, 0.79, 2.4}, spend[3] = {6.0, 4.0, 15.0};
  kernels::ClvPredictionSettings settings;
  settings.clv_months = 7;
  settings.monthly_discount = 0.02;
  settings.margin = 0.3;
  settings.units_per_month = 2.5;
  for (bool const modified : {false, true}) {
    std::vector<double> clv(s.size()), value(s.size());
    kernels::clv_predict(
        Context::cpu(2),
        modified ? kernels::ClvLikelihood::kMbgNbd : kernels::ClvLikelihood::kBgNbd, p, spend,
        settings, s, {{}, {}, value, clv, {}});
    for (std::size_t i = 0; i < s.size(); ++i) {
      double const x = s.frequency[i], t_x = s.recency[i], age = s.age[i], m = s.value[i];
      auto const expected = [&](double t) {
        return modified ? kernels::mbgnbd_expected_purchases(p[0], p[1], p[2], p[3], x, t_x, age, t)
                        : kernels::bgnbd_expected_purchases(p[0], p[1], p[2], p[3], x, t_x, age, t);
      };
      double const v =
          kernels::gamma_gamma_expected_spend(spend[0], spend[1], spend[2], m > 0.0 ? x : 0.0, m);
      ASSERT_EQ(std::bit_cast<std::uint64_t>(value[i]), std::bit_cast<std::uint64_t>(v));
      double want = 0.0;
      for (int month = 1; month <= settings.clv_months; ++month) {
        want += v *
                (expected(month * settings.units_per_month) -
                 expected((month - 1) * settings.units_per_month)) /
                std::pow(1.0 + settings.monthly_discount, month);
      }
      want *= settings.margin;
      ASSERT_NEAR(clv[i], want, 1e-13 * std::abs(want)) << "modified " << modified << " row " << i;
    }
  }
}

TEST(ClvPredict, StreamedFingerprintEqualsTheWholeMatrixHash) {
  for (std::size_t const n : {0, 1, 4095, 4096, 4097, 10000}) {
    for (bool const with_value : {false, true}) {
      ClvSummary s = random_summary(n, 9 + n);
      if (!with_value) s.value.clear();
      std::vector<float> matrix;
      for (auto const* column : {&s.frequency, &s.recency, &s.age, &s.value}) {
        for (std::size_t i = 0; i < n; ++i) {
          matrix.push_back(column->size() == n ? static_cast<float>((*column)[i]) : 0.0f);
        }
      }
      EXPECT_EQ(fingerprint_summary(s), fingerprint_matrix(matrix, n))
          << n << " rows, value " << with_value;
    }
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

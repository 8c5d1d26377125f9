// The BG/NBD family's bracket series (kernels/clv_rules.hpp, bgnbd_bracket_series) and the series
// it sums after Euler's transformation (kernels/special_functions.hpp, log_hyp2f1_small_b):
// closed forms, Euler's identity against the direct series, the side-by-side sums' bits, and the
// expected purchases against the direct formula summed in long double.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/clv_mbgnbd_rules.hpp"
#include "kernels/clv_rules.hpp"
#include "kernels/special_functions.hpp"

namespace cie::kernels {
namespace CIE_TEST_FILE_ID {

/// ln ₂F₁(a, b; c; z) by the direct series (a, b, c > 0: positive terms) in long double (64-bit
/// significand: ~1e-19 per operation).
double direct_log_hyp2f1(double a, double b, double c, double z) {
  using L = long double;
  L sum = 1, term = 1;
  for (int n = 0; n < 1000000; ++n) {
    L const ratio = (L(a) + n) * (L(b) + n) / ((L(c) + n) * (n + 1)) * L(z);
    term *= ratio;
    sum += term;
    if (ratio < 1 && term < 1e-22L * sum) break;
  }
  return static_cast<double>(std::log(sum));
}

TEST(ClvBracketSeries, SmallBSeriesMatchesClosedFormsAndEulersTransformation) {
  // ₂F₁(a, b; b; z) = (1 − z)^{−a} (here 0 < b < 1, a <= b); ₂F₁(0, b; c; z) = 1.
  for (double z : {0.0, 1e-9, 0.1, 0.5, 0.9, 0.99}) {
    for (double a : {0.0, 0.2, 0.7}) {
      double const expected = -a * std::log1p(-z);
      EXPECT_NEAR(log_hyp2f1_small_b(a, 0.7, 0.7, z), expected, 1e-14 * (1.0 + expected))
          << a << " " << z;
    }
    EXPECT_EQ(log_hyp2f1_small_b(0.0, -0.4, 3.0, z), 0.0);
  }
  // ln ₂F₁(r+x, b'; c; z) = (c − r − x − b') ln(1 − z) + ln ₂F₁(c − r − x, a − 1; c; z) with the
  // direct series on the left (positive terms), at BG/NBD's b' = b + x, c = a + b + x − 1 with
  // c >= r + x; where 1 − tail < 1/4 (small a, large b) the series declines with NaN.
  double worst = 0.0;
  int declined = 0;
  for (double r : {0.05, 0.7, 3.0}) {
    for (double a : {0.05, 0.32, 0.99, 1.0, 1.4, 1.95}) {
      for (double b : {0.5, 2.4, 7.2, 120.0}) {
        for (double x : {0.0, 1.0, 7.0, 60.0, 200.0}) {
          double const c = a + b + x - 1.0, second = b + x;
          if (c - (r + x) < 0.0) continue;
          for (double z : {1e-6, 0.05, 0.3, 0.8, 0.94, 0.99}) {
            double const small_b = log_hyp2f1_small_b(c - (r + x), a - 1.0, c, z);
            if (std::isnan(small_b)) {
              ++declined;
              EXPECT_LT(a, 1.0);
              continue;
            }
            double const direct = direct_log_hyp2f1(r + x, second, c, z);
            double const euler = (a - 1.0 - (r + x)) * std::log1p(-z) + small_b;
            double const error = std::abs(euler - direct) / (1.0 + std::abs(direct));
            worst = std::max(worst, error);
            EXPECT_LT(error, 2e-14) << r << " " << a << " " << b << " " << x << " " << z;
          }
        }
      }
    }
  }
  RecordProperty("worst_relative_error", (::testing::Message() << worst).GetString());
  EXPECT_GT(declined, 0);
  EXPECT_TRUE(std::isnan(log_hyp2f1_small_b(120.0, -0.95, 120.05, 0.99)));  // 1 − tail ≈ 4e-3
  // Out of the domain: NaN.
  std::vector<std::array<double, 4>> const outside = {{1.0, 1.0, 2.0, 0.5},  {1.0, -1.0, 2.0, 0.5},
                                                      {-0.1, 0.5, 2.0, 0.5}, {3.0, 0.5, 2.0, 0.5},
                                                      {1.0, 0.5, 2.0, 1.0},  {1.0, 0.5, 2.0, -0.1}};
  for (auto const& args : outside) {
    EXPECT_TRUE(std::isnan(log_hyp2f1_small_b(args[0], args[1], args[2], args[3])))
        << args[0] << " " << args[1] << " " << args[2] << " " << args[3];
  }
}

TEST(ClvBracketSeries, SmallBSideBySideGivesTheBitsOfEachSeries) {
  std::vector<double> const z = {0.5, 0.0, 0.99, 1.0, -0.1, NAN, 0.9, 1e-9, 0.3, 0.999, 1e-300};
  int const count = static_cast<int>(z.size());
  for (double const a : {0.0, 0.4, 6.8, 900.0}) {
    for (double const b : {-0.7, 0.0, 0.3, 1.0}) {
      for (double const c : {0.9, 1000.0, -1.0}) {
        std::vector<double> scratch(2 * z.size()), out(z.size());
        log_hyp2f1_small_b_many(a, b, c, z.data(), count, scratch.data(), out.data());
        for (std::size_t j = 0; j < z.size(); ++j) {
          double const one = log_hyp2f1_small_b(a, b, c, z[j]);
          EXPECT_TRUE(std::bit_cast<std::uint64_t>(out[j]) == std::bit_cast<std::uint64_t>(one))
              << a << " " << b << " " << c << " " << z[j] << ": " << out[j] << " vs " << one;
        }
      }
    }
  }
}

/// BG/NBD's (modified: MBG/NBD's) expected purchases by the direct formula, ₂F₁(r+x, b'; c; z)
/// summed in long double (64-bit significand: ~1e-19 per operation).
double direct_expected_purchases(bool modified, double r, double alpha, double a, double b,
                                 double x, double t_x, double age, double t) {
  using L = long double;
  L const c = modified ? L(a) + b + x : L(a) + b + x - 1, first = L(r) + x;
  L const second = modified ? L(b) + x + 1 : L(b) + x;
  L const z = L(t) / (L(alpha) + age + t);
  L sum = 1, term = 1;
  for (int n = 0; n < 1000000; ++n) {
    L const ratio = (first + n) * (second + n) / ((c + n) * (n + 1)) * z;
    term *= ratio;
    sum += term;
    if (ratio < 1 && term < 1e-22L * sum) break;
  }
  L const bracket =
      -std::expm1(std::log(sum) + first * std::log((L(alpha) + age) / (L(alpha) + age + t)));
  L const odds = L(a) / (modified ? L(b) + x : L(b) + x - 1);
  L const dead = odds * std::exp(first * std::log((L(alpha) + age) / (L(alpha) + t_x)));
  return static_cast<double>(modified ? c / (a - 1) * bracket / (1 + dead)
                                      : c / (a - 1) * bracket / (1 + (x > 0 ? dead : 0)));
}

TEST(ClvBracketSeries, ExpectedPurchasesMatchTheDirectFormulaInLongDouble) {
  // a < 2 with c >= r + x: Euler's series (the last parameters: declined where it would cancel);
  // a = 2.5 or a small b: the direct series.
  struct Params {
    double r, alpha, a, b;
  };
  double worst = 0.0, worst_direct = 0.0;
  for (Params const p : {Params{0.71, 3.43, 0.3247, 7.176}, Params{0.243, 4.414, 0.793, 2.426},
                         Params{0.05, 1.0, 1.6, 0.5}, Params{2.0, 20.0, 2.5, 4.0},
                         Params{0.7, 3.4, 0.3, 0.2}, Params{0.05, 1.0, 0.05, 120.0}}) {
    for (bool modified : {false, true}) {
      for (double x : {0.0, 1.0, 4.0, 30.0, 113.0, 200.0}) {
        for (double age : {0.5, 10.0, 52.0, 104.0}) {
          double const t_x = x > 0.0 ? 0.4 * age : 0.0;
          for (double t : {0.1, 1.0, 4.345, 52.0, 52.14, 104.0}) {
            double const c = modified ? p.a + p.b + x : p.a + p.b + x - 1.0;
            double const rule =
                modified ? mbgnbd_expected_purchases(p.r, p.alpha, p.a, p.b, x, t_x, age, t)
                         : bgnbd_expected_purchases(p.r, p.alpha, p.a, p.b, x, t_x, age, t);
            if (!(c > 0.0)) {
              EXPECT_TRUE(std::isnan(rule));
              continue;
            }
            double const reference =
                direct_expected_purchases(modified, p.r, p.alpha, p.a, p.b, x, t_x, age, t);
            double const error = std::abs(rule - reference) / std::abs(reference);
            // The bracket is a difference ~c / (r + x) times smaller than its terms (for small
            // z); the direct series' ln(1 + s) also loses ~1e-16 / s for small z; the denominator's
            // e^{(r+x) ln(...)} ~1e-16 (r+x) |ln(...)| (up to ~1e-14 at x = 200).
            bool const euler =
                bgnbd_bracket_series(p.r, p.a, x, modified ? p.b + x + 1.0 : p.b + x, c).euler;
            double const scaled = error / (1.0 + c / (p.r + x));
            (euler ? worst : worst_direct) = std::max(euler ? worst : worst_direct, scaled);
            EXPECT_LT(scaled, euler ? 3e-14 : 1e-12)
                << p.r << " " << p.a << " " << p.b << " " << modified << " " << x << " " << age
                << " " << t << ": " << rule << " vs " << reference;
          }
        }
      }
    }
  }
  RecordProperty("worst_scaled_error_direct", (::testing::Message() << worst_direct).GetString());
  RecordProperty("worst_scaled_error", (::testing::Message() << worst).GetString());
  // Which series: Euler's where 0 < a < 2 and c >= r + x, else the direct one.
  EXPECT_TRUE(bgnbd_bracket_series(0.71, 0.32, 5.0, 12.2, 11.5).euler);
  EXPECT_FALSE(bgnbd_bracket_series(0.71, 2.5, 5.0, 12.2, 13.7).euler);
  EXPECT_FALSE(bgnbd_bracket_series(0.7, 0.3, 0.0, 0.2, -0.5).euler);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::kernels

// Evaluation of predicted uplift on customers with a known treatment and response: the Qini and
// uplift curves, the Qini coefficient and the AUUC, and uplift by decile.
//
// Definitions are scikit-uplift 0.5's (sklift.metrics), which tests/python/test_uplift_sklift.py
// checks to 1e-9: customers are ranked by predicted uplift, highest first; the curves are
// evaluated at the end of each group of tied predictions (plus the origin) with, for the first
// n customers, N_t/N_c treated/control customers and Y_t/Y_c treated/control responders:
//   Qini(n)   = Y_t − Y_c · N_t / N_c                       (0 when N_c = 0)
//   uplift(n) = (Y_t / N_t − Y_c / N_c) · n                 (a ratio with denominator 0 is 0)
// Areas are trapezoids. Qini coefficient = (area − baseline) / (perfect area − baseline), where
// the perfect ranking puts treated responders first and control responders last (sklift's
// qini_auc_score with negative_effect=True) and the baseline is the straight line from the
// origin to the perfect curve's end; AUUC = the same ratio for the uplift curve with sklift's
// perfect uplift ranking (uplift_auc_score).
//
// Inputs: one uplift per row (finite), response and treatment 0 or 1 (usage error for a size
// mismatch; input error naming the row for a value other than 0 or 1 or a non-finite uplift).
// Both groups must be present (input error otherwise).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace cie::uplift {

struct UpliftCurve {
  std::vector<double> customers;  ///< n at each point, from 0
  std::vector<double> value;      ///< the curve at n
};

UpliftCurve qini_curve(std::span<double const> uplift, std::span<std::uint8_t const> response,
                       std::span<std::uint8_t const> treatment);
UpliftCurve uplift_curve(std::span<double const> uplift, std::span<std::uint8_t const> response,
                         std::span<std::uint8_t const> treatment);

/// Trapezoidal area under a curve.
double curve_area(UpliftCurve const& curve);

double qini_coefficient(std::span<double const> uplift, std::span<std::uint8_t const> response,
                        std::span<std::uint8_t const> treatment);
double uplift_auc(std::span<double const> uplift, std::span<std::uint8_t const> response,
                  std::span<std::uint8_t const> treatment);

/// One decile of predicted uplift (decile 1 = highest; groups as models/metrics'
/// rank_scores, ties by row order). Rates of an empty group are 0.
struct UpliftDecile {
  int decile = 0;
  std::int64_t treated = 0;
  std::int64_t control = 0;
  std::int64_t treated_responders = 0;
  std::int64_t control_responders = 0;
  double treated_rate = 0.0;
  double control_rate = 0.0;
  double observed_uplift = 0.0;  ///< treated_rate − control_rate
  double mean_predicted = 0.0;
};
std::vector<UpliftDecile> uplift_by_decile(std::span<double const> uplift,
                                           std::span<std::uint8_t const> response,
                                           std::span<std::uint8_t const> treatment, int bins = 10);

/// Everything above for a report: {"qini_coefficient", "auuc", "qini_area", "uplift_area",
/// "deciles": [...]}.
nlohmann::json uplift_report(std::span<double const> uplift, std::span<std::uint8_t const> response,
                             std::span<std::uint8_t const> treatment, int bins = 10);

}  // namespace cie::uplift

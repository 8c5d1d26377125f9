#include "models/clv/clv_evaluation.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace cie {

HoldoutEvaluation evaluate_holdout(std::span<double const> calibration_frequency,
                                   std::span<double const> actual,
                                   std::span<double const> predicted,
                                   std::span<double const> weights, int max_frequency) {
  CIE_EXPECTS(max_frequency >= 0, "max_frequency must be >= 0, got {}", max_frequency);
  std::size_t const n = calibration_frequency.size();
  CIE_ASSERT(actual.size() == n && predicted.size() == n &&
             (weights.empty() || weights.size() == n));
  std::vector<HoldoutRow> rows(static_cast<std::size_t>(max_frequency) + 1);
  HoldoutEvaluation evaluation;
  double customers = 0.0, abs_error = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    double const w = weights.empty() ? 1.0 : weights[i];
    int const bin = static_cast<int>(std::min<double>(calibration_frequency[i], max_frequency));
    HoldoutRow& row = rows[static_cast<std::size_t>(bin)];
    row.customers += w;
    row.actual_mean += w * actual[i];
    row.predicted_mean += w * predicted[i];
    customers += w;
    abs_error += w * std::abs(actual[i] - predicted[i]);
    evaluation.actual_total += w * actual[i];
    evaluation.predicted_total += w * predicted[i];
  }
  double bin_error = 0.0;
  for (std::size_t f = 0; f < rows.size(); ++f) {
    HoldoutRow& row = rows[f];
    if (row.customers <= 0.0) continue;
    row.frequency = static_cast<int>(f);
    row.or_more = static_cast<int>(f) == max_frequency;
    row.actual_mean /= row.customers;
    row.predicted_mean /= row.customers;
    bin_error += row.customers * std::abs(row.actual_mean - row.predicted_mean);
    evaluation.by_frequency.push_back(row);
  }
  if (customers > 0.0) {
    evaluation.customer_mae = abs_error / customers;
    evaluation.frequency_mae = bin_error / customers;
  }
  return evaluation;
}

}  // namespace cie

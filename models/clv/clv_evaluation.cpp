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

namespace cie {

std::vector<TrackingPoint> tracking_series(
    std::span<std::int32_t const> first_day, std::span<std::int32_t const> repeat_days,
    std::int32_t start_day, int step_days, int periods, int unit_days,
    std::function<double(double)> const& expected_from_start) {
  CIE_EXPECTS(step_days >= 1 && periods >= 0 && unit_days >= 1,
              "tracking series: step_days, unit_days >= 1 and periods >= 0, got {}, {}, {}",
              step_days, unit_days, periods);
  std::int64_t const span = static_cast<std::int64_t>(step_days) * periods;
  // Customers per first day and repeat purchase days per day, both relative to start_day; days
  // at or after the last end are never counted.
  std::vector<double> firsts(static_cast<std::size_t>(span), 0.0);
  std::vector<double> repeats(static_cast<std::size_t>(span), 0.0);
  for (std::int32_t day : first_day) {
    std::int64_t const d = static_cast<std::int64_t>(day) - start_day;
    CIE_ASSERT(d >= 0);
    if (d < span) firsts[static_cast<std::size_t>(d)] += 1.0;
  }
  for (std::int32_t day : repeat_days) {
    std::int64_t const d = static_cast<std::int64_t>(day) - start_day;
    CIE_ASSERT(d >= 0);
    if (d < span) repeats[static_cast<std::size_t>(d)] += 1.0;
  }
  // expected_by_lag[l] = E[X(l / unit_days)]: a customer l days before the end.
  std::vector<double> expected_by_lag(static_cast<std::size_t>(span) + 1, 0.0);
  for (std::int64_t lag = 1; lag <= span; ++lag) {
    expected_by_lag[static_cast<std::size_t>(lag)] =
        expected_from_start(static_cast<double>(lag) / unit_days);
  }
  std::vector<TrackingPoint> series;
  double actual = 0.0;
  for (int k = 1; k <= periods; ++k) {
    std::int64_t const end = static_cast<std::int64_t>(k) * step_days;
    for (std::int64_t d = end - step_days; d < end; ++d)
      actual += repeats[static_cast<std::size_t>(d)];
    double expected = 0.0;
    for (std::int64_t d = 0; d < end; ++d) {
      double const customers = firsts[static_cast<std::size_t>(d)];
      if (customers > 0.0)
        expected += customers * expected_by_lag[static_cast<std::size_t>(end - d)];
    }
    series.push_back({k, static_cast<std::int32_t>(start_day + end), actual, expected});
  }
  return series;
}

}  // namespace cie

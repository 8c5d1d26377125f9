// Calibration/holdout evaluation of a purchase model: predicted against actual repeat purchases
// in the holdout window, per calibration frequency (the tracking table of FHL 2005, figure 3), and
// the aggregate cumulative repeat-purchase tracking series (FHL 2005, figure 2).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace cie {

/// Customers whose calibration frequency is `frequency` (the last row: that many or more).
struct HoldoutRow {
  int frequency = 0;
  bool or_more = false;  ///< true for the last row when it gathers the larger frequencies
  double customers = 0.0;
  double actual_mean = 0.0;     ///< mean actual holdout repeat purchases
  double predicted_mean = 0.0;  ///< mean expected purchases over the holdout
};

struct HoldoutEvaluation {
  std::vector<HoldoutRow> by_frequency;  ///< frequencies 0 .. max_frequency
  double customer_mae = 0.0;             ///< mean over customers of |actual − predicted|
  double frequency_mae =
      0.0;  ///< customer-weighted mean over rows of |actual_mean − predicted_mean|
  double actual_total = 0.0;
  double predicted_total = 0.0;
};

/// Groups customers by calibration frequency x (capped at max_frequency >= 0) and compares
/// `actual` holdout repeat purchases with `predicted` ones (all three one per customer; weights
/// empty or one per customer). Rows with no customer are left out.
HoldoutEvaluation evaluate_holdout(std::span<double const> calibration_frequency,
                                   std::span<double const> actual,
                                   std::span<double const> predicted,
                                   std::span<double const> weights, int max_frequency);

}  // namespace cie

namespace cie {

/// One period of the aggregate tracking series (lifetimes' expected_cumulative_transactions; FHL
/// 2005, figure 2): repeat purchase days before `end_day` (exclusive), actual and expected.
struct TrackingPoint {
  int period = 0;                  ///< 1, 2, ...
  std::int32_t end_day = 0;        ///< days since 1970-01-01; the period covers days < end_day
  double actual_cumulative = 0.0;  ///< repeat purchase days of every customer before end_day
  double expected_cumulative = 0.0;
};

/// The tracking series over `periods` periods of `step_days` days from `start_day` (the first
/// purchase day of the data): period k ends before start_day + k·step_days. A customer counts
/// from the day after its first purchase day: actual = its purchase days after the first, before
/// the end; expected = expected_from_start((end − first day) / unit_days), the model's expected
/// repeat purchases of a new customer over that time (for customers whose first day is before
/// the end). `first_day` has one day per customer; `repeat_days` every repeat purchase day (any
/// order, one entry per customer and day). O(customers + repeat days + distinct first days ·
/// periods) plus one expected_from_start call per day of the span.
std::vector<TrackingPoint> tracking_series(
    std::span<std::int32_t const> first_day, std::span<std::int32_t const> repeat_days,
    std::int32_t start_day, int step_days, int periods, int unit_days,
    std::function<double(double)> const& expected_from_start);

}  // namespace cie

// Calibration/holdout evaluation of a purchase model: predicted against actual repeat purchases
// in the holdout window, per calibration frequency (the tracking table of FHL 2005, figure 3).
#pragma once

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

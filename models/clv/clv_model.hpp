// A fitted CLV model: BG/NBD, modified BG/NBD, Pareto/NBD or BG/BB purchases, optionally
// Gamma-Gamma spend, the time unit they were fitted in, and its model-file form
// (models/model_document.hpp, kind "clv").
//
// Model file sections: params {model_type, spend_model, time_unit_days, penalizer,
// calibration_end}; fitted {transactions: {model, parameters: {NAME: value}, std_errors: {NAME:
// value or null}}, spend: same or null}; training_metrics {log_likelihood, customers, rows,
// iterations, converged, warnings, and for spend excluded_nonpositive, no_repeat,
// frequency_value_correlation}; training_data: the fingerprint of the summary (x, t_x, T, m).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/context.hpp"
#include "kernels/clv.hpp"
#include "models/clv/clv_fit.hpp"
#include "models/clv/clv_summary.hpp"
#include "models/model_document.hpp"

namespace cie {

inline constexpr std::string_view kClvModelKind = "clv";

struct ClvModel {
  FittedDistribution transactions;  ///< BG/NBD, modified BG/NBD, Pareto/NBD or BG/BB
  std::optional<SpendFit> spend;    ///< Gamma-Gamma, when fitted
  int time_unit_days = 7;           ///< length of the model's time unit in days (1 or 7)
  double penalizer = 0.0;
  std::string calibration_end;  ///< YYYY-MM-DD, or empty when fitted on a summary file

  /// The model file's document; `training_data` identifies the summary it was fitted on.
  [[nodiscard]] ModelDocument to_document(DataFingerprint const& training_data) const;
  /// Reads a document written by to_document; a usage error naming `source` when it is damaged.
  static ClvModel from_document(ModelDocument const& document, std::string const& source);
};

/// Per-customer predictions (see kernels::clv_predict); expected_value and clv are NaN without
/// a spend model. An output not asked for (ClvPredictParams::outputs) is empty.
struct ClvPredictions {
  std::vector<double> p_alive;
  std::vector<double> expected_purchases;
  std::vector<double> expected_value;
  std::vector<double> clv;
  /// P(n purchases over the horizon), row-major customers × (max_purchases + 1); empty when
  /// max_purchases is -1.
  std::vector<double> p_purchases;
};

/// Settings of a prediction in the model's terms: horizon in the model's time unit, CLV over
/// `clv_months` months at a monthly discount rate, times the margin. Validated here (usage
/// errors naming the field).
struct ClvPredictParams {
  double horizon = 52.0;           ///< > 0, in the model's time unit
  int clv_months = 12;             ///< 1..1200
  double monthly_discount = 0.01;  ///< >= 0
  double margin = 1.0;             ///< finite, >= 0
  /// P(n purchases over the horizon) for n = 0..max_purchases (bgbb: the horizon a whole number
  /// of opportunities, at most 1e6); -1: none; at most 100 (the pmfs cost O(n) per n; BG/BB's
  /// O(horizon)).
  int max_purchases = -1;
  /// Which outputs to compute; the others are left empty and cost nothing (e.g. P(alive) alone
  /// skips the expected purchases' hypergeometric series). The values computed are the same bits
  /// whatever else is asked for.
  struct Outputs {
    bool p_alive = true;
    bool expected_purchases = true;
    bool expected_value = true;
    bool clv = true;
  } outputs;
};

/// Predictions for every row of `summary` (a valid summary: find_invalid_row passes; its value
/// column may be empty when the model has no spend part).
ClvPredictions predict_clv(Context const& ctx, ClvModel const& model,
                           ClvPredictParams const& params, kernels::ClvRows const& summary);

/// A new customer's expected repeat purchases over its first t time units (lifetimes'
/// expected_number_of_purchases_up_to_time): the conditional expectation at x = t_x = T = 0.
/// For bgnbd, mbgnbd and pareto-nbd models (an internal error for bgbb); NaN where the series
/// cannot be summed.
double expected_purchases_from_start(FittedDistribution const& transactions, double t);

/// Time units in a month for the CLV sum, as lifetimes: 30 days or 4.345 weeks.
double units_per_month(int time_unit_days);

/// The fingerprint of a summary: fingerprint_matrix of its four columns (x, t_x, T, m; m as 0
/// when empty) as a column-major float32 matrix, hashed in chunks without building it.
DataFingerprint fingerprint_summary(kernels::ClvRows const& summary);

}  // namespace cie

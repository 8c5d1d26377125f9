// Evaluation of a binary scorer (propensity models): ROC AUC, log-loss, Brier score, accuracy,
// the decile (lift / gain) table, the reliability table, and ranks and deciles for scoring.
//
// Inputs everywhere: `score` is one predicted probability in [0, 1] per row, `label` one 0 or 1
// per row, `weight` empty (all 1) or one finite weight >= 0 per row. Sizes must match (usage
// error otherwise); NaN in a score is an input error (exit 3) naming the row. Sums are in double,
// in row order, so results do not depend on the thread count.
//
// Ranking convention (deciles, ranks): descending score, ties broken by row order (the earlier
// row ranks first), so outputs are deterministic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

namespace cie {

/// Exact ROC AUC with ties counted one half (the Mann-Whitney statistic), weighted: equals
/// scikit-learn's roc_auc_score(label, score, sample_weight=weight). An input error when one
/// class is absent (AUC undefined). O(n log n).
double roc_auc(std::span<double const> score, std::span<float const> label,
               std::span<float const> weight = {});

/// Mean of −[y log p + (1 − y) log(1 − p)] with p clipped to [1e-15, 1 − 1e-15]; weighted mean
/// when weights are given.
double log_loss(std::span<double const> score, std::span<float const> label,
                std::span<float const> weight = {});

/// Mean of (p − y)².
double brier_score(std::span<double const> score, std::span<float const> label,
                   std::span<float const> weight = {});

/// Share of rows with (p >= threshold) == (y == 1).
double accuracy(std::span<double const> score, std::span<float const> label, double threshold,
                std::span<float const> weight = {});

/// rank[i]: 1-based position of row i in the ranking convention; decile[i] =
/// 1 + floor((rank[i] − 1) · bins / n), so decile 1 holds the highest scores and the groups
/// differ in size by at most one.
struct Ranking {
  std::vector<std::int64_t> rank;
  std::vector<std::int32_t> decile;
};
Ranking rank_scores(std::span<double const> score, int bins = 10);

/// One row of the lift table (groups of rank_scores, unweighted counts).
struct DecileRow {
  int decile = 0;              ///< 1 = highest scores
  std::size_t customers = 0;
  std::size_t responders = 0;
  double response_rate = 0.0;  ///< responders / customers
  double lift = 0.0;           ///< response_rate / overall response rate
  double cumulative_responders_share = 0.0;  ///< cumulative gain: responders in deciles 1..d /
                                             ///< all responders
  double cumulative_lift = 0.0;  ///< cumulative response rate / overall rate
  double min_score = 0.0;
  double max_score = 0.0;
  double mean_score = 0.0;
};
std::vector<DecileRow> decile_table(std::span<double const> score, std::span<float const> label,
                                    int bins = 10);

/// One bin of the reliability (calibration) table: predicted probability against observed rate.
struct ReliabilityBin {
  double lower = 0.0;  ///< bin edges on the predicted probability; [lower, upper), last closed
  double upper = 0.0;
  std::size_t count = 0;
  double mean_predicted = 0.0;  ///< 0 for an empty bin
  double observed_rate = 0.0;   ///< 0 for an empty bin
};
/// `bins` equal-width bins on [0, 1] (as scikit-learn's calibration_curve, strategy "uniform").
std::vector<ReliabilityBin> reliability_table(std::span<double const> score,
                                              std::span<float const> label, int bins = 10);

/// Everything `cie propensity train` reports for one data set.
struct ClassificationReport {
  std::size_t rows = 0;
  std::size_t positives = 0;
  double auc = 0.0;
  double log_loss = 0.0;
  double brier = 0.0;
  double threshold = 0.5;
  double accuracy = 0.0;
  std::vector<DecileRow> deciles;
  std::vector<ReliabilityBin> reliability;

  /// {"rows", "positives", "auc", "log_loss", "brier", "threshold", "accuracy",
  ///  "deciles": [{"decile", "customers", ...}], "reliability": [{"lower", ...}]}.
  [[nodiscard]] nlohmann::json to_json() const;
  /// Readable tables for stdout: the metrics, the decile table, the reliability table.
  [[nodiscard]] std::string to_text() const;
};
ClassificationReport evaluate_classifier(std::span<double const> score,
                                         std::span<float const> label, double threshold = 0.5,
                                         int bins = 10);

/// Recalibration of predicted probabilities, fitted on held-out data and stored in the model.
class Calibrator {
 public:
  enum class Kind { kNone, kPlatt, kIsotonic };

  Calibrator() = default;  ///< kNone: apply() is the identity
  /// Platt: p' = σ(a·logit(p) + b), a and b fitted by maximum likelihood (Newton, Platt's
  /// smoothed targets). Isotonic: the pool-adjacent-violators fit of y on p (non-decreasing),
  /// applied by linear interpolation between the fitted points and clamped at the ends, as
  /// scikit-learn's IsotonicRegression(out_of_bounds="clip").
  static Calibrator fit(Kind kind, std::span<double const> score, std::span<float const> label);

  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  /// Calibrates in place.
  void apply(std::span<double> score) const;

  /// {"kind": "none"|"platt"|"isotonic", "a", "b"} or {"kind", "x": [...], "y": [...]}.
  [[nodiscard]] nlohmann::json to_json() const;
  static Calibrator from_json(nlohmann::json const& json, std::string const& source);

 private:
  Kind kind_ = Kind::kNone;
  double a_ = 1.0;
  double b_ = 0.0;
  std::vector<double> x_;
  std::vector<double> y_;
};

/// "none" | "platt" | "isotonic"; a usage error otherwise.
Calibrator::Kind parse_calibration(std::string const& text);

}  // namespace cie

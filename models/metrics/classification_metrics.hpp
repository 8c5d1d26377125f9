// Evaluation of a binary scorer (propensity models): ROC AUC, log-loss, Brier score, accuracy,
// the decile (lift / gain) table, the reliability table, and ranks and deciles for scoring.
//
// Inputs everywhere: `score` is one predicted probability in [0, 1] per row, `label` one 0 or 1
// per row, `weight` empty (all 1) or one finite weight >= 0 per row. Sizes must match (usage
// error, exit 2, otherwise); a NaN or out-of-range score, a label other than 0 or 1, or a
// negative or non-finite weight is an input error (exit 3) naming the row (1-based). Means over
// no rows or a zero total weight are input errors too, so no function returns NaN. Sums are in
// double, in row (or ranking) order, so results do not depend on the thread count.
//
// Ranking convention (deciles, ranks): descending score, ties broken by row order (the earlier
// row ranks first), so outputs are deterministic.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace cie {

/// The score checks above alone (NaN or outside [0, 1]: an input error naming the row).
void check_scores(std::span<double const> score);
/// All the input checks above (and label.size() == score.size(), weight empty or the same
/// size); every function below starts with them.
void check_scored_labels(std::span<double const> score, std::span<float const> label,
                         std::span<float const> weight = {});

/// Exact ROC AUC with ties counted one half (the Mann-Whitney statistic), weighted: equals
/// scikit-learn's roc_auc_score(label, score, sample_weight=weight). An input error when one
/// class is absent or has total weight 0 (AUC undefined). O(n log n): one sort by score, then a
/// walk over the groups of tied scores.
double roc_auc(std::span<double const> score, std::span<float const> label,
               std::span<float const> weight = {});

/// Mean of −[y log p + (1 − y) log(1 − p)] with p clipped to [1e-15, 1 − 1e-15]; weighted mean
/// when weights are given. Note: scikit-learn 1.9's log_loss clips at the double epsilon
/// (2.2e-16) instead, so the two differ for rows with p within 1e-15 of the wrong label.
double log_loss(std::span<double const> score, std::span<float const> label,
                std::span<float const> weight = {});

/// Mean of (p − y)².
double brier_score(std::span<double const> score, std::span<float const> label,
                   std::span<float const> weight = {});

/// Share of rows with (p >= threshold) == (y == 1) (weighted share when weights are given).
double accuracy(std::span<double const> score, std::span<float const> label, double threshold,
                std::span<float const> weight = {});

/// rank[i]: 1-based position of row i in the ranking convention; decile[i] =
/// 1 + floor((rank[i] − 1) · bins / n), so decile 1 holds the highest scores and the groups
/// differ in size by at most one (with n < bins some deciles are empty). Tied scores are ranked
/// by decreasing tie_break when it is given (one value per score, e.g. the uncalibrated score
/// behind an isotonic calibration's steps), then by input order. bins >= 1 (usage error
/// otherwise); scores are checked as above. O(n log n).
struct Ranking {
  std::vector<std::int64_t> rank;
  std::vector<std::int32_t> decile;
};
Ranking rank_scores(std::span<double const> score, int bins = 10,
                    std::span<double const> tie_break = {});

/// One row of the lift table (groups of rank_scores, with `tie_break`, unweighted counts). Ratios
/// with a zero denominator are defined as 0, never NaN: an empty decile (n < bins) has rate and
/// scores 0; with no responders at all, lift, cumulative gain and cumulative lift are 0.
struct DecileRow {
  int decile = 0;  ///< 1 = highest scores
  std::size_t customers = 0;
  std::size_t responders = 0;
  double response_rate = 0.0;                ///< responders / customers
  double lift = 0.0;                         ///< response_rate / overall response rate
  double cumulative_responders_share = 0.0;  ///< cumulative gain: responders in deciles 1..d /
                                             ///< all responders
  double cumulative_lift = 0.0;              ///< cumulative response rate / overall rate
  double min_score = 0.0;
  double max_score = 0.0;
  double mean_score = 0.0;
};
std::vector<DecileRow> decile_table(std::span<double const> score, std::span<float const> label,
                                    int bins = 10, std::span<double const> tie_break = {});

/// One bin of the reliability (calibration) table: predicted probability against observed rate.
struct ReliabilityBin {
  double lower = 0.0;  ///< bin edges on the predicted probability: (lower, upper], first closed
  double upper = 0.0;
  std::size_t count = 0;
  double mean_predicted = 0.0;  ///< 0 for an empty bin
  double observed_rate = 0.0;   ///< 0 for an empty bin
};
/// `bins` (>= 1) equal-width bins on [0, 1], as scikit-learn 1.9's calibration_curve(strategy=
/// "uniform"): edge i is i · (1.0 / bins) (numpy's linspace), the last edge is 1.0, and a score
/// goes to the bin whose upper edge is the first edge >= score (numpy searchsorted, side left),
/// so a score equal to an inner edge belongs to the bin below it, 0 to the first bin and 1 to the
/// last. Unlike calibration_curve, empty bins are kept (count 0). Unweighted.
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
  ///  "deciles": [{"decile", "customers", "responders", "response_rate", "lift",
  ///               "cumulative_responders_share", "cumulative_lift", "min_score", "max_score",
  ///               "mean_score"}],
  ///  "reliability": [{"lower", "upper", "count", "mean_predicted", "observed_rate"}]}:
  /// the fields above under their own names.
  [[nodiscard]] nlohmann::json to_json() const;
  /// Readable tables for stdout: the metrics, the decile table, the reliability table.
  [[nodiscard]] std::string to_text() const;
};
/// All of the above, unweighted; threshold in [0, 1] and bins >= 1 (usage errors otherwise).
/// `tie_break` (empty, or one value per score) orders tied scores in the decile table, as in
/// rank_scores (calibrated scores: pass the uncalibrated ones).
ClassificationReport evaluate_classifier(std::span<double const> score,
                                         std::span<float const> label, double threshold = 0.5,
                                         int bins = 10, std::span<double const> tie_break = {});

/// Recalibration of predicted probabilities, fitted on held-out data and stored in the model.
class Calibrator {
 public:
  enum class Kind { kNone, kPlatt, kIsotonic };

  Calibrator() = default;  ///< kNone: apply() is the identity
  /// Platt: p' = σ(a·logit(p) + b), logit(p) taken on p clipped to [1e-15, 1 − 1e-15], a and b
  /// fitted by maximum likelihood against Platt's (1999) smoothed targets (N₊ + 1)/(N₊ + 2) and
  /// 1/(N₋ + 2), by Newton steps with a backtracking line search (Lin, Lin and Weng 2007).
  /// Isotonic: the pool-adjacent-violators fit of y on p (non-decreasing), scores within 1e-15
  /// of a group's first score pooled as one point weighted by its count (as scikit-learn),
  /// applied by linear interpolation between the fitted points and clamped at the ends, as
  /// scikit-learn's IsotonicRegression(out_of_bounds="clip"); points whose fitted value equals
  /// both neighbours' are dropped (same function, smaller model file). kNone: nothing to fit.
  /// Inputs are checked as above; an input error when a class is absent.
  static Calibrator fit(Kind kind, std::span<double const> score, std::span<float const> label);

  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  /// Calibrates in place; scores are checked as above (an input error naming the row).
  void apply(std::span<double> score) const;

  /// {"kind": "none"} or {"kind": "platt", "a", "b"} or {"kind": "isotonic", "x": [...],
  /// "y": [...]}.
  [[nodiscard]] nlohmann::json to_json() const;
  /// Reads to_json()'s form; a usage error starting with "model file `source`" when it is not
  /// (unknown kind, non-finite a or b, x not strictly increasing, y not non-decreasing in [0, 1]).
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

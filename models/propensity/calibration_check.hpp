// Honest calibration for propensity models: the calibrator is fitted cross-fitted on held-out
// predictions, as scikit-learn's CalibratedClassifierCV, so that the calibrated metrics are
// measured only on rows the calibrator never saw.
//
// The held-out rows (a validation split, or every row's out-of-fold prediction) are divided into
// folds; each fold's calibrated probabilities come from a calibrator fitted on the other folds'
// predictions and labels. The calibrated report is computed on these cross-fitted probabilities
// (its decile ties, common with isotonic steps, broken by the uncalibrated score), and compared
// with the uncalibrated report of the same rows: `worse` names each metric that calibration made
// worse. The calibrator stored in the model is then fitted on all held-out predictions (more data
// than any fold's; the cross-fitted report estimates how it does on new rows).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "models/metrics/classification_metrics.hpp"

namespace cie {

struct CalibrationCheck {
  Calibrator calibrator;  ///< fitted on every held-out prediction: the one the model keeps
  int folds = 0;          ///< the calibration folds behind `calibrated`
  /// Per held-out row: its score calibrated by the calibrator fitted without its fold.
  std::vector<double> cross_fitted;
  /// The held-out rows calibrated cross-fitted (each by a calibrator that did not see it).
  ClassificationReport calibrated;
  /// Metrics that calibration made worse, among "log-loss", "Brier score" (higher) and
  /// "ROC AUC" (lower), in that order, compared with the uncalibrated report of the same rows.
  std::vector<std::string> worse;
};

/// Folds for cross-fitting a calibrator on `label`'s rows when there are no model folds to reuse:
/// stratified (models/metrics/data_split.hpp, seeded), min(5, responders, non-responders) folds,
/// so every fold's complement holds both classes. An input error when either class has fewer than
/// 2 rows (too few to cross-fit; the message says how many there are).
std::vector<std::int32_t> calibration_folds(std::span<float const> label, std::uint64_t seed);

/// Fits a `kind` calibrator (not kNone) on `score`/`label` (held-out predictions) and checks it
/// cross-fitted over `fold` (one value in [0, folds) per row, folds >= 2; usage error otherwise);
/// `uncalibrated` is evaluate_classifier's report of `score` with the same threshold and bins.
/// Input errors: those of Calibrator::fit, for a fold whose complement lacks a class too.
CalibrationCheck check_calibration(Calibrator::Kind kind, std::span<double const> score,
                                   std::span<float const> label, std::span<std::int32_t const> fold,
                                   int folds, ClassificationReport const& uncalibrated);

}  // namespace cie

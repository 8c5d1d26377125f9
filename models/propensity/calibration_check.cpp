#include "models/propensity/calibration_check.hpp"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "core/error.hpp"
#include "models/metrics/data_split.hpp"

namespace cie {

std::vector<std::int32_t> calibration_folds(std::span<float const> label, std::uint64_t seed) {
  auto const positives = static_cast<std::size_t>(std::count(label.begin(), label.end(), 1.0F));
  std::size_t const negatives = label.size() - positives;
  CIE_EXPECTS_DATA(positives >= 2 && negatives >= 2,
                   "calibration is checked on held-out rows it never saw (cross-fitted), which "
                   "needs at least 2 responders and 2 non-responders held out; there are {} and "
                   "{}: hold out more rows (--validation) or use --calibration none",
                   positives, negatives);
  int const folds = static_cast<int>(std::min<std::size_t>({5, positives, negatives}));
  return stratified_folds(label, folds, seed ^ 0xCA11B8A7EULL);
}

CalibrationCheck check_calibration(Calibrator::Kind kind, std::span<double const> score,
                                   std::span<float const> label, std::span<std::int32_t const> fold,
                                   int folds, ClassificationReport const& uncalibrated) {
  CIE_EXPECTS(kind != Calibrator::Kind::kNone, "check_calibration needs a calibrator kind");
  CIE_EXPECTS(folds >= 2 && fold.size() == score.size() && label.size() == score.size(),
              "check_calibration: {} folds, {} fold values, {} scores, {} labels", folds,
              fold.size(), score.size(), label.size());
  std::vector<double> cross_fitted(score.begin(), score.end());
  for (int f = 0; f < folds; ++f) {
    std::vector<double> fit_score;
    std::vector<float> fit_label;
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < score.size(); ++i) {
      CIE_EXPECTS(fold[i] >= 0 && fold[i] < folds, "check_calibration: fold {} out of [0, {})",
                  fold[i], folds);
      if (fold[i] == f) {
        rows.push_back(i);
      } else {
        fit_score.push_back(score[i]);
        fit_label.push_back(label[i]);
      }
    }
    if (rows.empty()) continue;
    Calibrator const calibrator = Calibrator::fit(kind, fit_score, fit_label);
    std::vector<double> part;
    part.reserve(rows.size());
    for (std::size_t const row : rows) part.push_back(score[row]);
    calibrator.apply(part);
    for (std::size_t i = 0; i < rows.size(); ++i) cross_fitted[rows[i]] = part[i];
  }
  CalibrationCheck check;
  check.calibrator = Calibrator::fit(kind, score, label);
  check.folds = folds;
  check.calibrated = evaluate_classifier(cross_fitted, label, uncalibrated.threshold,
                                         static_cast<int>(uncalibrated.deciles.size()), score);
  if (check.calibrated.log_loss > uncalibrated.log_loss) check.worse.emplace_back("log-loss");
  if (check.calibrated.brier > uncalibrated.brier) check.worse.emplace_back("Brier score");
  if (check.calibrated.auc < uncalibrated.auc) check.worse.emplace_back("ROC AUC");
  check.cross_fitted = std::move(cross_fitted);
  return check;
}

}  // namespace cie

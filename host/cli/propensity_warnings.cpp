#include "host/cli/propensity_warnings.hpp"

#include <fmt/format.h>

#include "models/propensity/leakage.hpp"

namespace cie::cli {
namespace {

/// "a", "a and b", "a, b and c".
std::string listed(std::vector<std::string> const& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

}  // namespace

/// The calibrated report (cross-fitted) and, with a warning, the metrics calibration made worse.
std::string calibration_text(Context const& ctx, std::string const& kind,
                             CalibrationCheck const& check, ClassificationReport const& before) {
  std::string out = fmt::format(
      "after {} calibration, cross-fitted ({} folds of the held-out rows: each row calibrated by "
      "a calibrator fitted on the other folds):\n{}",
      kind, check.folds, check.calibrated.to_text());
  ClassificationReport const& after = check.calibrated;
  std::string const change = fmt::format(
      "log-loss {:.4f} -> {:.4f}, Brier {:.4f} -> {:.4f}, ROC AUC {:.4f} -> {:.4f}",
      before.log_loss, after.log_loss, before.brier, after.brier, before.auc, after.auc);
  if (check.worse.empty())
    return out + fmt::format("  calibration helps on unseen rows: {}\n", change);
  std::string const warning = fmt::format(
      "{} calibration makes the {} worse on held-out rows it never saw ({}); the model keeps "
      "it as asked: consider --calibration none",
      kind, listed(check.worse), change);
  ctx.logger().warn("{}", warning);
  return out + fmt::format("  WARNING: {}\n", warning);
}

std::string leakage_warnings(Context const& ctx, FeatureMatrix x, std::span<float const> label,
                             std::vector<std::string> const& names, std::string const& target,
                             std::string const& positive) {
  std::string out;
  for (LeakingFeature const& leak : leaking_features(x, label, names)) {
    std::string const response = fmt::format("{} = {}", target, positive.empty() ? "1" : positive);
    std::string const warning =
        leak.tail_rows == 0
            ? fmt::format(
                  "feature {} alone predicts {} almost perfectly (univariate AUC {:.4f}): "
                  "is it an outcome recorded after the fact? (--exclude it)",
                  leak.name, target, leak.auc)
            : fmt::format(
                  "feature {} alone predicts {} for part of the customers: the {} with "
                  "its {} values {} ({:.2f}% of all customers have it): is it an outcome "
                  "recorded after the fact? (--exclude it)",
                  leak.name, target, leak.tail_rows, leak.tail_high ? "highest" : "lowest",
                  leak.tail_class == 1.0F ? "all have " + response : "all lack " + response,
                  100.0 * (leak.tail_class == 1.0F ? leak.class_share : 1.0 - leak.class_share));
    ctx.logger().warn("{}", warning);
    out += fmt::format("  WARNING: {}\n", warning);
  }
  return out;
}

}  // namespace cie::cli

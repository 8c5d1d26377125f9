// The warnings of `cie propensity train` (host/cli/propensity_command.cpp): calibration that
// makes the held-out metrics worse (models/propensity/calibration_check.hpp) and features that
// leak the outcome (models/propensity/leakage.hpp). Each is logged as a warning and returned as
// "  WARNING: ..." lines for stdout.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/feature_matrix.hpp"
#include "models/metrics/classification_metrics.hpp"
#include "models/propensity/calibration_check.hpp"

namespace cie::cli {

/// The calibrated report of the held-out rows (cross-fitted) for stdout, then one line saying
/// how log-loss, Brier and AUC changed from `before` (the uncalibrated report of the same rows):
/// "calibration helps on unseen rows: ..." or, when check.worse is not empty, a warning naming
/// the metrics that got worse.
std::string calibration_text(Context const& ctx, std::string const& kind,
                             CalibrationCheck const& check, ClassificationReport const& before);

/// One warning per leaking feature of x (encoded, names.size() columns) for `target` (positive:
/// its responder value, empty for 1), naming the feature and the sign (AUC or pure tail) and no
/// customer value.
std::string leakage_warnings(Context const& ctx, FeatureMatrix x, std::span<float const> label,
                             std::vector<std::string> const& names, std::string const& target,
                             std::string const& positive);

}  // namespace cie::cli

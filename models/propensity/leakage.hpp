// Leakage check of a propensity model's features: a feature that alone separates responders from
// the others almost perfectly is more likely an outcome recorded after the campaign (Hillstrom's
// `conversion` and `spend` for `visit`) than a predictor, and a model trained on it is worthless
// at scoring time.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/feature_matrix.hpp"

namespace cie {

struct LeakingFeature {
  std::string name;
  double auc = 0.0;  ///< max(AUC, 1 − AUC) of the feature's values as a score
};

/// Univariate ROC AUC of one feature's values against 0/1 labels (ties count one half; rows
/// whose value is NaN are left out); 0.5 when the present rows hold one class only.
double univariate_auc(std::span<float const> values, std::span<float const> label);

/// The features (x.cols = names.size()) whose max(AUC, 1 − AUC) exceeds `threshold` (in
/// (0.5, 1]), in feature order. O(cols × rows log rows).
std::vector<LeakingFeature> leaking_features(FeatureMatrix x, std::span<float const> label,
                                             std::vector<std::string> const& names,
                                             double threshold = 0.95);

}  // namespace cie

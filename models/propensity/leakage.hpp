// Leakage check of a propensity model's features: a feature that alone separates responders from
// the others almost perfectly is more likely an outcome recorded after the campaign than a
// predictor, and a model trained on it is worthless at scoring time. Two signs, each enough:
//  * its univariate ROC AUC (or 1 − AUC) is above 0.95: it ranks the two classes apart;
//  * a pure tail: the customers with its highest (or lowest) values, at least 30 of them, are
//    all of one class, and so many that a class with that overall share would fill such a run by
//    chance with probability below 1e-12 (share^rows < 1e-12). Hillstrom's `conversion` and `spend`
//    for `visit` are of this kind: only 6% of the visitors converted, so their AUC is 0.53, but
//    all 578 customers who converted (or spent) visited, against 14.7% overall.
// On UCI bank marketing (y), Hillstrom (visit, without conversion and spend) and `cie gen` data
// no feature shows either sign (tests/python/test_propensity_honest.py).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "core/feature_matrix.hpp"

namespace cie {

struct LeakingFeature {
  std::string name;
  double auc = 0.0;  ///< max(AUC, 1 − AUC) of the feature's values as a score
  /// The pure tail's rows (0: flagged by the AUC alone), its class (0 or 1), whether it holds
  /// the highest values (else the lowest), and its class's share of the rows with a value.
  std::size_t tail_rows = 0;
  float tail_class = 0.0F;
  bool tail_high = true;
  double class_share = 0.0;
};

/// The longer pure tail of one feature (LeakingFeature's tail fields; rows 0 when the highest
/// and the lowest value are each held by both classes); NaN rows are left out.
LeakingFeature pure_tail(std::span<float const> values, std::span<float const> label);

/// Univariate ROC AUC of one feature's values against 0/1 labels (ties count one half; rows
/// whose value is NaN are left out); 0.5 when the present rows hold one class only.
double univariate_auc(std::span<float const> values, std::span<float const> label);

/// The features (x.cols = names.size()) whose max(AUC, 1 − AUC) exceeds `threshold` (in
/// (0.5, 1]) or that have a pure tail as above, in feature order. O(cols × rows log rows).
std::vector<LeakingFeature> leaking_features(FeatureMatrix x, std::span<float const> label,
                                             std::vector<std::string> const& names,
                                             double threshold = 0.95);

}  // namespace cie

#include "models/propensity/leakage.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"

namespace cie {

double univariate_auc(std::span<float const> values, std::span<float const> label) {
  CIE_ASSERT(values.size() == label.size());
  std::vector<std::size_t> order;
  order.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isnan(values[i])) order.push_back(i);
  }
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  // Mann-Whitney: for each positive, the negatives below it plus half the tied ones.
  double negatives_below = 0.0, pairs = 0.0, positives = 0.0, negatives = 0.0;
  for (std::size_t begin = 0; begin < order.size();) {
    std::size_t end = begin;
    double group_positive = 0.0, group_negative = 0.0;
    while (end < order.size() && values[order[end]] == values[order[begin]]) {
      (label[order[end]] == 1.0f ? group_positive : group_negative) += 1.0;
      ++end;
    }
    pairs += group_positive * (negatives_below + 0.5 * group_negative);
    negatives_below += group_negative;
    positives += group_positive;
    negatives += group_negative;
    begin = end;
  }
  if (positives == 0.0 || negatives == 0.0) return 0.5;
  return pairs / (positives * negatives);
}

std::vector<LeakingFeature> leaking_features(FeatureMatrix x, std::span<float const> label,
                                             std::vector<std::string> const& names,
                                             double threshold) {
  CIE_ASSERT(names.size() == x.cols && label.size() == x.rows);
  CIE_ASSERT(threshold > 0.5 && threshold <= 1.0);
  std::vector<LeakingFeature> out;
  for (std::size_t j = 0; j < x.cols; ++j) {
    double const auc = univariate_auc({x.column(j), x.rows}, label);
    double const strength = std::max(auc, 1.0 - auc);
    if (strength > threshold) out.push_back({names[j], strength});
  }
  return out;
}

}  // namespace cie

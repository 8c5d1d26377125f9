#include "models/propensity/leakage.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

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

LeakingFeature pure_tail(std::span<float const> values, std::span<float const> label) {
  CIE_ASSERT(values.size() == label.size());
  std::vector<std::size_t> order;
  order.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isnan(values[i])) order.push_back(i);
  }
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  double positives = 0.0;
  for (std::size_t const row : order) positives += label[row] == 1.0F ? 1.0 : 0.0;
  LeakingFeature best;
  // Walks tie groups from one end while they hold one class, the same as the first group's.
  auto const walk = [&](bool high) {
    std::size_t rows = 0;
    float tail_class = -1.0F;
    std::size_t const n = order.size();
    auto const at = [&](std::size_t k) { return order[high ? n - 1 - k : k]; };
    for (std::size_t begin = 0; begin < n;) {
      std::size_t end = begin;
      bool pure = true;
      float const first = label[at(begin)];
      while (end < n && values[at(end)] == values[at(begin)]) {
        pure = pure && label[at(end)] == first;
        ++end;
      }
      if (!pure || (tail_class >= 0.0F && first != tail_class)) break;
      tail_class = first;
      rows += end - begin;
      begin = end;
    }
    if (rows > best.tail_rows) {
      best.tail_rows = rows;
      best.tail_class = tail_class;
      best.tail_high = high;
      double const share = positives / static_cast<double>(n);
      best.class_share = tail_class == 1.0F ? share : 1.0 - share;
    }
  };
  walk(true);
  walk(false);
  return best;
}

std::vector<LeakingFeature> leaking_features(FeatureMatrix x, std::span<float const> label,
                                             std::vector<std::string> const& names,
                                             double threshold) {
  CIE_ASSERT(names.size() == x.cols && label.size() == x.rows);
  CIE_ASSERT(threshold > 0.5 && threshold <= 1.0);
  std::vector<LeakingFeature> out;
  for (std::size_t j = 0; j < x.cols; ++j) {
    std::span<float const> const values(x.column(j), x.rows);
    double const auc = univariate_auc(values, label);
    double const strength = std::max(auc, 1.0 - auc);
    if (strength > threshold) {
      out.push_back({names[j], strength});
      continue;
    }
    LeakingFeature tail = pure_tail(values, label);
    // share^rows < 1e-12, in logarithms; a share of 1 (one class only) is never a sign.
    if (tail.tail_rows >= 30 && tail.class_share < 1.0 &&
        static_cast<double>(tail.tail_rows) * std::log(tail.class_share) < std::log(1e-12)) {
      tail.name = names[j];
      tail.auc = strength;
      out.push_back(std::move(tail));
    }
  }
  return out;
}

}  // namespace cie

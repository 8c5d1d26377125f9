// Shared data of the gradient-boosting tests: rows from a known nonlinear model with optional
// missing values.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/linear_rules.hpp"
#include "models/gbdt/gbdt.hpp"
#include "tests/test_support.hpp"

namespace cie {

inline constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

struct TestData {
  std::vector<float> x;  // column-major
  std::vector<float> y;
  std::vector<float> weight;
  std::size_t rows = 0;
  std::size_t cols = 0;
  [[nodiscard]] FeatureMatrix matrix() const { return {x.data(), rows, cols}; }
};

/// x ~ U(−2, 2) per column, a share `missing` of values NaN; P(y = 1) = σ(2·[x0 > 0.3] −
/// x1² + 0.5·x2 − 0.5) (a missing value counts as 0); weights in {1, 2}.
inline TestData make_test_data(std::size_t rows, std::size_t cols, std::uint64_t seed,
                               double missing) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  TestData d{std::vector<float>(rows * cols), std::vector<float>(rows), std::vector<float>(rows),
             rows, cols};
  for (float& v : d.x) {
    v = uniform(rng) < missing ? kNaN : static_cast<float>(4.0 * uniform(rng) - 2.0);
  }
  auto const value = [&](std::size_t j, std::size_t i) {
    if (j >= cols) return 0.0;
    float const v = d.x[j * rows + i];
    return std::isnan(v) ? 0.0 : static_cast<double>(v);
  };
  for (std::size_t i = 0; i < rows; ++i) {
    double const z =
        2.0 * (value(0, i) > 0.3) - value(1, i) * value(1, i) + 0.5 * value(2, i) - 0.5;
    d.y[i] = uniform(rng) < 1.0 / (1.0 + std::exp(-z)) ? 1.0f : 0.0f;
    d.weight[i] = i % 4 == 0 ? 2.0f : 1.0f;
  }
  return d;
}

/// Mean log-loss of margins.
inline double log_loss_of(std::vector<double> const& margin, std::vector<float> const& y) {
  double sum = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) sum += kernels::logistic_loss(margin[i], y[i]);
  return sum / static_cast<double>(y.size());
}

/// Per tree: (leaves, deepest leaf's depth).
inline std::vector<std::pair<int, int>> tree_shapes(GbdtModel const& model) {
  std::vector<std::pair<int, int>> shapes;
  for (std::int32_t const root : model.roots) {
    int leaves = 0, depth = 0;
    std::vector<std::pair<std::int32_t, int>> stack{{root, 0}};
    while (!stack.empty()) {
      auto const [node, level] = stack.back();
      stack.pop_back();
      if (model.nodes[node].feature < 0) {
        ++leaves;
        depth = std::max(depth, level);
      } else {
        stack.emplace_back(model.nodes[node].left, level + 1);
        stack.emplace_back(model.nodes[node].right, level + 1);
      }
    }
    shapes.emplace_back(leaves, depth);
  }
  return shapes;
}

/// Training rows reaching each leaf node (index = node).
inline std::vector<int> leaf_counts(GbdtModel const& model, TestData const& d, std::size_t tree) {
  std::vector<int> counts(model.nodes.size(), 0);
  for (std::size_t i = 0; i < d.rows; ++i) {
    std::int32_t node = model.roots[tree];
    while (model.nodes[node].feature >= 0) {
      kernels::GbdtNode const& s = model.nodes[node];
      node = kernels::goes_left(d.x[s.feature * d.rows + i], s.threshold, s.default_left != 0)
                 ? s.left
                 : s.right;
    }
    ++counts[node];
  }
  return counts;
}

}  // namespace cie

// Exact TreeSHAP (GbdtModel::contributions, kernels/cpu/gbdt_shap.cpp): equal to Shapley values
// computed by enumerating every subset of each tree's features (the cover-weighted conditional
// expectation as the value of a subset), summing to the margin for every row, zero for features
// no tree uses, and the same bits for 1 and 3 threads.
#include <gmock/gmock.h>

#include <algorithm>
#include <set>

#include "tests/models/gbdt/gbdt_test_data.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

/// v(S): the tree's value for row i when only the features in `known` are known (the others
/// follow both children, weighted by cover).
double subset_value(GbdtModel const& model, TestData const& d, std::size_t i, std::int32_t node,
                    std::set<std::int32_t> const& known) {
  kernels::GbdtNode const& s = model.nodes[node];
  if (s.feature < 0) return s.value;
  if (known.count(s.feature) != 0) {
    bool const left =
        kernels::node_goes_left(s, d.x[s.feature * d.rows + i], model.category_bits.data());
    return subset_value(model, d, i, left ? s.left : s.right, known);
  }
  double const total = model.node_cover[node];
  return (model.node_cover[s.left] * subset_value(model, d, i, s.left, known) +
          model.node_cover[s.right] * subset_value(model, d, i, s.right, known)) /
         total;
}

/// Shapley values of row i by enumerating the subsets of each tree's features.
std::vector<double> brute_force_shap(GbdtModel const& model, TestData const& d, std::size_t i) {
  std::vector<double> phi(d.cols, 0.0);
  for (std::int32_t const root : model.roots) {
    std::vector<std::int32_t> used, stack{root};
    while (!stack.empty()) {
      kernels::GbdtNode const& s = model.nodes[stack.back()];
      stack.pop_back();
      if (s.feature < 0) continue;
      used.push_back(s.feature);
      stack.push_back(s.left);
      stack.push_back(s.right);
    }
    std::sort(used.begin(), used.end());
    used.erase(std::unique(used.begin(), used.end()), used.end());
    auto const m = static_cast<int>(used.size());
    std::vector<double> factorial(m + 1, 1.0);
    for (int n = 1; n <= m; ++n) factorial[n] = factorial[n - 1] * n;
    for (int j = 0; j < m; ++j) {
      for (unsigned mask = 0; mask < (1u << m); ++mask) {
        if ((mask >> j) & 1u) continue;
        std::set<std::int32_t> known;
        for (int b = 0; b < m; ++b) {
          if ((mask >> b) & 1u) known.insert(used[b]);
        }
        auto const size = static_cast<int>(known.size());
        double const weight = factorial[size] * factorial[m - size - 1] / factorial[m];
        double const without = subset_value(model, d, i, root, known);
        known.insert(used[j]);
        phi[used[j]] += weight * (subset_value(model, d, i, root, known) - without);
      }
    }
  }
  return phi;
}

GbdtModel small_forest(TestData const& d, bool categorical = false) {
  GbdtParams params;
  if (categorical) {
    params.categorical_features = {0};
    params.min_data_per_group = 10;
  }
  params.n_trees = 12;
  params.num_leaves = 8;
  params.min_data_in_leaf = 5;
  params.colsample_bytree = 0.8;
  return gbdt_fit(Context::cpu(1), params, d.matrix(), d.y, d.weight);
}

void expect_brute_force(GbdtModel const& model, TestData const& d);

TEST(GbdtShap, EqualsShapleyValuesBySubsetEnumeration) {
  TestData d = make_test_data(400, 5, 7, 0.15);
  GbdtModel const model = small_forest(d);
  expect_brute_force(model, d);
  // Column 0 as 8 level codes, split natively.
  for (std::size_t i = 0; i < d.rows; ++i) {
    float& v = d.x[i];
    if (!std::isnan(v)) v = std::floor((v + 2.0f) * 2.0f);
  }
  GbdtModel const categorical = small_forest(d, true);
  ASSERT_FALSE(categorical.category_bits.empty());
  expect_brute_force(categorical, d);
}

void expect_brute_force(GbdtModel const& model, TestData const& d) {
  std::vector<double> out(d.rows * (d.cols + 1));
  model.contributions(Context::cpu(1), d.matrix(), out);
  for (std::size_t i = 0; i < 40; ++i) {
    std::vector<double> const expected = brute_force_shap(model, d, i);
    for (std::size_t j = 0; j < d.cols; ++j) {
      EXPECT_NEAR(out[i * (d.cols + 1) + j], expected[j], 1e-12) << "row " << i << " feature " << j;
    }
  }
}

TEST(GbdtShap, SumsToTheMarginForEveryRowAndIsTheSameForAnyThreadCount) {
  // Deep leaf-wise trees that split on the same feature again and again, with missing values.
  TestData const d = make_test_data(3000, 6, 11, 0.2);
  GbdtParams params;
  params.n_trees = 40;
  params.num_leaves = 63;
  params.min_data_in_leaf = 3;
  params.min_child_weight = 0.0;
  GbdtModel const model = gbdt_fit(Context::cpu(2), params, d.matrix(), d.y, d.weight);
  std::vector<double> margin(d.rows);
  model.predict_margin(Context::cpu(1), d.matrix(), margin);
  std::vector<double> one(d.rows * (d.cols + 1)), three(one.size());
  model.contributions(Context::cpu(1), d.matrix(), one);
  model.contributions(Context::cpu(3), d.matrix(), three);
  EXPECT_EQ(one, three);
  for (std::size_t i = 0; i < d.rows; ++i) {
    double sum = 0.0;
    for (std::size_t j = 0; j <= d.cols; ++j) sum += one[i * (d.cols + 1) + j];
    ASSERT_NEAR(sum, margin[i], 1e-10 * (1.0 + std::abs(margin[i]))) << "row " << i;
  }
}

TEST(GbdtShap, FeaturesNoTreeUsesGetZeroAndTheReferenceIsTheCoverWeightedMean) {
  TestData d = make_test_data(500, 4, 3, 0.0);
  std::fill(d.x.begin() + 3 * 500, d.x.end(), 1.0f);  // column 3 constant: never split on
  GbdtParams params;
  params.n_trees = 1;
  params.num_leaves = 2;
  params.learning_rate = 1.0;
  GbdtModel const model = gbdt_fit(Context::cpu(1), params, d.matrix(), d.y);
  std::vector<double> out(d.rows * 5);
  model.contributions(Context::cpu(1), d.matrix(), out);
  kernels::GbdtNode const& root = model.nodes[model.roots[0]];
  double const expected =
      model.base_score + (model.node_cover[root.left] * model.nodes[root.left].value +
                          model.node_cover[root.right] * model.nodes[root.right].value) /
                             model.node_cover[model.roots[0]];
  for (std::size_t i = 0; i < d.rows; ++i) {
    EXPECT_EQ(out[i * 5 + 3], 0.0);
    EXPECT_NEAR(out[i * 5 + 4], expected, 1e-12);
    // One split: the split feature's contribution is the leaf value minus the mean.
    bool const left = kernels::goes_left(d.x[root.feature * d.rows + i], root.threshold, false);
    double const leaf = model.nodes[left ? root.left : root.right].value;
    EXPECT_NEAR(out[i * 5 + root.feature], leaf + model.base_score - expected, 1e-12);
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

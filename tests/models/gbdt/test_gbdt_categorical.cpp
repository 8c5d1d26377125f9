// Native categorical splits (models/gbdt/tree_grower.hpp): one level against the rest below
// max_cat_to_onehot levels, the gradient-sorted set above it, missing and unseen levels going
// the default way, the same trees for 1 and 3 threads, the JSON form, and TreeSHAP summing to
// the margin through categorical splits.
#include <gmock/gmock.h>

#include <random>

#include "core/error.hpp"
#include "tests/models/gbdt/gbdt_test_data.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using testing::expect_error;

/// Rows of one categorical feature (codes 0 .. rates.size() − 1, some missing) and one numeric
/// noise feature; P(y = 1) = rates[code] (missing: missing_rate).
TestData categorical_data(std::vector<double> const& rates, double missing_rate, std::size_t rows,
                          std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  TestData d{std::vector<float>(rows * 2), std::vector<float>(rows), std::vector<float>(rows), rows,
             2};
  for (std::size_t i = 0; i < rows; ++i) {
    bool const missing = i % 10 == 9;
    auto const code = static_cast<int>(i % rates.size());
    d.x[i] = missing ? kNaN : static_cast<float>(code);
    d.x[rows + i] = static_cast<float>(unit(rng));
    d.y[i] = unit(rng) < (missing ? missing_rate : rates[code]) ? 1.0f : 0.0f;
    d.weight[i] = 1.0f;
  }
  return d;
}

GbdtParams stump_params() {
  GbdtParams params;
  params.n_trees = 1;
  params.num_leaves = 2;
  params.learning_rate = 1.0;
  params.categorical_features = {0};
  params.min_data_per_group = 10;
  return params;
}

/// The training levels (codes below `levels`) in a split's left set.
std::vector<int> left_set(GbdtModel const& model, kernels::GbdtNode const& node, int levels) {
  std::vector<int> codes;
  for (int code = 0; code < levels; ++code) {
    if (kernels::in_category_set(
            model.category_bits.data() + node.categories * kernels::kCategoryWords, code)) {
      codes.push_back(code);
    }
  }
  return codes;
}

TEST(GbdtCategorical, FewLevelsSplitOneLevelAgainstTheRest) {
  TestData const d = categorical_data({0.2, 0.9, 0.25}, 0.2, 3000, 1);
  GbdtModel const model = gbdt_fit(Context::cpu(1), stump_params(), d.matrix(), d.y);
  kernels::GbdtNode const& root = model.nodes[model.roots[0]];
  ASSERT_EQ(root.feature, 0);
  ASSERT_GE(root.categories, 0);
  EXPECT_THAT(left_set(model, root, 255), ::testing::ElementsAre(1));
  EXPECT_EQ(model.categorical, (std::vector<std::uint8_t>{1, 0}));
  EXPECT_TRUE(model.bin_edges[0].empty());
}

TEST(GbdtCategorical, ManyLevelsSplitIntoTheGradientSortedSets) {
  // Levels 1, 4, 6 and 7 respond far more than the others: no single level, but the sorted
  // partition separates exactly them.
  std::vector<double> const rates = {0.1, 0.8, 0.15, 0.1, 0.85, 0.2, 0.8, 0.9, 0.1, 0.15};
  TestData const d = categorical_data(rates, 0.1, 8000, 2);
  GbdtModel const model = gbdt_fit(Context::cpu(1), stump_params(), d.matrix(), d.y);
  kernels::GbdtNode const& root = model.nodes[model.roots[0]];
  ASSERT_EQ(root.feature, 0);
  ASSERT_GE(root.categories, 0);
  std::vector<int> const left = left_set(model, root, 10);
  std::vector<int> const high = {1, 4, 6, 7};
  std::vector<int> low = {0, 2, 3, 5, 8, 9};
  EXPECT_TRUE(left == high || left == low) << ::testing::PrintToString(left);
  // The larger learning: the margins of the two sides order as the rates do.
  double const high_value = model.nodes[left == high ? root.left : root.right].value;
  double const low_value = model.nodes[left == high ? root.right : root.left].value;
  EXPECT_GT(high_value, low_value);
}

TEST(GbdtCategorical, MissingAndUnseenLevelsGoTheDefaultWay) {
  // Missing rows respond like level 1: they join its side.
  TestData const d = categorical_data({0.2, 0.9, 0.25}, 0.9, 3000, 3);
  GbdtModel const model = gbdt_fit(Context::cpu(1), stump_params(), d.matrix(), d.y);
  kernels::GbdtNode const& root = model.nodes[model.roots[0]];
  ASSERT_GE(root.categories, 0);
  EXPECT_THAT(left_set(model, root, 3), ::testing::ElementsAre(1));
  EXPECT_EQ(root.default_left, 1);
  // Codes the training never saw (3 .. 254) go the default way too.
  EXPECT_EQ(left_set(model, root, 255).size(), 1u + 252u);
  std::vector<float> const x = {1.0f, kNaN, 200.0f, -1.0f, 0.0f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
  std::vector<double> margin(5);
  model.predict_margin(Context::cpu(1), {x.data(), 5, 2}, margin);
  double const left = model.base_score + model.nodes[root.left].value;
  double const right = model.base_score + model.nodes[root.right].value;
  EXPECT_THAT(margin, ::testing::ElementsAre(left, left, left, left, right));
}

TEST(GbdtCategorical, SameTreesForAnyThreadCountAndTheJsonRoundTrip) {
  std::vector<double> const rates = {0.1, 0.8, 0.15, 0.1, 0.85, 0.2, 0.8, 0.9, 0.1, 0.15, 0.5};
  TestData const d = categorical_data(rates, 0.3, 6000, 4);
  GbdtParams params;
  params.n_trees = 10;
  params.num_leaves = 15;
  params.categorical_features = {0};
  params.min_data_per_group = 20;
  params.subsample = 0.8;
  GbdtModel const one = gbdt_fit(Context::cpu(1), params, d.matrix(), d.y);
  GbdtModel const three = gbdt_fit(Context::cpu(3), params, d.matrix(), d.y);
  EXPECT_EQ(one.to_json().dump(), three.to_json().dump());
  EXPECT_FALSE(one.category_bits.empty());
  GbdtModel const back = GbdtModel::from_json(nlohmann::json::parse(one.to_json().dump()), "m");
  EXPECT_EQ(back.to_json().dump(), one.to_json().dump());
  std::vector<double> a(d.rows), b(d.rows);
  one.predict_margin(Context::cpu(1), d.matrix(), a);
  back.predict_margin(Context::cpu(2), d.matrix(), b);
  EXPECT_EQ(a, b);
  // TreeSHAP through categorical splits sums to the margin.
  std::vector<double> phi(d.rows * 3);
  one.contributions(Context::cpu(2), d.matrix(), phi);
  for (std::size_t i = 0; i < d.rows; ++i) {
    ASSERT_NEAR(phi[3 * i] + phi[3 * i + 1] + phi[3 * i + 2], a[i], 1e-10) << i;
  }
  nlohmann::json bad = one.to_json();
  for (std::size_t n = 0; n < bad["trees"]["categories"].size(); ++n) {
    if (!bad["trees"]["categories"][n].empty()) bad["trees"]["categories"][n][0] = 255;
  }
  expect_error([&] { GbdtModel::from_json(bad, "m"); }, ExitCode::kUsage, "bad level code");
}

TEST(GbdtCategorical, AModelFileWithoutCategoricalKeysLoadsAsNumeric) {
  // Model files written before categorical splits have neither key.
  TestData const d = make_test_data(500, 3, 6, 0.1);
  GbdtParams params;
  params.n_trees = 5;
  GbdtModel const model = gbdt_fit(Context::cpu(1), params, d.matrix(), d.y);
  nlohmann::json old = model.to_json();
  old.erase("categorical_features");
  old["trees"].erase("categories");
  GbdtModel const back = GbdtModel::from_json(old, "old.json");
  EXPECT_EQ(back.categorical, (std::vector<std::uint8_t>{0, 0, 0}));
  EXPECT_TRUE(back.category_bits.empty());
  EXPECT_EQ(back.to_json().dump(), model.to_json().dump());
}

TEST(GbdtCategorical, BadCategoricalParametersAreRefused) {
  TestData const d = categorical_data({0.2, 0.9}, 0.2, 100, 5);
  GbdtParams params = stump_params();
  params.categorical_features = {2};
  expect_error([&] { gbdt_fit(Context::cpu(1), params, d.matrix(), d.y); }, ExitCode::kUsage,
               "categorical feature 2 is out of range");
  params = stump_params();
  params.cat_smooth = -1.0;
  expect_error([&] { gbdt_fit(Context::cpu(1), params, d.matrix(), d.y); }, ExitCode::kUsage,
               "cat_smooth");
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

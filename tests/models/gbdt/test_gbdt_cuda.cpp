// A fit on a CUDA Context (the CUDA emulation in CI, kernels/cuda/emulation/README.md) against
// the same fit on the CPU: the issue asks for the same splits and thresholds and leaf values
// within 1e-9 relative; the twins are built to give the same bits, so the whole model is
// compared exactly (every node, gain, cover, categorical set, the validation losses and early
// stopping), and so are the margins scored on each device.
#include <gtest/gtest.h>

#include <random>

#include "tests/models/gbdt/gbdt_test_data.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using testing::emulated_size;

void expect_same_models(GbdtModel const& cpu, GbdtModel const& cuda) {
  ASSERT_EQ(cpu.nodes.size(), cuda.nodes.size());
  EXPECT_EQ(cpu.roots, cuda.roots);
  EXPECT_EQ(cpu.base_score, cuda.base_score);
  EXPECT_EQ(cpu.bin_edges, cuda.bin_edges);
  int splits = 0;
  for (std::size_t n = 0; n < cpu.nodes.size(); ++n) {
    kernels::GbdtNode const& a = cpu.nodes[n];
    kernels::GbdtNode const& b = cuda.nodes[n];
    ASSERT_EQ(a.feature, b.feature) << "node " << n;
    ASSERT_EQ(a.left, b.left) << "node " << n;
    ASSERT_EQ(a.right, b.right) << "node " << n;
    ASSERT_EQ(a.threshold, b.threshold) << "node " << n;
    ASSERT_EQ(a.bin, b.bin) << "node " << n;
    ASSERT_EQ(a.default_left, b.default_left) << "node " << n;
    ASSERT_EQ(a.categories, b.categories) << "node " << n;
    // The bound is 1e-9 relative; the twins agree exactly.
    ASSERT_NEAR(a.value, b.value, 1e-9 * std::abs(a.value)) << "node " << n;
    ASSERT_EQ(a.value, b.value) << "node " << n;
    splits += a.feature >= 0 ? 1 : 0;
  }
  EXPECT_GT(splits, static_cast<int>(cpu.roots.size())) << "trees that split";
  EXPECT_EQ(cpu.category_bits, cuda.category_bits);
  EXPECT_EQ(cpu.node_gain, cuda.node_gain);
  EXPECT_EQ(cpu.node_cover, cuda.node_cover);
  EXPECT_EQ(cpu.validation_loss, cuda.validation_loss);
  EXPECT_EQ(cpu.best_iteration, cuda.best_iteration);
  EXPECT_EQ(cpu.to_json().dump(), cuda.to_json().dump());
}

std::unique_ptr<Context> cuda_context() {
  std::string reason;
  return testing::make_backend_context(Backend::kCuda, reason);
}

TEST(GbdtFitCuda, LeafwiseWithMissingValuesWeightsAndSamplingEqualsTheCpuFit) {
  std::unique_ptr<Context> const cuda = cuda_context();
  if (!cuda) GTEST_SKIP() << "no usable CUDA device";
  TestData const d = make_test_data(emulated_size<std::size_t>(20000, 3000), 6, 21, 0.1);
  TestData const valid = make_test_data(emulated_size<std::size_t>(5000, 800), 6, 22, 0.1);
  GbdtParams params;
  params.n_trees = emulated_size(30, 8);
  params.num_leaves = 15;
  params.subsample = 0.8;
  params.colsample_bytree = 0.7;
  params.lambda = 1.0;
  params.early_stopping_rounds = 3;
  GbdtValidation const validation{valid.matrix(), valid.y, {}};
  GbdtModel const on_cpu =
      gbdt_fit(Context::cpu(2), params, d.matrix(), d.y, d.weight, &validation);
  GbdtModel const on_cuda = gbdt_fit(*cuda, params, d.matrix(), d.y, d.weight, &validation);
  expect_same_models(on_cpu, on_cuda);

  // Scored on either device: the same margins.
  std::vector<double> cpu_margin(valid.rows), cuda_margin(valid.rows);
  on_cuda.predict_margin(Context::cpu(2), valid.matrix(), cpu_margin);
  on_cpu.predict_margin(*cuda, valid.matrix(), cuda_margin);
  EXPECT_EQ(cpu_margin, cuda_margin);
  double const prior = log_loss_of(std::vector<double>(valid.rows, on_cpu.base_score), valid.y);
  EXPECT_LT(log_loss_of(cpu_margin, valid.y), prior - 0.02) << "the model learned the signal";
}

TEST(GbdtFitCuda, DepthwiseSquaredErrorWithCategoricalFeaturesEqualsTheCpuFit) {
  std::unique_ptr<Context> const cuda = cuda_context();
  if (!cuda) GTEST_SKIP() << "no usable CUDA device";
  std::size_t const rows = emulated_size<std::size_t>(20000, 3000);
  TestData d = make_test_data(rows, 5, 31, 0.05);
  // Feature 3: 3 levels (one against the rest); feature 4: 40 levels (gradient-sorted sets);
  // the target depends on both.
  std::mt19937_64 rng(32);
  for (std::size_t i = 0; i < rows; ++i) {
    int const few = static_cast<int>(rng() % 3);
    int const many = static_cast<int>(rng() % 40);
    d.x[3 * rows + i] = i % 17 == 0 ? kNaN : static_cast<float>(few);
    d.x[4 * rows + i] = static_cast<float>(many);
    d.y[i] = static_cast<float>(d.y[i] + 0.5 * few - (many % 4 == 1 ? 1.0 : 0.0));
  }
  GbdtParams params;
  params.objective = GbdtObjective::kSquaredError;
  params.growth = TreeGrowth::kDepthwise;
  params.max_depth = 4;
  params.num_leaves = 0;
  params.n_trees = emulated_size(20, 6);
  params.categorical_features = {3, 4};
  params.min_data_per_group = 20;
  params.cat_smooth = 5.0;
  params.max_bin = 63;
  params.alpha = 0.5;
  GbdtModel const on_cpu = gbdt_fit(Context::cpu(3), params, d.matrix(), d.y, d.weight);
  GbdtModel const on_cuda = gbdt_fit(*cuda, params, d.matrix(), d.y, d.weight);
  expect_same_models(on_cpu, on_cuda);
  bool categorical_split = false;
  for (kernels::GbdtNode const& node : on_cpu.nodes) categorical_split |= node.categories >= 0;
  EXPECT_TRUE(categorical_split) << "the categorical paths ran";
}

TEST(GbdtFitCuda, TreesOfMoreThan256LeavesOnEveryRowEqualTheCpuFit) {
  // Every row in every tree's sample: the CPU fit adds the leaf values to the margins from the
  // leaves' row ranges (above 256 leaves, range by range), the CUDA fit routes the rows on the
  // device; the next trees' gradients come from those margins, so the models must be equal.
  std::unique_ptr<Context> const cuda = cuda_context();
  if (!cuda) GTEST_SKIP() << "no usable CUDA device";
  TestData const d = make_test_data(emulated_size<std::size_t>(8000, 3000), 6, 41, 0.1);
  GbdtParams params;
  params.n_trees = 3;
  params.num_leaves = 300;
  params.min_data_in_leaf = 2;
  params.min_child_weight = 0.0;
  GbdtModel const on_cpu = gbdt_fit(Context::cpu(2), params, d.matrix(), d.y);
  GbdtModel const on_cuda = gbdt_fit(*cuda, params, d.matrix(), d.y);
  expect_same_models(on_cpu, on_cuda);
  ASSERT_EQ(on_cpu.roots.size(), 3u);
  int first_tree_leaves = 0;  // tree 0's nodes are nodes[0 .. roots[1])
  for (std::int32_t n = on_cpu.roots[0]; n < on_cpu.roots[1]; ++n) {
    first_tree_leaves += on_cpu.nodes[static_cast<std::size_t>(n)].feature < 0 ? 1 : 0;
  }
  EXPECT_GT(first_tree_leaves, 256) << "the margins after tree 0 took the path above 256 leaves";
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

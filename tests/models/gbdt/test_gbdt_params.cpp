// One effect test per hyper-parameter of models/gbdt/gbdt.hpp: changing it changes the trees the
// way its definition says.
#include <algorithm>
#include <cfloat>
#include <set>

#include "tests/models/gbdt/gbdt_test_data.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

class GbdtParamsTest : public ::testing::Test {
 protected:
  GbdtParamsTest() : d_(make_test_data(2000, 4, 21, 0.05)) {
    base_.n_trees = 5;
    base_.num_leaves = 8;
  }
  GbdtModel fit(GbdtParams const& params) const {
    return gbdt_fit(Context::cpu(2), params, d_.matrix(), d_.y);
  }
  double train_loss(GbdtModel const& model) const {
    std::vector<double> margin(d_.rows);
    model.predict_margin(Context::cpu(2), d_.matrix(), margin);
    return log_loss_of(margin, d_.y);
  }
  TestData d_;
  GbdtParams base_;
};

TEST_F(GbdtParamsTest, NTreesAndLearningRate) {
  GbdtParams more = base_;
  more.n_trees = 20;
  GbdtModel const few_model = fit(base_), more_model = fit(more);
  EXPECT_EQ(few_model.roots.size(), 5u);
  EXPECT_EQ(more_model.roots.size(), 20u);
  EXPECT_LT(train_loss(more_model), train_loss(few_model));
  // The first tree's leaves scale with the learning rate.
  GbdtParams half = base_;
  half.learning_rate = 0.05;
  GbdtModel const half_model = fit(half);
  ASSERT_EQ(few_model.roots[1], half_model.roots[1]);  // same first tree shape
  for (std::int32_t i = 0; i < few_model.roots[1]; ++i) {
    EXPECT_NEAR(half_model.nodes[i].value, few_model.nodes[i].value / 2.0, 1e-12);
  }
}

TEST_F(GbdtParamsTest, NumLeavesMaxDepthAndGrowth) {
  for (int leaves : {2, 5, 8}) {
    GbdtParams p = base_;
    p.num_leaves = leaves;
    for (auto const& [count, depth] : tree_shapes(fit(p))) EXPECT_EQ(count, leaves);
  }
  GbdtParams shallow = base_;
  shallow.num_leaves = 31;
  shallow.max_depth = 2;
  for (auto const& [count, depth] : tree_shapes(fit(shallow))) {
    EXPECT_LE(depth, 2);
    EXPECT_LE(count, 4);
  }
  // Depth-wise with no leaf limit fills every level it can; leaf-wise at the same leaf count
  // grows deeper, lopsided trees.
  GbdtParams depthwise = base_;
  depthwise.growth = TreeGrowth::kDepthwise;
  depthwise.num_leaves = 0;
  depthwise.max_depth = 3;
  for (auto const& [count, depth] : tree_shapes(fit(depthwise))) {
    EXPECT_EQ(count, 8);
    EXPECT_EQ(depth, 3);
  }
  GbdtParams leafwise = base_;
  int deepest = 0;
  for (auto const& [count, depth] : tree_shapes(fit(leafwise))) deepest = std::max(deepest, depth);
  EXPECT_GT(deepest, 3);
}

TEST_F(GbdtParamsTest, MaxBin) {
  GbdtParams coarse = base_;
  coarse.max_bin = 4;
  GbdtModel const model = fit(coarse);
  for (auto const& edges : model.bin_edges) EXPECT_LE(edges.size(), 3u);
  for (auto const& edges : fit(base_).bin_edges) EXPECT_GT(edges.size(), 100u);
  for (kernels::GbdtNode const& node : model.nodes) {
    if (node.feature < 0) continue;
    auto const& edges = model.bin_edges[node.feature];
    EXPECT_TRUE(node.threshold == FLT_MAX ||
                std::find(edges.begin(), edges.end(), node.threshold) != edges.end());
  }
}

TEST_F(GbdtParamsTest, MinDataInBin) {
  // Column 0 holds 2000 distinct values: 255 quantile bins of ~8 rows, or fewer of >= 50 rows.
  GbdtParams wide = base_;
  wide.min_data_in_bin = 50;
  GbdtModel const model = fit(wide);
  std::vector<float> const& edges = model.bin_edges[0];
  EXPECT_LE(edges.size(), 40u);
  std::vector<float> column(d_.x.begin(), d_.x.begin() + static_cast<std::ptrdiff_t>(d_.rows));
  for (std::size_t b = 0; b < edges.size(); ++b) {
    float const low = b == 0 ? -FLT_MAX : edges[b - 1];
    auto const rows = std::count_if(column.begin(), column.end(),
                                    [&](float v) { return v > low && v <= edges[b]; });
    EXPECT_GE(rows, 50) << "bin " << b;
  }
  EXPECT_GT(fit(base_).bin_edges[0].size(), 200u);
}

TEST_F(GbdtParamsTest, MinDataInLeafAndMinChildWeight) {
  GbdtParams p = base_;
  p.num_leaves = 31;
  p.min_data_in_leaf = 150;
  GbdtModel const model = fit(p);
  for (std::size_t t = 0; t < model.roots.size(); ++t) {
    std::vector<int> const counts = leaf_counts(model, d_, t);
    for (std::size_t node = 0; node < counts.size(); ++node) {
      if (model.nodes[node].feature < 0 && counts[node] > 0) {
        EXPECT_GE(counts[node], 150);
      }
    }
  }
  GbdtParams heavy = base_;
  heavy.num_leaves = 31;
  heavy.min_child_weight = 60.0;  // hessian ≈ 0.2 per row: about 300 rows
  GbdtModel const heavy_model = fit(heavy);
  for (std::size_t node = 0; node < heavy_model.nodes.size(); ++node) {
    EXPECT_GE(heavy_model.node_cover[node], 60.0);
  }
}

TEST_F(GbdtParamsTest, LambdaAlphaAndMinSplitGain) {
  GbdtParams stump = base_;
  stump.n_trees = 1;
  stump.num_leaves = 2;
  GbdtParams l2 = stump;
  l2.lambda = 500.0;
  GbdtModel const plain = fit(stump), shrunk = fit(l2);
  ASSERT_EQ(plain.nodes.size(), 3u);
  ASSERT_EQ(shrunk.nodes.size(), 3u);
  for (int leaf : {1, 2}) {
    EXPECT_LT(std::abs(shrunk.nodes[leaf].value), std::abs(plain.nodes[leaf].value));
  }
  GbdtParams l1 = stump;
  l1.alpha = 1e6;  // beyond every |G|: no gain, a single leaf of value 0
  GbdtModel const zero = fit(l1);
  ASSERT_EQ(zero.nodes.size(), 1u);
  EXPECT_EQ(zero.nodes[0].value, 0.0);
  GbdtParams gain = stump;
  gain.min_split_gain = plain.node_gain[0];  // the best gain is not strictly above it
  EXPECT_EQ(fit(gain).nodes.size(), 1u);
  gain.min_split_gain = plain.node_gain[0] * 0.999;
  EXPECT_EQ(fit(gain).nodes.size(), 3u);
}

TEST_F(GbdtParamsTest, SubsampleAndColsampleAreSeeded) {
  GbdtParams rows = base_;
  rows.subsample = 0.5;
  std::string const a = fit(rows).to_json().dump();
  EXPECT_EQ(fit(rows).to_json().dump(), a);
  EXPECT_NE(fit(base_).to_json().dump(), a);
  rows.seed = 7;
  EXPECT_NE(fit(rows).to_json().dump(), a);
  // Half the rows: the root's cover is about half.
  GbdtModel const half = fit(rows);
  EXPECT_NEAR(half.node_cover[0] / fit(base_).node_cover[0], 0.5, 0.05);

  GbdtParams cols = base_;
  cols.colsample_bytree = 0.25;  // one of the four features per tree
  GbdtModel const model = fit(cols);
  std::set<int> used_overall;
  for (std::size_t t = 0; t < model.roots.size(); ++t) {
    std::size_t const end = t + 1 < model.roots.size() ? model.roots[t + 1] : model.nodes.size();
    std::set<int> used;
    for (std::size_t i = model.roots[t]; i < end; ++i) {
      if (model.nodes[i].feature >= 0) used.insert(model.nodes[i].feature);
    }
    EXPECT_LE(used.size(), 1u);
    used_overall.insert(used.begin(), used.end());
  }
  EXPECT_GT(used_overall.size(), 1u) << "another feature in another tree";
}

TEST_F(GbdtParamsTest, ScalePosWeightAndSampleWeights) {
  double positives = 0.0;
  for (float const y : d_.y) positives += y;
  double const negatives = static_cast<double>(d_.rows) - positives;
  GbdtParams scaled = base_;
  scaled.scale_pos_weight = 3.0;
  EXPECT_NEAR(fit(scaled).base_score, std::log(3.0 * positives / negatives), 1e-12);
  // Weight 2 is the same as the row twice (min_data_in_leaf and min_data_in_bin 1: they count
  // rows, not weights).
  GbdtParams p = base_;
  p.min_data_in_leaf = 1;
  p.min_data_in_bin = 1;
  std::vector<float> w(d_.rows, 1.0f);
  TestData twice = d_;
  for (std::size_t i = 0; i < d_.rows; i += 3) {
    w[i] = 2.0f;
    for (std::size_t j = 0; j < d_.cols; ++j) twice.x.push_back(0.0f);
    twice.y.push_back(d_.y[i]);
  }
  twice.rows = twice.y.size();
  twice.x.assign(twice.rows * d_.cols, 0.0f);
  std::size_t extra = d_.rows;
  for (std::size_t i = 0; i < d_.rows; ++i) {
    for (std::size_t j = 0; j < d_.cols; ++j) twice.x[j * twice.rows + i] = d_.x[j * d_.rows + i];
    if (i % 3 == 0) {
      for (std::size_t j = 0; j < d_.cols; ++j) {
        twice.x[j * twice.rows + extra] = d_.x[j * d_.rows + i];
      }
      ++extra;
    }
  }
  GbdtModel const weighted = gbdt_fit(Context::cpu(2), p, d_.matrix(), d_.y, w);
  GbdtModel const duplicated = gbdt_fit(Context::cpu(2), p, twice.matrix(), twice.y);
  ASSERT_EQ(weighted.nodes.size(), duplicated.nodes.size());
  for (std::size_t i = 0; i < weighted.nodes.size(); ++i) {
    EXPECT_EQ(weighted.nodes[i].feature, duplicated.nodes[i].feature);
    EXPECT_EQ(weighted.nodes[i].threshold, duplicated.nodes[i].threshold);
    EXPECT_NEAR(weighted.nodes[i].value, duplicated.nodes[i].value, 1e-9);
  }
}

TEST_F(GbdtParamsTest, EarlyStoppingKeepsTheBestIteration) {
  TestData const v = make_test_data(1000, 4, 22, 0.05);
  GbdtParams p = base_;
  p.n_trees = 400;
  p.learning_rate = 0.5;
  p.num_leaves = 31;
  p.min_data_in_leaf = 2;
  p.early_stopping_rounds = 10;
  GbdtValidation const validation{v.matrix(), v.y, {}};
  GbdtModel const model = gbdt_fit(Context::cpu(2), p, d_.matrix(), d_.y, {}, &validation);
  ASSERT_GE(model.best_iteration, 0);
  EXPECT_LT(model.validation_loss.size(), 400u) << "stopped early";
  EXPECT_EQ(model.validation_loss.size(), static_cast<std::size_t>(model.best_iteration) + 11);
  EXPECT_EQ(model.roots.size(), static_cast<std::size_t>(model.best_iteration) + 1);
  double const best = *std::min_element(model.validation_loss.begin(), model.validation_loss.end());
  EXPECT_EQ(model.validation_loss[model.best_iteration], best);
  std::vector<double> margin(v.rows);
  model.predict_margin(Context::cpu(1), v.matrix(), margin);
  EXPECT_NEAR(log_loss_of(margin, v.y), best, 1e-12);
}

TEST_F(GbdtParamsTest, SquaredErrorStartsAtTheMeanAndFitsIt) {
  GbdtParams p = base_;
  p.objective = GbdtObjective::kSquaredError;
  p.n_trees = 30;
  std::vector<float> target(d_.rows);
  double mean = 0.0;
  for (std::size_t i = 0; i < d_.rows; ++i) {
    float const x0 = d_.x[i];
    target[i] = (std::isnan(x0) ? 0.0f : 3.0f * x0) + 10.0f;
    mean += target[i];
  }
  mean /= static_cast<double>(d_.rows);
  GbdtModel const model = gbdt_fit(Context::cpu(2), p, d_.matrix(), target);
  EXPECT_NEAR(model.base_score, mean, 1e-9);
  std::vector<double> pred(d_.rows);
  model.predict(Context::cpu(2), d_.matrix(), pred);
  double sse = 0.0, sst = 0.0;
  for (std::size_t i = 0; i < d_.rows; ++i) {
    sse += (pred[i] - target[i]) * (pred[i] - target[i]);
    sst += (mean - target[i]) * (mean - target[i]);
  }
  EXPECT_LT(sse / sst, 0.05);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

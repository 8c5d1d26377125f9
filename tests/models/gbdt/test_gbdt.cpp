// Gradient-boosted trees (models/gbdt/gbdt.hpp): a first split computed by hand, the learned
// direction of missing values, bit-identical models for 1, 2 and 3 threads, bad input, the JSON
// form and the bin edges. Each hyper-parameter's effect: tests/models/gbdt/test_gbdt_params.cpp.
#include <gmock/gmock.h>

#include <bit>
#include <cstdint>

#include "core/error.hpp"
#include "models/gbdt/bin_edges.hpp"
#include "tests/models/gbdt/gbdt_test_data.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using testing::expect_error;

TEST(GbdtFit, FirstSplitEqualsTheHandComputedOne) {
  // y = 0 1 0 1 1 1 at x = 1..6. Base p = 2/3 (margin log 2), so g = 2/3 for y = 0 and −1/3 for
  // y = 1, h = 2/9. With λ = 1, the gain T(G_L)²/(H_L+λ) + T(G_R)²/(H_R+λ) (parent G = 0) of
  // each boundary is 0.574, 0.136, 1.2, 0.543, 0.144: the split is x <= 3.5, gain 1.2, leaves
  // −G/(H+λ) = −1/(2/3+1) = −0.6 and +0.6.
  std::vector<float> const x = {1, 2, 3, 4, 5, 6};
  std::vector<float> const y = {0, 1, 0, 1, 1, 1};
  GbdtParams params;
  params.n_trees = 1;
  params.learning_rate = 1.0;
  params.num_leaves = 2;
  params.lambda = 1.0;
  params.min_data_in_leaf = 1;
  params.min_child_weight = 0.0;
  GbdtModel const model = gbdt_fit(Context::cpu(1), params, {x.data(), 6, 1}, y);
  EXPECT_DOUBLE_EQ(model.base_score, std::log(2.0));
  ASSERT_EQ(model.nodes.size(), 3u);
  kernels::GbdtNode const& root = model.nodes[0];
  EXPECT_EQ(root.feature, 0);
  EXPECT_EQ(root.threshold, 3.5f);
  EXPECT_NEAR(model.node_gain[0], 1.2, 1e-12);
  EXPECT_NEAR(model.nodes[root.left].value, -0.6, 1e-12);
  EXPECT_NEAR(model.nodes[root.right].value, 0.6, 1e-12);
  EXPECT_NEAR(model.node_cover[0], 6.0 * 2.0 / 9.0, 1e-12);
}

GbdtModel fit_missing(float missing_label) {
  // x = 1 → y = 0, x = 2 → y = 1, missing → missing_label: the split learns where missing goes.
  std::vector<float> x, y;
  for (int i = 0; i < 30; ++i) {
    x.push_back(i % 3 == 0 ? 1.0f : i % 3 == 1 ? 2.0f : kNaN);
    y.push_back(i % 3 == 0 ? 0.0f : i % 3 == 1 ? 1.0f : missing_label);
  }
  GbdtParams params;
  params.n_trees = 1;
  params.num_leaves = 2;
  params.min_data_in_leaf = 1;
  return gbdt_fit(Context::cpu(1), params, {x.data(), x.size(), 1}, y);
}

TEST(GbdtFit, MissingValuesGoTheLearnedDefaultWay) {
  for (float const missing_label : {0.0f, 1.0f}) {
    GbdtModel const model = fit_missing(missing_label);
    ASSERT_EQ(model.nodes.size(), 3u);
    EXPECT_EQ(model.nodes[0].threshold, 1.5f);
    EXPECT_EQ(model.nodes[0].default_left, missing_label == 0.0f ? 1 : 0) << missing_label;
    std::vector<float> const probe = {1.0f, 2.0f, kNaN};
    std::vector<double> p(3);
    model.predict(Context::cpu(1), {probe.data(), 3, 1}, p);
    EXPECT_LT(p[0], p[1]);
    EXPECT_EQ(p[2], missing_label == 0.0f ? p[0] : p[1]);
  }
}

TEST(GbdtFit, SplitSeparatingMissingFromAllValuesIsFound) {
  // Present values are all negatives whatever x; missing rows are the positives.
  std::vector<float> x, y;
  for (int i = 0; i < 40; ++i) {
    x.push_back(i % 2 == 0 ? static_cast<float>(i) : kNaN);
    y.push_back(i % 2 == 0 ? 0.0f : 1.0f);
  }
  GbdtParams params;
  params.n_trees = 1;
  params.num_leaves = 2;
  params.min_data_in_leaf = 1;
  GbdtModel const model = gbdt_fit(Context::cpu(1), params, {x.data(), x.size(), 1}, y);
  ASSERT_EQ(model.nodes.size(), 3u);
  EXPECT_EQ(model.nodes[0].default_left, 0);
  std::vector<double> p(x.size());
  model.predict(Context::cpu(1), {x.data(), x.size(), 1}, p);
  EXPECT_GT(p[1], p[0]);
}

TEST(GbdtFit, ModelsAreBitIdenticalFor1To3Threads) {
  TestData const d = make_test_data(3000, 6, 11, 0.1);
  GbdtParams params;
  params.n_trees = 15;
  params.subsample = 0.8;
  params.colsample_bytree = 0.7;
  params.num_leaves = 15;
  params.bin_sample_rows = 1000;  // weighted edges of a sample, each column's on some thread
  std::string first;
  for (int threads : {1, 2, 3}) {
    std::string const dump =
        gbdt_fit(Context::cpu(threads), params, d.matrix(), d.y, d.weight).to_json().dump();
    if (first.empty()) {
      first = dump;
    } else {
      EXPECT_EQ(dump, first) << threads << " threads";
    }
  }
  GbdtParams depthwise = params;
  depthwise.growth = TreeGrowth::kDepthwise;
  depthwise.max_depth = 4;
  depthwise.num_leaves = 0;
  EXPECT_EQ(gbdt_fit(Context::cpu(1), depthwise, d.matrix(), d.y).to_json().dump(),
            gbdt_fit(Context::cpu(3), depthwise, d.matrix(), d.y).to_json().dump());
}

TEST(GbdtFit, NodesPartitionedOnSeveralThreadsGiveTheOneThreadModel) {
  // Nodes of at least 65,536 rows are partitioned in one chunk per thread (tree_grower.cpp):
  // 200,000 rows with missing values put the first splits there; with 2 and 3 threads (chunks
  // of unequal left/right shares) the model is the 1-thread one, byte for byte. The bin edges
  // come from a sample of the rows, each column's on one of the threads.
  TestData const d = make_test_data(200000, 5, 12, 0.1);
  GbdtParams params;
  params.n_trees = 3;
  params.num_leaves = 7;
  params.bin_sample_rows = 50000;
  std::string const one = gbdt_fit(Context::cpu(1), params, d.matrix(), d.y).to_json().dump();
  EXPECT_EQ(gbdt_fit(Context::cpu(2), params, d.matrix(), d.y).to_json().dump(), one);
  EXPECT_EQ(gbdt_fit(Context::cpu(3), params, d.matrix(), d.y).to_json().dump(), one);
}

TEST(GbdtFit, LearnsTheSignalBetterThanThePrior) {
  TestData const d = make_test_data(4000, 4, 3, 0.05);
  TestData const v = make_test_data(2000, 4, 4, 0.05);
  GbdtParams params;
  params.n_trees = 50;
  GbdtModel const model = gbdt_fit(Context::cpu(2), params, d.matrix(), d.y);
  double const prior = log_loss_of(std::vector<double>(v.rows, model.base_score), v.y);
  std::vector<double> margin(v.rows);
  model.predict_margin(Context::cpu(2), v.matrix(), margin);
  EXPECT_LT(log_loss_of(margin, v.y), prior - 0.05);
}

TEST(GbdtFit, BadInputGivesClearErrors) {
  TestData d = make_test_data(50, 2, 1, 0.0);
  GbdtParams params;
  params.n_trees = 2;
  d.y[7] = kNaN;
  expect_error([&] { gbdt_fit(Context::cpu(1), params, d.matrix(), d.y); }, ExitCode::kInputData,
               "row 8");
  d.y[7] = 2.0f;
  expect_error([&] { gbdt_fit(Context::cpu(1), params, d.matrix(), d.y); }, ExitCode::kInputData,
               "0/1 target");
  std::fill(d.y.begin(), d.y.end(), 1.0f);
  expect_error([&] { gbdt_fit(Context::cpu(1), params, d.matrix(), d.y); }, ExitCode::kInputData,
               "both classes");
  d.y[0] = 0.0f;
  std::vector<float> w(d.rows, 1.0f);
  w[3] = -1.0f;
  expect_error([&] { gbdt_fit(Context::cpu(1), params, d.matrix(), d.y, w); }, ExitCode::kInputData,
               "row 4");
  params.early_stopping_rounds = 3;
  expect_error([&] { gbdt_fit(Context::cpu(1), params, d.matrix(), d.y); }, ExitCode::kUsage,
               "validation set");
  params.early_stopping_rounds = 0;
  params.max_bin = 256;
  expect_error([&] { params.validate(); }, ExitCode::kUsage, "max_bin");
}

TEST(GbdtFit, ConstantColumnsAreNeverSplitOn) {
  TestData d = make_test_data(500, 3, 5, 0.0);
  std::fill_n(d.x.begin() + static_cast<std::ptrdiff_t>(d.rows), d.rows, 7.0f);  // column 1
  GbdtParams params;
  params.n_trees = 10;
  GbdtModel const model = gbdt_fit(Context::cpu(1), params, d.matrix(), d.y);
  EXPECT_TRUE(model.bin_edges[1].empty());
  EXPECT_EQ(model.importance().splits[1], 0);
  EXPECT_GT(model.importance().splits[0], 0);
  // Only constant columns: every tree is one leaf and predictions are the prior, shrunk.
  std::fill(d.x.begin(), d.x.end(), 7.0f);
  GbdtModel const flat = gbdt_fit(Context::cpu(1), params, d.matrix(), d.y);
  EXPECT_EQ(flat.nodes.size(), 10u);
}

TEST(GbdtModelJson, RoundTripsAndRefusesDamage) {
  TestData const d = make_test_data(800, 3, 9, 0.1);
  GbdtParams params;
  params.n_trees = 8;
  GbdtModel const model = gbdt_fit(Context::cpu(2), params, d.matrix(), d.y);
  GbdtModel const back = GbdtModel::from_json(nlohmann::json::parse(model.to_json().dump()), "m");
  std::vector<double> a(d.rows), b(d.rows);
  model.predict_margin(Context::cpu(1), d.matrix(), a);
  back.predict_margin(Context::cpu(1), d.matrix(), b);
  EXPECT_EQ(a, b);
  nlohmann::json bad = model.to_json();
  bad["trees"]["left"][0] = 0;  // a cycle
  expect_error([&] { GbdtModel::from_json(bad, "m"); }, ExitCode::kUsage, "model file m");
  bad = model.to_json();
  bad["trees"]["feature"][0] = 99;
  expect_error([&] { GbdtModel::from_json(bad, "m"); }, ExitCode::kUsage, "inconsistent");
}

TEST(GbdtBinEdges, DistinctValuesGetTheirOwnBinsAndQuantilesFollowTheWeights) {
  std::vector<float> const few = {3, 1, 2, 2, kNaN, 1};
  EXPECT_EQ(quantile_bin_edges(few, {}, 255), (std::vector<float>{1.5f, 2.5f}));
  // min_data_in_bin 3: the bin of the two 1s stays open until the 2s join it.
  EXPECT_EQ(quantile_bin_edges(few, {}, 255, 3), (std::vector<float>{2.5f}));
  std::vector<float> many(1000);
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = static_cast<float>(i + 1);
  std::vector<float> const quartiles = quantile_bin_edges(many, {}, 4);
  EXPECT_EQ(quartiles, (std::vector<float>{250.5f, 500.5f, 750.5f}));
  // Weight 3 on the first half moves the median edge down to where the weight is halved.
  std::vector<float> weight(1000, 1.0f);
  std::fill_n(weight.begin(), 500, 3.0f);
  std::vector<float> const weighted = quantile_bin_edges(many, weight, 2);
  EXPECT_EQ(weighted, (std::vector<float>{334.5f}));
  EXPECT_LE(quantile_bin_edges(many, {}, 255).size(), 254u);
  // 1000 values in 255 quantile bins are about 4 rows each; at least 10 rows leaves <= 100 bins.
  std::vector<float> const wide = quantile_bin_edges(many, {}, 255, 10);
  EXPECT_LE(wide.size(), 99u);
  EXPECT_GE(wide.front(), 10.0f);
  EXPECT_TRUE(quantile_bin_edges(std::vector<float>(9, 1.0f), {}, 255).empty());
}

TEST(GbdtBinEdges, WithoutWeightsTheEdgesEqualThoseOfWeightsOne) {
  // The unweighted path sorts the values alone: the same edges, bit for bit, as weights of 1,
  // on data with many ties, ±0, ±Inf and NaN, for quantile and distinct-value binning.
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<float> values(5000 + trial * 997);
    for (float& v : values) {
      int const k = static_cast<int>(rng() % 10);
      v = k == 0   ? 0.0f
          : k == 1 ? -0.0f
          : k == 2 ? static_cast<float>(rng() % 7)
          : k == 3 ? (rng() % 2 ? kNaN : std::numeric_limits<float>::infinity())
                   : static_cast<float>(static_cast<double>(rng() % 100000) / 997.0 - 50.0);
    }
    std::vector<float> const ones(values.size(), 1.0f);
    for (int const max_bin : {2, 16, 255}) {
      std::vector<float> const plain = quantile_bin_edges(values, {}, max_bin, 1 + trial % 4);
      std::vector<float> const weighted = quantile_bin_edges(values, ones, max_bin, 1 + trial % 4);
      ASSERT_EQ(plain.size(), weighted.size());
      for (std::size_t k = 0; k < plain.size(); ++k) {
        ASSERT_EQ(std::bit_cast<std::uint32_t>(plain[k]),
                  std::bit_cast<std::uint32_t>(weighted[k]));
      }
    }
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

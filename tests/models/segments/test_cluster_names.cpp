// Cluster names from profiles: the tercile rule on known centroids (also through log1p), distinct
// names for a shared wording, names kept across a retrain that keeps ids, user-given names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "core/error.hpp"
#include "models/segments/cluster_matching.hpp"
#include "models/segments/cluster_names.hpp"
#include "models/segments/train_segments.hpp"

namespace cie {
namespace {

using ::testing::HasSubstr;

TEST(ClusterNames, LevelsAreTerciles) {
  EXPECT_EQ(level_of_percentile(0.0), FeatureLevel::kLow);
  EXPECT_EQ(level_of_percentile(0.33), FeatureLevel::kLow);
  EXPECT_EQ(level_of_percentile(1.0 / 3.0), FeatureLevel::kMid);
  EXPECT_EQ(level_of_percentile(2.0 / 3.0), FeatureLevel::kMid);
  EXPECT_EQ(level_of_percentile(0.67), FeatureLevel::kHigh);
  EXPECT_EQ(feature_level_word("recency_days", FeatureLevel::kLow), "recent");
  EXPECT_EQ(feature_level_word("frequency", FeatureLevel::kHigh), "frequent");
  EXPECT_EQ(feature_level_word("monetary_total", FeatureLevel::kMid), "mid spend");
  EXPECT_EQ(feature_level_word("Fresh", FeatureLevel::kHigh), "high Fresh");
}

/// Customers 1..n in each of R, F, M, with centroids placed at chosen percentiles.
struct Ranked {
  std::vector<double> recency, frequency, monetary;
  RawColumns raw() const { return {{recency, frequency, monetary}, recency.size(), {}}; }
};

Ranked ranked(std::size_t n) {
  Ranked r;
  for (std::size_t i = 1; i <= n; ++i) {
    r.recency.push_back(static_cast<double>(i));
    r.frequency.push_back(static_cast<double>(i));
    r.monetary.push_back(static_cast<double>(i));
  }
  return r;
}

FeaturePipeline fitted_pipeline(Ranked const& data, char const* transform) {
  FeaturePipeline pipeline({{"recency_days", ColumnTransform::parse(transform, "recency_days")},
                            {"frequency", ColumnTransform::parse(transform, "frequency")},
                            {"monetary_total", ColumnTransform::parse(transform, "monetary_total")}});
  pipeline.fit(Context::cpu(1), data.raw());
  return pipeline;
}

/// The prepared-space centroid of original values (v_r, v_f, v_m).
std::vector<float> prepared(FeaturePipeline const& pipeline, std::vector<double> const& original) {
  std::vector<float> out;
  for (std::size_t j = 0; j < original.size(); ++j) {
    double const t = pipeline.features()[j].transform.apply(original[j], pipeline.clip_values()[j]);
    out.push_back(static_cast<float>((t - pipeline.means()[j]) / pipeline.scales()[j]));
  }
  return out;
}

TEST(ClusterNames, CentroidPercentilesGiveTheWordsWithAndWithoutLog1p) {
  Ranked const data = ranked(300);
  for (char const* transform : {"none", "log1p"}) {
    FeaturePipeline const pipeline = fitted_pipeline(data, transform);
    // Cluster 0: recency 10 (3rd percentile), frequency 290, monetary 250: recent, frequent,
    // high spend. Cluster 1: 150 in each (the middle): lapsing, occasional, mid spend. Cluster
    // 2: lapsed, infrequent, low spend.
    std::vector<float> centroids;
    for (auto const& c : std::vector<std::vector<double>>{{10, 290, 250}, {150, 150, 150}, {280, 20, 5}}) {
      std::vector<float> const p = prepared(pipeline, c);
      centroids.insert(centroids.end(), p.begin(), p.end());
    }
    std::vector<std::size_t> const sizes = {100, 100, 100};
    ClusterNaming const naming = name_clusters(pipeline, centroids, 3, data.raw(), sizes);
    EXPECT_EQ(naming.names[0], "recent, frequent, high spend") << transform;
    EXPECT_EQ(naming.names[1], "lapsing, occasional, mid spend") << transform;
    EXPECT_EQ(naming.names[2], "lapsed, infrequent, low spend") << transform;
    // Value 150 of 1..300: 149 below, 1 equal: (149 + 0.5) / 300.
    EXPECT_NEAR(naming.percentiles[1][0], 149.5 / 300.0, 1e-12) << transform;
    EXPECT_NEAR(naming.centroids_original[0][1], 290.0, 1e-3) << transform;
  }
}

TEST(ClusterNames, TiesCountHalfSoAHeavyTieIsNotMid) {
  // 60% of the customers bought once: a centroid at frequency 1 ranks at 0.3 (low), not at 0
  // or 0.6.
  Ranked data = ranked(100);
  for (std::size_t i = 0; i < 60; ++i) data.frequency[i] = 1.0;
  FeaturePipeline const pipeline = fitted_pipeline(data, "log1p");
  std::vector<float> const centroid = prepared(pipeline, {50, 1, 50});
  std::vector<std::size_t> const sizes = {100};
  ClusterNaming const naming = name_clusters(pipeline, centroid, 1, data.raw(), sizes);
  EXPECT_NEAR(naming.percentiles[0][1], 0.3, 1e-12);
  EXPECT_EQ(naming.names[0], "lapsing, infrequent, mid spend");
}

TEST(ClusterNames, SharedWordingsAreNumberedBySize) {
  std::vector<std::string> const wordings = {"recent, high spend", "lapsed, low spend",
                                             "recent, high spend", "recent, high spend"};
  std::vector<std::size_t> const sizes = {10, 50, 30, 30};
  EXPECT_EQ(distinct_names(wordings, sizes),
            (std::vector<std::string>{"recent, high spend #3", "lapsed, low spend",
                                      "recent, high spend #1", "recent, high spend #2"}));
}

TEST(ClusterNames, CarriedNamesFollowTheIdsAndNewClustersStayDistinct) {
  std::vector<std::string> const previous = {"VIP", "lapsed, low spend", "occasional"};
  // Fitted cluster 0 matched previous 2 (and keeps "occasional" though tonight's wording
  // drifted), 1 matched 0, 2 is new with a wording already in use, 3 is new; previous 1 is gone.
  std::vector<std::int32_t> const new_id = {2, 0, 1, 3};
  std::vector<std::int32_t> const previous_id = {2, 0, -1, -1};
  std::vector<std::string> const wordings = {"drifted", "recent, high spend", "occasional",
                                             "new words"};
  EXPECT_EQ(carry_names(previous, new_id, previous_id, wordings),
            (std::vector<std::string>{"VIP", "occasional #2", "occasional", "new words"}));
  // A previous model without names: every cluster takes its wording.
  EXPECT_EQ(carry_names({}, new_id, previous_id, wordings),
            (std::vector<std::string>{"recent, high spend", "occasional", "drifted",
                                      "new words"}));
}

TEST(ClusterNames, GivenNamesReplaceAndMustStayDistinct) {
  std::vector<std::string> const names = {"a", "b", "c"};
  EXPECT_EQ(apply_given_names(names, {{1, "VIP"}}, "names.csv"),
            (std::vector<std::string>{"a", "VIP", "c"}));
  EXPECT_EQ(apply_given_names(names, {{0, "c"}, {2, "a"}}, "names.csv"),
            (std::vector<std::string>{"c", "b", "a"}));
  try {
    (void)apply_given_names(names, {{3, "x"}}, "names.csv");
    FAIL() << "an id outside the model was accepted";
  } catch (Error const& error) {
    EXPECT_EQ(error.code(), ExitCode::kUsage);
    EXPECT_THAT(error.what(), HasSubstr("names.csv: cluster 3 does not exist"));
  }
  try {
    (void)apply_given_names(names, {{0, "b"}}, "names.csv");
    FAIL() << "two clusters with one name were accepted";
  } catch (Error const& error) {
    EXPECT_THAT(error.what(), HasSubstr("clusters 0 and 1 would both be named 'b'"));
  }
}

TEST(ClusterNames, TrainingNamesTheClustersAndTheModelFileKeepsThemThroughRenumbering) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0.0, 0.05);
  Ranked data;
  // Two groups: recent frequent big spenders and lapsed one-off small spenders.
  for (int i = 0; i < 400; ++i) {
    bool const good = i % 2 == 0;
    data.recency.push_back(good ? 5 + noise(rng) : 300 + noise(rng));
    data.frequency.push_back(good ? 20 + noise(rng) : 1 + noise(rng));
    data.monetary.push_back(good ? 2000 + noise(rng) : 30 + noise(rng));
  }
  SegmentTrainingParams params;
  params.kmeans.n_clusters = 2;
  params.kmeans.seed = 4;
  FeaturePipeline pipeline(
      {{"recency_days", ColumnTransform::parse("log1p", "recency_days")},
       {"frequency", ColumnTransform::parse("log1p", "frequency")},
       {"monetary_total", ColumnTransform::parse("floor:0+log1p", "monetary_total")}});
  TrainedSegments trained = train_segments(Context::cpu(2), pipeline, params, data.raw());
  std::vector<std::string> names = trained.model.names();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"lapsed, infrequent, low spend",
                                             "recent, frequent, high spend"}));
  SegmentModel const read = SegmentModel::from_document(trained.document, "model.json");
  EXPECT_EQ(read.names(), trained.model.names());

  std::vector<std::string> const before = trained.model.names();
  trained.renumber({1, 0}, {before[1], before[0]});
  EXPECT_EQ(SegmentModel::from_document(trained.document, "model.json").names(),
            (std::vector<std::string>{before[1], before[0]}));
  EXPECT_EQ(trained.document.fitted["cluster_naming"]["clusters"][0]["wording"], before[1]);

  // A model file from before names: "cluster 0", "cluster 1".
  ModelDocument old = trained.document;
  old.fitted.erase("cluster_names");
  EXPECT_EQ(SegmentModel::from_document(old, "old.json").names(),
            (std::vector<std::string>{"cluster 0", "cluster 1"}));
}

}  // namespace
}  // namespace cie

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
namespace CIE_TEST_FILE_ID {

using ::testing::HasSubstr;

TEST(ClusterNames, LevelsAreQuintilesOfTheMeanPercentile) {
  EXPECT_EQ(level_of_percentile(0.0), FeatureLevel::kVeryLow);
  EXPECT_EQ(level_of_percentile(0.199), FeatureLevel::kVeryLow);
  EXPECT_EQ(level_of_percentile(0.2), FeatureLevel::kLow);
  EXPECT_EQ(level_of_percentile(0.4), FeatureLevel::kMid);
  EXPECT_EQ(level_of_percentile(0.6), FeatureLevel::kMid);
  EXPECT_EQ(level_of_percentile(0.61), FeatureLevel::kHigh);
  EXPECT_EQ(level_of_percentile(0.8), FeatureLevel::kHigh);
  EXPECT_EQ(level_of_percentile(0.81), FeatureLevel::kVeryHigh);
  EXPECT_EQ(feature_level_word("recency_days", FeatureLevel::kVeryLow), "very recent");
  EXPECT_EQ(feature_level_word("recency_days", FeatureLevel::kVeryHigh), "long lapsed");
  EXPECT_EQ(feature_level_word("frequency", FeatureLevel::kHigh), "frequent");
  EXPECT_EQ(feature_level_word("monetary_total", FeatureLevel::kMid), "mid spend");
  EXPECT_EQ(feature_level_word("Fresh", FeatureLevel::kVeryHigh), "very high Fresh");
}

/// n customers; recency i, frequency n + 1 - i and monetary (i * 7) mod n for customer i.
struct Ranked {
  std::vector<double> recency, frequency, monetary;
  RawColumns raw() const { return {{recency, frequency, monetary}, recency.size(), {}}; }
};

FeaturePipeline fitted_pipeline(Ranked const& data, char const* transform) {
  FeaturePipeline pipeline(
      {{"recency_days", ColumnTransform::parse(transform, "recency_days")},
       {"frequency", ColumnTransform::parse(transform, "frequency")},
       {"monetary_total", ColumnTransform::parse(transform, "monetary_total")}});
  pipeline.fit(Context::cpu(1), data.raw());
  return pipeline;
}

TEST(ClusterNames, ClustersAreNamedByTheirCustomersMeanPercentiles) {
  // 100 customers with distinct values, so customer i (0-based, by value) has p = (i + 0.5) /
  // 100. Cluster 0: the 10 most recent (p 0.05 mean), the 10 most frequent (0.95) and monetary
  // ranks 60..69 (0.65). Cluster 1: the rest.
  Ranked data;
  std::vector<std::int32_t> labels;
  for (int i = 0; i < 100; ++i) {
    data.recency.push_back(1.0 + i);
    data.frequency.push_back(100.0 - i);
    data.monetary.push_back(10.0 * ((i + 60) % 100));
    labels.push_back(i < 10 ? 0 : 1);
  }
  for (char const* transform : {"none", "log1p"}) {
    FeaturePipeline const pipeline = fitted_pipeline(data, transform);
    std::vector<float> const centroids(6, 0.0f);  // at the means; the names do not use them
    ClusterNaming const naming = name_clusters(pipeline, centroids, 2, data.raw(), labels);
    EXPECT_NEAR(naming.percentiles[0][0], 0.05, 1e-12) << transform;
    EXPECT_NEAR(naming.percentiles[0][1], 0.95, 1e-12) << transform;
    EXPECT_NEAR(naming.percentiles[0][2], 0.65, 1e-12) << transform;
    EXPECT_EQ(naming.names[0], "very recent, very frequent, high spend") << transform;
    // The rest: recency 0.55 (mid), frequency 0.45 (mid), monetary (50 - 6.5) / 90 = 0.4833.
    EXPECT_EQ(naming.names[1], "lapsing, occasional, mid spend") << transform;
    // The centroid in original units: the mean of the transformed column, mapped back.
    double const mean_recency = std::string(transform) == "none" ? 50.5 : -1.0;
    if (mean_recency > 0) EXPECT_NEAR(naming.centroids_original[0][0], mean_recency, 1e-4);
  }
}

TEST(ClusterNames, TiedCustomersShareTheirMeanRank) {
  // 60 of 100 customers bought once: each ranks at 0.3, so a cluster of one-time buyers is "low"
  // (infrequent), whatever k-means' centroid and the frequency transform say.
  Ranked data;
  std::vector<std::int32_t> labels;
  for (int i = 0; i < 100; ++i) {
    data.recency.push_back(1.0 + i);
    data.frequency.push_back(i < 60 ? 1.0 : 2.0 + i);
    data.monetary.push_back(1.0 + i);
    labels.push_back(i < 60 ? 0 : 1);
  }
  FeaturePipeline const pipeline = fitted_pipeline(data, "log1p");
  std::vector<float> const centroids(6, 0.0f);
  ClusterNaming const naming = name_clusters(pipeline, centroids, 2, data.raw(), labels);
  EXPECT_NEAR(naming.percentiles[0][1], 0.3, 1e-12);
  EXPECT_EQ(naming.names[0], "recent, infrequent, low spend");
  EXPECT_EQ(naming.names[1], "lapsed, frequent, high spend");
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
            (std::vector<std::string>{"recent, high spend", "occasional", "drifted", "new words"}));
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
  // Each group is half the customers: mean percentiles 0.25 and 0.75.
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

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

// Silhouette, Davies-Bouldin and Calinski-Harabasz against hand-computed values and scikit-learn
// (tests/models/metrics/cluster_metrics_reference.py prints the reference numbers), the sampled
// silhouette, and the k-selection rule.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/error.hpp"
#include "models/metrics/cluster_metrics.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

/// Column-major float32 copy of row-major points.
std::vector<float> column_major(std::vector<std::vector<double>> const& points) {
  std::size_t const rows = points.size();
  std::size_t const cols = points.front().size();
  std::vector<float> data(rows * cols);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) data[j * rows + i] = static_cast<float>(points[i][j]);
  }
  return data;
}

ClusterMetrics measure(std::vector<std::vector<double>> const& points,
                       std::vector<std::int32_t> const& labels, int n_clusters,
                       ClusterMetricsParams const& params = {}) {
  std::vector<float> const data = column_major(points);
  Context const ctx = Context::cpu(2);
  return cluster_metrics(ctx, params, {data.data(), points.size(), points.front().size()}, labels,
                         n_clusters);
}

TEST(ClusterMetrics, TwoPairsOnALineMatchHandComputedValues) {
  // Clusters {0, 1} and {10, 11}. Row 0: a = 1, b = (10 + 11) / 2 = 10.5; row 1: a = 1, b = 9.5;
  // rows 2 and 3 mirror them. Spreads 0.5, centroid distance 10: DB = (0.5 + 0.5) / 10. Between
  // dispersion 4 × 5² = 100, within 4 × 0.5² = 1: CH = (100 / 1) / (1 / 2).
  ClusterMetrics const metrics = measure({{0.0}, {1.0}, {10.0}, {11.0}}, {0, 0, 1, 1}, 2);
  EXPECT_EQ(metrics.clusters, 2);
  EXPECT_NEAR(metrics.silhouette, (9.5 / 10.5 + 8.5 / 9.5) / 2.0, 1e-12);
  EXPECT_FALSE(metrics.silhouette_sampled);
  EXPECT_EQ(metrics.silhouette_rows, 4u);
  EXPECT_NEAR(metrics.davies_bouldin, 0.1, 1e-12);
  EXPECT_NEAR(metrics.calinski_harabasz, 200.0, 1e-9);
}

TEST(ClusterMetrics, MatchesScikitLearnWithASingletonAndAnEmptyCluster) {
  ClusterMetrics const metrics = measure({{0.0, 0.0},
                                          {0.5, 0.2},
                                          {0.1, 0.9},
                                          {4.0, 4.0},
                                          {4.5, 3.5},
                                          {5.0, 4.2},
                                          {3.8, 4.9},
                                          {-3.0, 5.0}},
                                         {0, 0, 0, 1, 1, 1, 1, 2}, 4);
  EXPECT_EQ(metrics.clusters, 3);
  EXPECT_NEAR(metrics.silhouette, 0.728079386225423, 1e-6);
  EXPECT_NEAR(metrics.davies_bouldin, 0.159514175959119, 1e-6);
  EXPECT_NEAR(metrics.calinski_harabasz, 87.3249915454853, 1e-4);
}

TEST(ClusterMetrics, MatchesScikitLearnOnOverlappingClusters) {
  ClusterMetrics const metrics = measure({{0.0, 0.0, 0.0},
                                          {1.0, 0.0, 1.0},
                                          {2.0, 1.0, 0.0},
                                          {1.5, 1.5, 1.5},
                                          {2.5, 2.0, 1.0},
                                          {3.0, 3.0, 2.0},
                                          {1.2, 0.8, 0.9}},
                                         {0, 0, 0, 1, 1, 1, 1}, 2);
  EXPECT_NEAR(metrics.silhouette, 0.189443360361513, 1e-6);
  EXPECT_NEAR(metrics.davies_bouldin, 1.00963171636897, 1e-6);
  EXPECT_NEAR(metrics.calinski_harabasz, 4.24750091306289, 1e-5);
}

TEST(ClusterMetrics, OneClusterHasNoScores) {
  ClusterMetrics const metrics = measure({{0.0}, {1.0}, {2.0}}, {1, 1, 1}, 2);
  EXPECT_EQ(metrics.clusters, 1);
  EXPECT_TRUE(std::isnan(metrics.silhouette));
  EXPECT_TRUE(std::isnan(metrics.davies_bouldin));
  EXPECT_TRUE(std::isnan(metrics.calinski_harabasz));
}

TEST(ClusterMetrics, SilhouetteAboveTheLimitIsSampledReproduciblyAndCloseToExact) {
  std::uint64_t const seed = 7;
  std::mt19937_64 random(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<std::vector<double>> points;
  std::vector<std::int32_t> labels;
  for (int i = 0; i < 3000; ++i) {
    int const cluster = i % 3;
    points.push_back({4.0 * cluster + noise(random), -3.0 * cluster + noise(random)});
    labels.push_back(cluster);
  }
  ClusterMetricsParams sampled;
  sampled.silhouette_exact_limit = 1000;
  sampled.silhouette_sample_size = 500;
  ClusterMetrics const exact = measure(points, labels, 3);
  ClusterMetrics const first = measure(points, labels, 3, sampled);
  ClusterMetrics const second = measure(points, labels, 3, sampled);
  EXPECT_FALSE(exact.silhouette_sampled);
  EXPECT_TRUE(first.silhouette_sampled);
  EXPECT_EQ(first.silhouette_rows, 500u);
  EXPECT_EQ(first.silhouette, second.silhouette) << "same seed, same sample";
  EXPECT_NEAR(first.silhouette, exact.silhouette, 0.03) << "seed " << seed;
  EXPECT_EQ(first.davies_bouldin, exact.davies_bouldin) << "only the silhouette is sampled";
}

TEST(ClusterMetrics, InvalidSampleSizeIsAUsageError) {
  ClusterMetricsParams params;
  params.silhouette_sample_size = params.silhouette_exact_limit + 1;
  EXPECT_THROW(params.validate(), Error);
}

TEST(ClusterMetrics, RecommendsTheHighestSilhouetteWithNearTiesToTheSmallerK) {
  std::vector<int> const ks = {2, 3, 4, 5};
  EXPECT_EQ(recommend_k(ks, std::vector<double>{0.30, 0.50, 0.40, 0.20}), 1u);
  EXPECT_EQ(recommend_k(ks, std::vector<double>{0.30, 0.495, 0.50, 0.20}), 1u);
  EXPECT_EQ(recommend_k(ks, std::vector<double>{0.30, 0.48, 0.50, 0.20}), 2u);
  double const nan = std::nan("");
  EXPECT_EQ(recommend_k(ks, std::vector<double>{nan, 0.10, nan, 0.30}), 3u);
  EXPECT_EQ(recommend_k(ks, std::vector<double>{nan, nan, nan, nan}), ks.size());
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

// Stable cluster ids: the minimum-cost assignment against brute force, and a retrained model's
// clusters matched back to the previous model's whatever order k-means found them in.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "models/segments/cluster_matching.hpp"
#include "models/segments/train_segments.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

TEST(ClusterMatching, MinCostAssignmentEqualsBruteForce) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> uniform(0.0, 10.0);
  for (std::size_t n : {1u, 2u, 3u, 5u, 7u}) {
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<double> cost(n * n);
      for (double& c : cost) c = std::floor(uniform(rng));  // integers: ties happen
      std::vector<std::int32_t> const assignment = min_cost_assignment(cost, n);
      std::vector<std::int32_t> sorted = assignment;
      std::sort(sorted.begin(), sorted.end());
      std::vector<std::int32_t> identity(n);
      std::iota(identity.begin(), identity.end(), 0);
      ASSERT_EQ(sorted, identity) << "not a permutation, n " << n << " trial " << trial;
      double found = 0.0;
      for (std::size_t r = 0; r < n; ++r) found += cost[r * n + assignment[r]];
      double best = std::numeric_limits<double>::infinity();
      std::vector<std::int32_t> permutation = identity;
      do {
        double total = 0.0;
        for (std::size_t r = 0; r < n; ++r) total += cost[r * n + permutation[r]];
        best = std::min(best, total);
      } while (std::next_permutation(permutation.begin(), permutation.end()));
      ASSERT_EQ(found, best) << "n " << n << " trial " << trial;
    }
  }
}

/// Five well-separated blobs in two columns, shifted by `shift` (a later night's data).
struct ShiftedBlobs {
  std::vector<double> x, y;
  RawColumns raw() const { return {{x, y}, x.size(), {}}; }
};

ShiftedBlobs make_shifted_blobs(std::uint64_t seed, double shift) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.3);
  double const centres[5][2] = {{0, 0}, {10, 0}, {0, 10}, {10, 10}, {20, 5}};
  ShiftedBlobs blobs;
  for (int i = 0; i < 2000; ++i) {
    blobs.x.push_back(centres[i % 5][0] + shift + noise(rng));
    blobs.y.push_back(centres[i % 5][1] + noise(rng));
  }
  return blobs;
}

TrainedSegments train(ShiftedBlobs const& blobs, int k, std::uint64_t seed) {
  Context const ctx = Context::cpu(2);
  SegmentTrainingParams params;
  params.kmeans.n_clusters = k;
  params.kmeans.n_init = 3;
  params.kmeans.seed = seed;
  params.metrics.seed = seed;
  FeaturePipeline pipeline(
      {{"x", ColumnTransform::parse("none", "x")}, {"y", ColumnTransform::parse("none", "y")}});
  return train_segments(ctx, std::move(pipeline), params, blobs.raw());
}

TEST(ClusterMatching, RetrainedClustersKeepThePreviousIds) {
  Context const ctx = Context::cpu(2);
  ShiftedBlobs const night1 = make_shifted_blobs(1, 0.0);
  ShiftedBlobs const night2 = make_shifted_blobs(2, 0.4);  // new customers, a drift, another scaler
  TrainedSegments const previous = train(night1, 5, 11);
  std::vector<std::int32_t> const before = previous.model.assign(ctx, night2.raw());
  int renumbered_seeds = 0;
  for (std::uint64_t seed : {12u, 13u, 14u, 15u}) {
    TrainedSegments const current = train(night2, 5, seed);
    std::vector<std::int32_t> const fitted = current.model.assign(ctx, night2.raw());
    renumbered_seeds += fitted != before;
    std::string why;
    std::optional<ClusterMatch> const match = match_clusters(previous.model, current.model, why);
    ASSERT_TRUE(match.has_value()) << why;
    EXPECT_TRUE(match->gone.empty());
    for (std::size_t c = 0; c < 5; ++c) {
      EXPECT_EQ(match->new_id[c], match->previous_id[c]);
      EXPECT_LT(match->distance[c], 0.5) << "seed " << seed;
    }
    // The relabeled model assigns every customer the id the previous model gives it.
    EXPECT_EQ(relabel(current.model, match->new_id).assign(ctx, night2.raw()), before)
        << "seed " << seed;
  }
  EXPECT_GT(renumbered_seeds, 0) << "no seed reordered the clusters: the test shows nothing";
}

TEST(ClusterMatching, ClustersCanBeNewOrGone) {
  ShiftedBlobs const blobs = make_shifted_blobs(3, 0.0);
  TrainedSegments const five = train(blobs, 5, 21);
  TrainedSegments const four = train(blobs, 4, 22);
  std::string why;
  std::optional<ClusterMatch> const grown = match_clusters(four.model, five.model, why);
  ASSERT_TRUE(grown.has_value()) << why;
  EXPECT_EQ(std::count(grown->previous_id.begin(), grown->previous_id.end(), -1), 1);
  EXPECT_TRUE(grown->gone.empty());
  std::vector<std::int32_t> ids = grown->new_id;
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::int32_t>{0, 1, 2, 3, 4}));
  for (std::size_t c = 0; c < 5; ++c) {
    if (grown->previous_id[c] >= 0)
      EXPECT_EQ(grown->new_id[c], grown->previous_id[c]);
    else
      EXPECT_EQ(grown->new_id[c], 4);  // the new cluster takes the free id
  }

  std::optional<ClusterMatch> const shrunk = match_clusters(five.model, four.model, why);
  ASSERT_TRUE(shrunk.has_value()) << why;
  EXPECT_EQ(shrunk->gone.size(), 1u);
  ids = shrunk->new_id;
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::int32_t>{0, 1, 2, 3}));

  FeaturePipeline other(
      {{"x", ColumnTransform::parse("log1p", "x")}, {"y", ColumnTransform::parse("none", "y")}});
  other.fit(Context::cpu(1), ShiftedBlobs{{1.0, 2.0}, {1.0, 2.0}}.raw());
  SegmentModel const elsewhere(other, std::vector<float>(10, 0.0f), 5);
  EXPECT_FALSE(match_clusters(elsewhere, five.model, why).has_value());
  EXPECT_EQ(why, "the previous model has other features or transforms");
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

// K-means kernels: the shared per-element rules by hand, and each backend's passes against a
// naive reference (the CUDA instantiation skips with the reason where no GPU is usable).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <tuple>

#include "kernels/kmeans.hpp"
#include "kernels/kmeans_rules.hpp"
#include "tests/kernels/kmeans_test_data.hpp"
#include "tests/test_support.hpp"

namespace cie::kernels {
namespace CIE_TEST_FILE_ID {

TEST(KMeansRules, SquaredDistanceAndNearestByHand) {
  // Two rows, two features, column-major: row 0 = (1, 2), row 1 = (4, 6).
  float const x[] = {1.0f, 4.0f, 2.0f, 6.0f};
  float const origin[] = {0.0f, 0.0f};
  EXPECT_EQ(squared_distance(x, 2, 0, origin, 2), 5.0f);
  EXPECT_EQ(squared_distance(x, 2, 1, origin, 2), 52.0f);
  // Centroids 0 and 2 are equally far from row 0; the tie goes to the lower index.
  float const centroids[] = {0.0f, 2.0f, 4.0f, 6.0f, 2.0f, 2.0f};
  Nearest nearest = nearest_centroid(x, 2, 0, centroids, 3, 2);
  EXPECT_EQ(nearest.cluster, 0);
  EXPECT_EQ(nearest.distance, 1.0f);
  EXPECT_EQ(nearest_centroid(x, 2, 1, centroids, 3, 2).cluster, 1);
  EXPECT_FALSE(is_closer(1.0f, 1.0f));
  EXPECT_EQ(sampling_potential(2.0f, 0.5f), 1.0);
}

TEST(KMeansRules, HartiganTargetByHand) {
  // One feature. Cluster 0: weight 3 around 0; cluster 1: weight 1 at 10. A row at 4 in cluster
  // 0 is nearer its own centroid (16 < 36), so Lloyd keeps it, but leaving saves
  // 1 × 3 / 2 × 16 = 24 and joining costs 1 × 1 / 2 × 36 = 18: Hartigan moves it.
  double const weights[] = {3.0, 1.0};
  auto const at_4 = [](int c) { return c == 0 ? 16.0f : 36.0f; };
  EXPECT_EQ(hartigan_target(1.0f, 0, weights, 2, at_4), 1);
  // Nearer still (distance 9): leaving saves 13.5 < 18, no move.
  EXPECT_EQ(hartigan_target(1.0f, 0, weights, 2, [](int c) { return c == 0 ? 9.0f : 49.0f; }), -1);
  // A row with no weight, or with all of its cluster's weight, never moves.
  EXPECT_EQ(hartigan_target(0.0f, 0, weights, 2, at_4), -1);
  EXPECT_EQ(hartigan_target(1.0f, 1, weights, 2, [](int c) { return c == 1 ? 100.0f : 0.0f; }), -1);
  // Weighted: a row of weight 2 in cluster 0 (weight 3) saves 2 × 3 / 1 × 16 = 96 and costs
  // 2 × 1 / 3 × 36 = 24 in cluster 1.
  EXPECT_EQ(hartigan_target(2.0f, 0, weights, 2, at_4), 1);
  // Two equally good targets: the lower index.
  double const three[] = {3.0, 1.0, 1.0};
  EXPECT_EQ(hartigan_target(1.0f, 0, three, 3, [](int c) { return c == 0 ? 16.0f : 36.0f; }), 1);
  // An equal cost is no gain: no move.
  EXPECT_EQ(hartigan_target(1.0f, 0, weights, 2, [](int c) { return c == 0 ? 12.0f : 36.0f; }), -1);
}

TEST(KMeansRules, HartiganFilterNeverRejectsAMoveThatPays) {
  // By hand: the row at 4 of HartiganTargetByHand (own distance 16, other 36, weights 3 and 1).
  EXPECT_TRUE(hartigan_may_move(1.0f, 3.0, 16.0f, 1.0, 36.0f));
  EXPECT_FALSE(hartigan_may_move(1.0f, 3.0, 1.0f, 1.0, 36.0f));
  EXPECT_FALSE(hartigan_may_move(0.0f, 3.0, 16.0f, 1.0, 36.0f));
  EXPECT_FALSE(hartigan_may_move(3.0f, 3.0, 16.0f, 1.0, 36.0f));
  // Random rows, many of them on the edge of paying: whenever the full rule moves a row, the
  // filter lets it through.
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  int moved = 0;
  for (int trial = 0; trial < 200000; ++trial) {
    int const k = 2 + trial % 7;
    double weights[8];
    float distances[8];
    for (int c = 0; c < k; ++c) {
      weights[c] = 1.0 + std::floor(50.0 * unit(rng));
      distances[c] = unit(rng);
    }
    std::int32_t const own = trial % k;
    float const weight = trial % 3 == 0 ? 1.0f : 0.5f + unit(rng);
    auto const distance = [&](int c) { return distances[c]; };
    if (hartigan_target(weight, own, weights, k, distance) < 0) continue;
    ++moved;
    double const min_weight = *std::min_element(weights, weights + k);
    float min_other = std::numeric_limits<float>::infinity();
    for (int c = 0; c < k; ++c)
      min_other = c == own ? min_other : std::min(min_other, distances[c]);
    ASSERT_TRUE(hartigan_may_move(weight, weights[own], distances[own], min_weight, min_other))
        << "trial " << trial;
  }
  EXPECT_GT(moved, 10000);
}

TEST(KMeansRules, NearestFromExpandedDistancesEqualsTheSharedRule) {
  // The cuBLAS path's shortlist: approximate distances off by up to the bound the slack assumes,
  // (2·cols + 4)·u·(||x||² + ||c||²), in either direction (the worst cuBLAS summation order could
  // do), must still let the shared rule pick exactly nearest_centroid's answer, ties included.
  std::mt19937_64 rng(29);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::bernoulli_distribution sign(0.5);
  constexpr double kUnitRoundoff = 1.0 / (1 << 24);
  long exact_calls = 0, rows_checked = 0;
  for (auto [cols, k, offset, spread] :
       {std::tuple{8, 40, 0.0f, 1.0f}, std::tuple{64, 40, 0.0f, 1.0f},
        std::tuple{8, 40, 500.0f, 1.0f}, std::tuple{3, 300, 20.0f, 0.1f}}) {
    SCOPED_TRACE(::testing::Message() << "cols " << cols << " k " << k << " offset " << offset);
    std::vector<float> centroids(static_cast<std::size_t>(k) * cols);
    for (float& v : centroids) v = offset + spread * normal(rng);
    // Exact ties: centroid 5 repeats centroid 2.
    std::copy_n(centroids.begin() + 2 * cols, cols, centroids.begin() + 5 * cols);
    std::vector<float> norms(static_cast<std::size_t>(k), 0.0f);
    for (int c = 0; c < k; ++c) {
      for (int j = 0; j < cols; ++j) {
        norms[c] = add_squared_difference(norms[c], centroids[c * cols + j], 0.0f);
      }
    }
    float const max_norm = *std::max_element(norms.begin(), norms.end());
    std::int64_t const rows = 2000;
    std::vector<float> x(static_cast<std::size_t>(rows) * cols);
    for (std::int64_t i = 0; i < rows; ++i) {
      int const near = static_cast<int>(i % k);
      for (int j = 0; j < cols; ++j) {
        // Every tenth row sits exactly on centroid 2 (= centroid 5); the others near a centroid.
        x[j * rows + i] = i % 10 == 0 ? centroids[2 * cols + j]
                                      : centroids[near * cols + j] + 0.5f * spread * normal(rng);
      }
    }
    for (std::int64_t i = 0; i < rows; ++i) {
      float row_norm = 0.0f;
      for (int j = 0; j < cols; ++j) {
        row_norm = add_squared_difference(row_norm, x[j * rows + i], 0.0f);
      }
      std::vector<float> approximate(static_cast<std::size_t>(k));
      for (int c = 0; c < k; ++c) {
        double truth = 0.0;
        for (int j = 0; j < cols; ++j) {
          double const d = static_cast<double>(x[j * rows + i]) - centroids[c * cols + j];
          truth += d * d;
        }
        double const bound = (2.0 * cols + 4.0) * kUnitRoundoff * (row_norm + norms[c]);
        approximate[c] = static_cast<float>(std::max(0.0, truth + (sign(rng) ? bound : -bound)));
      }
      auto const exact = [&](int c) {
        ++exact_calls;
        return squared_distance(x.data(), rows, i, centroids.data() + c * cols, cols);
      };
      Nearest const got = nearest_from_expanded(
          k, row_norm, max_norm, cols, [&](int c) { return approximate[c]; }, exact);
      Nearest const want = nearest_centroid(x.data(), rows, i, centroids.data(), k, cols);
      ASSERT_EQ(got.cluster, want.cluster) << "row " << i;
      ASSERT_EQ(got.distance, want.distance) << "row " << i;
      if (i % 10 == 0) ASSERT_EQ(got.cluster, 2) << "row " << i;  // the tie with 5: lower index
      ++rows_checked;
    }
    // A shortlist, not a scan, on centred data (measured 1.14 exact distances per row at
    // cols 8 and 1.15 at 64). Far from the origin the expanded form cancels and the slack takes
    // in most centroids (measured 40 of 40, 51 of 300): still exact, no longer cheaper.
    double const per_row = static_cast<double>(exact_calls) / rows_checked;
    if (offset == 0.0f) EXPECT_LT(per_row, 1.5);
    exact_calls = 0;
    rows_checked = 0;
  }  // Subnormal distances, where rounding errs absolutely, not relatively: the expanded form puts
  // centroid 1 first, the rule centroid 0 (1.4e-45 against 2.8e-45).
  float const tiny_x[] = {-9.420897e-23f};
  float const tiny_centroids[] = {-4.9718482e-23f, -3.8719773e-23f};
  float const row_norm = add_squared_difference(0.0f, tiny_x[0], 0.0f);
  float norms[2];
  for (int c = 0; c < 2; ++c) norms[c] = add_squared_difference(0.0f, tiny_centroids[c], 0.0f);
  auto const expanded = [&](int c) {
    float const dot = tiny_x[0] * tiny_centroids[c];
    return std::max(0.0f, row_norm - 2.0f * dot + norms[c]);
  };
  Nearest const want = nearest_centroid(tiny_x, 1, 0, tiny_centroids, 2, 1);
  ASSERT_EQ(want.cluster, 0);
  Nearest const got = nearest_from_expanded(
      2, row_norm, std::max(norms[0], norms[1]), 1, expanded,
      [&](int c) { return squared_distance(tiny_x, 1, 0, tiny_centroids + c, 1); });
  EXPECT_EQ(got.cluster, want.cluster);
  EXPECT_EQ(got.distance, want.distance);
}

class KMeansKernelBackends : public cie::testing::BackendTest {};

TEST_P(KMeansKernelBackends, LloydPassMatchesReferenceAcrossSizes) {
  struct Size {
    std::int64_t rows;
    int cols;
    int k;
  };
  for (Size size : {Size{1, 1, 1}, Size{257, 1, 3}, Size{257, 64, 5}, Size{1000, 3, 7},
                    Size{cie::testing::emulated_size<std::int64_t>(40009, 4097), 8, 16},
                    Size{3001, 24, cie::testing::emulated_size(300, 40)}}) {
    std::uint64_t const seed = 77 + static_cast<std::uint64_t>(size.rows);
    SCOPED_TRACE(::testing::Message() << "rows " << size.rows << " cols " << size.cols << " k "
                                      << size.k << " seed " << seed);
    RandomMatrix m = make_random_matrix(size.rows, size.cols, size.k, seed);
    auto workspace = make_kmeans_workspace(context(), m.x.data(), m.rows, m.cols, m.weight);
    std::vector<std::int32_t> labels(static_cast<std::size_t>(m.rows));
    KMeansPassStats stats = workspace->lloyd_pass(m.centroids, m.k, labels);

    std::vector<double> sums(m.centroids.size(), 0.0), weights(static_cast<std::size_t>(m.k), 0.0);
    double inertia = 0.0;
    std::vector<float> distances(static_cast<std::size_t>(m.rows));
    workspace->nearest_distances(m.centroids, m.k, distances);
    for (std::int64_t i = 0; i < m.rows; ++i) {
      Nearest nearest = nearest_centroid(m.x.data(), m.rows, i, m.centroids.data(), m.k, m.cols);
      ASSERT_EQ(labels[i], nearest.cluster) << "row " << i;
      ASSERT_EQ(distances[i], nearest.distance) << "row " << i;
      double const w = m.weight[i];
      weights[nearest.cluster] += w;
      inertia += w * nearest.distance;
      for (int j = 0; j < m.cols; ++j)
        sums[nearest.cluster * m.cols + j] += w * m.x[j * m.rows + i];
    }
    for (int c = 0; c < m.k; ++c) EXPECT_EQ(stats.weights[c], weights[c]) << "cluster " << c;
    for (std::size_t i = 0; i < sums.size(); ++i) {
      EXPECT_NEAR(stats.sums[i], sums[i], 1e-9 * (1.0 + std::fabs(sums[i]))) << "entry " << i;
    }
    EXPECT_NEAR(stats.inertia, inertia, 1e-9 * inertia);
  }
}

TEST_P(KMeansKernelBackends, SeedingPassesMatchReference) {
  RandomMatrix m = make_random_matrix(40009, 5, 3, 11);
  auto workspace = make_kmeans_workspace(context(), m.x.data(), m.rows, m.cols, m.weight);
  std::span<float const> first(m.centroids.data(), static_cast<std::size_t>(m.cols));
  std::span<float const> rest(m.centroids.data() + m.cols, static_cast<std::size_t>(2 * m.cols));
  workspace->update_closest(first, 1, true);
  std::vector<double> potentials = workspace->candidate_potentials(rest, 2);
  workspace->update_closest(rest, 2, false);
  std::vector<double> batches = workspace->batch_potentials();
  ASSERT_EQ(static_cast<std::int64_t>(batches.size()), workspace->batches());

  std::vector<double> expected_potentials(2, 0.0), expected_batches(batches.size(), 0.0);
  for (std::int64_t i = 0; i < m.rows; ++i) {
    float const d0 = squared_distance(m.x.data(), m.rows, i, m.centroids.data(), m.cols);
    float closest = d0;
    for (int c = 1; c < 3; ++c) {
      float const dc =
          squared_distance(m.x.data(), m.rows, i, m.centroids.data() + c * m.cols, m.cols);
      expected_potentials[c - 1] += sampling_potential(m.weight[i], std::min(d0, dc));
      closest = std::min(closest, dc);
    }
    expected_batches[i / kKMeansBatchRows] += sampling_potential(m.weight[i], closest);
  }
  for (int c = 0; c < 2; ++c)
    EXPECT_NEAR(potentials[c], expected_potentials[c], 1e-9 * potentials[c]);
  // Both twins sum each batch in row order, exactly as this loop does: equal bits.
  EXPECT_EQ(batches, expected_batches);
  std::vector<double> rows_of_last = workspace->row_potentials(workspace->batches() - 1);
  ASSERT_EQ(rows_of_last.size(), static_cast<std::size_t>(m.rows % kKMeansBatchRows));

  std::vector<std::int64_t> const picks = {0, 40008, 17};
  std::vector<float> points = workspace->gather_rows(picks);
  for (std::size_t p = 0; p < picks.size(); ++p) {
    for (int j = 0; j < m.cols; ++j) EXPECT_EQ(points[p * m.cols + j], m.x[j * m.rows + picks[p]]);
  }
}

TEST_P(KMeansKernelBackends, HartiganCandidatesMatchReference) {
  for (auto [rows, cols, k] : {std::tuple<std::int64_t, int, int>{1, 1, 1},
                               {257, 3, 4},
                               {cie::testing::emulated_size<std::int64_t>(40009, 4097), 8, 16},
                               {3001, 24, 40}}) {
    SCOPED_TRACE(::testing::Message() << "rows " << rows << " cols " << cols << " k " << k);
    RandomMatrix m = make_random_matrix(rows, cols, k, 5 + static_cast<std::uint64_t>(rows));
    auto workspace = make_kmeans_workspace(context(), m.x.data(), m.rows, m.cols, m.weight);
    // Labels from a shifted copy of the centroids, so many rows sit in a cluster that is not
    // their best; cluster weights as any partition might have them.
    std::vector<float> shifted = m.centroids;
    for (float& v : shifted) v += 0.5f;
    std::vector<std::int32_t> labels(static_cast<std::size_t>(rows));
    KMeansPassStats const stats = workspace->lloyd_pass(shifted, k, labels);
    std::vector<std::int64_t> const candidates =
        workspace->hartigan_candidates(m.centroids, k, stats.weights, labels);

    std::vector<std::int64_t> expected;
    for (std::int64_t i = 0; i < rows; ++i) {
      auto const distance = [&](int c) {
        return squared_distance(m.x.data(), rows, i, m.centroids.data() + c * cols, cols);
      };
      if (hartigan_target(m.weight[i], labels[i], stats.weights.data(), k, distance) >= 0) {
        expected.push_back(i);
      }
    }
    EXPECT_EQ(candidates, expected);
    if (rows > 1) EXPECT_FALSE(expected.empty());
  }
}

TEST_P(KMeansKernelBackends, TiesGoToTheLowerIndexInEveryRow) {
  // 37 rows (pairs of full SIMD tiles, a tile and a tail) at (i, 0, ...); centroids 2 and 4 are
  // equally near every row (offsets ±1 in feature 1), once within a sweep of four centroids and
  // once after it. cols 8 also takes the sweeps compiled for eight features.
  std::int64_t const rows = 37;
  for (int cols : {3, 8}) {
    SCOPED_TRACE(::testing::Message() << "cols " << cols);
    std::vector<float> x(static_cast<std::size_t>(rows) * cols, 0.0f);
    for (std::int64_t i = 0; i < rows; ++i) x[i] = static_cast<float>(i);
    std::vector<float> centroids;
    for (int c = 0; c < 5; ++c) {
      float const offset = c == 2 ? 1.0f : (c == 4 ? -1.0f : 10.0f + c);
      std::vector<float> point(static_cast<std::size_t>(cols), 0.0f);
      point[1] = offset;
      centroids.insert(centroids.end(), point.begin(), point.end());
    }
    auto workspace = make_kmeans_workspace(context(), x.data(), rows, cols, {});
    std::vector<std::int32_t> labels(static_cast<std::size_t>(rows));
    KMeansPassStats const stats = workspace->lloyd_pass(centroids, 5, labels);
    std::vector<float> distances(static_cast<std::size_t>(rows));
    workspace->nearest_distances(centroids, 5, distances);
    for (std::int64_t i = 0; i < rows; ++i) {
      ASSERT_EQ(labels[i], 2) << "row " << i;
      ASSERT_EQ(distances[i], static_cast<float>(i * i) + 1.0f) << "row " << i;
    }
    EXPECT_EQ(stats.weights[2], static_cast<double>(rows));
    EXPECT_EQ(stats.weights[4], 0.0);
  }
}

TEST_P(KMeansKernelBackends, UnweightedPassEqualsUnitWeightsBitForBit) {
  for (int cols : {3, 8, 11}) {
    std::int64_t const rows = cie::testing::emulated_size<std::int64_t>(20001, 4097);
    SCOPED_TRACE(::testing::Message() << "rows " << rows << " cols " << cols << " k 6 seed 31");
    RandomMatrix m = make_random_matrix(rows, cols, 6, 31);
    std::vector<float> const ones(static_cast<std::size_t>(m.rows), 1.0f);
    auto unweighted = make_kmeans_workspace(context(), m.x.data(), m.rows, m.cols, {});
    auto unit = make_kmeans_workspace(context(), m.x.data(), m.rows, m.cols, ones);
    KMeansPassStats const a = unweighted->lloyd_pass(m.centroids, m.k, {});
    KMeansPassStats const b = unit->lloyd_pass(m.centroids, m.k, {});
    EXPECT_EQ(a.sums, b.sums);
    EXPECT_EQ(a.weights, b.weights);
    EXPECT_EQ(a.inertia, b.inertia);
  }
}

INSTANTIATE_TEST_SUITE_P(KMeans, KMeansKernelBackends,
                         ::testing::Values(Backend::kCpu, Backend::kCuda),
                         cie::testing::backend_name);

TEST(KMeansKernels, CpuPassDoesNotDependOnThreadCount) {
  RandomMatrix m = make_random_matrix(100003, 8, 16, 5);
  Context one = Context::cpu(1);
  Context two = Context::cpu(2);
  auto a = cpu_impl::make_kmeans_workspace(one, m.x.data(), m.rows, m.rows, m.cols, m.weight);
  auto b = cpu_impl::make_kmeans_workspace(two, m.x.data(), m.rows, m.rows, m.cols, m.weight);
  KMeansPassStats sa = a->lloyd_pass(m.centroids, m.k, {});
  KMeansPassStats sb = b->lloyd_pass(m.centroids, m.k, {});
  EXPECT_EQ(sa.sums, sb.sums);
  EXPECT_EQ(sa.weights, sb.weights);
  EXPECT_EQ(sa.inertia, sb.inertia);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::kernels

// The k-selection rules: each on hand-made curves, and the gap statistic and the elbow finding
// the number of clusters of data that has a known number (4 and 6 separated blobs).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "core/error.hpp"
#include "models/segments/k_selection.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(KSelection, GapRuleTakesTheSmallestKWithinOneStandardErrorOfTheNext) {
  std::vector<int> const ks = {1, 2, 3, 4, 5};
  GapCurve curve;
  curve.gap = {0.1, 0.5, 0.9, 0.95, 0.97};
  curve.s = {0.02, 0.02, 0.02, 0.06, 0.02};
  bool flagged = true;
  // k = 3: 0.9 >= 0.95 - 0.06.
  EXPECT_EQ(ks[gap_rule(ks, curve, 1, flagged)], 3);
  EXPECT_FALSE(flagged);
  // k >= 4: 0.95 >= 0.97 - 0.02.
  EXPECT_EQ(ks[gap_rule(ks, curve, 4, flagged)], 4);
  // Rising by more than s everywhere: no k passes, the highest gap is taken and flagged.
  curve.s = {0.0, 0.0, 0.0, 0.0, 0.0};
  EXPECT_EQ(ks[gap_rule(ks, curve, 1, flagged)], 5);
  EXPECT_TRUE(flagged);
}

TEST(KSelection, ElbowIsTheInertiaPointFarthestBelowTheChord) {
  std::vector<int> const ks = {2, 3, 4, 5, 6, 7};
  std::vector<double> const inertia = {1000, 600, 200, 180, 170, 160};
  EXPECT_EQ(ks[elbow_rule(ks, inertia, 1)], 4);
  // From k >= 5 on, the curve is a straight line: no elbow.
  EXPECT_EQ(elbow_rule(ks, inertia, 5), kNoChoice);
  // Fewer than three eligible k.
  EXPECT_EQ(elbow_rule(ks, inertia, 6), kNoChoice);
  std::vector<double> const flat = {5, 5, 5, 5, 5, 5};
  EXPECT_EQ(elbow_rule(ks, flat, 1), kNoChoice);
}

TEST(KSelection, ExtremesAndSilhouetteRespectMinKAndIgnoreNaN) {
  std::vector<int> const ks = {2, 3, 4, 5};
  std::vector<double> const values = {kNaN, 0.30, 0.60, 0.595};
  EXPECT_EQ(ks[extreme_rule(ks, values, 1, true)], 4);
  EXPECT_EQ(ks[extreme_rule(ks, values, 1, false)], 3);
  EXPECT_EQ(ks[extreme_rule(ks, values, 5, true)], 5);
  // Silhouette: 0.595 ties 0.60 within 0.01 and 4 < 5; from k >= 5 only 5 is left.
  EXPECT_EQ(ks[silhouette_rule(ks, values, 1)], 4);
  EXPECT_EQ(ks[silhouette_rule(ks, values, 5)], 5);
  std::vector<double> const none = {kNaN, kNaN, kNaN, kNaN};
  EXPECT_EQ(silhouette_rule(ks, none, 1), kNoChoice);
}

TEST(KSelection, RuleNamesRoundTrip) {
  for (char const* name : {"silhouette", "gap", "elbow", "davies-bouldin", "calinski-harabasz"}) {
    EXPECT_EQ(selection_rule_name(parse_selection_rule(name, "--rule")), name);
  }
  EXPECT_THROW((void)parse_selection_rule("aic", "--rule"), Error);
}

TEST(KSelection, ReferenceSetsAreUniformOverTheBoundingBoxAndSeeded) {
  std::vector<float> data = {0, 1, 2, 3, -5, 5, 0, 0};  // columns [0, 3] and [-5, 5]
  FeatureMatrix const x{data.data(), 4, 2};
  std::vector<float> const a = uniform_reference(x, 7, 0);
  EXPECT_EQ(a, uniform_reference(x, 7, 0));
  EXPECT_NE(a, uniform_reference(x, 7, 1));
  EXPECT_NE(a, uniform_reference(x, 8, 0));
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_GE(a[i], 0.0f);
    EXPECT_LE(a[i], 3.0f);
    EXPECT_GE(a[4 + i], -5.0f);
    EXPECT_LE(a[4 + i], 5.0f);
  }
}

/// `blobs` Gaussian blobs of 150 rows each (sd 1) centred at 10 × the unit vectors of a space of
/// `blobs` dimensions: every two centres are equally far apart, so no grouping of blobs is a
/// plausible clustering at a smaller k.
std::vector<float> make_blobs(int blobs, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  auto const d = static_cast<std::size_t>(blobs);
  std::size_t const n = d * 150;
  std::vector<float> x(d * n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) {
      x[j * n + i] = static_cast<float>((i % d == j ? 10.0 : 0.0) + noise(rng));
    }
  }
  return x;
}

class KnownClusters : public ::testing::TestWithParam<int> {};

TEST_P(KnownClusters, GapAndElbowFindThem) {
  int const truth = GetParam();
  Context const ctx = Context::cpu(2);
  std::vector<float> const data = make_blobs(truth, 100 + static_cast<std::uint64_t>(truth));
  auto const d = static_cast<std::size_t>(truth);
  FeatureMatrix const x{data.data(), data.size() / d, d};
  auto const fit = [&](FeatureMatrix m, int k) {
    KMeansParams params;
    params.n_clusters = k;
    params.n_init = 5;
    params.seed = 9;
    return kmeans_fit(ctx, params, m).inertia;
  };
  KSelectionTable table;
  for (int k = 1; k <= 10; ++k) {
    table.ks.push_back(k);
    table.inertia.push_back(fit(x, k));
    table.silhouette.push_back(kNaN);
    table.davies_bouldin.push_back(kNaN);
    table.calinski_harabasz.push_back(kNaN);
  }
  table.gap = gap_statistic(x, table.ks, table.inertia, 10, 42, fit);
  std::vector<KSelectionChoice> const choices = apply_selection_rules(table, 1);
  KSelectionChoice const& gap = choices[static_cast<std::size_t>(KSelectionRule::kGap)];
  KSelectionChoice const& elbow = choices[static_cast<std::size_t>(KSelectionRule::kElbow)];
  ASSERT_NE(gap.index, kNoChoice);
  EXPECT_EQ(table.ks[gap.index], truth) << "gap " << ::testing::PrintToString(table.gap->gap);
  EXPECT_FALSE(gap.flagged);
  ASSERT_NE(elbow.index, kNoChoice);
  EXPECT_EQ(table.ks[elbow.index], truth) << "inertia " << ::testing::PrintToString(table.inertia);
  // Structure makes the data's dispersion far below the references': Gap(truth) > Gap(1).
  EXPECT_GT(table.gap->gap[static_cast<std::size_t>(truth - 1)], table.gap->gap[0] + 1.0);
  // A minimum k above the truth moves every rule to at least that k.
  for (KSelectionChoice const& choice : apply_selection_rules(table, truth + 2)) {
    if (choice.index != kNoChoice) EXPECT_GE(table.ks[choice.index], truth + 2);
  }
}

INSTANTIATE_TEST_SUITE_P(Blobs, KnownClusters, ::testing::Values(4, 6));

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

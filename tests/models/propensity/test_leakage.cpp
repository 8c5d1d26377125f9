// univariate_auc and leaking_features (models/propensity/leakage.hpp): the Mann-Whitney AUC with
// ties counted half and missing rows left out, and only the features above the threshold named.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "models/propensity/leakage.hpp"

namespace cie {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(Leakage, UnivariateAucCountsTiesHalfAndSkipsMissingValues) {
  // Positives at 2, 3 and 3; negatives at 1, 3 and NaN: of the 3 × 2 pairs, (2 > 1), (3 > 1)
  // twice and (3 = 3) twice count 1, 1, 1, ½, ½: AUC = 4 / 6.
  std::vector<float> const values = {2, 3, 3, 1, 3, kNaN};
  std::vector<float> const label = {1, 1, 1, 0, 0, 0};
  EXPECT_DOUBLE_EQ(univariate_auc(values, label), 4.0 / 6.0);
  std::vector<float> const reversed = {-2, -3, -3, -1, -3, kNaN};
  EXPECT_DOUBLE_EQ(univariate_auc(reversed, label), 2.0 / 6.0);
  std::vector<float> const one_class = {1, 2, kNaN, kNaN, kNaN, kNaN};
  EXPECT_DOUBLE_EQ(univariate_auc(one_class, label), 0.5);
}

TEST(Leakage, NamesOnlyTheFeaturesThatSeparateTheClasses) {
  // Column 0: the label itself (AUC 1); column 1: its negation (AUC 0, so 1); column 2: noise.
  std::size_t const rows = 40;
  std::vector<float> x(rows * 3), label(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    label[i] = i % 3 == 0 ? 1.0f : 0.0f;
    x[i] = label[i];
    x[rows + i] = -label[i];
    x[2 * rows + i] = static_cast<float>(i % 5);
  }
  std::vector<LeakingFeature> const leaks =
      leaking_features({x.data(), rows, 3}, label, {"outcome", "negated", "noise"});
  ASSERT_EQ(leaks.size(), 2u);
  EXPECT_EQ(leaks[0].name, "outcome");
  EXPECT_DOUBLE_EQ(leaks[0].auc, 1.0);
  EXPECT_EQ(leaks[1].name, "negated");
  EXPECT_DOUBLE_EQ(leaks[1].auc, 1.0);
}

}  // namespace
}  // namespace cie

// univariate_auc and leaking_features (models/propensity/leakage.hpp): the Mann-Whitney AUC with
// ties counted half and missing rows left out, and only the features above the threshold named.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "models/propensity/leakage.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

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

TEST(Leakage, APureTailOfResponderValuesIsNamedThoughTheAucIsLow) {
  // Hillstrom's conversion for visit: 40 of 1000 customers converted, all of them visitors
  // (200 visitors in all): AUC 0.6, but 0.2^40 is far below 1e-12.
  std::size_t const rows = 1000;
  std::vector<float> x(rows * 2), label(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    label[i] = i % 5 == 0 ? 1.0f : 0.0f;
    x[i] = i % 25 == 0 ? 1.0f : 0.0f;                 // converted: 40 rows, all visitors
    x[rows + i] = i % 25 == 0 ? kNaN : float(i % 7);  // noise, with gaps
  }
  LeakingFeature const tail = pure_tail({x.data(), rows}, label);
  EXPECT_EQ(tail.tail_rows, 40u);
  EXPECT_EQ(tail.tail_class, 1.0f);
  EXPECT_TRUE(tail.tail_high);
  EXPECT_DOUBLE_EQ(tail.class_share, 0.2);
  std::vector<LeakingFeature> const leaks =
      leaking_features({x.data(), rows, 2}, label, {"conversion", "noise"});
  ASSERT_EQ(leaks.size(), 1u);
  EXPECT_EQ(leaks[0].name, "conversion");
  EXPECT_EQ(leaks[0].tail_rows, 40u);
  EXPECT_NEAR(leaks[0].auc, 0.6, 1e-12);
}

TEST(Leakage, ShortOrLikelyTailsAreNotNamed) {
  std::size_t const rows = 1000;
  std::vector<float> label(rows), short_tail(rows), negative_tail(rows), low_tail(rows);
  for (std::size_t i = 0; i < rows; ++i) label[i] = i % 5 == 0 ? 1.0f : 0.0f;
  // 29 responders alone at the top: below the 30-row floor.
  for (std::size_t i = 0; i < rows; ++i) short_tail[i] = i % 5 == 0 && i < 145 ? 1.0f : 0.0f;
  EXPECT_EQ(pure_tail(short_tail, label).tail_rows, 29u);
  // 100 non-responders alone at the top: 0.8^100 = 2e-10, likely enough by chance.
  for (std::size_t i = 0; i < rows; ++i) negative_tail[i] = i % 5 != 0 && i < 125 ? 1.0f : 0.0f;
  LeakingFeature const negative = pure_tail(negative_tail, label);
  EXPECT_EQ(negative.tail_rows, 100u);
  EXPECT_EQ(negative.tail_class, 0.0f);
  // 130 of them at the bottom (-1): 0.8^130 = 2.5e-13, named.
  for (std::size_t i = 0; i < rows; ++i) low_tail[i] = i % 5 != 0 && i < 163 ? -1.0f : 0.0f;
  LeakingFeature const low = pure_tail(low_tail, label);
  EXPECT_EQ(low.tail_rows, 130u);
  EXPECT_FALSE(low.tail_high);
  std::vector<float> x;
  for (auto const* column : {&short_tail, &negative_tail, &low_tail})
    x.insert(x.end(), column->begin(), column->end());
  std::vector<LeakingFeature> const leaks =
      leaking_features({x.data(), rows, 3}, label, {"short", "negative", "low"});
  ASSERT_EQ(leaks.size(), 1u);
  EXPECT_EQ(leaks[0].name, "low");
  // A tie group holding both classes ends a tail; a constant column has none.
  std::vector<float> const constant(rows, 3.0f);
  EXPECT_EQ(pure_tail(constant, label).tail_rows, 0u);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

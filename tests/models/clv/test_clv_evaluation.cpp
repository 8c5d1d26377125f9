// The calibration/holdout table: grouping by calibration frequency with the last row gathering
// the larger ones, weights, and the two MAEs.
#include <gtest/gtest.h>

#include <vector>

#include "models/clv/clv_evaluation.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

TEST(ClvEvaluation, GroupsByCalibrationFrequencyAndMeasuresErrors) {
  std::vector<double> const x = {0, 0, 1, 3, 5, 9};
  std::vector<double> const actual = {0, 1, 2, 2, 6, 8};
  std::vector<double> const predicted = {0.5, 0.5, 1.0, 2.5, 4.0, 9.0};
  HoldoutEvaluation const e = evaluate_holdout(x, actual, predicted, {}, 3);
  ASSERT_EQ(e.by_frequency.size(), 3u);  // 0, 1 and 3+ (no customer with 2)
  EXPECT_EQ(e.by_frequency[0].frequency, 0);
  EXPECT_EQ(e.by_frequency[0].customers, 2.0);
  EXPECT_DOUBLE_EQ(e.by_frequency[0].actual_mean, 0.5);
  EXPECT_DOUBLE_EQ(e.by_frequency[0].predicted_mean, 0.5);
  EXPECT_EQ(e.by_frequency[2].frequency, 3);
  EXPECT_TRUE(e.by_frequency[2].or_more);
  EXPECT_FALSE(e.by_frequency[1].or_more);
  EXPECT_DOUBLE_EQ(e.by_frequency[2].actual_mean, 16.0 / 3.0);
  EXPECT_DOUBLE_EQ(e.by_frequency[2].predicted_mean, 15.5 / 3.0);
  EXPECT_DOUBLE_EQ(e.customer_mae, (0.5 + 0.5 + 1.0 + 0.5 + 2.0 + 1.0) / 6.0);
  EXPECT_NEAR(e.frequency_mae, (0.0 + 1.0 + 3.0 * (0.5 / 3.0)) / 6.0, 1e-15);
  EXPECT_DOUBLE_EQ(e.actual_total, 19.0);
  EXPECT_DOUBLE_EQ(e.predicted_total, 17.5);

  // A weight w counts as w identical customers.
  std::vector<double> const weights = {2, 1, 1, 1, 1, 1};
  std::vector<double> const x2 = {0, 0, 0, 1, 3, 5, 9};
  std::vector<double> const a2 = {0, 0, 1, 2, 2, 6, 8};
  std::vector<double> const p2 = {0.5, 0.5, 0.5, 1.0, 2.5, 4.0, 9.0};
  HoldoutEvaluation const w = evaluate_holdout(x, actual, predicted, weights, 3);
  HoldoutEvaluation const r = evaluate_holdout(x2, a2, p2, {}, 3);
  EXPECT_DOUBLE_EQ(w.customer_mae, r.customer_mae);
  EXPECT_DOUBLE_EQ(w.by_frequency[0].actual_mean, r.by_frequency[0].actual_mean);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

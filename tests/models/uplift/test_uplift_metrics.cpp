// Uplift metrics on a six-customer example computed by hand, with tied predictions: the Qini
// and uplift curves are evaluated at the end of each tie group, and the Qini coefficient is
// (area − baseline) / (perfect area − baseline). scikit-uplift agreement on real predictions is
// checked in tests/python/test_uplift_sklift.py.
#include <gtest/gtest.h>

#include <vector>

#include "models/uplift/uplift_metrics.hpp"
#include "tests/test_support.hpp"

namespace cie::uplift {
namespace CIE_TEST_FILE_ID {

std::vector<double> const kUplift = {0.3, 0.3, 0.2, 0.1, 0.1, 0.0};
std::vector<std::uint8_t> const kResponse = {1, 0, 1, 0, 1, 0};
std::vector<std::uint8_t> const kTreatment = {1, 0, 1, 1, 0, 0};

TEST(UpliftMetrics, CurvesAtTieGroupEnds) {
  UpliftCurve const qini = qini_curve(kUplift, kResponse, kTreatment);
  EXPECT_EQ(qini.customers, (std::vector<double>{0, 2, 3, 5, 6}));
  EXPECT_EQ(qini.value, (std::vector<double>{0, 1, 2, 0.5, 1}));
  EXPECT_DOUBLE_EQ(curve_area(qini), 5.75);
  UpliftCurve const gain = uplift_curve(kUplift, kResponse, kTreatment);
  ASSERT_EQ(gain.value.size(), 5u);
  EXPECT_DOUBLE_EQ(gain.value[1], 2.0);                          // (1/1 − 0/1) · 2
  EXPECT_DOUBLE_EQ(gain.value[3], (2.0 / 3.0 - 1.0 / 2.0) * 5);  // after the second tie group
  EXPECT_DOUBLE_EQ(gain.value[4], 2.0);
}

TEST(UpliftMetrics, QiniCoefficientAgainstThePerfectRanking) {
  // Perfect ranking: treated responders, then the rest, then control responders: curve
  // (0,0) (2,2) (5,2) (6,1), area 9.5; baseline 6 · 1 / 2 = 3.
  EXPECT_DOUBLE_EQ(qini_coefficient(kUplift, kResponse, kTreatment), (5.75 - 3.0) / (9.5 - 3.0));
  // Reversing the ranking cannot do better.
  std::vector<double> reversed(kUplift.size());
  for (std::size_t i = 0; i < kUplift.size(); ++i) reversed[i] = -kUplift[i];
  EXPECT_LT(qini_coefficient(reversed, kResponse, kTreatment),
            qini_coefficient(kUplift, kResponse, kTreatment));
}

TEST(UpliftMetrics, Deciles) {
  std::vector<UpliftDecile> const groups = uplift_by_decile(kUplift, kResponse, kTreatment, 3);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].treated, 1);  // rows 0 and 1
  EXPECT_EQ(groups[0].control, 1);
  EXPECT_DOUBLE_EQ(groups[0].observed_uplift, 1.0);
  EXPECT_DOUBLE_EQ(groups[2].mean_predicted, 0.05);  // rows 4 and 5
}

TEST(UpliftMetrics, RefusesBadInput) {
  std::vector<std::uint8_t> const all_treated(6, 1);
  cie::testing::expect_error([&] { qini_coefficient(kUplift, kResponse, all_treated); },
                             ExitCode::kInputData, "both treated and control");
  std::vector<std::uint8_t> const bad = {1, 0, 2, 0, 1, 0};
  cie::testing::expect_error([&] { uplift_auc(kUplift, bad, kTreatment); }, ExitCode::kInputData,
                             "row 3");
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::uplift

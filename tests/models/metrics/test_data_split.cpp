// Stratified train/validation splits and k-fold assignment: counts per class, reproducibility
// from the seed, balance, and argument checks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"
#include "models/metrics/data_split.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using ::testing::HasSubstr;

/// 1000 rows, 130 of them positive, spread out so that the classes are not contiguous.
std::vector<float> imbalanced_labels() {
  std::vector<float> label(1000, 0.0F);
  for (std::size_t i = 0; i < 130; ++i) label[i * 7 + 3] = 1.0F;
  return label;
}

std::size_t count_where(std::vector<float> const& label, std::vector<std::uint8_t> const& chosen,
                        float cls) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < label.size(); ++i) count += label[i] == cls && chosen[i] != 0;
  return count;
}

TEST(StratifiedSplit, TakesTheFractionOfEachClass) {
  std::vector<float> const label = imbalanced_labels();
  std::vector<std::uint8_t> const split = stratified_split(label, 0.25, 42);
  ASSERT_EQ(split.size(), label.size());
  EXPECT_EQ(count_where(label, split, 1.0F), 33U);   // round(130 × 0.25) = 32.5 -> 33
  EXPECT_EQ(count_where(label, split, 0.0F), 218U);  // round(870 × 0.25) = 217.5 -> 218
}

TEST(StratifiedSplit, SmallClassesKeepARowOnEachSide) {
  std::vector<float> const label = {0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1};
  std::vector<std::uint8_t> const tiny = stratified_split(label, 0.01, 1);
  EXPECT_EQ(count_where(label, tiny, 1.0F), 1U);
  EXPECT_EQ(count_where(label, tiny, 0.0F), 1U);
  std::vector<std::uint8_t> const huge = stratified_split(label, 0.99, 1);
  EXPECT_EQ(count_where(label, huge, 1.0F), 2U);
  EXPECT_EQ(count_where(label, huge, 0.0F), 7U);
}

TEST(StratifiedSplit, ReproducibleForASeedAndDifferentForAnother) {
  std::vector<float> const label = imbalanced_labels();
  std::vector<std::uint8_t> const a = stratified_split(label, 0.2, 7);
  EXPECT_EQ(a, stratified_split(label, 0.2, 7));
  std::vector<std::uint8_t> const b = stratified_split(label, 0.2, 8);
  EXPECT_NE(a, b);
  EXPECT_EQ(count_where(label, b, 1.0F), count_where(label, a, 1.0F));
}

TEST(StratifiedFolds, PartitionRowsIntoBalancedFolds) {
  std::vector<float> const label = imbalanced_labels();
  for (int const k : {2, 3, 5, 7}) {
    std::vector<std::int32_t> const fold = stratified_folds(label, k, 11);
    ASSERT_EQ(fold.size(), label.size());
    std::vector<std::size_t> total(static_cast<std::size_t>(k), 0);
    std::vector<std::size_t> positive(static_cast<std::size_t>(k), 0);
    for (std::size_t i = 0; i < fold.size(); ++i) {
      ASSERT_GE(fold[i], 0);
      ASSERT_LT(fold[i], k);
      ++total[static_cast<std::size_t>(fold[i])];
      positive[static_cast<std::size_t>(fold[i])] += label[i] == 1.0F;
    }
    auto const spread = [](std::vector<std::size_t> const& counts) {
      auto const [low, high] = std::minmax_element(counts.begin(), counts.end());
      return *high - *low;
    };
    EXPECT_LE(spread(total), 1U) << "k=" << k;
    EXPECT_LE(spread(positive), 1U) << "k=" << k;
    std::vector<std::size_t> negative(total.size());
    for (std::size_t f = 0; f < total.size(); ++f) negative[f] = total[f] - positive[f];
    EXPECT_LE(spread(negative), 1U) << "k=" << k;
  }
  EXPECT_EQ(stratified_folds(label, 5, 3), stratified_folds(label, 5, 3));
  EXPECT_NE(stratified_folds(label, 5, 3), stratified_folds(label, 5, 4));
}

TEST(DataSplit, BadArgumentsAreRejected) {
  std::vector<float> const label = {0, 1, 0, 1};
  auto const code_of = [](auto&& call) {
    try {
      call();
    } catch (Error const& e) {
      return e.code();
    }
    return ExitCode::kSuccess;
  };
  EXPECT_EQ(code_of([&] { (void)stratified_split(label, 0.0, 1); }), ExitCode::kUsage);
  EXPECT_EQ(code_of([&] { (void)stratified_split(label, 1.0, 1); }), ExitCode::kUsage);
  EXPECT_EQ(code_of([&] { (void)stratified_split({}, 0.5, 1); }), ExitCode::kUsage);
  EXPECT_EQ(code_of([&] { (void)stratified_folds(label, 1, 1); }), ExitCode::kUsage);
  EXPECT_EQ(code_of([&] { (void)stratified_folds(label, 5, 1); }), ExitCode::kUsage);
  std::vector<float> const bad = {0, 1, 0.5F};
  try {
    (void)stratified_split(bad, 0.5, 1);
    ADD_FAILURE() << "a label of 0.5 was accepted";
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), ExitCode::kInputData);
    EXPECT_THAT(e.what(), HasSubstr("label of row 3 is 0.5"));
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

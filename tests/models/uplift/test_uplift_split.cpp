// Uplift hold-out and folds (models/uplift/uplift_split.hpp): every stratum of treatment and
// response is split exactly (fold sizes within a stratum differ by at most one, the hold-out
// takes round(n × fraction) of each), the same seed gives the same assignment and another seed
// another one, and rows left out of the cross-validation get no fold.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <vector>

#include "core/error.hpp"
#include "core/random.hpp"
#include "models/uplift/uplift_split.hpp"

namespace cie::uplift {
namespace CIE_TEST_FILE_ID {

struct Data {
  std::vector<float> response;
  std::vector<std::uint8_t> treatment;
};

Data make_data(std::size_t rows) {
  Data data;
  Random random(5, 0);
  for (std::size_t i = 0; i < rows; ++i) {
    bool const treated = random.bernoulli(0.3);
    data.treatment.push_back(treated ? 1 : 0);
    data.response.push_back(random.bernoulli(treated ? 0.2 : 0.1) ? 1.0F : 0.0F);
  }
  return data;
}

int stratum(Data const& data, std::size_t row) {
  return 2 * data.treatment[row] + (data.response[row] == 1.0F ? 1 : 0);
}

TEST(UpliftSplit, FoldsAreExactlyStratified) {
  Data const data = make_data(1003);
  int const k = 5;
  std::vector<std::int32_t> const fold = uplift_folds(data.response, data.treatment, {}, k, 9);
  std::array<std::array<int, 5>, 4> count{};
  std::array<int, 5> total{};
  for (std::size_t i = 0; i < fold.size(); ++i) {
    ASSERT_GE(fold[i], 0);
    ASSERT_LT(fold[i], k);
    ++count[stratum(data, i)][fold[i]];
    ++total[fold[i]];
  }
  for (auto const& per_fold : count) {
    EXPECT_LE(*std::max_element(per_fold.begin(), per_fold.end()) -
                  *std::min_element(per_fold.begin(), per_fold.end()),
              1);
  }
  EXPECT_LE(
      *std::max_element(total.begin(), total.end()) - *std::min_element(total.begin(), total.end()),
      1);
}

TEST(UpliftSplit, SameSeedSameFoldsOtherSeedOthers) {
  Data const data = make_data(500);
  auto const a = uplift_folds(data.response, data.treatment, {}, 4, 42);
  auto const b = uplift_folds(data.response, data.treatment, {}, 4, 42);
  auto const c = uplift_folds(data.response, data.treatment, {}, 4, 43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(UpliftSplit, RowsOutsideTheCrossValidationGetNoFold) {
  Data const data = make_data(300);
  std::vector<std::uint8_t> const held = uplift_holdout(data.response, data.treatment, 0.5, 42);
  std::vector<std::uint8_t> use(held.size());
  for (std::size_t i = 0; i < held.size(); ++i) use[i] = held[i] == 0 ? 1 : 0;
  auto const fold = uplift_folds(data.response, data.treatment, use, 3, 42);
  for (std::size_t i = 0; i < fold.size(); ++i) EXPECT_EQ(fold[i] < 0, use[i] == 0) << i;
}

TEST(UpliftSplit, HoldOutTakesItsShareOfEveryStratum) {
  Data const data = make_data(2001);
  std::vector<std::uint8_t> const held = uplift_holdout(data.response, data.treatment, 0.3, 7);
  std::array<int, 4> size{};
  std::array<int, 4> taken{};
  for (std::size_t i = 0; i < held.size(); ++i) {
    ++size[stratum(data, i)];
    taken[stratum(data, i)] += held[i];
  }
  for (int s = 0; s < 4; ++s) EXPECT_EQ(taken[s], static_cast<int>(std::lround(size[s] * 0.3)));
  EXPECT_EQ(held, uplift_holdout(data.response, data.treatment, 0.3, 7));
}

TEST(UpliftSplit, RefusesTooManyFolds) {
  Data const data = make_data(4);
  EXPECT_THROW((void)uplift_folds(data.response, data.treatment, {}, 5, 1), Error);
  EXPECT_THROW((void)uplift_folds(data.response, data.treatment, {}, 1, 1), Error);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::uplift

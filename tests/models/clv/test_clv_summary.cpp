// collapse_purchase_rows and collapse_spend_rows (hash grouping, then the distinct keys sorted)
// against the plain definition: a stable sort by key, then runs of equal keys merged with their
// weights summed in row order. Equal rows, equal weights to the bit, −0.0 grouped with 0.0.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <tuple>

#include "models/clv/clv_summary.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

/// The definition, on any key: rows sorted stably by key, runs merged.
template <typename Key>
ClvSummary reference_collapse(ClvSummary const& in, std::vector<std::size_t> rows, Key key) {
  std::stable_sort(rows.begin(), rows.end(),
                   [&](std::size_t i, std::size_t j) { return key(i) < key(j); });
  ClvSummary out;
  for (std::size_t k = 0; k < rows.size();) {
    std::size_t const first = rows[k];
    double total = 0.0;
    for (; k < rows.size() && key(rows[k]) == key(first); ++k) {
      total += in.weight.empty() ? 1.0 : in.weight[rows[k]];
    }
    out.frequency.push_back(in.frequency[first]);
    out.recency.push_back(in.recency[first]);
    out.age.push_back(in.age[first]);
    out.value.push_back(in.value[first]);
    out.weight.push_back(total);
  }
  return out;
}

ClvSummary random_summary(std::size_t n, bool weighted, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> small(0, 6), weeks(1, 40);
  std::uniform_real_distribution<double> weight(0.0, 3.0);
  ClvSummary s;
  for (std::size_t i = 0; i < n; ++i) {
    double const x = small(rng);
    double const age = weeks(rng) / 7.0;
    double t_x = x > 0 ? age * small(rng) / 6.0 : 0.0;
    if (t_x == 0.0 && i % 3 == 0) t_x = -0.0;  // equal to 0.0: one group
    s.frequency.push_back(x);
    s.recency.push_back(t_x);
    s.age.push_back(age);
    s.value.push_back(x > 0 ? (small(rng) - 1) * 2.5 : 0.0);  // some <= 0
    if (weighted) s.weight.push_back(weight(rng) * (i % 11 == 0 ? 1e-9 : 1.0));
  }
  return s;
}

void expect_same_bits(std::vector<double> const& a, std::vector<double> const& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << "row " << i;
}

TEST(ClvSummary, CollapseEqualsSortingAndMergingRuns) {
  for (bool const weighted : {false, true}) {
    for (std::size_t const n : {std::size_t{0}, std::size_t{1}, std::size_t{5000}}) {
      ClvSummary const s = random_summary(n, weighted, 17 + n);
      std::vector<std::size_t> all(n);
      std::iota(all.begin(), all.end(), std::size_t{0});
      ClvSummary const purchases = collapse_purchase_rows(s);
      ClvSummary const expected = reference_collapse(s, all, [&](std::size_t i) {
        return std::tuple(s.age[i], s.frequency[i], s.recency[i]);
      });
      expect_same_bits(purchases.frequency, expected.frequency);
      expect_same_bits(purchases.recency, expected.recency);
      expect_same_bits(purchases.age, expected.age);
      expect_same_bits(purchases.weight, expected.weight);
      if (n > 100) EXPECT_LT(purchases.size(), n / 2);  // rows do repeat

      std::vector<std::size_t> positive;
      double nonpositive_expected = 0.0;
      for (std::size_t i = 0; i < n; ++i) {
        if (s.frequency[i] <= 0.0) continue;
        if (s.value[i] > 0.0) {
          positive.push_back(i);
        } else {
          nonpositive_expected += weighted ? s.weight[i] : 1.0;
        }
      }
      double nonpositive = -1.0;
      ClvSummary const spend = collapse_spend_rows(s, nonpositive);
      ClvSummary const expected_spend = reference_collapse(
          s, positive, [&](std::size_t i) { return std::pair(s.frequency[i], s.value[i]); });
      expect_same_bits(spend.frequency, expected_spend.frequency);
      expect_same_bits(spend.value, expected_spend.value);
      expect_same_bits(spend.weight, expected_spend.weight);
      EXPECT_EQ(nonpositive, nonpositive_expected);
    }
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

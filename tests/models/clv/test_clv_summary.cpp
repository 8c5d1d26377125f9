// collapse_purchase_rows and collapse_spend_rows (a radix sort of coded keys, then runs merged)
// against the plain definition: a stable sort by key, then runs of equal keys merged with their
// weights summed in row order. Equal rows, equal weights to the bit, −0.0 grouped with 0.0 (and
// written as 0.0 in the purchase rows).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
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
    out.frequency.push_back(in.frequency[first] + 0.0);  // −0.0 as 0.0
    out.recency.push_back(in.recency[first] + 0.0);
    out.age.push_back(in.age[first] + 0.0);
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
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(std::bit_cast<std::uint64_t>(a[i]), std::bit_cast<std::uint64_t>(b[i]))
        << "row " << i << ": " << a[i] << " vs " << b[i];
  }
}

/// Wider keys (thousands of distinct T and t_x, continuous values repeated now and then), T = 0
/// (also as −0.0), exact zero weights: every radix digit of the collapse's keys varies. With
/// `continuous` T and t_x take tens of thousands of values: (T, x, t_x)'s codes need more than the
/// 32 bits of the radix sort's prefix, so runs of equal prefixes are sorted too.
ClvSummary wide_summary(std::size_t n, bool weighted, std::uint64_t seed, bool continuous = false) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> count(0, 40), day(0, 3000), pick(0, 9);
  std::uniform_real_distribution<double> value(0.01, 500.0), weight(0.0, 2.0), unit(0.0, 1.0);
  ClvSummary s;
  for (std::size_t i = 0; i < n; ++i) {
    int const kind = pick(rng);
    double age = kind == 0    ? (i % 2 == 0 ? 0.0 : -0.0)
                 : continuous ? 400.0 * unit(rng)
                              : day(rng) / 7.0;
    double x = age > 0.0 ? count(rng) : 0.0;
    double t_x = x <= 0.0     ? 0.0
                 : continuous ? age * unit(rng)
                              : std::floor(age * 7.0 * (day(rng) / 3000.0)) / 7.0;
    double m = x > 0.0 ? value(rng) : 0.0;
    if (kind == 1 && i > 0) {  // a copy of an earlier row: equal keys far apart
      std::size_t const j = rng() % i;
      x = s.frequency[j];
      t_x = s.recency[j];
      age = s.age[j];
      m = s.value[j];
    }
    if (kind == 2) m = -m;  // left out of the spend rows
    s.frequency.push_back(x);
    s.recency.push_back(t_x);
    s.age.push_back(age);
    s.value.push_back(m);
    if (weighted) s.weight.push_back(kind == 3 ? 0.0 : weight(rng));
  }
  return s;
}

void expect_value_table(std::vector<double> const& column, std::vector<std::uint32_t> const& code,
                        std::vector<double> const& values) {
  ASSERT_EQ(code.size(), column.size());
  for (std::size_t v = 1; v < values.size(); ++v) EXPECT_LT(values[v - 1], values[v]);
  for (double v : values) EXPECT_FALSE(std::signbit(v));
  std::vector<bool> used(values.size(), false);
  for (std::size_t g = 0; g < column.size(); ++g) {
    ASSERT_LT(code[g], values.size());
    EXPECT_EQ(values[code[g]], column[g]);
    used[code[g]] = true;
  }
  EXPECT_TRUE(std::all_of(used.begin(), used.end(), [](bool u) { return u; }));  // no stray values
}

TEST(ClvSummary, CollapseEqualsSortingAndMergingRuns) {
  for (bool const weighted : {false, true}) {
    for (std::size_t const n : {std::size_t{0}, std::size_t{1}, std::size_t{5000},
                                std::size_t{5001}, std::size_t{60000}, std::size_t{60001}}) {
      ClvSummary const s = n > 5000 ? wide_summary(n, weighted, 3 + n, n == 60001)
                                    : random_summary(n, weighted, 17 + n);
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
      if (n > 100 && n <= 5000) EXPECT_LT(purchases.size(), n / 2);  // rows do repeat
      // The tables of t_x and T: distinct values ascending (−0.0 as 0.0), each row's entry == it.
      expect_value_table(purchases.recency, purchases.recency_code, purchases.recency_values);
      expect_value_table(purchases.age, purchases.age_code, purchases.age_values);

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
      ASSERT_EQ(spend.log_value.size(), spend.size());
      for (std::size_t g = 0; g < spend.size(); ++g) {
        EXPECT_EQ(std::bit_cast<std::uint64_t>(spend.log_value[g]),
                  std::bit_cast<std::uint64_t>(std::log(spend.value[g])));
      }
      EXPECT_EQ(nonpositive, nonpositive_expected);
    }
  }
}

TEST(ClvSummary, FindInvalidRowFindsEachKindOfBadRow) {
  // A valid summary with whole numbers near 2^52 and beyond, −0.0 and weights of 0; then one bad
  // value at a time in row 3 (the quick scan must not miss it, the detailed one names it).
  ClvSummary valid;
  valid.frequency = {0.0, 2.0, 0x1p52 - 1.0, 0x1p53, -0.0, 1.0};
  valid.recency = {0.0, 1.5, 3.0, 4.0, 0.0, 0.0};
  valid.age = {0.0, 2.0, 3.0, 9.0, 1.0, 0.0};
  valid.value = {0.0, -3.0, 1e300, 2.0, 0.0, 5.0};
  valid.weight = {1.0, 0.0, 2.5, 1.0, 1.0, 3.0};
  ASSERT_FALSE(find_invalid_row(valid).has_value());
  valid.weight.clear();
  ASSERT_FALSE(find_invalid_row(valid).has_value());
  double const nan = std::nan(""), inf = INFINITY;
  struct Bad {
    std::vector<double> ClvSummary::*column;
    double value;
  };
  Bad const bads[] = {{&ClvSummary::frequency, nan},
                      {&ClvSummary::frequency, inf},
                      {&ClvSummary::frequency, -1.0},
                      {&ClvSummary::frequency, 0.5},
                      {&ClvSummary::frequency, 0x1p52 - 0.5},
                      {&ClvSummary::frequency, 0.0},  // recency 4 with x = 0
                      {&ClvSummary::recency, nan},
                      {&ClvSummary::recency, -0.5},
                      {&ClvSummary::recency, 9.5},
                      {&ClvSummary::age, inf},
                      {&ClvSummary::age, 3.0},
                      {&ClvSummary::value, nan},
                      {&ClvSummary::value, -inf},
                      {&ClvSummary::weight, -1.0},
                      {&ClvSummary::weight, nan},
                      {&ClvSummary::weight, inf}};
  for (Bad const& bad : bads) {
    ClvSummary s = valid;
    s.weight.assign(s.size(), 1.0);
    (s.*bad.column)[3] = bad.value;
    std::optional<InvalidRow> const found = find_invalid_row(s);
    ASSERT_TRUE(found.has_value()) << bad.value;
    EXPECT_EQ(found->row, 3u) << bad.value;
    // The same bad value in row 9,003 of 12,000 (the valid rows repeated: the screen's third
    // block of 4,096 rows) and again in row 11,000: the first is named.
    ClvSummary big;
    for (std::size_t i = 0; i < 12000; ++i) {
      big.frequency.push_back(valid.frequency[i % 6]);
      big.recency.push_back(valid.recency[i % 6]);
      big.age.push_back(valid.age[i % 6]);
      big.value.push_back(valid.value[i % 6]);
    }
    big.weight.assign(big.size(), 1.0);
    ASSERT_FALSE(find_invalid_row(big).has_value());
    (big.*bad.column)[9003] = bad.value;
    (big.*bad.column)[11000] = bad.value;
    std::optional<InvalidRow> const far = find_invalid_row(big);
    ASSERT_TRUE(far.has_value()) << bad.value;
    EXPECT_EQ(far->row, 9003u) << bad.value;
    EXPECT_EQ(far->reason, found->reason) << bad.value;
  }
}

TEST(ClvSummary, InvalidRowReasonsShowValuesOnlyWhenAsked) {
  // No customer values in messages by default (a hint instead); `--show-values` shows them.
  ClvSummary s;
  s.frequency = {1.0, 2.0, 3.0};
  s.recency = {1.0, 17.25, 2.0};
  s.age = {4.0, 9.75, 5.0};
  std::optional<InvalidRow> const hidden = find_invalid_row(s);
  ASSERT_TRUE(hidden.has_value());
  EXPECT_EQ(hidden->row, 1u);
  EXPECT_EQ(hidden->reason, "recency must be in [0, T] (--show-values shows the values)");
  {
    cie::testing::ShowValues const showing;
    EXPECT_EQ(find_invalid_row(s)->reason, "recency must be in [0, T] (recency '17.25', T '9.75')");
  }
  s.recency[1] = 2.0;
  s.weight = {1.0, 1.0, -2.5};
  EXPECT_EQ(find_invalid_row(s)->reason,
            "the weight must be finite and >= 0 (--show-values shows the values)");
  s.weight.clear();
  s.age[1] = 9.0;
  s.frequency[2] = 7.0;  // more purchases than opportunities
  ASSERT_FALSE(find_invalid_row(s).has_value());
  std::optional<InvalidRow> const discrete = find_invalid_discrete_row(s);
  ASSERT_TRUE(discrete.has_value());
  EXPECT_EQ(discrete->row, 2u);
  EXPECT_EQ(discrete->reason.find('7'), std::string::npos) << discrete->reason;
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

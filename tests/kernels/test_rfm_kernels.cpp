// RFM kernels: the per-customer rules by hand, and both backends against a naive reference on
// random data (the CUDA instantiation skips with the reason where no GPU is usable).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>

#include "core/date.hpp"
#include "kernels/rfm.hpp"
#include "kernels/rfm_rules.hpp"
#include "tests/test_support.hpp"

namespace cie::kernels {
namespace CIE_TEST_FILE_ID {

constexpr std::int64_t kDay = 86400;

TEST(RfmRules, AggregatesOneCustomerByHand) {
  // Days 10 (two rows, 09:00 and 15:00), 12, 12 (a return), 20; as-of day 20 excludes day 20.
  std::int64_t const timestamp[] = {10 * kDay + 9 * 3600, 10 * kDay + 15 * 3600, 12 * kDay,
                                    12 * kDay + 60, 20 * kDay};
  double const amount[] = {10.5, 4.25, 30.0, -5.0, 99.0};
  CustomerAggregate a = aggregate_customer(timestamp, amount, 5, 20);
  EXPECT_EQ(a.first_day, 10);
  EXPECT_EQ(a.last_day, 12);
  EXPECT_EQ(a.purchase_days, 2);
  EXPECT_EQ(a.transactions, 3);  // purchases only
  EXPECT_EQ(a.return_rows, 1);
  EXPECT_DOUBLE_EQ(a.monetary_total, 39.75);     // the return's money is netted
  EXPECT_DOUBLE_EQ(a.repeat_value_total, 30.0);  // day 12's purchases only

  CustomerAggregate later = aggregate_customer(timestamp, amount, 5, 21);
  EXPECT_EQ(later.purchase_days, 3);
  EXPECT_EQ(later.last_day, 20);
  EXPECT_DOUBLE_EQ(later.repeat_value_total, 129.0);

  CustomerAggregate none = aggregate_customer(timestamp, amount, 5, 10);
  EXPECT_EQ(none.transactions, 0);
  EXPECT_EQ(none.monetary_total, 0.0);
}

TEST(RfmRules, AReturnAfterTheLastPurchaseMovesNoDate) {
  std::int64_t const timestamp[] = {3 * kDay, 5 * kDay, 8 * kDay, 9 * kDay};
  double const amount[] = {-1.0, 10.0, -4.0, -0.0};  // -0.0: a cancelled line of zero value
  CustomerAggregate a = aggregate_customer(timestamp, amount, 4, 100);
  EXPECT_EQ(a.first_day, 5);
  EXPECT_EQ(a.last_day, 5);
  EXPECT_EQ(a.purchase_days, 1);
  EXPECT_EQ(a.transactions, 1);
  EXPECT_EQ(a.return_rows, 3);
  EXPECT_EQ(a.monetary_total, 5.0);
  EXPECT_EQ(a.repeat_value_total, 0.0);
  CustomerAggregate only_returns = aggregate_customer(timestamp, amount, 1, 100);
  EXPECT_EQ(only_returns.transactions, 0);
  EXPECT_EQ(only_returns.return_rows, 1);
  EXPECT_EQ(only_returns.monetary_total, -1.0);
}

TEST(RfmRules, TieAwareCutsByHand) {
  // Values 1 1 1 1 1 1 2 2 3 4 (n = 10, 5 bins): ideal cuts 2, 4, 6, 8; boundaries 6, 8, 9.
  std::vector<double> sorted = {1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  auto group_at = [&](std::int64_t m) {
    auto [lo, hi] = std::equal_range(sorted.begin(), sorted.end(), sorted[m]);
    return std::pair<std::int64_t, std::int64_t>{lo - sorted.begin(), hi - sorted.begin()};
  };
  ScoreCuts cuts = tie_aware_cuts(10, 5, group_at);
  EXPECT_EQ(std::vector<std::int64_t>(cuts.start, cuts.start + 4),
            (std::vector<std::int64_t>{6, 6, 6, 8}));
  std::vector<int> bins;
  for (std::int64_t p = 0; p < 10; ++p) bins.push_back(bin_of_position(cuts, p));
  // The six 1s score 1 (the lowest group always does), 2s score 4 (bins 2 and 3 stay empty).
  EXPECT_EQ(bins, (std::vector<int>{1, 1, 1, 1, 1, 1, 4, 4, 5, 5}));
  // Equally near: n = 5 into 2 bins, ideal 2.5 between boundaries 2 and 3: the later one wins.
  ScoreCuts half = tie_aware_cuts(5, 2, [&](std::int64_t m) {
    return std::pair<std::int64_t, std::int64_t>{m, m + 1};
  });
  EXPECT_EQ(half.start[0], 3);
  // All equal: no boundary, everything scores 1.
  ScoreCuts flat = tie_aware_cuts(4, 5, [](std::int64_t) {
    return std::pair<std::int64_t, std::int64_t>{0, 4};
  });
  for (std::int64_t p = 0; p < 4; ++p) EXPECT_EQ(bin_of_position(flat, p), 1);
}

TEST(RfmRules, CompensatedSumIsExactWhereNaiveSummationIsNot) {
  CompensatedSum sum;
  double naive = 0.0;
  for (double value : {1e16, 1.0, -1e16, 1.0}) {
    sum.add(value);
    naive += value;
  }
  EXPECT_EQ(sum.value(), 2.0);
  EXPECT_NE(naive, 2.0);
}

TEST(RfmRules, QuantileBinMatchesPandasQcutOfFirstRanks) {
  // pd.qcut(pd.Series(range(10)).rank(method="first"), 5, labels=False) + 1
  std::vector<int> expected = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5};
  for (int rank = 1; rank <= 10; ++rank) EXPECT_EQ(quantile_bin(rank, 10, 5), expected[rank - 1]);
  // n = 3: edges 1, 1.4, 1.8, 2.2, 2.6, 3 put ranks 1, 2, 3 in bins 1, 3, 5.
  EXPECT_EQ(quantile_bin(1, 3, 5), 1);
  EXPECT_EQ(quantile_bin(2, 3, 5), 3);
  EXPECT_EQ(quantile_bin(3, 3, 5), 5);
  EXPECT_EQ(quantile_bin(1, 1, 5), 1);
  // Equal-count bins: 1000 ranks into 4 bins of 250.
  std::vector<int> counts(5, 0);
  for (int rank = 1; rank <= 1000; ++rank) ++counts[quantile_bin(rank, 1000, 4)];
  EXPECT_EQ(counts, (std::vector<int>{0, 250, 250, 250, 250}));
}

struct RandomTransactions {
  std::vector<std::int32_t> customer;
  std::vector<std::int64_t> timestamp;
  std::vector<double> amount;
  std::int32_t customers = 0;
  [[nodiscard]] TransactionColumns columns() const {
    return {customer, timestamp, amount, customers};
  }
};

RandomTransactions make_random_transactions(std::size_t rows, std::int32_t customers,
                                            std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  RandomTransactions t;
  t.customers = customers;
  std::uniform_int_distribution<std::int32_t> pick(0, customers - 1);
  std::uniform_int_distribution<std::int64_t> when(19000 * kDay, 19060 * kDay);
  std::uniform_int_distribution<int> cents(-2000, 20000);
  for (std::size_t i = 0; i < rows; ++i) {
    // Every customer appears at least once; the rest at random, in no time order.
    t.customer.push_back(i < static_cast<std::size_t>(customers) ? static_cast<std::int32_t>(i)
                                                                 : pick(rng));
    t.timestamp.push_back(when(rng) / 3600 * 3600);  // on the hour: same-time ties happen
    t.amount.push_back(cents(rng) / 100.0);
  }
  return t;
}

/// The obvious implementation: group with a map, sort each customer's rows by (time, row).
std::vector<CustomerAggregate> reference_aggregates(RandomTransactions const& t,
                                                    std::int32_t as_of_day) {
  std::map<std::int32_t, std::vector<std::size_t>> rows_of;
  for (std::size_t i = 0; i < t.customer.size(); ++i) rows_of[t.customer[i]].push_back(i);
  std::vector<CustomerAggregate> result(static_cast<std::size_t>(t.customers));
  for (auto& [c, rows] : rows_of) {
    std::stable_sort(rows.begin(), rows.end(),
                     [&](std::size_t a, std::size_t b) { return t.timestamp[a] < t.timestamp[b]; });
    std::vector<std::int64_t> ts;
    std::vector<double> am;
    for (std::size_t r : rows) {
      ts.push_back(t.timestamp[r]);
      am.push_back(t.amount[r]);
    }
    result[static_cast<std::size_t>(c)] =
        aggregate_customer(ts.data(), am.data(), static_cast<std::int64_t>(ts.size()), as_of_day);
  }
  return result;
}

class RfmKernelBackends : public cie::testing::BackendTest {};

TEST_P(RfmKernelBackends, AggregatesMatchReferenceAcrossSizes) {
  struct Size {
    std::size_t rows;
    std::int32_t customers;
  };
  for (Size size : {Size{1, 1}, Size{257, 1}, Size{257, 257}, Size{1000, 7}, Size{100003, 5003}}) {
    std::uint32_t const seed = 1234 + static_cast<std::uint32_t>(size.rows);
    RandomTransactions t = make_random_transactions(size.rows, size.customers, seed);
    std::int32_t const as_of_day = 19045;  // some rows fall after it and must be ignored
    std::vector<CustomerAggregate> expected = reference_aggregates(t, as_of_day);
    RfmAggregates actual = aggregate_rfm(context(), t.columns(), as_of_day);
    ASSERT_EQ(actual.transactions.size(), expected.size());
    for (std::size_t c = 0; c < expected.size(); ++c) {
      SCOPED_TRACE(::testing::Message() << "rows " << size.rows << " customers " << size.customers
                                        << " seed " << seed << " customer " << c);
      ASSERT_EQ(actual.transactions[c], expected[c].transactions);
      ASSERT_EQ(actual.return_rows[c], expected[c].return_rows);
      ASSERT_EQ(actual.monetary_total[c], expected[c].monetary_total);
      if (expected[c].transactions == 0) continue;
      ASSERT_EQ(actual.first_day[c], expected[c].first_day);
      ASSERT_EQ(actual.last_day[c], expected[c].last_day);
      ASSERT_EQ(actual.purchase_days[c], expected[c].purchase_days);
      // Same order, same arithmetic: bit-identical sums.
      ASSERT_EQ(actual.monetary_total[c], expected[c].monetary_total);
      ASSERT_EQ(actual.repeat_value_total[c], expected[c].repeat_value_total);
    }
  }
}

TEST_P(RfmKernelBackends, ScoresRankFirstWithTiesByPosition) {
  // Ten values with ties; -0.0 and 0.0 are equal, so position decides between them.
  std::vector<double> values = {5.0, 0.0, -0.0, 5.0, 1.0, 9.0, -3.0, 5.0, 2.0, 7.0};
  // Ascending rank (ties by position): -3(6)=1, 0(1)=2, -0(2)=3, 1(4)=4, 2(8)=5, 5(0)=6, 5(3)=7,
  // 5(7)=8, 7(9)=9, 9(5)=10; bins of ten ranks into five: 1,1,2,2,3,3,4,4,5,5.
  std::vector<std::int8_t> high =
      quantile_scores(context(), values, 5, ScoreDirection::kHighIsBest, ScoreTies::kFirst);
  EXPECT_EQ(high, (std::vector<std::int8_t>{3, 1, 2, 4, 2, 5, 1, 4, 3, 5}));
  std::vector<std::int8_t> low =
      quantile_scores(context(), values, 5, ScoreDirection::kLowIsBest, ScoreTies::kFirst);
  for (std::size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(low[i], 6 - high[i]) << "position " << i;
}

TEST_P(RfmKernelBackends, TieAwareScoresByHand) {
  // Sorted: -3, 0, -0, 1, 2, 5, 5, 5, 7, 9 (0 and -0 equal); ideal cuts 2, 4, 6, 8. Boundaries
  // 1, 3, 4, 5, 8, 9: cuts 1 or 3 for 2 (equal: the later, 3), 4, 5 (6 is in the 5s: 5 is
  // nearer than 8), 8.
  std::vector<double> values = {5.0, 0.0, -0.0, 5.0, 1.0, 9.0, -3.0, 5.0, 2.0, 7.0};
  std::vector<std::int8_t> high =
      quantile_scores(context(), values, 5, ScoreDirection::kHighIsBest, ScoreTies::kEqual);
  EXPECT_EQ(high, (std::vector<std::int8_t>{4, 1, 1, 4, 2, 5, 1, 4, 3, 5}));
  // Low is best: order by -value: -9, -7, -5 x3, -2, -1, 0 x2, 3; boundaries 1, 2, 5, 6, 7, 9.
  // Cuts nearest 2, 4, 6, 8: 2, 5 (4 is in the -5s: 5 nearer than 2), 6, 9 (7 and 9 equally
  // near 8: the later).
  std::vector<std::int8_t> low =
      quantile_scores(context(), values, 5, ScoreDirection::kLowIsBest, ScoreTies::kEqual);
  EXPECT_EQ(low, (std::vector<std::int8_t>{2, 4, 4, 2, 4, 1, 5, 2, 3, 1}));
}

/// The documented rule, checked directly: equal values share a score, scores never decrease with
/// the value, the lowest values score 1 and the highest `bins`, and each cut is a tie boundary
/// nearest to its ideal position (the later one when two are equally near).
void expect_tie_aware_rule(std::vector<double> const& values,
                           std::vector<std::int8_t> const& scores, int bins,
                           std::string const& what) {
  std::int64_t const n = static_cast<std::int64_t>(values.size());
  std::vector<std::int64_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return values[a] < values[b]; });
  std::vector<std::int64_t> boundaries;
  for (std::int64_t p = 1; p < n; ++p) {
    if (values[order[p]] != values[order[p - 1]]) boundaries.push_back(p);
  }
  for (std::int64_t p = 1; p < n; ++p) {
    int const before = scores[order[p - 1]];
    int const here = scores[order[p]];
    if (values[order[p]] == values[order[p - 1]]) {
      ASSERT_EQ(here, before) << what << ": equal values, different scores at sorted position "
                              << p;
    } else {
      ASSERT_GE(here, before) << what;
    }
  }
  if (boundaries.empty()) return;
  ASSERT_EQ(scores[order[0]], 1) << what;
  ASSERT_EQ(scores[order[n - 1]], bins) << what;
  for (int b = 1; b < bins; ++b) {
    // Cut b: the first sorted position whose score exceeds b.
    std::int64_t cut = n;
    for (std::int64_t p = 0; p < n; ++p) {
      if (scores[order[p]] > b) {
        cut = p;
        break;
      }
    }
    std::int64_t best = boundaries[0];
    for (std::int64_t c : boundaries) {
      if (std::llabs(c * bins - b * n) <= std::llabs(best * bins - b * n)) best = c;
    }
    ASSERT_EQ(cut, best) << what << ": cut " << b;
  }
}

TEST_P(RfmKernelBackends, TieAwareScoresFollowTheRuleOnRandomData) {
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    std::mt19937_64 rng(seed);
    for (int distinct : {1, 2, 3, 7, 40, 100000}) {
      std::uniform_int_distribution<int> value(0, distinct - 1);
      // Skewed: many ties at the low end, as purchase counts are.
      std::vector<double> values(5003);
      for (double& v : values) v = std::min(value(rng), value(rng)) * 0.5;
      for (int bins : {2, 3, 4, 5, 9}) {
        std::string const what = "seed " + std::to_string(seed) + " distinct " +
                                 std::to_string(distinct) + " bins " + std::to_string(bins);
        std::vector<std::int8_t> high = quantile_scores(
            context(), values, bins, ScoreDirection::kHighIsBest, ScoreTies::kEqual);
        expect_tie_aware_rule(values, high, bins, what);
        std::vector<double> negated(values.size());
        for (std::size_t i = 0; i < values.size(); ++i) negated[i] = -values[i];
        std::vector<std::int8_t> low =
            quantile_scores(context(), values, bins, ScoreDirection::kLowIsBest, ScoreTies::kEqual);
        expect_tie_aware_rule(negated, low, bins, what + " low is best");
      }
    }
  }
}

TEST_P(RfmKernelBackends, ScoresAgreeWithCpuOnLargeInput) {
  std::mt19937_64 rng(99);
  std::uniform_int_distribution<int> value(0, 500);  // many ties
  std::vector<double> values(200003);
  for (double& v : values) v = value(rng) / 4.0;
  Context cpu = Context::cpu(1);
  for (int bins : {4, 5}) {
    for (ScoreTies ties : {ScoreTies::kEqual, ScoreTies::kFirst}) {
      for (ScoreDirection direction : {ScoreDirection::kHighIsBest, ScoreDirection::kLowIsBest}) {
        EXPECT_EQ(quantile_scores(context(), values, bins, direction, ties),
                  cpu_impl::quantile_scores(cpu, values, bins, direction, ties))
            << "bins " << bins << " seed 99";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, RfmKernelBackends,
                         ::testing::Values(Backend::kCpu, Backend::kCuda),
                         cie::testing::backend_name);

TEST(RfmKernels, CpuResultDoesNotDependOnThreadCount) {
  RandomTransactions t = make_random_transactions(50000, 3001, 7);
  Context one = Context::cpu(1);
  Context two = Context::cpu(2);
  RfmAggregates a = cpu_impl::aggregate_rfm(one, t.columns(), 19100);
  RfmAggregates b = cpu_impl::aggregate_rfm(two, t.columns(), 19100);
  EXPECT_EQ(a.monetary_total, b.monetary_total);
  EXPECT_EQ(a.repeat_value_total, b.repeat_value_total);
  EXPECT_EQ(a.purchase_days, b.purchase_days);
  EXPECT_EQ(a.first_day, b.first_day);
  EXPECT_EQ(a.return_rows, b.return_rows);
}

TEST(RfmKernels, DistinctPurchaseOrdersPerCustomer) {
  RandomTransactions t = make_random_transactions(20000, 301, 11);
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<std::uint64_t> pick(0, 40);
  std::vector<std::uint64_t> order(t.customer.size());
  for (std::uint64_t& o : order) o = pick(rng) * 1000003;  // orders shared across customers too
  TransactionColumns columns = t.columns();
  columns.order = order;
  std::int32_t const as_of_day = 19045;
  std::vector<std::set<std::uint64_t>> expected(static_cast<std::size_t>(t.customers));
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (day_of(t.timestamp[i]) < as_of_day && !is_return(t.amount[i])) {
      expected[static_cast<std::size_t>(t.customer[i])].insert(order[i]);
    }
  }
  for (int threads : {1, 2}) {
    RfmAggregates a = cpu_impl::aggregate_rfm(Context::cpu(threads), columns, as_of_day);
    ASSERT_EQ(a.purchase_orders.size(), expected.size());
    for (std::size_t c = 0; c < expected.size(); ++c) {
      ASSERT_EQ(a.purchase_orders[c], static_cast<std::int32_t>(expected[c].size())) << c;
    }
    // Orders change nothing else.
    RfmAggregates plain = cpu_impl::aggregate_rfm(Context::cpu(threads), t.columns(), as_of_day);
    EXPECT_EQ(a.monetary_total, plain.monetary_total);
    EXPECT_EQ(a.purchase_days, plain.purchase_days);
    EXPECT_TRUE(plain.purchase_orders.empty());
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::kernels

// RFM kernels: the per-customer rules by hand, and both backends against a naive reference on
// random data (the CUDA instantiation skips with the reason where no GPU is usable).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "core/date.hpp"
#include "kernels/rfm.hpp"
#include "kernels/rfm_rules.hpp"
#include "tests/test_support.hpp"

namespace cie::kernels {
namespace {

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
  EXPECT_EQ(a.transactions, 4);
  EXPECT_DOUBLE_EQ(a.monetary_total, 39.75);
  EXPECT_DOUBLE_EQ(a.repeat_value_total, 25.0);  // day 12 only: 30 - 5

  CustomerAggregate later = aggregate_customer(timestamp, amount, 5, 21);
  EXPECT_EQ(later.purchase_days, 3);
  EXPECT_EQ(later.last_day, 20);
  EXPECT_DOUBLE_EQ(later.repeat_value_total, 124.0);

  CustomerAggregate none = aggregate_customer(timestamp, amount, 5, 10);
  EXPECT_EQ(none.transactions, 0);
  EXPECT_EQ(none.monetary_total, 0.0);
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
    t.customer.push_back(i < static_cast<std::size_t>(customers) ? static_cast<std::int32_t>(i) : pick(rng));
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
  std::vector<std::int8_t> high = quantile_scores(context(), values, 5, ScoreDirection::kHighIsBest);
  EXPECT_EQ(high, (std::vector<std::int8_t>{3, 1, 2, 4, 2, 5, 1, 4, 3, 5}));
  std::vector<std::int8_t> low = quantile_scores(context(), values, 5, ScoreDirection::kLowIsBest);
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ(low[i], 6 - high[i]) << "position " << i;
}

TEST_P(RfmKernelBackends, ScoresAgreeWithCpuOnLargeInput) {
  std::mt19937_64 rng(99);
  std::uniform_int_distribution<int> value(0, 500);  // many ties
  std::vector<double> values(200003);
  for (double& v : values) v = value(rng) / 4.0;
  Context cpu = Context::cpu(1);
  for (int bins : {4, 5}) {
    EXPECT_EQ(quantile_scores(context(), values, bins, ScoreDirection::kHighIsBest),
              cpu_impl::quantile_scores(cpu, values, bins, ScoreDirection::kHighIsBest))
        << "bins " << bins << " seed 99";
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
}

}  // namespace
}  // namespace cie::kernels

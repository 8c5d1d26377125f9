// RFM model: features, scores, cells and segments on a hand-checked example, and the segment
// tables (standard ones and user TOML).
#include <gtest/gtest.h>

#include <set>

#include "core/date.hpp"
#include "core/error.hpp"
#include "models/rfm/rfm.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

std::int64_t at(char const* date) { return std::int64_t{*parse_date(date)} * 86400; }

/// Four customers: A buys on 3 days (one return), B once, C twice on one day, D only after the
/// analysis date used by some tests.
Transactions example_transactions() {
  Transactions t;
  t.customer_ids = {"A", "B", "C", "D"};
  auto add = [&](std::int32_t c, char const* date, double amount) {
    t.customer.push_back(c);
    t.timestamp.push_back(at(date));
    t.amount.push_back(amount);
  };
  add(0, "2024-01-10", 100.0);
  add(1, "2024-02-01", 40.0);
  add(0, "2024-03-01", 50.0);
  add(2, "2024-03-05", 10.0);
  add(2, "2024-03-05", 15.0);
  add(0, "2024-03-20", 30.0);
  add(0, "2024-03-20", -10.0);
  add(3, "2024-04-02", 70.0);
  return t;
}

TEST(Rfm, FeaturesByHandWithDefaultAsOf) {
  Context ctx = Context::cpu(2);
  Transactions t = example_transactions();
  RfmParams params;
  params.ties = ScoreTies::kFirst;
  RfmTable table = compute_rfm(ctx, params, t, SegmentTable::standard(5));
  EXPECT_EQ(format_date(table.as_of_day), "2024-04-03");  // day after the last transaction
  ASSERT_EQ(table.size(), 4u);
  EXPECT_EQ(table.customer, (std::vector<std::int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(table.recency_days, (std::vector<std::int32_t>{14, 62, 29, 1}));
  EXPECT_EQ(table.frequency, (std::vector<std::int32_t>{3, 1, 1, 1}));
  // A's return is money, not a purchase: 3 purchase rows, 1 return.
  EXPECT_EQ(table.transactions, (std::vector<std::int32_t>{3, 1, 2, 1}));
  EXPECT_EQ(table.returns, (std::vector<std::int32_t>{1, 0, 0, 0}));
  EXPECT_EQ(table.return_rows, 1u);
  EXPECT_EQ(table.monetary_total, (std::vector<double>{170.0, 40.0, 25.0, 70.0}));
  EXPECT_EQ(table.monetary_mean, (std::vector<double>{170.0 / 3, 40.0, 12.5, 70.0}));
  EXPECT_EQ(table.tenure_days, (std::vector<std::int32_t>{84, 62, 29, 1}));
  EXPECT_EQ(table.repeat_frequency, (std::vector<std::int32_t>{2, 0, 0, 0}));
  EXPECT_EQ(table.repeat_recency, (std::vector<double>{70.0, 0.0, 0.0, 0.0}));
  EXPECT_EQ(table.age_t, (std::vector<double>{83.0, 61.0, 28.0, 0.0}));
  // A's repeat days: 2024-03-01 (50) and 2024-03-20 (30; the -10 return is not a purchase).
  EXPECT_EQ(table.mean_repeat_value, (std::vector<double>{40.0, 0.0, 0.0, 0.0}));

  // Recency ascending: D(1) A(14) C(29) B(62) -> ranks 1..4 -> bins 1,2,4,5 -> R = 5,4,2,1.
  EXPECT_EQ(table.r_score, (std::vector<std::int8_t>{4, 1, 2, 5}));
  // Frequency ascending with ties by position: B(1) C(1) D(1) A(3) -> F: A 5, B 1, C 2, D 4.
  EXPECT_EQ(table.f_score, (std::vector<std::int8_t>{5, 1, 2, 4}));
  // Monetary ascending: C(25) B(40) D(70) A(170) -> M: A 5, B 2, C 1, D 4.
  EXPECT_EQ(table.m_score, (std::vector<std::int8_t>{5, 2, 1, 4}));
  EXPECT_EQ(table.cell(0), 455);
  SegmentTable segments = SegmentTable::standard(5);
  EXPECT_EQ(segments.name(table.segment[0]), "Champions");       // 455
  EXPECT_EQ(segments.name(table.segment[1]), "Lost");            // 112: bought once, long ago
  EXPECT_EQ(segments.name(table.segment[2]), "About To Sleep");  // 221
  EXPECT_EQ(segments.name(table.segment[3]), "Champions");       // 544: a tie broken by position
}

TEST(Rfm, TieAwareScoresGiveEqualValuesEqualScores) {
  Context ctx = Context::cpu(2);
  Transactions t = example_transactions();
  RfmTable table = compute_rfm(ctx, RfmParams{}, t, SegmentTable::standard(5));
  // Distinct recency and monetary values: cuts at 1, 2, 2, 3 of 4 (nearest to 0.8, 1.6, 2.4,
  // 3.2; 1.6 is nearer 2 than 1), as the positional recipe here.
  EXPECT_EQ(table.r_score, (std::vector<std::int8_t>{4, 1, 2, 5}));
  EXPECT_EQ(table.m_score, (std::vector<std::int8_t>{5, 2, 1, 4}));
  // Frequency 3, 1, 1, 1: the only boundary is after the three 1s, so they all score 1 and A 5.
  EXPECT_EQ(table.f_score, (std::vector<std::int8_t>{5, 1, 1, 1}));
  SegmentTable segments = SegmentTable::standard(5);
  EXPECT_EQ(segments.name(table.segment[1]), "Lost");           // 121 -> 111
  EXPECT_EQ(segments.name(table.segment[3]), "New Customers");  // 514: bought once, recently
}

TEST(Rfm, ReturnsNetMoneyButAreNeverPurchaseOccasions) {
  Context ctx = Context::cpu(2);
  Transactions t;
  t.customer_ids = {"buyer", "returner", "only-returns"};
  auto add = [&](std::int32_t c, char const* date, double amount) {
    t.customer.push_back(c);
    t.timestamp.push_back(at(date));
    t.amount.push_back(amount);
  };
  add(0, "2024-01-01", 20.0);
  add(1, "2024-01-02", 50.0);
  add(2, "2024-01-03", -5.0);
  add(1, "2024-02-01", -20.0);  // the returner's last activity is a return
  add(0, "2024-02-05", 30.0);
  add(2, "2024-02-06", -0.0);  // a cancelled line of zero value is a return too
  RfmTable table = compute_rfm(ctx, RfmParams{}, t, SegmentTable::standard(5));
  ASSERT_EQ(table.customer, (std::vector<std::int32_t>{0, 1}));
  EXPECT_EQ(table.return_only_customers, 1u);
  EXPECT_EQ(table.return_rows, 3u);
  EXPECT_EQ(table.transactions_after_as_of, 0u);
  EXPECT_EQ(format_date(table.as_of_day), "2024-02-07");
  // The returner: last purchase 2024-01-02 sets recency; one purchase; money netted.
  EXPECT_EQ(table.recency_days[1], 36);
  EXPECT_EQ(table.frequency[1], 1);
  EXPECT_EQ(table.transactions[1], 1);
  EXPECT_EQ(table.returns[1], 1);
  EXPECT_EQ(table.monetary_total[1], 30.0);
  EXPECT_EQ(table.repeat_frequency[1], 0);
  EXPECT_EQ(table.mean_repeat_value[1], 0.0);
  EXPECT_EQ(table.repeat_recency[1], 0.0);
  EXPECT_EQ(format_date(table.last_day[1]), "2024-01-02");
  EXPECT_EQ(table.mean_repeat_value[0], 30.0);

  RfmParams early;
  early.as_of_day = *parse_date("2024-01-04");  // the only-returns customer has one return by then
  RfmTable before = compute_rfm(ctx, early, t, SegmentTable::standard(5));
  EXPECT_EQ(before.size(), 2u);
  EXPECT_EQ(before.return_only_customers, 1u);
  EXPECT_EQ(before.transactions_after_as_of, 3u);
}

TEST(Rfm, OrdersCountPurchaseOccasionsAndMeanPerOrder) {
  Context ctx = Context::cpu(2);
  Transactions t;
  t.customer_ids = {"A", "B"};
  auto add = [&](std::int32_t c, char const* date, double amount, std::uint64_t order) {
    t.customer.push_back(c);
    t.timestamp.push_back(at(date));
    t.amount.push_back(amount);
    t.order.push_back(order);
  };
  add(0, "2024-01-01", 10.0, 1);  // order 1: three lines
  add(0, "2024-01-01", 5.0, 1);
  add(1, "2024-01-02", 7.0, 9);
  add(0, "2024-01-01", 5.0, 2);  // a second order the same day
  add(0, "2024-01-03", 20.0, 3);
  add(0, "2024-01-01", 1.0, 1);
  add(0, "2024-01-04", -6.0, 4);  // a cancellation: its own order, but not a purchase
  RfmParams params;
  params.frequency = FrequencyDefinition::kOrders;
  RfmTable table = compute_rfm(ctx, params, t, SegmentTable::standard(5));
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table.frequency, (std::vector<std::int32_t>{3, 1}));
  EXPECT_EQ(table.transactions, (std::vector<std::int32_t>{3, 1}));
  EXPECT_EQ(table.monetary_total[0], 35.0);
  EXPECT_EQ(table.monetary_mean[0], 35.0 / 3);
  EXPECT_EQ(table.repeat_frequency[0], 1);  // the lifetimes summary counts purchase days

  params.frequency = FrequencyDefinition::kPurchaseDays;
  EXPECT_EQ(compute_rfm(ctx, params, t, SegmentTable::standard(5)).frequency[0], 2);
  params.frequency = FrequencyDefinition::kTransactions;
  EXPECT_EQ(compute_rfm(ctx, params, t, SegmentTable::standard(5)).frequency[0], 5);

  t.order.clear();
  params.frequency = FrequencyDefinition::kOrders;
  try {
    compute_rfm(ctx, params, t, SegmentTable::standard(5));
    FAIL() << "expected a usage error";
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
  }
}

TEST(Rfm, AsOfExcludesLaterTransactionsAndCustomers) {
  Context ctx = Context::cpu(1);
  Transactions t = example_transactions();
  RfmParams params;
  params.as_of_day = *parse_date("2024-03-20");  // A's last day and D fall on or after it
  params.frequency = FrequencyDefinition::kTransactions;
  params.time_unit_days = 7;
  RfmTable table = compute_rfm(ctx, params, t, SegmentTable::standard(5));
  ASSERT_EQ(table.customer, (std::vector<std::int32_t>{0, 1, 2}));
  EXPECT_EQ(table.transactions_after_as_of, 3u);
  EXPECT_EQ(table.recency_days, (std::vector<std::int32_t>{19, 48, 15}));
  EXPECT_EQ(table.frequency, (std::vector<std::int32_t>{2, 1, 2}));
  EXPECT_EQ(table.monetary_total, (std::vector<double>{150.0, 40.0, 25.0}));
  EXPECT_DOUBLE_EQ(table.repeat_recency[0], 51.0 / 7.0);
  EXPECT_DOUBLE_EQ(table.age_t[0], 69.0 / 7.0);
}

TEST(Rfm, SegmentSummaryCountsAndShares) {
  Context ctx = Context::cpu(1);
  Transactions t = example_transactions();
  SegmentTable segments = SegmentTable::standard(5);
  RfmTable table = compute_rfm(ctx, RfmParams{}, t, segments);
  std::vector<SegmentSummary> summary = summarize_segments(table, segments);
  ASSERT_EQ(summary.size(), segments.segment_count());
  EXPECT_EQ(summary.back().name, "Others");
  std::size_t customers = 0;
  double revenue_share = 0.0;
  for (SegmentSummary const& s : summary) {
    customers += s.customers;
    revenue_share += s.revenue_share;
    if (s.name == "Champions") {  // A (455)
      EXPECT_EQ(s.customers, 1u);
      EXPECT_DOUBLE_EQ(s.customer_share, 0.25);
      EXPECT_DOUBLE_EQ(s.revenue_share, 170.0 / 305.0);
    }
    if (s.name == "New Customers") {  // D (514)
      EXPECT_EQ(s.customers, 1u);
      EXPECT_DOUBLE_EQ(s.revenue_share, 70.0 / 305.0);
    }
  }
  EXPECT_EQ(customers, 4u);
  EXPECT_NEAR(revenue_share, 1.0, 1e-12);
}

TEST(Rfm, RejectsInvalidParams) {
  Context ctx = Context::cpu(1);
  Transactions t = example_transactions();
  RfmParams params;
  params.score_bins = 12;
  try {
    compute_rfm(ctx, params, t, SegmentTable::standard(5));
    FAIL() << "expected a usage error";
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    EXPECT_STREQ(e.what(), "score_bins must be in 2..9, got 12");
  }
  params = RfmParams{};
  params.as_of_day = *parse_date("2024-01-01");
  try {
    compute_rfm(ctx, params, t, SegmentTable::standard(5));
    FAIL() << "expected a data error";
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), ExitCode::kInputData);
    EXPECT_STREQ(e.what(), "no purchases before the as-of date 2024-01-01");
  }
}

class StandardSegmentTables : public ::testing::TestWithParam<int> {};

TEST_P(StandardSegmentTables, HasElevenSegmentsEachReachableCoveringEveryCell) {
  int const bins = GetParam();
  SegmentTable table = SegmentTable::standard(bins);
  std::vector<std::string> names;
  for (SegmentRule const& rule : table.rules()) names.push_back(rule.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Champions", "Loyal Customers", "Can't Lose Them",
                                             "New Customers", "Promising", "Need Attention",
                                             "Potential Loyalist", "At Risk", "About To Sleep",
                                             "Lost", "Hibernating"}));
  std::set<int> reached;
  for (int r = 1; r <= bins; ++r)
    for (int f = 1; f <= bins; ++f)
      for (int m = 1; m <= bins; ++m) {
        int const segment = table.classify(r, f, m);
        EXPECT_LT(segment, static_cast<int>(table.rules().size()))
            << "cell " << r << f << m << " falls through to " << table.name(segment);
        reached.insert(segment);
        // The rules stated in the table's header comment.
        std::string const& name = table.name(segment);
        if (f == 1 && r >= 4) EXPECT_EQ(name, "New Customers") << r << f << m;
        if (f == 1 && r == 3) EXPECT_EQ(name, "Promising") << r << f << m;
        if (f == 1 && r == 1) EXPECT_EQ(name, "Lost") << r << f << m;
        if (f >= 2 && r >= 3 && name != "Champions" && name != "Loyal Customers" &&
            name != "Need Attention") {
          EXPECT_EQ(name, "Potential Loyalist") << r << f << m;
        }
        if (name == "Potential Loyalist" || name == "Loyal Customers") EXPECT_GE(f, 2);
      }
  for (std::size_t s = 0; s < table.rules().size(); ++s) {
    EXPECT_TRUE(reached.contains(static_cast<int>(s)))
        << table.name(s) << " is never the first match";
  }
  EXPECT_EQ(table.classify(bins, bins, bins), 0);  // the best cell is Champions
  EXPECT_EQ(table.name(table.classify(1, 1, 1)), "Lost");
}

INSTANTIATE_TEST_SUITE_P(Bins, StandardSegmentTables, ::testing::Values(4, 5));

TEST(SegmentTable, FirstMatchWinsAndFallbackCatchesTheRest) {
  SegmentTable table = SegmentTable::from_toml(R"(
score_bins = 3
fallback = "Rest"
[[segment]]
name = "Top"
recency = [3, 3]
frequency = [2, 3]
monetary = [1, 3]
[[segment]]
name = "Recent"
recency = [2, 3]
frequency = [1, 3]
monetary = [1, 3]
)",
                                               "inline.toml");
  EXPECT_EQ(table.name(table.classify(3, 3, 1)), "Top");
  EXPECT_EQ(table.name(table.classify(3, 1, 1)), "Recent");
  EXPECT_EQ(table.name(table.classify(1, 3, 3)), "Rest");
  EXPECT_EQ(table.segment_count(), 3u);
}

void expect_table_error(std::string const& text, std::string const& message) {
  try {
    SegmentTable::from_toml(text, "bad.toml");
    FAIL() << "expected an error for:\n" << text;
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    EXPECT_EQ(std::string(e.what()), message);
  }
}

TEST(SegmentTable, RejectsBadTablesWithFileLineAndKey) {
  std::string const rule = "[[segment]]\nname = \"A\"\nrecency = [1, 2]\nfrequency = [1, 2]\n";
  expect_table_error("score_bins = 5\n" + rule + "monetary = [1, 6]\n",
                     "bad.toml:6: segment 'A': 'monetary' = [1, 6] must satisfy 1 <= low <= high "
                     "<= score_bins (5)");
  expect_table_error("score_bins = 5\n" + rule + "monetary = [1, 2]\ncolour = \"red\"\n",
                     "bad.toml:7: unknown key 'colour' in a [[segment]]");
  expect_table_error("score_bins = 5\n" + rule + "\n",
                     "bad.toml:2: segment 'A' has no 'monetary' range");
  expect_table_error(
      "score_bins = 5\n" + rule + "monetary = [1, 2]\n" + rule + "monetary = [1, 2]\n",
      "bad.toml:7: segment name 'A' is used twice");
  expect_table_error("score_bins = 12\n" + rule + "monetary = [1, 2]\n",
                     "bad.toml: 'score_bins' must be an integer in 2..9");
  expect_table_error("score_bins = = 5\n",
                     "bad.toml:1:14: Error while parsing value: could not determine value type");
}

TEST(SegmentTable, BinCountsWithoutAStandardTableGetScoresWithoutNames) {
  for (int bins : {2, 3, 6, 9}) {
    SegmentTable table = SegmentTable::standard(bins);
    EXPECT_EQ(table.score_bins(), bins);
    EXPECT_TRUE(table.rules().empty());
    EXPECT_EQ(table.segment_count(), 1u);
    EXPECT_EQ(table.classify(1, bins, 2), 0);
    EXPECT_EQ(table.name(0), "");
  }
  Context ctx = Context::cpu(1);
  RfmParams params;
  params.score_bins = 3;
  RfmTable table = compute_rfm(ctx, params, example_transactions(), SegmentTable::standard(3));
  EXPECT_EQ(table.r_score, (std::vector<std::int8_t>{2, 1, 2, 3}));  // cuts at 1 and 3 of 4
  EXPECT_EQ(table.segment, (std::vector<std::int16_t>{0, 0, 0, 0}));
  try {
    SegmentTable::unnamed(10);
    FAIL();
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

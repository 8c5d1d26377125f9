// RFM model: features, scores, cells and segments on a hand-checked example, and the segment
// tables (standard ones and user TOML).
#include <gtest/gtest.h>

#include <set>

#include "core/date.hpp"
#include "core/error.hpp"
#include "models/rfm/rfm.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace {

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
  RfmTable table = compute_rfm(ctx, params, t, SegmentTable::standard(5));
  EXPECT_EQ(format_date(table.as_of_day), "2024-04-03");  // day after the last transaction
  ASSERT_EQ(table.size(), 4u);
  EXPECT_EQ(table.customer, (std::vector<std::int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(table.recency_days, (std::vector<std::int32_t>{14, 62, 29, 1}));
  EXPECT_EQ(table.frequency, (std::vector<std::int32_t>{3, 1, 1, 1}));
  EXPECT_EQ(table.transactions, (std::vector<std::int32_t>{4, 1, 2, 1}));
  EXPECT_EQ(table.monetary_total, (std::vector<double>{170.0, 40.0, 25.0, 70.0}));
  EXPECT_EQ(table.monetary_mean, (std::vector<double>{42.5, 40.0, 12.5, 70.0}));
  EXPECT_EQ(table.tenure_days, (std::vector<std::int32_t>{84, 62, 29, 1}));
  EXPECT_EQ(table.repeat_frequency, (std::vector<std::int32_t>{2, 0, 0, 0}));
  EXPECT_EQ(table.repeat_recency, (std::vector<double>{70.0, 0.0, 0.0, 0.0}));
  EXPECT_EQ(table.age_t, (std::vector<double>{83.0, 61.0, 28.0, 0.0}));
  // A's repeat days: 2024-03-01 (50) and 2024-03-20 (30 - 10).
  EXPECT_EQ(table.mean_repeat_value, (std::vector<double>{35.0, 0.0, 0.0, 0.0}));

  // Recency ascending: D(1) A(14) C(29) B(62) -> ranks 1..4 -> bins 1,2,4,5 -> R = 5,4,2,1.
  EXPECT_EQ(table.r_score, (std::vector<std::int8_t>{4, 1, 2, 5}));
  // Frequency ascending with ties by position: B(1) C(1) D(1) A(3) -> F: A 5, B 1, C 2, D 4.
  EXPECT_EQ(table.f_score, (std::vector<std::int8_t>{5, 1, 2, 4}));
  // Monetary ascending: C(25) B(40) D(70) A(170) -> M: A 5, B 2, C 1, D 4.
  EXPECT_EQ(table.m_score, (std::vector<std::int8_t>{5, 2, 1, 4}));
  EXPECT_EQ(table.cell(0), 455);
  SegmentTable segments = SegmentTable::standard(5);
  EXPECT_EQ(segments.name(table.segment[0]), "Champions");        // 455
  EXPECT_EQ(segments.name(table.segment[1]), "Hibernating");      // 112: Lost needs M = 1
  EXPECT_EQ(segments.name(table.segment[2]), "About To Sleep");   // 221
  EXPECT_EQ(segments.name(table.segment[3]), "Champions");        // 544
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
    if (s.name == "Champions") {
      EXPECT_EQ(s.customers, 2u);
      EXPECT_DOUBLE_EQ(s.customer_share, 0.5);
      EXPECT_DOUBLE_EQ(s.revenue_share, 240.0 / 305.0);
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
    EXPECT_STREQ(e.what(), "no transactions before the as-of date 2024-01-01");
  }
}

class StandardSegmentTables : public ::testing::TestWithParam<int> {};

TEST_P(StandardSegmentTables, HasElevenSegmentsEachReachable) {
  int const bins = GetParam();
  SegmentTable table = SegmentTable::standard(bins);
  std::vector<std::string> names;
  for (SegmentRule const& rule : table.rules()) names.push_back(rule.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Champions", "Loyal Customers", "Can't Lose Them",
                                             "New Customers", "Promising", "Potential Loyalist",
                                             "Need Attention", "At Risk", "About To Sleep", "Lost",
                                             "Hibernating"}));
  std::set<int> reached;
  for (int r = 1; r <= bins; ++r)
    for (int f = 1; f <= bins; ++f)
      for (int m = 1; m <= bins; ++m) reached.insert(table.classify(r, f, m));
  for (std::size_t s = 0; s < table.rules().size(); ++s) {
    EXPECT_TRUE(reached.contains(static_cast<int>(s))) << table.name(s) << " is never the first match";
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
  expect_table_error("score_bins = 5\n" + rule + "\n", "bad.toml:2: segment 'A' has no 'monetary' range");
  expect_table_error("score_bins = 5\n" + rule + "monetary = [1, 2]\n" + rule + "monetary = [1, 2]\n",
                     "bad.toml:7: segment name 'A' is used twice");
  expect_table_error("score_bins = 12\n" + rule + "monetary = [1, 2]\n",
                     "bad.toml: 'score_bins' must be an integer in 2..9");
  expect_table_error("score_bins = = 5\n", "bad.toml:1:14: Error while parsing value: could not determine value type");
  try {
    SegmentTable::standard(6);
    FAIL();
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
  }
}

}  // namespace
}  // namespace cie

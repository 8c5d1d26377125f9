// ROC AUC, log-loss, Brier score, accuracy, ranks and deciles, the lift table and the reliability
// table, each against a direct computation in the test (an O(n²) pair count for the AUC, the
// textbook formulas for the losses, a rank count for the ranking) or hand-computed values.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/error.hpp"
#include "models/metrics/classification_metrics.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::expect_error;

struct Scored {
  std::vector<double> score;
  std::vector<float> label;
  std::vector<float> weight;
};

/// Scores on a grid of `levels` values (so many ties), labels drawn with a rate rising in the
/// score, weights in {0, 0.5, 1, ..., 3}.
Scored random_scored(std::size_t n, int levels, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::uniform_int_distribution<int> level(0, levels);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::uniform_int_distribution<int> weight(0, 6);
  Scored data;
  for (std::size_t i = 0; i < n; ++i) {
    double const p = static_cast<double>(level(engine)) / levels;
    data.score.push_back(p);
    data.label.push_back(uniform(engine) < 0.2 + 0.6 * p ? 1.0F : 0.0F);
    data.weight.push_back(0.5F * static_cast<float>(weight(engine)));
  }
  data.label[0] = 1.0F;  // both classes present, with weight
  data.label[1] = 0.0F;
  data.weight[0] = data.weight[1] = 1.0F;
  return data;
}

/// The Mann-Whitney statistic by its definition: over all (positive, negative) pairs.
double pair_count_auc(Scored const& data, bool weighted) {
  double concordant = 0.0;
  double pairs = 0.0;
  for (std::size_t i = 0; i < data.score.size(); ++i) {
    if (data.label[i] != 1.0F) continue;
    for (std::size_t j = 0; j < data.score.size(); ++j) {
      if (data.label[j] != 0.0F) continue;
      double const w = weighted ? double{data.weight[i]} * data.weight[j] : 1.0;
      pairs += w;
      if (data.score[i] > data.score[j]) concordant += w;
      if (data.score[i] == data.score[j]) concordant += 0.5 * w;
    }
  }
  return concordant / pairs;
}

TEST(RocAuc, EqualsThePairCountWithTiesAndWeights) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    for (std::size_t n : {2u, 7u, 100u, 513u}) {
      Scored const data = random_scored(n, seed % 2 == 0 ? 5 : 1000, seed);
      EXPECT_NEAR(roc_auc(data.score, data.label), pair_count_auc(data, false), 1e-12)
          << "n " << n << " seed " << seed;
      EXPECT_NEAR(roc_auc(data.score, data.label, data.weight), pair_count_auc(data, true), 1e-12)
          << "n " << n << " seed " << seed;
    }
  }
}

TEST(RocAuc, PerfectReversedAndTiedRankings) {
  std::vector<double> const score{0.9, 0.8, 0.3, 0.1};
  std::vector<float> const label{1, 1, 0, 0};
  std::vector<float> const reversed{0, 0, 1, 1};
  EXPECT_EQ(roc_auc(score, label), 1.0);
  EXPECT_EQ(roc_auc(score, reversed), 0.0);
  std::vector<double> const tied(4, 0.4);
  EXPECT_EQ(roc_auc(tied, label), 0.5);
}

TEST(RocAuc, RejectsOneClassMismatchedSizesAndNaN) {
  std::vector<double> const score{0.2, 0.4, 0.6};
  std::vector<float> const positives{1, 1, 1};
  expect_error([&] { roc_auc(score, positives); }, ExitCode::kInputData, "both classes");
  std::vector<float> const weight_hides_negatives{1, 0, 1};
  std::vector<float> const label{1, 0, 1};
  expect_error([&] { roc_auc(score, label, weight_hides_negatives); }, ExitCode::kInputData,
               "both classes");
  std::vector<float> const short_label{1, 0};
  expect_error([&] { roc_auc(score, short_label); }, ExitCode::kUsage, "2 labels for 3 scores");
  std::vector<double> const with_nan{0.2, std::nan(""), 0.6};
  expect_error([&] { roc_auc(with_nan, label); }, ExitCode::kInputData, "row 2 is NaN");
  std::vector<double> const out_of_range{0.2, 1.5, 0.6};
  expect_error([&] { roc_auc(out_of_range, label); }, ExitCode::kInputData, "row 2 is 1.5");
  std::vector<float> const bad_label{1, 0, 2};
  expect_error([&] { roc_auc(score, bad_label); }, ExitCode::kInputData, "label of row 3");
  std::vector<float> const negative_weight{1, -1, 1};
  expect_error([&] { roc_auc(score, label, negative_weight); }, ExitCode::kInputData,
               "weight of row 2");
}

TEST(Losses, LogLossBrierAndAccuracyMatchTheirFormulas) {
  Scored data = random_scored(257, 1000, 11);
  for (double& p : data.score) p = 0.01 + 0.98 * p;  // away from the clipping
  double log_sum = 0.0, log_weighted = 0.0, brier_sum = 0.0, brier_weighted = 0.0;
  double correct = 0.0, correct_weighted = 0.0, total_weight = 0.0;
  for (std::size_t i = 0; i < data.score.size(); ++i) {
    double const p = data.score[i];
    double const y = data.label[i];
    double const w = data.weight[i];
    double const loss = -(y * std::log(p) + (1.0 - y) * std::log(1.0 - p));
    log_sum += loss;
    log_weighted += w * loss;
    brier_sum += (p - y) * (p - y);
    brier_weighted += w * (p - y) * (p - y);
    bool const right = (p >= 0.3) == (y == 1.0);
    correct += right ? 1.0 : 0.0;
    correct_weighted += right ? w : 0.0;
    total_weight += w;
  }
  double const n = static_cast<double>(data.score.size());
  EXPECT_NEAR(log_loss(data.score, data.label), log_sum / n, 1e-12);
  EXPECT_NEAR(log_loss(data.score, data.label, data.weight), log_weighted / total_weight, 1e-12);
  EXPECT_NEAR(brier_score(data.score, data.label), brier_sum / n, 1e-12);
  EXPECT_NEAR(brier_score(data.score, data.label, data.weight), brier_weighted / total_weight,
              1e-12);
  EXPECT_DOUBLE_EQ(accuracy(data.score, data.label, 0.3), correct / n);
  EXPECT_DOUBLE_EQ(accuracy(data.score, data.label, 0.3, data.weight),
                   correct_weighted / total_weight);
}

TEST(Losses, LogLossClipsCertainMistakesToAFiniteLoss) {
  std::vector<double> const score{0.0, 1.0};
  std::vector<float> const label{1, 0};
  double const loss = log_loss(score, label);
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_NEAR(loss, -std::log(1e-15), 1e-3);  // both rows are clipped to 1e-15 from the truth
  std::vector<float> const right{0, 1};
  EXPECT_NEAR(log_loss(score, right), 1e-15, 1e-16);
  std::vector<double> const none;
  std::vector<float> const no_label;
  expect_error([&] { log_loss(none, no_label); }, ExitCode::kInputData, "0 rows");
  std::vector<float> const zero_weight{0, 0};
  expect_error([&] { brier_score(score, label, zero_weight); }, ExitCode::kInputData, "sum to 0");
}

/// rank_i = 1 + rows ahead of i: higher scores, and equal scores in earlier rows.
std::vector<std::int64_t> counted_ranks(std::vector<double> const& score) {
  std::vector<std::int64_t> rank(score.size(), 1);
  for (std::size_t i = 0; i < score.size(); ++i) {
    for (std::size_t j = 0; j < score.size(); ++j) {
      if (score[j] > score[i] || (score[j] == score[i] && j < i)) ++rank[i];
    }
  }
  return rank;
}

TEST(Ranking, RanksBreakTiesByRowOrderAndDecilesFollowTheFormula) {
  for (std::size_t n : {1u, 3u, 9u, 10u, 23u, 101u}) {
    Scored const data = random_scored(std::max<std::size_t>(n, 2), 4, n);
    std::vector<double> const score(data.score.begin(), data.score.begin() + n);
    Ranking const ranking = rank_scores(score, 10);
    std::vector<std::int64_t> const expected = counted_ranks(score);
    std::vector<std::size_t> sizes(10, 0);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(ranking.rank[i], expected[i]) << "n " << n << " row " << i;
      EXPECT_EQ(ranking.decile[i], 1 + (expected[i] - 1) * 10 / static_cast<std::int64_t>(n));
      ++sizes[static_cast<std::size_t>(ranking.decile[i] - 1)];
    }
    std::size_t const largest = *std::max_element(sizes.begin(), sizes.end());
    for (std::size_t size : sizes) {
      // Groups differ by at most one; with n < 10, deciles are 1 row or empty.
      EXPECT_LE(largest - size, 1u) << "n " << n;
    }
  }
  // n = 3: ranks 1, 2, 3 fall in deciles 1, 1 + floor(10/3) = 4, 1 + floor(20/3) = 7.
  std::vector<double> const three{0.5, 0.5, 0.9};
  Ranking const small = rank_scores(three);
  EXPECT_EQ(small.rank, (std::vector<std::int64_t>{2, 3, 1}));
  EXPECT_EQ(small.decile, (std::vector<std::int32_t>{4, 7, 1}));
  expect_error([&] { rank_scores(three, 0); }, ExitCode::kUsage, "bins");
}

TEST(Ranking, TiesFollowTheTieBreakThenRowOrder) {
  // Rows 0, 1, 3 tie at 0.5 (an isotonic step); the tie-break (uncalibrated scores) orders them
  // 3, 0, 1, and rows 0 and 1 tie again there, so row order decides.
  std::vector<double> const score{0.5, 0.5, 0.9, 0.5};
  std::vector<double> const tie_break{0.3, 0.3, 0.1, 0.4};
  Ranking const ranking = rank_scores(score, 2, tie_break);
  EXPECT_EQ(ranking.rank, (std::vector<std::int64_t>{3, 4, 1, 2}));
  EXPECT_EQ(ranking.decile, (std::vector<std::int32_t>{2, 2, 1, 1}));
  std::vector<double> const short_tie_break{0.1};
  expect_error([&] { rank_scores(score, 2, short_tie_break); }, ExitCode::kUsage, "tie-break");
}

TEST(DecileTable, SumsAndRatiosAreConsistent) {
  Scored const data = random_scored(1003, 50, 5);
  std::vector<DecileRow> const table = decile_table(data.score, data.label);
  ASSERT_EQ(table.size(), 10u);
  Ranking const ranking = rank_scores(data.score);
  std::size_t customers = 0, responders = 0;
  for (float y : data.label) responders += y == 1.0F ? 1 : 0;
  double const overall = static_cast<double>(responders) / 1003.0;
  std::size_t seen_customers = 0, seen_responders = 0;
  for (DecileRow const& row : table) {
    std::size_t expected_customers = 0, expected_responders = 0;
    double low = 1.0, high = 0.0;
    for (std::size_t i = 0; i < data.score.size(); ++i) {
      if (ranking.decile[i] != row.decile) continue;
      ++expected_customers;
      expected_responders += data.label[i] == 1.0F ? 1 : 0;
      low = std::min(low, data.score[i]);
      high = std::max(high, data.score[i]);
    }
    EXPECT_EQ(row.customers, expected_customers);
    EXPECT_EQ(row.responders, expected_responders);
    EXPECT_EQ(row.min_score, low);
    EXPECT_EQ(row.max_score, high);
    EXPECT_GE(row.mean_score, low);
    EXPECT_LE(row.mean_score, high);
    double const rate = static_cast<double>(expected_responders) / expected_customers;
    EXPECT_DOUBLE_EQ(row.response_rate, rate);
    EXPECT_DOUBLE_EQ(row.lift, rate / overall);
    seen_customers += row.customers;
    seen_responders += row.responders;
    EXPECT_DOUBLE_EQ(row.cumulative_responders_share,
                     static_cast<double>(seen_responders) / responders);
    EXPECT_DOUBLE_EQ(row.cumulative_lift,
                     static_cast<double>(seen_responders) / seen_customers / overall);
    customers += row.customers;
  }
  EXPECT_EQ(customers, 1003u);
  EXPECT_EQ(seen_responders, responders);
  EXPECT_DOUBLE_EQ(table.back().cumulative_responders_share, 1.0);
  EXPECT_DOUBLE_EQ(table.back().cumulative_lift, 1.0);
}

TEST(DecileTable, NoRespondersAndFewRowsGiveZerosNotNaN) {
  std::vector<double> const score{0.3, 0.2, 0.1};
  std::vector<float> const label{0, 0, 0};
  // Three rows in ten deciles: ranks 1, 2, 3 land in deciles 1, 4 and 7; the rest are empty.
  for (DecileRow const& row : decile_table(score, label)) {
    bool const filled = row.decile == 1 || row.decile == 4 || row.decile == 7;
    EXPECT_EQ(row.customers, filled ? 1u : 0u) << "decile " << row.decile;
    EXPECT_EQ(row.response_rate, 0.0);
    EXPECT_EQ(row.lift, 0.0);
    EXPECT_EQ(row.cumulative_responders_share, 0.0);
    EXPECT_EQ(row.cumulative_lift, 0.0);
    double const expected_score = row.decile == 1   ? 0.3
                                  : row.decile == 4 ? 0.2
                                  : row.decile == 7 ? 0.1
                                                    : 0.0;
    EXPECT_EQ(row.mean_score, expected_score) << "decile " << row.decile;
  }
}

TEST(ReliabilityTable, AssignsEdgesAsScikitLearn) {
  // Edges for 5 bins are i · 0.2: 0, 0.2, 0.4, 0.6000000000000001, 0.8, then 1. A score equal to
  // an inner edge goes to the bin below (numpy.searchsorted, side left); scikit-learn 1.9.1's
  // calibration_curve gives bins [0 0 1 2 2 2 3 4 4] for these scores (checked by hand).
  std::vector<double> const score{
      0.0, 0.2, std::nextafter(0.2, 1.0), 0.5, 0.6, 0.6000000000000001, 0.8, 0.9, 1.0};
  std::vector<float> const label{0, 1, 0, 1, 1, 0, 0, 1, 1};
  std::vector<ReliabilityBin> const table = reliability_table(score, label, 5);
  ASSERT_EQ(table.size(), 5u);
  std::vector<std::size_t> const count{2, 1, 3, 1, 2};
  std::vector<double> const observed{0.5, 0.0, 2.0 / 3.0, 0.0, 1.0};
  for (std::size_t b = 0; b < 5; ++b) {
    EXPECT_EQ(table[b].lower, static_cast<double>(b) * 0.2);
    EXPECT_EQ(table[b].upper, b == 4 ? 1.0 : static_cast<double>(b + 1) * 0.2);
    EXPECT_EQ(table[b].count, count[b]) << "bin " << b;
    EXPECT_DOUBLE_EQ(table[b].observed_rate, observed[b]) << "bin " << b;
  }
  EXPECT_DOUBLE_EQ(table[0].mean_predicted, 0.1);
  EXPECT_DOUBLE_EQ(table[2].mean_predicted, (0.5 + 0.6 + 0.6000000000000001) / 3.0);
  EXPECT_DOUBLE_EQ(table[4].mean_predicted, 0.95);
  // Empty bins are kept, with zeros.
  std::vector<ReliabilityBin> const sparse = reliability_table(score, label, 20);
  EXPECT_EQ(sparse[5].count, 0u);
  EXPECT_EQ(sparse[5].mean_predicted, 0.0);
}

TEST(EvaluateClassifier, CollectsTheMetricsAndPrintsAlignedTables) {
  Scored const data = random_scored(500, 100, 3);
  ClassificationReport const report = evaluate_classifier(data.score, data.label, 0.4);
  EXPECT_EQ(report.rows, 500u);
  EXPECT_EQ(report.auc, roc_auc(data.score, data.label));
  EXPECT_EQ(report.log_loss, log_loss(data.score, data.label));
  EXPECT_EQ(report.brier, brier_score(data.score, data.label));
  EXPECT_EQ(report.accuracy, accuracy(data.score, data.label, 0.4));
  EXPECT_EQ(report.deciles.size(), 10u);
  EXPECT_EQ(report.reliability.size(), 10u);

  nlohmann::json const json = report.to_json();
  EXPECT_EQ(json["rows"], 500);
  EXPECT_EQ(json["auc"].get<double>(), report.auc);
  EXPECT_EQ(json["threshold"].get<double>(), 0.4);
  EXPECT_EQ(json["deciles"].size(), 10u);
  EXPECT_EQ(json["deciles"][0]["lift"].get<double>(), report.deciles[0].lift);
  EXPECT_EQ(json["reliability"][9]["count"], report.reliability[9].count);

  std::string const text = report.to_text();
  for (char const* heading : {"ROC AUC", "log-loss", "Brier", "accuracy", "decile", "customers",
                              "responders", "cum. gain", "cum. lift", "score range", "observed"}) {
    EXPECT_NE(text.find(heading), std::string::npos) << heading;
  }
  // The decile block: heading and ten rows of one width, so the columns line up.
  std::size_t const start = text.find("decile");
  std::size_t const heading_end = text.find('\n', start);
  std::size_t line_start = heading_end + 1;
  std::size_t const width = text.find('\n', line_start) - line_start;
  for (int d = 0; d < 10; ++d) {
    std::size_t const end = text.find('\n', line_start);
    EXPECT_EQ(end - line_start, width) << text.substr(line_start, end - line_start);
    line_start = end + 1;
  }
  expect_error([&] { evaluate_classifier(data.score, data.label, 1.5); }, ExitCode::kUsage,
               "threshold");
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

// check_calibration and calibration_folds (models/propensity/calibration_check.hpp): each held-out
// row is calibrated by a calibrator that never saw it, the calibrated report is computed on those
// values (decile ties broken by the uncalibrated score), the metrics calibration made worse are
// named, and train_propensity reports calibration cross-fitted for a hold-out and for folds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "host/io/customer_table_reader.hpp"
#include "models/propensity/calibration_check.hpp"
#include "models/propensity/propensity.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using ::testing::ElementsAre;

/// n already calibrated scores: p uniform in (0.02, 0.98), y ~ Bernoulli(p), seeded.
struct Scored {
  std::vector<double> score;
  std::vector<float> label;
};
Scored calibrated_scores(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Scored out;
  for (std::size_t i = 0; i < n; ++i) {
    double const p = 0.02 + 0.96 * unit(rng);
    out.score.push_back(p);
    out.label.push_back(unit(rng) < p ? 1.0F : 0.0F);
  }
  return out;
}

TEST(CalibrationCheck, EachRowIsCalibratedByACalibratorFittedOnTheOtherFolds) {
  Scored const data = calibrated_scores(300, 3);
  std::vector<std::int32_t> const fold = calibration_folds(data.label, 9);
  ClassificationReport const before = evaluate_classifier(data.score, data.label);
  for (Calibrator::Kind const kind : {Calibrator::Kind::kPlatt, Calibrator::Kind::kIsotonic}) {
    CalibrationCheck const check = check_calibration(kind, data.score, data.label, fold, 5, before);
    ASSERT_EQ(check.cross_fitted.size(), 300u);
    for (int f = 0; f < 5; ++f) {
      std::vector<double> others_score;
      std::vector<float> others_label;
      for (std::size_t i = 0; i < 300; ++i) {
        if (fold[i] == f) continue;
        others_score.push_back(data.score[i]);
        others_label.push_back(data.label[i]);
      }
      Calibrator const calibrator = Calibrator::fit(kind, others_score, others_label);
      for (std::size_t i = 0; i < 300; ++i) {
        if (fold[i] != f) continue;
        std::vector<double> one{data.score[i]};
        calibrator.apply(one);
        EXPECT_EQ(check.cross_fitted[i], one[0]) << "row " << i;
      }
    }
    // The stored calibrator is fitted on every row.
    EXPECT_EQ(check.calibrator.to_json(), Calibrator::fit(kind, data.score, data.label).to_json());
    EXPECT_EQ(check.calibrated.rows, 300u);
    std::vector<double> const& cross_fitted = check.cross_fitted;
    EXPECT_DOUBLE_EQ(check.calibrated.log_loss, log_loss(cross_fitted, data.label));
    EXPECT_DOUBLE_EQ(check.calibrated.auc, roc_auc(cross_fitted, data.label));
  }
}

TEST(CalibrationCheck, ARowsOwnLabelNeverMovesItsCalibratedScore) {
  Scored data = calibrated_scores(200, 5);
  std::vector<std::int32_t> const fold = calibration_folds(data.label, 1);
  ClassificationReport const before = evaluate_classifier(data.score, data.label);
  CalibrationCheck const check =
      check_calibration(Calibrator::Kind::kIsotonic, data.score, data.label, fold, 5, before);
  // Flip the label of the row with the highest score: the in-sample isotonic fit follows it, the
  // cross-fitted value does not.
  std::size_t const top = static_cast<std::size_t>(
      std::max_element(data.score.begin(), data.score.end()) - data.score.begin());
  data.label[top] = 1.0F - data.label[top];
  CalibrationCheck const flipped =
      check_calibration(Calibrator::Kind::kIsotonic, data.score, data.label, fold, 5,
                        evaluate_classifier(data.score, data.label));
  EXPECT_EQ(flipped.cross_fitted[top], check.cross_fitted[top]);
  std::vector<double> in_sample{data.score[top]}, in_sample_flipped{data.score[top]};
  check.calibrator.apply(in_sample);
  flipped.calibrator.apply(in_sample_flipped);
  EXPECT_NE(in_sample[0], in_sample_flipped[0]);
}

TEST(CalibrationCheck, IsotonicOnScoresAlreadyCalibratedLooksBetterInSampleAndIsNamedWorse) {
  // The old report fitted and measured the calibrator on the same rows: isotonic then "improves"
  // the log-loss of scores that were calibrated already. Cross-fitted, it is worse.
  Scored const data = calibrated_scores(400, 7);
  ClassificationReport const before = evaluate_classifier(data.score, data.label);
  std::vector<double> in_sample = data.score;
  Calibrator::fit(Calibrator::Kind::kIsotonic, data.score, data.label).apply(in_sample);
  EXPECT_LT(log_loss(in_sample, data.label), before.log_loss);
  CalibrationCheck const check =
      check_calibration(Calibrator::Kind::kIsotonic, data.score, data.label,
                        calibration_folds(data.label, 42), 5, before);
  EXPECT_GT(check.calibrated.log_loss, before.log_loss);
  ASSERT_FALSE(check.worse.empty());
  EXPECT_EQ(check.worse.front(), "log-loss");
}

TEST(CalibrationCheck, PlattFixingScoresThatAreTooExtremeIsNotNamedWorse) {
  // Scores pushed to the extremes (logit tripled): Platt's slope undoes it on unseen rows too.
  Scored data = calibrated_scores(600, 11);
  for (double& p : data.score) p = 1.0 / (1.0 + std::exp(-3.0 * std::log(p / (1.0 - p))));
  ClassificationReport const before = evaluate_classifier(data.score, data.label);
  CalibrationCheck const check = check_calibration(Calibrator::Kind::kPlatt, data.score, data.label,
                                                   calibration_folds(data.label, 42), 5, before);
  EXPECT_LT(check.calibrated.log_loss, before.log_loss);
  EXPECT_LT(check.calibrated.brier, before.brier);
  EXPECT_THAT(check.worse, ::testing::Not(::testing::Contains("log-loss")));
}

TEST(CalibrationCheck, FoldsAreStratifiedAndTooFewRespondersAreAnInputError) {
  std::vector<float> label(50, 0.0F);
  for (std::size_t i = 0; i < 3; ++i) label[i * 7] = 1.0F;
  std::vector<std::int32_t> const fold = calibration_folds(label, 4);
  EXPECT_EQ(*std::max_element(fold.begin(), fold.end()), 2);  // min(5, 3 responders) folds
  for (int f = 0; f < 3; ++f) {
    int positives = 0;
    for (std::size_t i = 0; i < label.size(); ++i) positives += fold[i] == f && label[i] == 1.0F;
    EXPECT_EQ(positives, 1);
  }
  label[7] = label[14] = 0.0F;
  cie::testing::expect_error([&] { calibration_folds(label, 4); }, ExitCode::kInputData,
                             "at least 2 responders and 2 non-responders held out; there are 1");
}

TEST(CalibrationCheck, DecileTiesOfTheCalibratedReportFollowTheUncalibratedScore) {
  // Isotonic steps tie rows; rows 0..9 are listed lowest score first, so input order would put
  // the least likely rows of a tied step first.
  std::vector<double> score;
  std::vector<float> label;
  for (int i = 0; i < 40; ++i) {
    score.push_back(0.05 + 0.9 * i / 39.0);
    label.push_back(i >= 30 || (i >= 20 && i % 2 == 0) ? 1.0F : 0.0F);
  }
  std::vector<double> tied(score.size());
  std::transform(score.begin(), score.end(), tied.begin(),
                 [](double p) { return p < 0.5 ? 0.2 : 0.7; });
  std::vector<DecileRow> const by_order = decile_table(tied, label, 4);
  std::vector<DecileRow> const by_score = decile_table(tied, label, 4, score);
  // Quarter 1 = rows 30..39 by the uncalibrated score (10 responders), rows 20..29 by input
  // order (5).
  EXPECT_EQ(by_score[0].responders, 10u);
  EXPECT_EQ(by_order[0].responders, 5u);
  ClassificationReport const report = evaluate_classifier(tied, label, 0.5, 4, score);
  EXPECT_EQ(report.deciles[0].responders, 10u);
}

/// 500 customers with one informative numeric column.
CustomerTable customers(std::vector<float>& label) {
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::string text = "customer_id,spend\n";
  for (int i = 0; i < 500; ++i) {
    double const spend = 10.0 * unit(rng);
    text += "c" + std::to_string(i) + "," + std::to_string(spend) + "\n";
    label.push_back(unit(rng) < 1.0 / (1.0 + std::exp(2.0 - 0.4 * spend)) ? 1.0F : 0.0F);
  }
  return parse_customer_table(text, "customers.csv", {});
}

TEST(CalibrationCheck, TrainingReportsCalibrationCrossFittedOverTheHeldOutRows) {
  std::vector<float> label;
  CustomerTable const table = customers(label);
  PropensityParams params;
  params.calibration = Calibrator::Kind::kIsotonic;
  params.validation_fraction = 0.3;
  PropensityTraining const held_out = train_propensity(
      Context::cpu(1), table, label, TabularEncoder::default_specs(table), params, "y", "1");
  ASSERT_TRUE(held_out.calibration.has_value());
  EXPECT_EQ(held_out.calibration->folds, 5);
  EXPECT_EQ(held_out.calibration->calibrated.rows, held_out.validation->rows);
  EXPECT_EQ(held_out.model.calibrator().to_json(), held_out.calibration->calibrator.to_json());
  params.validation_fraction = 0.0;
  params.folds = 4;
  PropensityTraining const folds = train_propensity(
      Context::cpu(1), table, label, TabularEncoder::default_specs(table), params, "y", "1");
  EXPECT_EQ(folds.calibration->folds, 4);
  EXPECT_EQ(folds.calibration->calibrated.rows, 500u);
  params.calibration = Calibrator::Kind::kNone;
  EXPECT_FALSE(train_propensity(Context::cpu(1), table, label, TabularEncoder::default_specs(table),
                                params, "y", "1")
                   .calibration.has_value());
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

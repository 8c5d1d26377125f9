// `cie propensity` as a user runs it: train on joined tables (unmatched rows counted), a model
// file and a JSON report, score with the same probabilities, unseen categorical levels, and the
// refusals: a table lacking a model column or with another type (exit 2), a damaged model
// (exit 2), bad labels (exit 3), bad options (exit 2).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using ::testing::HasSubstr;
using ::testing::Not;

using cie::testing::run_on_cpu;
using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;

/// 400 customers: attributes (spend, region, a missing value now and then) in one table and
/// responses in another, with 5 response rows whose customer has no attributes. The response
/// probability rises with spend and is higher in the north.
struct Tables {
  std::string attributes;
  std::string responses;
};
Tables make_tables() {
  std::ostringstream attributes, responses;
  attributes << "customer_id,spend,region\n";
  responses << "customer_id,responded\n";
  char const* regions[] = {"north", "south", "east"};
  for (int i = 0; i < 400; ++i) {
    double const spend = (i * 37 % 101) / 10.0;
    std::string const region = regions[i % 3];
    attributes << "c" << i << "," << (i % 50 == 7 ? std::string() : std::to_string(spend)) << ","
               << region << "\n";
    // A deterministic, noisy rule: responders mostly among high spenders in the north.
    double const logit = -2.0 + 0.5 * spend + (region == "north" ? 1.0 : 0.0);
    double const u = ((i * 7919) % 1000 + 0.5) / 1000.0;
    responses << "c" << i << "," << (u < 1.0 / (1.0 + std::exp(-logit)) ? 1 : 0) << "\n";
  }
  for (int i = 0; i < 5; ++i) responses << "ghost" << i << ",1\n";
  return {attributes.str(), responses.str()};
}

/// customer_id -> the probability column of a scores file; checks the header.
std::map<std::string, double> probabilities(std::string const& csv) {
  std::map<std::string, double> out;
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "customer_id,probability,decile,rank");
  while (std::getline(lines, line)) {
    std::size_t const first = line.find(',');
    out[line.substr(0, first)] = std::stod(line.substr(first + 1));
  }
  return out;
}

class PropensityCli : public ::testing::Test {
 protected:
  void SetUp() override {
    Tables const tables = make_tables();
    spit(dir_.file("attributes.csv"), tables.attributes);
    spit(dir_.file("responses.csv"), tables.responses);
  }
  std::string train(std::string const& extra = "") {
    return "propensity train --table " + dir_.file("responses.csv") + " --table " +
           dir_.file("attributes.csv") + " --target responded --model " + dir_.file("m.json") +
           " --report " + dir_.file("report.json") + " " + extra;
  }
  cie::testing::TempDir dir_;
};

TEST_F(PropensityCli, TrainReportsTheJoinAndScoreReproducesTheTrainingProbabilities) {
  RunResult const trained = run_on_cpu(dir_, train("--validation 0"));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_THAT(trained.out, HasSubstr("5 without a partner (left out)"));
  EXPECT_THAT(trained.out, HasSubstr("AUC"));
  nlohmann::json const report = nlohmann::json::parse(slurp(dir_.file("report.json")));
  EXPECT_EQ(report["inputs"][0]["unmatched"], 5);
  EXPECT_EQ(report["metrics"]["training"]["rows"], 400);
  EXPECT_TRUE(report["converged"].get<bool>());
  std::vector<std::string> const features = report["features"];
  EXPECT_EQ(features, (std::vector<std::string>{"spend", "spend__missing", "region=north",
                                                "region=south", "region=east", "region=<other>"}));
  // The rule: spend and the north raise the response.
  EXPECT_GT(report["coef"][0].get<double>(), 0.5);
  EXPECT_GT(report["coef"][2].get<double>(), report["coef"][3].get<double>());
  EXPECT_GT(report["metrics"]["training"]["auc"].get<double>(), 0.75);

  RunResult const scored =
      run_on_cpu(dir_, "propensity score --model " + dir_.file("m.json") + " --table " +
                           dir_.file("attributes.csv") + " --out " + dir_.file("scores.csv"));
  ASSERT_EQ(scored.exit_code, 0) << scored.err;
  std::map<std::string, double> const p = probabilities(slurp(dir_.file("scores.csv")));
  ASSERT_EQ(p.size(), 400u);
  // The probability of c0 from the report's coefficients: spend 0 z-scored, region north.
  nlohmann::json const model = nlohmann::json::parse(slurp(dir_.file("m.json")));
  for (nlohmann::json const& column : model["features"]["columns"]) {
    if (column["name"] == "spend") {
      double const z = (0.0 - column["mean"].get<double>()) / column["scale"].get<double>();
      double const logit = report["intercept"].get<double>() + report["coef"][0].get<double>() * z +
                           report["coef"][2].get<double>();
      EXPECT_NEAR(p.at("c0"), 1.0 / (1.0 + std::exp(-logit)), 1e-6);
    }
  }
}

TEST_F(PropensityCli, UnseenAndMissingLevelsScoreAsOther) {
  ASSERT_EQ(run_on_cpu(dir_, train()).exit_code, 0);
  spit(dir_.file("new.csv"), "customer_id,spend,region\nx1,5,west\nx2,5,\nx3,5,north\nx4,,south\n");
  RunResult const scored =
      run_on_cpu(dir_, "propensity score --model " + dir_.file("m.json") + " --table " +
                           dir_.file("new.csv") + " --out " + dir_.file("scores.csv"));
  ASSERT_EQ(scored.exit_code, 0) << scored.err;
  std::map<std::string, double> const p = probabilities(slurp(dir_.file("scores.csv")));
  EXPECT_EQ(p.at("x1"), p.at("x2"));  // an unseen level and a missing one: both <other>
  EXPECT_NE(p.at("x1"), p.at("x3"));
  EXPECT_TRUE(std::isfinite(p.at("x4")));  // missing spend: imputed, not NaN
}

TEST_F(PropensityCli, ScoringRefusesATableThatDoesNotFitTheModel) {
  ASSERT_EQ(run_on_cpu(dir_, train()).exit_code, 0);
  spit(dir_.file("lacking.csv"), "customer_id,region,age\nx1,north,30\n");
  RunResult const lacking =
      run_on_cpu(dir_, "propensity score --model " + dir_.file("m.json") + " --table " +
                           dir_.file("lacking.csv") + " --out " + dir_.file("scores.csv"));
  EXPECT_EQ(lacking.exit_code, 2);
  EXPECT_THAT(lacking.err, HasSubstr("spend"));
  EXPECT_THAT(lacking.err, HasSubstr("age"));  // listed as extra
  EXPECT_FALSE(std::filesystem::exists(dir_.file("scores.csv")));

  std::string model = slurp(dir_.file("m.json"));
  model.replace(model.find("\"region\""), 8, "\"regiom\"");
  spit(dir_.file("damaged.json"), model);
  RunResult const damaged =
      run_on_cpu(dir_, "propensity score --model " + dir_.file("damaged.json") + " --table " +
                           dir_.file("attributes.csv") + " --out " + dir_.file("scores.csv"));
  EXPECT_EQ(damaged.exit_code, 2);
  EXPECT_THAT(damaged.err, HasSubstr("checksum"));
}

TEST_F(PropensityCli, BadLabelsAndOptionsAreRefused) {
  spit(dir_.file("responses.csv"), "customer_id,responded\nc0,1\nc1,2\nc2,0\n");
  RunResult const labels = run_on_cpu(dir_, train());
  EXPECT_EQ(labels.exit_code, 3);
  EXPECT_THAT(labels.err, HasSubstr("responses.csv"));

  Tables const tables = make_tables();
  spit(dir_.file("responses.csv"), tables.responses);
  std::string command = train();
  command.replace(command.find("--target responded"), 18, "--target nope");
  RunResult const target = run_on_cpu(dir_, command);
  EXPECT_EQ(target.exit_code, 2);
  EXPECT_THAT(target.err, HasSubstr("nope"));
  EXPECT_EQ(run_on_cpu(dir_, train("--penalty l3")).exit_code, 2);
  EXPECT_EQ(run_on_cpu(dir_, train("--folds 5")).exit_code, 2);  // needs --validation 0
  EXPECT_EQ(run_on_cpu(dir_, train("--validation 0 --calibration platt")).exit_code, 2);
  EXPECT_EQ(run_on_cpu(dir_, train("--transforms region=log1p")).exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("m.json")));
}

TEST_F(PropensityCli, SampleWeightsEqualDuplicatedRows) {
  // Weight 2 on every customer of the south equals listing them twice.
  std::istringstream attributes(make_tables().attributes);
  std::istringstream responses(make_tables().responses);
  std::string weighted_attributes = "customer_id,spend,region,w\n";
  std::string duplicated_attributes = "customer_id,spend,region\n";
  std::string duplicated_responses = "customer_id,responded\n";
  std::map<std::string, std::string> response_of;
  std::string line;
  std::getline(responses, line);
  while (std::getline(responses, line)) response_of[line.substr(0, line.find(','))] = line;
  std::getline(attributes, line);
  while (std::getline(attributes, line)) {
    std::string const id = line.substr(0, line.find(','));
    bool const south = line.ends_with(",south");
    weighted_attributes += line + (south ? ",2\n" : ",1\n");
    duplicated_attributes += line + "\n";
    duplicated_responses += response_of[id] + "\n";
    if (south) {
      duplicated_attributes += id + "b" + line.substr(id.size()) + "\n";
      duplicated_responses += id + "b" + response_of[id].substr(id.size()) + "\n";
    }
  }
  spit(dir_.file("weighted.csv"), weighted_attributes);
  spit(dir_.file("dup_attributes.csv"), duplicated_attributes);
  spit(dir_.file("dup_responses.csv"), duplicated_responses);
  // The z-score is fitted on rows, not weights, so the two encoders differ (400 vs 533 rows);
  // without a penalty the fitted probabilities do not depend on that affine rescaling, so the
  // two models must score every customer alike.
  auto const train_and_score = [&](std::string const& model, std::string const& tables) {
    RunResult const trained =
        run_on_cpu(dir_,
                   "propensity train --target responded --validation 0 --penalty none --tol 1e-12 "
                   "--model " +
                       dir_.file(model) + " " + tables);
    EXPECT_EQ(trained.exit_code, 0) << trained.err;
    RunResult const scored =
        run_on_cpu(dir_, "propensity score --model " + dir_.file(model) + " --table " +
                             dir_.file("attributes.csv") + " --out " + dir_.file(model + ".csv"));
    EXPECT_EQ(scored.exit_code, 0) << scored.err;
    return probabilities(slurp(dir_.file(model + ".csv")));
  };
  std::map<std::string, double> const weighted =
      train_and_score("weighted.json", "--table " + dir_.file("responses.csv") + " --table " +
                                           dir_.file("weighted.csv") + " --weight-col w");
  std::map<std::string, double> const duplicated =
      train_and_score("duplicated.json", "--table " + dir_.file("dup_responses.csv") + " --table " +
                                             dir_.file("dup_attributes.csv"));
  std::map<std::string, double> const unweighted =
      train_and_score("unweighted.json", "--table " + dir_.file("responses.csv") + " --table " +
                                             dir_.file("attributes.csv"));
  ASSERT_EQ(weighted.size(), 400u);
  double worst = 0.0, moved = 0.0;
  for (auto const& [id, p] : weighted) {
    worst = std::max(worst, std::abs(p - duplicated.at(id)));
    moved = std::max(moved, std::abs(p - unweighted.at(id)));
  }
  EXPECT_LT(worst, 1e-6);
  EXPECT_GT(moved, 1e-3);  // the weights do change the model
  nlohmann::json const model = nlohmann::json::parse(slurp(dir_.file("weighted.json")));
  for (nlohmann::json const& column : model["features"]["columns"]) EXPECT_NE(column["name"], "w");
}

TEST_F(PropensityCli, CrossValidationAndCalibrationAreReported) {
  RunResult const folds =
      run_on_cpu(dir_, train("--validation 0 --folds 4 --calibration isotonic"));
  ASSERT_EQ(folds.exit_code, 0) << folds.err;
  nlohmann::json const report = nlohmann::json::parse(slurp(dir_.file("report.json")));
  ASSERT_EQ(report["metrics"]["folds"].size(), 4u);
  std::size_t rows = 0;
  for (nlohmann::json const& fold : report["metrics"]["folds"])
    rows += fold["rows"].get<std::size_t>();
  EXPECT_EQ(rows, 400u);
  EXPECT_EQ(report["metrics"]["validation"]["rows"], 400);
  EXPECT_TRUE(report["metrics"].contains("calibrated"));
  EXPECT_THAT(folds.out, HasSubstr("fold 4"));
  // The calibrated report is cross-fitted over the same 4 folds, and says how it compares.
  EXPECT_EQ(report["metrics"]["calibrated"]["cross_fitted_folds"], 4);
  EXPECT_EQ(report["metrics"]["calibrated"]["rows"], 400);
  EXPECT_THAT(folds.out, HasSubstr("after isotonic calibration, cross-fitted (4 folds of the "
                                   "held-out rows"));
  nlohmann::json const& worse = report["metrics"]["calibration_worse"];
  ASSERT_TRUE(worse.is_array());
  bool const loss_worse = report["metrics"]["calibrated"]["log_loss"].get<double>() >
                          report["metrics"]["validation"]["log_loss"].get<double>();
  EXPECT_EQ(std::find(worse.begin(), worse.end(), "log-loss") != worse.end(), loss_worse);
  EXPECT_THAT(folds.out, HasSubstr(worse.empty() ? "calibration helps on unseen rows"
                                                 : "WARNING: isotonic calibration makes the"));
}

TEST(PropensityJoin, TablesWithNoCommonCustomerAreAnInputErrorSayingSo) {
  cie::testing::TempDir dir;
  spit(dir.file("a.csv"), "customer_id,responded\na1,1\na2,0\na3,1\n");
  spit(dir.file("b.csv"), "customer_id,spend\nb1,10\nb2,20\n");
  RunResult const result =
      run_on_cpu(dir, "propensity train --table " + dir.file("a.csv") + " --table " +
                          dir.file("b.csv") + " --target responded --model " + dir.file("m.json"));
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_THAT(result.err, HasSubstr("share no customer id in column customer_id"));
  EXPECT_THAT(result.err, HasSubstr("3 rows, 3 without a partner"));
}

TEST(PropensityCoding, ACategoricalColumnCodedAnotherWayAtScoringTimeIsWarnedAbout) {
  cie::testing::TempDir dir;
  std::string training = "customer_id,region,responded\n";
  std::string digits = "customer_id,region\n";
  for (int i = 0; i < 40; ++i) {
    training += fmt::format("c{},{},{}\n", i, i % 2 == 0 ? "north" : "south", i % 3 == 0 ? 1 : 0);
    digits += fmt::format("c{},{}\n", i, i % 2 == 0 ? 1 : 2);
  }
  spit(dir.file("train.csv"), training);
  spit(dir.file("digits.csv"), digits);
  ASSERT_EQ(run_on_cpu(dir, "propensity train --table " + dir.file("train.csv") +
                                " --target responded --validation 0 --model " + dir.file("m.json"))
                .exit_code,
            0);
  RunResult const same =
      run_on_cpu(dir, "propensity score --model " + dir.file("m.json") + " --table " +
                          dir.file("train.csv") + " --out " + dir.file("same.csv"));
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_THAT(same.err, Not(HasSubstr("never saw")));
  RunResult const coded =
      run_on_cpu(dir, "propensity score --model " + dir.file("m.json") + " --table " +
                          dir.file("digits.csv") + " --out " + dir.file("coded.csv"));
  EXPECT_EQ(coded.exit_code, 0) << coded.err;
  EXPECT_THAT(coded.err, HasSubstr("column region: 40 of 40 values (100.0%) are levels the model "
                                   "never saw in training"));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

// `cie propensity train --model-type gbdt` and scoring its model file as a user runs them: the
// report's trees and importance, scores independent of the batch size, the same model for 1 and
// 3 threads, early stopping, and the refusals (bad options, a damaged model file).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;
using ::testing::HasSubstr;

/// 600 customers: spend (missing now and then), region; responders mostly high spenders in
/// the north, and customers with no spend recorded.
std::string make_customers() {
  std::ostringstream out;
  out << "customer_id,spend,region,responded\n";
  char const* regions[] = {"north", "south", "east"};
  for (int i = 0; i < 600; ++i) {
    double const spend = (i * 37 % 101) / 10.0;
    bool const missing = i % 13 == 5;
    std::string const region = regions[i % 3];
    double const logit = missing ? 1.0 : -3.0 + 0.6 * spend + (region == "north" ? 1.5 : 0.0);
    double const u = ((i * 7919) % 1000 + 0.5) / 1000.0;
    out << "c" << i << "," << (missing ? std::string() : std::to_string(spend)) << "," << region
        << "," << (u < 1.0 / (1.0 + std::exp(-logit)) ? 1 : 0) << "\n";
  }
  return out.str();
}

class GbdtCli : public ::testing::Test {
 protected:
  void SetUp() override { spit(dir_.file("customers.csv"), make_customers()); }
  RunResult run(std::string const& arguments, int threads = 2) {
    return cie::testing::run_cie(
        dir_, "--device cpu --threads " + std::to_string(threads) + " " + arguments);
  }
  std::string train(std::string const& model, std::string const& extra) {
    return "propensity train --table " + dir_.file("customers.csv") +
           " --target responded --model-type gbdt --model " + dir_.file(model) + " --report " +
           dir_.file("report.json") + " " + extra;
  }
  std::string score(std::string const& model, std::string const& out, int batch_rows) {
    return "propensity score --model " + dir_.file(model) + " --table " +
           dir_.file("customers.csv") + " --out " + dir_.file(out) + " --batch-rows " +
           std::to_string(batch_rows);
  }
  cie::testing::TempDir dir_;
};

TEST_F(GbdtCli, TrainsReportsAndScoresTheSameForAnyBatchSize) {
  RunResult const trained = run(train("m.json", "--n-trees 30 --num-leaves 7"));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_THAT(trained.out, HasSubstr("gradient-boosted trees"));
  EXPECT_THAT(trained.out, HasSubstr("importance"));
  nlohmann::json const report = nlohmann::json::parse(slurp(dir_.file("report.json")));
  EXPECT_EQ(report["trees"], 30);
  EXPECT_EQ(report["params"]["model_type"], "gbdt");
  EXPECT_EQ(report["params"]["gbdt"]["num_leaves"], 7);
  std::vector<std::string> const features = report["features"];
  ASSERT_EQ(features[0], "spend");
  EXPECT_GT(report["importance"]["gain"][0].get<double>(), 0.0);
  EXPECT_GT(report["metrics"]["validation"]["auc"].get<double>(), 0.7);
  nlohmann::json const model = nlohmann::json::parse(slurp(dir_.file("m.json")));
  EXPECT_TRUE(model["fitted"].contains("gbdt"));
  EXPECT_FALSE(model["fitted"].contains("logistic"));

  RunResult const whole = run(score("m.json", "a.csv", 100000));
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  RunResult const batched = run(score("m.json", "b.csv", 7), 3);
  ASSERT_EQ(batched.exit_code, 0) << batched.err;
  EXPECT_EQ(slurp(dir_.file("a.csv")), slurp(dir_.file("b.csv")));
}

TEST_F(GbdtCli, MissingValuesReachTheTreesAsMissingAndGoTheLearnedWay) {
  RunResult const trained = run(train("m.json", "--n-trees 30 --num-leaves 7 --validation 0"));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  nlohmann::json const report = nlohmann::json::parse(slurp(dir_.file("report.json")));
  std::vector<std::string> const features = report["features"];
  EXPECT_EQ(std::count(features.begin(), features.end(), "spend__missing"), 0)
      << "no indicator: the trees see NaN";
  ASSERT_EQ(run(score("m.json", "s.csv", 1000)).exit_code, 0);
  // Customers without spend respond often (logit 1): they score above the low spenders.
  std::istringstream lines(slurp(dir_.file("s.csv")));
  std::string line;
  std::getline(lines, line);
  double missing_sum = 0.0, low_sum = 0.0;
  int missing_count = 0, low_count = 0;
  for (int i = 0; std::getline(lines, line); ++i) {
    double const p = std::stod(line.substr(line.find(',') + 1));
    if (i % 13 == 5) {
      missing_sum += p;
      ++missing_count;
    } else if ((i * 37 % 101) / 10.0 < 2.0) {
      low_sum += p;
      ++low_count;
    }
  }
  EXPECT_GT(missing_sum / missing_count, low_sum / low_count + 0.2);
  RunResult const logistic =
      run("propensity train --table " + dir_.file("customers.csv") +
          " --target responded --missing spend=native --model " + dir_.file("l.json"));
  EXPECT_EQ(logistic.exit_code, 2);
  EXPECT_THAT(logistic.err, HasSubstr("--model-type gbdt"));
}

TEST_F(GbdtCli, SameModelForOneAndThreeThreads) {
  std::string const options =
      "--n-trees 20 --subsample 0.8 --colsample-bytree 0.5 --folds 3 "
      "--validation 0";
  ASSERT_EQ(run(train("one.json", options), 1).exit_code, 0);
  ASSERT_EQ(run(train("three.json", options), 3).exit_code, 0);
  nlohmann::json const one = nlohmann::json::parse(slurp(dir_.file("one.json")));
  nlohmann::json const three = nlohmann::json::parse(slurp(dir_.file("three.json")));
  EXPECT_EQ(one["fitted"].dump(), three["fitted"].dump());
  EXPECT_EQ(one["training_metrics"]["validation"].dump(),
            three["training_metrics"]["validation"].dump());
}

TEST_F(GbdtCli, EarlyStoppingKeepsTheBestIteration) {
  RunResult const trained = run(
      train("m.json",
            "--n-trees 500 --learning-rate 0.5 --early-stopping-rounds 5 --min-data-in-leaf 2"));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_THAT(trained.out, HasSubstr("early stopping"));
  nlohmann::json const report = nlohmann::json::parse(slurp(dir_.file("report.json")));
  int const best = report["best_iteration"];
  EXPECT_GE(best, 0);
  EXPECT_EQ(report["trees"].get<int>(), best + 1);
  EXPECT_LT(best, 400);
}

TEST_F(GbdtCli, BadOptionsAndDamagedModelsAreRefused) {
  for (std::string const bad : {"--max-bin 300", "--learning-rate 0", "--class-weight balanced",
                                "--grow-policy sideways", "--num-leaves 1"}) {
    RunResult const refused = run(train("m.json", bad));
    EXPECT_EQ(refused.exit_code, 2) << bad << ": " << refused.err;
  }
  RunResult const forest =
      run("propensity train --table " + dir_.file("customers.csv") +
          " --target responded --model-type forest --model " + dir_.file("m.json"));
  EXPECT_EQ(forest.exit_code, 2);
  EXPECT_THAT(forest.err, HasSubstr("logistic or gbdt"));

  ASSERT_EQ(run(train("m.json", "--n-trees 5")).exit_code, 0);
  nlohmann::json model = nlohmann::json::parse(slurp(dir_.file("m.json")));
  model["fitted"]["gbdt"]["trees"]["value"][1] = 5.0;
  spit(dir_.file("m.json"), model.dump());
  RunResult const damaged = run(score("m.json", "s.csv", 100));
  EXPECT_EQ(damaged.exit_code, 2);
  EXPECT_THAT(damaged.err, HasSubstr("m.json"));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

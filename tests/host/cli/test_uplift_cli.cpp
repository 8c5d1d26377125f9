// `cie uplift train` and `score` on a table whose treatment effect is known: contact raises the
// response rate where x > 0 and lowers it where x < 0. Every method (two-model, class
// transformation, X-learner on logistic and on gbdt base learners) must rank the persuadable
// first, score must reproduce the held-out predictions, --folds K must report K folds' Qini and
// AUUC with their mean and spread (the same seed giving the same numbers), and a treated value
// that no row holds is a usage error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <sstream>

#include "core/random.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;
using ::testing::HasSubstr;

std::string make_table() {
  std::ostringstream text;
  text << "customer_id,x,region,group,responded\n";
  Random random(11, 0);
  for (int i = 0; i < 4000; ++i) {
    double const x = 2.0 * random.uniform() - 1.0;
    bool const treated = random.bernoulli(0.5);
    double const rate = 0.3 + (treated ? 0.25 * x : 0.0);
    text << "c" << i << "," << x << "," << (i % 3 == 0 ? "north" : "south") << ","
         << (treated ? "mail" : "none") << "," << (random.bernoulli(rate) ? 1 : 0) << "\n";
  }
  return text.str();
}

TEST(UpliftCli, RanksThePersuadableFirstAndScoresTheSame) {
  cie::testing::TempDir dir;
  spit(dir.file("t.csv"), make_table());
  for (std::string const method :
       {"two-model", "class-transformation", "x-learner", "x-learner --model-type gbdt"}) {
    RunResult const run = cie::testing::run_cie(
        dir, "--device cpu --threads 2 uplift train --table " + dir.file("t.csv") +
                 " --treatment group --treated mail --target responded --method " + method +
                 " --n-trees 40 --num-leaves 4 --min-data-in-leaf 50 --model " +
                 dir.file("u.json") + " --report " + dir.file("r.json") + " --predictions " +
                 dir.file("p.csv"));
    ASSERT_EQ(run.exit_code, 0) << run.err;
    nlohmann::json const report = nlohmann::json::parse(slurp(dir.file("r.json")))["evaluation"];
    EXPECT_GT(report["qini_coefficient"].get<double>(), 0.1) << method;
    // The model's top decile is persuadable (observed uplift > 0), its bottom one is not.
    EXPECT_GT(report["deciles"][0]["observed_uplift"].get<double>(), 0.1) << method;
    EXPECT_LT(report["deciles"][9]["observed_uplift"].get<double>(), -0.1) << method;
    RunResult const scored = cie::testing::run_cie(
        dir, "--device cpu uplift score --model " + dir.file("u.json") + " --table " +
                 dir.file("t.csv") + " --out " + dir.file("s.csv"));
    ASSERT_EQ(scored.exit_code, 0) << scored.err;
    std::map<std::string, double> score;
    std::istringstream lines(slurp(dir.file("s.csv")));
    std::string line;
    std::getline(lines, line);
    while (std::getline(lines, line)) {
      std::size_t const comma = line.find(',');
      score[line.substr(0, comma)] = std::stod(line.substr(comma + 1));
    }
    std::istringstream held(slurp(dir.file("p.csv")));
    std::getline(held, line);
    std::size_t rows = 0;
    while (std::getline(held, line)) {
      std::string const id = line.substr(0, line.find(','));
      double const uplift = std::stod(line.substr(line.rfind(',') + 1));
      EXPECT_NEAR(score.at(id), uplift, 1e-12) << id;
      ++rows;
    }
    EXPECT_NEAR(static_cast<double>(rows), 2000.0, 2.0);  // half of each of the 4 strata, rounded
  }
}

TEST(UpliftCli, FoldsReportEachFoldAndTheirSpread) {
  cie::testing::TempDir dir;
  spit(dir.file("t.csv"), make_table());
  auto const train = [&](std::string const& seed, std::string const& report) {
    RunResult const run = cie::testing::run_cie(
        dir, "--device cpu --threads 2 --seed " + seed + " uplift train --table " +
                 dir.file("t.csv") + " --treatment group --treated mail --target responded " +
                 "--method x-learner --validation 0.25 --folds 4 --model " + dir.file("u.json") +
                 " --report " + dir.file(report));
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_THAT(run.out, HasSubstr("4 folds of the training part: Qini coefficient"));
    return nlohmann::json::parse(slurp(dir.file(report)))["evaluation"]["cross_validation"];
  };
  nlohmann::json const cv = train("5", "a.json");
  ASSERT_EQ(cv["per_fold"].size(), 4u);
  double qini = 0.0;
  double squares = 0.0;
  std::int64_t customers = 0;
  for (nlohmann::json const& fold : cv["per_fold"]) {
    qini += fold["qini_coefficient"].get<double>() / 4.0;
    customers += fold["customers"].get<std::int64_t>();
    EXPECT_EQ(fold["treated"].get<std::int64_t>() + fold["control"].get<std::int64_t>(),
              fold["customers"].get<std::int64_t>());
    EXPECT_GT(fold["qini_coefficient"].get<double>(), 0.05);  // every fold finds the effect
  }
  for (nlohmann::json const& fold : cv["per_fold"]) {
    squares += std::pow(fold["qini_coefficient"].get<double>() - qini, 2) / 3.0;
  }
  EXPECT_NEAR(cv["qini_mean"].get<double>(), qini, 1e-12);
  EXPECT_NEAR(cv["qini_sd"].get<double>(), std::sqrt(squares), 1e-12);
  EXPECT_NEAR(static_cast<double>(customers), 3000.0, 2.0);  // the 75% not held out
  EXPECT_EQ(train("5", "b.json"), cv);
  EXPECT_NE(train("6", "c.json")["qini_mean"], cv["qini_mean"]);
}

TEST(UpliftCli, RefusesBadFoldsAndMethods) {
  cie::testing::TempDir dir;
  spit(dir.file("t.csv"), make_table());
  std::string const base = "uplift train --table " + dir.file("t.csv") +
                           " --treatment group --treated mail --target responded --model " +
                           dir.file("u.json");
  RunResult const folds = cie::testing::run_cie(dir, base + " --folds 1");
  EXPECT_EQ(folds.exit_code, 2);
  EXPECT_THAT(folds.err, HasSubstr("--folds"));
  RunResult const method = cie::testing::run_cie(dir, base + " --method s-learner");
  EXPECT_EQ(method.exit_code, 2);
  EXPECT_THAT(method.err, HasSubstr("x-learner"));
}

TEST(UpliftCli, RefusesAnUnknownTreatedValue) {
  cie::testing::TempDir dir;
  spit(dir.file("t.csv"), make_table());
  RunResult const run = cie::testing::run_cie(
      dir, "uplift train --table " + dir.file("t.csv") + " --treatment group --treated sms " +
               "--target responded --model " + dir.file("u.json"));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("--treated: no row of column group holds 'sms'"));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

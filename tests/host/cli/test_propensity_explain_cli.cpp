// `cie propensity score --explain K` as a user runs it: the reason_r,contribution_r columns
// after customer_id,probability,decile,rank (which stay what plain scoring writes), reasons that
// are model features in decreasing |contribution|, for a gbdt and a logistic model; a bad K is
// refused. Also the training warning about a feature that leaks the target, and calibrated
// scores whose ties are ranked by the uncalibrated score.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <sstream>

#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::lines_of;
using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;
using ::testing::HasSubstr;

/// 500 customers: spend (missing now and then), visits, region; responders spend more.
std::string make_customers() {
  std::ostringstream out;
  out << "customer_id,spend,visits,region,responded\n";
  char const* regions[] = {"north", "south", "east"};
  for (int i = 0; i < 500; ++i) {
    double const spend = (i * 37 % 101) / 10.0;
    bool const missing = i % 11 == 4;
    int const visits = i * 13 % 7;
    std::string const region = regions[i % 3];
    double const logit = missing ? 0.5 : -2.5 + 0.5 * spend - 0.2 * visits + (region == "north");
    double const u = ((i * 7919) % 1000 + 0.5) / 1000.0;
    out << "c" << i << "," << (missing ? std::string() : std::to_string(spend)) << "," << visits
        << "," << region << "," << (u < 1.0 / (1.0 + std::exp(-logit)) ? 1 : 0) << "\n";
  }
  return out.str();
}

std::vector<std::string> fields_of(std::string const& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

class ExplainCli : public ::testing::Test {
 protected:
  void SetUp() override { spit(dir_.file("customers.csv"), make_customers()); }
  RunResult run(std::string const& arguments) { return cie::testing::run_on_cpu(dir_, arguments); }
  RunResult score(std::string const& model, std::string const& out, std::string const& extra) {
    return run("propensity score --model " + dir_.file(model) + " --table " +
               dir_.file("customers.csv") + " --out " + dir_.file(out) + " " + extra);
  }
  cie::testing::TempDir dir_;
};

TEST_F(ExplainCli, WritesTheStrongestReasonsAfterTheScores) {
  for (std::string const type : {"gbdt", "logistic"}) {
    RunResult const trained = run("propensity train --table " + dir_.file("customers.csv") +
                                  " --target responded --validation 0 --n-trees 20 --model-type " +
                                  type + " --model " + dir_.file(type + ".json"));
    ASSERT_EQ(trained.exit_code, 0) << trained.err;
    RunResult const plain = score(type + ".json", "plain.csv", "");
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    RunResult const explained = score(type + ".json", "explained.csv", "--explain 3");
    ASSERT_EQ(explained.exit_code, 0) << explained.err;
    EXPECT_THAT(explained.out, HasSubstr("reasons: the 3 largest contributions"));
    std::vector<std::string> const rows = lines_of(slurp(dir_.file("explained.csv")));
    std::vector<std::string> const plain_rows = lines_of(slurp(dir_.file("plain.csv")));
    ASSERT_EQ(rows.size(), 501u);
    EXPECT_EQ(rows[0],
              "customer_id,probability,decile,rank,reason_1,contribution_1,reason_2,"
              "contribution_2,reason_3,contribution_3");
    // gbdt: missing spend stays missing and region is one feature of level codes.
    std::set<std::string> const features =
        type == "gbdt" ? std::set<std::string>{"spend", "visits", "region"}
                       : std::set<std::string>{"spend",         "spend__missing", "visits",
                                               "region=north",  "region=south",   "region=east",
                                               "region=<other>"};
    std::size_t explained_rows = 0;
    for (std::size_t i = 1; i < rows.size(); ++i) {
      std::vector<std::string> const fields = fields_of(rows[i]);
      ASSERT_EQ(fields.size(), 10u) << rows[i];
      EXPECT_EQ(rows[i].substr(0, plain_rows[i].size()), plain_rows[i]);
      double previous = INFINITY;
      for (std::size_t r = 0; r < 3; ++r) {
        std::string const& name = fields[4 + 2 * r];
        if (name.empty()) {
          EXPECT_EQ(fields[5 + 2 * r], "");
          continue;
        }
        EXPECT_EQ(features.count(name), 1u) << name;
        double const contribution = std::stod(fields[5 + 2 * r]);
        EXPECT_NE(contribution, 0.0);
        EXPECT_LE(std::abs(contribution), previous) << rows[i];
        previous = std::abs(contribution);
        explained_rows += r == 0 ? 1 : 0;
      }
    }
    EXPECT_EQ(explained_rows, 500u) << type;
  }
}

TEST_F(ExplainCli, ABadReasonCountIsRefused) {
  ASSERT_EQ(run("propensity train --table " + dir_.file("customers.csv") +
                " --target responded --model-type gbdt --n-trees 5 --model " + dir_.file("m.json"))
                .exit_code,
            0);
  RunResult const refused = score("m.json", "out.csv", "--explain -1");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("--explain must be in [0, 1000]"));
}

TEST_F(ExplainCli, CalibratedTiesAreRankedByTheUncalibratedScore) {
  // The same fit with and without isotonic calibration (the calibrator is fitted afterwards).
  std::string const common = "propensity train --table " + dir_.file("customers.csv") +
                             " --target responded --validation 0.3 --model ";
  ASSERT_EQ(run(common + dir_.file("raw.json")).exit_code, 0);
  ASSERT_EQ(run(common + dir_.file("iso.json") + " --calibration isotonic").exit_code, 0);
  ASSERT_EQ(score("raw.json", "raw.csv", "").exit_code, 0);
  ASSERT_EQ(score("iso.json", "iso.csv", "").exit_code, 0);
  std::vector<std::string> const raw = lines_of(slurp(dir_.file("raw.csv")));
  std::vector<std::string> const iso = lines_of(slurp(dir_.file("iso.csv")));
  ASSERT_EQ(raw.size(), iso.size());
  std::size_t const n = iso.size() - 1;
  std::vector<double> uncalibrated(n), calibrated(n);
  std::vector<std::size_t> by_rank(n);
  for (std::size_t i = 0; i < n; ++i) {
    uncalibrated[i] = std::stod(fields_of(raw[i + 1])[1]);
    std::vector<std::string> const fields = fields_of(iso[i + 1]);
    calibrated[i] = std::stod(fields[1]);
    by_rank[std::stoul(fields[3]) - 1] = i;
  }
  std::size_t ties = 0;
  for (std::size_t r = 1; r < n; ++r) {
    std::size_t const above = by_rank[r - 1], below = by_rank[r];
    ASSERT_GE(calibrated[above], calibrated[below]);
    if (calibrated[above] != calibrated[below]) continue;
    ++ties;
    EXPECT_TRUE(uncalibrated[above] > uncalibrated[below] ||
                (uncalibrated[above] == uncalibrated[below] && above < below))
        << "ranks " << r << " and " << r + 1;
  }
  EXPECT_GT(ties, 100u);  // isotonic steps tie most customers
}

TEST_F(ExplainCli, TrainingWarnsAboutAFeatureThatLeaksTheTarget) {
  RunResult const clean = run("propensity train --table " + dir_.file("customers.csv") +
                              " --target responded --model " + dir_.file("clean.json"));
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_THAT(clean.out, ::testing::Not(HasSubstr("WARNING")));
  // A copy of the outcome, recorded after the campaign.
  std::vector<std::string> lines = lines_of(slurp(dir_.file("customers.csv")));
  std::string text = lines[0] + ",converted\n";
  for (std::size_t i = 1; i < lines.size(); ++i) text += lines[i] + "," + lines[i].back() + "\n";
  spit(dir_.file("leaky.csv"), text);
  RunResult const leaky =
      run("propensity train --table " + dir_.file("leaky.csv") +
          " --target responded --model-type gbdt --model " + dir_.file("leaky.json"));
  ASSERT_EQ(leaky.exit_code, 0) << leaky.err;
  EXPECT_THAT(leaky.out, HasSubstr("WARNING: feature converted alone predicts responded almost "
                                   "perfectly (univariate AUC 1.0000)"));
  EXPECT_THAT(leaky.err, HasSubstr("feature converted alone predicts responded"));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

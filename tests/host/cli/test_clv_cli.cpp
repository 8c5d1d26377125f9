// `cie clv` as a user runs it: fit on generated transactions, predict with the model file, and
// the refusals (usage errors exit 2, bad data exit 3) with messages naming what is wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::run_on_cpu;
using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;
using ::testing::HasSubstr;

class ClvCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new cie::testing::TempDir();
    RunResult const gen =
        run_on_cpu(*dir_, "gen --customers 3000 --seed 3 --out " + dir_->file("data"));
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string transactions() { return dir_->file("data/transactions.csv"); }
  static cie::testing::TempDir* dir_;
};
cie::testing::TempDir* ClvCli::dir_ = nullptr;

TEST_F(ClvCli, FitThenPredictWritesOneRowPerCustomer) {
  cie::testing::TempDir dir;
  RunResult const fit = run_on_cpu(
      dir, "clv fit --transactions " + transactions() +
               " --calibration-end 2025-06-30 --spend gamma-gamma --model " + dir.file("clv.json"));
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.out, HasSubstr("BG/NBD"));
  EXPECT_THAT(fit.out, HasSubstr("Gamma-Gamma"));
  EXPECT_THAT(fit.out, HasSubstr("with a mean repeat value <= 0"));
  EXPECT_THAT(fit.out, HasSubstr("correlation of frequency and mean repeat value"));
  std::string const model = slurp(dir.file("clv.json"));
  EXPECT_THAT(model, HasSubstr("\"calibration_end\": \"2025-06-30\""));

  RunResult const predict =
      run_on_cpu(dir, "clv predict --model " + dir.file("clv.json") + " --transactions " +
                          transactions() + " --horizon 26 --out " + dir.file("clv.csv"));
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  std::istringstream lines(slurp(dir.file("clv.csv")));
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "customer_id,frequency,recency,T,p_alive,expected_purchases,expected_value,clv");
  std::size_t rows = 0, complete = 0;
  while (std::getline(lines, line)) {
    ++rows;
    complete += line.find(",,") == std::string::npos && line.back() != ',';
  }
  EXPECT_EQ(rows, 3000u);
  EXPECT_EQ(complete, rows);  // q > 1 here: every customer has an expected value and a CLV
}

TEST_F(ClvCli, EvaluateWritesTheHoldoutTable) {
  cie::testing::TempDir dir;
  RunResult const r = run_on_cpu(
      dir, "clv evaluate --transactions " + transactions() +
               " --calibration-end 2025-03-31 --holdout-end 2025-12-31 --max-frequency 4 --out " +
               dir.file("holdout.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("MAE per customer"));
  std::istringstream lines(slurp(dir.file("holdout.csv")));
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "frequency,customers,actual_mean,predicted_mean");
  std::vector<std::string> labels;
  while (std::getline(lines, line)) labels.push_back(line.substr(0, line.find(',')));
  EXPECT_EQ(labels, (std::vector<std::string>{"0", "1", "2", "3", "4+"}));
  RunResult const bad =
      run_on_cpu(dir, "clv evaluate --transactions " + transactions() +
                          " --calibration-end 2025-03-31 --holdout-end 2025-01-31");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("must be after --calibration-end"));
}

TEST_F(ClvCli, ModifiedBgNbdPredictsPurchaseCountsAndEvaluateWritesTheTrackingSeries) {
  cie::testing::TempDir dir;
  RunResult const fit = run_on_cpu(
      dir, "clv fit --transactions " + transactions() +
               " --calibration-end 2025-06-30 --model-type mbgnbd --model " + dir.file("m.json"));
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.out, HasSubstr("MBG/NBD"));
  EXPECT_THAT(slurp(dir.file("m.json")), HasSubstr("\"model_type\": \"mbgnbd\""));
  RunResult const predict = run_on_cpu(
      dir, "clv predict --model " + dir.file("m.json") + " --transactions " + transactions() +
               " --horizon 13 --p-purchases 2 --out " + dir.file("p.csv"));
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  std::istringstream lines(slurp(dir.file("p.csv")));
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line,
            "customer_id,frequency,recency,T,p_alive,expected_purchases,expected_value,clv,"
            "p_purchases_0,p_purchases_1,p_purchases_2");
  std::size_t rows = 0;
  while (std::getline(lines, line)) {
    ++rows;
    // The three probabilities are the last fields: each in [0, 1], together at most 1.
    double total = 0.0;
    std::size_t end = line.size();
    for (int k = 0; k < 3; ++k) {
      std::size_t const comma = line.rfind(',', end - 1);
      double const p = std::stod(line.substr(comma + 1, end - comma - 1));
      EXPECT_GE(p, 0.0);
      total += p;
      end = comma;
    }
    EXPECT_LE(total, 1.0 + 1e-12);
  }
  EXPECT_EQ(rows, 3000u);

  RunResult const evaluate =
      run_on_cpu(dir, "clv evaluate --transactions " + transactions() +
                          " --calibration-end 2025-03-31 --holdout-end 2025-12-31 --model-type "
                          "mbgnbd --tracking-out " +
                          dir.file("tracking.csv"));
  ASSERT_EQ(evaluate.exit_code, 0) << evaluate.err;
  EXPECT_THAT(evaluate.out, HasSubstr("weekly tracking over"));
  std::istringstream tracking(slurp(dir.file("tracking.csv")));
  std::getline(tracking, line);
  EXPECT_EQ(line, "week,end_date,actual_cumulative,expected_cumulative,actual,expected");
  double previous_actual = 0.0, previous_expected = 0.0;
  int weeks = 0;
  while (std::getline(tracking, line)) {
    ++weeks;
    std::vector<std::string> fields;
    std::istringstream row(line);
    for (std::string field; std::getline(row, field, ',');) fields.push_back(field);
    ASSERT_EQ(fields.size(), 6u);
    EXPECT_EQ(std::stoi(fields[0]), weeks);
    double const actual = std::stod(fields[2]), expected = std::stod(fields[3]);
    EXPECT_GE(actual, previous_actual);
    EXPECT_GE(expected, previous_expected);
    previous_actual = actual;
    previous_expected = expected;
  }
  EXPECT_GT(weeks, 40);
  EXPECT_GT(previous_actual, 0.0);

  // BG/BB: P(n purchases) over a whole number of future opportunities; with K = horizon the
  // probabilities are a whole distribution whose mean is the expected purchases.
  spit(dir.file("opportunities.csv"),
       "frequency,recency,periods,weights\n0,0,6,3464\n1,1,6,1091\n2,5,6,264\n3,6,6,1823\n"
       "1,6,6,400\n4,6,6,900\n6,6,6,1203\n2,3,6,300\n");
  std::string const summary = " --summary " + dir.file("opportunities.csv") +
                              " --id-col \"\" --T-col periods --weights-col weights";
  RunResult const bgbb =
      run_on_cpu(dir, "clv fit" + summary + " --model-type bgbb --model " + dir.file("bgbb.json"));
  ASSERT_EQ(bgbb.exit_code, 0) << bgbb.err;
  RunResult const refused =
      run_on_cpu(dir, "clv predict --model " + dir.file("bgbb.json") + summary +
                          " --horizon 4.5 --p-purchases 2 --out " + dir.file("q.csv"));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("needs a whole number of future opportunities"));
  RunResult const pmf =
      run_on_cpu(dir, "clv predict --model " + dir.file("bgbb.json") + summary +
                          " --horizon 4 --p-purchases 4 --out " + dir.file("q.csv"));
  ASSERT_EQ(pmf.exit_code, 0) << pmf.err;
  std::istringstream table(slurp(dir.file("q.csv")));
  std::getline(table, line);
  EXPECT_THAT(line, HasSubstr("expected_purchases,expected_value,clv,p_purchases_0,p_purchases_1,"
                              "p_purchases_2,p_purchases_3,p_purchases_4"));
  int customers = 0;
  while (std::getline(table, line)) {
    ++customers;
    std::vector<std::string> fields;
    std::istringstream row(line);
    for (std::string field; std::getline(row, field, ',');) fields.push_back(field);
    fields.resize(13);
    double total = 0.0, mean = 0.0;
    for (int k = 0; k <= 4; ++k) {
      double const p = std::stod(fields[8 + static_cast<std::size_t>(k)]);
      EXPECT_GE(p, 0.0);
      total += p;
      mean += k * p;
    }
    EXPECT_NEAR(total, 1.0, 1e-12) << line;
    EXPECT_NEAR(mean, std::stod(fields[5]), 1e-10) << line;
  }
  EXPECT_EQ(customers, 8);
}

TEST_F(ClvCli, UsageErrorsExitTwo) {
  cie::testing::TempDir dir;
  RunResult r = run_on_cpu(
      dir, "clv fit --transactions " + transactions() + " --model " + dir.file("m.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--calibration-end is required"));
  r = run_on_cpu(dir, "clv fit --transactions " + transactions() + " --summary x.csv --model " +
                          dir.file("m.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("one of --transactions and --summary"));
  r = run_on_cpu(dir, "clv fit --transactions " + transactions() +
                          " --calibration-end 2025-06-30 --model-type pareto --model " +
                          dir.file("m.json"));
  EXPECT_EQ(r.exit_code, 2);
  r = run_on_cpu(dir, "clv fit --transactions " + transactions() +
                          " --calibration-end 2025-06-30 --model " + transactions());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--model"));
}

TEST_F(ClvCli, DamagedOrForeignModelIsRefused) {
  cie::testing::TempDir dir;
  ASSERT_EQ(run_on_cpu(dir, "clv fit --transactions " + transactions() +
                                " --calibration-end 2025-06-30 --model " + dir.file("m.json"))
                .exit_code,
            0);
  std::string text = slurp(dir.file("m.json"));
  std::size_t const at = text.find("\"alpha\": ");
  ASSERT_NE(at, std::string::npos);
  text.insert(at + 9, "1");
  spit(dir.file("bad.json"), text);
  RunResult const r =
      run_on_cpu(dir, "clv predict --model " + dir.file("bad.json") + " --transactions " +
                          transactions() + " --out " + dir.file("o.csv"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("checksum"));
}

TEST_F(ClvCli, BadSummaryRowsNameTheLine) {
  cie::testing::TempDir dir;
  spit(dir.file("s.csv"), "id,frequency,recency,T\na,2,5,10\nb,0,0,10\nc,1,12,10\nd,3,1,4\n");
  RunResult r = run_on_cpu(
      dir, "clv fit --summary " + dir.file("s.csv") + " --id-col id --model " + dir.file("m.json"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr(":4"));
  EXPECT_THAT(r.err, HasSubstr("recency must be in [0, T] (--show-values shows the values)"));
  spit(dir.file("one.csv"), "id,frequency,recency,T\na,0,0,10\nb,0,0,3\n");
  r = run_on_cpu(dir, "clv fit --summary " + dir.file("one.csv") + " --id-col id --model " +
                          dir.file("m.json"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("no customer made a repeat purchase"));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

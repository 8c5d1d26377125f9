// `--where EXPR` on the commands that read customer tables (host/cli/table_inputs.hpp,
// host/io/row_filter.hpp): propensity train fits on the kept rows only and reports the count,
// propensity score writes only the kept customers, uplift train takes it too, and a bad
// expression is a usage error (exit 2) naming its column, before any model is written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>

#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::run_on_cpu;
using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;
using ::testing::HasSubstr;

/// 300 customers in three segments; responders depend on spend; the "none" segment never
/// responds, so a model trained on every row differs from one trained without it.
std::string make_table() {
  std::ostringstream out;
  out << "customer_id,segment,spend,responded\n";
  char const* segments[] = {"mail", "sms", "none"};
  for (int i = 0; i < 300; ++i) {
    double const spend = (i * 37 % 101) / 10.0;
    std::string const segment = segments[i % 3];
    double const u = ((i * 7919) % 1000 + 0.5) / 1000.0;
    bool const responded = segment != "none" && u < 1.0 / (1.0 + std::exp(2.0 - 0.5 * spend));
    out << "c" << i << "," << segment << "," << spend << "," << (responded ? 1 : 0) << "\n";
  }
  return out.str();
}

class WhereCli : public ::testing::Test {
 protected:
  void SetUp() override { spit(dir_.file("t.csv"), make_table()); }
  RunResult train(std::string const& where, std::string const& extra = "") {
    return run_on_cpu(dir_, "propensity train --table " + dir_.file("t.csv") +
                                " --target responded --exclude segment --model " +
                                dir_.file("m.json") + " --report " + dir_.file("r.json") + " " +
                                extra + " --where \"" + where + "\"");
  }
  cie::testing::TempDir dir_;
};

TEST_F(WhereCli, TrainingUsesOnlyTheKeptRowsAndSaysHowMany) {
  RunResult const trained = train("segment != 'none' and spend >= 0", "--validation 0");
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_THAT(trained.out, HasSubstr("--where segment != 'none' and spend >= 0 kept 200 of 300 "
                                     "rows"));
  EXPECT_THAT(trained.out, HasSubstr(": 200 customers"));
  nlohmann::json const report = nlohmann::json::parse(slurp(dir_.file("r.json")));
  EXPECT_EQ(report["metrics"]["training_rows"], 200);
  EXPECT_EQ(report["inputs"].back()["matched"], 200);
  // Every kept row is in the fit: the same model as training on a file of those rows.
  std::string kept = "customer_id,segment,spend,responded\n";
  std::istringstream lines(make_table());
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    if (line.find(",none,") == std::string::npos) kept += line + "\n";
  }
  spit(dir_.file("kept.csv"), kept);
  RunResult const plain = run_on_cpu(dir_, "propensity train --table " + dir_.file("kept.csv") +
                                               " --target responded --exclude segment "
                                               "--validation 0 --model " +
                                               dir_.file("plain.json"));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  nlohmann::json const a = nlohmann::json::parse(slurp(dir_.file("m.json")));
  nlohmann::json const b = nlohmann::json::parse(slurp(dir_.file("plain.json")));
  EXPECT_EQ(a["fitted"], b["fitted"]);
}

TEST_F(WhereCli, ScoringWritesOnlyTheKeptCustomers) {
  ASSERT_EQ(train("spend > 0", "--validation 0").exit_code, 0);
  RunResult const scored = run_on_cpu(
      dir_, "propensity score --model " + dir_.file("m.json") + " --table " + dir_.file("t.csv") +
                " --out " + dir_.file("s.csv") + " --where \"segment == 'sms'\"");
  ASSERT_EQ(scored.exit_code, 0) << scored.err;
  EXPECT_THAT(scored.out, HasSubstr(": 100 customers"));
  std::istringstream lines(slurp(dir_.file("s.csv")));
  std::string line;
  std::getline(lines, line);
  int rows = 0;
  while (std::getline(lines, line)) {
    int const id = std::stoi(line.substr(1, line.find(',') - 1));
    EXPECT_EQ(id % 3, 1) << line;  // the sms segment
    ++rows;
  }
  EXPECT_EQ(rows, 100);
}

TEST_F(WhereCli, BadExpressionsAreUsageErrorsAndWriteNothing) {
  RunResult const unknown = train("segmnt != 'none'");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("--where 'segmnt != 'none'': column 1: unknown column "
                                     "'segmnt'; the columns are: segment, spend, responded"));
  RunResult const syntax = train("spend >> 3");
  EXPECT_EQ(syntax.exit_code, 2);
  EXPECT_THAT(syntax.err, HasSubstr("column 8: expected a column, a number or a string after "
                                    "'>', got '>'"));
  RunResult const none = train("spend > 1000");
  EXPECT_EQ(none.exit_code, 3);
  EXPECT_THAT(none.err, HasSubstr("--where 'spend > 1000' keeps none of the 300 rows"));
  EXPECT_FALSE(std::filesystem::exists(dir_.file("m.json")));
}

TEST_F(WhereCli, UpliftTrainingTakesItToo) {
  RunResult const run =
      run_on_cpu(dir_, "uplift train --table " + dir_.file("t.csv") +
                           " --treatment segment --treated mail --control sms --target responded "
                           "--where \"segment != 'none'\" --model " +
                           dir_.file("u.json"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("kept 200 of 300 rows"));
  EXPECT_THAT(run.out, HasSubstr("200 customers"));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

// `--log-level quiet`: every command runs with no output at all (no summary on stdout, no log
// line or warning on stderr), and still reports an error on stderr with its exit code.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::RunResult;
using ::testing::HasSubstr;

class QuietCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new cie::testing::TempDir();
    RunResult const gen = cie::testing::run_cie(
        *dir_, "--threads 2 gen --customers 1500 --seed 5 --out " + dir_->file("data"));
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string data(std::string const& name) { return dir_->file("data/" + name); }

  static cie::testing::TempDir* dir_;
};
cie::testing::TempDir* QuietCli::dir_ = nullptr;

TEST_F(QuietCli, NoCommandPrintsAnythingButEveryCommandStillWorks) {
  cie::testing::TempDir work;
  std::string const w = work.path().string();
  // Every command in an order where each finds what the ones before wrote. The as-of date of
  // `rfm` is years after the data, so it has a warning to swallow too.
  std::vector<std::string> const commands = {
      "gen --customers 200 --seed 1 --out " + w + "/gen",
      "rfm --transactions " + data("transactions.csv") + " --as-of 2030-01-01 --out " + w +
          "/far.csv",
      "rfm --transactions " + data("transactions.csv") + " --as-of 2026-01-01 --out " + w +
          "/rfm.csv",
      "segment select --input " + w + "/rfm.csv --k 2..3",
      "segment fit --input " + w + "/rfm.csv --k 3 --model " + w + "/seg.json",
      "segment assign --input " + w + "/rfm.csv --model " + w + "/seg.json --out " + w +
          "/clusters.csv",
      "propensity train --table " + data("campaign.csv") + " --table " + data("customers.csv") +
          " --target responded --features age,region --model " + w + "/prop.json",
      "propensity score --table " + data("customers.csv") + " --model " + w + "/prop.json --out " +
          w + "/scores.csv",
      "clv fit --transactions " + data("transactions.csv") +
          " --calibration-end 2025-12-31 --model " + w + "/clv.json",
      "clv predict --model " + w + "/clv.json --transactions " + data("transactions.csv") +
          " --out " + w + "/clv.csv",
      "clv evaluate --transactions " + data("transactions.csv") +
          " --calibration-end 2025-06-30 --holdout-end 2025-12-31",
      "campaign evaluate --history " + data("campaign.csv") +
          " --group-col treated --control 0 --bootstrap-draws 100",
      "campaign plan --baseline-rate 0.1 --minimum-lift 0.02",
      "uplift train --table " + data("campaign.csv") + " --table " + data("customers.csv") +
          " --treatment treated --treated 1 --target responded --features age,region "
          "--exclude revenue --model " +
          w + "/uplift.json",
      "uplift score --model " + w + "/uplift.json --table " + data("customers.csv") + " --out " +
          w + "/uplift.csv",
  };
  for (std::string const& command : commands) {
    RunResult const loud = cie::testing::run_cie(work, "--threads 2 " + command);
    ASSERT_EQ(loud.exit_code, 0) << command << "\n" << loud.err;
    EXPECT_FALSE(loud.out.empty() && loud.err.empty()) << "nothing to silence: " << command;
    RunResult const quiet = cie::testing::run_cie(work, "--threads 2 --log-level quiet " + command);
    EXPECT_EQ(quiet.exit_code, 0) << command << "\n" << quiet.err;
    EXPECT_EQ(quiet.out, "") << command;
    EXPECT_EQ(quiet.err, "") << command;
    // The global option after the subcommand too.
    RunResult const after =
        cie::testing::run_cie(work, "--threads 2 " + command + " --log-level quiet");
    EXPECT_EQ(after.exit_code, 0) << command << "\n" << after.err;
    EXPECT_EQ(after.out + after.err, "") << command;
  }
  RunResult const far =
      cie::testing::run_cie(work, "--threads 2 rfm --transactions " + data("transactions.csv") +
                                      " --as-of 2030-01-01 --out " + w + "/far.csv");
  EXPECT_THAT(far.err, HasSubstr("days after the last purchase"));

  // The nightly run, with a retrained segments model and the propensity model.
  cie::testing::spit(work.file("nightly.toml"),
                     "[run]\nas_of = \"2026-01-01\"\n[inputs]\ntransactions = \"" +
                         data("transactions.csv") + "\"\nattributes = \"" + data("customers.csv") +
                         "\"\n[segments]\nretrain = true\nk = 3\n[[propensity]]\nname = \"r\"\n"
                         "model = \"" +
                         w + "/prop.json\"\n[output]\ndirectory = \"" + w + "/nightly\"\n");
  RunResult const loud =
      cie::testing::run_cie(work, "--threads 2 run " + work.file("nightly.toml"));
  ASSERT_EQ(loud.exit_code, 0) << loud.err;
  EXPECT_FALSE(loud.out.empty());
  EXPECT_FALSE(loud.err.empty());  // the stages' progress lines
  RunResult const quiet =
      cie::testing::run_cie(work, "--threads 2 --log-level quiet run " + work.file("nightly.toml"));
  EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.out + quiet.err, "");
}

TEST_F(QuietCli, ErrorsAreStillReported) {
  cie::testing::TempDir work;
  RunResult const missing =
      cie::testing::run_cie(work, "--log-level quiet rfm --transactions " + work.file("nope.csv") +
                                      " --out " + work.file("rfm.csv"));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_EQ(missing.out, "");
  EXPECT_THAT(missing.err, HasSubstr("cie: error:"));
  EXPECT_THAT(missing.err, HasSubstr("nope.csv"));
  RunResult const usage =
      cie::testing::run_cie(work, "--log-level quiet run " + work.file("nope.toml"));
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.err, HasSubstr("cie: error:"));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

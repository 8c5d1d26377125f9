// The campaign histories `cie gen` writes, with their contact columns (contact_date,
// contact_channel, offer), read by the commands that take them: `cie campaign evaluate` on
// campaign.csv and campaign_arms.csv, and `cie uplift train` with its default features, which
// leaves out the columns that reveal the treatment (models/uplift/treatment_features.hpp) and says
// so.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::run_on_cpu;
using cie::testing::RunResult;
using cie::testing::slurp;
using ::testing::HasSubstr;
using ::testing::Not;

class CampaignHistoryCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new cie::testing::TempDir();
    RunResult const run =
        run_on_cpu(*dir_, "gen --customers 4000 --seed 3 --arms 3 --out " + data(""));
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string data(std::string const& name) { return dir_->file("data") + "/" + name; }

  /// The number of data lines of campaign.csv whose treated column is 1.
  static int treated_rows() {
    int treated = 0;
    for (std::string const& line : cie::testing::lines_of(slurp(data("campaign.csv")))) {
      std::size_t const first = line.find(',');
      std::size_t const second = line.find(',', first + 1);
      treated += line.substr(second + 1, 2) == "1," ? 1 : 0;
    }
    return treated;
  }

  static cie::testing::TempDir* dir_;
};
cie::testing::TempDir* CampaignHistoryCli::dir_ = nullptr;

TEST_F(CampaignHistoryCli, EvaluateReadsTheGeneratedCampaign) {
  cie::testing::TempDir work;
  RunResult const run =
      run_on_cpu(work, "campaign evaluate --history " + data("campaign.csv") +
                           " --group-col treated --control 0 --bootstrap-draws 200 --json " +
                           work.file("r.json"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json const results = nlohmann::json::parse(slurp(work.file("r.json")))["results"];
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0]["campaign"], "winter_offer");
  EXPECT_EQ(results[0]["arm"], "1");
  EXPECT_EQ(results[0]["customers"].get<int>(), treated_rows());
  EXPECT_EQ(results[0]["control_customers"].get<int>(), 4000 - treated_rows());
}

TEST_F(CampaignHistoryCli, EvaluateReadsTheGeneratedArms) {
  cie::testing::TempDir work;
  RunResult const run = run_on_cpu(
      work, "campaign evaluate --history " + data("campaign_arms.csv") +
                " --control control --planned-split equal --bootstrap-draws 200 --json " +
                work.file("r.json"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json const results = nlohmann::json::parse(slurp(work.file("r.json")))["results"];
  ASSERT_EQ(results.size(), 3u);
  for (auto const& result : results) EXPECT_EQ(result["campaign"], "multi_arm");
}

TEST_F(CampaignHistoryCli, UpliftDefaultFeaturesLeaveOutTheContactRecord) {
  cie::testing::TempDir work;
  RunResult const run = run_on_cpu(
      work, "uplift train --table " + data("campaign.csv") + " --table " + data("customers.csv") +
                " --treatment treated --treated 1 --target responded --exclude revenue,campaign "
                "--model " +
                work.file("u.json"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("column contact_channel left out of the features"));
  EXPECT_THAT(run.err, HasSubstr("column offer left out of the features"));
  EXPECT_THAT(run.err, Not(HasSubstr("column contact_date left out")));
  EXPECT_THAT(run.err, Not(HasSubstr("column region left out")));
  std::string const model = slurp(work.file("u.json"));
  EXPECT_THAT(model, Not(HasSubstr("\"contact_channel")));
  EXPECT_THAT(model, Not(HasSubstr("15pct_off")));
  EXPECT_THAT(model, HasSubstr("\"email_opt_in"));
}

TEST_F(CampaignHistoryCli, UpliftKeepsANamedRevealingFeatureWithAWarning) {
  cie::testing::TempDir work;
  RunResult const run = run_on_cpu(
      work, "uplift train --table " + data("campaign.csv") + " --table " + data("customers.csv") +
                " --treatment treated --treated 1 --target responded --features age,offer "
                "--model " +
                work.file("u.json"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("feature offer tells the control from the treated rows"));
  EXPECT_THAT(slurp(work.file("u.json")), HasSubstr("15pct_off"));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

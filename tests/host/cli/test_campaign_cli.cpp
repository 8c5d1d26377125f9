// `cie campaign evaluate` and `cie campaign plan` as a user runs them: a two-campaign history
// with a breakdown, the CSV and JSON outputs (the same numbers), and the refusals with exit 3
// and file:line: an arm without a control, a campaign with only its control, a group the
// planned split expects but the data lack, a response outside 0/1, a customer in two groups of
// one campaign (and twice in one group); exit 2 for an output that is the input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::run_on_cpu;
using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;
using ::testing::HasSubstr;

// Campaign "spring": arms "mail" and "sms" against "holdout", customers c0..c899, region a/b;
// campaign "fall": "mail" against "holdout" for c0..c299. Responses and revenue follow a fixed
// rule with a higher rate in the mail arm.
std::string make_history() {
  std::ostringstream text;
  text << "customer_id,campaign,group,responded,revenue,region\n";
  char const* groups[] = {"holdout", "mail", "sms"};
  for (int i = 0; i < 900; ++i) {
    int const g = i % 3;
    bool const responded = (i * 7919 % 100) < (g == 1 ? 18 : g == 2 ? 12 : 10);
    text << "c" << i << ",spring," << groups[g] << "," << responded << ","
         << (responded ? 20 + i % 13 : 0) << "," << (i % 5 < 2 ? "a" : "b") << "\n";
  }
  for (int i = 0; i < 300; ++i) {
    int const g = i % 2;
    bool const responded = (i * 104729 % 100) < (g == 1 ? 15 : 9);
    text << "c" << i << ",fall," << groups[g] << "," << responded << "," << (responded ? 35 : 0)
         << "," << (i % 5 < 2 ? "a" : "b") << "\n";
  }
  return text.str();
}

constexpr char kEvaluate[] = "campaign evaluate --control holdout --bootstrap-draws 500 ";

TEST(CampaignCli, EvaluatesEveryArmOverallAndByLevel) {
  cie::testing::TempDir dir;
  spit(dir.file("history.csv"), make_history());
  RunResult const run =
      run_on_cpu(dir, std::string(kEvaluate) + "--history " + dir.file("history.csv") +
                          " --by region " + "--planned-split equal --out " + dir.file("r.csv") +
                          " --json " + dir.file("r.json"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("spring"));
  EXPECT_THAT(run.out, HasSubstr("sample ratio, campaign fall"));
  nlohmann::json const document = nlohmann::json::parse(slurp(dir.file("r.json")));
  nlohmann::json const& results = document["results"];
  // spring: 2 arms × (overall + a + b); fall: 1 arm × 3.
  ASSERT_EQ(results.size(), 9u);
  EXPECT_EQ(results[0]["campaign"], "spring");
  EXPECT_EQ(results[0]["level"], "");
  EXPECT_EQ(results[0]["arm"], "mail");
  EXPECT_EQ(results[0]["customers"], 300);
  EXPECT_EQ(results[0]["control_customers"], 300);
  // Levels add up to the overall counts.
  EXPECT_EQ(results[2]["level"], "a");
  EXPECT_EQ(results[2]["customers"].get<int>() + results[4]["customers"].get<int>(), 300);
  double const rate = results[0]["response_rate"];
  double const control = results[0]["control_response_rate"];
  EXPECT_DOUBLE_EQ(results[0]["lift"].get<double>(), rate - control);
  EXPECT_LT(results[0]["lift_low"].get<double>(), rate - control);
  EXPECT_GT(results[0]["lift_high"].get<double>(), rate - control);
  EXPECT_EQ(document["sample_ratio_checks"][0]["srm_df"], 2.0);
  // The CSV holds the same records.
  std::istringstream csv(slurp(dir.file("r.csv")));
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("campaign,by,level,arm,control,customers,", 0), 0u) << header;
  int lines = 0;
  for (std::string line; std::getline(csv, line);) ++lines;
  EXPECT_EQ(lines, 9);
}

TEST(CampaignCli, BreaksDownByDecilesOfANumericColumn) {
  cie::testing::TempDir dir;
  spit(dir.file("history.csv"), make_history());
  RunResult const run =
      run_on_cpu(dir, std::string(kEvaluate) + "--history " + dir.file("history.csv") +
                          " --by decile-of:revenue --json " + dir.file("r.json"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json const results = nlohmann::json::parse(slurp(dir.file("r.json")))["results"];
  // spring's mail arm: overall, then deciles "1".."10" of revenue over all 1,200 rows; the top
  // decile holds only responders (revenue > 0), so every customer there responded.
  int customers = 0;
  for (nlohmann::json const& r : results) {
    if (r["campaign"] != "spring" || r["arm"] != "mail" || r["level"] == "") continue;
    customers += r["customers"].get<int>();
    if (r["level"] == "1") {
      EXPECT_GT(r["customers"].get<int>(), 0);
      EXPECT_EQ(r["responders"], r["customers"]);
    }
  }
  EXPECT_EQ(customers, 300);
  RunResult const bad = run_on_cpu(dir, std::string(kEvaluate) + "--history " +
                                            dir.file("history.csv") + " --by decile-of:region");
  EXPECT_EQ(bad.exit_code, 3) << bad.err;
}

void expect_input_error(std::string const& history, std::string const& options,
                        std::string const& fragment) {
  cie::testing::TempDir dir;
  spit(dir.file("h.csv"), history);
  RunResult const run =
      run_on_cpu(dir, std::string(kEvaluate) + "--history " + dir.file("h.csv") + " " + options);
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_THAT(run.err, HasSubstr(fragment));
}

TEST(CampaignCli, RefusesBadHistories) {
  std::string const header = "customer_id,campaign,group,responded,revenue\n";
  expect_input_error(header + "c1,x,mail,1,5\nc2,x,mail,0,0\n", "",
                     "campaign 'x' has no control group: no row has group 'holdout'");
  expect_input_error(header + "c1,x,holdout,1,5\nc2,x,holdout,0,0\n", "",
                     "campaign 'x' has only the control group");
  expect_input_error(header + "c1,x,holdout,1,5\nc2,x,mail,0,0\n",
                     "--planned-split 'holdout=1,mail=1,sms=1'",
                     "names group 'sms', but campaign 'x' has no customer in it");
  expect_input_error(header + "c1,x,holdout,1,5\nc2,x,mail,2,0\n", "",
                     "h.csv:3: column responded: a response must be 0 or 1");
  expect_input_error(header + "c1,x,holdout,1,5\nc2,x,mail,0,0\nc1,x,mail,0,0\n", "",
                     "h.csv:4: column customer_id: this customer of campaign 'x' is in group "
                     "'mail' here and in group 'holdout' on line 2");
  expect_input_error(header + "c1,x,holdout,1,5\nc2,x,mail,0,0\nc2,x,mail,0,0\n", "",
                     "h.csv:4: column customer_id: this customer is already in campaign 'x' on "
                     "line 3");
  expect_input_error(header + "c1,x,holdout,,5\nc2,x,mail,0,0\n", "",
                     "h.csv:2: column responded: missing response");
  // The same customer in two campaigns is fine.
  cie::testing::TempDir dir;
  spit(dir.file("h.csv"),
       header + "c1,x,holdout,1,5\nc2,x,mail,0,0\nc1,y,mail,1,3\nc2,y,holdout,0,0\n");
  RunResult const run = run_on_cpu(dir, std::string(kEvaluate) + "--history " + dir.file("h.csv"));
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

TEST(CampaignCli, LeavesOutLevelsOfOtherCampaigns) {
  cie::testing::TempDir dir;
  spit(
      dir.file("h.csv"),
      "customer_id,campaign,group,responded,revenue,region\n"
      "c1,x,holdout,1,5,north\nc2,x,mail,0,0,north\nc1,y,mail,1,3,south\nc2,y,holdout,0,0,south\n");
  RunResult const run = run_on_cpu(dir, std::string(kEvaluate) + "--history " + dir.file("h.csv") +
                                            " --by region --json " + dir.file("r.json"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json const results = nlohmann::json::parse(slurp(dir.file("r.json")))["results"];
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[1]["campaign"], "x");
  EXPECT_EQ(results[1]["level"], "north");
  EXPECT_EQ(results[3]["campaign"], "y");
  EXPECT_EQ(results[3]["level"], "south");
}

TEST(CampaignCli, RefusesAnOutputThatIsTheInput) {
  cie::testing::TempDir dir;
  spit(dir.file("h.csv"), make_history());
  std::string const before = slurp(dir.file("h.csv"));
  RunResult const run = run_on_cpu(dir, std::string(kEvaluate) + "--history " + dir.file("h.csv") +
                                            " --out " + dir.file("h.csv"));
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_EQ(slurp(dir.file("h.csv")), before);
}

TEST(CampaignCli, PlansGroupSizes) {
  cie::testing::TempDir dir;
  RunResult const run = run_on_cpu(
      dir, "campaign plan --baseline-rate 0.1 --minimum-lift 0.02 --power 0.8 --alpha 0.05");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("treated customers 3841\ncontrol customers 3841\n"));
  RunResult const relative = run_on_cpu(dir,
                                        "campaign plan --baseline-rate 0.1 --minimum-lift 0.2 "
                                        "--relative --treated-share 0.3333333333333333");
  ASSERT_EQ(relative.exit_code, 0) << relative.err;
  EXPECT_THAT(relative.out, HasSubstr("treated customers 2850\ncontrol customers 5700\n"));
  RunResult const bad = run_on_cpu(dir, "campaign plan --baseline-rate 1.5 --minimum-lift 0.1");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--baseline-rate"));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

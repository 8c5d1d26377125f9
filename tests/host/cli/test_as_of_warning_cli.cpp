// An as-of date far past the data (more than kAsOfFarPastDays = 365 days after the latest
// purchase) is warned about by `cie rfm` and the nightly run; up to 365 days it is not.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kWarning[] = "days after the last purchase in the data (more than 365)";

class AsOfWarning : public ::testing::Test {
 protected:
  AsOfWarning() {
    // The latest purchase is on 2024-03-01 (a return after it is not a purchase).
    spit(dir_.file("tx.csv"),
         "customer_id,date,amount\nA,2023-05-01,10\nA,2024-03-01,20\nB,2023-11-11,5\n"
         "B,2024-03-05,-5\n");
  }
  RunResult rfm(std::string const& as_of) {
    return cie::testing::run_cie(dir_, "--threads 2 rfm --transactions " + dir_.file("tx.csv") +
                                           " --as-of " + as_of + " --out " + dir_.file("rfm.csv"));
  }
  cie::testing::TempDir dir_;
};

TEST_F(AsOfWarning, RfmWarnsOnlyPastOneYearAfterTheLastPurchase) {
  RunResult const year = rfm("2025-03-01");  // 365 days after 2024-03-01
  ASSERT_EQ(year.exit_code, 0) << year.err;
  EXPECT_THAT(year.err, Not(HasSubstr(kWarning)));
  RunResult const later = rfm("2025-03-02");  // 366 days
  ASSERT_EQ(later.exit_code, 0) << later.err;
  EXPECT_THAT(later.err, HasSubstr("the as-of date 2025-03-02 is 366 " + std::string(kWarning)));
  RunResult const quiet =
      cie::testing::run_cie(dir_, "--log-level error rfm --transactions " + dir_.file("tx.csv") +
                                      " --as-of 2025-03-02 --out " + dir_.file("rfm.csv"));
  EXPECT_EQ(quiet.err, "");  // a warning, not an error
}

TEST_F(AsOfWarning, TheNightlyRunWarnsAndReportsTheGap) {
  spit(dir_.file("nightly.toml"), "[run]\nas_of = \"2027-03-01\"\n[inputs]\ntransactions = \"" +
                                      dir_.file("tx.csv") + "\"\n[output]\ndirectory = \"" +
                                      dir_.file("out") + "\"\n");
  RunResult const run = cie::testing::run_cie(dir_, "--threads 2 run " + dir_.file("nightly.toml"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("the as-of date 2027-03-01 is 1095 " + std::string(kWarning)));
  nlohmann::json const report = nlohmann::json::parse(slurp(dir_.file("out/run_report.json")));
  EXPECT_EQ(report["days_after_last_purchase"], 1095);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

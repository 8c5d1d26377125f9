// The nightly [clv] stage: its published columns equal `cie clv predict` on the same transactions
// and as-of day, and the report's CLV per RFM segment and per cluster adds up to the total; a
// BG/BB model or a bad value is refused before any work (exit 2).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::lines_of;
using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;
using ::testing::HasSubstr;

using cie::testing::run_quietly;

/// The last `count` comma-separated fields of `line`.
std::string last_fields(std::string const& line, int count) {
  std::size_t at = line.size();
  for (int i = 0; i < count; ++i) at = line.rfind(',', at - 1);
  return line.substr(at + 1);
}

TEST(NightlyClv, PublishesWhatClvPredictComputesAndSumsPerSegment) {
  cie::testing::TempDir dir;
  std::string const d = dir.path().string();
  ASSERT_EQ(run_quietly(dir, "gen --customers 3000 --seed 5 --out " + d + "/data").exit_code, 0);
  RunResult const fit = run_quietly(dir, "clv fit --transactions " + d +
                                             "/data/transactions.csv --calibration-end 2025-09-30 "
                                             "--spend gamma-gamma --model " +
                                             d + "/clv.json");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  std::string const head = "[run]\nas_of = \"2026-01-01\"\n\n[inputs]\ntransactions = \"" + d +
                           "/data/transactions.csv\"\n\n[segments]\nretrain = true\nk = 3\n\n";
  std::string const clv = "[clv]\nmodel = \"" + d +
                          "/clv.json\"\nhorizon = 26\nclv_months = 6\ndiscount_rate = 0.02\n"
                          "margin = 0.4\n\n";
  spit(d + "/nightly.toml", head + clv + "[output]\ndirectory = \"" + d + "/out\"\n");
  RunResult const run = run_quietly(dir, "run " + d + "/nightly.toml");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  RunResult const predict =
      run_quietly(dir, "clv predict --model " + d + "/clv.json --transactions " + d +
                           "/data/transactions.csv --as-of 2026-01-01 --horizon 26 --clv-months 6 "
                           "--discount-rate 0.02 --margin 0.4 --out " +
                           d + "/predict.csv");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;

  std::vector<std::string> const nightly = lines_of(slurp(d + "/out/customers.csv"));
  std::vector<std::string> const predicted = lines_of(slurp(d + "/predict.csv"));
  ASSERT_EQ(nightly.size(), predicted.size());
  EXPECT_EQ(last_fields(nightly[0], 6),
            "cluster,cluster_name,p_alive,expected_purchases,expected_value,clv");
  for (std::size_t i = 1; i < nightly.size(); ++i) {
    ASSERT_EQ(nightly[i].substr(0, nightly[i].find(',')),
              predicted[i].substr(0, predicted[i].find(',')));
    ASSERT_EQ(last_fields(nightly[i], 4), last_fields(predicted[i], 4)) << "line " << i;
  }

  nlohmann::json const report = nlohmann::json::parse(slurp(d + "/out/run_report.json"));
  nlohmann::json const& section = report["clv"];
  ASSERT_TRUE(section.is_object());
  double total = 0.0, by_segment = 0.0, by_cluster = 0.0;
  std::size_t customers = 0;
  for (std::size_t i = 1; i < predicted.size(); ++i)
    total += std::stod(last_fields(predicted[i], 1));
  for (nlohmann::json const& s : section["by_segment"]) {
    by_segment += s["clv_total"].get<double>();
    customers += s["customers"].get<std::size_t>();
    EXPECT_NEAR(s["clv_mean"].get<double>() * s["customers"].get<double>(),
                s["clv_total"].get<double>(), 1e-6 * std::abs(s["clv_total"].get<double>()));
  }
  for (nlohmann::json const& c : section["by_cluster"]) by_cluster += c["clv_total"].get<double>();
  EXPECT_EQ(customers, 3000u);
  EXPECT_NEAR(section["clv_total"].get<double>(), total, 1e-9 * total);
  EXPECT_NEAR(by_segment, total, 1e-9 * total);
  EXPECT_NEAR(by_cluster, total, 1e-9 * total);
  EXPECT_EQ(section["by_cluster"].size(), 3u);

  // Refused before any work: a BG/BB model, a negative margin.
  ASSERT_EQ(run_quietly(dir, std::string("clv fit --summary ") + CIE_REAL_DATA_DIR +
                                 "/donations-bgbb/donations.csv --id-col \"\" --T-col periods "
                                 "--weights-col weights --model-type bgbb --model " +
                                 d + "/bgbb.json")
                .exit_code,
            0);
  spit(d + "/bgbb.toml", head + "[clv]\nmodel = \"" + d +
                             "/bgbb.json\"\n\n[output]\ndirectory = \"" + d + "/out2\"\n");
  RunResult const bgbb = run_quietly(dir, "run " + d + "/bgbb.toml");
  EXPECT_EQ(bgbb.exit_code, 2);
  EXPECT_THAT(bgbb.err, HasSubstr("BG/BB"));
  spit(d + "/margin.toml", head + "[clv]\nmodel = \"" + d +
                               "/clv.json\"\nmargin = -1\n\n"
                               "[output]\ndirectory = \"" +
                               d + "/out3\"\n");
  RunResult const margin = run_quietly(dir, "run " + d + "/margin.toml");
  EXPECT_EQ(margin.exit_code, 2);
  EXPECT_THAT(margin.err, HasSubstr("[clv] margin"));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

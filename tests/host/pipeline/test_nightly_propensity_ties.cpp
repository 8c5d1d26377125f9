// The nightly run's [[propensity]] stage publishes what `cie propensity score` writes: with an
// isotonic-calibrated model, whose steps tie many customers, the same deciles (ties ranked by the
// uncalibrated score); with explain = K, the same K reasons and contributions per customer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::lines_of;
using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;

/// The comma-separated fields of a line (no quoting in these files).
std::vector<std::string> fields_of(std::string const& line) {
  std::vector<std::string> out(1);
  for (char const c : line) {
    if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

TEST(NightlyPropensityTies, CalibratedTiesGetTheScoreCommandsDeciles) {
  cie::testing::TempDir dir;
  std::string const d = dir.path().string();
  for (std::string const& arguments :
       {"gen --customers 3000 --seed 9 --out " + d + "/data",
        "rfm --transactions " + d + "/data/transactions.csv --as-of 2026-01-01 --out " + d +
            "/rfm.csv",
        "segment fit --input " + d + "/rfm.csv --k 3 --model " + d + "/seg.json",
        "propensity train --table " + d + "/data/campaign.csv --table " + d +
            "/data/customers.csv --table " + d +
            "/rfm.csv --target responded --features recency_days,frequency,monetary_total,age,"
            "region --calibration isotonic --validation 0.3 --model " +
            d + "/iso.json",
        "propensity score --model " + d + "/iso.json --table " + d + "/rfm.csv --table " + d +
            "/data/customers.csv --out " + d + "/scores.csv"}) {
    RunResult const result =
        cie::testing::run_cie(dir, "--threads 2 --log-level warn " + arguments);
    ASSERT_EQ(result.exit_code, 0) << arguments << "\n" << result.err;
  }
  spit(dir.file("nightly.toml"),
       "[run]\nas_of = \"2026-01-01\"\nseed = 42\n\n[inputs]\ntransactions = \"" + d +
           "/data/transactions.csv\"\nattributes = \"" + d +
           "/data/customers.csv\"\n\n[segments]\nmodel = \"" + d +
           "/seg.json\"\n\n[[propensity]]\nname = \"response\"\nmodel = \"" + d +
           "/iso.json\"\n\n[output]\ndirectory = \"" + d + "/out\"\n");
  RunResult const run =
      cie::testing::run_cie(dir, "--threads 2 --log-level warn run " + dir.file("nightly.toml"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<std::string> const nightly = lines_of(slurp(d + "/out/customers.csv"));
  std::vector<std::string> const scores = lines_of(slurp(d + "/scores.csv"));
  ASSERT_EQ(nightly.size(), scores.size());
  ASSERT_GT(nightly.size(), 100u);
  std::vector<std::string> const header = fields_of(nightly[0]);
  ASSERT_EQ(header.back(), "response_decile");
  std::map<std::string, std::set<std::string>> deciles_of_probability;
  for (std::size_t i = 1; i < nightly.size(); ++i) {
    std::vector<std::string> const published = fields_of(nightly[i]);
    std::vector<std::string> const scored = fields_of(scores[i]);  // id,probability,decile,rank
    ASSERT_EQ(published.front(), scored[0]);
    EXPECT_EQ(published[published.size() - 2], scored[1]) << "customer line " << i;
    EXPECT_EQ(published.back(), scored[2]) << "customer line " << i;
    deciles_of_probability[scored[1]].insert(scored[2]);
  }
  // The test means something: isotonic steps tie customers across decile boundaries.
  EXPECT_LT(deciles_of_probability.size(), 500u);
  std::size_t straddling = 0;
  for (auto const& [p, deciles] : deciles_of_probability) straddling += deciles.size() > 1;
  EXPECT_GT(straddling, 0u);
}

TEST(NightlyPropensityExplain, ExplainWritesTheScoreCommandsReasons) {
  cie::testing::TempDir dir;
  std::string const d = dir.path().string();
  for (std::string const& arguments :
       {"gen --customers 2000 --seed 4 --out " + d + "/data",
        "rfm --transactions " + d + "/data/transactions.csv --as-of 2026-01-01 --out " + d +
            "/rfm.csv",
        "segment fit --input " + d + "/rfm.csv --k 3 --model " + d + "/seg.json",
        "propensity train --table " + d + "/data/campaign.csv --table " + d +
            "/data/customers.csv --table " + d +
            "/rfm.csv --target responded --features recency_days,frequency,monetary_total,age,"
            "region --model-type gbdt --n-trees 30 --num-leaves 8 --model " +
            d + "/gbdt.json",
        "propensity score --model " + d + "/gbdt.json --table " + d + "/rfm.csv --table " + d +
            "/data/customers.csv --explain 2 --out " + d + "/scores.csv"}) {
    RunResult const result =
        cie::testing::run_cie(dir, "--threads 2 --log-level warn " + arguments);
    ASSERT_EQ(result.exit_code, 0) << arguments << "\n" << result.err;
  }
  std::string const config =
      "[run]\nas_of = \"2026-01-01\"\nseed = 42\n\n[inputs]\ntransactions = \"" + d +
      "/data/transactions.csv\"\nattributes = \"" + d +
      "/data/customers.csv\"\n\n[segments]\nmodel = \"" + d +
      "/seg.json\"\n\n[[propensity]]\nname = \"response\"\nmodel = \"" + d +
      "/gbdt.json\"\nexplain = EXPLAIN\n\n[output]\ndirectory = \"" + d + "/out\"\n";
  auto const with = [&](std::string const& explain) {
    std::string text = config;
    text.replace(text.find("EXPLAIN"), 7, explain);
    return text;
  };
  spit(dir.file("nightly.toml"), with("2"));
  RunResult const run =
      cie::testing::run_cie(dir, "--threads 2 --log-level warn run " + dir.file("nightly.toml"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<std::string> const nightly = lines_of(slurp(d + "/out/customers.csv"));
  std::vector<std::string> const scores = lines_of(slurp(d + "/scores.csv"));
  ASSERT_EQ(nightly.size(), scores.size());
  std::vector<std::string> const header = fields_of(nightly[0]);
  ASSERT_GE(header.size(), 6u);
  EXPECT_EQ(std::vector<std::string>(header.end() - 6, header.end()),
            (std::vector<std::string>{"response_probability", "response_decile",
                                      "response_reason_1", "response_contribution_1",
                                      "response_reason_2", "response_contribution_2"}));
  std::size_t explained = 0;
  for (std::size_t i = 1; i < nightly.size(); ++i) {
    std::vector<std::string> const published = fields_of(nightly[i]);
    std::vector<std::string> const scored = fields_of(scores[i]);  // id,p,decile,rank,r1,c1,r2,c2
    ASSERT_EQ(scored.size(), 8u);
    EXPECT_EQ(std::vector<std::string>(published.end() - 6, published.end()),
              (std::vector<std::string>{scored[1], scored[2], scored[4], scored[5], scored[6],
                                        scored[7]}))
        << "customer line " << i;
    explained += !scored[4].empty();
  }
  EXPECT_GT(explained, nightly.size() / 2);
  nlohmann::json const report = nlohmann::json::parse(slurp(d + "/out/run_report.json"));
  EXPECT_EQ(report["models"][0]["explain"], 2);
  // explain outside 0..100 is a usage error naming the key.
  spit(dir.file("bad.toml"), with("101"));
  RunResult const bad =
      cie::testing::run_cie(dir, "--threads 2 --log-level warn run " + dir.file("bad.toml"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, ::testing::HasSubstr("explain"));
  EXPECT_THAT(bad.err, ::testing::HasSubstr("expected 0 to 100 reasons per customer, got 101"));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

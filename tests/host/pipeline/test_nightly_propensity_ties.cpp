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
using cie::testing::run_quietly;
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

/// Generates `customers` customers (seed `seed`) in `d`/data, their RFM table, a 3-cluster
/// segments model, a propensity model `d`/`model` trained with `train_options`, and its scores
/// (`score_options`) in `d`/scores.csv; asserts every command succeeds.
void prepare(cie::testing::TempDir const& dir, int customers, int seed, std::string const& model,
             std::string const& train_options, std::string const& score_options) {
  std::string const d = dir.path().string();
  for (std::string const& arguments :
       {"gen --customers " + std::to_string(customers) + " --seed " + std::to_string(seed) +
            " --out " + d + "/data",
        "rfm --transactions " + d + "/data/transactions.csv --as-of 2026-01-01 --out " + d +
            "/rfm.csv",
        "segment fit --input " + d + "/rfm.csv --k 3 --model " + d + "/seg.json",
        "propensity train --table " + d + "/data/campaign.csv --table " + d +
            "/data/customers.csv --table " + d +
            "/rfm.csv --target responded --features recency_days,frequency,monetary_total,age,"
            "region " +
            train_options + " --model " + d + "/" + model,
        "propensity score --model " + d + "/" + model + " --table " + d + "/rfm.csv --table " + d +
            "/data/customers.csv " + score_options + " --out " + d + "/scores.csv"}) {
    RunResult const result = run_quietly(dir, arguments);
    ASSERT_EQ(result.exit_code, 0) << arguments << "\n" << result.err;
  }
}

/// A nightly config over prepare()'s files with one [[propensity]] stage "response" on `model`;
/// `stage_extra` is added to that stage.
std::string nightly_config(std::string const& d, std::string const& model,
                           std::string const& stage_extra = "") {
  return "[run]\nas_of = \"2026-01-01\"\nseed = 42\n\n[inputs]\ntransactions = \"" + d +
         "/data/transactions.csv\"\nattributes = \"" + d +
         "/data/customers.csv\"\n\n[segments]\nmodel = \"" + d +
         "/seg.json\"\n\n[[propensity]]\nname = \"response\"\nmodel = \"" + d + "/" + model +
         "\"\n" + stage_extra + "\n[output]\ndirectory = \"" + d + "/out\"\n";
}

TEST(NightlyPropensityTies, CalibratedTiesGetTheScoreCommandsDeciles) {
  cie::testing::TempDir dir;
  std::string const d = dir.path().string();
  ASSERT_NO_FATAL_FAILURE(
      prepare(dir, 3000, 9, "iso.json", "--calibration isotonic --validation 0.3", ""));
  spit(dir.file("nightly.toml"), nightly_config(d, "iso.json"));
  RunResult const run = run_quietly(dir, "run " + dir.file("nightly.toml"));
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
  ASSERT_NO_FATAL_FAILURE(prepare(dir, 2000, 4, "gbdt.json",
                                  "--model-type gbdt --n-trees 30 --num-leaves 8", "--explain 2"));
  spit(dir.file("nightly.toml"), nightly_config(d, "gbdt.json", "explain = 2\n"));
  RunResult const run = run_quietly(dir, "run " + dir.file("nightly.toml"));
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
  spit(dir.file("bad.toml"), nightly_config(d, "gbdt.json", "explain = 101\n"));
  RunResult const bad = run_quietly(dir, "run " + dir.file("bad.toml"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, ::testing::HasSubstr("explain"));
  EXPECT_THAT(bad.err, ::testing::HasSubstr("expected 0 to 100 reasons per customer, got 101"));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

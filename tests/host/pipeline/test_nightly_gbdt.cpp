// The nightly run's [[propensity]] stage with a gradient-boosted tree model file: it needs no
// new configuration key and publishes what `cie propensity score` writes for the same model.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::lines_of;
using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;

using cie::testing::run_quietly;

/// The last two comma-separated fields of a line.
std::string last_two(std::string const& line) {
  std::size_t const last = line.rfind(',');
  return line.substr(line.rfind(',', last - 1) + 1);
}

TEST(NightlyGbdt, PropensityStageScoresAGbdtModelAsTheScoreCommandDoes) {
  cie::testing::TempDir dir;
  std::string const d = dir.path().string();
  for (std::string const& arguments :
       {"gen --customers 3000 --seed 5 --out " + d + "/data",
        "rfm --transactions " + d + "/data/transactions.csv --as-of 2026-01-01 --out " + d +
            "/rfm.csv",
        "segment fit --input " + d + "/rfm.csv --k 3 --model " + d + "/seg.json",
        "propensity train --table " + d + "/data/campaign.csv --table " + d +
            "/data/customers.csv --table " + d +
            "/rfm.csv --target responded --features recency_days,frequency,monetary_total,age,"
            "region --model-type gbdt --n-trees 40 --num-leaves 15 --model " +
            d + "/gbdt.json",
        "propensity score --model " + d + "/gbdt.json --table " + d + "/rfm.csv --table " + d +
            "/data/customers.csv --out " + d + "/scores.csv"}) {
    RunResult const result = run_quietly(dir, arguments);
    ASSERT_EQ(result.exit_code, 0) << arguments << "\n" << result.err;
  }
  spit(dir.file("nightly.toml"),
       "[run]\nas_of = \"2026-01-01\"\nseed = 42\n\n[inputs]\ntransactions = \"" + d +
           "/data/transactions.csv\"\nattributes = \"" + d +
           "/data/customers.csv\"\n\n[segments]\nmodel = \"" + d +
           "/seg.json\"\n\n[[propensity]]\nname = \"response\"\nmodel = \"" + d +
           "/gbdt.json\"\n\n[output]\ndirectory = \"" + d + "/out\"\n");
  RunResult const run = run_quietly(dir, "run " + dir.file("nightly.toml"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<std::string> const nightly = lines_of(slurp(d + "/out/customers.csv"));
  std::vector<std::string> const scores = lines_of(slurp(d + "/scores.csv"));
  ASSERT_EQ(nightly.size(), scores.size());
  ASSERT_GT(nightly.size(), 1u);
  EXPECT_EQ(last_two(nightly[0]), "response_probability,response_decile");
  for (std::size_t i = 1; i < nightly.size(); ++i) {
    std::string const score = scores[i].substr(scores[i].find(',') + 1);  // probability,...
    std::string const probability_decile = score.substr(0, score.rfind(','));
    ASSERT_EQ(last_two(nightly[i]), probability_decile) << "customer line " << i;
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

// `cie run` with a multi-arm uplift model (`cie uplift train --arms`): the [[uplift]] stage
// publishes NAME_<arm>_uplift per arm, NAME_best_arm, NAME_uplift and NAME_uplift_decile, equal
// to what `cie uplift score` writes for the same customers, and reports the arms.
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

RunResult cie_cpu(cie::testing::TempDir const& dir, std::string const& arguments) {
  return cie::testing::run_cie(dir, "--device cpu --threads 2 --log-level warn " + arguments);
}

std::vector<std::string> fields_of(std::string const& line) {
  std::vector<std::string> fields;
  std::istringstream in(line);
  for (std::string field; std::getline(in, field, ',');) fields.push_back(field);
  return fields;
}

TEST(NightlyUpliftArms, PublishesEveryArmAndTheBestAsUpliftScoreDoes) {
  cie::testing::TempDir dir;
  std::string const d = dir.path().string();
  auto const run = [&](std::string const& arguments) {
    RunResult const result = cie_cpu(dir, arguments);
    ASSERT_EQ(result.exit_code, 0) << arguments << "\n" << result.err;
  };
  run("gen --customers 3000 --seed 5 --arms 2 --out " + d + "/data");
  run("rfm --transactions " + d + "/data/transactions.csv --as-of 2026-01-01 --out " + d +
      "/rfm.csv");
  run("uplift train --table " + d + "/data/campaign_arms.csv --table " + d +
      "/data/customers.csv --table " + d +
      "/rfm.csv --treatment group --arms all --control control --target responded "
      "--features recency_days,frequency,monetary_total,age,region,email_opt_in --model " +
      d + "/arms.json");
  spit(dir.file("nightly.toml"), "[run]\nas_of = \"2026-01-01\"\n\n[inputs]\ntransactions = \"" +
                                     d + "/data/transactions.csv\"\nattributes = \"" + d +
                                     "/data/customers.csv\"\n\n[[uplift]]\nname = \"spring\"\n"
                                     "model = \"" +
                                     d + "/arms.json\"\n\n[output]\ndirectory = \"" + d +
                                     "/out\"\n");
  run("run " + dir.file("nightly.toml"));
  run("uplift score --model " + d + "/arms.json --table " + d + "/rfm.csv --table " + d +
      "/data/customers.csv --out " + d + "/scores.csv");

  std::vector<std::string> const nightly = lines_of(slurp(d + "/out/customers.csv"));
  std::vector<std::string> const scores = lines_of(slurp(d + "/scores.csv"));
  ASSERT_EQ(nightly.size(), scores.size());
  ASSERT_EQ(nightly.size(), 3001u);
  std::vector<std::string> const header = fields_of(nightly[0]);
  std::vector<std::string> const published(header.end() - 5, header.end());
  EXPECT_EQ(published,
            (std::vector<std::string>{"spring_arm_1_uplift", "spring_arm_2_uplift",
                                      "spring_best_arm", "spring_uplift", "spring_uplift_decile"}));
  EXPECT_EQ(fields_of(scores[0]),
            (std::vector<std::string>{"customer_id", "arm_1_uplift", "arm_2_uplift", "best_arm",
                                      "uplift", "decile", "rank"}));
  std::size_t best_first = 0;
  for (std::size_t i = 1; i < nightly.size(); ++i) {
    std::vector<std::string> const row = fields_of(nightly[i]);
    std::vector<std::string> const score = fields_of(scores[i]);
    ASSERT_EQ(row[0], score[0]) << "customer line " << i;
    std::vector<std::string> const tail(row.end() - 5, row.end());
    std::vector<std::string> const expected(score.begin() + 1, score.end() - 1);
    ASSERT_EQ(tail, expected) << "customer line " << i;
    best_first += score[3] == "arm_1" ? 1 : 0;
  }
  nlohmann::json const report = nlohmann::json::parse(slurp(d + "/out/run_report.json"));
  nlohmann::json const& model = report["models"].back();
  EXPECT_EQ(model["name"], "spring");
  EXPECT_EQ(model["arms"], (nlohmann::json{"arm_1", "arm_2"}));
  EXPECT_EQ(model["control"], "control");
  EXPECT_EQ(model["best_arm_customers"]["arm_1"].get<std::size_t>(), best_first);
  EXPECT_EQ(model["best_arm_customers"]["arm_2"].get<std::size_t>(), 3000 - best_first);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

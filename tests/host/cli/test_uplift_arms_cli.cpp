// `cie uplift train --arms` and `score` with several arms in one model file, on a table whose
// effects are known: arm "up" raises the response rate where x > 0, arm "down" where x < 0, and
// group "none" is the control. Each arm's learner must equal the one-arm model of that arm
// against the control, the best arm must follow the sign of x, the file must keep the model-file
// rules (checksum, fingerprint), and bad input must be refused with exit 3 (no control, an arm
// without customers, an arm with one response only) or 2 (usage).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <sstream>

#include "core/random.hpp"
#include "models/model_document.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;
using ::testing::HasSubstr;

/// `extra` adds a group whose customers all respond.
std::string make_table(bool extra = false) {
  std::ostringstream text;
  text << "customer_id,x,region,group,responded\n";
  Random random(13, 0);
  char const* const groups[] = {"none", "up", "down"};
  for (int i = 0; i < 6000; ++i) {
    double const x = 2.0 * random.uniform() - 1.0;
    auto const g = static_cast<int>(random.below(3));
    double const rate = 0.3 + (g == 1 ? 0.25 * x : g == 2 ? -0.25 * x : 0.0);
    text << "c" << i << "," << x << "," << (i % 3 == 0 ? "north" : "south") << "," << groups[g]
         << "," << (random.bernoulli(rate) ? 1 : 0) << "\n";
  }
  if (extra) {
    for (int i = 0; i < 50; ++i) text << "e" << i << ",0.5,north,sure,1\n";
  }
  return text.str();
}

using Rows = std::map<std::string, std::vector<std::string>>;

/// A CSV (no quoted fields) by its first field; the header under "".
Rows read_rows(std::string const& path) {
  Rows rows;
  std::istringstream lines(slurp(path));
  bool header = true;
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string field; std::getline(in, field, ',');) fields.push_back(field);
    rows[header ? std::string() : fields[0]] = fields;
    header = false;
  }
  return rows;
}

TEST(UpliftArmsCli, OneFileWithALearnerPerArmAndTheBestArm) {
  cie::testing::TempDir dir;
  spit(dir.file("t.csv"), make_table());
  std::string const base = "--device cpu --threads 2 uplift train --table " + dir.file("t.csv") +
                           " --treatment group --target responded --method x-learner ";
  RunResult const run = cie::testing::run_cie(
      dir, base + "--arms all --control none --model " + dir.file("arms.json") + " --report " +
               dir.file("r.json") + " --predictions " + dir.file("p.csv"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("arm 'down' ("));
  EXPECT_THAT(run.out, HasSubstr("best arm of the"));
  for (std::string const arm : {"up", "down"}) {
    RunResult const one = cie::testing::run_cie(
        dir, base + "--treated " + arm + " --control none --model " + dir.file(arm + ".json") +
                 " --report " + dir.file(arm + "_r.json"));
    ASSERT_EQ(one.exit_code, 0) << one.err;
  }
  nlohmann::json const report = nlohmann::json::parse(slurp(dir.file("r.json")))["evaluation"];
  ASSERT_EQ(report["arms"].size(), 2u);
  EXPECT_EQ(report["arms"][0]["arm"], "down");  // "all": sorted
  for (nlohmann::json const& arm : report["arms"]) {
    std::string const name = arm["arm"].get<std::string>();
    nlohmann::json const one =
        nlohmann::json::parse(slurp(dir.file(name + "_r.json")))["evaluation"];
    // The arm's learner and hold-out are the one-arm model's.
    EXPECT_EQ(arm["qini_coefficient"], one["qini_coefficient"]) << name;
    EXPECT_EQ(arm["deciles"], one["deciles"]) << name;
    EXPECT_GT(arm["qini_coefficient"].get<double>(), 0.1) << name;
  }
  double const shares =
      report["best_arm_share"]["up"].get<double>() + report["best_arm_share"]["down"].get<double>();
  EXPECT_NEAR(shares, 1.0, 1e-12);

  ASSERT_EQ(cie::testing::run_cie(dir, "--device cpu uplift score --model " +
                                           dir.file("arms.json") + " --table " + dir.file("t.csv") +
                                           " --out " + dir.file("s.csv"))
                .exit_code,
            0);
  Rows scores = read_rows(dir.file("s.csv"));
  EXPECT_EQ(scores[""], (std::vector<std::string>{"customer_id", "down_uplift", "up_uplift",
                                                  "best_arm", "uplift", "decile", "rank"}));
  for (std::string const arm : {"up", "down"}) {
    ASSERT_EQ(cie::testing::run_cie(dir, "--device cpu uplift score --model " +
                                             dir.file(arm + ".json") + " --table " +
                                             dir.file("t.csv") + " --out " + dir.file(arm + ".csv"))
                  .exit_code,
              0);
    Rows const one = read_rows(dir.file(arm + ".csv"));
    std::size_t const column = arm == std::string("down") ? 1 : 2;
    for (auto const& [id, fields] : one) {
      if (id.empty()) continue;
      ASSERT_EQ(scores.at(id)[column], fields[1]) << arm << " " << id;  // the same learner
    }
  }
  // The best arm follows the sign of x away from 0; its uplift is the larger one.
  Rows const table = read_rows(dir.file("t.csv"));
  int agree = 0;
  int clear = 0;
  for (auto const& [id, fields] : scores) {
    if (id.empty()) continue;
    double const down = std::stod(fields[1]);
    double const up = std::stod(fields[2]);
    EXPECT_EQ(fields[3], up > down ? "up" : "down") << id;
    EXPECT_EQ(std::stod(fields[4]), std::max(up, down)) << id;
    double const x = std::stod(table.at(id)[1]);
    if (std::abs(x) < 0.3) continue;
    ++clear;
    agree += fields[3] == (x > 0 ? "up" : "down") ? 1 : 0;
  }
  EXPECT_GT(agree, clear * 9 / 10) << agree << " of " << clear;

  // Held-out predictions: the arm rows and the control rows not used in training.
  Rows const held = read_rows(dir.file("p.csv"));
  EXPECT_EQ(held.at("")[1], "group");
  EXPECT_NEAR(static_cast<double>(held.size() - 1), 3000.0, 3.0);
  for (auto const& [id, fields] : held) {
    if (!id.empty()) ASSERT_EQ(fields[3], scores.at(id)[1]) << id;
  }

  // Model-file rules: the first arm's fingerprint; an edit breaks the checksum.
  nlohmann::json document = nlohmann::json::parse(slurp(dir.file("arms.json")));
  EXPECT_EQ(document["fitted"]["arms"].size(), 2u);
  EXPECT_EQ(document["training_data"], document["fitted"]["arms"][0]["training_data"]);
  EXPECT_NE(document["fitted"]["arms"][0]["training_data"],
            document["fitted"]["arms"][1]["training_data"]);
  EXPECT_EQ(document["params"]["arms"], (nlohmann::json{"down", "up"}));
  document["fitted"]["arms"][1]["arm"] = "sideways";
  spit(dir.file("edited.json"), document.dump(2));
  RunResult const edited =
      cie::testing::run_cie(dir, "uplift score --model " + dir.file("edited.json") + " --table " +
                                     dir.file("t.csv") + " --out " + dir.file("e.csv"));
  EXPECT_EQ(edited.exit_code, 2);
  EXPECT_THAT(edited.err, HasSubstr("checksum"));
  // Damage under a valid checksum: each is refused by name.
  auto const damaged = [&](auto&& edit, std::string const& message) {
    ModelDocument document =
        parse_model_file(slurp(dir.file("arms.json")), dir.file("arms.json"), "uplift");
    edit(document.fitted);
    spit(dir.file("damaged.json"), model_file_text(document));
    RunResult const run = cie::testing::run_cie(
        dir, "uplift score --model " + dir.file("damaged.json") + " --table " + dir.file("t.csv") +
                 " --out " + dir.file("d.csv"));
    EXPECT_EQ(run.exit_code, 2) << message;
    EXPECT_THAT(run.err, HasSubstr(message));
  };
  damaged([](nlohmann::json& f) { f["arms"][1]["arm"] = "down"; },
          "arm 'down' is listed twice or is the control");
  damaged([](nlohmann::json& f) { f["arms"][0]["arm"] = "none"; },
          "arm 'none' is listed twice or is the control");
  damaged([](nlohmann::json& f) { f["arms"][1]["fitted"]["method"] = "two-model"; }, "damaged");
  damaged([](nlohmann::json& f) { f["method"] = "two-model"; },
          "arm 'down' has method x-learner, the file two-model");
  damaged([](nlohmann::json& f) { f["arms"][0]["training_data"]["xxh64"] = "zz"; },
          "an arm's training_data is not a fingerprint");
  damaged([](nlohmann::json& f) { f["arms"] = nlohmann::json::array(); }, "fitted.arms");
}

TEST(UpliftArmsCli, RefusesArmsWithoutControlOrWithOneResponse) {
  cie::testing::TempDir dir;
  spit(dir.file("t.csv"), make_table(true));
  std::string const base = "--device cpu uplift train --table " + dir.file("t.csv") +
                           " --treatment group --target responded --model " + dir.file("u.json");
  auto const refused = [&](std::string const& options, int code, std::string const& message) {
    RunResult const run = cie::testing::run_cie(dir, base + " " + options);
    EXPECT_EQ(run.exit_code, code) << options << "\n" << run.err;
    EXPECT_THAT(run.err, HasSubstr(message)) << options;
    EXPECT_THAT(run.err, ::testing::Not(HasSubstr("c17,"))) << "no customer values";
  };
  refused("--arms up,down --control nobody", 3,
          "no control customers (no row has group = 'nobody')");
  refused("--arms up,sideways --control none", 3,
          "arm 'sideways' has no customers (no row has group = 'sideways')");
  refused("--arms up,sure --control none", 3,
          "every one of the 50 customers of arm 'sure' has responded = 1");
  refused("--arms all --control sure", 3, "the control 'sure' has responded = 1");
  refused("--arms up --treated down --control none", 2, "not both");
  refused("--arms up,down", 2, "--arms: --control names the control group");
  refused("--arms up,none --control none", 2, "--arms: 'none' is the control");
  refused("--arms up,up --control none", 2, "listed twice");
  refused("--control none", 2, "give --treated ARM (one arm) or --arms");
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

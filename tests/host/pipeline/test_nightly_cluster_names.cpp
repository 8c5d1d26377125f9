// Cluster names in the nightly run: the published table's cluster_name column and the report
// follow the model; a retrain on the next night keeps each kept id's name; [segments] names =
// "FILE" replaces names, and a bad file stops the run before any work.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>

#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::lines_of;
using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;
using ::testing::HasSubstr;

using cie::testing::run_quietly;

/// One night's retrain of 4 clusters on generated data; `segments_extra` is added to
/// [segments].
std::string night_config(cie::testing::TempDir const& dir, std::string const& as_of,
                         std::string const& segments_extra = "") {
  return "[run]\nas_of = \"" + as_of + "\"\nseed = 42\n\n[inputs]\ntransactions = \"" +
         dir.file("data") +
         "/transactions.csv\"\n\n[segments]\nretrain = true\nk = 4\nn_init = 2\n" + segments_extra +
         "\n[output]\ndirectory = \"" + dir.file("out") + "\"\n";
}

/// cluster id -> cluster_name over the published table's rows (the name may be quoted).
std::map<std::string, std::string> names_in_table(std::string const& csv) {
  std::vector<std::string> const lines = lines_of(csv);
  std::map<std::string, std::string> names;
  std::string const header = lines.front();
  EXPECT_THAT(header, HasSubstr(",segment,cluster,cluster_name"));
  for (std::size_t i = 1; i < lines.size(); ++i) {
    // The RFM columns hold no quotes or commas in a field; cluster is the 20th field.
    std::string const& line = lines[i];
    std::size_t at = 0;
    for (int field = 0; field < 19; ++field) at = line.find(',', at) + 1;
    std::size_t const after_id = line.find(',', at);
    std::string const id = line.substr(at, after_id - at);
    std::string name = line.substr(after_id + 1);
    if (name.front() == '"')
      name = name.substr(1, name.find('"', 1) - 1);
    else
      name = name.substr(0, name.find(','));
    EXPECT_TRUE(!names.contains(id) || names[id] == name) << "line " << i;
    names[id] = name;
  }
  return names;
}

TEST(NightlyClusterNames, NamesArePublishedAndKeptWithTheIdsOnTheNextNight) {
  cie::testing::TempDir dir;
  RunResult const gen = run_quietly(dir, "gen --customers 3000 --seed 5 --out " + dir.file("data"));
  ASSERT_EQ(gen.exit_code, 0) << gen.err;

  spit(dir.file("night1.toml"), night_config(dir, "2025-11-01"));
  RunResult const first = run_quietly(dir, "run " + dir.file("night1.toml"));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  nlohmann::json const model1 =
      nlohmann::json::parse(slurp(dir.file("out") + "/segments_model.json"));
  std::vector<std::string> const names1 = model1["fitted"]["cluster_names"];
  ASSERT_EQ(names1.size(), 4u);
  nlohmann::json const report1 = nlohmann::json::parse(slurp(dir.file("out") + "/run_report.json"));
  EXPECT_EQ(report1["cluster_names"], model1["fitted"]["cluster_names"]);
  std::map<std::string, std::string> const table1 =
      names_in_table(slurp(dir.file("out") + "/customers.csv"));
  for (auto const& [id, name] : table1) EXPECT_EQ(name, names1[std::stoul(id)]) << id;

  // The next night: a month more data. Matched clusters keep their ids and their names, even
  // where tonight's profile wording differs.
  spit(dir.file("night2.toml"), night_config(dir, "2025-12-01"));
  RunResult const second = run_quietly(dir, "run " + dir.file("night2.toml"));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  nlohmann::json const model2 =
      nlohmann::json::parse(slurp(dir.file("out") + "/segments_model.json"));
  nlohmann::json const report2 = nlohmann::json::parse(slurp(dir.file("out") + "/run_report.json"));
  std::vector<std::string> const names2 = model2["fitted"]["cluster_names"];
  nlohmann::json const& clusters = report2["segments_model"]["cluster_ids"]["clusters"];
  ASSERT_EQ(clusters.size(), 4u) << report2.dump();
  for (nlohmann::json const& cluster : clusters) {
    ASSERT_FALSE(cluster["previous_id"].is_null()) << report2.dump();
    auto const id = cluster["id"].get<std::size_t>();
    EXPECT_EQ(names2[id], names1[cluster["previous_id"].get<std::size_t>()]);
    EXPECT_EQ(cluster["name"], names2[id]);
    EXPECT_TRUE(cluster["wording_tonight"].is_string());
  }
  std::map<std::string, std::string> const table2 =
      names_in_table(slurp(dir.file("out") + "/customers.csv"));
  for (auto const& [id, name] : table2) EXPECT_EQ(name, names2[std::stoul(id)]) << id;

  // A names file replaces one name, in the model, the report and the table.
  spit(dir.file("names.csv"), "cluster,cluster_name\n2,\"Key accounts, call first\"\n");
  spit(dir.file("night3.toml"),
       night_config(dir, "2025-12-01", "names = \"" + dir.file("names.csv") + "\"\n"));
  RunResult const third = run_quietly(dir, "run " + dir.file("night3.toml"));
  ASSERT_EQ(third.exit_code, 0) << third.err;
  nlohmann::json const model3 =
      nlohmann::json::parse(slurp(dir.file("out") + "/segments_model.json"));
  EXPECT_EQ(model3["fitted"]["cluster_names"][2], "Key accounts, call first");
  EXPECT_EQ(names_in_table(slurp(dir.file("out") + "/customers.csv")).at("2"),
            "Key accounts, call first");

  // A names file naming a cluster the run will not have: refused before any work.
  spit(dir.file("bad.csv"), "cluster,cluster_name\n4,Ghosts\n");
  spit(dir.file("night4.toml"),
       night_config(dir, "2025-12-01", "names = \"" + dir.file("bad.csv") + "\"\n"));
  RunResult const refused = run_quietly(dir, "run " + dir.file("night4.toml"));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("[segments] names"));
  EXPECT_THAT(refused.err, HasSubstr("cluster 4 does not exist"));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

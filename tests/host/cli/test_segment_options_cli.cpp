// `cie segment` options added for issue 14: the table reader options of the other table-reading
// commands (--delimiter, --no-id, standard input, gzip), cluster names (from the profiles,
// --cluster-names) and select's rules side by side (gap, elbow, --min-k, --rule).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <regex>

#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using ::testing::HasSubstr;
using ::testing::Not;

using cie::testing::run_on_cpu;
using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;

/// Three obvious groups of four customers (as in test_segment_cli.cpp): recent frequent big
/// spenders, middling customers, lapsed one-time buyers; `separator` between fields, with or
/// without the id column.
std::string rfm_table(char separator, bool ids) {
  char const* const rows[] = {"2,22,2100.5", "4,25,2400", "3,20,1990", "5,24,2550",
                              "70,6,350",    "65,5,310",  "80,7,390",  "60,6,330",
                              "350,1,25",    "400,1,20",  "320,1,40",  "380,1,30"};
  std::string text = ids ? "customer_id,recency_days,frequency,monetary_total\n"
                         : "recency_days,frequency,monetary_total\n";
  int id = 1;
  for (char const* row : rows) {
    if (ids) text += std::to_string(id++) + ",";
    text += std::string(row) + "\n";
  }
  for (char& c : text) {
    if (c == ',') c = separator;
  }
  return text;
}

TEST(SegmentOptionsCli, NoIdAndDelimiterReadTheSameCustomers) {
  cie::testing::TempDir dir;
  spit(dir.file("ids.csv"), rfm_table(',', true));
  spit(dir.file("plain.txt"), rfm_table(';', false));
  RunResult const with_ids =
      run_on_cpu(dir, "segment fit --input " + dir.file("ids.csv") + " --k 3 --model " +
                          dir.file("a.json") + " --out " + dir.file("a.csv"));
  ASSERT_EQ(with_ids.exit_code, 0) << with_ids.err;
  RunResult const plain = run_on_cpu(dir, "segment fit --input " + dir.file("plain.txt") +
                                              " --no-id --delimiter semicolon --k 3 --model " +
                                              dir.file("b.json") + " --out " + dir.file("b.csv"));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  // Rows numbered from 1 are the ids of the first file: the same assignments, byte for byte.
  EXPECT_EQ(slurp(dir.file("b.csv")), slurp(dir.file("a.csv")));

  RunResult const assign = run_on_cpu(
      dir, "segment assign --model " + dir.file("a.json") + " --input " + dir.file("plain.txt") +
               " --no-id --delimiter ';' --out " + dir.file("c.csv"));
  ASSERT_EQ(assign.exit_code, 0) << assign.err;
  EXPECT_EQ(slurp(dir.file("c.csv")), slurp(dir.file("a.csv")));
  RunResult const select = run_on_cpu(dir, "segment select --input " + dir.file("plain.txt") +
                                               " --no-id --delimiter semicolon --k 2..4");
  ASSERT_EQ(select.exit_code, 0) << select.err;
  EXPECT_THAT(select.out, HasSubstr("12 customers"));

  // Without --delimiter the semicolon file is one column named by the whole header line.
  RunResult const wrong = run_on_cpu(dir, "segment fit --input " + dir.file("plain.txt") +
                                              " --no-id --k 3 --model " + dir.file("d.json"));
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_THAT(wrong.err, HasSubstr("recency_days"));
  RunResult const bad_delimiter = run_on_cpu(
      dir, "segment select --input " + dir.file("ids.csv") + " --delimiter '\"' --k 2..3");
  EXPECT_EQ(bad_delimiter.exit_code, 2);
  EXPECT_THAT(bad_delimiter.err, HasSubstr("--delimiter"));
}

TEST(SegmentOptionsCli, StandardInputAndGzipReadTheSameCustomers) {
  cie::testing::TempDir dir;
  spit(dir.file("ids.csv"), rfm_table(',', true));
  ASSERT_EQ(
      std::system(("gzip -c " + dir.file("ids.csv") + " > " + dir.file("ids.csv.gz")).c_str()), 0);
  RunResult const fit =
      run_on_cpu(dir, "segment fit --input " + dir.file("ids.csv") + " --k 3 --model " +
                          dir.file("m.json") + " --out " + dir.file("fit.csv"));
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  RunResult const gz =
      run_on_cpu(dir, "segment assign --model " + dir.file("m.json") + " --input " +
                          dir.file("ids.csv.gz") + " --out " + dir.file("gz.csv"));
  ASSERT_EQ(gz.exit_code, 0) << gz.err;
  EXPECT_EQ(slurp(dir.file("gz.csv")), slurp(dir.file("fit.csv")));
  // Standard input, gzipped: run_cie reads /dev/null, so the command is run here.
  std::string const command = std::string(CIE_BINARY) + " --device cpu segment assign --model " +
                              dir.file("m.json") + " --input - --out " + dir.file("stdin.csv") +
                              " < " + dir.file("ids.csv.gz") + " > /dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  EXPECT_EQ(slurp(dir.file("stdin.csv")), slurp(dir.file("fit.csv")));
}

TEST(SegmentOptionsCli, ClustersAreNamedFromTheirProfilesAndNamesCanBeGiven) {
  cie::testing::TempDir dir;
  spit(dir.file("rfm.csv"), rfm_table(',', true));
  RunResult const fit =
      run_on_cpu(dir, "segment fit --input " + dir.file("rfm.csv") + " --k 3 --model " +
                          dir.file("m.json") + " --out " + dir.file("fit.csv"));
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.out, HasSubstr("very recent, very frequent, top spend"));
  EXPECT_THAT(fit.out, HasSubstr("lapsing, occasional, mid spend"));
  EXPECT_THAT(fit.out, HasSubstr("long lapsed, rare, very low spend"));
  nlohmann::json const model = nlohmann::json::parse(slurp(dir.file("m.json")));
  std::vector<std::string> const names = model["fitted"]["cluster_names"];
  ASSERT_EQ(names.size(), 3u);
  // Customer 1 (recent, big spender) carries its cluster's name in the assignments.
  std::string const assignments = slurp(dir.file("fit.csv"));
  std::smatch first;
  ASSERT_TRUE(std::regex_search(assignments, first, std::regex("\n1,(\\d),([^\n]*),[0-9.e+-]+\n")));
  int const vip = std::stoi(first[1]);
  EXPECT_EQ(first[2].str(), "\"very recent, very frequent, top spend\"");
  EXPECT_EQ(names[static_cast<std::size_t>(vip)], "very recent, very frequent, top spend");

  // Given names replace the profile names, in the model and in assign's outputs.
  spit(dir.file("names.csv"),
       "cluster,cluster_name\n" + std::to_string(vip) + ",\"VIP, keep close\"\n");
  RunResult const renamed =
      run_on_cpu(dir, "segment fit --input " + dir.file("rfm.csv") + " --k 3 --model " +
                          dir.file("n.json") + " --cluster-names " + dir.file("names.csv"));
  ASSERT_EQ(renamed.exit_code, 0) << renamed.err;
  EXPECT_THAT(renamed.out, HasSubstr("VIP, keep close"));
  EXPECT_THAT(renamed.out, Not(HasSubstr("very recent, very frequent, top spend")));
  RunResult const assign =
      run_on_cpu(dir, "segment assign --model " + dir.file("n.json") + " --input " +
                          dir.file("rfm.csv") + " --out " + dir.file("a.csv"));
  ASSERT_EQ(assign.exit_code, 0) << assign.err;
  EXPECT_THAT(assign.out, HasSubstr("VIP, keep close"));
  EXPECT_THAT(slurp(dir.file("a.csv")),
              HasSubstr("\n1," + std::to_string(vip) + ",\"VIP, keep close\","));

  // A cluster that does not exist, a repeated id, an empty name, a name taken twice.
  spit(dir.file("bad.csv"), "cluster,cluster_name\n7,Ghosts\n");
  RunResult const missing = run_on_cpu(
      dir, "segment assign --model " + dir.file("m.json") + " --input " + dir.file("rfm.csv") +
               " --out " + dir.file("x.csv") + " --cluster-names " + dir.file("bad.csv"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("cluster 7 does not exist"));
  spit(dir.file("twice.csv"), "cluster,cluster_name\n0,A\n0,B\n");
  RunResult const twice = run_on_cpu(
      dir, "segment assign --model " + dir.file("m.json") + " --input " + dir.file("rfm.csv") +
               " --out " + dir.file("x.csv") + " --cluster-names " + dir.file("twice.csv"));
  EXPECT_EQ(twice.exit_code, 3);
  EXPECT_THAT(twice.err, HasSubstr("twice.csv:3"));
  spit(dir.file("empty.csv"), "cluster,cluster_name\n1,\n");
  RunResult const empty = run_on_cpu(
      dir, "segment assign --model " + dir.file("m.json") + " --input " + dir.file("rfm.csv") +
               " --out " + dir.file("x.csv") + " --cluster-names " + dir.file("empty.csv"));
  EXPECT_EQ(empty.exit_code, 3);
  EXPECT_THAT(empty.err, HasSubstr("empty.csv:2: column cluster_name: the name is empty"));
  spit(dir.file("same.csv"), "cluster,cluster_name\n0,A\n1,A\n");
  RunResult const same = run_on_cpu(
      dir, "segment assign --model " + dir.file("m.json") + " --input " + dir.file("rfm.csv") +
               " --out " + dir.file("x.csv") + " --cluster-names " + dir.file("same.csv"));
  EXPECT_EQ(same.exit_code, 2);
  EXPECT_THAT(same.err, HasSubstr("would both be named 'A'"));
}

TEST(SegmentOptionsCli, SelectShowsEveryRuleAndHonoursMinK) {
  cie::testing::TempDir dir;
  spit(dir.file("rfm.csv"), rfm_table(',', true));
  RunResult const run =
      run_on_cpu(dir, "segment select --input " + dir.file("rfm.csv") + " --k 2..6");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("iterations       gap     gap_s"));
  for (char const* rule : {"silhouette", "gap", "elbow", "davies-bouldin", "calinski-harabasz"}) {
    EXPECT_THAT(run.out, HasSubstr(std::string("    ") + rule)) << rule;
  }
  EXPECT_THAT(run.out, HasSubstr("10 uniform reference sets, seed 42"));
  EXPECT_THAT(run.out, HasSubstr("recommended k = 3: the highest silhouette"));

  RunResult const at_least =
      run_on_cpu(dir, "segment select --input " + dir.file("rfm.csv") + " --k 2..6 --min-k 4");
  ASSERT_EQ(at_least.exit_code, 0) << at_least.err;
  EXPECT_THAT(at_least.out, HasSubstr("k recommended by each rule (k >= 4)"));
  std::smatch chosen;
  std::string const text = at_least.out;
  std::regex const rule_line("\n    [a-z-]+ +k = (\\d+)");
  int rules = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), rule_line);
       it != std::sregex_iterator(); ++it, ++rules) {
    EXPECT_GE(std::stoi((*it)[1]), 4) << it->str();
  }
  EXPECT_EQ(rules, 5);

  RunResult const gap = run_on_cpu(dir, "segment select --input " + dir.file("rfm.csv") +
                                            " --k 2..6 --rule gap --gap-references 5");
  ASSERT_EQ(gap.exit_code, 0) << gap.err;
  EXPECT_THAT(gap.out, HasSubstr("5 uniform reference sets"));
  EXPECT_THAT(gap.out, HasSubstr(": the gap rule"));
  RunResult const no_gap = run_on_cpu(
      dir, "segment select --input " + dir.file("rfm.csv") + " --k 2..4 --gap-references 0");
  ASSERT_EQ(no_gap.exit_code, 0) << no_gap.err;
  EXPECT_THAT(no_gap.out, Not(HasSubstr("gap_s")));
  EXPECT_THAT(no_gap.out, HasSubstr("not computed (--gap-references 0)"));

  for (std::string const bad :
       {"--rule aic", "--min-k 9", "--min-k 0", "--rule gap --gap-references 0"}) {
    RunResult const refused =
        run_on_cpu(dir, "segment select --input " + dir.file("rfm.csv") + " --k 2..6 " + bad);
    EXPECT_EQ(refused.exit_code, 2) << bad;
    EXPECT_THAT(refused.err, HasSubstr(bad.substr(0, bad.find(' ')))) << bad;
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

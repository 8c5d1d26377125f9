// `cie segment` as a user runs it: fit, a model file, assign with the same clusters; refusals of
// mismatched or damaged models (exit 2) and of feature values k-means cannot use (exit 3).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using ::testing::HasSubstr;
using ::testing::Not;

using cie::testing::run_on_cpu;
using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;

/// An RFM-like table of three obvious groups of four customers: recent big spenders, middling
/// customers, and lapsed one-time buyers.
constexpr char kRfmTable[] =
    "customer_id,recency_days,frequency,transactions,monetary_total,segment\n"
    "c01,2,22,30,2100.5,Champions\n"
    "c02,4,25,31,2400,Champions\n"
    "c03,3,20,22,1990,Champions\n"
    "c04,5,24,28,2550,Loyal Customers\n"
    "c05,70,6,6,350,Loyal Customers\n"
    "c06,65,5,7,310,Need Attention\n"
    "c07,80,7,9,390,Loyal Customers\n"
    "c08,60,6,6,330,Need Attention\n"
    "c09,350,1,1,25,Lost\n"
    "c10,400,1,2,20,Lost\n"
    "c11,320,1,1,40,Hibernating\n"
    "c12,380,1,1,30,Lost\n";

/// customer_id -> cluster from an assignments file.
std::map<std::string, std::string> clusters_of(std::string const& csv) {
  std::map<std::string, std::string> clusters;
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "customer_id,cluster,cluster_name,distance");
  while (std::getline(lines, line)) {
    std::size_t const first = line.find(',');
    clusters[line.substr(0, first)] = line.substr(first + 1, line.find(',', first + 1) - first - 1);
  }
  return clusters;
}

TEST(SegmentCli, FitWritesAModelThatAssignReproduces) {
  cie::testing::TempDir dir;
  spit(dir.file("rfm.csv"), kRfmTable);
  RunResult const fit =
      run_on_cpu(dir, "segment fit --input " + dir.file("rfm.csv") + " --k 3 --model " +
                          dir.file("seg.json") + " --out " + dir.file("fit.csv"));
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.out, HasSubstr("k-means, k = 3, on cpu: 12 customers"));
  EXPECT_THAT(fit.out, HasSubstr("monetary_total (floor:0+log1p)"));
  EXPECT_THAT(fit.out, HasSubstr("silhouette exact on all 12 rows"));
  EXPECT_THAT(fit.out, HasSubstr("Champions 75.0%"));
  EXPECT_THAT(fit.out, HasSubstr("customers moved by Hartigan refinement"));
  std::string const model = slurp(dir.file("seg.json"));
  EXPECT_THAT(model, HasSubstr("\"kind\": \"kmeans\""));
  EXPECT_THAT(model, HasSubstr("\"refine\": \"hartigan\""));
  EXPECT_THAT(model, HasSubstr("\"checksum\""));

  RunResult const assign =
      run_on_cpu(dir, "segment assign --model " + dir.file("seg.json") + " --input " +
                          dir.file("rfm.csv") + " --out " + dir.file("clusters.csv"));
  ASSERT_EQ(assign.exit_code, 0) << assign.err;
  std::map<std::string, std::string> const trained = clusters_of(slurp(dir.file("fit.csv")));
  std::map<std::string, std::string> const assigned = clusters_of(slurp(dir.file("clusters.csv")));
  EXPECT_EQ(assigned, trained);
  ASSERT_EQ(assigned.size(), 12u);
  for (char const* group : {"c01 c02 c03 c04", "c05 c06 c07 c08", "c09 c10 c11 c12"}) {
    std::istringstream ids(group);
    std::string first;
    std::string id;
    ids >> first;
    while (ids >> id) EXPECT_EQ(assigned.at(id), assigned.at(first)) << group;
  }
  EXPECT_NE(assigned.at("c01"), assigned.at("c05"));
  EXPECT_NE(assigned.at("c05"), assigned.at("c09"));
}

TEST(SegmentCli, SelectReportsEveryKAndRecommendsOne) {
  cie::testing::TempDir dir;
  spit(dir.file("rfm.csv"), kRfmTable);
  RunResult const run =
      run_on_cpu(dir, "segment select --input " + dir.file("rfm.csv") + " --k 2..4");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("silhouette"));
  EXPECT_THAT(run.out, HasSubstr("davies_bouldin"));
  EXPECT_THAT(run.out, HasSubstr("calinski_harabasz"));
  EXPECT_THAT(run.out, HasSubstr("recommended k = 3: the highest silhouette"));
}

TEST(SegmentCli, ModelWhoseFeaturesAreMissingIsRefused) {
  cie::testing::TempDir dir;
  spit(dir.file("rfm.csv"), kRfmTable);
  ASSERT_EQ(run_on_cpu(dir, "segment fit --input " + dir.file("rfm.csv") + " --k 2 --model " +
                                dir.file("seg.json"))
                .exit_code,
            0);
  spit(dir.file("other.csv"), "customer_id,recency_days,frequency\nx,3,4\n");
  RunResult const run =
      run_on_cpu(dir, "segment assign --model " + dir.file("seg.json") + " --input " +
                          dir.file("other.csv") + " --out " + dir.file("clusters.csv"));
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_THAT(run.err, HasSubstr("column monetary_total is not in the header (needed by model"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("clusters.csv")));
}

TEST(SegmentCli, DamagedModelIsRefused) {
  cie::testing::TempDir dir;
  spit(dir.file("rfm.csv"), kRfmTable);
  ASSERT_EQ(run_on_cpu(dir, "segment fit --input " + dir.file("rfm.csv") + " --k 2 --model " +
                                dir.file("seg.json"))
                .exit_code,
            0);
  std::string model = slurp(dir.file("seg.json"));
  model.replace(model.find("\"n_clusters\": 2"), 15, "\"n_clusters\": 3");
  spit(dir.file("seg.json"), model);
  RunResult const run =
      run_on_cpu(dir, "segment assign --model " + dir.file("seg.json") + " --input " +
                          dir.file("rfm.csv") + " --out " + dir.file("clusters.csv"));
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_THAT(run.err, HasSubstr("seg.json is damaged: checksum mismatch (stored"));
}

TEST(SegmentCli, NaNInTheInputIsAnInputErrorNamingColumnAndRow) {
  cie::testing::TempDir dir;
  std::string table = kRfmTable;
  table.replace(table.find("c06,65,5,"), 9, "c06,65,nan,");
  spit(dir.file("rfm.csv"), table);
  RunResult const run = run_on_cpu(
      dir, "segment fit --input " + dir.file("rfm.csv") + " --k 3 --model " + dir.file("seg.json"));
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_THAT(run.err, HasSubstr("rfm.csv:7: column 3 (frequency): NaN is not allowed"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("seg.json")));
}

/// `table` with its first `from` replaced by `to`.
std::string replaced(std::string table, std::string const& from, std::string const& to) {
  table.replace(table.find(from), from.size(), to);
  return table;
}

TEST(SegmentCli, FeatureValuesMustBeNumbersAndPresent) {
  cie::testing::TempDir dir;
  std::string const fit =
      "segment fit --input " + dir.file("rfm.csv") + " --k 3 --model " + dir.file("seg.json");
  struct Case {
    std::string from, to, message;
  };
  for (Case const& bad : std::vector<Case>{
           {"c03,3,20,22,1990,", "c03,3,20,22,12abc,",
            "rfm.csv:4: column 5 (monetary_total): cannot parse the value (--show-values shows "
            "it) as a number"},
           {"c04,5,", "c04,inf,", "rfm.csv:5: column 2 (recency_days): Inf is not allowed"},
           {"c05,70,6,", "c05,70,,",
            "rfm.csv:6: column frequency: missing value, which k-means cannot use"},
           {"c05,70,6,", "c05,70,NA,",
            "rfm.csv:6: column frequency: missing value, which k-means cannot use"},
           {"c06,65,", "c07,65,",
            "rfm.csv:8: column 1 (customer_id): duplicate customer id (first on line 7)"}}) {
    spit(dir.file("rfm.csv"), replaced(kRfmTable, bad.from, bad.to));
    RunResult const run = run_on_cpu(dir, fit);
    EXPECT_EQ(run.exit_code, 3) << bad.to << ": " << run.err;
    EXPECT_THAT(run.err, HasSubstr(bad.message)) << bad.to;
    EXPECT_FALSE(std::filesystem::exists(dir.file("seg.json"))) << bad.to;
  }

  // assign applies the same rules to the customers it scores.
  spit(dir.file("rfm.csv"), kRfmTable);
  ASSERT_EQ(run_on_cpu(dir, fit).exit_code, 0);
  spit(dir.file("new.csv"), replaced(kRfmTable, "c12,380,", "c12,,"));
  RunResult const assign =
      run_on_cpu(dir, "segment assign --model " + dir.file("seg.json") + " --input " +
                          dir.file("new.csv") + " --out " + dir.file("clusters.csv"));
  EXPECT_EQ(assign.exit_code, 3) << assign.err;
  EXPECT_THAT(
      assign.err,
      HasSubstr("new.csv:13: column recency_days: missing value, which k-means cannot use"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("clusters.csv")));
}

TEST(SegmentCli, ColumnsItDoesNotUseMayHoldAnything) {
  cie::testing::TempDir dir;
  // transactions is not a feature: words and gaps there are fine; a missing segment name counts
  // in its cluster's size under no name.
  spit(dir.file("rfm.csv"), replaced(replaced(kRfmTable, "c01,2,22,30,", "c01,2,22,many,"),
                                     "c05,70,6,6,350,Loyal Customers", "c05,70,6,,350,"));
  RunResult const run =
      run_on_cpu(dir, "segment fit --input " + dir.file("rfm.csv") + " --k 3 --model " +
                          dir.file("seg.json") + " --out " + dir.file("fit.csv"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("Champions 75.0%"));
  EXPECT_THAT(run.out, HasSubstr("Need Attention 50.0%, Loyal Customers 25.0%"));
  EXPECT_EQ(clusters_of(slurp(dir.file("fit.csv"))).size(), 12u);

  // The revenue column is only profiled, but a gap there is still refused before any work.
  spit(dir.file("rfm.csv"), replaced(kRfmTable, "c09,350,1,1,25,", "c09,350,1,1,,"));
  RunResult const revenue = run_on_cpu(
      dir, "segment fit --input " + dir.file("rfm.csv") +
               " --k 3 --features recency_days,frequency --model " + dir.file("other.json"));
  EXPECT_EQ(revenue.exit_code, 3) << revenue.err;
  EXPECT_THAT(revenue.err, HasSubstr("rfm.csv:10: column monetary_total: missing value, which the "
                                     "revenue share cannot use"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("other.json")));
}

TEST(SegmentCli, BadOptionsAreUsageErrors) {
  cie::testing::TempDir dir;
  spit(dir.file("rfm.csv"), kRfmTable);
  std::string const input = "--input " + dir.file("rfm.csv");
  RunResult run =
      run_on_cpu(dir, "segment fit " + input + " --k 2..5 --model " + dir.file("m.json"));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("fit takes one k"));
  run = run_on_cpu(dir, "segment select " + input + " --transforms segment=log1p");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("segment is not one of the --features"));
  run = run_on_cpu(dir, "segment select " + input + " --features recency_days,age");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("column age is not in the header; its columns are: customer_id"));
  EXPECT_THAT(run.err, Not(HasSubstr("needed by")));
  run = run_on_cpu(
      dir, "segment fit " + input + " --k 3 --refine macqueen --model " + dir.file("m.json"));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("--refine: expected hartigan or none, got 'macqueen'"));
}

TEST(SegmentCli, CountsAreBoundedAndCheckedAgainstTheRowsBeforeAnyFit) {
  cie::testing::TempDir dir;
  spit(dir.file("rfm.csv"), kRfmTable);
  struct Case {
    std::string arguments;
    std::string message;
  };
  std::string const input = " --input " + dir.file("rfm.csv");
  for (Case const& c : std::vector<Case>{
           {"segment select --k 2..1000000" + input, "select fits at most 1000"},
           {"segment select --k 2..13" + input, "n_clusters (k) = 13 is more than the 12 rows"},
           {"segment select --k 2..3 --n-init 100000" + input, "n_init must be in [1, 1000]"},
           {"segment fit --k 2 --max-iter 0 --model " + dir.file("m.json") + input,
            "max_iter must be in [1, 1000000]"},
       }) {
    RunResult const result = run_on_cpu(dir, c.arguments);
    EXPECT_EQ(result.exit_code, 2) << c.arguments << "\n" << result.err;
    EXPECT_THAT(result.err, HasSubstr(c.message)) << c.arguments;
    // Refused before fitting: no line of results was printed.
    EXPECT_THAT(result.out, Not(HasSubstr("inertia"))) << c.arguments;
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

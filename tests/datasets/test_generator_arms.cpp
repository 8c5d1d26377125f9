// `cie gen --arms N` (GeneratorParams::arms): campaign_arms.csv and campaign_arms_truth.csv are
// the same for any thread count and block size, hold every group, and have the documented
// columns. tests/python/test_uplift_arms.py checks the effects against the truth.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/text_file.hpp"
#include "datasets/generator.hpp"
#include "tests/test_support.hpp"

namespace cie::datasets {
namespace CIE_TEST_FILE_ID {

/// The header of a CSV file and the value of column `column` of each data line.
std::vector<std::string> column_of(std::string const& path, std::size_t column,
                                   std::string& header) {
  std::ifstream in(path);
  std::getline(in, header);
  std::vector<std::string> values;
  for (std::string line; std::getline(in, line);) {
    std::size_t begin = 0;
    for (std::size_t i = 0; i < column; ++i) begin = line.find(',', begin) + 1;
    values.push_back(line.substr(begin, line.find(',', begin) - begin));
  }
  return values;
}

TEST(GeneratorArms, MultiArmFilesDoNotDependOnThreadsAndCoverEveryGroup) {
  std::vector<std::string> texts;
  for (int const threads : {1, 2}) {
    cie::testing::TempDir dir;
    GeneratorParams params;
    params.customers = 2001;
    params.block_customers = threads == 1 ? 65536 : 300;
    params.arms = 3;
    Context ctx = Context::cpu(threads, 5);
    GeneratorSummary const summary = generate_dataset(ctx, params, dir.path().string());
    EXPECT_EQ(summary.files.size(), 7u);  // the four CSVs, the two arm files, meta.json
    texts.push_back(read_text_file(dir.file("campaign_arms.csv")) +
                    read_text_file(dir.file("campaign_arms_truth.csv")));
    std::string header;
    std::map<std::string, int> groups;
    for (std::string const& group : column_of(dir.file("campaign_arms.csv"), 2, header)) {
      ++groups[group];
    }
    EXPECT_EQ(header,
              "customer_id,campaign,group,responded,revenue,contact_date,contact_channel,offer");
    ASSERT_EQ(groups.size(), 4u);
    int customers = 0;
    for (auto const& [group, count] : groups) {
      EXPECT_GT(count, 400) << group;  // 500 expected of each
      customers += count;
    }
    EXPECT_EQ(customers, 2001);
    EXPECT_EQ(groups.count("control"), 1u);
    EXPECT_EQ(groups.count("arm_3"), 1u);
    EXPECT_EQ(column_of(dir.file("campaign_arms_truth.csv"), 0, header).size(), 2001u);
    EXPECT_EQ(header,
              "customer_id,untreated_probability,true_uplift_arm_1,true_uplift_arm_2,"
              "true_uplift_arm_3");
  }
  EXPECT_TRUE(texts[0] == texts[1]);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::datasets

// The contact columns of the generated campaign histories (datasets/campaign_contacts.hpp):
// campaign.csv and campaign_arms.csv keep their columns first and add contact_date,
// contact_channel and offer; every date lies in the week from the campaign's as-of day, for the
// control too and alike in both groups; the channel and offer follow the stated rule per campaign
// and arm, and the control has neither. meta.json states the rules.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/context.hpp"
#include "core/date.hpp"
#include "core/text_file.hpp"
#include "datasets/generator.hpp"
#include "tests/datasets/generated_csv.hpp"
#include "tests/test_support.hpp"

namespace cie::datasets {
namespace CIE_TEST_FILE_ID {

class GeneratorContacts : public ::testing::Test {
 protected:
  static constexpr std::int64_t kCustomers = 6000;
  static void SetUpTestSuite() {
    dir_ = new cie::testing::TempDir();
    GeneratorParams params;
    params.customers = kCustomers;
    params.arms = 3;
    params.block_customers = 1000;
    Context ctx = Context::cpu(2, 31);
    as_of_ = generate_dataset(ctx, params, dir_->path().string()).as_of_day;
  }
  static void TearDownTestSuite() { delete dir_; }

  /// Checks the dates of column 5 and counts them per day offset, per group (column `group`).
  static void expect_dates_in_window(std::vector<std::vector<std::string>> const& rows,
                                     std::size_t group) {
    std::map<std::string, std::vector<int>> per_group;  // group -> count per offset
    for (auto const& row : rows) {
      ASSERT_EQ(row.size(), 8u);
      std::optional<std::int32_t> const day = parse_date(row[5]);
      ASSERT_TRUE(day.has_value()) << row[5];
      EXPECT_EQ(format_date(*day), row[5]);  // YYYY-MM-DD
      ASSERT_GE(*day, as_of_) << row[5];
      ASSERT_LE(*day, as_of_ + 6) << row[5];
      std::vector<int>& counts = per_group[row[group]];
      counts.resize(7);
      ++counts[static_cast<std::size_t>(*day - as_of_)];
    }
    // Uniform over the 7 days in every group, the control included: each day within 5
    // standard deviations of its expected count.
    for (auto const& [name, counts] : per_group) {
      double total = 0;
      for (int count : counts) total += count;
      double const expected = total / 7.0;
      for (std::size_t offset = 0; offset < counts.size(); ++offset) {
        EXPECT_NEAR(counts[offset], expected, 5.0 * std::sqrt(expected * 6.0 / 7.0))
            << name << " day +" << offset;
      }
    }
  }

  static cie::testing::TempDir* dir_;
  static std::int32_t as_of_;
};
cie::testing::TempDir* GeneratorContacts::dir_ = nullptr;
std::int32_t GeneratorContacts::as_of_ = 0;

TEST_F(GeneratorContacts, CampaignHasContactColumnsAfterTheOldOnes) {
  std::string header;
  auto const rows = cie::testing::read_generated_csv(dir_->file("campaign.csv"), header);
  EXPECT_EQ(header,
            "customer_id,campaign,treated,responded,revenue,contact_date,contact_channel,offer");
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(kCustomers));
  expect_dates_in_window(rows, 2);
}

TEST_F(GeneratorContacts, CampaignChannelFollowsOptInAndControlGetsNothing) {
  std::string header;
  auto const rows = cie::testing::read_generated_csv(dir_->file("campaign.csv"), header);
  auto const customers = cie::testing::read_generated_csv(dir_->file("customers.csv"), header);
  ASSERT_EQ(header, "customer_id,age,region,channel,email_opt_in,signup_date");
  ASSERT_EQ(customers.size(), rows.size());
  std::map<std::string, int> channels;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto const& row = rows[i];
    ASSERT_EQ(row[0], customers[i][0]);
    EXPECT_EQ(row[1], "winter_offer");
    if (row[2] == "1") {
      EXPECT_EQ(row[6], customers[i][4] == "1" ? "email" : "mail") << row[0];
      EXPECT_EQ(row[7], "15pct_off") << row[0];
      ++channels[row[6]];
    } else {
      ASSERT_EQ(row[2], "0");
      EXPECT_EQ(row[6], "") << row[0];
      EXPECT_EQ(row[7], "") << row[0];
    }
  }
  EXPECT_GT(channels["email"], 1000);  // 60% of about 3,000 treated opted in
  EXPECT_GT(channels["mail"], 800);
}

TEST_F(GeneratorContacts, EachArmHasOneChannelAndItsOwnOffer) {
  std::string header;
  auto const rows = cie::testing::read_generated_csv(dir_->file("campaign_arms.csv"), header);
  EXPECT_EQ(header,
            "customer_id,campaign,group,responded,revenue,contact_date,contact_channel,offer");
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(kCustomers));
  expect_dates_in_window(rows, 2);
  std::map<std::string, std::set<std::pair<std::string, std::string>>> pairs;
  for (auto const& row : rows) pairs[row[2]].insert({row[6], row[7]});
  ASSERT_EQ(pairs.size(), 4u);
  using Pair = std::pair<std::string, std::string>;
  EXPECT_EQ(pairs["control"], (std::set<Pair>{{"", ""}}));
  EXPECT_EQ(pairs["arm_1"], (std::set<Pair>{{"mail", "10pct_off"}}));
  EXPECT_EQ(pairs["arm_2"], (std::set<Pair>{{"email", "free_shipping"}}));
  EXPECT_EQ(pairs["arm_3"], (std::set<Pair>{{"mail", "20pct_off"}}));
}

TEST_F(GeneratorContacts, ContactDatesOfTheTwoCampaignsAreDrawnApart) {
  // Each campaign's dates come from its own stream: they agree for about 1/7 of customers.
  std::string header;
  auto const single = cie::testing::read_generated_csv(dir_->file("campaign.csv"), header);
  auto const arms = cie::testing::read_generated_csv(dir_->file("campaign_arms.csv"), header);
  int same = 0;
  for (std::size_t i = 0; i < single.size(); ++i) same += single[i][5] == arms[i][5] ? 1 : 0;
  EXPECT_NEAR(same, kCustomers / 7.0, 5.0 * std::sqrt(kCustomers / 7.0 * 6.0 / 7.0));
}

TEST_F(GeneratorContacts, MetaStatesTheContactRules) {
  auto const meta = nlohmann::json::parse(read_text_file(dir_->file("meta.json")));
  std::string const first = format_date(as_of_);
  std::string const last = format_date(as_of_ + 6);
  auto const& contacts = meta["campaign"]["contacts"];
  EXPECT_NE(contacts["contact_dates"].get<std::string>().find(first + " .. " + last),
            std::string::npos);
  EXPECT_NE(contacts["offer"].get<std::string>().find("15pct_off"), std::string::npos);
  auto const& arms = meta["multi_arm_campaign"];
  EXPECT_EQ(arms["contact_channel"]["arm_2"], "email");
  EXPECT_EQ(arms["offer"]["arm_3"], "20pct_off");
  EXPECT_NE(arms["contact_dates"].get<std::string>().find(first + " .. " + last),
            std::string::npos);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::datasets

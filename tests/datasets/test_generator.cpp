// The synthetic data generator: determinism, the statistics of what it writes, and the promise
// that campaign_truth.csv holds exactly the logistic function of RFM features stated in
// meta.json.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "core/context.hpp"
#include "core/date.hpp"
#include "core/error.hpp"
#include "core/text_file.hpp"
#include "datasets/generator.hpp"
#include "tests/datasets/generated_csv.hpp"
#include "tests/test_support.hpp"

namespace cie::datasets {
namespace CIE_TEST_FILE_ID {

namespace fs = std::filesystem;

constexpr char const* kFiles[] = {"transactions.csv", "customers.csv", "campaign.csv",
                                  "campaign_truth.csv", "meta.json"};

using cie::testing::TempDir;

GeneratorSummary generate(fs::path const& dir, std::int64_t customers, std::uint64_t seed,
                          int threads, std::int64_t block_customers) {
  GeneratorParams params;
  params.customers = customers;
  params.block_customers = block_customers;
  Context ctx = Context::cpu(threads, seed);
  return generate_dataset(ctx, params, dir.string());
}

void expect_same_files(TempDir const& a, TempDir const& b) {
  for (char const* name : kFiles) {
    std::string const left = read_text_file(a.file(name));
    EXPECT_FALSE(left.empty()) << name;
    EXPECT_TRUE(left == read_text_file(b.file(name))) << name << " differs";
  }
}

TEST(GeneratorDeterminism, SameSeedGivesIdenticalFiles) {
  TempDir first;
  TempDir second;
  generate(first.path(), 3000, 11, 2, 512);
  generate(second.path(), 3000, 11, 2, 512);
  expect_same_files(first, second);
}

TEST(GeneratorDeterminism, ThreadCountAndBlockSizeDoNotChangeTheFiles) {
  TempDir one_thread;
  TempDir two_threads;
  generate(one_thread.path(), 3001, 11, 1, 65536);
  generate(two_threads.path(), 3001, 11, 2, 257);
  expect_same_files(one_thread, two_threads);
}

TEST(GeneratorDeterminism, DifferentSeedsGiveDifferentData) {
  TempDir first;
  TempDir second;
  generate(first.path(), 2000, 11, 2, 512);
  generate(second.path(), 2000, 12, 2, 512);
  for (char const* name : {"transactions.csv", "customers.csv", "campaign_truth.csv"}) {
    EXPECT_NE(read_text_file(first.file(name)), read_text_file(second.file(name))) << name;
  }
}

/// One data set of 20k customers shared by the statistical tests.
class GeneratorStatistics : public ::testing::Test {
 protected:
  static constexpr std::int64_t kCustomers = 20000;
  static constexpr std::uint64_t kSeed = 2024;

  static void SetUpTestSuite() {
    dir_ = new TempDir();
    summary_ = new GeneratorSummary(generate(dir_->path(), kCustomers, kSeed, 2, 4096));
    std::string header;
    transactions_ =
        new Table(cie::testing::read_generated_csv(dir_->file("transactions.csv"), header));
    EXPECT_EQ(header, "customer_id,date,amount");
    customers_ = new Table(cie::testing::read_generated_csv(dir_->file("customers.csv"), header));
    EXPECT_EQ(header, "customer_id,age,region,channel,email_opt_in,signup_date");
    campaign_ = new Table(cie::testing::read_generated_csv(dir_->file("campaign.csv"), header));
    EXPECT_EQ(header,
              "customer_id,campaign,treated,responded,revenue,contact_date,contact_channel,offer");
    truth_ = new Table(cie::testing::read_generated_csv(dir_->file("campaign_truth.csv"), header));
    EXPECT_EQ(header, "customer_id,true_probability");
    meta_ = new nlohmann::json(nlohmann::json::parse(read_text_file(dir_->file("meta.json"))));
  }
  static void TearDownTestSuite() {
    delete meta_;
    delete truth_;
    delete campaign_;
    delete customers_;
    delete transactions_;
    delete summary_;
    delete dir_;
  }

  using Table = std::vector<std::vector<std::string>>;
  static std::int32_t day(std::string const& date) {
    auto parsed = parse_date(date);
    EXPECT_TRUE(parsed.has_value()) << date;
    return parsed.value_or(0);
  }

  static TempDir* dir_;
  static GeneratorSummary* summary_;
  static Table* transactions_;
  static Table* customers_;
  static Table* campaign_;
  static Table* truth_;
  static nlohmann::json* meta_;
};
TempDir* GeneratorStatistics::dir_ = nullptr;
GeneratorSummary* GeneratorStatistics::summary_ = nullptr;
GeneratorStatistics::Table* GeneratorStatistics::transactions_ = nullptr;
GeneratorStatistics::Table* GeneratorStatistics::customers_ = nullptr;
GeneratorStatistics::Table* GeneratorStatistics::campaign_ = nullptr;
GeneratorStatistics::Table* GeneratorStatistics::truth_ = nullptr;
nlohmann::json* GeneratorStatistics::meta_ = nullptr;

TEST_F(GeneratorStatistics, CountsMatchTheFilesAndTheExpectedVolume) {
  auto const rows = static_cast<std::int64_t>(transactions_->size());
  EXPECT_EQ(summary_->transaction_rows, rows);
  EXPECT_EQ((*meta_)["files"]["transactions.csv"]["rows"].get<std::int64_t>(), rows);
  EXPECT_EQ(customers_->size(), static_cast<std::size_t>(kCustomers));
  EXPECT_EQ(campaign_->size(), static_cast<std::size_t>(kCustomers));
  EXPECT_EQ(truth_->size(), static_cast<std::size_t>(kCustomers));
  double const rows_per_customer = static_cast<double>(rows) / kCustomers;
  EXPECT_GT(rows_per_customer, 8.5);
  EXPECT_LT(rows_per_customer, 11.5);
  EXPECT_EQ((*meta_)["seed"].get<std::uint64_t>(), kSeed);
  EXPECT_EQ((*meta_)["start_date"], "2024-01-01");
  EXPECT_EQ((*meta_)["period_end"], "2025-12-31");
  EXPECT_EQ((*meta_)["campaign_as_of"], "2026-01-01");
}

TEST_F(GeneratorStatistics, IdsAreFixedWidthAndInOrder) {
  for (std::size_t i = 0; i < customers_->size(); ++i) {
    std::string const expected = fmt::format("C{:08d}", i + 1);
    ASSERT_EQ((*customers_)[i][0], expected);
    ASSERT_EQ((*campaign_)[i][0], expected);
    ASSERT_EQ((*truth_)[i][0], expected);
  }
}

TEST_F(GeneratorStatistics, TransactionsAreWellFormedGroupedAndInsideThePeriod) {
  std::map<std::string, std::int32_t> signup;
  for (auto const& row : *customers_) signup[row[0]] = day(row[5]);
  std::int32_t const start = days_from_civil(2024, 1, 1);
  std::int32_t const end = start + 731;  // exclusive
  std::set<std::string> seen;
  std::string current;
  std::int32_t previous_day = 0;
  double largest_purchase = 0.0;
  std::int64_t purchases = 0;
  std::int64_t returns = 0;
  for (auto const& row : *transactions_) {
    ASSERT_EQ(row.size(), 3u);
    std::string const& amount = row[2];
    std::size_t const point = amount.find('.');
    ASSERT_NE(point, std::string::npos) << amount;
    ASSERT_EQ(amount.size() - point - 1, 2u) << amount;
    double const value = std::stod(amount);
    ASSERT_NE(value, 0.0) << amount;
    std::int32_t const d = day(row[1]);
    ASSERT_GE(d, start) << row[1];
    ASSERT_LT(d, end) << row[1];
    if (row[0] != current) {
      ASSERT_TRUE(seen.insert(row[0]).second) << "rows of " << row[0] << " are split";
      ASSERT_TRUE(signup.count(row[0])) << row[0] << " missing from customers.csv";
      // Every customer exists because of a purchase on its acquisition (signup) day.
      ASSERT_EQ(d, signup[row[0]]) << row[0];
      ASSERT_GT(value, 0.0) << row[0];
      current = row[0];
      largest_purchase = 0.0;
    } else {
      ASSERT_GE(d, previous_day) << row[0] << " rows are not in date order";
    }
    previous_day = d;
    if (value > 0.0) {
      ++purchases;
      largest_purchase = std::max(largest_purchase, value);
    } else {
      ++returns;
      ASSERT_LE(-value, largest_purchase) << row[0] << " returns more than it bought";
    }
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kCustomers));
  EXPECT_EQ(summary_->purchase_rows, purchases);
  EXPECT_EQ(summary_->return_rows, returns);
  // 4% of purchases are returned; the few returns that would fall after the period are dropped.
  double const return_share = static_cast<double>(returns) / static_cast<double>(purchases);
  EXPECT_GT(return_share, 0.034);
  EXPECT_LT(return_share, 0.042);
}

TEST_F(GeneratorStatistics, AttributesAreInTheirDomains) {
  std::set<std::string> const regions(kRegions.begin(), kRegions.end());
  std::set<std::string> const channels(kChannels.begin(), kChannels.end());
  double email = 0.0;
  for (auto const& row : *customers_) {
    ASSERT_EQ(row.size(), 6u);
    int const age = std::stoi(row[1]);
    ASSERT_GE(age, 18);
    ASSERT_LE(age, 90);
    ASSERT_TRUE(regions.count(row[2])) << row[2];
    ASSERT_TRUE(channels.count(row[3])) << row[3];
    ASSERT_TRUE(row[4] == "0" || row[4] == "1") << row[4];
    email += row[4] == "1" ? 1.0 : 0.0;
  }
  EXPECT_NEAR(email / kCustomers, 0.6, 0.02);
}

TEST_F(GeneratorStatistics, CampaignResponseMatchesTheTrueProbabilities) {
  double probability_sum = 0.0;
  double variance_sum = 0.0;
  std::int64_t responders = 0;
  std::int64_t treated = 0;
  for (std::size_t i = 0; i < campaign_->size(); ++i) {
    auto const& row = (*campaign_)[i];
    ASSERT_EQ(row.size(), 8u);
    ASSERT_EQ(row[1], "winter_offer");
    double const probability = std::stod((*truth_)[i][1]);
    ASSERT_GT(probability, 0.0);
    ASSERT_LT(probability, 1.0);
    probability_sum += probability;
    variance_sum += probability * (1.0 - probability);
    bool const responded = row[3] == "1";
    ASSERT_TRUE(responded || row[3] == "0");
    ASSERT_TRUE(row[2] == "0" || row[2] == "1");
    treated += row[2] == "1" ? 1 : 0;
    responders += responded ? 1 : 0;
    double const revenue = std::stod(row[4]);
    if (responded) {
      ASSERT_GT(revenue, 0.0) << row[0];
    } else {
      ASSERT_EQ(row[4], "0.00") << row[0];
    }
  }
  double const expected = probability_sum / kCustomers;
  double const standard_error = std::sqrt(variance_sum) / kCustomers;
  double const rate = static_cast<double>(responders) / kCustomers;
  EXPECT_NEAR(rate, expected, 4.0 * standard_error);
  EXPECT_GT(expected, 0.05);
  EXPECT_LT(expected, 0.15);
  EXPECT_NEAR(static_cast<double>(treated) / kCustomers, 0.5, 4.0 * std::sqrt(0.25 / kCustomers));
  EXPECT_EQ(summary_->responders, responders);
  EXPECT_EQ(summary_->treated, treated);
}

// Recomputes F, R and M from transactions.csv as an RFM pass would (F and R from purchases only)
// and evaluates the formula stated in meta.json with its coefficients: it must give the
// probabilities of campaign_truth.csv. This is what lets a propensity model be judged against the
// truth.
TEST_F(GeneratorStatistics, MetaFormulaReproducesTheTrueProbabilities) {
  struct Rfm {
    double frequency = 0.0;
    std::int32_t last_day = 0;
    std::string last_date;
    double monetary = 0.0;
  };
  std::map<std::string, Rfm> rfm;
  for (auto const& row : *transactions_) {
    Rfm& customer = rfm[row[0]];
    double const amount = std::stod(row[2]);
    // Returns (negative amounts) are money, not purchases: F and R count purchase days only.
    if (amount > 0 && row[1] != customer.last_date) {
      customer.frequency += 1.0;
      customer.last_date = row[1];
      customer.last_day = day(row[1]);
    }
    customer.monetary += amount;
  }
  auto const& model = (*meta_)["campaign"]["response_model"]["coefficients"];
  std::int32_t const as_of = day((*meta_)["campaign_as_of"].get<std::string>());
  double worst = 0.0;
  for (std::size_t i = 0; i < customers_->size(); ++i) {
    auto const& attributes = (*customers_)[i];
    Rfm const& customer = rfm.at(attributes[0]);
    double const email = attributes[4] == "1" ? 1.0 : 0.0;
    double const treated = (*campaign_)[i][2] == "1" ? 1.0 : 0.0;
    double const logit =
        model["intercept"].get<double>() +
        model["log1p_frequency"].get<double>() * std::log1p(customer.frequency) +
        model["log1p_recency"].get<double>() * std::log1p(as_of - customer.last_day) +
        model["log1p_monetary"].get<double>() * std::log1p(std::max(customer.monetary, 0.0)) +
        model["age_per_15_years"].get<double>() * (std::stoi(attributes[1]) - 45) / 15.0 +
        model["region"][attributes[2]].get<double>() + model["email_opt_in"].get<double>() * email +
        treated *
            (model["uplift"].get<double>() + model["uplift_email_opt_in"].get<double>() * email);
    double const probability = 1.0 / (1.0 + std::exp(-logit));
    double const truth = std::stod((*truth_)[i][1]);
    worst = std::max(worst, std::fabs(probability - truth));
    ASSERT_NEAR(probability, truth, 1e-9) << attributes[0];
  }
  EXPECT_LT(worst, 1e-9);
}

TEST(GeneratorParams, DefaultsAreValid) { EXPECT_NO_THROW(GeneratorParams{}.validate()); }

TEST(GeneratorParams, InvalidValuesAreUsageErrorsNamingTheField) {
  struct Case {
    std::string field;
    std::function<void(GeneratorParams&)> spoil;
  };
  std::vector<Case> const cases = {
      {"customers", [](GeneratorParams& p) { p.customers = 0; }},
      {"start_day", [](GeneratorParams& p) { p.start_day = -30000; }},
      {"period_days", [](GeneratorParams& p) { p.period_days = 0; }},
      {"purchase_rate_shape_r", [](GeneratorParams& p) { p.purchase_rate_shape_r = 0.0; }},
      {"purchase_rate_alpha", [](GeneratorParams& p) { p.purchase_rate_alpha = -1.0; }},
      {"purchases expected", [](GeneratorParams& p) { p.purchase_rate_alpha = 1e-3; }},
      {"dropout_rate_shape_s", [](GeneratorParams& p) { p.dropout_rate_shape_s = NAN; }},
      {"dropout_rate_beta", [](GeneratorParams& p) { p.dropout_rate_beta = 0.0; }},
      {"spend_shape_p", [](GeneratorParams& p) { p.spend_shape_p = 0.0; }},
      {"spend_rate_shape_q", [](GeneratorParams& p) { p.spend_rate_shape_q = 1.0; }},
      {"spend_rate_gamma", [](GeneratorParams& p) { p.spend_rate_gamma = INFINITY; }},
      {"return_probability", [](GeneratorParams& p) { p.return_probability = 1.5; }},
      {"return_full_share", [](GeneratorParams& p) { p.return_full_share = -0.1; }},
      {"return_max_delay_days", [](GeneratorParams& p) { p.return_max_delay_days = 0; }},
      {"campaign_name", [](GeneratorParams& p) { p.campaign_name = "a,b"; }},
      {"treated_share", [](GeneratorParams& p) { p.treated_share = 2.0; }},
      {"arms", [](GeneratorParams& p) { p.arms = 1; }},
      {"arms", [](GeneratorParams& p) { p.arms = 10; }},
      {"response.uplift", [](GeneratorParams& p) { p.response.uplift = NAN; }},
      {"response.region[4]", [](GeneratorParams& p) { p.response.region[4] = INFINITY; }},
      {"block_customers", [](GeneratorParams& p) { p.block_customers = 0; }},
  };
  for (Case const& c : cases) {
    GeneratorParams params;
    c.spoil(params);
    try {
      params.validate();
      ADD_FAILURE() << c.field << ": no error";
    } catch (Error const& error) {
      EXPECT_EQ(error.code(), ExitCode::kUsage) << c.field;
      EXPECT_NE(std::string(error.what()).find(c.field), std::string::npos)
          << c.field << ": " << error.what();
    }
  }
}

TEST(GeneratorParams, InvalidParamsWriteNothing) {
  TempDir dir;
  GeneratorParams params;
  params.customers = -5;
  Context ctx = Context::cpu(1, 1);
  EXPECT_THROW(generate_dataset(ctx, params, dir.file("out")), Error);
  EXPECT_FALSE(fs::exists(dir.file("out")));
}

/// Runs the `cie` binary through the shell with stdout and stderr into `log`; its exit code.
int run_cie(std::string const& arguments, std::string const& log) {
  std::string const command =
      std::string(CIE_BINARY) + " --log-level error " + arguments + " >" + log + " 2>&1";
  int const status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(GeneratorCommand, WritesTheFilesAndASummary) {
  TempDir dir;
  std::string const out = dir.file("out");
  std::string const log = dir.file("log");
  // --seed after the subcommand reaches the global options (CLI11 fallthrough).
  ASSERT_EQ(run_cie("gen --customers 500 --days 365 --start 2023-03-01 --seed 3 --out " + out, log),
            0)
      << read_text_file(log);
  std::string const output = read_text_file(log);
  EXPECT_NE(output.find("customers          500"), std::string::npos) << output;
  EXPECT_NE(output.find("campaign as of     2024-02-29"), std::string::npos) << output;
  for (char const* name : kFiles) {
    EXPECT_NE(output.find(name), std::string::npos) << name << " not reported";
    EXPECT_TRUE(fs::exists(dir.file("out/") + name)) << name;
  }
  auto const meta = nlohmann::json::parse(read_text_file(out + "/meta.json"));
  EXPECT_EQ(meta["seed"], 3);
  EXPECT_EQ(meta["customers"], 500);
  EXPECT_EQ(meta["period_end"], "2024-02-28");
}

TEST(GeneratorCommand, BadValuesAreUsageErrorsAndWriteNothing) {
  TempDir dir;
  std::string const out = dir.file("out");
  std::string const log = dir.file("log");
  for (std::string const& arguments :
       {std::string("gen --customers 0 --out "), std::string("gen --customers 10 --days 0 --out "),
        std::string("gen --customers 10 --start 2023-02-30 --out ")}) {
    EXPECT_EQ(run_cie(arguments + out, log), 2) << arguments << read_text_file(log);
    EXPECT_NE(read_text_file(log).find("cie: error:"), std::string::npos) << read_text_file(log);
  }
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::datasets

// The nightly [offers] stage, end to end through `cie run`: it reads the columns the earlier
// stages computed (a propensity score, P(alive) and CLV, the k-means cluster) with the RFM
// segment and an attribute, and publishes exactly the assignments and summary `cie offers assign`
// computes from the published customers file; the history's recent contacts get nothing. A bad
// catalogue is refused before any work (exit 2), a bad history stops the run after the scoring
// (exit 3), and a stage column clashing with an attribute is refused: each leaves the previous
// outputs as they were.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <set>

#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

namespace fs = std::filesystem;
using cie::testing::lines_of;
using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;
using ::testing::HasSubstr;

using cie::testing::run_quietly;

std::string const kCatalog = R"(seed = 7
max_contacts_per_run = 2
min_days_between = 3
budget = 400.0
[[window]]
days = 30
max_contacts = 3
[[channel]]
name = "email"
[[channel]]
name = "sms"
capacity = 300
[[offer]]
name = "spring"
channel = "email"
cost = 0.02
response_column = "response_probability"
value = 12.0
control_share = 0.1
eligible = [{ column = "email_opt_in", min = 1 }]
[[offer]]
name = "gift"
channel = "sms"
cost = 0.5
response_column = "response_probability"
value_column = "clv"
max_volume = 200
eligible = [{ column = "cluster", max = 1 }]
[[offer]]
name = "winback"
channel = "sms"
cost = 0.1
response_column = "p_alive"
value = 5.0
eligible = [{ column = "segment", levels = ["At Risk", "About To Sleep", "Hibernating", "Lost"] }]
)";

/// Every file of `directory` (recursively) with its content.
std::map<std::string, std::string> files_of(std::string const& directory) {
  std::map<std::string, std::string> files;
  for (auto const& entry : fs::recursive_directory_iterator(directory)) {
    if (entry.is_regular_file()) {
      files[fs::relative(entry.path(), directory).string()] = slurp(entry.path().string());
    }
  }
  return files;
}

/// Generated data, a propensity model and a CLV model, a catalogue and a history of contacts.
class NightlyOffers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new cie::testing::TempDir();
    std::string const d = dir_->path().string();
    for (std::string const& arguments :
         {"gen --customers 3000 --seed 11 --out " + d + "/data",
          "rfm --transactions " + d + "/data/transactions.csv --as-of 2026-01-01 --out " + d +
              "/rfm.csv",
          "propensity train --table " + d + "/data/campaign.csv --table " + d +
              "/data/customers.csv --table " + d +
              "/rfm.csv --target responded --features recency_days,frequency,monetary_total,age,"
              "email_opt_in --model " +
              d + "/prop.json",
          "clv fit --transactions " + d +
              "/data/transactions.csv --calibration-end 2025-09-30 --spend gamma-gamma --model " +
              d + "/clv.json"}) {
      RunResult const result = run_quietly(*dir_, arguments);
      ASSERT_EQ(result.exit_code, 0) << arguments << "\n" << result.err;
    }
    spit(d + "/catalog.toml", kCatalog);
    // The first 40 customers were mailed: 20 two days before the run (blocked by the 3-day gap),
    // 20 a month earlier (free again).
    std::vector<std::string> const customers = lines_of(slurp(d + "/data/customers.csv"));
    std::string history = "customer_id,date,channel,offer\n";
    for (std::size_t i = 1; i <= 40; ++i) {
      std::string const id = customers[i].substr(0, customers[i].find(','));
      if (i <= 20) recent_->insert(id);
      history += id + (i <= 20 ? ",2025-12-30" : ",2025-11-20") + ",email,spring\n";
    }
    spit(d + "/contacts.csv", history);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
    recent_->clear();
  }

  /// The nightly configuration with [offers] over `catalog` and `history`, into `output`.
  static std::string config(std::string const& catalog, std::string const& history,
                            std::string const& output, std::string const& attributes = "") {
    std::string const d = dir_->path().string();
    return "[run]\nas_of = \"2026-01-01\"\nseed = 42\n\n[inputs]\ntransactions = \"" + d +
           "/data/transactions.csv\"\nattributes = \"" +
           (attributes.empty() ? d + "/data/customers.csv" : attributes) +
           "\"\n\n[segments]\nretrain = true\nk = 3\n\n[[propensity]]\nname = \"response\"\n"
           "model = \"" +
           d + "/prop.json\"\n\n[clv]\nmodel = \"" + d + "/clv.json\"\n\n[offers]\ncatalog = \"" +
           catalog + "\"\nhistory = \"" + history + "\"\n\n[output]\ndirectory = \"" + output +
           "\"\n";
  }

  static cie::testing::TempDir* dir_;
  static std::set<std::string>* recent_;
};

cie::testing::TempDir* NightlyOffers::dir_ = nullptr;
std::set<std::string>* NightlyOffers::recent_ = new std::set<std::string>();

TEST_F(NightlyOffers, PublishesWhatOffersAssignComputesFromThePublishedColumns) {
  std::string const d = dir_->path().string();
  spit(d + "/nightly.toml", config(d + "/catalog.toml", d + "/contacts.csv", d + "/out"));
  RunResult const run = run_quietly(*dir_, "run " + d + "/nightly.toml");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_TRUE(fs::exists(d + "/out/assignments.csv"));
  ASSERT_TRUE(fs::exists(d + "/out/offers_summary.json"));

  // The same decision from the published scores, the attributes and the same seed.
  RunResult const assign = run_quietly(
      *dir_, "--seed 42 offers assign --customers " + d + "/out/customers.csv --customers " + d +
                 "/data/customers.csv --catalog " + d + "/catalog.toml --history " + d +
                 "/contacts.csv --as-of 2026-01-01 --out " + d + "/assign.csv --summary " + d +
                 "/assign.json");
  ASSERT_EQ(assign.exit_code, 0) << assign.err;
  std::string const published = slurp(d + "/out/assignments.csv");
  EXPECT_EQ(published, slurp(d + "/assign.csv"));
  std::vector<std::string> const rows = lines_of(published);
  ASSERT_GT(rows.size(), 100u);
  EXPECT_EQ(rows[0], "customer_id,offer,channel,expected_value,rank");

  nlohmann::json const nightly = nlohmann::json::parse(slurp(d + "/out/offers_summary.json"));
  nlohmann::json const command = nlohmann::json::parse(slurp(d + "/assign.json"));
  for (char const* key : {"customers", "contacts", "expected_value", "dual_bound", "gap",
                          "budget_used", "offers", "channels", "suppressed"}) {
    EXPECT_EQ(nightly[key], command[key]) << key;
  }
  EXPECT_EQ(nightly["contacts"].get<std::size_t>(), rows.size() - 1);
  EXPECT_EQ(nightly["as_of"], "2026-01-01");
  EXPECT_GT(nightly["suppressed"]["min_days_between"].get<std::int64_t>(), 0);
  // Every offer was given and the capacities held.
  std::map<std::string, std::int64_t> per_offer;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    std::string const id = rows[i].substr(0, rows[i].find(','));
    EXPECT_FALSE(recent_->contains(id)) << "contacted 2 days after a contact: line " << i;
    ++per_offer[rows[i].substr(id.size() + 1, rows[i].find(',', id.size() + 1) - id.size() - 1)];
  }
  EXPECT_EQ(per_offer.size(), 3u);
  EXPECT_LE(per_offer["gift"], 200);
  EXPECT_LE(per_offer["gift"] + per_offer["winback"], 300);
  EXPECT_LE(nightly["budget_used"].get<double>(), 400.0 + 1e-9);

  nlohmann::json const report = nlohmann::json::parse(slurp(d + "/out/run_report.json"));
  EXPECT_EQ(report["offers"]["contacts"], nightly["contacts"]);
  EXPECT_THAT(run.out, HasSubstr("offers as of 2026-01-01: " + std::to_string(rows.size() - 1) +
                                 " contacts"));
  EXPECT_EQ(report["offers"]["assignments"], "assignments.csv");
}

TEST_F(NightlyOffers, BadCatalogueHistoryOrColumnLeavesThePreviousOutputs) {
  std::string const d = dir_->path().string();
  std::string const out = d + "/out_failures";
  spit(d + "/good.toml", config(d + "/catalog.toml", d + "/contacts.csv", out));
  RunResult const first = run_quietly(*dir_, "run " + d + "/good.toml");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::map<std::string, std::string> const previous = files_of(out);
  ASSERT_TRUE(previous.contains("assignments.csv"));

  // A catalogue naming a column no table or stage has: refused before any work.
  std::string unknown_column = kCatalog;
  unknown_column.replace(unknown_column.find("\"p_alive\""), 9, "\"p_churn\"");
  spit(d + "/unknown_column.toml", unknown_column);
  spit(d + "/bad.toml", config(d + "/unknown_column.toml", d + "/contacts.csv", out));
  RunResult result = run_quietly(*dir_, "run " + d + "/bad.toml");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("the offer catalogue " + d +
                                    "/unknown_column.toml needs "
                                    "column p_churn"));
  EXPECT_THAT(result.err, HasSubstr("the earlier stages compute: "));
  EXPECT_EQ(files_of(out), previous);

  // A catalogue with a misspelt key: refused with its file and line.
  std::string misspelt = kCatalog;
  misspelt.replace(misspelt.find("max_volume"), 10, "max_volumes");
  spit(d + "/misspelt.toml", misspelt);
  spit(d + "/bad.toml", config(d + "/misspelt.toml", d + "/contacts.csv", out));
  result = run_quietly(*dir_, "run " + d + "/bad.toml");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("[offers] catalog: " + d + "/misspelt.toml:"));
  EXPECT_THAT(result.err, HasSubstr("max_volumes"));
  EXPECT_EQ(files_of(out), previous);

  // A history with a date that does not parse: found after the scoring, nothing published.
  std::string history = slurp(d + "/contacts.csv");
  history.replace(history.find("2025-11-20"), 10, "2025-13-20");
  spit(d + "/bad_contacts.csv", history);
  spit(d + "/bad.toml", config(d + "/catalog.toml", d + "/bad_contacts.csv", out));
  result = run_quietly(*dir_, "run " + d + "/bad.toml");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.err, HasSubstr("bad_contacts.csv:22: column date"));
  EXPECT_EQ(files_of(out), previous);

  // An attributes column with the name of a stage's column: refused before any work.
  std::string attributes = slurp(d + "/data/customers.csv");
  std::vector<std::string> lines = lines_of(attributes);
  attributes.clear();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    attributes += lines[i] + (i == 0 ? ",p_alive\n" : ",0.5\n");
  }
  spit(d + "/clashing.csv", attributes);
  spit(d + "/bad.toml", config(d + "/catalog.toml", d + "/contacts.csv", out, d + "/clashing.csv"));
  result = run_quietly(*dir_, "run " + d + "/bad.toml");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("[clv] computes a column p_alive, which the attributes file"));
  EXPECT_EQ(files_of(out), previous);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

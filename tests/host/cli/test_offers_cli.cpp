// `cie offers assign`: the assignments file and summary on a small table, and bad input: a
// catalogue naming a missing column, a bad history date, an output that is an input, a bad
// --as-of (clear messages naming file and line, exit codes 2 and 3, no customer values).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include "core/pseudonymize.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char const* kCatalog = R"(seed = 3
max_contacts_per_run = 2
[[channel]]
name = "email"
capacity = 2
[[offer]]
name = "gold"
channel = "email"
cost = 1.0
response_column = "p"
value = 10.0
[[offer]]
name = "silver"
channel = "email"
expected_value_column = "ev"
)";

class OffersCli : public ::testing::Test {
 protected:
  void SetUp() override {
    spit(dir_.file("customers.csv"),
         "customer_id,p,ev\nsecret-a,0.5,1.5\nsecret-b,0.9,0.5\nsecret-c,0.2,3\n");
    spit(dir_.file("offers.toml"), kCatalog);
    spit(dir_.file("contacts.csv"),
         "customer_id,date,channel,offer\nsecret-a,2026-01-01,email,gold\n");
  }
  RunResult assign(std::string const& extra) {
    return cie::testing::run_cie(
        dir_, "offers assign --customers " + dir_.file("customers.csv") + " --catalog " +
                  dir_.file("offers.toml") + " --history " + dir_.file("contacts.csv") +
                  " --as-of 2026-02-01 --out " + dir_.file("out.csv") + " " + extra);
  }
  cie::testing::TempDir dir_;
};

TEST_F(OffersCli, WritesOneRowPerContactAndTheSummary) {
  RunResult const run = assign("--summary " + dir_.file("summary.json"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // ev: gold 4, 8, 1; silver 1.5, 0.5, 3. Capacity 2 on email: the two best, 8 and 4.
  EXPECT_EQ(slurp(dir_.file("out.csv")),
            "customer_id,offer,channel,expected_value,rank\n"
            "secret-a,gold,email,4,1\n"
            "secret-b,gold,email,8,1\n");
  nlohmann::json const summary = nlohmann::json::parse(slurp(dir_.file("summary.json")));
  EXPECT_EQ(summary["contacts"], 2);
  EXPECT_DOUBLE_EQ(summary["expected_value"].get<double>(), 12.0);
  EXPECT_DOUBLE_EQ(summary["budget_used"].get<double>(), 2.0);
  EXPECT_EQ(summary["channels"][0]["contacts"], 2);
  EXPECT_GE(summary["dual_bound"].get<double>(), 12.0);
  EXPECT_THAT(run.out, HasSubstr("2 contacts"));
}

// Under --pseudonymize-ids the customers' ids are keyed hashes, and so are the history's: the
// windows still count each customer's past contacts, and the assignments carry the hashes.
TEST_F(OffersCli, PseudonymizedIdsStillMatchTheHistory) {
  std::string catalog = kCatalog;
  catalog.insert(catalog.find("[[channel]]"), "[[window]]\ndays = 60\nmax_contacts = 1\n");
  spit(dir_.file("offers.toml"), catalog);
  std::string const key = "offers-pseudonym-key-0123456789-abcdefghij";
  spit(dir_.file("key"), key);
  ASSERT_EQ(::chmod(dir_.file("key").c_str(), 0600), 0);
  RunResult const plain = assign("");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  // secret-a's contact of 2026-01-01 fills its 60-day window: b and c get the two contacts.
  EXPECT_EQ(slurp(dir_.file("out.csv")),
            "customer_id,offer,channel,expected_value,rank\n"
            "secret-b,gold,email,8,1\n"
            "secret-c,silver,email,3,1\n");
  RunResult const hashed = cie::testing::run_cie(
      dir_, "--pseudonymize-ids " + dir_.file("key") + " offers assign --customers " +
                dir_.file("customers.csv") + " --catalog " + dir_.file("offers.toml") +
                " --history " + dir_.file("contacts.csv") + " --as-of 2026-02-01 --out " +
                dir_.file("hashed.csv"));
  ASSERT_EQ(hashed.exit_code, 0) << hashed.err;
  EXPECT_THAT(hashed.err, Not(HasSubstr("not in the customer")));
  EXPECT_EQ(slurp(dir_.file("hashed.csv")),
            "customer_id,offer,channel,expected_value,rank\n" + keyed_id_hash(key, "secret-b") +
                ",gold,email,8,1\n" + keyed_id_hash(key, "secret-c") + ",silver,email,3,1\n");
}

TEST_F(OffersCli, BadInputGetsAClearMessageAndExitCode) {
  spit(dir_.file("offers.toml"), std::string(kCatalog) +
                                     "[[offer]]\nname = \"x\"\n"
                                     "channel = \"email\"\nexpected_value_column = \"nope\"\n");
  RunResult run = assign("");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("nope"));
  spit(dir_.file("offers.toml"), kCatalog);
  spit(dir_.file("contacts.csv"),
       "customer_id,date,channel,offer\nsecret-a,2026-13-01,email,gold\n");
  run = assign("");
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_THAT(run.err, HasSubstr("contacts.csv:2: column date: not a date"));
  EXPECT_THAT(run.err, Not(HasSubstr("secret")));
  spit(dir_.file("contacts.csv"), "customer_id,date,channel\nsecret-a,2026-01-01,email\n");
  run = assign("");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.err, HasSubstr("offer"));
  run = cie::testing::run_cie(dir_, "offers assign --customers " + dir_.file("customers.csv") +
                                        " --catalog " + dir_.file("offers.toml") +
                                        " --as-of 2026-02-01 --out " + dir_.file("customers.csv"));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("--out"));
  run = assign("--as-of yesterday");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("--as-of"));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

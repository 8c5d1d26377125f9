// `cie --pseudonymize-ids KEYFILE`: every output that carries customer ids carries their
// HMAC-SHA-256 under the key instead (the same in every run, another under another key), the
// rest of each output is unchanged, and neither the key nor an id appears in any output, message
// or log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "core/pseudonymize.hpp"
#include "tests/test_support.hpp"

namespace CIE_TEST_FILE_ID {

namespace fs = std::filesystem;
using cie::testing::lines_of;
using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;
using ::testing::HasSubstr;
using ::testing::Not;

std::string const kKey = "pseudonym-test-key-0123456789-abcdefghij";
std::string const kOtherKey = "another-pseudonym-key-0123456789-ABCDEFGHIJ";

/// The first field of each line after the header, and the rest of the line.
std::vector<std::pair<std::string, std::string>> split_ids(std::string const& csv) {
  std::vector<std::pair<std::string, std::string>> rows;
  std::vector<std::string> const lines = lines_of(csv);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::size_t const comma = lines[i].find(',');
    rows.emplace_back(lines[i].substr(0, comma), lines[i].substr(comma));
  }
  return rows;
}

class PseudonymizeCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new cie::testing::TempDir();
    std::string const d = dir_->path().string();
    spit(d + "/key", kKey);
    spit(d + "/other.key", kOtherKey);
    ::chmod((d + "/key").c_str(), 0600);
    ::chmod((d + "/other.key").c_str(), 0600);
    run_ok("gen --customers 300 --seed 9 --out " + d + "/data");
    run_ok("rfm --transactions " + d + "/data/transactions.csv --as-of 2026-01-01 --out " + d +
           "/rfm.csv");
    run_ok("segment fit --input " + d + "/rfm.csv --k 3 --model " + d + "/seg.json");
    run_ok("propensity train --table " + d + "/data/campaign.csv --table " + d +
           "/rfm.csv --target responded --features recency_days,frequency --model " + d +
           "/prop.json");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static RunResult run(std::string const& arguments) {
    return cie::testing::run_cie(*dir_, "--device cpu --threads 2 " + arguments);
  }
  static void run_ok(std::string const& arguments) {
    RunResult const result = run(arguments);
    ASSERT_EQ(result.exit_code, 0) << arguments << "\n" << result.err;
  }
  /// Runs `arguments` with --pseudonymize-ids `key_file` and --log-level debug; expects success
  /// and no key in its messages.
  static void run_pseudonymized(std::string const& key_file, std::string const& arguments) {
    RunResult const result =
        run("--log-level debug --pseudonymize-ids " + d() + "/" + key_file + " " + arguments);
    ASSERT_EQ(result.exit_code, 0) << arguments << "\n" << result.err;
    EXPECT_THAT(result.out + result.err, Not(HasSubstr("pseudonym-test-key")));
  }
  /// Expects `hashed` to be `plain` with each id replaced by its keyed hash under `key`.
  static void expect_hashed(std::string const& plain, std::string const& hashed,
                            std::string const& key) {
    auto const plain_rows = split_ids(plain);
    auto const hashed_rows = split_ids(hashed);
    ASSERT_EQ(lines_of(plain).at(0), lines_of(hashed).at(0));
    ASSERT_EQ(plain_rows.size(), hashed_rows.size());
    ASSERT_GT(plain_rows.size(), 100U);
    for (std::size_t i = 0; i < plain_rows.size(); ++i) {
      ASSERT_EQ(hashed_rows[i].first, cie::keyed_id_hash(key, plain_rows[i].first)) << i;
      ASSERT_EQ(hashed_rows[i].second, plain_rows[i].second) << i;
    }
    EXPECT_THAT(hashed, Not(HasSubstr(key)));
  }
  static std::string d() { return dir_->path().string(); }
  static cie::testing::TempDir* dir_;
};
cie::testing::TempDir* PseudonymizeCli::dir_ = nullptr;

TEST_F(PseudonymizeCli, RfmWritesKeyedHashesTheSameInEveryRunAndOthersUnderAnotherKey) {
  std::string const rfm = "rfm --transactions " + d() +
                          "/data/transactions.csv --as-of "
                          "2026-01-01 --out " +
                          d();
  run_pseudonymized("key", rfm + "/rfm_a.csv");
  run_pseudonymized("key", rfm + "/rfm_b.csv");
  run_pseudonymized("other.key", rfm + "/rfm_other.csv");
  std::string const plain = slurp(d() + "/rfm.csv");
  expect_hashed(plain, slurp(d() + "/rfm_a.csv"), kKey);
  EXPECT_EQ(slurp(d() + "/rfm_a.csv"), slurp(d() + "/rfm_b.csv"));
  expect_hashed(plain, slurp(d() + "/rfm_other.csv"), kOtherKey);
}

TEST_F(PseudonymizeCli, SegmentAssignAndPropensityScoreWriteKeyedHashes) {
  run_ok("segment assign --model " + d() + "/seg.json --input " + d() + "/rfm.csv --out " + d() +
         "/assign.csv");
  run_pseudonymized("key", "segment assign --model " + d() + "/seg.json --input " + d() +
                               "/rfm.csv --out " + d() + "/assign_p.csv");
  expect_hashed(slurp(d() + "/assign.csv"), slurp(d() + "/assign_p.csv"), kKey);

  std::string const score =
      "propensity score --model " + d() + "/prop.json --table " + d() + "/rfm.csv --out " + d();
  run_ok(score + "/scores.csv");
  run_pseudonymized("key", score + "/scores_p.csv");
  expect_hashed(slurp(d() + "/scores.csv"), slurp(d() + "/scores_p.csv"), kKey);
}

TEST_F(PseudonymizeCli, ClvPredictionsCarryKeyedHashes) {
  run_ok("clv fit --transactions " + d() +
         "/data/transactions.csv --calibration-end 2025-06-30 "
         "--model " +
         d() + "/clv.json");
  std::string const predict = "clv predict --model " + d() + "/clv.json --transactions " + d() +
                              "/data/transactions.csv --horizon 26 --out " + d();
  run_ok(predict + "/clv.csv");
  run_pseudonymized("key", predict + "/clv_p.csv");
  expect_hashed(slurp(d() + "/clv.csv"), slurp(d() + "/clv_p.csv"), kKey);
}

TEST_F(PseudonymizeCli, TheNightlyTableJoinsOnTheHashesAndCarriesThem) {
  std::string const config = "[run]\nas_of = \"2026-01-01\"\n\n[inputs]\ntransactions = \"" + d() +
                             "/data/transactions.csv\"\nattributes = \"" + d() +
                             "/data/customers.csv\"\n\n"
                             "[segments]\nmodel = \"" +
                             d() +
                             "/seg.json\"\n\n[[propensity]]\nname = \"response\"\n"
                             "model = \"" +
                             d() + "/prop.json\"\n\n[output]\ndirectory = \"" + d() + "/";
  spit(d() + "/plain.toml", config + "plain\"\n");
  spit(d() + "/hashed.toml", config + "hashed\"\n");
  run_ok("run " + d() + "/plain.toml");
  run_pseudonymized("key", "run " + d() + "/hashed.toml");
  expect_hashed(slurp(d() + "/plain/customers.csv"), slurp(d() + "/hashed/customers.csv"), kKey);
  // No raw id and no key anywhere in what the run published.
  auto const raw_ids = split_ids(slurp(d() + "/plain/customers.csv"));
  for (auto const& entry : fs::directory_iterator(d() + "/hashed")) {
    std::string const text = slurp(entry.path().string());
    EXPECT_THAT(text, Not(HasSubstr(kKey))) << entry.path();
    for (std::size_t i = 0; i < raw_ids.size(); i += 37) {
      EXPECT_THAT(text, Not(HasSubstr("," + raw_ids[i].first + ",")))
          << entry.path() << " holds id " << raw_ids[i].first;
      EXPECT_THAT(text, Not(HasSubstr("\n" + raw_ids[i].first + ",")))
          << entry.path() << " holds id " << raw_ids[i].first;
    }
  }
}

TEST_F(PseudonymizeCli, ABadKeyFileStopsBeforeAnythingIsReadOrWritten) {
  spit(d() + "/open.key", kKey);
  ::chmod((d() + "/open.key").c_str(), 0644);
  spit(d() + "/short.key", "too-short");
  ::chmod((d() + "/short.key").c_str(), 0600);
  for (std::string const key : {"open.key", "short.key", "missing.key"}) {
    RunResult const result = run("--pseudonymize-ids " + d() + "/" + key + " rfm --transactions " +
                                 d() + "/data/transactions.csv --out " + d() + "/never.csv");
    EXPECT_EQ(result.exit_code, 2) << key << "\n" << result.err;
    EXPECT_THAT(result.err, HasSubstr(key));
    EXPECT_THAT(result.err, Not(HasSubstr("pseudonym-test-key")));
    EXPECT_FALSE(fs::exists(d() + "/never.csv"));
  }
}

}  // namespace CIE_TEST_FILE_ID

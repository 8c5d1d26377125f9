// Every command refuses, before reading anything, to write over a file it reads or writes twice
// (exit 2), and leaves that file as it was.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/test_support.hpp"

namespace CIE_TEST_FILE_ID {

using cie::testing::slurp;
using cie::testing::spit;
using ::testing::HasSubstr;

class OutputPathsCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new cie::testing::TempDir();
    std::string const d = dir_->path().string();
    auto const run = [](std::string const& arguments) {
      auto const result = cie::testing::run_cie(*dir_, "--device cpu " + arguments);
      ASSERT_EQ(result.exit_code, 0) << arguments << "\n" << result.err;
    };
    run("gen --customers 500 --seed 5 --out " + d + "/data");
    run("rfm --transactions " + d + "/data/transactions.csv --as-of 2026-01-01 --out " + d +
        "/rfm.csv");
    run("segment fit --input " + d + "/rfm.csv --k 3 --model " + d + "/seg.json");
    run("propensity train --table " + d + "/data/campaign.csv --table " + d +
        "/rfm.csv --target responded --features recency_days,frequency --model " + d +
        "/prop.json");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  /// Runs `arguments` ({d} = the fixture's folder) and expects exit 2 naming `fragment`, with
  /// every file of the fixture unchanged.
  void expect_refused(std::string arguments, std::string const& fragment) {
    std::string const d = dir_->path().string();
    for (std::size_t at; (at = arguments.find("{d}")) != std::string::npos;) {
      arguments.replace(at, 3, d);
    }
    std::vector<std::string> const files = {"/data/transactions.csv", "/rfm.csv", "/seg.json",
                                            "/prop.json", "/data/campaign.csv"};
    std::vector<std::string> before;
    for (std::string const& file : files) before.push_back(slurp(d + file));
    cie::testing::TempDir work;
    auto const result = cie::testing::run_cie(work, "--device cpu " + arguments);
    EXPECT_EQ(result.exit_code, 2) << arguments << "\n" << result.err;
    EXPECT_THAT(result.err, HasSubstr(fragment)) << arguments;
    for (std::size_t i = 0; i < files.size(); ++i) {
      EXPECT_EQ(slurp(d + files[i]), before[i]) << files[i] << " changed by: " << arguments;
    }
  }

  static cie::testing::TempDir* dir_;
};
cie::testing::TempDir* OutputPathsCli::dir_ = nullptr;

TEST_F(OutputPathsCli, RfmNeverWritesOverItsTransactions) {
  expect_refused("rfm --transactions {d}/data/transactions.csv --out {d}/data/transactions.csv",
                 "is the same file as --transactions");
  expect_refused(
      "rfm --transactions {d}/data/transactions.csv --out {d}/x.csv "
      "--bad-rows quarantine={d}/data/transactions.csv",
      "--bad-rows quarantine");
  expect_refused(
      "rfm --transactions {d}/data/transactions.csv --out {d}/q.csv "
      "--bad-rows quarantine={d}/q.csv",
      "which this run also writes");
  expect_refused("rfm --transactions {d}/data/transactions.csv --out {d}", "is a directory");
}

TEST_F(OutputPathsCli, SegmentAndPropensityNeverWriteOverTheirInputs) {
  expect_refused("segment fit --input {d}/rfm.csv --k 3 --model {d}/rfm.csv",
                 "is the same file as --input");
  expect_refused("segment fit --input {d}/rfm.csv --k 3 --model {d}/m.json --out {d}/m.json",
                 "which this run also writes");
  expect_refused("segment assign --model {d}/seg.json --input {d}/rfm.csv --out {d}/seg.json",
                 "is the same file as --model");
  expect_refused(
      "propensity train --table {d}/data/campaign.csv --table {d}/rfm.csv --target "
      "responded --features recency_days --model {d}/p.json --report {d}/p.json",
      "which this run also writes");
  expect_refused("propensity score --model {d}/prop.json --table {d}/rfm.csv --out {d}/rfm.csv",
                 "is the same file as --table");
  expect_refused("propensity score --model {d}/prop.json --table {d}/rfm.csv --out {d}/prop.json",
                 "is the same file as --model");
}

TEST_F(OutputPathsCli, TheNightlyRunNeverWritesOverItsInputs) {
  std::string const d = dir_->path().string();
  auto const config = [&](std::string const& output, std::string const& customers) {
    return "[run]\nas_of = \"2026-01-01\"\n[inputs]\ntransactions = \"" + d +
           "/data/transactions.csv\"\n[segments]\nretrain = true\nk = 3\n[output]\ndirectory = \"" +
           output + "\"\ncustomers = \"" + customers + "\"\n";
  };
  cie::testing::TempDir work;
  spit(work.file("model.toml"), config(work.file("out"), "segments_model.json"));
  expect_refused("run " + work.file("model.toml"),
                 "is the same file as " + work.file("model.toml") + ": [output] customers");
  spit(work.file("inside.toml"), config(d + "/data", "customers.csv"));
  expect_refused("run " + work.file("inside.toml"), "is inside the output directory");

  // An output directory holding someone else's file: refused, the file kept.
  std::filesystem::create_directory(work.file("shared"));
  spit(work.file("shared/notes.txt"), "not cie's\n");
  spit(work.file("shared.toml"), config(work.file("shared"), "customers.csv"));
  expect_refused("run " + work.file("shared.toml"), "did not publish there (notes.txt)");
  EXPECT_EQ(slurp(work.file("shared/notes.txt")), "not cie's\n");
}

}  // namespace CIE_TEST_FILE_ID

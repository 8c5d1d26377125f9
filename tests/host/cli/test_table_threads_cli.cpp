// Every command that reads a customer table reads it on all of --threads (the file cut at line
// ends into chunks of at least 1 MiB): tables of several chunks give the same outputs, and a bad
// row in a late chunk the same message and exit code, with 1 and 2 threads.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/test_support.hpp"

namespace CIE_TEST_FILE_ID {

using cie::testing::run_cie;
using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;
using ::testing::HasSubstr;

constexpr int kRows = 90'000;  // about 3.5 MB: three chunks or more

/// Customers with a response that follows spend and region, and a campaign group.
std::string customers_table() {
  std::ostringstream text;
  text << "customer_id,spend,visits,region,group,responded,revenue\n";
  char const* const regions[] = {"north", "south", "east"};
  for (std::int64_t i = 0; i < kRows; ++i) {
    double const spend = (i * 7919 % 1000) / 10.0;
    bool const responded =
        (i * 104729 % 100) < 5 + static_cast<int>(spend / 5) + (i % 3 == 0 ? 8 : 0);
    text << "customer" << i << "," << spend << "," << i % 17 << "," << regions[i % 3] << ","
         << (i % 4 == 0 ? "holdout" : "mail") << "," << responded << ","
         << (responded ? 20 + i % 13 : 0) << "\n";
  }
  return text.str();
}

constexpr int kSummaryCopies = 40;  // CDNOW's 2,357 customers: 94,280 rows, about 2.4 MB

/// CDNOW's calibration summary (ID,x,t_x,T,zbar) 40 times, copy k's ids prefixed "k_".
std::string clv_summary() {
  std::vector<std::string> const lines = cie::testing::lines_of(slurp(
      std::string(CIE_REAL_DATA_DIR) + "/cdnow/cdnow_customers_summary_with_transactions.csv"));
  std::string text = lines.front() + "\n";
  for (int copy = 0; copy < kSummaryCopies; ++copy) {
    for (std::size_t line = 1; line < lines.size(); ++line) {
      if (!lines[line].empty()) text += std::to_string(copy) + "_" + lines[line] + "\n";
    }
  }
  return text;
}

/// `text` with the field `column` (0-based) of data row `row` (0-based) replaced by `value`.
std::string with_field(std::string text, int row, int column, std::string const& value) {
  std::size_t at = 0;
  for (int line = 0; line <= row; ++line) at = text.find('\n', at) + 1;
  for (int c = 0; c < column; ++c) at = text.find(',', at) + 1;
  std::size_t const end = text.find_first_of(",\n", at);
  return text.replace(at, end - at, value);
}

class TableThreadsCli : public ::testing::Test {
 protected:
  RunResult run(int threads, std::string const& arguments) {
    return run_cie(dir, "--device cpu --log-level warn --threads " + std::to_string(threads) + " " +
                            arguments);
  }
  /// Runs `commands` in turn ({out} and {model} replaced by paths of their own per thread count)
  /// with 1 and 2 threads and checks that all succeed and that {out} has the same bytes.
  void expect_same_output(std::vector<std::string> const& commands) {
    std::string outputs[2];
    for (int threads = 1; threads <= 2; ++threads) {
      std::string const suffix = std::to_string(threads);
      for (std::string command : commands) {
        for (auto const& [name, path] :
             {std::pair{std::string("{out}"), dir.file("out" + suffix)},
              std::pair{std::string("{model}"), dir.file("model" + suffix + ".json")}}) {
          for (std::size_t at; (at = command.find(name)) != std::string::npos;) {
            command.replace(at, name.size(), path);
          }
        }
        RunResult const result = run(threads, command);
        ASSERT_EQ(result.exit_code, 0) << command << "\n" << result.err;
      }
      outputs[threads - 1] = slurp(dir.file("out" + suffix));
    }
    EXPECT_FALSE(outputs[0].empty());
    EXPECT_EQ(outputs[0], outputs[1]) << commands.back();
  }
  /// Runs `arguments` with 1 and 2 threads: both fail with exit 3 and the same message naming
  /// `fragment`, and write no `out`.
  void expect_same_error(std::string const& arguments, std::string const& fragment,
                         std::string const& out) {
    std::string messages[2];
    for (int threads = 1; threads <= 2; ++threads) {
      RunResult const result = run(threads, arguments);
      EXPECT_EQ(result.exit_code, 3) << arguments << "\n" << result.err;
      EXPECT_THAT(result.err, HasSubstr(fragment)) << arguments;
      EXPECT_FALSE(std::filesystem::exists(out)) << arguments;
      messages[threads - 1] = result.err;
    }
    EXPECT_EQ(messages[0], messages[1]) << arguments;
  }
  cie::testing::TempDir dir;
};

TEST_F(TableThreadsCli, TheTableIsLargeEnoughForSeveralChunks) {
  EXPECT_GT(customers_table().size(), 3U << 20);
  EXPECT_GT(clv_summary().size(), 2U << 20);
  EXPECT_EQ(cie::testing::lines_of(clv_summary()).size(), kSummaryCopies * 2357 + 1);
}

TEST_F(TableThreadsCli, PropensityScoresDoNotDependOnTheReadingThreads) {
  spit(dir.file("c.csv"), customers_table());
  RunResult const trained =
      run(1, "propensity train --table " + dir.file("c.csv") +
                 " --features spend,visits,region --categorical region --target responded "
                 "--validation 0 --model " +
                 dir.file("p.json"));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  expect_same_output({"propensity score --model " + dir.file("p.json") + " --table " +
                      dir.file("c.csv") + " --out {out}"});
  spit(dir.file("bad.csv"), with_field(customers_table(), kRows - 5, 1, "12x"));
  expect_same_error("propensity score --model " + dir.file("p.json") + " --table " +
                        dir.file("bad.csv") + " --out " + dir.file("never.csv"),
                    "bad.csv:" + std::to_string(kRows - 5 + 2), dir.file("never.csv"));
}

TEST_F(TableThreadsCli, ClvFitsOnASummaryDoNotDependOnTheReadingThreads) {
  spit(dir.file("s.csv"), clv_summary());
  // The models hold their time of writing: their predictions are compared.
  std::string const summary = " --summary " + dir.file("s.csv") +
                              " --id-col ID --frequency-col x --recency-col t_x --T-col T "
                              "--value-col zbar ";
  expect_same_output({"clv fit" + summary + "--spend gamma-gamma --model {model}",
                      "clv predict --model {model}" + summary + "--horizon 52 --out {out}"});
  int const bad_row = kSummaryCopies * 2357 - 3;
  spit(dir.file("bad.csv"), with_field(clv_summary(), bad_row, 2, "99"));
  std::string const bad_summary = " --summary " + dir.file("bad.csv") +
                                  " --id-col ID --frequency-col x --recency-col t_x --T-col T ";
  expect_same_error("clv fit" + bad_summary + "--model " + dir.file("never.json"),
                    "bad.csv:" + std::to_string(bad_row + 2), dir.file("never.json"));
}

TEST_F(TableThreadsCli, CampaignResultsDoNotDependOnTheReadingThreads) {
  std::string const history = customers_table();  // one campaign: --campaign-col ""
  spit(dir.file("h.csv"), history);
  expect_same_output(
      {"campaign evaluate --control holdout --bootstrap-draws 200 --campaign-col '' "
       "--history " +
       dir.file("h.csv") + " --by region --out {out}"});
  spit(dir.file("bad.csv"), with_field(history, kRows - 7, 5, "maybe"));
  expect_same_error(
      "campaign evaluate --control holdout --bootstrap-draws 200 --campaign-col '' "
      "--history " +
          dir.file("bad.csv") + " --out " + dir.file("never.csv"),
      "bad.csv:" + std::to_string(kRows - 7 + 2), dir.file("never.csv"));
}

}  // namespace CIE_TEST_FILE_ID

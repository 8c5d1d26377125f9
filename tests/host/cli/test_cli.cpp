// The `cie` command as a user runs it: exit codes, messages, device fallback and outputs that are
// published whole or not at all.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "host/io/rfm_output.hpp"
#include "kernels/device.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using ::testing::HasSubstr;
using ::testing::Not;

using cie::testing::run_cie;
using cie::testing::RunResult;
using cie::testing::slurp;
using cie::testing::spit;

std::size_t count_files(cie::testing::TempDir const& dir) {
  std::size_t n = 0;
  for (auto const& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++n;
  }
  return n;
}

constexpr char kGoodTransactions[] =
    "customer_id,date,amount\n"
    "alice,2024-01-05,20.00\n"
    "bob,2024-01-07,5.50\n"
    "alice,2024-02-01,12.25\n"
    "carol,2024-02-03,-3.00\n"
    "carol,2024-02-03,40\n";

TEST(Cli, RfmWritesOneRowPerCustomerAndPrintsTheSummary) {
  cie::testing::TempDir dir;
  spit(dir.file("tx.csv"), kGoodTransactions);
  RunResult run = run_cie(dir, "--device cpu rfm --transactions " + dir.file("tx.csv") + " --out " +
                                   dir.file("rfm.csv"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::string csv = slurp(dir.file("rfm.csv"));
  EXPECT_EQ(csv.substr(0, csv.find('\n')), fmt::format("{}", fmt::join(rfm_column_names(), ",")));
  EXPECT_THAT(csv,
              HasSubstr("\nalice,3,2,2,0,32.25,16.125,2024-01-05,2024-02-01,30,1,27,29,12.25,"));
  // carol's return is netted into her money, but she made one purchase.
  EXPECT_THAT(csv, HasSubstr("\ncarol,1,1,1,1,37,37,2024-02-03,2024-02-03,1,0,0,0,0,"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);
  EXPECT_THAT(run.out, HasSubstr("RFM as of 2024-02-04 on cpu"));
  EXPECT_THAT(run.out, HasSubstr("customers                3"));
  EXPECT_THAT(run.out, HasSubstr("Champions"));
  EXPECT_EQ(count_files(dir), 4u) << "no temporary file may be left behind";
}

TEST(Cli, BadRowFailsWithLocationExitCode3AndLeavesPreviousOutput) {
  cie::testing::TempDir dir;
  spit(dir.file("tx.csv"), "customer_id,date,amount\nalice,2024-01-05,20\nbob,2024-01-07,abc\n");
  spit(dir.file("rfm.csv"), "previous night's output\n");
  RunResult run = run_cie(dir, "--device cpu rfm --transactions " + dir.file("tx.csv") + " --out " +
                                   dir.file("rfm.csv"));
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_THAT(run.err, HasSubstr(dir.file("tx.csv") + ":3: column 3 (amount): "));
  // The field's value stays out of the message unless --show-values asks for it.
  EXPECT_THAT(run.err, Not(HasSubstr("abc")));
  EXPECT_EQ(slurp(dir.file("rfm.csv")), "previous night's output\n");
  EXPECT_EQ(count_files(dir), 4u) << "no temporary file may be left behind";
  RunResult const shown = run_cie(dir, "--device cpu --show-values rfm --transactions " +
                                           dir.file("tx.csv") + " --out " + dir.file("rfm.csv"));
  EXPECT_EQ(shown.exit_code, 3);
  EXPECT_THAT(shown.err, HasSubstr("cannot parse 'abc' as a number"));
}

TEST(Cli, QuarantineKeepsGoingAndCountsRejectedRows) {
  cie::testing::TempDir dir;
  spit(dir.file("tx.csv"),
       "customer_id,date,amount\nalice,2024-01-05,20\n,2024-01-06,1\nbob,2024-13-01,2\n"
       "bob,2024-01-07,5\n");
  RunResult run =
      run_cie(dir, "rfm --transactions " + dir.file("tx.csv") + " --out " + dir.file("rfm.csv") +
                       " --bad-rows quarantine=" + dir.file("bad.csv"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out,
              HasSubstr("rejected rows            2 (quarantined in " + dir.file("bad.csv")));
  EXPECT_EQ(slurp(dir.file("bad.csv")),
            "customer_id,date,amount\n,2024-01-06,1\nbob,2024-13-01,2\n");
  EXPECT_THAT(run.err, HasSubstr("2 bad rows were not used"));
}

TEST(Cli, RfmByOrderWithCancellationsAndScoresWithoutATable) {
  cie::testing::TempDir dir;
  spit(dir.file("tx.csv"),
       "InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice\n"
       "100,alice,2024-01-05 10:00,2,5\n"
       "100,alice,2024-01-05 10:00,1,10\n"
       "101,bob,2024-01-06 09:00,1,8\n"
       "102,alice,2024-01-09 11:00,3,1\n"
       "C103,alice,2024-01-10 12:00,-1,10\n"
       "C104,dave,2024-01-10 12:00,-2,4\n");
  std::string const rfm = "--device cpu rfm --transactions " + dir.file("tx.csv") +
                          " --id-col CustomerID --date-col InvoiceDate --quantity-col Quantity"
                          " --price-col UnitPrice --order-col InvoiceNo --cancel-prefix C";
  RunResult run = run_cie(dir, rfm + " --out " + dir.file("rfm.csv"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::string csv = slurp(dir.file("rfm.csv"));
  // alice: invoices 100 and 102 (4 lines counted as 2 orders), C103 netted: 23 - 10 = 13.
  EXPECT_THAT(csv, HasSubstr("\nalice,2,2,2,1,13,6.5,2024-01-05,2024-01-09,6,1,4,5,3,"));
  EXPECT_EQ(csv.find("\ndave,"), std::string::npos) << "dave only returned goods";
  EXPECT_THAT(run.out, HasSubstr("cancelled rows           2 (order id starts with C)"));
  EXPECT_THAT(run.out, HasSubstr("return-only customers    1"));
  EXPECT_THAT(run.out, HasSubstr("customers                2\n"));

  RunResult three = run_cie(dir, rfm + " --score-bins 3 --out " + dir.file("rfm3.csv"));
  ASSERT_EQ(three.exit_code, 0) << three.err;
  std::string csv3 = slurp(dir.file("rfm3.csv"));
  EXPECT_THAT(csv3, HasSubstr(",3,3,3,333,\n"));  // alice: best in all three, no segment name
  EXPECT_THAT(three.out, HasSubstr("(no segment table)"));
}

TEST(Cli, UsageErrorsExitWith2) {
  cie::testing::TempDir dir;
  spit(dir.file("tx.csv"), kGoodTransactions);
  std::string const base =
      "rfm --transactions " + dir.file("tx.csv") + " --out " + dir.file("o.csv");
  struct Case {
    std::string arguments;
    std::string message;
  };
  for (Case const& c :
       {Case{"rfm --out x.csv", "--transactions is required"},
        Case{base + " --as-of 2024-02-30", "--as-of: expected a date"},
        Case{base + " --score-bins 1", "score_bins must be in 2..9, got 1"},
        Case{base + " --bad-rows maybe", "--bad-rows: expected fail, skip or quarantine=FILE"},
        Case{base + " --ties random", "--ties: expected equal or first"},
        Case{base + " --cancel-prefix C", "--cancel-prefix needs --order-col"},
        Case{base + " --frequency orders", "--frequency orders needs --order-col"},
        Case{base + " --amount-col total", "total"},
        Case{"--device gpu " + base, "--device: expected auto, cpu, cuda or cuda:N"},
        Case{"rfm --transactions " + dir.file("missing.csv") + " --out " + dir.file("o.csv"),
             "missing.csv"}}) {
    RunResult run = run_cie(dir, c.arguments);
    EXPECT_EQ(run.exit_code, 2) << c.arguments << "\n" << run.err;
    EXPECT_THAT(run.err, HasSubstr(c.message)) << c.arguments;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("o.csv")));
}

TEST(Cli, DeviceAutoFallsBackToCpuAndCudaWithoutGpuExitsWith4) {
  kernels::DeviceProbe probe = kernels::probe_cuda_devices();
  if (probe.count > 0) GTEST_SKIP() << "a GPU is usable here; the fallback path cannot be shown";
  cie::testing::TempDir dir;
  spit(dir.file("tx.csv"), kGoodTransactions);
  std::string const rfm =
      "rfm --transactions " + dir.file("tx.csv") + " --out " + dir.file("o.csv");
  RunResult fallback = run_cie(dir, "--device auto " + rfm);
  EXPECT_EQ(fallback.exit_code, 0) << fallback.err;
  EXPECT_THAT(fallback.err, HasSubstr("no usable GPU"));
  EXPECT_THAT(fallback.err, HasSubstr("running on the CPU"));
  EXPECT_EQ(std::count(fallback.err.begin(), fallback.err.end(), '\n'), 1) << fallback.err;
  EXPECT_THAT(fallback.out, HasSubstr(" on cpu\n"));

  RunResult demanded = run_cie(dir, "--device cuda " + rfm);
  EXPECT_EQ(demanded.exit_code, 4);
  EXPECT_THAT(demanded.err, HasSubstr("--device cuda: no usable GPU"));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

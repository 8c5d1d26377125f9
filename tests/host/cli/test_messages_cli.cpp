// What a careless or hostile input makes cie say: a clear reason and the right exit code, in a
// bounded, printable message (no 10 MB line, no raw NUL, escape sequence or invalid UTF-8), and
// no field value unless --show-values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/test_support.hpp"

namespace CIE_TEST_FILE_ID {

using cie::testing::RunResult;
using cie::testing::spit;
using ::testing::HasSubstr;
using ::testing::Not;

std::string const kTenMegabytes(10'000'000, 'B');

/// A literal's bytes, NULs included.
template <std::size_t N>
std::string bytes(char const (&literal)[N]) {
  return std::string(literal, N - 1);
}

/// Whether `text` holds a control byte other than newline, or a byte that is not ASCII.
bool has_raw_bytes(std::string const& text) {
  for (char const c : text) {
    auto const byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && byte != '\n') || byte >= 0x7f) return true;
  }
  return false;
}

class MessagesCli : public ::testing::Test {
 protected:
  /// Runs `arguments` in the fixture's folder ({d} stands for it) and checks the message.
  RunResult expect_message(std::string arguments, int exit_code, std::string const& fragment) {
    for (std::size_t at; (at = arguments.find("{d}")) != std::string::npos;) {
      arguments.replace(at, 3, dir.path().string());
    }
    RunResult const result =
        cie::testing::run_cie(dir, "--device cpu --log-level warn " + arguments);
    EXPECT_EQ(result.exit_code, exit_code) << arguments << "\n" << result.err.substr(0, 2000);
    EXPECT_THAT(result.err, HasSubstr(fragment)) << arguments;
    EXPECT_LT(result.err.size(), 20000U) << arguments;
    EXPECT_FALSE(has_raw_bytes(result.err)) << arguments;
    return result;
  }
  std::string file(std::string const& name, std::string const& text) {
    spit(dir.file(name), text);
    return dir.file(name);
  }
  cie::testing::TempDir dir;
};

TEST_F(MessagesCli, ADirectoryGivenAsAFileIsNamedAsSuch) {
  std::filesystem::create_directory(dir.file("folder"));
  std::string const is_dir = "folder: it is a directory, not a regular file";
  expect_message("rfm --transactions {d}/folder --out {d}/o.csv", 2, is_dir);
  expect_message("run {d}/folder", 2, is_dir);
  expect_message("segment fit --input {d}/folder --k 2 --model {d}/m.json", 2, is_dir);
  expect_message("propensity train --table {d}/folder --target y --model {d}/m.json", 2, is_dir);
  file("t.csv", "customer_id,x\na,1\nb,2\nc,3\n");
  expect_message("segment assign --model {d}/folder --input {d}/t.csv --out {d}/o.csv", 2, is_dir);
}

TEST_F(MessagesCli, AJoinWithNoCommonIdSaysSo) {
  file("x.csv", "customer_id,x\na,1\nb,2\nc,3\n");
  file("y.csv", "customer_id,y\nd,1\ne,0\nf,1\n");
  expect_message(
      "propensity train --table {d}/x.csv --table {d}/y.csv --target y --features x "
      "--model {d}/m.json",
      3, "share no customer id in column customer_id");
}

TEST_F(MessagesCli, ARepeatedColumnOfTheTransactionsIsRefused) {
  file("t.csv", "customer_id,date,amount,amount\na,2024-01-01,1,2\n");
  expect_message("rfm --transactions {d}/t.csv --out {d}/o.csv", 3,
                 "t.csv:1: column 3 (amount): the header names the amount column twice "
                 "(columns 3 and 4)");
}

TEST_F(MessagesCli, HugeAndBinaryBytesAreNeverEchoedRaw) {
  file("wide.csv", "customer_id,date," + kTenMegabytes + "\na,2024-01-01,1\n");
  expect_message("rfm --transactions {d}/wide.csv --out {d}/o.csv", 2,
                 "amount column 'amount' is not in the header; its columns are: customer_id, "
                 "date, BBBB");
  file("binary.csv", bytes("customer_id,date,am\0\x01\xff\x1b[31m\nx\na,2024-01-01,1\n"));
  expect_message("rfm --transactions {d}/binary.csv --out {d}/o.csv", 2,
                 "its columns are: customer_id, date, am\\x00\\x01\\xff\\x1b[31m");
  file("table.csv", "customer_id," + kTenMegabytes + "\na,1\n");
  expect_message("segment fit --input {d}/table.csv --k 2 --features zz --model {d}/m.json", 2,
                 "column zz is not in the header");
  file("date.toml", "[run]\nas_of = \"" + kTenMegabytes + "\"\n");
  expect_message("run {d}/date.toml", 2, "as_of: expected a date");
  file("key.toml", "[" + kTenMegabytes + "]\nx = 1\n");
  expect_message("run {d}/key.toml", 2, "unknown key");
  expect_message(
      "rfm --transactions {d}/wide.csv --out {d}/o.csv --id-col " + std::string(100000, 'Q'), 2,
      "id column 'QQQQ");
  expect_message("--threads " + std::string(100000, '7') + " rfm --transactions {d}/wide.csv", 2,
                 "--threads");
  // A 10 MB field value: hidden, and with --show-values quoted and cut.
  file("value.csv", "customer_id,date,amount\n" + kTenMegabytes + ",2024-01-01,x\n");
  RunResult const hidden = expect_message("rfm --transactions {d}/value.csv --out {d}/o.csv", 3,
                                          "value.csv:2: column 3 (amount): cannot parse the "
                                          "value (--show-values shows it) as a number");
  file("value2.csv", "customer_id,date,amount\na,2024-01-01," + kTenMegabytes + bytes("\0\n"));
  expect_message("--show-values rfm --transactions {d}/value2.csv --out {d}/o.csv", 3,
                 "cannot parse '" + std::string(40, 'B') + "'... (10000001 bytes) as a number");
}

}  // namespace CIE_TEST_FILE_ID

// The transactions reader: formats, bad rows and their messages, returns, columns.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#include "core/context.hpp"
#include "core/date.hpp"
#include "core/error.hpp"
#include "core/id_dictionary.hpp"
#include "host/io/transactions_reader.hpp"
#include "tests/host/io/transactions_reader_support.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using namespace reader_testing;

TEST(TransactionsFormats, Comma) {
  ReadReport report;
  Transactions const t = parse(
      "customer_id,date,amount\n"
      "c1,2023-01-15,10.5\n"
      "c2,2023-01-16,-3\n"
      "c1,2023-02-01,1e2\n",
      {}, report);
  EXPECT_EQ(t.customer_ids, (std::vector<std::string>{"c1", "c2"}));
  EXPECT_EQ(t.customer, (std::vector<std::int32_t>{0, 1, 0}));
  EXPECT_EQ(t.timestamp, (std::vector<std::int64_t>{midnight(2023, 1, 15), midnight(2023, 1, 16),
                                                    midnight(2023, 2, 1)}));
  EXPECT_EQ(t.amount, (std::vector<double>{10.5, -3.0, 100.0}));
  EXPECT_EQ(report.data_lines, 3U);
  EXPECT_EQ(report.rows_accepted, 3U);
  EXPECT_EQ(report.rows_rejected, 0U);
  EXPECT_EQ(report.first_rejection, "");
}

TEST(TransactionsFormats, SemicolonAndTab) {
  TransactionsFormat format;
  format.delimiter = ';';
  Transactions t = parse("amount;customer_id;date\n2.5;a;2023-03-04\n+4;b;2023-03-05\n", format);
  EXPECT_EQ(t.customer_ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t.amount, (std::vector<double>{2.5, 4.0}));
  EXPECT_EQ(t.timestamp, (std::vector<std::int64_t>{midnight(2023, 3, 4), midnight(2023, 3, 5)}));

  format.delimiter = '\t';
  t = parse("date\tcustomer_id\textra\tamount\n2023-03-04\tx y\t\t7\n", format);
  EXPECT_EQ(t.customer_ids, (std::vector<std::string>{"x y"}));
  EXPECT_EQ(t.amount, (std::vector<double>{7.0}));
  EXPECT_EQ(t.timestamp, (std::vector<std::int64_t>{midnight(2023, 3, 4)}));
}

TEST(TransactionsFormats, WhitespaceRunsAsInCdnow) {
  TransactionsFormat format;
  format.delimiter = '\0';
  format.amount_column = "dollar_value";
  ReadReport report;
  Transactions const t = parse(
      " customer_id  date number_of_cds  dollar_value\r\n"
      " 00001 19970101  1   11.77\r\n"
      " 00002 19970112\t1   12.00  \r\n"
      "\t00001 19970102  2   -0.5\r\n",
      format, report);
  EXPECT_EQ(t.customer_ids, (std::vector<std::string>{"00001", "00002"}));
  EXPECT_EQ(t.customer, (std::vector<std::int32_t>{0, 1, 0}));
  EXPECT_EQ(t.timestamp, (std::vector<std::int64_t>{midnight(1997, 1, 1), midnight(1997, 1, 12),
                                                    midnight(1997, 1, 2)}));
  EXPECT_EQ(t.amount, (std::vector<double>{11.77, 12.0, -0.5}));
  EXPECT_EQ(report.data_lines, 3U);
}

TEST(TransactionsFormats, QuotedFields) {
  Transactions const t = parse(
      "\"customer_id\",\"date\",\"note\",\"amount\"\n"
      "\"Smith, J\",\"2023-01-15\",\"said \"\"hi\"\", left\",\"1.5\"\n"
      "\"O\"\"Brien\",2023-01-16,,2\n"
      "\"\"\"quoted\"\"\",2023-01-17,\"\",3\n"
      "Smith, J,2023-01-18,x,4\n"
      "plain\"quote,2023-01-19,x,5\n"
      "\"O\"\"Brien\",2023-01-20,,6\n",
      [] {
        TransactionsFormat format;
        format.bad_rows = BadRowPolicy::kSkip;
        return format;
      }());
  EXPECT_EQ(t.customer_ids,
            (std::vector<std::string>{"Smith, J", "O\"Brien", "\"quoted\"", "plain\"quote"}));
  EXPECT_EQ(t.customer, (std::vector<std::int32_t>{0, 1, 2, 3, 1}));
  EXPECT_EQ(t.amount, (std::vector<double>{1.5, 2.0, 3.0, 5.0, 6.0}));
}

TEST(TransactionsFormats, CrlfBomBlankLinesAndNoFinalNewline) {
  std::string const text =
      "\xEF\xBB\xBF"
      "\r\n"
      "customer_id,date,amount\r\n"
      "\r\n"
      "a,2023-01-01,1\r\n"
      "   \r\n"
      "\n"
      "b,2023-01-02,2\r\n"
      "a,2023-01-03,3";
  ReadReport report;
  Transactions const t = parse(text, {}, report);
  EXPECT_EQ(t.customer_ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t.customer, (std::vector<std::int32_t>{0, 1, 0}));
  EXPECT_EQ(t.amount, (std::vector<double>{1.0, 2.0, 3.0}));
  EXPECT_EQ(report.data_lines, 3U);

  // Blank lines still count in line numbers (the BOM line is line 1).
  expect_data_error(text + "\r\n\r\nc,2023-01-04,x\r\n",
                    "t.csv:10: column 3 (amount): cannot parse 'x' as a number");
}

TEST(TransactionsFormats, HeaderlessPositionalColumns) {
  TransactionsFormat format;
  format.has_header = false;
  format.id_column = "2";
  format.date_column = "1";
  format.amount_column = "4";
  Transactions const t = parse("\n2023-05-01,z,ignored,9.25\n2023-05-02,y,,1\n", format);
  EXPECT_EQ(t.customer_ids, (std::vector<std::string>{"z", "y"}));
  EXPECT_EQ(t.timestamp, (std::vector<std::int64_t>{midnight(2023, 5, 1), midnight(2023, 5, 2)}));
  EXPECT_EQ(t.amount, (std::vector<double>{9.25, 1.0}));

  expect_data_error("2023-05-01,z,ignored,9.25\n2023-05-02,,x,1\n",
                    "t.csv:2: column 2 (#2): empty customer id", format);
  expect_data_error("2023-05-01,z,ignored,9.25\n2023-05-02,y,1\n",
                    "t.csv:2: expected 4 fields, found 3", format);
}

TEST(TransactionsFormats, PositionsWorkWithAHeaderToo) {
  TransactionsFormat format;
  format.id_column = "1";
  format.date_column = "3";
  format.amount_column = "2";
  Transactions const t = parse("who,how_much,when\nq,5,2023-01-01\n", format);
  EXPECT_EQ(t.customer_ids, (std::vector<std::string>{"q"}));
  EXPECT_EQ(t.amount, (std::vector<double>{5.0}));
}

TEST(TransactionsFormats, QuantityTimesPrice) {
  TransactionsFormat format;
  format.quantity_column = "qty";
  format.price_column = "unit_price";
  format.amount_column = "no such column: ignored";
  Transactions const t = parse(
      "customer_id,date,qty,unit_price\n"
      "a,2023-01-01,3,2.5\n"
      "a,2023-01-02,-2,4\n",
      format);
  EXPECT_EQ(t.amount, (std::vector<double>{7.5, -8.0}));

  expect_data_error("customer_id,date,qty,unit_price\na,2023-01-01,3,\n",
                    "t.csv:2: column 4 (unit_price): cannot parse '' as a number", format);
}

TEST(TransactionsFormats, DateTimesAndCompactDates) {
  Transactions const t = parse(
      "customer_id,date,amount\n"
      "a,2010-12-01 08:26:00,1\n"
      "a,2010-12-01T08:26:30.25Z,1\n"
      "a,20101201,1\n"
      "a,2010/12/01 23:59,1\n");
  std::int64_t const day = midnight(2010, 12, 1);
  EXPECT_EQ(t.timestamp,
            (std::vector<std::int64_t>{day + 8 * 3600 + 26 * 60, day + 8 * 3600 + 26 * 60 + 30, day,
                                       day + 23 * 3600 + 59 * 60}));
}

TEST(TransactionsFormats, CustomersInFirstAppearanceOrder) {
  Transactions const t = parse(
      "customer_id,date,amount\n"
      "zed,2023-01-01,1\n"
      "amy,2023-01-01,1\n"
      "zed,2023-01-01,1\n"
      "mia,2023-01-01,1\n"
      "amy,2023-01-01,1\n"
      "bob,2023-01-01,1\n");
  EXPECT_EQ(t.customer_ids, (std::vector<std::string>{"zed", "amy", "mia", "bob"}));
  EXPECT_EQ(t.customer, (std::vector<std::int32_t>{0, 1, 0, 2, 1, 3}));
  EXPECT_EQ(t.customer_count(), 4U);
  EXPECT_EQ(t.size(), 6U);
}

TEST(TransactionsFormats, EmptyAndHeaderOnlyTextGiveNoRows) {
  for (std::string_view text : {"", "\n\n", "customer_id,date,amount\n", "\xEF\xBB\xBF"}) {
    ReadReport report;
    Transactions const t = parse(text, {}, report);
    EXPECT_EQ(t.size(), 0U) << text;
    EXPECT_EQ(t.customer_count(), 0U) << text;
    EXPECT_EQ(report.data_lines, 0U) << text;
  }
}

TEST(TransactionsBadRows, EachKindHasItsExactMessage) {
  auto const with_row = [](std::string_view row) {
    return fmt::format("{}a,2023-01-01,1\n{}\n", kHeader, row);
  };
  expect_data_error(with_row("b,2023-01-02"), "t.csv:3: expected 3 fields, found 2");
  expect_data_error(with_row("b,2023-01-02,1,4"), "t.csv:3: expected 3 fields, found 4");
  expect_data_error(with_row(",2023-01-02,1"),
                    "t.csv:3: column 1 (customer_id): empty customer id");
  expect_data_error(with_row("\"\",2023-01-02,1"),
                    "t.csv:3: column 1 (customer_id): empty customer id");
  expect_data_error(with_row("b,abc,1"),
                    "t.csv:3: column 2 (date): cannot parse 'abc' as a date (expected YYYY-MM-DD, "
                    "YYYYMMDD or an ISO date-time; see --date-format)");
  expect_data_error(with_row("b,2023-02-30,1"),
                    "t.csv:3: column 2 (date): cannot parse '2023-02-30' as a date (expected "
                    "YYYY-MM-DD, YYYYMMDD or an ISO date-time; see --date-format)");
  expect_data_error(with_row("b,2023-01-02,\"12,x\""),
                    "t.csv:3: column 3 (amount): cannot parse '12,x' as a number");
  expect_data_error(with_row("b,2023-01-02,"),
                    "t.csv:3: column 3 (amount): cannot parse '' as a number");
  expect_data_error(with_row("b,2023-01-02,NaN"),
                    "t.csv:3: column 3 (amount): cannot parse 'NaN' as a number");
  expect_data_error(with_row("b,2023-01-02,inf"),
                    "t.csv:3: column 3 (amount): cannot parse 'inf' as a number");
  expect_data_error(with_row("b,2023-01-02,1e999"),
                    "t.csv:3: column 3 (amount): cannot parse '1e999' as a number");
  expect_data_error(with_row("b,2023-01-02, 1"),
                    "t.csv:3: column 3 (amount): cannot parse ' 1' as a number");
  expect_data_error(with_row("\"b,2023-01-02,1"),
                    "t.csv:3: column 1 (customer_id): unterminated quote");
  expect_data_error(with_row("b,2023-01-02,\"1"), "t.csv:3: column 3 (amount): unterminated quote");
  expect_data_error(with_row("\"b\"x,2023-01-02,1"),
                    "t.csv:3: column 1 (customer_id): text after the closing quote");
}

TEST(TransactionsBadRows, FieldValuesStayOutOfMessagesUnlessAskedFor) {
  std::string const text = "customer_id,date,amount\nc1,2026-01-02,jane@example.com\n";
  try {
    (void)parse(text);
    FAIL() << "no error";
  } catch (Error const& error) {
    EXPECT_EQ(std::string(error.what()),
              "t.csv:2: column 3 (amount): cannot parse the value (--show-values shows it) as a "
              "number");
  }
  cie::testing::ShowValues const show;
  std::string long_field(100, 'x');
  long_field[1] = '\x01';
  EXPECT_EQ(std::string(
                parse_error("customer_id,date,amount\nc1,2026-01-02," + long_field + "\n").what()),
            "t.csv:2: column 3 (amount): cannot parse 'x\\x01" + std::string(38, 'x') +
                "'... (100 bytes) as a number");
}

TEST(TransactionsBadRows, TheFirstBadColumnOfARowIsReported) {
  expect_data_error(fmt::format("{}x,bad-date,bad-amount\n", kHeader),
                    "t.csv:2: column 2 (date): cannot parse 'bad-date' as a date (expected "
                    "YYYY-MM-DD, YYYYMMDD or an ISO date-time; see --date-format)");
  // A wrong field count comes before any field.
  expect_data_error(fmt::format("{},bad-date\n", kHeader), "t.csv:2: expected 3 fields, found 2");
}

TEST(TransactionsBadRows, SkipCountsAndKeepsTheFirstMessage) {
  TransactionsFormat format;
  format.bad_rows = BadRowPolicy::kSkip;
  ReadReport report;
  Transactions const t = parse(fmt::format("{}a,2023-01-01,1\n"
                                           "b,2023-01-01\n"
                                           "\n"
                                           ",2023-01-01,1\n"
                                           "c,2023-01-01,2\n"
                                           "d,yesterday,1\n",
                                           kHeader),
                               format, report);
  EXPECT_EQ(t.customer_ids, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(t.amount, (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(report.data_lines, 5U);
  EXPECT_EQ(report.rows_accepted, 2U);
  EXPECT_EQ(report.rows_rejected, 3U);
  EXPECT_EQ(report.first_rejection, "t.csv:3: expected 3 fields, found 2");
}

TEST(TransactionsBadRows, QuarantineNeedsAPath) {
  TransactionsFormat format;
  format.bad_rows = BadRowPolicy::kQuarantine;
  Error const error = parse_error(kHeader, format);
  EXPECT_EQ(error.code(), ExitCode::kUsage);
  EXPECT_EQ(std::string(error.what()), "quarantining bad rows needs a quarantine file path");
}

TEST_F(TransactionsFiles, QuarantineHoldsTheHeaderAndEveryRejectedLineInOrder) {
  TransactionsFormat format;
  format.bad_rows = BadRowPolicy::kQuarantine;
  format.quarantine_path = path("quarantine.csv");
  ReadReport report;
  Transactions const t = parse(
      "customer_id,date,amount\r\n"
      "a,2023-01-01,1\r\n"
      "\"b,2023-01-01,1\r\n"
      ",2023-01-01,1\r\n"
      "c,2023-01-01,2\n"
      "\r\n"
      "d,2023-13-01,\"x\"\"\"\r\n"
      "e,2023-01-01,1,extra, \t",
      format, report);
  EXPECT_EQ(t.customer_ids, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(report.rows_rejected, 4U);
  EXPECT_EQ(report.first_rejection, "t.csv:3: column 1 (customer_id): unterminated quote");
  EXPECT_EQ(read_whole(format.quarantine_path),
            "customer_id,date,amount\n"
            "\"b,2023-01-01,1\n"
            ",2023-01-01,1\n"
            "d,2023-13-01,\"x\"\"\"\n"
            "e,2023-01-01,1,extra, \t\n");

  // Written, with the header only, when no row is bad.
  parse(fmt::format("{}a,2023-01-01,1\n", kHeader), format, report);
  EXPECT_EQ(report.rows_rejected, 0U);
  EXPECT_EQ(read_whole(format.quarantine_path), kHeader);
}

TEST(TransactionsReturns, NetKeepsAndExcludeDropsNegativeAmounts) {
  std::string const text = fmt::format(
      "{}a,2023-01-01,10\nb,2023-01-02,-4\na,2023-01-03,-1\n"
      "b,2023-01-04,0\n",
      kHeader);
  ReadReport report;
  Transactions t = parse(text, {}, report);
  EXPECT_EQ(t.amount, (std::vector<double>{10.0, -4.0, -1.0, 0.0}));
  EXPECT_EQ(report.rows_excluded_returns, 0U);

  TransactionsFormat format;
  format.returns = ReturnsPolicy::kExclude;
  t = parse(text, format, report);
  EXPECT_EQ(t.amount, (std::vector<double>{10.0, 0.0}));
  EXPECT_EQ(t.customer, (std::vector<std::int32_t>{0, 1}));
  EXPECT_EQ(t.timestamp, (std::vector<std::int64_t>{midnight(2023, 1, 1), midnight(2023, 1, 4)}));
  EXPECT_EQ(report.data_lines, 4U);
  EXPECT_EQ(report.rows_accepted, 2U);
  EXPECT_EQ(report.rows_excluded_returns, 2U);
}

TEST(TransactionsColumns, MissingColumnIsAUsageErrorListingTheHeader) {
  TransactionsFormat format;
  format.id_column = "CustomerID";
  Error error = parse_error("customer,date,\"amount\"\n", format);
  EXPECT_EQ(error.code(), ExitCode::kUsage);
  EXPECT_EQ(std::string(error.what()),
            "t.csv: id column 'CustomerID' is not in the header; its columns are: customer, date, "
            "amount");

  format = {};
  format.amount_column = "7";
  error = parse_error(kHeader, format);
  EXPECT_EQ(error.code(), ExitCode::kUsage);
  EXPECT_EQ(std::string(error.what()),
            "t.csv: amount column 7 is out of range: the header has 3 fields");

  format = {};
  format.has_header = false;
  format.id_column = "1";
  format.date_column = "date";
  format.amount_column = "3";
  error = parse_error("a,2023-01-01,1\n", format);
  EXPECT_EQ(error.code(), ExitCode::kUsage);
  EXPECT_EQ(std::string(error.what()),
            "t.csv: date column 'date' must be a 1-based position since the file has no header");

  format = {};
  format.amount_column = "customer_id";
  error = parse_error(kHeader, format);
  EXPECT_EQ(error.code(), ExitCode::kUsage);
  EXPECT_EQ(std::string(error.what()),
            "t.csv: the id column and the amount column are both column 1 (customer_id)");

  format = {};
  format.quantity_column = "qty";
  error = parse_error(kHeader, format);
  EXPECT_EQ(error.code(), ExitCode::kUsage);
}

TEST(TransactionsColumns, AColumnNamedTwiceInTheHeaderIsRefused) {
  // Which one is meant cannot be told: refused as the customer-table reader does.
  Error error = parse_error("\ncustomer_id,date,amount,amount\na,2023-01-01,1,2\n");
  EXPECT_EQ(error.code(), ExitCode::kInputData);
  EXPECT_EQ(std::string(error.what()),
            "t.csv:2: column 3 (amount): the header names the amount column twice (columns 3 and "
            "4)");
  error = parse_error("customer_id,date,customer_id,amount\na,2023-01-01,b,1\n");
  EXPECT_EQ(std::string(error.what()),
            "t.csv:1: column 1 (customer_id): the header names the id column twice (columns 1 and "
            "3)");
  // A repeated column that is not read stays harmless, as does a position.
  EXPECT_EQ(parse("customer_id,date,amount,x,x\na,2023-01-01,1,p,q\n").size(), 1U);
  TransactionsFormat format;
  format.amount_column = "4";
  EXPECT_EQ(parse("customer_id,date,amount,amount\na,2023-01-01,1,2\n", format).amount,
            std::vector<double>{2.0});
}
}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

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
#include "tests/test_support.hpp"

namespace cie {
namespace {

std::int64_t midnight(int year, int month, int day) {
  return std::int64_t{days_from_civil(year, month, day)} * 86400;
}

Transactions parse(std::string_view text, TransactionsFormat const& format, ReadReport& report,
                   int threads = 1) {
  Context const ctx = Context::cpu(threads);
  return parse_transactions(ctx, text, "t.csv", format, report);
}

Transactions parse(std::string_view text, TransactionsFormat const& format = {}) {
  ReadReport report;
  return parse(text, format, report);
}

/// The cie::Error that parsing throws, with field values shown; fails the test if nothing is
/// thrown.
Error parse_error(std::string_view text, TransactionsFormat const& format = {}) {
  cie::testing::ShowValues const show;
  try {
    parse(text, format);
  } catch (Error const& error) {
    return error;
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return Error(ExitCode::kSuccess, "");
}

void expect_data_error(std::string_view text, std::string const& message,
                       TransactionsFormat const& format = {}) {
  Error const error = parse_error(text, format);
  EXPECT_EQ(error.code(), ExitCode::kInputData) << error.what();
  EXPECT_EQ(std::string(error.what()), message);
}

std::string read_whole(std::filesystem::path const& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

/// A scratch directory removed with the test.
class TransactionsFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 fmt::format("cie-reader-{}-{}", ::getpid(),
                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::string write(std::string const& name, std::string_view bytes) const {
    std::string const path = (directory_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  std::string path(std::string const& name) const { return (directory_ / name).string(); }

  std::filesystem::path directory_;
};

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

constexpr std::string_view kHeader = "customer_id,date,amount\n";

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

/// ~200k rows over several MiB, so that texts are cut into several chunks, with ids whose first
/// appearances are spread through the file; one customer in 97 has an id with quotes in it.
std::string generated_transactions(std::size_t rows) {
  std::string text = "customer_id,date,channel,amount\n";
  text.reserve(rows * 40);
  for (std::size_t row = 0; row < rows; ++row) {
    std::size_t const customer = (row * 7919 + row / 3) % (rows / 4 + 1);
    if (customer % 97 == 0) {
      fmt::format_to(std::back_inserter(text), "\"cust-\"\"{}\"\"\"", customer);
    } else {
      fmt::format_to(std::back_inserter(text), "cust-{}", customer);
    }
    fmt::format_to(std::back_inserter(text), ",{},{},{}.{:02}\n",
                   format_date(static_cast<std::int32_t>(10000 + row % 3000)),
                   row % 2 == 0 ? "\"web, mobile\"" : "store", static_cast<int>(row % 500) - 50,
                   row % 100);
  }
  return text;
}

/// The customer id written at the start of a generated line.
std::string generated_id(std::string const& line) {
  if (!line.starts_with('"')) return line.substr(0, line.find(','));
  std::string id;
  for (std::size_t i = 1; !(line[i] == '"' && line[i + 1] != '"'); ++i) {
    id += line[i];
    if (line[i] == '"') ++i;
  }
  return id;
}

TEST(TransactionsOrders, OrderIdsAreHashedAndTheCancelPrefixMarksReturns) {
  std::string const text =
      "InvoiceNo,customer_id,date,amount\n"
      "536365,a,2023-01-01,10\n"
      "536365,a,2023-01-01,5\n"
      "C536379,a,2023-01-02,-4\n"
      "C536380,b,2023-01-02,3\n"  // a cancellation recorded with a positive amount
      "C536381,b,2023-01-03,0\n"
      "536366,b,2023-01-04,-0\n";
  TransactionsFormat format;
  format.order_column = "InvoiceNo";
  format.cancel_prefix = "C";
  ReadReport report;
  Transactions t = parse(text, format, report);
  ASSERT_EQ(t.order.size(), 6U);
  EXPECT_EQ(t.order[0], hash_id("536365"));
  EXPECT_EQ(t.order[1], t.order[0]);
  EXPECT_EQ(t.order[2], hash_id("C536379"));
  EXPECT_EQ(t.amount, (std::vector<double>{10.0, 5.0, -4.0, -3.0, 0.0, 0.0}));
  EXPECT_TRUE(std::signbit(t.amount[4]));  // a cancelled zero: -0.0, still a return
  EXPECT_TRUE(std::signbit(t.amount[5]));
  EXPECT_EQ(report.rows_cancelled, 3U);

  format.returns = ReturnsPolicy::kExclude;
  t = parse(text, format, report);
  EXPECT_EQ(t.amount, (std::vector<double>{10.0, 5.0}));
  EXPECT_EQ(t.order.size(), 2U);
  EXPECT_EQ(report.rows_excluded_returns, 4U);

  TransactionsFormat without_orders;
  EXPECT_TRUE(parse(text, without_orders).order.empty());
  format.returns = ReturnsPolicy::kNet;
  expect_data_error("InvoiceNo,customer_id,date,amount\n,a,2023-01-01,1\n",
                    "t.csv:2: column 1 (InvoiceNo): empty order id", format);
  TransactionsFormat prefix_only;
  prefix_only.cancel_prefix = "C";
  EXPECT_EQ(parse_error("customer_id,date,amount\na,2023-01-01,1\n", prefix_only).code(),
            ExitCode::kUsage);
}

TEST(TransactionsFormats, DateFormatReadsNonIsoDates) {
  TransactionsFormat format;
  format.date_format = "%m/%d/%Y %H:%M";
  Transactions t =
      parse("customer_id,date,amount\na,12/1/2010 8:26,1\nb,1/27/2011 12:23,2\n", format);
  EXPECT_EQ(t.timestamp, (std::vector<std::int64_t>{midnight(2010, 12, 1) + 8 * 3600 + 26 * 60,
                                                    midnight(2011, 1, 27) + 12 * 3600 + 23 * 60}));
  expect_data_error("customer_id,date,amount\na,2010-12-01,1\n",
                    "t.csv:2: column 2 (date): cannot parse '2010-12-01' as a date in the format "
                    "'%m/%d/%Y %H:%M'",
                    format);
  expect_data_error("customer_id,date,amount\na,12/1/2010 8:26,1\n",
                    "t.csv:2: column 2 (date): cannot parse '12/1/2010 8:26' as a date (expected "
                    "YYYY-MM-DD, YYYYMMDD or an ISO date-time; see --date-format)");
}

TEST(TransactionsOrders, OrderHashesAreIdenticalForEveryThreadCount) {
  std::string text = "customer_id,date,amount,order\n";
  for (int row = 0; row < 120000; ++row) {
    // Every 1000th row is bad (no date), so chunks keep different numbers of rows.
    text += fmt::format("c{},{},{}.25,{}{}\n", row % 997, row % 1000 == 7 ? "" : "2023-02-03",
                        row % 13 - 2, row % 5 == 0 ? "C" : "", row / 3);
  }
  TransactionsFormat format;
  format.order_column = "order";
  format.cancel_prefix = "C";
  format.bad_rows = BadRowPolicy::kSkip;
  ReadReport one_report;
  Transactions const one = parse(text, format, one_report, 1);
  ASSERT_EQ(one.order.size(), one.size());
  EXPECT_EQ(one_report.rows_rejected, 120U);
  for (int threads : {2, 3}) {
    ReadReport report;
    Transactions const many = parse(text, format, report, threads);
    EXPECT_EQ(many.order, one.order) << threads << " threads";
    EXPECT_EQ(many.amount, one.amount) << threads << " threads";
    EXPECT_EQ(report.rows_cancelled, one_report.rows_cancelled);
  }
}

void expect_identical(Transactions const& a, Transactions const& b) {
  EXPECT_EQ(a.customer_ids, b.customer_ids);
  EXPECT_EQ(a.customer, b.customer);
  EXPECT_EQ(a.timestamp, b.timestamp);
  ASSERT_EQ(a.amount.size(), b.amount.size());
  EXPECT_EQ(std::memcmp(a.amount.data(), b.amount.data(), a.amount.size() * sizeof(double)), 0);
}

TEST(TransactionsThreads, ResultIsIdenticalForEveryThreadCount) {
  std::size_t const rows = 200000;
  std::string const text = generated_transactions(rows);
  ASSERT_GT(text.size(), std::size_t{4} << 20);
  ReadReport report;
  Transactions const single = parse(text, {}, report, 1);
  ASSERT_EQ(single.size(), rows);
  EXPECT_EQ(report.data_lines, rows);

  // Independently: dense indices in order of first appearance, values as written.
  std::unordered_map<std::string, std::int32_t> index;
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  for (std::size_t row = 0; std::getline(lines, line); ++row) {
    std::string const id = generated_id(line);
    auto const [entry, added] = index.emplace(id, static_cast<std::int32_t>(index.size()));
    ASSERT_EQ(single.customer[row], entry->second) << "row " << row;
    ASSERT_EQ(single.customer_ids[static_cast<std::size_t>(entry->second)], id);
    ASSERT_EQ(single.timestamp[row], (10000 + static_cast<std::int64_t>(row % 3000)) * 86400);
    ASSERT_EQ(single.amount[row], std::strtod(line.substr(line.rfind(',') + 1).c_str(), nullptr));
  }
  EXPECT_EQ(single.customer_count(), index.size());
  EXPECT_EQ(single.customer_ids[0], "cust-\"0\"");

  TransactionsFormat exclude;
  exclude.returns = ReturnsPolicy::kExclude;
  ReadReport exclude_report;
  Transactions const single_exclude = parse(text, exclude, exclude_report, 1);
  EXPECT_GT(exclude_report.rows_excluded_returns, 0U);
  EXPECT_EQ(single_exclude.size() + exclude_report.rows_excluded_returns, rows);

  for (int threads : {2, 3, 8}) {
    SCOPED_TRACE(fmt::format("{} threads", threads));
    ReadReport threaded_report;
    expect_identical(parse(text, {}, threaded_report, threads), single);
    EXPECT_EQ(threaded_report.data_lines, rows);
    expect_identical(parse(text, exclude, threaded_report, threads), single_exclude);
    EXPECT_EQ(threaded_report.rows_excluded_returns, exclude_report.rows_excluded_returns);
  }
}

TEST(TransactionsIdMerge, MergedIdsFollowFirstAppearanceAcrossParts) {
  std::vector<std::vector<std::string>> const sequence = {
      {"b", "a", "c"}, {"d", "a", "e", "b"}, {}, {"e", "f", "c", "g"}};
  std::vector<IdDictionary> dictionaries(sequence.size());
  for (std::size_t p = 0; p < sequence.size(); ++p) {
    for (std::string const& id : sequence[p]) dictionaries[p].insert(id, hash_id(id));
  }
  std::vector<IdDictionary const*> parts;
  for (IdDictionary const& dictionary : dictionaries) parts.push_back(&dictionary);
  for (int threads : {1, 2, 5}) {
    SCOPED_TRACE(fmt::format("{} threads", threads));
    std::vector<std::vector<std::int32_t>> maps;
    std::vector<std::string_view> const ids = merge_in_order(Context::cpu(threads), parts, maps);
    EXPECT_EQ(ids, (std::vector<std::string_view>{"b", "a", "c", "d", "e", "f", "g"}));
    EXPECT_EQ(maps,
              (std::vector<std::vector<std::int32_t>>{{0, 1, 2}, {3, 1, 4, 0}, {}, {4, 5, 2, 6}}));
  }
}

TEST_F(TransactionsFiles, BadRowsAreHandledInFileOrderWhateverTheThreadCount) {
  std::string text = generated_transactions(200000);
  // Break rows far apart, so they fall in different chunks; the earliest is not in chunk 0.
  std::vector<std::size_t> bad_lines;
  std::size_t line_start = 0;
  std::size_t line_number = 1;
  for (std::size_t target : {150001U, 60001U, 190001U, 120001U}) {
    line_start = 0;
    for (line_number = 1; line_number < target; ++line_number)
      line_start = text.find('\n', line_start) + 1;
    text.replace(line_start, text.find(',', line_start) - line_start, "");
    bad_lines.push_back(target);
  }
  std::string expected_quarantine = "customer_id,date,channel,amount\n";
  {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.starts_with(',')) expected_quarantine += line + "\n";
    }
  }
  ASSERT_EQ(std::count(expected_quarantine.begin(), expected_quarantine.end(), '\n'), 5);

  for (int threads : {1, 2, 4, 8}) {
    SCOPED_TRACE(fmt::format("{} threads", threads));
    TransactionsFormat format;
    Context const ctx = Context::cpu(threads);
    ReadReport report;
    try {
      parse_transactions(ctx, text, "big.csv", format, report);
      ADD_FAILURE() << "no error";
    } catch (Error const& error) {
      EXPECT_EQ(error.code(), ExitCode::kInputData);
      EXPECT_EQ(std::string(error.what()),
                "big.csv:60001: column 1 (customer_id): empty customer id");
    }

    format.bad_rows = BadRowPolicy::kQuarantine;
    format.quarantine_path = path("rejected.csv");
    Transactions const t = parse_transactions(ctx, text, "big.csv", format, report);
    EXPECT_EQ(t.size(), 200000U - 4);
    EXPECT_EQ(report.rows_rejected, 4U);
    EXPECT_EQ(report.first_rejection, "big.csv:60001: column 1 (customer_id): empty customer id");
    EXPECT_EQ(read_whole(format.quarantine_path), expected_quarantine);
  }
}

TEST_F(TransactionsFiles, ReadsAMappedFileLikeTextInMemory) {
  std::string const text = generated_transactions(1000);
  std::string const file = write("t.csv", text);
  Context const ctx = Context::cpu(2);
  ReadReport report;
  Transactions const from_file = read_transactions(ctx, file, {}, report);
  EXPECT_EQ(report.rows_accepted, 1000U);
  expect_identical(from_file, parse(text));

  EXPECT_EQ(read_transactions(ctx, write("empty.csv", ""), {}, report).size(), 0U);
  EXPECT_EQ(read_transactions(ctx, write("header.csv", kHeader), {}, report).size(), 0U);
}

TEST_F(TransactionsFiles, MissingFileIsAUsageErrorNamingIt) {
  Context const ctx = Context::cpu(1);
  ReadReport report;
  std::string const missing = path("no-such-file.csv");
  try {
    read_transactions(ctx, missing, {}, report);
    ADD_FAILURE() << "no error";
  } catch (Error const& error) {
    EXPECT_EQ(error.code(), ExitCode::kUsage);
    EXPECT_EQ(std::string(error.what()),
              fmt::format("cannot open transactions file {}: No such file or directory", missing));
  }
}

TEST(TransactionsRealData, CdnowMaster) {
  TransactionsFormat format;
  format.delimiter = '\0';
  format.amount_column = "dollar_value";
  Context const ctx = Context::cpu(2);
  ReadReport report;
  Transactions const t =
      read_transactions(ctx, CIE_REAL_DATA_DIR "/cdnow/CDNOW_master.txt", format, report);
  EXPECT_EQ(t.size(), 69659U);
  EXPECT_EQ(t.customer_count(), 23570U);
  EXPECT_EQ(report.data_lines, 69659U);
  EXPECT_EQ(report.rows_rejected, 0U);
  EXPECT_EQ(t.customer_ids.front(), "00001");
  EXPECT_EQ(t.timestamp.front(), midnight(1997, 1, 1));
  EXPECT_EQ(t.amount.front(), 11.77);
}

TEST(TransactionsRealData, OnlineRetailWithQuantityTimesPrice) {
  TransactionsFormat format;
  format.id_column = "CustomerID";
  format.date_column = "InvoiceDate";
  format.quantity_column = "Quantity";
  format.price_column = "UnitPrice";
  format.bad_rows = BadRowPolicy::kSkip;
  Context const ctx = Context::cpu(2);
  ReadReport report;
  Transactions const t = read_transactions(
      ctx, CIE_REAL_DATA_DIR "/online-retail/online_retail_2010-12-01_to_2011-01-27_recovered.csv",
      format, report);
  EXPECT_EQ(report.data_lines, 73532U);
  EXPECT_EQ(report.rows_rejected, 28066U);
  EXPECT_EQ(report.rows_accepted, 73532U - 28066U);
  EXPECT_EQ(t.customer_count(), 1314U);
  EXPECT_EQ(t.customer_ids.front(), "17850");
  EXPECT_EQ(t.timestamp.front(), midnight(2010, 12, 1) + 8 * 3600 + 26 * 60);
  EXPECT_DOUBLE_EQ(t.amount.front(), 6 * 2.55);
  EXPECT_EQ(report.first_rejection, CIE_REAL_DATA_DIR
            "/online-retail/online_retail_2010-12-01_to_2011-01-27_recovered.csv"
            ":624: column 7 (CustomerID): empty customer id");
}

}  // namespace
}  // namespace cie

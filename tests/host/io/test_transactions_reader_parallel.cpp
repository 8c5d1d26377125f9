// The transactions reader cut into parts: order ids, thread-count independence, id merging,
// mapped files and the real data sets.
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

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

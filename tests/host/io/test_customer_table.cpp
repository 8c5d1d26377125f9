// The typed customer-table reader behind `cie propensity` and `cie segment`: type inference,
// missing values, overrides, optional columns, messages that name file, line and column, the id
// index, complete numeric columns for k-means, real files, joins and response labels.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "core/customer_table.hpp"
#include "core/error.hpp"
#include "datasets/generator.hpp"
#include "host/io/customer_table_reader.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::expect_error;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

/// The message of the error parsing throws, with field values shown.
std::string error_of(std::string_view text, CustomerTableRequest const& request, ExitCode code) {
  cie::testing::ShowValues const show;
  try {
    (void)parse_customer_table(text, "t.csv", request);
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "the table was accepted";
  return {};
}

CustomerTable parse_table(std::string_view text, CustomerTableRequest const& request = {}) {
  return parse_customer_table(text, "t.csv", request);
}

TEST(CustomerTable, InfersNumericAndCategoricalColumnsWithMissingValues) {
  CustomerTable const table = parse_table(
      "customer_id,age,region,score,mixed\n"
      "c1,34,north,1.5,1\n"
      "c2,,south,NA,2\n"
      "c3,+51,north,-2e1,abc\n"
      "c4,40,null,N/A,2\n");
  ASSERT_EQ(table.rows(), 4U);
  EXPECT_THAT(table.ids, ElementsAre("c1", "c2", "c3", "c4"));
  ASSERT_EQ(table.columns.size(), 4U);

  TableColumn const& age = *table.find("age");
  EXPECT_EQ(age.type, ColumnType::kNumeric);
  EXPECT_THAT(age.numbers, ElementsAre(34.0, 0.0, 51.0, 40.0));
  EXPECT_THAT(age.missing, ElementsAre(0, 1, 0, 0));
  EXPECT_EQ(age.missing_count(), 1U);
  EXPECT_TRUE(age.codes.empty());

  TableColumn const& region = *table.find("region");
  EXPECT_EQ(region.type, ColumnType::kCategorical);
  EXPECT_THAT(region.levels, ElementsAre("north", "south"));
  EXPECT_THAT(region.codes, ElementsAre(0, 1, 0, -1));
  EXPECT_THAT(region.missing, ElementsAre(0, 0, 0, 1));
  EXPECT_TRUE(region.numbers.empty());

  TableColumn const& score = *table.find("score");
  EXPECT_EQ(score.type, ColumnType::kNumeric);
  EXPECT_THAT(score.numbers, ElementsAre(1.5, 0.0, -20.0, 0.0));
  EXPECT_EQ(score.missing_count(), 2U);

  // Numbers until the third row: the whole column becomes categorical, in first-appearance order.
  TableColumn const& mixed = *table.find("mixed");
  EXPECT_EQ(mixed.type, ColumnType::kCategorical);
  EXPECT_THAT(mixed.levels, ElementsAre("1", "2", "abc"));
  EXPECT_THAT(mixed.codes, ElementsAre(0, 1, 2, 1));
  EXPECT_TRUE(mixed.numbers.empty());
  EXPECT_EQ(table.find("customer_id"), nullptr);
  EXPECT_EQ(table.describe_row(2), "t.csv:4");
}

TEST(CustomerTable, OverridesColumnsAndExclusions) {
  std::string const text =
      "customer_id,zip,flag,leak,amount\n"
      "a,01234,yes,1,3\n"
      "b,98765,no,0,4\n";
  CustomerTableRequest request;
  request.categorical = {"zip", "not_in_this_file"};
  request.exclude = {"leak"};
  CustomerTable const table = parse_table(text, request);
  ASSERT_EQ(table.columns.size(), 3U);
  EXPECT_EQ(table.columns[0].name, "zip");
  EXPECT_EQ(table.columns[0].type, ColumnType::kCategorical);
  EXPECT_THAT(table.columns[0].levels, ElementsAre("01234", "98765"));
  EXPECT_EQ(table.find("leak"), nullptr);

  request = {};
  request.columns = {"amount", "zip", "leak"};
  request.exclude = {"leak"};
  request.numeric = {"zip"};
  CustomerTable const chosen = parse_table(text, request);
  ASSERT_EQ(chosen.columns.size(), 2U);
  EXPECT_EQ(chosen.columns[0].name, "amount");
  EXPECT_EQ(chosen.columns[1].name, "zip");
  EXPECT_THAT(chosen.columns[1].numbers, ElementsAre(1234.0, 98765.0));

  request = {};
  request.numeric = {"flag"};
  EXPECT_THAT(error_of(text, request, ExitCode::kInputData),
              HasSubstr("t.csv:2: column 3 (flag): cannot parse 'yes' as a number"));
  request = {};
  request.exclude = {"leak", "nope"};
  EXPECT_THAT(error_of(text, request, ExitCode::kUsage),
              HasSubstr("t.csv: excluded column nope is not in the header; its columns are: "
                        "customer_id, zip, flag, leak, amount"));
  request = {};
  request.categorical = {"zip"};
  request.numeric = {"zip"};
  EXPECT_THAT(error_of(text, request, ExitCode::kUsage), HasSubstr("both as categorical"));
  request = {};
  request.columns = {"zip", "zip"};
  EXPECT_THAT(error_of(text, request, ExitCode::kUsage), HasSubstr("zip is requested twice"));
}

TEST(CustomerTable, MissingTokensNaNAndInf) {
  CustomerTableRequest request;
  request.missing_tokens = {"?"};
  CustomerTable const custom = parse_table("customer_id,x,y\na,?,NA\nb,2,1\n", request);
  EXPECT_EQ(custom.find("x")->type, ColumnType::kNumeric);
  EXPECT_THAT(custom.find("x")->missing, ElementsAre(1, 0));
  // "NA" is not a missing token any more, so it is a level.
  EXPECT_EQ(custom.find("y")->type, ColumnType::kCategorical);
  EXPECT_THAT(custom.find("y")->levels, ElementsAre("NA", "1"));

  std::string const header = "customer_id,x,y\n";
  EXPECT_THAT(error_of(header + "a,1,2\nb,inf,3\n", {}, ExitCode::kInputData),
              HasSubstr("t.csv:3: column 2 (x): Inf is not allowed in a numeric column"));
  EXPECT_THAT(error_of(header + "a,1,-Infinity\n", {}, ExitCode::kInputData),
              HasSubstr("t.csv:2: column 3 (y): Inf is not allowed"));
  EXPECT_THAT(error_of(header + "a,nan,2\n", {}, ExitCode::kInputData),
              HasSubstr("t.csv:2: column 2 (x): NaN is not allowed in a numeric column (a "
                        "missing value is empty or one of: NA, N/A, NaN, null)"));
  // In a column of words, "inf" is just another level.
  CustomerTable const words = parse_table(header + "a,inf,1\nb,high,2\n");
  EXPECT_THAT(words.find("x")->levels, ElementsAre("inf", "high"));
  request = {};
  request.numeric = {"x"};
  EXPECT_THAT(error_of(header + "a,1,2\nb,inf,high\n", request, ExitCode::kInputData),
              HasSubstr("t.csv:3: column 2 (x): Inf is not allowed"));
}

TEST(CustomerTable, QuotesBomBlankLinesAndNumberedRows) {
  CustomerTableRequest request;
  request.id_column = "";
  request.delimiter = ';';
  CustomerTable const table = parse_table(
      "\xEF\xBB\xBF\"age\";\"job\"\r\n"
      "30;\"admin.;remote\"\r\n"
      "\r\n"
      "  \n"
      "41;\"say \"\"hi\"\"\"\r\n"
      "52;\"admin.;remote\"\r\n",
      request);
  ASSERT_EQ(table.rows(), 3U);
  EXPECT_THAT(table.ids, ElementsAre("1", "2", "3"));
  EXPECT_THAT(table.line_numbers, ElementsAre(2U, 5U, 6U));
  EXPECT_THAT(table.find("age")->numbers, ElementsAre(30.0, 41.0, 52.0));
  EXPECT_THAT(table.find("job")->levels, ElementsAre("admin.;remote", "say \"hi\""));
  EXPECT_THAT(table.find("job")->codes, ElementsAre(0, 1, 0));
}

TEST(CustomerTable, StructuralErrorsNameFileLineAndColumn) {
  std::string const header = "customer_id,age,region\n";
  EXPECT_THAT(error_of(header + "a,1,x\nb,2\n", {}, ExitCode::kInputData),
              HasSubstr("t.csv:3: column 3 (region): expected 3 fields, found 2"));
  EXPECT_THAT(error_of(header + "a,1,x,9\n", {}, ExitCode::kInputData),
              HasSubstr("t.csv:2: column 4 (beyond the header): expected 3 fields, found 4"));
  EXPECT_THAT(error_of(header + "a,1,\"x\n", {}, ExitCode::kInputData),
              HasSubstr("t.csv:2: column 3 (region): unterminated quote"));
  EXPECT_THAT(error_of(header + "a,1,x\n\n,2,y\n", {}, ExitCode::kInputData),
              HasSubstr("t.csv:4: column 1 (customer_id): empty customer id"));
  EXPECT_THAT(error_of(header + "a,1,x\nb,2,y\na,3,z\n", {}, ExitCode::kInputData),
              HasSubstr("t.csv:4: column 1 (customer_id): duplicate customer id (first on line "
                        "2)"));
  EXPECT_THAT(error_of("", {}, ExitCode::kInputData), HasSubstr("t.csv: the file is empty"));
  EXPECT_THAT(error_of("customer_id,a,a\nx,1,2\n", {}, ExitCode::kInputData),
              HasSubstr("t.csv:1: column 2 (a): the header names it twice (columns 2 and 3)"));
}

TEST(CustomerTable, UnknownRequestedColumnsListTheHeader) {
  CustomerTableRequest request;
  request.columns = {"age", "income", "tenure"};
  request.needed_by = "model prop.json";
  EXPECT_THAT(error_of("customer_id,age\na,1\n", request, ExitCode::kUsage),
              HasSubstr("t.csv: columns income, tenure are not in the header (needed by model "
                        "prop.json); its columns are: customer_id, age"));
  request = {};
  request.id_column = "id";
  EXPECT_THAT(error_of("customer_id,age\na,1\n", request, ExitCode::kUsage),
              HasSubstr("t.csv: column id is not in the header"));
}

TEST(CustomerTable, OptionalColumnsAreReadWhenPresent) {
  std::string const text =
      "customer_id,segment,recency_days,other,monetary_total\n"
      "a,Champions,3,x,12.5\n"
      "b,Lost,40,,-2e1\n";
  CustomerTableRequest request;
  request.columns = {"recency_days", "monetary_total"};
  request.optional_columns = {"monetary_total", "frequency", "segment", "customer_id"};
  CustomerTable const table = parse_table(text, request);
  ASSERT_EQ(table.columns.size(), 3U);
  EXPECT_EQ(table.columns[2].name, "segment");
  EXPECT_THAT(table.columns[2].levels, ElementsAre("Champions", "Lost"));
  EXPECT_THAT(table.find("monetary_total")->numbers, ElementsAre(12.5, -20.0));
  EXPECT_EQ(table.find("frequency"), nullptr);
  EXPECT_EQ(table.find("other"), nullptr);  // not requested: not read, whatever it holds
  EXPECT_THAT(table.ids, ElementsAre("a", "b"));

  request.exclude = {"segment"};
  EXPECT_EQ(parse_table(text, request).find("segment"), nullptr);
}

TEST(CustomerTable, CompleteNumericColumnsForKMeans) {
  CustomerTable const table = parse_table("customer_id,r,f,name\na,1,2,x\nb,3,,y\n");
  std::vector<std::string> names = {"r"};
  RawColumns const raw = complete_numeric_columns(table, names, "k-means");
  ASSERT_EQ(raw.columns.size(), 1U);
  EXPECT_THAT(std::vector<double>(raw.columns[0].float64().begin(), raw.columns[0].float64().end()),
              ElementsAre(1.0, 3.0));
  EXPECT_EQ(raw.rows, 2U);
  EXPECT_EQ(raw.describe_row(1), "t.csv:3");

  names = {"r", "f"};
  cie::testing::expect_error([&] { (void)complete_numeric_columns(table, names, "k-means"); },
                             ExitCode::kInputData,
                             "t.csv:3: column f: missing value, which k-means cannot use");
  names = {"name"};
  cie::testing::expect_error([&] { (void)complete_numeric_columns(table, names, "k-means"); },
                             ExitCode::kUsage, "k-means needs a numeric column name");
}

TEST(CustomerTable, IndexIdsFindsEveryRowAndTheFirstDuplicate) {
  for (std::size_t const rows : {1U, 15U, 16U, 17U, 3000U}) {
    SCOPED_TRACE(fmt::format("{} rows", rows));
    CustomerTable table;
    for (std::size_t row = 0; row < rows; ++row) table.ids.push_back(fmt::format("C{}", row));
    IdDictionary const index = index_ids(
        table, [](std::size_t, std::size_t) { ADD_FAILURE() << "a duplicate among distinct ids"; });
    ASSERT_EQ(index.size(), rows);
    for (std::size_t row = 0; row < rows; ++row) {
      EXPECT_EQ(index.find(table.ids[row], hash_id(table.ids[row])), static_cast<int>(row));
    }
    for (std::size_t const first : {std::size_t{0}, rows / 2, rows - 1}) {
      table.ids.push_back(table.ids[first]);
      std::vector<std::pair<std::size_t, std::size_t>> duplicates;
      (void)index_ids(table, [&](std::size_t row, std::size_t earlier) {
        duplicates.emplace_back(row, earlier);
      });
      EXPECT_THAT(duplicates, ElementsAre(std::pair(rows, first)));
      table.ids.pop_back();
    }
  }

  // Reserving room in a dictionary that already holds ids keeps their indices.
  IdDictionary dictionary;
  for (std::string_view const id : {"a", "b", "c"}) dictionary.insert(id, hash_id(id));
  dictionary.reserve(5000);
  EXPECT_EQ(dictionary.find("b", hash_id("b")), 1);
  EXPECT_EQ(dictionary.insert("d", hash_id("d")), 3);
  EXPECT_EQ(dictionary.find("c", hash_id("c")), 2);
}

TEST(CustomerTable, TakeRemovesAColumn) {
  CustomerTable table = parse_table("customer_id,a,b\nx,1,2\n");
  TableColumn const b = table.take("b");
  EXPECT_EQ(b.name, "b");
  EXPECT_THAT(b.numbers, ElementsAre(2.0));
  ASSERT_EQ(table.columns.size(), 1U);
  try {
    (void)table.take("b");
    ADD_FAILURE() << "took a missing column";
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    EXPECT_THAT(e.what(), HasSubstr("t.csv: no column b; its columns are: a"));
  }
}

TEST(CustomerTableRealData, BankMarketing) {
  CustomerTableRequest request;
  request.id_column = "";
  request.delimiter = ';';
  CustomerTable const table =
      read_customer_table(std::string(CIE_REAL_DATA_DIR) + "/bank-marketing/bank.csv", request);
  EXPECT_EQ(table.rows(), 4521U);
  EXPECT_EQ(table.columns.size(), 17U);
  EXPECT_EQ(table.ids.front(), "1");
  EXPECT_EQ(table.ids.back(), "4521");
  for (char const* name : {"age", "balance", "day", "duration", "campaign", "pdays", "previous"}) {
    EXPECT_EQ(table.find(name)->type, ColumnType::kNumeric) << name;
  }
  for (char const* name : {"job", "marital", "education", "default", "housing", "loan", "contact",
                           "month", "poutcome", "y"}) {
    EXPECT_EQ(table.find(name)->type, ColumnType::kCategorical) << name;
    EXPECT_EQ(table.find(name)->missing_count(), 0U) << name;
  }
  EXPECT_EQ(table.find("job")->levels.size(), 12U);
  EXPECT_THAT(table.find("y")->levels, ElementsAre("no", "yes"));
  EXPECT_EQ(table.find("age")->numbers.front(), 30.0);
  std::vector<float> const y = response_labels(table, *table.find("y"), "yes");
  EXPECT_EQ(std::count(y.begin(), y.end(), 1.0F), 521);
}

TEST(CustomerTableRealData, Hillstrom) {
  CustomerTableRequest request;
  request.id_column = "";
  CustomerTable const table =
      read_customer_table(std::string(CIE_REAL_DATA_DIR) + "/hillstrom/hillstrom.csv", request);
  EXPECT_EQ(table.rows(), 64000U);
  EXPECT_EQ(table.columns.size(), 12U);
  for (char const* name : {"history_segment", "zip_code", "channel", "segment"}) {
    EXPECT_EQ(table.find(name)->type, ColumnType::kCategorical) << name;
  }
  for (char const* name :
       {"recency", "history", "mens", "womens", "newbie", "visit", "conversion", "spend"}) {
    EXPECT_EQ(table.find(name)->type, ColumnType::kNumeric) << name;
  }
  EXPECT_EQ(table.find("history_segment")->levels.size(), 7U);
  EXPECT_EQ(table.find("history_segment")->levels.front(), "2) $100 - $200");
  EXPECT_EQ(table.find("zip_code")->levels.size(), 3U);
  EXPECT_EQ(table.find("segment")->levels.size(), 3U);
}

TEST(CustomerTableRealData, GeneratedCustomersJoinCampaign) {
  testing::TempDir dir;
  datasets::GeneratorParams params;
  params.customers = 300;
  (void)datasets::generate_dataset(Context::cpu(1, 7), params, dir.path().string());
  CustomerTable customers = read_customer_table(dir.file("customers.csv"), {});
  EXPECT_EQ(customers.rows(), 300U);
  EXPECT_EQ(customers.find("age")->type, ColumnType::kNumeric);
  EXPECT_EQ(customers.find("email_opt_in")->type, ColumnType::kNumeric);
  EXPECT_EQ(customers.find("region")->type, ColumnType::kCategorical);
  EXPECT_EQ(customers.find("channel")->type, ColumnType::kCategorical);
  EXPECT_EQ(customers.find("signup_date")->type, ColumnType::kCategorical);
  CustomerTableRequest request;
  request.exclude = {"revenue"};
  CustomerTable campaign = read_customer_table(dir.file("campaign.csv"), request);
  EXPECT_EQ(campaign.rows(), 300U);
  EXPECT_EQ(campaign.find("treated")->type, ColumnType::kNumeric);
  std::vector<float> const responded = response_labels(campaign, *campaign.find("responded"), "");
  EXPECT_EQ(responded.size(), 300U);

  std::vector<JoinSide> sides;
  CustomerTable const joined = join_tables(std::move(customers), {std::move(campaign)}, sides);
  EXPECT_EQ(joined.rows(), 300U);
  // campaign, treated, responded and the contact columns (contact_channel, not channel, which
  // customers.csv has: a column in both tables would be refused).
  EXPECT_EQ(joined.columns.size(), 5U + 6U);
  EXPECT_EQ(joined.find("contact_date")->type, ColumnType::kCategorical);
  EXPECT_GT(joined.find("contact_channel")->missing_count(), 0U);  // the control's
  ASSERT_EQ(sides.size(), 2U);
  EXPECT_EQ(sides[0].matched, 300U);
  EXPECT_EQ(sides[1].unmatched, 0U);
}

TEST(CustomerTableJoin, KeepsBaseOrderAndCountsUnmatchedRowsOnBothSides) {
  CustomerTable base = parse_customer_table(
      "customer_id,age,region\nc1,30,n\nc2,40,s\nc3,50,n\nc4,60,e\n", "customers.csv", {});
  CustomerTable campaign = parse_customer_table(
      "customer_id,responded\nc4,1\nzz,0\nc2,0\nc1,1\nyy,1\n", "campaign.csv", {});
  CustomerTable scores =
      parse_customer_table("customer_id,score\nc1,0.5\nc2,0.25\nc3,1\n", "scores.csv", {});
  std::vector<JoinSide> sides;
  CustomerTable const joined =
      join_tables(std::move(base), {std::move(campaign), std::move(scores)}, sides);
  EXPECT_THAT(joined.ids, ElementsAre("c1", "c2"));
  EXPECT_THAT(joined.line_numbers, ElementsAre(2U, 3U));
  EXPECT_EQ(joined.source, "customers.csv");
  ASSERT_EQ(joined.columns.size(), 4U);
  EXPECT_THAT(joined.find("age")->numbers, ElementsAre(30.0, 40.0));
  EXPECT_THAT(joined.find("region")->codes, ElementsAre(0, 1));
  EXPECT_THAT(joined.find("responded")->numbers, ElementsAre(1.0, 0.0));
  EXPECT_THAT(joined.find("score")->numbers, ElementsAre(0.5, 0.25));
  ASSERT_EQ(sides.size(), 3U);
  EXPECT_EQ(sides[0].source, "customers.csv");
  EXPECT_EQ(sides[0].rows, 4U);
  EXPECT_EQ(sides[0].matched, 2U);
  EXPECT_EQ(sides[0].unmatched, 2U);
  EXPECT_EQ(sides[1].rows, 5U);
  EXPECT_EQ(sides[1].matched, 3U);
  EXPECT_EQ(sides[1].unmatched, 2U);
  EXPECT_EQ(sides[2].matched, 3U);
  EXPECT_EQ(sides[2].unmatched, 0U);
}

TEST(CustomerTableJoin, RejectsAColumnInTwoTables) {
  CustomerTable base = parse_customer_table("customer_id,age\nc1,1\n", "a.csv", {});
  CustomerTable other = parse_customer_table("customer_id,age\nc1,2\n", "b.csv", {});
  std::vector<JoinSide> sides;
  try {
    (void)join_tables(std::move(base), {std::move(other)}, sides);
    ADD_FAILURE() << "joined two tables with the same column";
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    EXPECT_THAT(e.what(), HasSubstr("column age is in both a.csv and b.csv"));
  }
}

TEST(ResponseLabels, PositiveValueOrNumericZeroOne) {
  CustomerTable const table = parse_table(
      "customer_id,y,r,bad,gap\n"
      "a,yes,1,2,1\n"
      "b,no,0,0,\n"
      "c,yes,1,1,0\n");
  EXPECT_THAT(response_labels(table, *table.find("y"), "yes"), ElementsAre(1.0F, 0.0F, 1.0F));
  EXPECT_THAT(response_labels(table, *table.find("r"), ""), ElementsAre(1.0F, 0.0F, 1.0F));
  EXPECT_THAT(response_labels(table, *table.find("bad"), "2"), ElementsAre(1.0F, 0.0F, 0.0F));
  auto const message = [&](char const* column, std::string const& positive, ExitCode code) {
    try {
      (void)response_labels(table, *table.find(column), positive);
    } catch (Error const& e) {
      EXPECT_EQ(e.code(), code) << e.what();
      return std::string(e.what());
    }
    ADD_FAILURE() << "labels accepted";
    return std::string();
  };
  EXPECT_THAT(message("bad", "", ExitCode::kInputData),
              HasSubstr("t.csv:2: column bad: the response must be 0 or 1, found 2"));
  EXPECT_THAT(message("gap", "", ExitCode::kInputData),
              HasSubstr("t.csv:3: column gap: the response is missing"));
  EXPECT_THAT(message("y", "", ExitCode::kUsage), HasSubstr("name its positive value"));
  EXPECT_THAT(message("y", "Yes", ExitCode::kUsage),
              HasSubstr("has no value 'Yes'; its values are: yes, no"));
  EXPECT_THAT(message("r", "high", ExitCode::kUsage), StartsWith("t.csv: the response column r"));
}

TEST(CustomerTable, AHeaderOfAMillionColumnsIsReadInLinearTime) {
  // Every header check is a hash lookup: 1M columns take well under a second (the quadratic
  // checks took over five minutes). A repeated name is still found, and messages list at most
  // 50 columns.
  constexpr std::size_t kColumns = 1'000'000;
  std::string text = "customer_id";
  for (std::size_t c = 0; c < kColumns; ++c) text += ",c" + std::to_string(c);
  std::string row = "\nx";
  for (std::size_t c = 0; c < kColumns; ++c) row += ",1";
  CustomerTableRequest request;
  request.columns = {"c999999", "c3"};
  CustomerTable const table = parse_customer_table(text + row + "\n", "wide.csv", request);
  ASSERT_EQ(table.columns.size(), 2u);
  EXPECT_EQ(table.columns[0].name, "c999999");

  request.columns = {"absent"};
  try {
    (void)parse_customer_table(text + row + "\n", "wide.csv", request);
    FAIL() << "no error";
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    EXPECT_THAT(e.what(), HasSubstr("... (1000001 columns in all)"));
    EXPECT_LT(std::string_view(e.what()).size(), 1000u);
  }
  request.columns = {"c5"};
  std::string const twice = text + ",c5" + row + ",2\n";
  expect_error([&] { (void)parse_customer_table(twice, "wide.csv", request); },
               ExitCode::kInputData, "the header names it twice (columns 7 and 1000002)");
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

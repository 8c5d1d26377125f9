// The customer-table reader cut into chunks parsed on several threads: the same table (ids, line
// numbers, numbers, level order, codes) and the same first error in file order for 1, 2 and 3
// threads and any chunk size, on files with quoted delimiters and escapes, quoted fields that
// try to span lines, CRLF, blank lines, a missing final line end, and bad rows in late chunks.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/context.hpp"
#include "core/customer_table.hpp"
#include "core/error.hpp"
#include "core/id_dictionary.hpp"
#include "host/io/customer_table_reader.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using ::testing::ElementsAre;

/// Threads × least chunk bytes: from one chunk to as many as the thread count allows.
struct Split {
  int threads;
  std::size_t min_chunk_bytes;
};
std::vector<Split> const kSplits = {
    {1, kMinTableChunkBytes}, {1, 64}, {2, 64}, {2, 1000}, {3, 64}, {3, 4096},
    {2, kMinTableChunkBytes}, {3, 333}};

CustomerTable parse_split(std::string_view text, CustomerTableRequest const& request, Split split) {
  return parse_customer_table(Context::cpu(split.threads), text, "t.csv", request,
                              split.min_chunk_bytes);
}

/// The message of the input or usage error parsing throws, with field values shown.
std::string error_of(std::string_view text, CustomerTableRequest const& request, Split split) {
  cie::testing::ShowValues const show;
  try {
    (void)parse_split(text, request, split);
  } catch (Error const& e) {
    return e.what();
  }
  return "accepted";
}

/// Every field of both tables, numbers bit for bit.
void expect_same_table(CustomerTable const& expected, CustomerTable const& actual,
                       std::string const& label) {
  SCOPED_TRACE(label);
  EXPECT_EQ(actual.source, expected.source);
  EXPECT_EQ(actual.ids, expected.ids);
  EXPECT_EQ(actual.line_numbers, expected.line_numbers);
  ASSERT_EQ(actual.columns.size(), expected.columns.size());
  for (std::size_t c = 0; c < expected.columns.size(); ++c) {
    TableColumn const& a = actual.columns[c];
    TableColumn const& e = expected.columns[c];
    SCOPED_TRACE(e.name);
    EXPECT_EQ(a.name, e.name);
    EXPECT_EQ(a.type, e.type);
    ASSERT_EQ(a.numbers.size(), e.numbers.size());
    // Bit for bit (NaN included); std::equal, not memcmp, which an empty vector's null data()
    // would make undefined.
    EXPECT_TRUE(
        std::equal(a.numbers.begin(), a.numbers.end(), e.numbers.begin(), [](double x, double y) {
          return std::bit_cast<std::uint64_t>(x) == std::bit_cast<std::uint64_t>(y);
        }));
    EXPECT_EQ(a.missing, e.missing);
    EXPECT_EQ(a.codes, e.codes);
    EXPECT_EQ(a.levels, e.levels);
  }
}

/// A table of `rows` rows with what the chunk cuts must not disturb: ids with "" escapes, quoted
/// fields holding the delimiter, levels first met all through the file, a column of numbers that
/// turns into words on row `turn_row`, missing values, blank lines, CRLF on every third line and
/// no line end after the last row. The expected values are kept beside the text.
struct GeneratedTable {
  std::string text = "customer_id,age,region,code,note,score\n";
  std::vector<std::string> ids;
  std::vector<std::size_t> lines;
  std::vector<std::string> region_levels;  ///< in order of first appearance
  std::vector<double> score;
};

GeneratedTable generate_table(std::size_t rows, std::size_t turn_row) {
  GeneratedTable table;
  std::size_t line = 1;
  for (std::size_t row = 0; row < rows; ++row) {
    if (row % 50 == 7) {
      table.text += row % 100 == 7 ? "\n" : " \t\r\n";
      ++line;
    }
    std::string id = fmt::format("c{}", row * 7 + 3);
    if (row % 11 == 0) {
      id = fmt::format("c\"{}\"", row);
      table.text += fmt::format("\"c\"\"{}\"\"\"", row);
    } else {
      table.text += id;
    }
    // Region k first appears on row 37 k, so new levels keep coming in every chunk.
    std::size_t const region = row % 37 == 0 ? row / 37 : (row * 13) % (row / 37 + 1);
    std::string const region_name =
        region % 5 == 0 ? fmt::format("north, {}", region) : fmt::format("r{}", region);
    if (row % 37 == 0) table.region_levels.push_back(region_name);
    std::string const region_field =
        region % 5 == 0 ? fmt::format("\"{}\"", region_name) : region_name;
    std::string const age = row % 13 == 0 ? "" : row % 17 == 0 ? "NA" : fmt::format("{}", row % 90);
    std::string const code = row == turn_row ? "x" : fmt::format("{}", row % 7);
    double const score = static_cast<double>(row) / 8.0 - 3.25;
    table.text += fmt::format(",{},{},{},\"note {}, \"\"quoted\"\"\",{}", age, region_field, code,
                              row % 3, score);
    table.text += row + 1 == rows ? "" : row % 3 == 0 ? "\r\n" : "\n";
    ++line;
    table.ids.push_back(id);
    table.lines.push_back(line);
    table.score.push_back(score);
  }
  return table;
}

TEST(CustomerTableChunks, SameTableForEveryThreadCountAndChunkSize) {
  GeneratedTable const generated = generate_table(3000, 2400);
  CustomerTableRequest inferred;
  CustomerTableRequest forced;
  forced.categorical = {"score"};
  forced.numeric = {"age"};
  forced.columns = {"score", "region", "age", "code"};
  forced.missing_tokens = {"NA", "7"};
  for (CustomerTableRequest const* request : {&inferred, &forced}) {
    CustomerTable const expected = parse_customer_table(generated.text, "t.csv", *request);
    ASSERT_EQ(expected.rows(), 3000U);
    EXPECT_EQ(expected.ids, generated.ids);
    EXPECT_EQ(expected.line_numbers, generated.lines);
    EXPECT_EQ(expected.find("region")->levels, generated.region_levels);
    for (Split const split : kSplits) {
      expect_same_table(expected, parse_split(generated.text, *request, split),
                        fmt::format("{} threads, chunks of {} bytes or more", split.threads,
                                    split.min_chunk_bytes));
    }
  }
  CustomerTable const table = parse_customer_table(generated.text, "t.csv", inferred);
  EXPECT_EQ(table.find("score")->numbers, generated.score);
  // Numbers up to row 2400, then a word: categorical, its levels in order of first appearance.
  TableColumn const& code = *table.find("code");
  EXPECT_EQ(code.type, ColumnType::kCategorical);
  EXPECT_THAT(code.levels, ElementsAre("0", "1", "2", "3", "4", "5", "6", "x"));
  EXPECT_EQ(code.codes[2400], 7);
  EXPECT_EQ(code.codes[2401], 2401 % 7);
  TableColumn const& note = *table.find("note");
  EXPECT_THAT(note.levels,
              ElementsAre("note 0, \"quoted\"", "note 1, \"quoted\"", "note 2, \"quoted\""));
  TableColumn const& age = *table.find("age");
  EXPECT_EQ(age.type, ColumnType::kNumeric);
  std::size_t missing_ages = 0;
  for (std::size_t row = 0; row < 3000; ++row) missing_ages += row % 13 == 0 || row % 17 == 0;
  EXPECT_EQ(age.missing_count(), missing_ages);
}

TEST(CustomerTableChunks, WithoutIdsAndWithTheHeaderLate) {
  std::string text = "\xEF\xBB\xBF\r\n\n  \nage;job\r\n";
  for (int row = 0; row < 900; ++row) {
    text += fmt::format("{};\"job;{}\"\r\n", row, row % 4);
    if (row % 100 == 99) text += "\r\n";
  }
  CustomerTableRequest request;
  request.id_column = "";
  request.delimiter = ';';
  CustomerTable const expected = parse_customer_table(text, "t.csv", request);
  ASSERT_EQ(expected.rows(), 900U);
  EXPECT_EQ(expected.ids[899], "900");
  EXPECT_EQ(expected.line_numbers[0], 5U);
  EXPECT_EQ(expected.line_numbers[899], 5U + 899 + 8);
  for (Split const split : kSplits) {
    expect_same_table(expected, parse_split(text, request, split),
                      fmt::format("{} threads, {} bytes", split.threads, split.min_chunk_bytes));
  }
}

/// `bad` put in place of line `line` (counted from 1) of the generated table's text.
std::string with_line(std::string const& text, std::size_t line, std::string const& bad) {
  std::size_t begin = 0;
  for (std::size_t l = 1; l < line; ++l) begin = text.find('\n', begin) + 1;
  std::size_t const end = text.find('\n', begin);
  return text.substr(0, begin) + bad + text.substr(end);
}

TEST(CustomerTableChunks, TheFirstBadRowInFileOrderWhateverTheSplit) {
  GeneratedTable const generated = generate_table(3000, 100000);
  std::string const& text = generated.text;
  // Lines late in the file, in the last chunk of every split, and two earlier ones.
  std::size_t const late = generated.lines[2900];
  std::size_t const later = generated.lines[2990];
  std::size_t const early = generated.lines[400];
  struct Case {
    std::string text;
    std::string message;
  };
  std::vector<Case> const cases = {
      {with_line(text, late, "c1,2,r1,3,note"),
       fmt::format("t.csv:{}: column 6 (score): expected 6 fields, found 5", late)},
      {with_line(text, late, "c1,2,r1,3,note,4,5"),
       fmt::format("t.csv:{}: column 7 (beyond the header): expected 6 fields, found 7", late)},
      // A quoted field cannot go on to the next line: its quote is left open on its own.
      {with_line(text, late, "c1,2,r1,3,\"two\nlines\",4"),
       fmt::format("t.csv:{}: column 5 (note): unterminated quote", late)},
      {with_line(text, late, "c1,2,\"r1\"x,3,note,4"),
       fmt::format("t.csv:{}: column 3 (region): text after the closing quote", late)},
      {with_line(text, late, ",2,r1,3,note,4"),
       fmt::format("t.csv:{}: column 1 (customer_id): empty customer id", late)},
      {with_line(text, late, "c10,2,r1,3,note,4"),
       fmt::format("t.csv:{}: column 1 (customer_id): duplicate customer id (first on line {})",
                   late, generated.lines[1])},
      {with_line(text, late, "c1,2,r1,3,note,inf"),
       fmt::format("t.csv:{}: column 6 (score): Inf is not allowed in a numeric column", late)},
      // A NaN is only an error once the whole file shows its column numeric: a structural error
      // later in the file comes first.
      {with_line(with_line(text, early, "c1,nan,r1,3,note,4"), later, "c2,2"),
       fmt::format("t.csv:{}: column 3 (region): expected 6 fields, found 2", later)},
      {with_line(with_line(text, later, "c1,2,r1,3,note,4,5"), late, "c2,2,r1,3"),
       fmt::format("t.csv:{}: column 5 (note): expected 6 fields, found 4", late)},
      // The first non-finite value in file order, of the columns that stay numeric.
      {with_line(with_line(text, late, "c1,nan,r1,3,note,4"), later, "c2,2,r1,3,note,-inf"),
       fmt::format("t.csv:{}: column 2 (age): NaN is not allowed in a numeric column (a missing "
                   "value is empty or one of: NA, N/A, NaN, null)",
                   late)},
  };
  for (Case const& c : cases) {
    for (Split const split : kSplits) {
      EXPECT_EQ(error_of(c.text, {}, split), c.message)
          << split.threads << " threads, " << split.min_chunk_bytes << " bytes";
    }
  }
  CustomerTableRequest numeric;
  numeric.numeric = {"code"};
  std::string const word = with_line(text, late, "c1,2,r1,x,note,4");
  for (Split const split : kSplits) {
    EXPECT_EQ(error_of(word, numeric, split),
              fmt::format("t.csv:{}: column 4 (code): cannot parse 'x' as a number (the column is "
                          "read as numeric)",
                          late));
  }
}

TEST(CustomerTableChunks, IdsIndexedOnSeveralThreadsFindTheirRows) {
  CustomerTable table;
  // Short ids (compared whole in the slots), long ones sharing their first 8 bytes, an empty one.
  for (std::size_t row = 0; row < 60000; ++row) {
    table.ids.push_back(row % 3 == 0 ? fmt::format("{}", row)
                                     : fmt::format("customer-{:09}-{}", row, row % 7));
  }
  table.ids.push_back("");
  std::size_t const rows = table.ids.size();
  for (int const threads : {1, 2, 3}) {
    SCOPED_TRACE(fmt::format("{} threads", threads));
    Context const ctx = Context::cpu(threads);
    IdDictionary index = index_ids(ctx, table, [](std::size_t, std::size_t) {
      ADD_FAILURE() << "a duplicate among distinct ids";
    });
    ASSERT_EQ(index.size(), rows);
    for (std::size_t row = 0; row < rows; ++row) {
      ASSERT_EQ(index.find(table.ids[row], hash_id(table.ids[row])), static_cast<int>(row));
    }
    EXPECT_EQ(index.find("customer-000000001-2", hash_id("customer-000000001-2")), -1);
    EXPECT_EQ(index.find("7", hash_id("7")), -1);
    EXPECT_EQ(index.insert("new", hash_id("new")), static_cast<int>(rows));
    EXPECT_EQ(index.find("new", hash_id("new")), static_cast<int>(rows));
    // Repeated ids: the first repeat in row order and its first row, as one thread finds them.
    for (std::size_t const first : {std::size_t{0}, std::size_t{1}, rows / 2, rows - 1}) {
      CustomerTable repeated = table;
      repeated.ids.insert(repeated.ids.begin() + 40000, table.ids[first]);
      repeated.ids.push_back(table.ids[3]);
      std::vector<std::pair<std::size_t, std::size_t>> duplicates;
      EXPECT_THROW((void)index_ids(ctx, repeated,
                                   [&](std::size_t row, std::size_t earlier) {
                                     duplicates.emplace_back(row, earlier);
                                     throw Error(ExitCode::kInputData, "repeated");
                                   }),
                   Error);
      // The copy on row 40000 comes after the original, or before it (then on row first + 1).
      EXPECT_THAT(duplicates,
                  ElementsAre(first < 40000 ? std::pair{std::size_t{40000}, first}
                                            : std::pair{first + 1, std::size_t{40000}}));
    }
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

// RowFilter (host/io/row_filter.hpp): comparisons of numeric and categorical columns with values
// and with each other, and/or/not precedence and parentheses, missing values satisfying no
// comparison, and usage errors that name the expression's column for bad syntax, unknown
// columns and type mismatches.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "host/io/customer_table_reader.hpp"
#include "host/io/row_filter.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

CustomerTable const& table() {
  static CustomerTable const t = parse_customer_table(
      "customer_id,segment,recency,spend,first,zip code\n"
      "a,Mens E-Mail,3,10,2024-01-05,x\n"
      "b,No E-Mail,7,,2023-12-31,y\n"
      "c,Womens E-Mail,12,25.5,,x\n"
      "d,No E-Mail,1,40,2024-02-01,\n"
      "e,,5,5,2024-01-05,y\n",
      "t.csv", {});
  return t;
}

std::vector<std::uint8_t> keep(std::string const& expression) {
  return RowFilter(expression, "--where").evaluate(table());
}

TEST(RowFilter, ComparesColumnsWithNumbersAndStrings) {
  EXPECT_THAT(keep("segment != \"No E-Mail\""), ElementsAre(1, 0, 1, 0, 0));
  EXPECT_THAT(keep("segment == 'No E-Mail'"), ElementsAre(0, 1, 0, 1, 0));
  EXPECT_THAT(keep("recency <= 5"), ElementsAre(1, 0, 0, 1, 1));
  EXPECT_THAT(keep("recency < 5"), ElementsAre(1, 0, 0, 1, 0));
  EXPECT_THAT(keep("recency >= 7"), ElementsAre(0, 1, 1, 0, 0));
  EXPECT_THAT(keep("recency > 7"), ElementsAre(0, 0, 1, 0, 0));
  EXPECT_THAT(keep("spend == 25.5"), ElementsAre(0, 0, 1, 0, 0));
  EXPECT_THAT(keep("spend > -1e1"), ElementsAre(1, 0, 1, 1, 1));
  EXPECT_THAT(keep("5 < recency"), ElementsAre(0, 1, 1, 0, 0));              // a value on the left
  EXPECT_THAT(keep("first >= \"2024-01-05\""), ElementsAre(1, 0, 0, 1, 1));  // ISO dates
  EXPECT_THAT(keep("`zip code` == 'x'"), ElementsAre(1, 0, 1, 0, 0));
  EXPECT_THAT(keep("1 < 2"), ElementsAre(1, 1, 1, 1, 1));
  EXPECT_THAT(keep("'a' == \"b\""), ElementsAre(0, 0, 0, 0, 0));
}

TEST(RowFilter, ColumnsAgainstColumns) {
  EXPECT_THAT(keep("spend > recency"), ElementsAre(1, 0, 1, 1, 0));
  EXPECT_THAT(keep("first == first"), ElementsAre(1, 1, 0, 1, 1));  // missing: false
}

TEST(RowFilter, MissingValuesSatisfyNoComparisonButNotNegatesThem) {
  EXPECT_THAT(keep("spend != 10"), ElementsAre(0, 0, 1, 1, 1));
  EXPECT_THAT(keep("not spend == 10"), ElementsAre(0, 1, 1, 1, 1));
  EXPECT_THAT(keep("segment != 'x'"), ElementsAre(1, 1, 1, 1, 0));
}

TEST(RowFilter, AndBindsTighterThanOrAndParenthesesGroup) {
  EXPECT_THAT(keep("recency < 4 or recency > 10 and segment == 'No E-Mail'"),
              ElementsAre(1, 0, 0, 1, 0));
  EXPECT_THAT(keep("(recency < 4 or recency > 10) and segment == 'No E-Mail'"),
              ElementsAre(0, 0, 0, 1, 0));
  EXPECT_THAT(keep("NOT (recency < 4) AND NOT segment == 'No E-Mail'"), ElementsAre(0, 0, 1, 0, 1));
  EXPECT_THAT(keep("recency < 4 || !(spend >= 10) && spend < 100"), ElementsAre(1, 0, 0, 1, 1));
  EXPECT_THAT(keep("not not recency == 3"), ElementsAre(1, 0, 0, 0, 0));
}

TEST(RowFilter, StringsTakeEscapedQuotes) {
  CustomerTable const t =
      parse_customer_table("customer_id,name\na,\"it's \"\"x\"\"\"\nb,plain\n", "q.csv", {});
  EXPECT_THAT(RowFilter("name == 'it\\'s \"x\"'", "--where").evaluate(t), ElementsAre(1, 0));
  EXPECT_THAT(RowFilter("name == \"it's \\\"x\\\"\"", "--where").evaluate(t), ElementsAre(1, 0));
}

TEST(RowFilter, ApplyKeepsTheRowsInOrderWithTheirLines) {
  CustomerTable const kept = RowFilter("recency > 4", "--where").apply(table());
  EXPECT_THAT(kept.ids, ElementsAre("b", "c", "e"));
  EXPECT_EQ(kept.describe_row(1), "t.csv:4");
}

/// The usage error of `expression` (parsing and evaluating on table()).
std::string error_of(std::string const& expression) {
  try {
    (void)RowFilter(expression, "--where").evaluate(table());
  } catch (Error const& error) {
    EXPECT_EQ(error.code(), ExitCode::kUsage) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "no error for " << expression;
  return {};
}

TEST(RowFilter, BadExpressionsAreUsageErrorsNamingTheColumnInTheExpression) {
  EXPECT_THAT(error_of("segmnt != 'No E-Mail'"),
              HasSubstr("--where 'segmnt != 'No E-Mail'': column 1: unknown column 'segmnt'; the "
                        "columns are: segment, recency, spend, first, zip code"));
  EXPECT_THAT(error_of("recency == 3 and spnd > 1"), HasSubstr("column 18: unknown column 'spnd'"));
  EXPECT_THAT(error_of("segment = 'x'"),
              HasSubstr("column 9: '=' is not a comparison: write '=='"));
  EXPECT_THAT(error_of("recency >"),
              HasSubstr("column 10: expected a column, a number or a string after '>', got the "
                        "end of the expression"));
  EXPECT_THAT(error_of("(recency > 1"), HasSubstr("column 13: expected ')' closing the '(' at "
                                                  "column 1"));
  EXPECT_THAT(error_of("recency > 1)"), HasSubstr("column 12: ')' without a matching '('"));
  EXPECT_THAT(error_of("recency 3"),
              HasSubstr("column 9: expected a comparison (== != < <= > >=) after column "
                        "'recency', got a number"));
  EXPECT_THAT(error_of("segment == 'No E-Mail"), HasSubstr("column 12: a string is not closed"));
  EXPECT_THAT(error_of("recency > 1 and"), HasSubstr("column 16: expected a column"));
  EXPECT_THAT(error_of("recency > 1 recency"),
              HasSubstr("column 13: expected 'and', 'or' or the end, got column 'recency'"));
  EXPECT_THAT(error_of("recency > 1.2.3"), HasSubstr("column 11: '1.2.3' is not a number"));
  EXPECT_THAT(error_of("recency > 3x"), HasSubstr("column 11: a number runs into letters"));
  EXPECT_THAT(error_of("recency # 3"), HasSubstr("column 9: unexpected character '#'"));
  EXPECT_THAT(error_of("   "), HasSubstr("column 1: the expression is empty"));
  EXPECT_THAT(error_of("`` == 'a'"), HasSubstr("column 1: an empty column name"));
}

TEST(RowFilter, AColumnComparedWithTheWrongKindOfValueIsAUsageError) {
  EXPECT_THAT(error_of("segment == 3"),
              HasSubstr("column 12: column 'segment' is categorical (text): compare it with a "
                        "string in quotes or a categorical column, not a number"));
  EXPECT_THAT(error_of("recency != 'x'"),
              HasSubstr("column 12: column 'recency' is numeric: compare it with a number or a "
                        "numeric column, not a string"));
  EXPECT_THAT(error_of("3 == segment"), HasSubstr("column 1: column 'segment' is categorical"));
  EXPECT_THAT(error_of("recency < segment"),
              HasSubstr("column 11: column 'recency' is numeric: compare it with a number or a "
                        "numeric column, not the categorical column 'segment'"));
  EXPECT_THAT(error_of("1 == 'a'"), HasSubstr("column 6: compares a number with a string"));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

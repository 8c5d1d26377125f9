// The customer-table reader behind `cie segment`: columns by name, strict numbers, and messages
// that name file, line and column.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "host/error.hpp"
#include "host/numeric_table.hpp"

namespace cie {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

NumericTableRequest rfm_request() {
  NumericTableRequest request;
  request.numeric_columns = {"recency_days", "monetary_total"};
  request.optional_numeric_columns = {"monetary_total", "frequency"};
  request.optional_text_column = "segment";
  return request;
}

std::string error_of(std::string_view text, NumericTableRequest const& request, ExitCode code) {
  try {
    (void)parse_numeric_table(text, "t.csv", request);
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "the table was accepted";
  return {};
}

TEST(SegmentNumericTable, ReadsRequestedColumnsByName) {
  NumericTable const table = parse_numeric_table(
      "\xEF\xBB\xBF"
      "customer_id,segment,recency_days,other,monetary_total\r\n"
      "\"a,1\",Champions,3,x,+12.5\r\n"
      "\n"
      "b,\"Can't Lose Them\",40,y,-2e1\n",
      "t.csv", rfm_request());
  EXPECT_THAT(table.ids, ElementsAre("a,1", "b"));
  EXPECT_THAT(table.numeric_names, ElementsAre("recency_days", "monetary_total"));
  EXPECT_THAT(*table.find("recency_days"), ElementsAre(3.0, 40.0));
  EXPECT_THAT(*table.find("monetary_total"), ElementsAre(12.5, -20.0));
  EXPECT_EQ(table.find("frequency"), nullptr);
  EXPECT_EQ(table.text_name, "segment");
  EXPECT_THAT(table.text, ElementsAre("Champions", "Can't Lose Them"));
  EXPECT_EQ(table.describe_row(1), "t.csv:4");
}

TEST(SegmentNumericTable, MissingColumnsAreNamedWithTheHeader) {
  NumericTableRequest request = rfm_request();
  request.needed_by = "model seg.json";
  std::string const message = error_of("customer_id,frequency\na,1\n", request, ExitCode::kUsage);
  EXPECT_THAT(message, HasSubstr("columns recency_days, monetary_total are not in the header "
                                 "(needed by model seg.json); its columns are: customer_id, "
                                 "frequency"));
}

TEST(SegmentNumericTable, BadValuesNameFileLineAndColumn) {
  std::string const header = "customer_id,recency_days,monetary_total\n";
  NumericTableRequest const request = rfm_request();
  EXPECT_THAT(error_of(header + "a,1,2\nb,,3\n", request, ExitCode::kInputData),
              HasSubstr("t.csv:3: column 2 (recency_days): empty value"));
  EXPECT_THAT(error_of(header + "a,1,NaN\n", request, ExitCode::kInputData),
              HasSubstr("t.csv:2: column 3 (monetary_total): NaN is not allowed"));
  EXPECT_THAT(error_of(header + "a,inf,1\n", request, ExitCode::kInputData),
              HasSubstr("t.csv:2: column 2 (recency_days): Inf is not allowed"));
  EXPECT_THAT(error_of(header + "a,1,12abc\n", request, ExitCode::kInputData),
              HasSubstr("t.csv:2: column 3 (monetary_total): cannot parse '12abc' as a number"));
  EXPECT_THAT(error_of(header + "a,1\n", request, ExitCode::kInputData),
              HasSubstr("t.csv:2: expected 3 fields, found 2"));
  EXPECT_THAT(error_of(header + ",1,2\n", request, ExitCode::kInputData),
              HasSubstr("t.csv:2: column 1 (customer_id): empty customer id"));
}

}  // namespace
}  // namespace cie

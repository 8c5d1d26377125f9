// strftime-style date formats for reading (core/date_format.hpp).
#include <gtest/gtest.h>

#include "core/date.hpp"
#include "core/date_format.hpp"
#include "core/error.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

std::int64_t at(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) {
  return std::int64_t{days_from_civil(year, month, day)} * 86400 + hour * 3600 + minute * 60 +
         second;
}

TEST(DateFormat, ReadsOnlineRetailsOriginalDates) {
  DateFormat const format = DateFormat::compile("%m/%d/%Y %H:%M", "--date-format");
  EXPECT_EQ(format.parse("12/1/2010 8:26"), at(2010, 12, 1, 8, 26));
  EXPECT_EQ(format.parse("01/27/2011 12:23"), at(2011, 1, 27, 12, 23));
  EXPECT_EQ(format.parse("2/29/2012 0:00"), at(2012, 2, 29));
  EXPECT_FALSE(format.parse("2/29/2011 0:00"));   // not a leap year
  EXPECT_FALSE(format.parse("13/1/2010 8:26"));   // month 13
  EXPECT_FALSE(format.parse("12/1/2010 24:00"));  // hour 24
  EXPECT_FALSE(format.parse("12/1/2010 8:26 "));  // trailing text
  EXPECT_FALSE(format.parse("12/1/2010"));        // time missing
  EXPECT_FALSE(format.parse("12-1-2010 8:26"));   // other separators
}

TEST(DateFormat, OtherDirectives) {
  EXPECT_EQ(DateFormat::compile("%d.%m.%y", "f").parse("31.12.99"), at(1999, 12, 31));
  EXPECT_EQ(DateFormat::compile("%d.%m.%y", "f").parse("01.01.68"), at(2068, 1, 1));
  EXPECT_EQ(DateFormat::compile("%d %b %Y %H:%M:%S", "f").parse("5 SEP 2024 23:59:58"),
            at(2024, 9, 5, 23, 59, 58));
  EXPECT_EQ(DateFormat::compile("%Y%m%d", "f").parse("20240305"), at(2024, 3, 5));
  EXPECT_EQ(DateFormat::compile("100%% %Y-%m-%d", "f").parse("100% 2024-03-05"), at(2024, 3, 5));
  EXPECT_FALSE(DateFormat::compile("%d %b %Y", "f").parse("5 Sept 2024"));
  EXPECT_FALSE(DateFormat::compile("%Y-%m-%d", "f").parse("24-03-05"));  // %Y needs four digits
}

TEST(DateFormat, BadFormatsAreUsageErrorsNamingTheSetting) {
  for (auto const& [text, fragment] :
       {std::pair{"%Y-%m", "needs a year (%Y or %y), a month (%m or %b) and a day (%d)"},
        std::pair{"%Y-%m-%d %q", "unknown directive %q"}, std::pair{"%Y-%m-%d %", "lone %"},
        std::pair{"%Y-%m-%d %y", "gives the year twice"}}) {
    try {
      DateFormat::compile(text, "--date-format");
      ADD_FAILURE() << text;
    } catch (Error const& e) {
      EXPECT_EQ(e.code(), ExitCode::kUsage);
      EXPECT_NE(std::string(e.what()).find("--date-format"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

#include "core/date.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

constexpr std::int64_t kDay = 86400;

TEST(DateCivil, KnownDays) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(1997, 1, 1), 9862);
  EXPECT_EQ(days_from_civil(1900, 1, 1), -25567);
  EXPECT_EQ(days_from_civil(2024, 2, 29), 19782);
  EXPECT_EQ(days_from_civil(0, 3, 1), -719468);
}

// Walks the calendar day by day from 1600 to 2400 and checks both directions on every day, which
// covers every month length and the 1700/1800/1900/2100 non-leap and 2000 leap centuries.
TEST(DateCivil, RoundTripsEveryDayOfEightCenturies) {
  int year = 1600;
  int month = 1;
  int day = 1;
  std::int32_t const first = days_from_civil(year, month, day);
  for (std::int32_t days = first; year < 2400; ++days) {
    ASSERT_EQ(days_from_civil(year, month, day), days) << year << '-' << month << '-' << day;
    CivilDate const date = civil_from_days(days);
    ASSERT_EQ(date.year, year) << days;
    ASSERT_EQ(date.month, month) << days;
    ASSERT_EQ(date.day, day) << days;
    bool const leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int const month_days = month == 2 ? (leap ? 29 : 28)
                           : (month == 4 || month == 6 || month == 9 || month == 11) ? 30
                                                                                     : 31;
    if (++day > month_days) {
      day = 1;
      if (++month > 12) {
        month = 1;
        ++year;
      }
    }
  }
}

TEST(DateParse, AcceptsEachDateForm) {
  std::int64_t const expected = std::int64_t{days_from_civil(2023, 1, 15)} * kDay;
  EXPECT_EQ(parse_timestamp("2023-01-15"), expected);
  EXPECT_EQ(parse_timestamp("20230115"), expected);
  EXPECT_EQ(parse_timestamp("2023/01/15"), expected);
  EXPECT_EQ(parse_date("2023-01-15"), days_from_civil(2023, 1, 15));
  EXPECT_EQ(parse_date("20230115"), days_from_civil(2023, 1, 15));
  EXPECT_EQ(parse_date("2023/01/15"), days_from_civil(2023, 1, 15));
}

TEST(DateParse, AcceptsDateTimes) {
  std::int64_t const midnight = std::int64_t{days_from_civil(2010, 12, 1)} * kDay;
  std::int64_t const time = 8 * 3600 + 26 * 60;
  EXPECT_EQ(parse_timestamp("2010-12-01 08:26"), midnight + time);
  EXPECT_EQ(parse_timestamp("2010-12-01T08:26"), midnight + time);
  EXPECT_EQ(parse_timestamp("2010-12-01 08:26:00"), midnight + time);
  EXPECT_EQ(parse_timestamp("2010-12-01T08:26:59"), midnight + time + 59);
  EXPECT_EQ(parse_timestamp("2010-12-01T08:26:59.999"), midnight + time + 59);
  EXPECT_EQ(parse_timestamp("2010-12-01T08:26:59.5Z"), midnight + time + 59);
  EXPECT_EQ(parse_timestamp("2010-12-01T08:26Z"), midnight + time);
  EXPECT_EQ(parse_timestamp("2010/12/01 23:59:59"), midnight + kDay - 1);
  EXPECT_EQ(parse_timestamp("20101201T00:00:00"), midnight);
  EXPECT_EQ(parse_timestamp("1969-12-31T23:59:59Z"), -1);
}

TEST(DateParse, LeapDays) {
  EXPECT_EQ(parse_date("2024-02-29"), days_from_civil(2024, 2, 29));
  EXPECT_EQ(parse_date("2000-02-29"), days_from_civil(2000, 2, 29));
  EXPECT_EQ(parse_date("2023-02-29"), std::nullopt);
  EXPECT_EQ(parse_date("1900-02-29"), std::nullopt);
  EXPECT_EQ(parse_date("2100-02-29"), std::nullopt);
  EXPECT_EQ(parse_date("2024-02-30"), std::nullopt);
  EXPECT_EQ(parse_date("2024-03-01").value() - parse_date("2024-02-28").value(), 2);
}

TEST(DateParse, RejectsInvalidDates) {
  for (char const* text : {"",
                           "2023",
                           "2023-01",
                           "2023-13-01",
                           "2023-00-10",
                           "2023-04-31",
                           "2023-01-00",
                           "2023-01-32",
                           "2023-1-5",
                           "2023-01/15",
                           "2023/01-15",
                           "2023.01.15",
                           "202301155",
                           "2023011",
                           "abcd-ef-gh",
                           "2023-01-15x",
                           " 2023-01-15",
                           "2023-01-15 ",
                           "+2023-01-15",
                           "12/01/2010"}) {
    EXPECT_EQ(parse_timestamp(text), std::nullopt) << "'" << text << "'";
    EXPECT_EQ(parse_date(text), std::nullopt) << "'" << text << "'";
  }
}

TEST(DateParse, RejectsInvalidTimes) {
  for (char const* text :
       {"2023-01-15T", "2023-01-15 ", "2023-01-15T24:00", "2023-01-15T10:60", "2023-01-15T10:20:60",
        "2023-01-15T1:20", "2023-01-15T10:2", "2023-01-15T10-20", "2023-01-15T10:20:30.",
        "2023-01-15T10:20:30.5x", "2023-01-15T10:20ZZ", "2023-01-15X10:20",
        "2023-01-15T10:20+01:00", "2023-01-15T10:20.5"}) {
    EXPECT_EQ(parse_timestamp(text), std::nullopt) << "'" << text << "'";
  }
  EXPECT_EQ(parse_date("2023-01-15T10:20"), std::nullopt);
  EXPECT_EQ(parse_date("2023-01-15 10:20:00"), std::nullopt);
}

TEST(DateFormat, FormatsIsoDates) {
  EXPECT_EQ(format_date(0), "1970-01-01");
  EXPECT_EQ(format_date(-1), "1969-12-31");
  EXPECT_EQ(format_date(days_from_civil(2024, 2, 29)), "2024-02-29");
  EXPECT_EQ(format_date(days_from_civil(1997, 1, 1)), "1997-01-01");
  EXPECT_EQ(format_date(days_from_civil(999, 12, 31)), "0999-12-31");
}

TEST(DateDayOf, FloorsBeforeAndAfterTheEpoch) {
  EXPECT_EQ(day_of(0), 0);
  EXPECT_EQ(day_of(kDay - 1), 0);
  EXPECT_EQ(day_of(kDay), 1);
  EXPECT_EQ(day_of(-1), -1);
  EXPECT_EQ(day_of(-kDay), -1);
  EXPECT_EQ(day_of(-kDay - 1), -2);
  std::int64_t const before_epoch = parse_timestamp("1965-06-30T12:00").value();
  EXPECT_EQ(day_of(before_epoch), days_from_civil(1965, 6, 30));
  EXPECT_EQ(day_of(parse_timestamp("2010-12-01 08:26").value()), days_from_civil(2010, 12, 1));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie

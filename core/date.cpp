#include "core/date.hpp"

#include <fmt/format.h>

namespace cie {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// Reads exactly `count` digits at text[at...]; false if any is missing or not a digit.
bool read_digits(std::string_view text, std::size_t at, std::size_t count, int& value) noexcept {
  if (at + count > text.size()) return false;
  int result = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (!is_digit(text[i])) return false;
    result = result * 10 + (text[i] - '0');
  }
  value = result;
  return true;
}

bool is_leap_year(int year) noexcept {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(int year, int month) noexcept {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

/// Parses the date at the start of `text` (YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD) into days and
/// sets `length` to the characters it used.
bool parse_date_prefix(std::string_view text, std::int32_t& days, std::size_t& length) noexcept {
  int year = 0;
  int month = 0;
  int day = 0;
  if (!read_digits(text, 0, 4, year) || text.size() < 8) return false;
  char const separator = text[4];
  if (separator == '-' || separator == '/') {
    if (text.size() < 10 || text[7] != separator || !read_digits(text, 5, 2, month) ||
        !read_digits(text, 8, 2, day)) {
      return false;
    }
    length = 10;
  } else {
    if (!read_digits(text, 4, 2, month) || !read_digits(text, 6, 2, day)) return false;
    length = 8;
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return false;
  days = days_from_civil(year, month, day);
  return true;
}

/// Parses HH:MM[:SS[.fraction]][Z], the whole of `text`, into seconds since midnight.
bool parse_time(std::string_view text, std::int64_t& seconds) noexcept {
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!read_digits(text, 0, 2, hour) || text.size() < 5 || text[2] != ':' ||
      !read_digits(text, 3, 2, minute)) {
    return false;
  }
  std::size_t at = 5;
  if (at < text.size() && text[at] == ':') {
    if (!read_digits(text, at + 1, 2, second)) return false;
    at += 3;
    if (at < text.size() && text[at] == '.') {
      std::size_t const digits_begin = ++at;
      while (at < text.size() && is_digit(text[at])) ++at;
      if (at == digits_begin) return false;
    }
  }
  if (at < text.size() && text[at] == 'Z') ++at;
  if (at != text.size() || hour > 23 || minute > 59 || second > 59) return false;
  seconds = hour * 3600 + minute * 60 + second;
  return true;
}

}  // namespace

std::int32_t days_from_civil(int year, int month, int day) noexcept {
  // Howard Hinnant's algorithm: shift the year to start in March so that the leap day is the
  // last day of the shifted year, then count whole 400-year eras (146097 days each).
  std::int64_t const y = static_cast<std::int64_t>(year) - (month <= 2 ? 1 : 0);
  std::int64_t const era = (y >= 0 ? y : y - 399) / 400;
  std::int64_t const year_of_era = y - era * 400;
  std::int64_t const day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  std::int64_t const day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return static_cast<std::int32_t>(era * 146097 + day_of_era - 719468);
}

CivilDate civil_from_days(std::int32_t days) noexcept {
  std::int64_t const z = static_cast<std::int64_t>(days) + 719468;
  std::int64_t const era = (z >= 0 ? z : z - 146096) / 146097;
  std::int64_t const day_of_era = z - era * 146097;
  std::int64_t const year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  std::int64_t const day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  std::int64_t const shifted_month = (5 * day_of_year + 2) / 153;
  int const day = static_cast<int>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  int const month = static_cast<int>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
  int const year = static_cast<int>(year_of_era + era * 400 + (month <= 2 ? 1 : 0));
  return {year, month, day};
}

std::optional<std::int64_t> parse_timestamp(std::string_view text) noexcept {
  std::int32_t days = 0;
  std::size_t length = 0;
  if (!parse_date_prefix(text, days, length)) return std::nullopt;
  std::int64_t seconds = 0;
  if (length < text.size()) {
    if ((text[length] != 'T' && text[length] != ' ') ||
        !parse_time(text.substr(length + 1), seconds)) {
      return std::nullopt;
    }
  }
  return days * kSecondsPerDay + seconds;
}

std::optional<std::int32_t> parse_date(std::string_view text) noexcept {
  std::int32_t days = 0;
  std::size_t length = 0;
  if (!parse_date_prefix(text, days, length) || length != text.size()) return std::nullopt;
  return days;
}

std::string format_date(std::int32_t days) {
  CivilDate const date = civil_from_days(days);
  return fmt::format("{:04d}-{:02d}-{:02d}", date.year, date.month, date.day);
}

}  // namespace cie

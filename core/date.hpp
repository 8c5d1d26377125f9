// Calendar dates and timestamps as integers: days and seconds since 1970-01-01 (UTC, proleptic
// Gregorian). No time zones: timestamps are taken as written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cie {

/// Days since 1970-01-01 of a valid civil date (month 1..12, day 1..days in month).
std::int32_t days_from_civil(int year, int month, int day) noexcept;

struct CivilDate {
  int year;
  int month;
  int day;
};
CivilDate civil_from_days(std::int32_t days) noexcept;

/// Parses a timestamp into seconds since the epoch. Accepted forms: a date YYYY-MM-DD, YYYY/MM/DD
/// or YYYYMMDD (two-digit month and day), optionally followed by 'T' or ' ' and a time
/// HH:MM[:SS[.fraction]][Z] (the fraction is dropped; hours 00-23, minutes and seconds 00-59).
/// A date alone is midnight. Returns nullopt for anything else, including impossible dates
/// (2023-02-30), surrounding spaces and time zone offsets other than Z.
std::optional<std::int64_t> parse_timestamp(std::string_view text) noexcept;

/// Parses a date (any form above; a time part is not allowed) into days since the epoch.
std::optional<std::int32_t> parse_date(std::string_view text) noexcept;

/// Formats days since the epoch as YYYY-MM-DD.
std::string format_date(std::int32_t days);

/// Day of a timestamp (floor division, correct before 1970 too).
constexpr std::int32_t day_of(std::int64_t seconds) noexcept {
  std::int64_t day = seconds / 86400;
  if (seconds % 86400 < 0) --day;
  return static_cast<std::int32_t>(day);
}

}  // namespace cie

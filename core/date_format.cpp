#include "core/date_format.hpp"

#include <array>
#include <cctype>

#include "core/date.hpp"
#include "core/error.hpp"

namespace cie {
namespace {

constexpr std::string_view kDirectives = "YymdHMSb";
constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                      "jul", "aug", "sep", "oct", "nov", "dec"};

/// Reads between `least` and `most` digits at text[at...] greedily.
bool read_number(std::string_view text, std::size_t& at, std::size_t least, std::size_t most,
                 int& value) noexcept {
  std::size_t const begin = at;
  value = 0;
  while (at < text.size() && at - begin < most && text[at] >= '0' && text[at] <= '9') {
    value = value * 10 + (text[at++] - '0');
  }
  return at - begin >= least;
}

bool read_month_name(std::string_view text, std::size_t& at, int& month) noexcept {
  if (at + 3 > text.size()) return false;
  for (std::size_t m = 0; m < kMonths.size(); ++m) {
    bool same = true;
    for (std::size_t i = 0; i < 3; ++i) {
      same = same && std::tolower(static_cast<unsigned char>(text[at + i])) == kMonths[m][i];
    }
    if (same) {
      month = static_cast<int>(m) + 1;
      at += 3;
      return true;
    }
  }
  return false;
}

}  // namespace

DateFormat DateFormat::compile(std::string_view format, std::string_view setting) {
  DateFormat result;
  result.text_ = std::string(format);
  std::string seen;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || (i + 1 < format.size() && format[i + 1] == '%')) {
      if (result.tokens_.empty() || result.tokens_.back().directive != 0)
        result.tokens_.emplace_back();
      result.tokens_.back().literal += format[i];
      if (format[i] == '%') ++i;
      continue;
    }
    CIE_EXPECTS(i + 1 < format.size(), "{}: '{}' ends with a lone %", setting, format);
    char const directive = format[++i];
    CIE_EXPECTS(kDirectives.find(directive) != std::string_view::npos,
                "{}: unknown directive %{} in '{}' (known: %Y %y %m %d %H %M %S %b %%)", setting,
                directive, format);
    char const field = directive == 'y' ? 'Y' : directive == 'b' ? 'm' : directive;
    CIE_EXPECTS(seen.find(field) == std::string::npos, "{}: '{}' gives the {} twice", setting,
                format,
                field == 'Y'   ? "year"
                : field == 'm' ? "month"
                               : "same field");
    seen += field;
    result.tokens_.push_back(Token{directive, {}});
  }
  for (char const field : {'Y', 'm', 'd'}) {
    CIE_EXPECTS(seen.find(field) != std::string::npos,
                "{}: '{}' needs a year (%Y or %y), a month (%m or %b) and a day (%d)", setting,
                format);
  }
  return result;
}

std::optional<std::int64_t> DateFormat::parse(std::string_view text) const noexcept {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::size_t at = 0;
  for (Token const& token : tokens_) {
    bool ok = true;
    switch (token.directive) {
      case 0:
        ok = text.substr(at, token.literal.size()) == token.literal;
        at += token.literal.size();
        break;
      case 'Y':
        ok = read_number(text, at, 4, 4, year);
        break;
      case 'y':
        ok = read_number(text, at, 2, 2, year);
        year += year >= 69 ? 1900 : 2000;
        break;
      case 'm':
        ok = read_number(text, at, 1, 2, month);
        break;
      case 'b':
        ok = read_month_name(text, at, month);
        break;
      case 'd':
        ok = read_number(text, at, 1, 2, day);
        break;
      case 'H':
        ok = read_number(text, at, 1, 2, hour);
        break;
      case 'M':
        ok = read_number(text, at, 1, 2, minute);
        break;
      case 'S':
        ok = read_number(text, at, 1, 2, second);
        break;
      default:
        ok = false;
    }
    if (!ok) return std::nullopt;
  }
  if (at != text.size() || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 ||
      second > 59) {
    return std::nullopt;
  }
  // A real date: the day must survive the round trip through days since the epoch.
  std::int32_t const days = days_from_civil(year, month, day);
  CivilDate const back = civil_from_days(days);
  if (back.day != day || back.month != month) return std::nullopt;
  return std::int64_t{days} * 86400 + hour * 3600 + minute * 60 + second;
}

}  // namespace cie

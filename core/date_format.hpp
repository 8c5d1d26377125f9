// Reading dates written in a strftime-style format, for inputs whose dates are not ISO
// (`--date-format "%m/%d/%Y %H:%M"` reads Online Retail's original "12/1/2010 8:26").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cie {

/// A compiled date format. Directives: %Y (four-digit year), %y (two-digit year: 69-99 are
/// 19xx, 00-68 are 20xx, as POSIX strptime), %m (month), %d (day), %H (hour 0-23), %M (minute),
/// %S (second) — each of these one or two digits, read greedily — %b (English month
/// abbreviation, Jan..Dec, any case), %% (a literal %). Every other character must match
/// itself. Year, month and day are required; the time defaults to 00:00:00. No time zones.
class DateFormat {
 public:
  /// A usage error (exit 2) naming `setting` for an unknown directive, a directive given twice,
  /// a missing year, month or day, or a format ending in a lone %.
  static DateFormat compile(std::string_view format, std::string_view setting);

  /// Seconds since 1970-01-01 of `text`, which must match the whole format and name a real date
  /// and time; nullopt otherwise.
  [[nodiscard]] std::optional<std::int64_t> parse(std::string_view text) const noexcept;

  [[nodiscard]] std::string const& text() const noexcept { return text_; }

 private:
  struct Token {
    char directive = 0;  ///< 0: `literal` must match
    std::string literal;
  };
  std::vector<Token> tokens_;
  std::string text_;
};

}  // namespace cie

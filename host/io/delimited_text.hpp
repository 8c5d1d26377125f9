// Lines and fields of delimited text (CSV and its relatives), without copying.
//
// A field is either unquoted (it ends at the delimiter) or quoted with '"', in which case it may
// hold the delimiter and "" stands for one quote; a quote elsewhere in a field is an ordinary
// character. Quoted fields cannot span lines. The splitter hands out views into the line, so the
// text must outlive them; only fields with "" escapes need unescape() and a buffer.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/number_text.hpp"

namespace cie {

/// Returns the line starting at `position` without its "\n" or "\r\n" and moves `position` past
/// the line end. The last line may lack a line end. Requires position < text.size().
inline std::string_view next_line(std::string_view text, std::size_t& position) noexcept {
  char const* begin = text.data() + position;
  std::size_t const left = text.size() - position;
  auto const* newline = static_cast<char const*>(std::memchr(begin, '\n', left));
  std::size_t const length = newline != nullptr ? static_cast<std::size_t>(newline - begin) : left;
  position += newline != nullptr ? length + 1 : length;
  std::string_view line(begin, length);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

/// A byte range [begin, end) of a text.
struct TextRange {
  std::size_t begin = 0;
  std::size_t end = 0;
};

/// Cuts `text` into consecutive ranges for `threads` threads to parse: `parts_per_thread` per
/// thread, each of at least `min_bytes` (a single range when the text is smaller). Every cut
/// falls just past a "\n", so each range holds whole lines, and a line is never split whatever
/// the number of ranges; a range may be empty when one long line covers more than its share.
std::vector<TextRange> cut_at_line_ends(std::string_view text, int threads, std::size_t min_bytes,
                                        std::size_t parts_per_thread);

/// One field: its text without the enclosing quotes.
struct Field {
  std::string_view text;
  bool has_escaped_quotes = false;  ///< `text` holds "" pairs that each stand for one quote
};

/// Why a line could not be split.
enum class SplitError {
  kNone,
  kUnterminatedQuote,      ///< a quoted field has no closing quote on its line
  kTextAfterClosingQuote,  ///< a quoted field's closing quote is not followed by a delimiter
};

struct SplitResult {
  std::size_t field_count = 0;  ///< fields found, counting the broken one on an error
  SplitError error = SplitError::kNone;
};

class LineSplitter {
 public:
  /// `delimiter` '\0' means runs of spaces and tabs, with leading and trailing ones ignored.
  explicit LineSplitter(char delimiter) noexcept : delimiter_(delimiter) {}

  /// Whether the line holds nothing but spaces, tabs and CRs (other than the delimiter): such
  /// lines carry no row.
  [[nodiscard]] bool is_blank(std::string_view line) const noexcept {
    for (char const c : line) {
      if ((c != ' ' && c != '\t' && c != '\r') || c == delimiter_) return false;
    }
    return true;
  }

  /// Calls on_field(index, Field) for each field of `line` (0-based index, left to right) and
  /// returns the field count. Stops at the first broken field, which is not passed on.
  template <typename OnField>
  SplitResult split(std::string_view line, OnField&& on_field) const {
    return delimiter_ == '\0' ? split_fields<true>(line, on_field)
                              : split_fields<false>(line, on_field);
  }

 private:
  template <bool kWhitespace>
  [[nodiscard]] bool is_separator(char c) const noexcept {
    if constexpr (kWhitespace) {
      return c == ' ' || c == '\t';
    } else {
      return c == delimiter_;
    }
  }

  template <bool kWhitespace, typename OnField>
  SplitResult split_fields(std::string_view line, OnField& on_field) const {
    char const* p = line.data();
    char const* const end = p + line.size();
    if constexpr (kWhitespace) {
      while (p < end && is_separator<true>(*p)) ++p;
      if (p == end) return {};
    }
    std::size_t count = 0;
    while (true) {
      Field field;
      if (p < end && *p == '"') {
        char const* quote = p + 1;
        while (true) {
          quote = static_cast<char const*>(std::memchr(quote, '"', end - quote));
          if (quote == nullptr) return {count + 1, SplitError::kUnterminatedQuote};
          if (quote + 1 == end || quote[1] != '"') break;
          field.has_escaped_quotes = true;
          quote += 2;
        }
        field.text = std::string_view(p + 1, quote - p - 1);
        p = quote + 1;
        if (p < end && !is_separator<kWhitespace>(*p)) {
          return {count + 1, SplitError::kTextAfterClosingQuote};
        }
      } else {
        char const* field_end = p;
        while (field_end < end && !is_separator<kWhitespace>(*field_end)) ++field_end;
        field.text = std::string_view(p, field_end - p);
        p = field_end;
      }
      on_field(count, field);
      ++count;
      if constexpr (kWhitespace) {
        while (p < end && is_separator<true>(*p)) ++p;
        if (p == end) return {count, SplitError::kNone};
      } else {
        if (p == end) return {count, SplitError::kNone};
        ++p;
      }
    }
  }

  char delimiter_;
};

/// The text of `field` with each "" turned into one quote: a view of the field itself when it
/// has no escapes, otherwise of `buffer`, which is overwritten.
std::string_view unescape(Field const& field, std::string& buffer);

/// A delimiter by name: "comma", "semicolon", "tab", "whitespace" ('\0': runs of spaces and
/// tabs) or one character other than a quote or line break; a usage error (exit 2) naming
/// `setting` (e.g. "--delimiter") otherwise.
char parse_delimiter(std::string_view text, std::string_view setting);

/// Explains a SplitError in words, for messages.
std::string_view describe(SplitError error) noexcept;

/// A header's column names for messages: all of them up to 50, else the first 50 and the count.
std::string describe_header(std::vector<std::string> const& names);

}  // namespace cie

#include "host/io/delimited_text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "core/error.hpp"

namespace cie {

std::string_view unescape(Field const& field, std::string& buffer) {
  if (!field.has_escaped_quotes) return field.text;
  buffer.clear();
  for (std::size_t i = 0; i < field.text.size(); ++i) {
    buffer.push_back(field.text[i]);
    // The splitter only sets has_escaped_quotes for quotes that come in pairs.
    if (field.text[i] == '"') ++i;
  }
  return buffer;
}

std::vector<TextRange> cut_at_line_ends(std::string_view text, int threads, std::size_t min_bytes,
                                        std::size_t parts_per_thread) {
  std::size_t const count =
      std::clamp<std::size_t>(text.size() / std::max<std::size_t>(min_bytes, 1), 1,
                              static_cast<std::size_t>(std::max(threads, 1)) * parts_per_thread);
  std::vector<TextRange> ranges(count);
  std::size_t begin = 0;
  for (std::size_t r = 0; r < count; ++r) {
    std::size_t end = text.size();
    if (r + 1 < count) {
      end = std::max(begin, text.size() / count * (r + 1));
      auto const* newline =
          static_cast<char const*>(std::memchr(text.data() + end, '\n', text.size() - end));
      end = newline != nullptr ? static_cast<std::size_t>(newline - text.data()) + 1 : text.size();
    }
    ranges[r] = {begin, end};
    begin = end;
  }
  return ranges;
}

char parse_delimiter(std::string_view text, std::string_view setting) {
  if (text == "comma") return ',';
  if (text == "semicolon") return ';';
  if (text == "tab" || text == "\\t") return '\t';
  if (text == "whitespace") return '\0';
  CIE_EXPECTS(text.size() == 1 && text[0] != '"' && text[0] != '\n' && text[0] != '\r',
              "{}: expected comma, semicolon, tab, whitespace or one character, got '{}'", setting,
              text);
  return text[0];
}

std::string_view describe(SplitError error) noexcept {
  switch (error) {
    case SplitError::kNone:
      return "no error";
    case SplitError::kUnterminatedQuote:
      return "unterminated quote";
    case SplitError::kTextAfterClosingQuote:
      return "text after the closing quote";
  }
  return "unknown error";
}

std::string describe_header(std::vector<std::string> const& names) {
  constexpr std::size_t kShown = 50;
  if (names.size() <= kShown) return fmt::format("{}", fmt::join(names, ", "));
  return fmt::format("{}, ... ({} columns in all)",
                     fmt::join(names.begin(), names.begin() + kShown, ", "), names.size());
}

}  // namespace cie

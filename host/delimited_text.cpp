#include "host/delimited_text.hpp"

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

}  // namespace cie

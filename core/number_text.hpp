// Numbers written as text: one exact, fast parser (fast_float) for every reader.
#pragma once

#include <fast_float/fast_float.h>

#include <string_view>
#include <system_error>

namespace cie {

/// Parses a whole field as a number with fast_float. A leading '+' is accepted (spreadsheets
/// write one; std::from_chars, which fast_float follows, refuses it). NaN and Inf parse: each
/// caller decides whether it accepts them. Inline: it runs once per numeric field.
inline bool parse_number(std::string_view text, double& value) noexcept {
  char const* first = text.data();
  char const* const last = first + text.size();
  if (last - first > 1 && *first == '+' && first[1] != '-' && first[1] != '+') ++first;
  auto const [end, error] = fast_float::from_chars(first, last, value);
  return error == std::errc() && end == last;
}

}  // namespace cie

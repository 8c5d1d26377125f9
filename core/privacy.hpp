// Customer data stays out of messages and logs: errors name the file, line, column and reason,
// not the field's value, unless the user asks for values (`cie --show-values`, for debugging).
#pragma once

#include <string>
#include <string_view>

namespace cie {

/// Whether messages may show field values (process-wide; off by default).
void set_show_values(bool show) noexcept;
[[nodiscard]] bool show_values() noexcept;

/// A field value as a message shows it: with show_values(), quoted, at most 40 bytes (then
/// "..." and the full length), bytes outside printable ASCII as \xHH; otherwise "the value
/// (--show-values shows it)".
[[nodiscard]] std::string message_value(std::string_view value);

}  // namespace cie

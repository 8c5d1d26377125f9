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

/// `message` made safe for one terminal line of a log or an error, whatever bytes it quotes from
/// headers, configurations or options: control bytes (but newline and tab) and bytes that are not
/// valid UTF-8 become \xHH; a run of more than 512 bytes without a space keeps its first 64 bytes
/// and says how long it was ("...(N bytes)"); a message still longer than 16 KiB keeps its first
/// 8 KiB and last 2 KiB. Every message cie prints goes through it (cie::Error, Logger, main).
[[nodiscard]] std::string printable_message(std::string_view message);

}  // namespace cie

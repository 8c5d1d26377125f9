// Inputs that cannot be memory-mapped as they are: standard input ("-") and gzip files. Their
// whole text is read into memory (gzip inflated with zlib; concatenated members are read in
// turn, as gzip -d does).
#pragma once

#include <string>
#include <string_view>

namespace cie {

/// The path that means standard input.
inline constexpr std::string_view kStandardInput = "-";

/// Whether `bytes` start with the gzip magic number (1f 8b).
[[nodiscard]] bool is_gzip(std::string_view bytes) noexcept;

/// The inflated content of gzip data; a data error (exit 3) naming `source` for corrupt or
/// truncated data.
[[nodiscard]] std::string gunzip(std::string_view bytes, std::string const& source);

/// All of standard input; a usage error if it cannot be read.
[[nodiscard]] std::string read_standard_input();

}  // namespace cie

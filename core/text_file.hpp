// Whole text files (configuration, segment tables, model files, customer tables).
#pragma once

#include <cstddef>
#include <limits>
#include <string>

namespace cie {

/// The size limit for files people write or cie writes small: configurations, segment tables,
/// model files.
inline constexpr std::size_t kSmallFileLimit = std::size_t{256} << 20;

/// Reads a whole regular file of at most `max_bytes` bytes. A usage error (exit code 2) naming
/// the file when it cannot be opened, is not a regular file (a directory, a character device
/// such as /dev/zero, a FIFO: refused without reading or waiting for a writer), or is larger
/// than max_bytes; an input error (exit 3) when it changes size while it is read.
std::string read_text_file(std::string const& path, std::size_t max_bytes = kSmallFileLimit);

/// What `path` is when it is not a regular file ("a directory", "a character device", "a FIFO",
/// ...), or "" for a regular file (or one that cannot be examined: opening it then says why).
std::string describe_non_regular_file(std::string const& path);

}  // namespace cie

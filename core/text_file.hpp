// Whole small text files (configuration, segment tables, model files).
#pragma once

#include <string>

namespace cie {

/// Reads a whole file; a usage error (exit code 2) naming the file if it cannot be read.
std::string read_text_file(std::string const& path);

}  // namespace cie

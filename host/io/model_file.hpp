// Model files on disk: the documents of models/model_document.hpp, written atomically and read
// back with every check parse_model_file() makes.
#pragma once

#include <string>
#include <string_view>

#include "models/model_document.hpp"

namespace cie {

/// Writes model_file_text(document) to `path` atomically (temporary file, then rename).
void write_model_file(std::string const& path, ModelDocument const& document);

/// Reads `path` and parse_model_file()s it.
ModelDocument read_model_file(std::string const& path, std::string_view expected_kind);

}  // namespace cie

// Reading the generator's CSV files in its tests: the generator never quotes, so a data line
// is its fields split at commas.
#pragma once

#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace cie::testing {

/// The data lines of `path` split at commas, empty fields kept; the header line goes to `header`.
inline std::vector<std::vector<std::string>> read_generated_csv(std::string const& path,
                                                                std::string& header) {
  std::ifstream in(path);
  std::getline(in, header);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::size_t begin = 0;
    for (std::size_t comma; (comma = line.find(',', begin)) != std::string::npos;
         begin = comma + 1) {
      fields.push_back(line.substr(begin, comma - begin));
    }
    fields.push_back(line.substr(begin));
    rows.push_back(std::move(fields));
  }
  return rows;
}

}  // namespace cie::testing

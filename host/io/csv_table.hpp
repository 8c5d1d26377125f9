// Writing a table as CSV from a column schema: groups of columns, each with its header names and
// a formatter for one row. `cie rfm`, `cie segment` and the nightly run's published table are
// written this way, so a stage that adds columns adds one group.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/context.hpp"

namespace cie {

/// Some consecutive columns of an output table.
struct CsvColumns {
  std::vector<std::string> names;
  /// Appends the group's fields of output row `row`, separated by ',' (no leading or trailing
  /// comma; exactly names.size() fields, CSV-quoted where needed). Called from several threads at
  /// once, each row once.
  std::function<void(fmt::memory_buffer& out, std::size_t row)> append;
};

/// Writes the header (every group's names) and `rows` rows to `path` atomically (temporary file,
/// then rename). Rows are formatted in parallel on ctx's threads, in blocks, and written in order.
void write_csv_table(Context const& ctx, std::string const& path,
                     std::span<CsvColumns const> schema, std::size_t rows);

/// Appends `field` to `out`, quoted as RFC 4180 asks when it holds a comma, quote or line break.
void append_csv_field(std::string& out, std::string_view field);
void append_csv_field(fmt::memory_buffer& out, std::string_view field);

}  // namespace cie

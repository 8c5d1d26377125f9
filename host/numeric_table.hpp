// Reading a customer table: a CSV with a header, one row per customer, such as the RFM output.
// The id column is kept as strings, the requested numeric columns are parsed (fast_float) into
// double, one vector per column, and one optional text column (e.g. the RFM `segment`) is kept
// as strings. Other columns are skipped unparsed.
//
// Errors:
//   - a required column not in the header: a usage error (exit 2) naming every missing column,
//     what needs them, and listing the header's columns;
//   - a row with the wrong field count, a broken quote, an empty id, or a numeric field that is
//     empty, not a number, NaN or Inf: an input error (exit 3) "FILE:LINE: column N (NAME):
//     reason" for the first such row. Nothing becomes NaN silently.
// Blank lines carry no row. A UTF-8 byte order mark before the header is ignored.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cie {

struct NumericTableRequest {
  std::string id_column = "customer_id";
  /// Must be in the header.
  std::vector<std::string> numeric_columns;
  /// Read when the header has them, skipped otherwise.
  std::vector<std::string> optional_numeric_columns;
  /// A text column read when the header has it ("" for none).
  std::string optional_text_column;
  /// Field delimiter (quotes as in host/delimited_text.hpp).
  char delimiter = ',';
  /// Who needs the required columns, for the missing-column message, e.g. "model seg.json".
  std::string needed_by;
};

struct NumericTable {
  std::string source;
  std::vector<std::string> ids;
  /// The numeric columns read: the required ones in request order, then the optional ones found.
  std::vector<std::string> numeric_names;
  std::vector<std::vector<double>> numeric;  ///< parallel to numeric_names, one value per row
  std::string text_name;                     ///< the optional text column, "" when not read
  std::vector<std::string> text;             ///< its values, empty when not read
  std::vector<std::size_t> line_numbers;     ///< physical line (from 1) of each row

  [[nodiscard]] std::size_t rows() const noexcept { return ids.size(); }
  /// The values of a numeric column that was read, or nullptr.
  [[nodiscard]] std::vector<double> const* find(std::string_view name) const noexcept;
  /// "FILE:LINE" of a row, for messages.
  [[nodiscard]] std::string describe_row(std::size_t row) const;
};

/// Parses `text` (a whole file); `source` names it in messages.
NumericTable parse_numeric_table(std::string_view text, std::string const& source,
                                 NumericTableRequest const& request);

/// Reads `path` and parse_numeric_table()s it; a usage error if it cannot be read.
NumericTable read_numeric_table(std::string const& path, NumericTableRequest const& request);

}  // namespace cie

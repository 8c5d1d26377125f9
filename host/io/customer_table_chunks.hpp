// One chunk of a customer table file (a run of whole lines) and its parsing, for
// host/io/customer_table_reader.cpp, which cuts the file at line ends, parses the chunks on all
// threads and merges them in file order into the table a single pass over the file would give
// (the merge of the chunks' columns is here too).
//
// Lines are rows: a quoted field cannot span lines (host/io/delimited_text.hpp), so a cut at a
// line end never falls inside a row and a chunk sees exactly the lines the whole file's reader
// would; a quote left open at the end of its line is "unterminated quote" on that line wherever
// the cuts fall.
//
// Pass 1 (parse_table_rows) reads a chunk's structure, ids, line numbers and values: numbers for
// the columns that may be numeric, codes for the categorical ones against the chunk's own level
// dictionaries (levels in order of first appearance in the chunk). It stops at the chunk's first
// bad row. A column that turns categorical in a chunk (at its first value that is not a number)
// has its values from that row on encoded at once; pass 2 (encode_table_prefixes) encodes the
// rows before it, and the whole of the chunks where it held only numbers, once the merge knows
// the column is categorical. Line numbers are counted from the chunk's start until the merge
// knows how many lines the chunks before it hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/context.hpp"
#include "core/customer_table.hpp"
#include "core/id_dictionary.hpp"

namespace cie {

/// The file being read and what is read from it: what a chunk's parser needs.
struct TableReadPlan {
  explicit TableReadPlan(std::string const& source) : source(source) {}

  std::string const& source;
  std::vector<std::string> header;
  std::size_t data_position = 0;  ///< offset of the line after the header
  std::size_t header_line = 0;    ///< line number (from 1) of the header
  char delimiter = ',';
  std::optional<std::size_t> id_field;
  std::vector<std::size_t> column_fields;        ///< per table column: its field in the header
  std::vector<std::uint8_t> forced_categorical;  ///< per table column: 1 if read as categorical
  std::vector<std::uint8_t> forced_numeric;      ///< per table column: 1 if read as numeric
  std::vector<std::string> missing_tokens;       ///< besides the empty value

  /// An input error "SOURCE:LINE: column N (NAME): reason" for header field `field`.
  [[noreturn]] void fail_at(std::size_t line, std::size_t field, std::string_view reason) const;
  [[nodiscard]] bool is_missing(std::string_view value) const noexcept;
  /// Why a NaN (`is_nan`) or an Inf in a numeric column is refused.
  [[nodiscard]] std::string non_finite_reason(bool is_nan) const;
};

/// The values of one categorical column over consecutive rows of a chunk, as codes into levels
/// of their own (first-appearance order).
struct LevelPart {
  IdDictionary levels;              ///< views into the text, or into `owned`
  std::deque<std::string> owned;    ///< levels that held "" escapes
  std::vector<std::int32_t> codes;  ///< per row: index into `levels`, -1 where missing

  /// Appends the code of `value` (unescaped; `missing` when it is a missing value), adding it to
  /// the levels when new. `escaped`: `value` lies in a buffer that will be overwritten.
  void encode(std::string_view value, bool escaped, bool missing);
};

/// A numeric-looking column's first NaN or Inf: an error only if the column stays numeric.
struct NonFinite {
  std::size_t line = 0;  ///< 0: none seen
  std::size_t field = 0;
  bool is_nan = false;
};

/// One table column within a chunk.
struct ChunkColumn {
  static constexpr std::size_t kNumeric = std::numeric_limits<std::size_t>::max();
  /// The chunk's first row encoded in `suffix`: 0 for a column read as categorical, the row of
  /// its first value that is not a number for one that turned categorical here, kNumeric while
  /// every value in the chunk is a number or missing.
  std::size_t categorical_from = kNumeric;
  std::vector<double> numbers;        ///< while numeric: per row (0 where missing)
  std::vector<std::uint8_t> missing;  ///< while numeric: per row, 1 where missing
  NonFinite non_finite;               ///< while numeric: the first NaN or Inf (chunk line)
  LevelPart prefix;                   ///< pass 2: the rows before categorical_from
  LevelPart suffix;                   ///< the rows from categorical_from on
};

/// The first bad row of a chunk: line counted from the chunk's start (1 = its first line).
struct RowError {
  std::size_t line = 0;
  std::size_t field = 0;
  std::string reason;
};

struct TableChunk {
  TableChunk(std::size_t begin, std::size_t end, std::size_t columns)
      : begin(begin), end(end), columns(columns) {}

  std::size_t begin = 0;  ///< byte range in the text, from a line start to a line start or the end
  std::size_t end = 0;
  std::size_t line_count = 0;        ///< lines in the range (when parsed to its end)
  std::vector<std::string> ids;      ///< per row (when the file has an id column)
  std::vector<std::size_t> lines;    ///< per row: its line counted from the chunk's start
  std::vector<ChunkColumn> columns;  ///< per table column
  std::optional<RowError> error;     ///< pass 1 stopped here
  std::exception_ptr failure;        ///< anything else thrown while parsing
};

/// Pass 1 over the chunk's lines (see the file comment); on a bad row sets chunk.error and stops.
void parse_table_rows(TableReadPlan const& plan, std::string_view text, TableChunk& chunk);

/// Pass 2: encodes into each listed column's prefix the chunk's rows before its categorical_from
/// (all rows for a column still numeric in this chunk). The chunk must have been parsed whole.
void encode_table_prefixes(TableReadPlan const& plan, std::string_view text,
                           std::span<std::size_t const> columns, TableChunk& chunk);

/// Where each chunk's rows start in the table; the last entry is the row count.
std::vector<std::size_t> table_row_offsets(std::vector<TableChunk> const& chunks);

/// Puts each chunk's vector part(chunk) into `out` from the chunk's row offset on, emptying it;
/// a single chunk's is moved whole.
template <typename T, typename Part>
void concatenate_chunks(Context const& ctx, std::vector<TableChunk>& chunks,
                        std::vector<std::size_t> const& offsets, Part&& part, std::vector<T>& out) {
  if (chunks.size() == 1) {
    out = std::move(part(chunks.front()));
    return;
  }
  out.resize(offsets.back());
  auto const chunk_count = static_cast<std::ptrdiff_t>(chunks.size());
#pragma omp parallel for num_threads(ctx.threads()) schedule(dynamic, 1)
  for (std::ptrdiff_t k = 0; k < chunk_count; ++k) {
    std::vector<T>& values = part(chunks[static_cast<std::size_t>(k)]);
    std::move(values.begin(), values.end(),
              out.begin() + static_cast<std::ptrdiff_t>(offsets[static_cast<std::size_t>(k)]));
    std::vector<T>().swap(values);
  }
}

/// Fills column c of the table from the chunks (parsed, and for a categorical column encoded by
/// pass 2): numbers in file order, or, for a categorical column, the levels merged in file order
/// and the codes renumbered; on ctx's threads. Frees the chunks' copies of the column.
void merge_table_column(Context const& ctx, std::vector<TableChunk>& chunks,
                        std::vector<std::size_t> const& offsets, std::size_t c,
                        TableColumn& column);

}  // namespace cie

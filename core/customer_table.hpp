// A table of customer attributes in memory: numeric columns as doubles with a missing flag,
// categorical columns dictionary-encoded (levels in first-appearance order), one row per customer
// id. host/io/customer_table_reader.hpp reads one from delimited text; the nightly run builds one
// from RFM computed in memory. Also the operations models and commands share on such tables:
// selecting rows, joining on customer id, numeric columns as feature-pipeline input, labels.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/context.hpp"
#include "core/feature_matrix.hpp"
#include "core/id_dictionary.hpp"

namespace cie {

enum class ColumnType { kNumeric, kCategorical };

struct TableColumn {
  std::string name;
  ColumnType type = ColumnType::kNumeric;
  std::vector<double> numbers;        ///< kNumeric: one per row (0 where missing)
  std::vector<std::uint8_t> missing;  ///< one per row, 1 where the value is missing (both types)
  std::vector<std::int32_t> codes;    ///< kCategorical: index into levels, -1 where missing
  std::vector<std::string> levels;    ///< kCategorical: distinct values, first-appearance order
  /// kNumeric, instead of `numbers` and `missing` (then empty): values owned by the caller, read
  /// in place (the Python package's arrays, float64 or float32), NaN where missing. Readers go
  /// through number() / is_missing(); the tabular encoder (models/features/tabular_encoder.hpp),
  /// missing_count and select_rows (which makes an owned copy) take such a column, the file
  /// readers never make one. The owner must outlive the table.
  RawColumn borrowed;
  bool is_borrowed = false;

  [[nodiscard]] std::size_t missing_count() const noexcept;
  /// Whether the value of `row` is missing (kNumeric, owned or borrowed).
  [[nodiscard]] bool is_missing(std::size_t row) const noexcept {
    return is_borrowed ? std::isnan(borrowed[row]) : missing[row] != 0;
  }
  /// The value of `row` (kNumeric; a missing one is 0 owned, NaN borrowed: check is_missing).
  [[nodiscard]] double number(std::size_t row) const noexcept {
    return is_borrowed ? borrowed[row] : numbers[row];
  }
};

struct CustomerTable {
  std::string source;
  std::vector<std::string> ids;
  std::vector<TableColumn> columns;
  std::vector<std::size_t> line_numbers;  ///< physical line (from 1) of each row

  [[nodiscard]] std::size_t rows() const noexcept { return ids.size(); }
  /// The column called `name`, or nullptr.
  [[nodiscard]] TableColumn const* find(std::string_view name) const noexcept;
  [[nodiscard]] TableColumn* find(std::string_view name) noexcept;
  /// "FILE:LINE" of a row, for messages.
  [[nodiscard]] std::string describe_row(std::size_t row) const;
  /// Removes a column and returns it (a usage error naming the file when it is absent).
  TableColumn take(std::string_view name);
};

/// The ids of `table` in a dictionary whose index is the row (core/id_dictionary.hpp: open
/// addressing over xxHash3, several times faster than std::unordered_map at millions of ids).
/// on_duplicate(row, first_row) is called for the first repeated id and must throw.
template <typename OnDuplicate>
IdDictionary index_ids(CustomerTable const& table, OnDuplicate&& on_duplicate) {
  // Ids are hashed kLookAhead rows ahead of their lookup and their slots prefetched, so lookups
  // do not wait for memory one after another (twice as fast at a million ids).
  constexpr std::size_t kLookAhead = 16;
  std::size_t const rows = table.rows();
  IdDictionary index;
  index.reserve(rows);
  std::array<std::uint64_t, kLookAhead> hashes{};
  for (std::size_t next = 0; next < rows + kLookAhead; ++next) {
    std::uint64_t& hash = hashes[next % kLookAhead];
    if (next >= kLookAhead) {
      std::size_t const row = next - kLookAhead;
      std::string_view const id = table.ids[row];
      std::int32_t const first = index.find(id, hash);
      if (first >= 0) on_duplicate(row, static_cast<std::size_t>(first));
      index.insert(id, hash);
    }
    if (next < rows) {
      hash = hash_id(table.ids[next]);
      index.prefetch(hash);
    }
  }
  return index;
}

/// The same on ctx's threads (IdDictionary::of_distinct), the same lookups; a table with a
/// repeated id is indexed again one id at a time to find the first repeat.
template <typename OnDuplicate>
IdDictionary index_ids(Context const& ctx, CustomerTable const& table, OnDuplicate&& on_duplicate) {
  std::optional<IdDictionary> index = IdDictionary::of_distinct(ctx, table.ids);
  if (index) return std::move(*index);
  return index_ids(table, on_duplicate);
}

/// The given rows of `table`, in the given order, with every column (categorical levels are kept
/// whole, so codes stay valid). Each row index must be < table.rows().
CustomerTable select_rows(CustomerTable const& table, std::span<std::size_t const> rows);

/// The columns `names` of `table` as the input of a feature pipeline (models/features/)
/// for a model that cannot use missing values, such as k-means. A column that is absent or not
/// numeric is a usage error naming `needed_by`; the first missing value (in column order) is an
/// input error "FILE:LINE: column NAME: missing value, which NEEDED_BY cannot use". The result
/// points into `table`, which must outlive it.
RawColumns complete_numeric_columns(CustomerTable const& table, std::span<std::string const> names,
                                    std::string const& needed_by);

/// How many rows of one table found a partner in the other.
struct JoinSide {
  std::string source;
  std::size_t rows = 0;
  std::size_t matched = 0;
  std::size_t unmatched = 0;  ///< rows whose id is not in the base table (left out, counted)
};

/// [{"source", "rows", "matched", "unmatched"}, ...] for run reports.
nlohmann::json join_json(std::vector<JoinSide> const& sides);

/// Inner join on customer id: the result has the base table's rows that every other table also
/// has, in the base table's order, with the columns of all tables (base first). Its source and
/// line numbers are the base table's, so describe_row() names the base file's line. A column name
/// present in two tables is a usage error naming both files. `sides` receives one JoinSide per
/// table (base first; the base's `unmatched` counts its rows missing from some other table).
/// The caller reports the counts: nothing is dropped silently.
CustomerTable join_tables(CustomerTable base, std::vector<CustomerTable> others,
                          std::vector<JoinSide>& sides);

/// The labels of a response column as 0/1 floats: a numeric column holding only 0 and 1, or any
/// column whose value equal to `positive` (e.g. "yes") is 1 and every other value 0. A missing
/// label is an input error naming the row; so is a numeric value other than 0 or 1 when
/// `positive` is empty.
std::vector<float> response_labels(CustomerTable const& table, TableColumn const& column,
                                   std::string const& positive);

}  // namespace cie

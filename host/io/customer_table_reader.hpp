// Reading a table of customer attributes with numeric and categorical columns and missing values
// (bank marketing, Hillstrom, `cie gen`'s customers.csv, an RFM output), for propensity models,
// k-means segmentation (`cie segment`) and the nightly run.
//
// A column is numeric when every non-missing value parses as a finite number (fast_float,
// host/io/delimited_text.hpp's parse_number), categorical otherwise, unless the request names its
// type. A value is missing when it is empty or one of the request's missing tokens (default
// "NA", "N/A", "NaN", "null"; case-sensitive). Numeric values are double with a per-row missing
// flag; categorical values are dictionary-encoded (levels in first-appearance order).
// Inf, or NaN spelled any other way than a missing token, in a numeric column is an input error.
//
// Ids: `id_column` names a column holding unique, non-empty customer ids; an empty id_column means
// the file has none and rows are numbered "1", "2", ... (a table that is itself the training set,
// such as bank.csv). A duplicate id is an input error naming both lines.
//
// Memory and threads, for tables of millions of rows: the file is mapped (or read whole), cut at
// line ends into chunks (two per thread, of at least `min_chunk_bytes`), and each chunk is scanned
// once or twice on one of ctx's threads (host/io/customer_table_chunks.hpp). The first pass checks
// the structure, keeps ids, encodes the categorical columns through a level dictionary per column
// and chunk and parses numbers for every other column that may be numeric (a column turns
// categorical at its first value that is not a number: its numbers are dropped and its values
// from there on encoded); a second pass, only where a column turned categorical after the start
// of a chunk or in another chunk, encodes the rows before. The chunks are then merged in file
// order (levels by core/id_dictionary.hpp's merge_in_order), so the table, its level order and
// every error message are the same for any thread count and chunk size. No per-row strings are
// kept except the ids.
//
// Errors (all name the file): a requested column not in the header: usage error (exit 2) listing
// the missing columns and the header; a row with the wrong field count, a broken quote, an empty
// or duplicate id, Inf, or a non-number in a column forced numeric: input error (exit 3)
// "FILE:LINE: column N (NAME): reason", for the first bad row in file order. A UTF-8 BOM is
// ignored; blank lines carry no row; a line is a row (a quoted field cannot span lines).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/context.hpp"
#include "core/customer_table.hpp"

namespace cie {

struct CustomerTableRequest {
  /// The id column; "" when the file has none (rows are then numbered from 1).
  std::string id_column = "customer_id";
  /// Columns to read, in this order; empty means every column of the header except the id (in
  /// header order). Naming the id column or a column twice is a usage error.
  std::vector<std::string> columns;
  /// Columns read after `columns` when the header has them and skipped when it has not (e.g. a
  /// revenue column used only for a report). The id column, an excluded column and a column that
  /// `columns` already reads are not read (again).
  std::vector<std::string> optional_columns;
  /// Columns never read (e.g. a leaking outcome), even when `columns` names them; a name not in
  /// the header is a usage error.
  std::vector<std::string> exclude;
  /// Type overrides: these columns are read as categorical / numeric whatever they hold (a
  /// column forced numeric with a value that is not a number is an input error). Names of
  /// columns not read are ignored, so one request can serve several tables that are joined; a
  /// name in both lists is a usage error.
  std::vector<std::string> categorical;
  std::vector<std::string> numeric;
  std::vector<std::string> missing_tokens = {"NA", "N/A", "NaN", "null"};
  char delimiter = ',';
  /// Who needs the columns, for the missing-column message, e.g. "model prop.json".
  std::string needed_by;
};

/// The least bytes of a chunk that one thread parses (smaller ones only in tests).
inline constexpr std::size_t kMinTableChunkBytes = std::size_t{1} << 20;

/// Parses `text` (a whole file) on ctx's threads; `source` names it in messages.
CustomerTable parse_customer_table(Context const& ctx, std::string_view text,
                                   std::string const& source, CustomerTableRequest const& request,
                                   std::size_t min_chunk_bytes = kMinTableChunkBytes);
/// The same on one thread.
CustomerTable parse_customer_table(std::string_view text, std::string const& source,
                                   CustomerTableRequest const& request);
/// Reads `path` ("-": standard input; gzip data, recognised by its magic bytes, is inflated) and
/// parse_customer_table()s it on ctx's threads; a usage error if it cannot be read, an input
/// error if it changes while it is read (the file is mapped: host/io/mapped_file.hpp).
CustomerTable read_customer_table(Context const& ctx, std::string const& path,
                                  CustomerTableRequest const& request);
/// The same on one thread.
CustomerTable read_customer_table(std::string const& path, CustomerTableRequest const& request);

}  // namespace cie

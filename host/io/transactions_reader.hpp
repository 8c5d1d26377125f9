// Reading transactions (core/transactions.hpp) from delimited text files.
//
// Reading is memory-mapped (safely: host/io/mapped_file.hpp) and parallel: the file is cut into
// chunks at line ends, chunks are parsed on all threads (numbers with fast_float), and the
// per-chunk id dictionaries are merged in file order, so customer indices follow first appearance
// in the file whatever the thread count. See TransactionsFormat for what is accepted and
// BadRowPolicy for what happens to the rest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/context.hpp"
#include "core/transactions.hpp"

namespace cie {

class MappedFile;

/// What to do with a row that cannot be read (unparseable date or amount, wrong field count,
/// empty customer id, unterminated quote).
enum class BadRowPolicy {
  kFail,        ///< stop at the first bad row with file, line, column and reason (exit code 3)
  kSkip,        ///< drop it and count it in the report
  kQuarantine,  ///< drop it, count it, and write the line unchanged to the quarantine file
};

/// What to do with returns (negative amounts, -0.0, and rows of cancelled orders).
enum class ReturnsPolicy {
  kNet,      ///< keep them: they are netted into monetary value (never purchase occasions)
  kExclude,  ///< drop them, counted in ReadReport::rows_excluded_returns
};

/// How a transactions file is laid out.
struct TransactionsFormat {
  /// Field separator. '\0' means runs of spaces and tabs (leading and trailing ones ignored), as
  /// in the fixed-width CDNOW files. A field that starts with '"' is quoted ("" inside it is one
  /// quote) and may hold the delimiter but not a line break; its closing quote must end the
  /// field. A quote elsewhere is an ordinary character. Lines end with "\n" or "\r\n"; a UTF-8
  /// BOM is skipped; blank lines (only spaces, tabs and CRs that are not the delimiter) are
  /// skipped but still counted in line numbers.
  char delimiter = ',';
  /// Whether the first non-blank line is a header. Without one, columns are 1-based positions.
  /// Every row must have as many fields as the header (or, without one, the first data line).
  bool has_header = true;
  /// Columns, by header name or (always allowed, required without a header) 1-based position.
  std::string id_column = "customer_id";
  std::string date_column = "date";
  /// Dates are read by parse_timestamp (core/date.hpp), or with date_format when it is set.
  /// Numbers are whole fields in decimal or
  /// scientific notation, optionally signed; NaN, infinities, empty fields and surrounding
  /// spaces are not numbers.
  /// The amount column; ignored when quantity_column and price_column are both set (set both or
  /// neither), in which case amount = quantity × unit price.
  std::string amount_column = "amount";
  /// Optional strftime-style format of the date column (core/date_format.hpp), e.g.
  /// "%m/%d/%Y %H:%M"; empty: the ISO forms of parse_timestamp.
  std::string date_format;
  std::string quantity_column;
  std::string price_column;
  /// Optional order (invoice) id column: Transactions::order gets a hash of each row's id, so
  /// that purchases are counted per order. An empty order id is a bad row.
  std::string order_column;
  /// Optional, needs order_column: an order id starting with this prefix is a cancellation (as
  /// Online Retail's "C536379"); its rows are returns whatever the sign in the file, with amount
  /// -|amount| (a zero amount becomes -0.0, which still marks a return).
  std::string cancel_prefix;
  BadRowPolicy bad_rows = BadRowPolicy::kFail;
  std::string quarantine_path;  ///< required for BadRowPolicy::kQuarantine
  ReturnsPolicy returns = ReturnsPolicy::kNet;
};

/// Sets format.bad_rows (and quarantine_path) from "fail", "skip" or "quarantine=FILE", and
/// format.returns from "net" or "exclude"; a usage error naming `setting` (an option or a
/// configuration key) for any other value.
void set_bad_rows(TransactionsFormat& format, std::string_view text, std::string_view setting);
void set_returns(TransactionsFormat& format, std::string_view text, std::string_view setting);

/// Counts from one read. Nothing is dropped without being counted here.
struct ReadReport {
  std::size_t data_lines = 0;             ///< non-blank lines after the header
  std::size_t rows_accepted = 0;          ///< rows in the returned Transactions
  std::size_t rows_rejected = 0;          ///< bad rows skipped or quarantined
  std::size_t rows_excluded_returns = 0;  ///< returns dropped under ReturnsPolicy::kExclude
  std::size_t rows_cancelled = 0;         ///< rows of orders with the cancel prefix
  std::string first_rejection;            ///< the message of the first bad row, if any
};

/// Reads a transactions file: "-" is standard input, and gzip data (recognised by its magic
/// bytes, whatever the name) is inflated first (host/io/input_text.hpp). Throws cie::Error: kUsage
/// (2) for a missing file, a column not in the header or an inconsistent format; kInputData (3) for
/// the first bad row in file order under kFail, with the message "FILE:LINE: column N (NAME):
/// REASON" or "FILE:LINE: expected K fields, found M" (LINE counts every physical line from 1; NAME
/// is "#N" without a header). The quarantine file is written atomically and holds the header line,
/// then every rejected line byte for byte without its line end, each followed by "\n"; it is
/// written (possibly with no rows) whenever kQuarantine is chosen. An empty or header-only file
/// gives no rows. The result is the same, vector for vector, whatever ctx.threads().
Transactions read_transactions(Context const& ctx, std::string const& path,
                               TransactionsFormat const& format, ReadReport& report);

/// The same on a file already mapped (host/io/mapped_file.hpp). A file truncated or rewritten
/// in place while it is read is an input error (exit 3) naming it, never a signal; the
/// quarantine file is then not written.
Transactions read_transactions(Context const& ctx, MappedFile const& file,
                               TransactionsFormat const& format, ReadReport& report);

/// The same on text in memory; `source_name` stands for the file name in messages.
Transactions parse_transactions(Context const& ctx, std::string_view text,
                                std::string const& source_name, TransactionsFormat const& format,
                                ReadReport& report);

}  // namespace cie
